"""Replace the database's content with a backup: `manage.py restore FOLDER --yes`.

Checks the file against its manifest first (nothing changes if it is damaged or from
another engine), then compares every table's row count after restoring.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dentruong.backups.services import BackupError, restore_backup


class Command(BaseCommand):
    help = "Restore a backup made by `manage.py backup` (replaces everything in the database)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path, help="A folder written by manage.py backup")
        parser.add_argument(
            "--yes", action="store_true", help="Confirm: the database's content is replaced"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["yes"]:
            raise CommandError(
                "restore replaces everything in the database: run it again with --yes"
            )
        try:
            counts = restore_backup(folder=options["folder"])
        except (BackupError, OSError) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"restored {len(counts)} tables, {sum(counts.values())} rows")
