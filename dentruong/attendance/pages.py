"""Attendance pages beyond the roll call: the monthly attendance sheet of a class (on
screen and as Excel, one class or every class of a school), and the leaders' pages of a
unit (roll-call completeness, rates, lists of students to follow up).

Thin: objects through the access helpers, reads through `sheet` and `selectors`,
parameters through `params` (the same checks as the API).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from dentruong.accounts.scopes import scope_for
from dentruong.attendance import params, selectors
from dentruong.attendance.access import can_read_marks, get_class_for_attendance
from dentruong.attendance.models import AbsenceCode
from dentruong.attendance.services import VN_TZ, local_today
from dentruong.attendance.sheet import (
    NOT_ENROLLED,
    NOT_TAKEN,
    PRESENT,
    BadMonth,
    Sheet,
    cell_legend,
    monthly_sheet,
    monthly_sheets,
    next_month,
    parse_month,
    previous_month,
    school_classes_for_sheets,
    sheets_workbook,
    weekday_labels,
)
from dentruong.audit.exports import export_stamp, record_export
from dentruong.lib import vntext
from dentruong.orgs.access import get_school_for_user, get_unit_for_user
from dentruong.orgs.models import LEVEL_GRADES, OrgUnit, School, Session, UnitKind
from dentruong.people.access import students_for_user

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# cell code → (what the screen shows, its CSS class)
CELL_DISPLAY = {
    AbsenceCode.EXCUSED.value: ("P", "c-p"),
    AbsenceCode.UNEXCUSED.value: ("K", "c-k"),
    AbsenceCode.LATE.value: ("T", "c-t"),
    PRESENT: ("·", "c-in"),
    NOT_TAKEN: ("?", "c-missing"),
    NOT_ENROLLED: ("–", "c-out"),
    "": ("", ""),
}


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "attendance/forbidden.html", {"message": message}, status=403)


def _month_url(pk: int, month: Any) -> str:
    return reverse("attendance-sheet", args=[pk, f"{month:%Y-%m}"])


def _slug(text: str) -> str:
    """An ASCII file-name part ('Lớp 3A' → 'Lop-3A')."""
    return re.sub(r"[^A-Za-z0-9]+", "-", vntext.fold(text)).strip("-") or "lop"


def _grid(sheet: Sheet) -> list[tuple[Any, list[tuple[str, str]]]]:
    """Each row with its cells as (text, CSS classes): the template stays a plain loop."""
    off = ["off" if not c.school_day else "" for c in sheet.columns]
    out = []
    for row in sheet.rows:
        cells = []
        for i, code in enumerate(row.cells):
            text, css = CELL_DISPLAY[code]
            cells.append((text, f"{css} {off[i]}".strip()))
        out.append((row, cells))
    return out


@login_required
@require_GET
def attendance_sheet(request: HttpRequest, pk: int, month: str | None = None) -> HttpResponse:
    """The monthly attendance sheet of a class: students × days, like the paper register.
    Without a month: this month (or ?month=YYYY-MM from the month picker)."""
    school_class = get_class_for_attendance(request.user, pk)
    if not can_read_marks(request.user):
        return _forbidden(request, _("You may not see the marks of this class."))
    today = local_today()
    raw = month if month is not None else request.GET.get("month", "")
    try:
        first = parse_month(raw) if raw else today.replace(day=1)
    except BadMonth as bad:
        ctx = {
            "school_class": school_class,
            "error": bad.message,
            "this_month_url": _month_url(pk, today),
        }
        return render(request, "attendance/sheet.html", ctx, status=400)
    if month is None and raw:
        return redirect(_month_url(pk, first))
    sheet = monthly_sheet(school_class, first, today=today)
    weekdays = weekday_labels()
    ctx = {
        "school_class": school_class,
        "sheet": sheet,
        "grid": _grid(sheet),
        "today": today,
        "month_value": f"{first:%Y-%m}",
        "previous_url": _month_url(pk, previous_month(first)),
        "next_url": _month_url(pk, next_month(first)) if next_month(first) <= today else "",
        "this_month_url": _month_url(pk, today) if first != today.replace(day=1) else "",
        "xlsx_url": reverse("attendance-sheet-xlsx", args=[pk, f"{first:%Y-%m}"]),
        "school_xlsx_url": reverse(
            "school-attendance-xlsx", args=[school_class.school_id, f"{first:%Y-%m}"]
        ),
        "legend": [(CELL_DISPLAY[code][0], text) for code, text in cell_legend().items() if code],
        "two_sessions": len(sheet.sessions) > 1,
        "day_heads": [(day, cols, weekdays[day.weekday()]) for day, cols in sheet.days],
    }
    return render(request, "attendance/sheet.html", ctx)


def _xlsx_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _bad_month(request: HttpRequest, bad: BadMonth) -> HttpResponse:
    return render(request, "attendance/forbidden.html", {"message": bad.message}, status=400)


@login_required
@require_GET
def attendance_sheet_xlsx(request: HttpRequest, pk: int, month: str) -> HttpResponse:
    """The monthly attendance sheet of a class as an Excel file."""
    school_class = get_class_for_attendance(request.user, pk)
    if not can_read_marks(request.user):
        return _forbidden(request, _("You may not see the marks of this class."))
    try:
        first = parse_month(month)
    except BadMonth as bad:
        return _bad_month(request, bad)
    stamp = export_stamp(request, object_type="class", object_id=school_class.pk, detail="xlsx")
    sheet = monthly_sheet(school_class, first, today=local_today())
    name = f"diem-danh-{_slug(school_class.name)}-{first:%Y-%m}.xlsx"
    body = sheets_workbook([sheet], stamp=stamp)
    record_export(stamp)
    return _xlsx_response(body, name)


@login_required
@require_GET
def school_attendance_xlsx(request: HttpRequest, pk: int, month: str) -> HttpResponse:
    """Every class of a school that the user sees, one worksheet each, for one month."""
    try:
        first = parse_month(month)
    except BadMonth as bad:
        get_school_for_user(request.user, pk)  # out of scope: 404 before anything else
        return _bad_month(request, bad)
    school, classes = school_classes_for_sheets(request.user, pk, first)
    if not can_read_marks(request.user):
        return _forbidden(request, _("You may not see the marks of this class."))
    stamp = export_stamp(request, object_type="school", object_id=school.pk, detail="xlsx")
    sheets = monthly_sheets(classes, first, today=local_today())
    name = f"diem-danh-{_slug(school.name)}-{first:%Y-%m}.xlsx"
    body = sheets_workbook(sheets, stamp=stamp)
    record_export(stamp)
    return _xlsx_response(body, name)


# --- The leaders' pages of a unit (province, commune, school) -------------------------------
# A unit out of the user's scope is 404 (get_unit_for_user). Filters are GET forms; htmx
# swaps the results alone (`…html#results`). Parameters are checked by `params`, as in
# the API operations of the same reports.

LIST_LIMIT = 500  # items shown per list (the total is always given)
CHILD_GROUP = {
    UnitKind.PROVINCE: "commune",
    UnitKind.DISTRICT: "school",
    UnitKind.COMMUNE: "school",
    UnitKind.SCHOOL: "class",
}


def _template(request: HttpRequest, name: str) -> str:
    htmx = getattr(request, "htmx", None)
    return f"{name}#results" if htmx else name


def _unit_ctx(unit: OrgUnit, current: str) -> dict[str, Any]:
    return {
        "unit": unit,
        "current": current,
        "tabs": [
            ("completeness", reverse("unit-completeness", args=[unit.pk]), _("Roll calls taken")),
            ("rates", reverse("unit-rates", args=[unit.pk]), _("Attendance rates")),
            ("lists", reverse("unit-absence-lists", args=[unit.pk]), _("Students to follow up")),
        ],
    }


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{number_format(value * 100, 1)} %"


@dataclass
class GapGroup:
    """Completeness counts of a school or a commune."""

    id: int
    name: str
    classes: int = 0
    session_due: int = 0
    session_missing: int = 0
    today_due: int = 0
    today_missing: int = 0
    week_due: int = 0
    week_missing: int = 0
    missing: list[selectors.ClassGaps] = field(default_factory=list)

    def add(self, gap: selectors.ClassGaps) -> None:
        self.classes += 1
        self.session_due += gap.session_due
        self.session_missing += gap.session_missing
        self.today_due += bool(gap.today_due)
        self.today_missing += bool(gap.today_missing)
        self.week_due += gap.week_due
        self.week_missing += len(gap.week_missing)
        if gap.owes:
            self.missing.append(gap)


@login_required
@require_GET
def unit_completeness(request: HttpRequest, pk: int) -> HttpResponse:
    """Which classes of the unit have not taken the roll call: this session, today, this
    week; per commune and per school, with each class's homeroom teacher."""
    unit = get_unit_for_user(request.user, pk)
    ctx = _unit_ctx(unit, "completeness")
    today = local_today()
    ctx |= {"today": today, "sessions": Session.choices, "form": request.GET}
    try:
        day, session = params.completeness_query(
            date=params.parse_date(request.GET.get("date"), "date"),
            session=request.GET.get("session") or None,
            today=today,
            now=timezone.now().astimezone(VN_TZ),
        )
    except params.ParamError as bad:
        ctx["error"] = bad.message
        return render(request, _template(request, "attendance/unit_completeness.html"), ctx)
    found = selectors.roll_call_completeness(unit.path, day=day, session=session)
    total = GapGroup(unit.pk, unit.name)
    schools: dict[int, GapGroup] = {}
    communes: dict[int, GapGroup] = {}
    for gap in found.classes:
        info = gap.info
        total.add(gap)
        schools.setdefault(info.school_id, GapGroup(info.school_id, info.school_name)).add(gap)
        communes.setdefault(info.commune_id, GapGroup(info.commune_id, info.commune_name)).add(gap)
    ctx |= {
        "day": day,
        "session": session,
        "session_label": Session(session).label,
        "week_start": found.week_start,
        "total": total,
        "communes": list(communes.values()) if len(communes) > 1 else [],
        "schools": list(schools.values()),
        "no_calendar": len(found.no_calendar),
    }
    return render(request, _template(request, "attendance/unit_completeness.html"), ctx)


@dataclass(frozen=True)
class RateLine:
    row: selectors.GroupRate
    url: str
    rate: str
    excused_rate: str
    unexcused_rate: str
    coverage: str
    student_rate: str
    student_unexcused_rate: str


def _rate_line(row: selectors.GroupRate, url: str) -> RateLine:
    st = row.students
    return RateLine(
        row=row,
        url=url,
        rate=_pct(row.sessions.rate),
        excused_rate=_pct(row.sessions.excused_rate),
        unexcused_rate=_pct(row.sessions.unexcused_rate),
        coverage=_pct(row.coverage.rate),
        student_rate=_pct(st.rate) if st else "",
        student_unexcused_rate=_pct(st.unexcused_rate) if st else "",
    )


@login_required
@require_GET
def unit_rates(request: HttpRequest, pk: int) -> HttpResponse:
    """Attendance rates of the unit and of each unit below it (province → communes →
    schools → classes), with filters: level, grade, date range, N for the student-based
    rate. Each row links one level down (a class to its monthly sheet)."""
    unit = get_unit_for_user(request.user, pk)
    ctx = _unit_ctx(unit, "rates")
    group_by = CHILD_GROUP.get(UnitKind(unit.kind), "school")
    get = request.GET
    with_students = get.get("students", "0" if unit.kind == UnitKind.PROVINCE else "1") == "1"
    ctx |= {
        "form": get,
        "levels": [(str(level), str(level)) for level in LEVEL_GRADES],
        "grades": list(range(0, 13)),
        "with_students": with_students,
        "group_by": group_by,
    }
    try:
        max_absences = params.parse_int(get.get("max_absences"), "max_absences")
        query = params.rate_query(
            date_from=params.parse_date(get.get("date_from"), "date_from"),
            date_to=params.parse_date(get.get("date_to"), "date_to"),
            group_by=group_by,
            level=get.get("level") or None,
            grade=params.parse_int(get.get("grade"), "grade"),
            max_absences=params.MAX_ABSENCES_DEFAULT if max_absences is None else max_absences,
            today=local_today(),
        )
    except params.ParamError as bad:
        ctx["error"] = bad.message
        return render(request, _template(request, "attendance/unit_rates.html"), ctx)
    report = selectors.attendance_rates(
        unit,
        date_from=query.date_from,
        date_to=query.date_to,
        today=local_today(),
        group_by=group_by,
        level=query.level,
        grade=query.grade,
        max_absences=query.max_absences,
        students=with_students,
    )
    keep = get.copy()
    keep.pop("date_from", None)
    keep.pop("date_to", None)
    keep["date_from"], keep["date_to"] = f"{query.date_from}", f"{query.date_to}"
    suffix = f"?{keep.urlencode()}"
    units: dict[int, int] = {}
    if group_by == "school":
        ids = [row.id for row in report.groups]
        units = dict(School.objects.filter(pk__in=ids).values_list("pk", "unit_id"))

    def link(row: selectors.GroupRate) -> str:
        if group_by == "commune":
            return reverse("unit-rates", args=[row.id]) + suffix
        if group_by == "school":
            return reverse("unit-rates", args=[units[row.id]]) + suffix if row.id in units else ""
        return reverse("attendance-sheet", args=[row.id, f"{report.until:%Y-%m}"])

    ctx |= {
        "report": report,
        "query": query,
        "total": _rate_line(report.total, ""),
        "lines": [_rate_line(row, link(row)) for row in report.groups],
        "parent_url": _parent_url(request, unit, suffix),
    }
    return render(request, _template(request, "attendance/unit_rates.html"), ctx)


def _parent_url(request: HttpRequest, unit: OrgUnit, suffix: str) -> str:
    """The rates page of the unit above, if the user sees it (no query: from the scope)."""
    if unit.parent_id is None:
        return ""
    parent_path = unit.path[: unit.path.rstrip("/").rfind("/") + 1]
    if not parent_path or not scope_for(request.user).covers_path(parent_path):
        return ""
    return reverse("unit-rates", args=[unit.parent_id]) + suffix


@login_required
@require_GET
def unit_absence_lists(request: HttpRequest, pk: int) -> HttpResponse:
    """The students of the unit to follow up: N+ consecutive unexcused absences, not back
    after Tết or another break of 5+ days, nearing the limit of 45 absences."""
    unit = get_unit_for_user(request.user, pk)
    if not can_read_marks(request.user):
        return _forbidden(request, _("You may not see students' attendance here."))
    ctx = _unit_ctx(unit, "lists")
    get = request.GET
    kind = get.get("kind") or "consecutive"
    ctx |= {
        "form": get,
        "kind": kind,
        "kinds": [
            ("consecutive", _("Consecutive unexcused absences")),
            ("after_break", _("Not back after a break")),
            ("near_limit", _("Nearing the 45-absence limit")),
        ],
        "n_value": get.get("n") or params.LIST_N.get(kind, (3, 1, 1))[0],
    }
    try:
        query = params.list_query(
            kind=kind,
            n=params.parse_int(get.get("n"), "n"),
            date=params.parse_date(get.get("date"), "date"),
            date_from=params.parse_date(get.get("date_from"), "date_from"),
            today=local_today(),
        )
    except params.ParamError as bad:
        ctx["error"] = bad.message
        return render(request, _template(request, "attendance/unit_lists.html"), ctx)
    visible = students_for_user(request.user)
    if query.kind == "consecutive" and query.date_from is not None:
        items = selectors.consecutive_unexcused(
            unit.path, visible=visible, date_from=query.date_from, date_to=query.day, n=query.n
        )
        total = len(items)
    elif query.kind == "after_break":
        items = selectors.not_back_after_break(unit.path, visible=visible, day=query.day, n=query.n)
        total = len(items)
    else:
        items, total = selectors.near_absence_limit(
            unit.path, visible=visible, day=query.day, threshold=query.n, limit=LIST_LIMIT
        )
    ctx |= {
        "query": query,
        "items": items[:LIST_LIMIT],
        "total": total,
        "truncated": total > LIST_LIMIT,
        "sheet_month": f"{query.day:%Y-%m}",
    }
    return render(request, _template(request, "attendance/unit_lists.html"), ctx)
