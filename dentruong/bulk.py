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
    _refuse_plain_text(model, fields, rows)
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


def _refuse_plain_text(
    model: type[Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Encrypted columns (people.fields.EncryptedTextField) take stored values only: a
    plain value here would be written as is (people.services.sensitive_fact_row)."""
    for i, name in enumerate(fields):
        f: Any = model._meta.get_field(name)
        if getattr(f, "encrypted", False) and not all(f.is_stored_form(r[i]) for r in rows):
            raise ValueError(f"{model._meta.label}.{name}: encrypt values before insert_rows")
