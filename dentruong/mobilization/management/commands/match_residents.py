"""`manage.py match_residents [--unit PATH]`: match the register of resident children to
the student records (mã định danh first, then name + date of birth + village); certain
pairs are linked, uncertain ones queued for a commune officer's review."""

from __future__ import annotations

import json
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from dentruong.mobilization.services import match_residents
from dentruong.orgs.models import OrgUnit


class Command(BaseCommand):
    help = "Match the register of resident children to the student records."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--unit",
            default="",
            help="Unit path (OrgUnit.path, e.g. '15/02683/'); default: everywhere.",
        )
        parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["unit"].strip()
        if path and not path.endswith("/"):
            path += "/"
        if path and not OrgUnit.objects.filter(path=path).exists():
            raise CommandError(f"No unit has the path {path!r}.")
        started = time.perf_counter()
        run = match_residents(unit_path=path)
        seconds = round(time.perf_counter() - started, 2)
        figures = {
            "unit": path or "*",
            "children_unlinked": run.children,
            "students_unlinked": run.students,
            "linked": run.linked,
            "linked_by_national_id": run.by_national_id,
            "queued_for_review": run.queued,
            "seconds": seconds,
        }
        if options["json"]:
            self.stdout.write(json.dumps(figures))
            return
        self.stdout.write(
            f"{run.children:,} register entries and {run.students:,} student records not "
            f"linked; linked {run.linked:,} ({run.by_national_id:,} by mã định danh), "
            f"{run.queued:,} pairs to review; {seconds} s"
        )
