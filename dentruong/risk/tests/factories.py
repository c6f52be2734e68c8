"""Rows of the early-warning app for tests (tests/test_scope.py)."""

from __future__ import annotations

import datetime as dt

from dentruong.risk.models import TeacherFlag
from tests.cast import Cast


def risk_flag(cast: Cast) -> TeacherFlag:
    """A flag on the cast's student (class 3A), set by the homeroom teacher."""
    found = TeacherFlag.objects.filter(student=cast.student, kind="academic").first()
    return found or TeacherFlag.objects.create(
        student=cast.student, kind="academic", start=dt.date(2026, 11, 2), created_by=cast.teacher
    )
