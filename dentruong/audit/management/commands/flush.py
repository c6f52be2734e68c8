"""`manage.py flush`, which also empties the audit log.

The audit log's triggers refuse every DELETE (decision 0010). Emptying the whole database
is not an application operation: on PostgreSQL Django's flush is a TRUNCATE, which the
row triggers do not see; on SQLite it is a DELETE per table, so this command lifts the
SQLite guard for the flush only and puts it back, in every case. Tests that commit
(pytest-django's `transactional_db`, `live_server`) flush the database after each test
through this command.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands.flush import Command as DjangoFlush
from django.db import connections

from dentruong.audit.triggers import sqlite_delete_guard_lifted


class Command(DjangoFlush):
    help = DjangoFlush.help + " The audit log is emptied too."

    def handle(self, **options: Any) -> None:
        with sqlite_delete_guard_lifted(connections[options["database"]]):
            super().handle(**options)
