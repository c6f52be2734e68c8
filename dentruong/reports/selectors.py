"""Reads of reports: a schedule's rule with its breaks, the reporting units, who
submitted what for a deadline (on time, late, not at all) and the roll-up of their
frozen figures; the series the dashboards draw.

Query counts are fixed: `deadline_status` is three queries whatever the number of
units (reporters, submissions, breaks)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet, Sum

from dentruong.orgs.models import BreakKind, CalendarBreak, OrgUnit
from dentruong.reports import deadlines
from dentruong.reports.definitions import REGISTRY
from dentruong.reports.figures import Figures, rollup
from dentruong.reports.models import ReportSchedule, Submission


def breaks_for(unit: OrgUnit) -> tuple[tuple[dt.date, dt.date], ...]:
    """Tết and holiday breaks of the calendars on the unit's path (province, commune)."""
    rows = CalendarBreak.objects.filter(
        calendar__unit__path__in=unit.ancestor_paths(),
        kind__in=[BreakKind.TET, BreakKind.HOLIDAY],
    ).values_list("start", "end")
    return tuple(sorted(rows))


def rules_for(schedules: list[ReportSchedule]) -> dict[int, deadlines.Rule]:
    """The rules of many schedules with one query for all their breaks."""
    paths = {p for s in schedules for p in s.unit.ancestor_paths()}
    by_path: dict[str, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for path, start, end in CalendarBreak.objects.filter(
        calendar__unit__path__in=sorted(paths), kind__in=[BreakKind.TET, BreakKind.HOLIDAY]
    ).values_list("calendar__unit__path", "start", "end"):
        by_path[path].append((start, end))
    return {
        s.pk: s.rule(  # type: ignore[arg-type]
            tuple(sorted(b for p in s.unit.ancestor_paths() for b in by_path[p]))
        )
        for s in schedules
    }


def rule_of(schedule: ReportSchedule) -> deadlines.Rule:
    return schedule.rule(breaks_for(schedule.unit))  # type: ignore[arg-type]


def reporters(schedule: ReportSchedule) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(
        path__startswith=schedule.unit.path, kind=schedule.reporter_kind, valid_until__isnull=True
    ).order_by("name", "pk")


def is_occurrence(rule: deadlines.Rule, due: dt.datetime) -> bool:
    due = deadlines.local(due)
    return any(
        x == due
        for x in deadlines.occurrences(rule, after=due - dt.timedelta(minutes=1), until=due)
    )


@dataclass
class UnitStatus:
    unit: OrgUnit
    status: str  # on_time, late, missing, open
    submission: Submission | None
    versions: int


@dataclass
class DeadlineStatus:
    schedule: ReportSchedule
    due: dt.datetime
    period: tuple[dt.date, dt.date]
    locked_at: dt.datetime | None
    units: list[UnitStatus]
    rolled_up: Figures | None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def expected(self) -> int:
        return len(self.units)

    @property
    def submitted(self) -> int:
        return self.counts.get("on_time", 0) + self.counts.get("late", 0)


def deadline_status(
    schedule: ReportSchedule,
    due: dt.datetime,
    *,
    now: dt.datetime,
    rule: deadlines.Rule | None = None,
) -> DeadlineStatus:
    """Every reporting unit of `schedule` for the deadline `due`: its latest submission
    (on time or late, as frozen when submitted), or missing once the deadline passed;
    and the roll-up (sum) of the latest submissions' figures."""
    rule = rule or rule_of(schedule)
    units = list(reporters(schedule))
    latest: dict[int, Submission] = {}
    versions: dict[int, int] = defaultdict(int)
    for sub in (
        Submission.objects.filter(schedule=schedule, due_at=due)
        .select_related("submitted_by")
        .order_by("unit_id", "version")
    ):
        latest[sub.unit_id] = sub
        versions[sub.unit_id] += 1
    rows = []
    counts: dict[str, int] = defaultdict(int)
    for unit in units:
        found = latest.get(unit.pk)
        status = found.status if found else deadlines.submission_status(None, due, now)
        counts[status] += 1
        rows.append(UnitStatus(unit, status, found, versions[unit.pk]))
    period = deadlines.period_of(rule, due)
    definition = REGISTRY.get(schedule.report)
    expected = {u.pk for u in units}
    parts = [Figures.from_json(s.figures) for s in latest.values() if s.unit_id in expected]
    rolled = (
        rollup(
            sorted(parts, key=lambda f: f.unit_name),
            kind=schedule.report,
            version=definition.version if definition else 0,
            unit_id=schedule.unit.pk,
            unit_name=schedule.unit.name,
            period_start=period[0],
            period_end=period[1],
        )
        if parts
        else None
    )
    return DeadlineStatus(
        schedule=schedule,
        due=due,
        period=period,
        locked_at=deadlines.lock_at(due, schedule.lock_after_minutes),
        units=rows,
        rolled_up=rolled,
        counts=dict(counts),
    )


def recent_deadlines(
    rule: deadlines.Rule, *, now: dt.datetime, past: int = 6, ahead: int = 1
) -> list[dt.datetime]:
    """The last `past` deadlines before now and the next `ahead` ones, oldest first."""
    passed = list(deadlines.occurrences(rule, until=now))[-past:] if past else []
    coming: list[dt.datetime] = []
    for due in deadlines.occurrences(rule, after=now):
        if len(coming) >= ahead:
            break
        coming.append(due)
    return passed + coming


def completeness_series(
    schedule: ReportSchedule, dues: list[dt.datetime], *, now: dt.datetime
) -> list[tuple[dt.datetime, int, int, int]]:
    """(deadline, on time, late, missing) for each deadline: two queries."""
    expected = reporters(schedule).count()
    counts: dict[tuple[dt.datetime, str], int] = defaultdict(int)
    rows = (
        Submission.objects.filter(schedule=schedule, due_at__in=dues, version=1)
        .values_list("due_at", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for due, status, n in rows:
        counts[(deadlines.local(due), status)] += n
    out = []
    for due in dues:
        on_time, late = counts[(due, "on_time")], counts[(due, "late")]
        missing = expected - on_time - late if due <= now else 0
        out.append((due, on_time, late, max(missing, 0)))
    return out


def weekly_attendance(
    unit: OrgUnit, *, weeks: int, today: dt.date
) -> list[tuple[dt.date, float | None]]:
    """(Monday, session-based attendance %) for the last `weeks` weeks, from the roll
    calls' summaries (one query). A chart's series: roll calls taken on days later made
    a break still count here; the reports count through the calendar."""
    from dentruong.attendance.models import ClassDaySummary

    monday = today - dt.timedelta(days=today.weekday())
    first = monday - dt.timedelta(weeks=weeks - 1)
    sums: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0])
    for day, due, present in (
        ClassDaySummary.objects.filter(
            Q(school__unit__path__startswith=unit.path), date__range=(first, today)
        )
        .values_list("date")
        .annotate(due=Sum("enrolled"), present=Sum("present"))
        .order_by()
    ):
        week = day - dt.timedelta(days=day.weekday())
        sums[week][0] += due or 0
        sums[week][1] += present or 0
    out = []
    for i in range(weeks):
        week = first + dt.timedelta(weeks=i)
        due, present = sums[week]
        out.append((week, round(present * 100 / due, 1) if due else None))
    return out


def schedules_of_unit(unit: OrgUnit) -> QuerySet[ReportSchedule]:
    """Schedules a unit receives (its own) or reports to (an ancestor's, for its kind)."""
    return (
        ReportSchedule.objects.filter(
            Q(unit=unit) | Q(unit__path__in=unit.ancestor_paths()[:-1], reporter_kind=unit.kind)
        )
        .select_related("unit")
        .order_by("name", "pk")
    )
