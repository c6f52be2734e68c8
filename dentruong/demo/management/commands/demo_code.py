"""`manage.py demo_code <username>`: the current authenticator code of a demo officer.

The demo's officers log in with a code (docs/decisions/0011); their app's key is the
demo's (`builder.DEMO_TOTP_SECRET`). Refuses any user whose key is not the demo's."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dentruong.accounts import totp
from dentruong.accounts.models import TOTPDevice
from dentruong.demo.builder import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Print the current authenticator code of a demo officer (demo data only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        device = TOTPDevice.objects.filter(user__username=options["username"]).first()
        if device is None or device.secret != DEMO_TOTP_SECRET:
            raise CommandError(f"{options['username']!r} is not a demo officer.")
        step = totp.time_step(time.time())
        self.stdout.write(totp.hotp(totp.secret_bytes(DEMO_TOTP_SECRET), step))
