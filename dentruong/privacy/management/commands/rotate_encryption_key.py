"""`manage.py rotate_encryption_key`: re-encrypt every encrypted value (the sensitive
facts) with the first key of FIELD_ENCRYPTION_KEYS, in batches; idempotent (values
already on that key are left alone). Prints the counts as JSON.

`--new-key` only prints a fresh random key (put it first in FIELD_ENCRYPTION_KEYS).
Procedure: docs/decisions/0012-personal-data.md."""

from __future__ import annotations

import json
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from dentruong.lib import crypto
from dentruong.privacy.services import rotate_encryption_key


class Command(BaseCommand):
    help = "Re-encrypt every encrypted value with the first key of FIELD_ENCRYPTION_KEYS."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--batch-size", type=int, default=2000, help="Rows per batch.")
        parser.add_argument(
            "--new-key", action="store_true", help="Print a new random key and stop."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["new_key"]:
            self.stdout.write(crypto.new_key())
            return
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        ring = crypto.keyring()
        started = time.perf_counter()
        try:
            tables = rotate_encryption_key(batch_size=options["batch_size"])
        except crypto.CryptoError as e:
            raise CommandError(f"{e}: is every old key still in FIELD_ENCRYPTION_KEYS?") from e
        report = {
            "key": ring.primary,
            "development_key": ring.derived,
            "tables": tables,
            "seconds": round(time.perf_counter() - started, 2),
        }
        self.stdout.write(json.dumps(report))
