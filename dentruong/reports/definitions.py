"""Report definitions: a registry of report kinds. Each is a function (unit, period) →
`Figures` computed from records by the apps' selectors (never typed), a version (stored
with every frozen submission), a title and the labels of its sections.

To plug in another kind (mobilization, outreach), write a `compute` function and
`register(Definition(...))` it from the module that owns the figures; nothing else in
this app changes: pages, API, exports and roll-ups work from `Figures` alone.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from dentruong.enrollment.codes import DropoutReason, EventKind, Period
from dentruong.orgs.models import Level, OrgUnit, UnitKind, level_of_grade
from dentruong.reports.figures import Figures, Row, section_from_rows

Compute = Callable[[OrgUnit, dt.date, dt.date, dt.date], Figures]


@dataclass(frozen=True)
class Definition:
    key: str
    version: int
    title: str | Promise  # the báo cáo's trích yếu, e.g. "Attendance of students"
    compute: Compute  # (unit, period start, period end, today) → Figures


REGISTRY: dict[str, Definition] = {}


def register(definition: Definition) -> Definition:
    REGISTRY[definition.key] = definition
    return definition


def get(key: str) -> Definition:
    return REGISTRY[key]


def choices() -> list[tuple[str, str]]:
    return [(d.key, str(d.title)) for d in REGISTRY.values()]


# --- labels (shown, never stored: a frozen submission keeps keys) ------------------------

SECTION_TITLES: dict[str, Any] = {
    "attendance_total": _("Attendance, whole unit"),
    "attendance_by_unit": _("Attendance by unit"),
    "attendance_by_level": _("Attendance by level"),
    "dropouts_in_period": _("Dropouts in the period, by level"),
    "dropouts_by_period": _("Dropouts of the school year, by period"),
    "dropouts_by_reason": _("Dropouts of the school year, by reason"),
    "dropouts_returned": _("Returned to school this school year"),
    "destinations": _("Lower-secondary graduates by destination"),
    "headcount": _("Head-count reconciliation"),
    "mobilization_by_grade": _("Mobilization against targets by grade"),
}

COLUMN_LABELS: dict[str, Any] = {
    "classes": _("Classes"),
    "headcount": _("Head count"),
    "sessions_due": _("Class-sessions due"),
    "roll_calls": _("Roll calls taken"),
    "due": _("Student-sessions"),
    "present": _("Present"),
    "late": _("Late (T)"),
    "excused": _("With leave (P)"),
    "unexcused": _("Without leave (K)"),
    "dropped_out": _("Dropped out"),
    "left_locality": _("Left the locality"),
    "total": _("Total"),
    "still_out": _("Still out"),
    "eligible": _("Eligible to continue"),
    "not_eligible": _("Not eligible to continue"),
    "graduates": _("Graduates"),
    "count": _("Number"),
    "start": _("Head count at start"),
    "ins": _("Entered"),
    "outs": _("Left"),
    "expected": _("Expected"),
    "end": _("Head count at end"),
    "not_reconciled": _("Units not reconciled"),
    "target": _("Target"),
    "enrolled": _("Enrolled"),
    "to_mobilize": _("Still to mobilise"),
    "residents": _("Resident children of the age"),
    "residents_enrolled": _("Of whom in school"),
}

RATE_LABELS: dict[str, Any] = {
    "attendance_rate": _("Attendance rate (%)"),
    "excused_rate": _("P (%)"),
    "unexcused_rate": _("K (%)"),
    "coverage_rate": _("Roll calls taken (%)"),
    "target_reached": _("Target reached (%)"),
}

PERIOD_LABELS: dict[str, Any] = dict(Period.choices) | {"after_tet": _("After Tết"), "": "?"}


def _figures(kind: str, unit: OrgUnit, start: dt.date, end: dt.date, **parts: Any) -> Figures:
    """The figures of `unit` for the period, stamped with the kind's registered version."""
    return Figures(
        kind=kind,
        version=get(kind).version,
        unit_id=unit.pk,
        unit_name=unit.name,
        period_start=start,
        period_end=end,
        **parts,
    )


def row_label(section: str, row: Row) -> str:
    """A row's label in the current language."""
    if row.label:
        return row.label
    if section.endswith("by_level") or section == "dropouts_in_period":
        return str(dict(Level.choices).get(row.key, row.key))
    if section == "dropouts_by_period":
        return str(PERIOD_LABELS.get(row.key, row.key))
    if section == "dropouts_by_reason":
        return (
            f"{row.key} · {dict(DropoutReason.choices)[row.key]}"
            if row.key in DropoutReason.values
            else str(_("Not given"))
        )
    if section == "mobilization_by_grade":
        return str(_("Grade %(g)s") % {"g": row.key})
    if section == "destinations":
        from dentruong.enrollment.codes import Destination

        return str(dict(Destination.choices).get(row.key, _("Not recorded")))
    return row.key


def child_kind(unit: OrgUnit) -> str:
    """Whose rows a unit's report lists: a province its communes, a commune its schools,
    a school its classes."""
    kinds: dict[str, str] = {UnitKind.PROVINCE: "commune", UnitKind.SCHOOL: "class"}
    return kinds.get(unit.kind, "school")


# --- attendance --------------------------------------------------------------------------

ATTENDANCE_COLUMNS = [
    "classes",
    "headcount",
    "sessions_due",
    "roll_calls",
    "due",
    "present",
    "late",
    "excused",
    "unexcused",
]
ATTENDANCE_RATES = [
    ("attendance_rate", "present", "due"),
    ("excused_rate", "excused", "due"),
    ("unexcused_rate", "unexcused", "due"),
    ("coverage_rate", "roll_calls", "sessions_due"),
]


def compute_attendance(unit: OrgUnit, start: dt.date, end: dt.date, today: dt.date) -> Figures:
    """Session-based attendance (attendance.selectors.attendance_rates, per class: 5
    queries) and one query for the classes' grades and schools; rows by the unit's
    children and by level are sums of the class rows."""
    from dentruong.attendance.selectors import attendance_rates

    report = attendance_rates(
        unit, date_from=start, date_to=end, today=today, group_by="class", students=False
    )
    info = {c.id: c for c in report.classes}
    kind = child_kind(unit)
    by_unit: dict[str, Row] = {}
    by_level: dict[str, Row] = {}
    for g in report.groups:
        c = info[g.id]
        values = (
            1,
            g.headcount,
            g.coverage.sessions_due,
            g.sessions.roll_calls,
            g.sessions.due,
            g.sessions.present,
            g.sessions.late,
            g.sessions.excused,
            g.sessions.unexcused,
        )
        if kind == "class":
            key, label = str(g.id), c.name
        elif kind == "school":
            key, label = str(c.school_id), c.school_name
        else:
            key, label = str(c.commune_id), c.commune_name
        row = by_unit.get(key)
        if row is None:
            row = by_unit[key] = Row(key, label, dict.fromkeys(ATTENDANCE_COLUMNS, 0))
        _add_to(row.values, values)
        level = level_of_grade(c.grade) if 0 <= c.grade <= 12 else ""
        lrow = by_level.get(level)
        if lrow is None:
            lrow = by_level[level] = Row(level, "", dict.fromkeys(ATTENDANCE_COLUMNS, 0))
        _add_to(lrow.values, values)
    units = sorted(by_unit.values(), key=lambda r: r.label)
    levels = [by_level[lv] for lv in Level.values if lv in by_level]
    total = section_from_rows(
        "attendance_total", ATTENDANCE_COLUMNS, units, mode="units", rates=ATTENDANCE_RATES
    )
    total.rows = []
    return _figures(
        "attendance",
        unit,
        start,
        end,
        sections=[
            total,
            section_from_rows(
                "attendance_by_unit",
                ATTENDANCE_COLUMNS,
                units,
                mode="units",
                rates=ATTENDANCE_RATES,
            ),
            section_from_rows(
                "attendance_by_level", ATTENDANCE_COLUMNS, levels, rates=ATTENDANCE_RATES
            ),
        ],
    )


def _add_to(total: dict[str, int], values: tuple[int, ...]) -> None:
    """Add `values` (in the order of ATTENDANCE_COLUMNS) to `total`, in place."""
    for column, value in zip(ATTENDANCE_COLUMNS, values, strict=True):
        total[column] += value


ATTENDANCE = register(Definition("attendance", 1, _("Attendance of students"), compute_attendance))


# --- dropouts ----------------------------------------------------------------------------


def compute_dropouts(unit: OrgUnit, start: dt.date, end: dt.date, today: dt.date) -> Figures:
    """Dropouts (thôi học, left the locality) from enrollment.selectors.dropout_report
    (two queries): in the period by level; for the school year up to the period's end by
    period (summer, term 1, term 2, after Tết) and reason; returns eligible or not."""
    from dentruong.enrollment.selectors import dropout_report

    report = dropout_report(unit.path, on=end)
    in_period = [r for r in report.recorded if start <= r.date <= end]
    still_out = {r.event_id for r in report.still_out}
    cols = ["dropped_out", "left_locality", "total", "still_out"]
    by_level: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(cols, 0))
    for r in in_period:
        v = by_level[r.level]
        v["dropped_out" if r.kind == EventKind.DROPPED_OUT else "left_locality"] += 1
        v["total"] += 1
        v["still_out"] += 1 if r.event_id in still_out else 0
    year = report.recorded_tally
    periods = [Row(p, "", {"total": year.by_period[p]}) for p in [*Period.values, "after_tet"] if p]
    periods[-1].values["total"] = year.after_tet
    reasons = [Row(code, "", {"total": n}) for code, n in sorted(year.by_reason.items())]
    returned = Row(
        "returned",
        "",
        {
            "eligible": len(report.returned_eligible),
            "not_eligible": len(report.returned_not_eligible),
        },
    )
    names = [
        {
            "student_id": r.student_id,
            "full_name": r.full_name,
            "date": r.date.isoformat(),
            "school": r.school_name,
            "class": r.class_name,
            "kind": r.kind,
            "reason_code": r.reason_code,
        }
        for r in in_period
    ]
    return _figures(
        "dropouts",
        unit,
        start,
        end,
        sections=[
            section_from_rows(
                "dropouts_in_period",
                cols,
                [Row(lv, "", by_level[lv]) for lv in Level.values if lv in by_level],
            ),
            section_from_rows("dropouts_by_period", ["total"], periods),
            section_from_rows("dropouts_by_reason", ["total"], reasons),
            section_from_rows("dropouts_returned", ["eligible", "not_eligible"], [returned]),
        ],
        names=names,
    )


DROPOUTS = register(Definition("dropouts", 1, _("Students who dropped out"), compute_dropouts))


# --- destinations of lower-secondary graduates --------------------------------------------


def compute_destinations(unit: OrgUnit, start: dt.date, end: dt.date, today: dt.date) -> Figures:
    """Graduates of grade 9 of the school year the period ends in who studied in the
    unit's schools, by destination (enrollment.selectors.destination_report: one query).
    Counted where they studied, not also where they live, so that a commune's figures add
    up to the province's (the register's own page lists residents who studied elsewhere)."""
    from dentruong.enrollment.codes import Destination
    from dentruong.enrollment.selectors import default_school_year, destination_report

    report = destination_report(unit.path, school_year=default_school_year(end), residents=False)
    counts = report.by_destination
    rows = [Row(d, "", {"count": counts.get(d, 0)}) for d in Destination.values]
    if counts.get(""):
        rows.append(Row("", "", {"count": counts[""]}))
    return _figures(
        "destinations",
        unit,
        start,
        end,
        sections=[section_from_rows("destinations", ["count"], rows)],
        names=[
            {"student_id": g.student_id, "full_name": g.full_name, "school": g.school_name}
            for g in report.not_studying
        ],
    )


DESTINATIONS = register(
    Definition(
        "destinations",
        2,  # 2: counted where they studied only (1 also counted residents)
        _("Destinations of lower-secondary graduates"),
        compute_destinations,
    )
)


# --- head-count reconciliation ------------------------------------------------------------


def compute_headcount(unit: OrgUnit, start: dt.date, end: dt.date, today: dt.date) -> Figures:
    """Per school: head count at the start + entries − departures = head count at the end?
    (enrollment.selectors.headcount_check: five queries, three more when one fails)."""
    from dentruong.enrollment.selectors import headcount_check

    check = headcount_check(unit.path, date_from=start, date_to=end)
    cols = ["start", "ins", "outs", "expected", "end", "not_reconciled"]
    rows = [
        Row(
            str(s.id),
            s.name,
            {
                "start": s.balance.start,
                "ins": sum(s.balance.ins.values()),
                "outs": sum(s.balance.outs.values()) + s.balance.moved_out,
                "expected": s.balance.expected,
                "end": s.balance.end,
                "not_reconciled": 0 if s.balance.holds else 1,
            },
        )
        for s in check.schools
    ]
    return _figures(
        "headcount",
        unit,
        start,
        end,
        sections=[section_from_rows("headcount", cols, rows, mode="units")],
        names=[
            {"student_id": m.student_id, "full_name": m.full_name, "problem": m.problem}
            for s in check.schools
            for m in s.students
        ],
    )


HEADCOUNT = register(Definition("headcount", 1, _("Head-count reconciliation"), compute_headcount))


# --- mobilization against targets (dentruong/mobilization, when installed) ---------------

MOBILIZATION_COLUMNS = ["target", "enrolled", "to_mobilize", "residents", "residents_enrolled"]


def compute_mobilization(unit: OrgUnit, start: dt.date, end: dt.date, today: dt.date) -> Figures:
    """Per grade: target, enrolled on the period's last day, still to mobilise, resident
    children of the grade's age and how many of them are in school
    (mobilization.selectors.mobilization_report: eight queries). A grade without a
    target counts 0 towards the target."""
    from dentruong.enrollment.selectors import default_school_year
    from dentruong.mobilization.selectors import mobilization_report

    report = mobilization_report(unit.path, school_year=default_school_year(end), on=end)
    rows = [
        Row(
            str(g.grade),
            "",
            {
                "target": g.target or 0,
                "enrolled": g.enrolled,
                "to_mobilize": g.to_mobilize or 0,
                "residents": g.residents,
                "residents_enrolled": g.residents_enrolled,
            },
        )
        for g in report.grades
        if g.target or g.enrolled or g.residents
    ]
    return _figures(
        "mobilization",
        unit,
        start,
        end,
        sections=[
            section_from_rows(
                "mobilization_by_grade",
                MOBILIZATION_COLUMNS,
                rows,
                rates=[("target_reached", "enrolled", "target")],
            )
        ],
    )


def _mobilization_installed() -> bool:
    from django.apps import apps

    return apps.is_installed("dentruong.mobilization")


if _mobilization_installed():
    register(
        Definition(
            "mobilization", 1, _("Mobilization against targets by grade"), compute_mobilization
        )
    )
