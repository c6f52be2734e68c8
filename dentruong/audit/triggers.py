"""Database triggers that make the audit table append-only (decision 0010): UPDATE and
DELETE of a row raise, on SQLite and on PostgreSQL, whoever sends them (the ORM, raw
SQL, a shell). Installed by migration 0002.

A later migration that rebuilds the table on SQLite (Django copies it into a new table
for most column changes) drops the triggers with the old table: such a migration must
call `install` again. `test_triggers_are_installed` fails until it does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

TABLE = "audit_auditevent"

SQLITE_UPDATE = (
    f"CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON {TABLE} "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: UPDATE refused'); END"
)
SQLITE_DELETE = (
    f"CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON {TABLE} "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: DELETE refused'); END"
)
SQLITE_TRIGGERS = ("audit_event_no_update", "audit_event_no_delete")

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP;
END
$$"""
POSTGRES_TRIGGER = (
    "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON "
    f"{TABLE} FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
)


def install(connection: Any) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(SQLITE_UPDATE)
            cursor.execute(SQLITE_DELETE)
        elif connection.vendor == "postgresql":
            cursor.execute(POSTGRES_FUNCTION)
            cursor.execute(f"DROP TRIGGER IF EXISTS audit_event_append_only ON {TABLE}")
            cursor.execute(POSTGRES_TRIGGER)
        else:
            raise NotImplementedError(f"no audit triggers for {connection.vendor}")


def uninstall(connection: Any) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        elif connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER IF EXISTS audit_event_append_only ON {TABLE}")
            cursor.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")


def installed(connection: Any) -> set[str]:
    """The names of the guard triggers present on the table."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                [TABLE],
            )
        else:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
                [TABLE],
            )
        return {row[0] for row in cursor.fetchall()}


@contextmanager
def sqlite_delete_guard_lifted(connection: Any) -> Iterator[None]:
    """Only for `manage.py flush` (management/commands/flush.py): SQLite's flush deletes
    every row of every table; PostgreSQL's truncates, which row triggers do not see."""
    if connection.vendor != "sqlite" or TABLE not in connection.introspection.table_names():
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(SQLITE_DELETE)
