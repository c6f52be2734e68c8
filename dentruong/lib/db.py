"""Small helpers for writes on the busiest path (a roll call): a model row as one INSERT
statement, and several statements sent together.

On PostgreSQL each statement is a round trip to the server (~0.3–0.5 ms here); Django's
psycopg cursors bind parameters on the client, so statements joined with ";" travel as
one. SQLite runs in the process: there is no trip to save, and it takes one statement at
a time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Model

Statement = tuple[str, list[Any]]


def insert_statement(row: Model, *, suffix: str = "") -> Statement:
    """INSERT of `row`'s concrete fields (an automatic primary key left out), as Django
    would write them, then `suffix` (e.g. an ON CONFLICT clause)."""
    qn = connection.ops.quote_name
    meta = row._meta
    fields = [f for f in meta.concrete_fields if f is not meta.auto_field]
    columns = ", ".join(qn(f.column) for f in fields)
    values = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES ({values}) {suffix}".rstrip()
    return sql, [f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields]


def execute_together(statements: Sequence[Statement | None]) -> None:
    """Run `statements` in order (None: skipped), in the caller's transaction: on
    PostgreSQL in one round trip, elsewhere one by one. None of them may return rows."""
    found = [s for s in statements if s is not None]
    with connection.cursor() as cursor:
        if len(found) > 1 and _binds_on_client(cursor):
            cursor.execute(";\n".join(sql for sql, _ in found), [p for _, ps in found for p in ps])
            return
        for sql, params in found:
            cursor.execute(sql, params)


def _binds_on_client(cursor: Any) -> bool:
    """A psycopg cursor that binds on the client (Django's default): it may send several
    statements at once; one that binds on the server may not."""
    if connection.vendor != "postgresql":
        return False
    import psycopg

    return isinstance(cursor.cursor, psycopg.ClientCursor)
