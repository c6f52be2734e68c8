from __future__ import annotations

from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper


class BinaryKeyField(models.CharField):  # type: ignore[type-arg]
    """A text column compared byte by byte: sort keys and materialised paths.

    SQLite compares text bytewise already; PostgreSQL gets COLLATE "C" so that a
    non-C database locale cannot re-sort the keys.
    """

    def db_parameters(self, connection: BaseDatabaseWrapper) -> dict[str, Any]:
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params
