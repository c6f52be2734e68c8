"""Plain-row inserts for bulk loads (the demo, Excel imports, benchmarks).

At tens of thousands of rows, building model instances and compiling SQL costs more than
the insert itself: these write tuples straight to the table, in the caller's transaction —
COPY on PostgreSQL, executemany elsewhere. Values must already be in the form the driver
takes (dates, str, bool; on SQLite, datetimes adapted with
`connection.ops.adapt_datetimefield_value`). Whatever the services would keep in step
(derived columns, history rows) is the caller's business.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django.db import connection
from django.db.models import Field, Model

BATCH = 5000


def column(model: type[Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, Field)
    return str(field.column)


def insert_rows(model: type[Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """Insert `rows` (tuples in the order of `fields`) into `model`'s table."""
    if not rows:
        return 0
    qn = connection.ops.quote_name
    columns = ", ".join(qn(column(model, f)) for f in fields)
    table = qn(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cast(Any, cursor).copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(fields))
            sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
            for i in range(0, len(rows), BATCH):
                cursor.executemany(sql, rows[i : i + BATCH])
    return len(rows)
