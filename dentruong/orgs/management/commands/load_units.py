"""`manage.py load_units [--province 15 ...]`: the 2025 provinces and communes."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from dentruong.orgs.services import DATA_VERSION, UnitLoadError, load_administrative_units


class Command(BaseCommand):
    help = "Load the 34 provinces and 3,321 communes in force since 1 July 2025 (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--province",
            action="append",
            dest="provinces",
            metavar="CODE",
            help="Only this province (two-digit 2025 code, e.g. 15); repeatable.",
        )

    def handle(self, *args: Any, provinces: list[str] | None, **options: Any) -> None:
        try:
            result = load_administrative_units(provinces=provinces)
        except UnitLoadError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(
            _(
                "Administrative units (GSO-2025, data of %(version)s): %(created)d created, "
                "%(updated)d updated, %(unchanged)d unchanged."
            )
            % {
                "version": DATA_VERSION,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
            }
        )
