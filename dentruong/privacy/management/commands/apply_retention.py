"""`manage.py apply_retention [--dry-run]`: apply the retention rules
(dentruong/privacy/retention.py, lengths overridable with RETENTION_RULES) and print, as
JSON, what each rule changed (or would change). Idempotent; run it nightly from cron.
Never touches the audit log."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from dentruong.privacy.services import apply_retention


class Command(BaseCommand):
    help = "Remove personal data past its retention period; print the counts as JSON."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would change; change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = apply_retention(dry_run=options["dry_run"])
        self.stdout.write(json.dumps(report, ensure_ascii=False))
