"""Queue report reminders before deadlines and notices when they pass (run from cron
every few minutes: `*/5 * * * * manage.py report_deadlines`; `run_notices` sends them)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from dentruong.reports.services import queue_deadline_alerts


class Command(BaseCommand):
    help = "Queue report deadline reminders and overdue notices (run every few minutes from cron)."

    def handle(self, *args: Any, **options: Any) -> None:
        n = queue_deadline_alerts()
        self.stdout.write(f"{n} alerts queued")
