"""Back up the database online: `manage.py backup [--to DIR]`.

Writes DIR/dentruong-<engine>-<UTC time>/ with the data file and manifest.json (row
counts, migrations, SHA-256). Safe while the server runs. Restore with `manage.py
restore <that folder> --yes`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dentruong.backups.services import BackupError, create_backup, default_folder


class Command(BaseCommand):
    help = "Back up the database (online) into a new folder with a manifest of row counts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--to",
            type=Path,
            default=Path(settings.BASE_DIR) / "var" / "backups",
            help="Folder that receives the backup folder (var/backups)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        folder = default_folder(options["to"])
        try:
            manifest = create_backup(folder=folder)
        except (BackupError, OSError) as error:
            raise CommandError(str(error)) from None
        rows = sum(manifest.counts.values())
        self.stdout.write(f"{folder}  ({len(manifest.counts)} tables, {rows} rows)")
