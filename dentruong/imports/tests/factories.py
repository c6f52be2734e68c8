"""An upload waiting for confirmation, for scope tests (no file needed)."""

from __future__ import annotations

from dentruong.imports.models import ImportBatch, ImportKind
from tests.cast import Cast


def class_batch(cast: Cast) -> ImportBatch:
    """The homeroom teacher's upload of a class list for 3A, nothing in it."""
    return ImportBatch.objects.create(
        kind=ImportKind.CLASS_LIST,
        school_class=cast.class_3a,
        file_name="3A.xlsx",
        file_sha256="0" * 64,
        file_size=0,
        summary={"create": 0, "update": 0, "unchanged": 0, "rows": []},
        created_by=cast.teacher,
    )
