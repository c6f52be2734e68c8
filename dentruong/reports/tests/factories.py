"""A weekly schedule on the cast's commune (every school reports every Monday by 10:00)
and one frozen submission of Trường Tiểu học Bát Xát."""

from __future__ import annotations

import datetime as dt

from dentruong.reports import services
from dentruong.reports.deadlines import VN_TZ
from dentruong.reports.models import ReportSchedule, Submission
from tests.cast import Cast

MONDAY = dt.datetime(2026, 10, 5, 10, 0, tzinfo=VN_TZ)


def weekly_schedule(cast: Cast, report: str = "attendance") -> ReportSchedule:
    found = ReportSchedule.objects.filter(unit=cast.commune, report=report).first()
    if found is not None:
        return found
    return services.create_schedule(
        by=cast.commune_officer,
        name="Báo cáo chuyên cần hằng tuần",
        report=report,
        unit=cast.commune,
        reporter_kind="school",
        recurrence="weekly",
        weekday=0,
        due_time=dt.time(10, 0),
        start_date=dt.date(2026, 9, 7),
        lock_after_minutes=None,
    )


def submission(cast: Cast) -> Submission:
    schedule = weekly_schedule(cast)
    found = Submission.objects.filter(schedule=schedule, unit=cast.school.unit).first()
    if found is not None:
        return found
    return services.submit(
        schedule=schedule,
        unit=cast.school.unit,
        due_at=MONDAY,
        by=cast.school_leader,
        assessment="Các lớp điểm danh đầy đủ.",
        proposals="Đề nghị hỗ trợ gạo cho học sinh bán trú.",
        now=MONDAY - dt.timedelta(minutes=1),
    )
