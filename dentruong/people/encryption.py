"""Re-encrypting encrypted columns in place, in batches of raw rows (no model needed, so
migrations can use it too): the data migration that encrypted the existing plaintext,
and `manage.py rotate_encryption_key`.

Rows are read in primary-key order, BATCH at a time; a value already encrypted with the
primary key is left alone, so running again after an interruption (or twice) changes
nothing that is done. `plaintext="encrypt"` accepts values that are not encrypted yet
and encrypts them; otherwise such a value is an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dentruong.lib import crypto

BATCH = 2000


@dataclass
class Rekeyed:
    rows: int = 0  # rows read
    values: int = 0  # values (re-)encrypted with the primary key
    current: int = 0  # values already on the primary key
    plaintext: int = 0  # of `values`: values that were not encrypted before

    def as_dict(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "reencrypted": self.values,
            "already_current": self.current,
            "plaintext_encrypted": self.plaintext,
        }


def _rekey(value: Any, context: str, ring: crypto.Keyring, counts: Rekeyed, plain_ok: bool) -> Any:
    if value is None:
        return None
    if ring.is_current(value):
        counts.current += 1
        return value
    if crypto.is_encrypted(value):
        plain = ring.decrypt(value, context)
    elif plain_ok:
        plain = value
        counts.plaintext += 1
    else:
        raise crypto.CryptoError(f"plain text in {context}")
    counts.values += 1
    return ring.encrypt(plain, context)


def reencrypt_columns(
    connection: Any,
    *,
    table: str,
    columns: Sequence[str],
    label: str,
    ring: crypto.Keyring | None = None,
    plaintext: str = "refuse",
    batch: int = BATCH,
) -> Rekeyed:
    """Bring every value of `columns` of `table` to the primary key of `ring`. `label` is
    the model's label ("people.sensitivefacts"): with the column, the value's context."""
    ring = ring or crypto.keyring()
    counts = Rekeyed()
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    sets = ", ".join(f"{qn(c)} = %s" for c in columns)
    select = f"SELECT id, {cols} FROM {qn(table)} WHERE id > %s ORDER BY id LIMIT %s"
    update = f"UPDATE {qn(table)} SET {sets} WHERE id = %s"
    contexts = [f"{label}.{c}" for c in columns]
    last = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(select, [last, batch])
            rows = cursor.fetchall()
            if not rows:
                return counts
            changes = []
            for pk, *values in rows:
                done = counts.values
                new = [
                    _rekey(v, ctx, ring, counts, plaintext == "encrypt")
                    for v, ctx in zip(values, contexts, strict=True)
                ]
                if counts.values != done:
                    changes.append((*new, pk))
            counts.rows += len(rows)
            if changes:
                cursor.executemany(update, changes)
            last = rows[-1][0]


def decrypt_columns(
    connection: Any, *, table: str, columns: Sequence[str], label: str, batch: int = BATCH
) -> int:
    """Back to plain text (only to reverse the migration that encrypted the columns)."""
    ring = crypto.keyring()
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    sets = ", ".join(f"{qn(c)} = %s" for c in columns)
    last, done = 0, 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                f"SELECT id, {cols} FROM {qn(table)} WHERE id > %s ORDER BY id LIMIT %s",
                [last, batch],
            )
            rows = cursor.fetchall()
            if not rows:
                return done
            plain = [
                (
                    *(
                        ring.decrypt(v, f"{label}.{c}") if crypto.is_encrypted(v) else v
                        for v, c in zip(values, columns, strict=True)
                    ),
                    pk,
                )
                for pk, *values in rows
            ]
            cursor.executemany(f"UPDATE {qn(table)} SET {sets} WHERE id = %s", plain)
            done += len(rows)
            last = rows[-1][0]
