"""A text column stored encrypted (dentruong.lib.crypto): Python sees the plain value,
the database only `enc1$<key id>$…`.

Encrypted values cannot be compared in SQL (each carries a random nonce), so the field
offers no lookup but `isnull`: `filter(poverty="poor")` raises FieldError instead of
silently matching nothing. Read them (values_list works: `from_db_value` runs there),
decide in Python. Plain-row inserts (dentruong/bulk.py) bypass fields: use
`stored_value` (people.services.sensitive_fact_row does), and insert_rows refuses a
value that is not encrypted.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Lookup, Transform
from django.db.models.lookups import IsNull
from django.utils.functional import cached_property

from dentruong.lib import crypto


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """A TextField whose values are encrypted at rest with the configured keys."""

    encrypted = True  # read by dentruong.bulk.insert_rows and the key rotation

    @cached_property
    def context(self) -> str:
        """What each value is bound to: app label, model and column."""
        return f"{self.model._meta.label_lower}.{self.column}"

    def stored_value(self, value: Any) -> str | None:
        """The stored (encrypted) form of a Python value."""
        if value is None:
            return None
        return crypto.encrypt(str(self.to_python(value)), self.context)

    def is_stored_form(self, value: Any) -> bool:
        return value is None or crypto.is_encrypted(value)

    def get_db_prep_value(
        self, value: Any, connection: BaseDatabaseWrapper, prepared: bool = False
    ) -> Any:
        value = super().get_db_prep_value(value, connection, prepared)
        return self.stored_value(value)

    def from_db_value(self, value: Any, expression: Any, connection: BaseDatabaseWrapper) -> Any:
        if value is None:
            return None
        return crypto.decrypt(value, self.context)

    def get_lookup(self, lookup_name: str) -> type[Lookup[Any]] | None:
        return IsNull if lookup_name == "isnull" else None

    def get_transform(self, lookup_name: str) -> type[Transform] | None:
        return None
