"""The monthly attendance sheet of a class (sổ điểm danh): the paper register, students ×
days of one month, each cell P / K / T, present, no roll call taken, not enrolled, or
nothing (not a school day, not yet).

- Roster: every student enrolled in the class at some time in the month (`Enrollment`
  dates), in Vietnamese order (`Student.sort_key`). A student who joined after the 1st has
  `joined` set and "not enrolled" cells before it; one who left has `left` (their last day
  in the class) and "not enrolled" cells after it.
- Columns: every day of the month × the sessions the class holds; which are school days
  comes from the class's calendar (`orgs/calendar.py`, resolved as `calendar_for_class`).
- Marks: the current `Absence` rows (a correction replaces them), on school days only, as
  every rate counts them; head counts per column from `ClassDaySummary`.

Queries are fixed whatever the number of classes and students (tests pin them): calendars
(2), homeroom teachers (1), enrolments with their students (1), absences (1), summaries
(1). Rows come back as tuples (`values_list`), never as model instances.
"""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
import io
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from dentruong.accounts.models import User
from dentruong.attendance.access import AnyUser
from dentruong.attendance.models import Absence, AbsenceCode, ClassDaySummary
from dentruong.attendance.rates import school_year_of
from dentruong.attendance.selectors import Calendars, scope_calendars
from dentruong.audit.exports import ExportStamp
from dentruong.enrollment.models import Enrollment
from dentruong.lib.xlsx import text_cell
from dentruong.orgs.access import classes_for_user, get_school_for_user
from dentruong.orgs.calendar import CalendarSpec
from dentruong.orgs.models import School, SchoolClass

ONE_DAY = dt.timedelta(days=1)

# What a cell holds.
PRESENT = "+"  # the roll call was taken and the student was not marked
NOT_TAKEN = "?"  # a school day up to today whose roll call was not taken
NOT_ENROLLED = "-"  # a school day on which the student was not in the class
BLANK = ""  # not a school day, or not yet
CELL_CODES = (
    AbsenceCode.EXCUSED.value,
    AbsenceCode.UNEXCUSED.value,
    AbsenceCode.LATE.value,
    PRESENT,
    NOT_TAKEN,
    NOT_ENROLLED,
    BLANK,
)

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
FIRST_YEAR, LAST_YEAR = 2000, 2100


class BadMonth(ValueError):
    """A month that is not YYYY-MM (with a translated message)."""

    code = "invalid_month"

    def __init__(self, raw: str) -> None:
        self.message = _("“%(value)s” is not a month: write it as YYYY-MM, e.g. 2027-03.") % {
            "value": raw[:20]
        }
        super().__init__(self.message)


def parse_month(raw: str) -> dt.date:
    """'2027-03' → 1 March 2027; anything else raises BadMonth."""
    found = MONTH_RE.match(raw or "")
    if not found:
        raise BadMonth(raw or "")
    year, month = int(found[1]), int(found[2])
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
        raise BadMonth(raw)
    return dt.date(year, month, 1)


def month_end(month: dt.date) -> dt.date:
    return month.replace(day=pycalendar.monthrange(month.year, month.month)[1])


def previous_month(month: dt.date) -> dt.date:
    return (month - ONE_DAY).replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return month_end(month) + ONE_DAY


def cell_legend() -> dict[str, str]:
    """What each cell code means (translated)."""
    return {
        AbsenceCode.EXCUSED.value: _("absent with leave"),
        AbsenceCode.UNEXCUSED.value: _("absent without leave"),
        AbsenceCode.LATE.value: _("late (counted present)"),
        PRESENT: _("present"),
        NOT_TAKEN: _("no roll call taken"),
        NOT_ENROLLED: _("not in the class that day"),
        BLANK: _("not a school day, or not yet"),
    }


@dataclass(frozen=True)
class SheetColumn:
    """One session of one day of the month."""

    date: dt.date
    session: str
    school_day: bool
    due: bool  # a school day up to today: its roll call is owed
    taken: bool
    enrolled: int | None  # sĩ số: the summary's, else counted from the enrolments
    present: int | None  # from the summary; None without a roll call
    late: int | None
    excused: int | None
    unexcused: int | None

    @property
    def weekend(self) -> bool:
        return self.date.weekday() >= 5


@dataclass(frozen=True)
class SheetRow:
    student_id: int
    family_and_middle_name: str
    given_name: str
    joined: dt.date | None  # first day in the class, when after the 1st of the month
    left: dt.date | None  # last day in the class, when before the end of the month
    cells: list[str]
    excused: int
    unexcused: int
    late: int

    @property
    def full_name(self) -> str:
        return f"{self.family_and_middle_name} {self.given_name}".strip()

    @property
    def absent(self) -> int:
        return self.excused + self.unexcused


@dataclass
class Sheet:
    class_id: int
    class_name: str
    grade: int
    school_id: int
    school_name: str
    school_year: str
    teacher_name: str
    month: dt.date
    sessions: tuple[str, ...]
    no_calendar: bool
    columns: list[SheetColumn] = field(default_factory=list)
    rows: list[SheetRow] = field(default_factory=list)

    @property
    def school_days(self) -> int:
        return len({c.date for c in self.columns if c.school_day})

    @property
    def roll_calls_due(self) -> int:
        return sum(c.due for c in self.columns)

    @property
    def roll_calls_taken(self) -> int:
        return sum(c.due and c.taken for c in self.columns)

    @property
    def excused(self) -> int:
        return sum(r.excused for r in self.rows)

    @property
    def unexcused(self) -> int:
        return sum(r.unexcused for r in self.rows)

    @property
    def late(self) -> int:
        return sum(r.late for r in self.rows)

    @property
    def days(self) -> list[tuple[dt.date, list[SheetColumn]]]:
        """The columns grouped by day, in order (for a two-row header)."""
        out: list[tuple[dt.date, list[SheetColumn]]] = []
        for column in self.columns:
            if out and out[-1][0] == column.date:
                out[-1][1].append(column)
            else:
                out.append((column.date, [column]))
        return out


def monthly_sheet(school_class: SchoolClass, month: dt.date, *, today: dt.date) -> Sheet:
    """The sheet of one class (`school.unit` and `school_year` loaded, as the attendance
    access helper does)."""
    return monthly_sheets([school_class], month, today=today)[0]


def monthly_sheets(
    classes: Sequence[SchoolClass], month: dt.date, *, today: dt.date
) -> list[Sheet]:
    """The sheets of several classes for the month starting on `month`, in the order of
    `classes` (each with `school.unit` and `school_year` loaded). Six queries whatever
    their number (five when no class has a homeroom teacher; none for no class)."""
    if not classes:
        return []
    first, last = month, month_end(month)
    class_ids = [c.pk for c in classes]
    calendars = _calendars(classes)
    teachers = _teacher_names(classes)
    roster = _roster(class_ids, first, last)
    marks = _marks(class_ids, first, last)
    summaries = _summaries(class_ids, first, last)
    days = [first + dt.timedelta(days=i) for i in range(last.day)]
    return [
        _build(
            school_class,
            days,
            today,
            calendars.spec(
                school_class.school_year_id, school_class.school.unit.path, school_class.weekdays
            ),
            teachers.get(school_class.homeroom_teacher_id or 0, ""),
            roster.get(school_class.pk, {}),
            marks.get(school_class.pk, {}),
            summaries.get(school_class.pk, {}),
        )
        for school_class in classes
    ]


def school_classes_for_sheets(
    user: AnyUser, school_pk: int, month: dt.date
) -> tuple[School, list[SchoolClass]]:
    """The school (Http404 out of scope) and those of its classes of the month's school
    year that the user sees, by grade and name (two queries)."""
    school = get_school_for_user(user, school_pk)
    classes = list(
        classes_for_user(user)
        .filter(school=school, school_year__start_year=school_year_of(month))
        .select_related("school__unit", "school_year")
        .order_by("grade", "name", "pk")
    )
    return school, classes


# --- the queries ---------------------------------------------------------------------------


def _calendars(classes: Sequence[SchoolClass]) -> Calendars:
    """The calendars of the classes' province(s) for their school years (two queries)."""
    roots = {c.school.unit.path.split("/")[0] + "/" for c in classes}
    years = {c.school_year_id for c in classes}
    if len(roots) == 1:
        return scope_calendars(roots.pop(), years)
    return scope_calendars("", years)


def _teacher_names(classes: Sequence[SchoolClass]) -> dict[int, str]:
    ids = {c.homeroom_teacher_id for c in classes if c.homeroom_teacher_id}
    if not ids:
        return {}
    return {
        pk: full_name or username
        for pk, full_name, username in User.objects.filter(pk__in=ids).values_list(
            "pk", "full_name", "username"
        )
    }


# (student id, family and middle name, given name, sort key, [(start, end)])
_Student = tuple[int, str, str, str, list[tuple[dt.date, dt.date | None]]]


def _roster(class_ids: list[int], first: dt.date, last: dt.date) -> dict[int, dict[int, _Student]]:
    """class id → student id → the student and their enrolments in the class overlapping
    the month (a student may leave and come back)."""
    rows = (
        Enrollment.objects.filter(school_class_id__in=class_ids, start_date__lte=last)
        .filter(Q(end_date__isnull=True) | Q(end_date__gt=first))
        .values_list(
            "school_class_id",
            "student_id",
            "start_date",
            "end_date",
            "student__family_and_middle_name",
            "student__given_name",
            "student__sort_key",
        )
        .order_by()
    )
    out: dict[int, dict[int, _Student]] = defaultdict(dict)
    for class_id, student_id, start, end, family, given, key in rows:
        found = out[class_id].get(student_id)
        if found is None:
            out[class_id][student_id] = (student_id, family, given, key, [(start, end)])
        else:
            found[4].append((start, end))
    return out


def _marks(
    class_ids: list[int], first: dt.date, last: dt.date
) -> dict[int, dict[int, list[tuple[dt.date, str, str]]]]:
    """class id → student id → [(date, session, code)] of the month."""
    rows = (
        Absence.objects.filter(
            roll_call__school_class_id__in=class_ids, roll_call__date__range=(first, last)
        )
        .values_list(
            "roll_call__school_class_id", "student_id", "date", "roll_call__session", "code"
        )
        .order_by()
    )
    out: dict[int, dict[int, list[tuple[dt.date, str, str]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for class_id, student_id, day, session, code in rows:
        out[class_id][student_id].append((day, session, code))
    return out


_Summary = tuple[int, int, int, int, int]  # enrolled, present, late, excused, unexcused


def _summaries(
    class_ids: list[int], first: dt.date, last: dt.date
) -> dict[int, dict[tuple[dt.date, str], _Summary]]:
    rows = (
        ClassDaySummary.objects.filter(school_class_id__in=class_ids, date__range=(first, last))
        .values_list(
            "school_class_id",
            "date",
            "session",
            "enrolled",
            "present",
            "late",
            "excused",
            "unexcused",
        )
        .order_by()
    )
    out: dict[int, dict[tuple[dt.date, str], _Summary]] = defaultdict(dict)
    for class_id, day, session, *counts in rows:
        out[class_id][(day, session)] = (counts[0], counts[1], counts[2], counts[3], counts[4])
    return out


# --- the grid -------------------------------------------------------------------------------


def _enrolled_days(spans: list[tuple[dt.date, dt.date | None]], days: list[dt.date]) -> list[bool]:
    return [any(s <= d and (e is None or d < e) for s, e in spans) for d in days]


def _build(
    school_class: SchoolClass,
    days: list[dt.date],
    today: dt.date,
    spec: CalendarSpec | None,
    teacher: str,
    roster: dict[int, _Student],
    marks: dict[int, list[tuple[dt.date, str, str]]],
    summaries: dict[tuple[dt.date, str], _Summary],
) -> Sheet:
    sessions = tuple(school_class.sessions)
    n_sessions = len(sessions)
    school_day = [spec is not None and spec.is_school_day(d) for d in days]
    students = sorted(roster.values(), key=lambda s: (s[3], s[0]))
    presence = {s[0]: _enrolled_days(s[4], days) for s in students}

    columns: list[SheetColumn] = []
    base: list[str] = []  # each column's cell for an enrolled, unmarked student
    index: dict[tuple[dt.date, str], int] = {}
    for i, day in enumerate(days):
        due = school_day[i] and day <= today
        headcount = sum(p[i] for p in presence.values()) if school_day[i] else None
        for session in sessions:
            summary = summaries.get((day, session)) if school_day[i] else None
            index[(day, session)] = len(columns)
            columns.append(
                SheetColumn(
                    date=day,
                    session=session,
                    school_day=school_day[i],
                    due=due,
                    taken=summary is not None,
                    enrolled=summary[0] if summary else headcount,
                    present=summary[1] if summary else None,
                    late=summary[2] if summary else None,
                    excused=summary[3] if summary else None,
                    unexcused=summary[4] if summary else None,
                )
            )
            base.append(BLANK if not due else PRESENT if summary else NOT_TAKEN)

    rows = []
    for student_id, family, given, _key, _spans in students:
        cells = base.copy()
        here = presence[student_id]
        joined = left = None
        if not all(here):
            inside = [i for i, h in enumerate(here) if h]
            if inside and inside[0] > 0:
                joined = days[inside[0]]
            if inside and inside[-1] < len(days) - 1:
                left = days[inside[-1]]
            for i, h in enumerate(here):
                if not h:
                    at = i * n_sessions
                    for j in range(at, at + n_sessions):
                        if cells[j]:
                            cells[j] = NOT_ENROLLED
        counts = {AbsenceCode.EXCUSED.value: 0, AbsenceCode.UNEXCUSED.value: 0, "T": 0}
        for day, session, code in marks.get(student_id, ()):
            column = index.get((day, session))
            if column is not None and cells[column]:  # a school day up to today
                cells[column] = code
                counts[code] += 1
        rows.append(
            SheetRow(
                student_id=student_id,
                family_and_middle_name=family,
                given_name=given,
                joined=joined,
                left=left,
                cells=cells,
                excused=counts[AbsenceCode.EXCUSED.value],
                unexcused=counts[AbsenceCode.UNEXCUSED.value],
                late=counts["T"],
            )
        )
    return Sheet(
        class_id=school_class.pk,
        class_name=school_class.name,
        grade=school_class.grade,
        school_id=school_class.school_id,
        school_name=school_class.school.name,
        school_year=str(school_class.school_year),
        teacher_name=teacher,
        month=days[0],
        sessions=sessions,
        no_calendar=spec is None,
        columns=columns,
        rows=rows,
    )


# --- Excel ----------------------------------------------------------------------------------

SHEET_TITLE_MAX = 31  # Excel's limit on a worksheet's name
HEADER_ROWS = 9  # title, school, class, year, teacher, legend, blank, days, weekdays
_TITLE_BAD = re.compile(r"[\[\]:*?/\\']")


def sheet_titles(names: Sequence[str]) -> list[str]:
    """Worksheet names for `names`: Excel's forbidden characters replaced, at most 31
    characters, unique (a suffix ' (2)', ' (3)'… where two would clash)."""
    out: list[str] = []
    seen: set[str] = set()
    for name in names:
        base = _TITLE_BAD.sub("-", name).strip() or "-"
        title = base[:SHEET_TITLE_MAX]
        n = 1
        while title.casefold() in seen:
            n += 1
            suffix = f" ({n})"
            title = base[: SHEET_TITLE_MAX - len(suffix)] + suffix
        seen.add(title.casefold())
        out.append(title)
    return out


def sheets_workbook(
    sheets: Sequence[Sheet],
    titles: Sequence[str] | None = None,
    *,
    stamp: ExportStamp | None = None,
) -> bytes:
    """An .xlsx file with one worksheet per sheet (openpyxl, write-only: rows are streamed).
    `stamp`: who exported it, when and why, under each sheet and in the file's properties."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    styles = _XlsxStyles()
    names = titles or sheet_titles([s.class_name for s in sheets])
    for sheet, title in zip(sheets, names, strict=True):
        ws = book.create_sheet(title=title)
        _write_sheet(ws, sheet, styles)
        if stamp is not None:
            stamp.write(ws, rows=len(sheet.rows))
    if stamp is not None:
        stamp.mark(book)
    if not sheets:
        book.create_sheet(title=_("No class"))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


class _XlsxStyles:
    def __init__(self) -> None:
        from openpyxl.styles import Alignment, Font, PatternFill

        self.bold = Font(bold=True)
        self.title = Font(bold=True, size=14)
        self.red = Font(bold=True, color="B3261E")
        self.center = Alignment(horizontal="center", vertical="center")
        self.off = PatternFill("solid", fgColor="E6E6E6")
        self.missing = PatternFill("solid", fgColor="FFF4CC")


def _write_sheet(ws: Any, sheet: Sheet, st: _XlsxStyles) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    two = len(sheet.sessions) > 1
    first_day_col = 3
    n_cols = len(sheet.columns)
    total_col = first_day_col + n_cols
    ws.column_dimensions["A"].width = 5
    ws.column_dimensions["B"].width = 26
    for i in range(n_cols):
        ws.column_dimensions[get_column_letter(first_day_col + i)].width = 3.6 if two else 3.4
    for i in range(3):
        ws.column_dimensions[get_column_letter(total_col + i)].width = 5
    ws.column_dimensions[get_column_letter(total_col + 3)].width = 30
    ws.freeze_panes = f"{get_column_letter(first_day_col)}{HEADER_ROWS + 1}"

    protos: dict[tuple[Any, Any, bool], Any] = {}

    def cell(value: Any, font: Any = None, fill: Any = None, center: bool = False) -> Any:
        """A styled cell; each combination of styles is set once on a prototype whose
        style array is shared (setting styles per cell is openpyxl's slow part)."""
        c = WriteOnlyCell(ws, value=value)
        if font is None and fill is None and not center:
            return c
        key = (font, fill, center)
        proto = protos.get(key)
        if proto is None:
            proto = protos[key] = WriteOnlyCell(ws)
            if font is not None:
                proto.font = font
            if fill is not None:
                proto.fill = fill
            if center:
                proto.alignment = st.center
        c._style = proto._style
        return c

    month = f"{sheet.month:%m/%Y}"
    ws.append([cell(_("ATTENDANCE REGISTER — month %(month)s") % {"month": month}, st.title)])
    ws.append([cell(_("School: %(name)s") % {"name": sheet.school_name}, st.bold)])
    ws.append([cell(_("Class: %(name)s") % {"name": sheet.class_name}, st.bold)])
    ws.append([_("School year: %(year)s") % {"year": sheet.school_year}])
    ws.append([_("Homeroom teacher: %(name)s") % {"name": sheet.teacher_name or "—"}])
    ws.append(
        [
            _(
                "Legend: P absent with leave · K absent without leave · T late (counted "
                "present) · ? no roll call taken · - not in the class that day · grey: not "
                "a school day"
            )
        ]
    )
    offs = [not c.school_day for c in sheet.columns]
    days_row = [cell(_("No."), st.bold, center=True), cell(_("Full name"), st.bold)]
    weekday_row = [cell(""), cell("")]
    session_short = {
        "am": pgettext("session, short", "AM"),
        "pm": pgettext("session, short", "PM"),
    }
    weekdays = weekday_labels()
    for i, c in enumerate(sheet.columns):
        fill = st.off if offs[i] else None
        days_row.append(cell(c.date.day, st.bold, fill, center=True))
        label = weekdays[c.date.weekday()]
        if two:
            label = f"{label} {session_short.get(c.session, c.session)}"
        weekday_row.append(cell(label, None, fill, center=True))
    days_row += [
        cell("P", st.bold, center=True),
        cell("K", st.bold, center=True),
        cell("T", st.bold, center=True),
        cell(_("Note"), st.bold),
    ]
    ws.append([])
    ws.append(days_row)
    ws.append(weekday_row)

    for number, row in enumerate(sheet.rows, start=1):
        line = [number, text_cell(ws, row.full_name)]  # a name, never a formula
        for i, value in enumerate(row.cells):
            if offs[i] or value == PRESENT or not value:
                line.append(None)  # grey columns: the header's; present: left empty
            elif value == AbsenceCode.UNEXCUSED:
                line.append(cell(value, st.red, center=True))
            elif value == NOT_TAKEN:
                line.append(cell(value, fill=st.missing, center=True))
            else:
                line.append(cell(value, center=True))
        line += [row.excused, row.unexcused, row.late, text_cell(ws, _row_note(row))]
        ws.append(line)

    enrolled = [cell(None), cell(_("Enrolled (sĩ số)"), st.bold)]
    present = [cell(None), cell(_("Present"), st.bold)]
    for i, c in enumerate(sheet.columns):
        fill = st.off if offs[i] else None
        enrolled.append(cell(c.enrolled if c.school_day else None, fill=fill, center=True))
        present.append(cell(c.present if c.school_day else None, fill=fill, center=True))
    ws.append(enrolled + [sheet.excused, sheet.unexcused, sheet.late])
    ws.append(present)
    ws.append([])
    ws.append(
        [
            "",
            _("School days: %(days)d · roll calls taken: %(taken)d of %(due)d")
            % {
                "days": sheet.school_days,
                "taken": sheet.roll_calls_taken,
                "due": sheet.roll_calls_due,
            },
        ]
    )


def weekday_labels() -> list[str]:
    """Monday … Sunday, as short as the register's columns ('T2' … 'CN' in Vietnamese)."""
    return [
        pgettext("short weekday", "Mon"),
        pgettext("short weekday", "Tue"),
        pgettext("short weekday", "Wed"),
        pgettext("short weekday", "Thu"),
        pgettext("short weekday", "Fri"),
        pgettext("short weekday", "Sat"),
        pgettext("short weekday", "Sun"),
    ]


def _row_note(row: SheetRow) -> str:
    notes = []
    if row.joined:
        notes.append(_("joined on %(date)s") % {"date": f"{row.joined:%d/%m}"})
    if row.left:
        notes.append(_("left after %(date)s") % {"date": f"{row.left:%d/%m}"})
    return "; ".join(notes)
