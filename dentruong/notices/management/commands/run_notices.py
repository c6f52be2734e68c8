"""Send the notices that are due (guardian absence notices, roll-call reminders).

    manage.py run_notices          # the worker: runs until SIGTERM / Ctrl-C
    manage.py run_notices --once   # one pass over what is due now, then exit

`make demo` starts it beside gunicorn. Channels without settings are not configured:
their notices are marked "not sent: channel not configured" (dentruong/settings.py,
NOTICE_*). Why and how: docs/decisions/0007-guardian-notices.md.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dentruong.notices.worker import Worker, reminder_time


class Command(BaseCommand):
    help = (
        "Send due notices (SMS, Zalo, e-mail) and queue roll-call reminders; runs until "
        "SIGTERM, or one pass with --once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="One pass, then exit")
        parser.add_argument(
            "--poll", type=float, default=None, help="Seconds between passes (NOTICE_POLL_SECONDS)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            reminder_time()
        except ValueError:
            raise CommandError("ROLL_CALL_REMINDER_TIME must be HH:MM (Việt Nam time)") from None
        worker = Worker()
        if options["once"]:
            tally = worker.run_once()
            self.stdout.write(str(tally))
            return
        stop = threading.Event()

        def _stop(signum: int, frame: Any) -> None:
            stop.set()

        previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        configured = [c for c, a in worker.adapters.items() if a.configured()]
        self.stdout.write(
            f"notice worker {worker.name}: channels configured: {', '.join(configured) or 'none'}"
        )
        try:
            worker.run(stop, options["poll"])
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write("notice worker stopped")
