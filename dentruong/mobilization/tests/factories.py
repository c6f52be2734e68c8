"""Small builders shared by the mobilization tests and tests/test_scope.py."""

from __future__ import annotations

from dentruong.mobilization.models import MatchCandidate
from tests.cast import Cast


def pending_match(cast: Cast) -> MatchCandidate:
    """The register's Đặng Văn Bình proposed as the cast's student Đặng Thị Ánh."""
    found = MatchCandidate.objects.filter(child=cast.child, student=cast.student).first()
    if found is not None:
        return found
    return MatchCandidate.objects.create(
        child=cast.child, student=cast.student, score=70, reasons="name_middle_differs"
    )
