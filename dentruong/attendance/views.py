"""The roll call page: a homeroom teacher takes, and corrects, the roll call of a class for
one session of one school day, on a phone, online or offline; everyone else in scope reads.

Thin: the class through the attendance access helpers, school days through the class's
calendar, writes through `services.submit_roll_call`. Without JavaScript the page is a
plain form posted back here. With it, static/js/rollcall.js sends the same roll call to the
JSON API (POST /api/v1/roll-calls) and, without network, keeps it in the browser until it
can be sent; the service worker served at /sw.js keeps the page and its static files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from dentruong.accounts.models import User
from dentruong.attendance import services
from dentruong.attendance.access import (
    can_read_marks,
    can_take_roll_call,
    get_class_for_attendance,
)
from dentruong.attendance.models import (
    Absence,
    AbsenceCode,
    AbsenceReason,
    RollCall,
    RollCallRevision,
)
from dentruong.attendance.services import RollCallError, local_today
from dentruong.audit.requests import change_recorder, own_transactions
from dentruong.enrollment.models import Enrollment
from dentruong.notices.selectors import NoticeState, notice_state, with_notice_status
from dentruong.orgs.calendar import CalendarSpec
from dentruong.orgs.models import SchoolClass, Session
from dentruong.people.models import Student

ONE_DAY = dt.timedelta(days=1)
SEARCH_DAYS = 400  # how far to look for the previous / next school day (a school year)
AHEAD_DAYS = 31  # upcoming school days the page carries, for a page kept offline overnight
ABSENT = (AbsenceCode.EXCUSED, AbsenceCode.UNEXCUSED)
# The htmx file that base.html's {% htmx_script %} loads (django-htmx, htmx 2).
HTMX = "django_htmx/htmx-2.min.js"
# js/visits.js: home visits recorded offline on the outreach pages (see static/sw.js);
# js/offline.js: the helpers both offline scripts share.
SHELL_FILES = (
    "css/app.css",
    "css/rollcall.css",
    "js/offline.js",
    "js/rollcall-early.js",
    "js/rollcall.js",
    "js/visits.js",
    HTMX,
)


# --- days ------------------------------------------------------------------------------


def _nearest_school_day(spec: CalendarSpec, day: dt.date, step: dt.timedelta) -> dt.date | None:
    candidate = day
    try:
        for _i in range(SEARCH_DAYS):
            candidate += step
            if spec.is_school_day(candidate):
                return candidate
    except OverflowError:  # ?date=0001-01-01 or 9999-12-31
        pass
    return None


def previous_school_day(spec: CalendarSpec, day: dt.date) -> dt.date | None:
    """The last school day before `day`, within a year (this school year's calendar)."""
    return _nearest_school_day(spec, day, -ONE_DAY)


def next_school_day(spec: CalendarSpec, day: dt.date) -> dt.date | None:
    """The first school day after `day`, within a year (this school year's calendar)."""
    return _nearest_school_day(spec, day, ONE_DAY)


def _parse_day(raw: str | None, today: dt.date) -> tuple[dt.date, bool, str]:
    """(day, whether it defaulted to today, an error message)."""
    if not raw:
        return today, True, ""
    try:
        return dt.date.fromisoformat(raw), False, ""
    except ValueError:
        return today, True, _("“%(value)s” is not a date.") % {"value": raw[:20]}


def _session(school_class: SchoolClass, raw: str | None) -> str:
    sessions = school_class.sessions
    return raw if raw in sessions else sessions[0]


def _page_url(school_class: SchoolClass, day: dt.date | None, session: str) -> str:
    query = QueryDict(mutable=True)
    if day is not None:
        query["date"] = day.isoformat()
    query["session"] = session
    return f"{reverse('roll-call', args=[school_class.pk])}?{query.urlencode()}"


# --- the page ----------------------------------------------------------------------------


@dataclass
class Row:
    """One student of the roster and their mark at this roll call ('' = present)."""

    student: Student
    code: str = ""
    reason: str = AbsenceReason.UNKNOWN.value
    previous: str = ""  # their code at the previous school day, if absent (P / K)
    error: str = ""
    notice: NoticeState | None = None  # the notice to the family of a K (notices app)


@dataclass
class Counts:
    enrolled: int = 0
    present: int = 0
    excused: int = 0
    unexcused: int = 0
    late: int = 0


@dataclass
class Previous:
    """The previous school day: who was absent, or that the roll was not taken."""

    day: dt.date
    taken: bool = False
    absent: list[tuple[Student, str, str]] = field(default_factory=list)  # student, code, session


def _name(student: Student) -> str:
    return f"{student.family_and_middle_name} {student.given_name}"


def _roster(school_class: SchoolClass, day: dt.date) -> list[Student]:
    """Students enrolled in the class on `day`, in Vietnamese order (one query)."""
    enrolled = Enrollment.objects.on(day).filter(school_class=school_class)
    return list(
        Student.objects.filter(pk__in=enrolled.values("student_id"))
        .only("pk", "family_and_middle_name", "given_name")
        .order_by("sort_key", "pk")
    )


def _previous(school_class: SchoolClass, day: dt.date | None) -> Previous | None:
    """Who was absent at the previous school day (two queries)."""
    if day is None:
        return None
    roll_calls = RollCall.objects.filter(school_class=school_class, date=day).prefetch_related(
        Prefetch(
            "absences",
            queryset=Absence.objects.filter(code__in=ABSENT)
            .select_related("student")
            .only(
                "roll_call_id",
                "code",
                "student__id",
                "student__family_and_middle_name",
                "student__given_name",
                "student__sort_key",
            )
            .order_by("student__sort_key", "student_id"),
            to_attr="absent",
        )
    )
    previous = Previous(day=day)
    for rc in roll_calls.order_by("session"):
        previous.taken = True
        previous.absent += [(a.student, a.code, rc.session) for a in rc.absent]
    return previous


def _code_label(code: str) -> str:
    return code or _("present")


def _history(revisions: list[RollCallRevision], names: dict[str, str]) -> list[dict[str, Any]]:
    """Readable lines, newest first: when, who, what changed."""
    lines = []
    for revision in revisions:
        before, after = revision.before, revision.after
        changed = [
            (sid, before.get(sid, ""), after.get(sid, ""))
            for sid in sorted(set(before) | set(after), key=lambda s: names.get(s, s))
            if before.get(sid, "") != after.get(sid, "")
        ]
        if revision.version == 1:
            what = (
                "; ".join(f"{names.get(sid, sid)}: {new}" for sid, _old, new in changed)
                if changed
                else _("everyone present")
            )
        else:
            what = (
                "; ".join(
                    f"{names.get(sid, sid)}: {_code_label(old)} → {_code_label(new)}"
                    for sid, old, new in changed
                )
                if changed
                else _("no change")
            )
        lines.append(
            {
                "version": revision.version,
                "at": revision.changed_at,
                "by": str(revision.changed_by) if revision.changed_by else _("unknown user"),
                "first": revision.version == 1,
                "what": what,
            }
        )
    return lines


def _names(students: list[Student], revisions: list[RollCallRevision]) -> dict[str, str]:
    """Student id (text) → name, for the history; one more query only for students who
    have left the roster since they were marked."""
    names = {str(s.pk): _name(s) for s in students}
    missing = {sid for r in revisions for sid in (*r.before, *r.after)} - set(names)
    if missing:
        gone = Student.objects.filter(pk__in=[int(s) for s in missing if s.isdigit()]).only(
            "pk", "family_and_middle_name", "given_name"
        )
        names |= {str(s.pk): _name(s) for s in gone}
    return names


def _context(
    school_class: SchoolClass,
    day: dt.date,
    session: str,
    *,
    defaulted: bool,
    can_write: bool,
    submitted: dict[int, tuple[str, str]] | None = None,
    error: RollCallError | None = None,
) -> dict[str, Any]:
    today = local_today()
    ctx: dict[str, Any] = {
        "school_class": school_class,
        "day": day,
        "today": today,
        "session": session,
        "sessions": [(s, Session(s).label) for s in school_class.sessions],
        "can_write": can_write,
        "error": error,
        "state": "open",
    }
    try:
        spec = services.class_calendar(school_class)
    except RollCallError as refused:
        return ctx | {"state": "no_calendar", "notice": refused.message}
    earlier = previous_school_day(spec, day)
    later = next_school_day(spec, day)
    ctx |= {
        "earlier": earlier,
        "later": later if later and later <= today else None,
        "earlier_url": _page_url(school_class, earlier, session) if earlier else "",
        "later_url": _page_url(school_class, later, session) if later and later <= today else "",
    }
    if day > today:
        last = today if spec.is_school_day(today) else previous_school_day(spec, today)
        return ctx | {
            "state": "future",
            "earlier": last,
            "earlier_url": _page_url(school_class, last, session) if last else "",
            "later": None,
            "later_url": "",
        }
    if not spec.is_school_day(day):
        return ctx | {"state": "closed"}
    return ctx | _school_day(school_class, spec, day, session, earlier, defaulted, submitted, error)


def _school_day(
    school_class: SchoolClass,
    spec: CalendarSpec,
    day: dt.date,
    session: str,
    earlier: dt.date | None,
    defaulted: bool,
    submitted: dict[int, tuple[str, str]] | None,
    error: RollCallError | None,
) -> dict[str, Any]:
    """The roster with each student's mark (saved, or just submitted and refused), the
    counts, the saved state and its history, and the previous school day's absentees."""
    students = _roster(school_class, day)
    roll_call = (
        RollCall.objects.filter(school_class=school_class, date=day, session=session)
        .select_related("taken_by")
        .first()
    )
    saved: dict[int, tuple[str, str]] = {}
    notices: dict[int, NoticeState | None] = {}
    revisions: list[RollCallRevision] = []
    if roll_call is not None:
        # The notices to families come in the same query (subqueries): no extra query.
        absences = list(
            with_notice_status(Absence.objects.filter(roll_call=roll_call)).only(
                "student_id", "code", "reason"
            )
        )
        saved = {a.student_id: (a.code, a.reason) for a in absences}
        notices = {a.student_id: notice_state(a) for a in absences}
        revisions = list(
            RollCallRevision.objects.filter(roll_call=roll_call)
            .select_related("changed_by")
            .order_by("-version")
        )
    previous = _previous(school_class, earlier)
    before = {s.pk: code for s, code, _session in previous.absent} if previous else {}
    marks = saved if submitted is None else submitted
    bad = error.field.removeprefix("marks.") if error else ""
    rows = []
    counts = Counts(enrolled=len(students))
    for student in students:
        code, reason = marks.get(student.pk, ("", AbsenceReason.UNKNOWN.value))
        rows.append(
            Row(
                student=student,
                code=code,
                reason=reason,
                previous=before.get(student.pk, ""),
                notice=notices.get(student.pk) if code == AbsenceCode.UNEXCUSED else None,
                error=error.message if error and bad == str(student.pk) else "",
            )
        )
        counts.excused += code == AbsenceCode.EXCUSED
        counts.unexcused += code == AbsenceCode.UNEXCUSED
        counts.late += code == AbsenceCode.LATE
    counts.present = counts.enrolled - counts.excused - counts.unexcused
    corrected = revisions[0] if roll_call and roll_call.version > 1 else None
    return {
        "rows": rows,
        "counts": counts,
        "roll_call": roll_call,
        "taken_when": _when(roll_call.taken_at, day) if roll_call else "",
        "corrected": corrected,
        "corrected_when": _when(corrected.changed_at, day) if corrected else "",
        "history": _history(revisions, _names(students, revisions)) if revisions else [],
        "previous": previous,
        "saved_marks": json.dumps({str(k): list(v) for k, v in saved.items()}),
        "code_choices": [("", _("Present")), *AbsenceCode.choices],
        "reason_choices": AbsenceReason.choices,
        "client_id": uuid.uuid4(),
        "defaulted": defaulted,
        "ahead": " ".join(
            d.isoformat() for d in spec.school_days(day + ONE_DAY, day + AHEAD_DAYS * ONE_DAY)
        )
        if defaulted
        else "",
        "js_text": _js_text(school_class),
    }


def _when(moment: dt.datetime, day: dt.date) -> str:
    """HH:MM in Việt Nam, with the date when it is not the roll call's day."""
    local = timezone.localtime(moment, services.VN_TZ)
    return f"{local:%H:%M}" if local.date() == day else f"{local:%H:%M %d/%m/%Y}"


def _js_text(school_class: SchoolClass) -> dict[str, Any]:
    """What rollcall.js says, translated here (the page carries it, also offline)."""
    return {
        "className": school_class.name,
        "present": _("Present"),
        "sending": _("Sending…"),
        "saved": _("Roll call saved."),
        "queued": _("Saved on this phone; it will be sent when the network is back."),
        "sent": _("The roll call kept on this phone has been sent."),
        "keepFailed": _(
            "No network, and this phone could not keep the roll call: try again later."
        ),
        "noChange": _("Nothing has changed since the last save."),
        "refused": _("Not sent (%(what)s): %(error)s"),
        "login": _("Log in again to send the roll calls kept on this phone."),
        "pending": _("Kept on this phone, waiting to be sent:"),
        "roll": _("class %(class)s, %(date)s, %(session)s"),
        "offlineDay": _("Class list kept on this phone: this roll call is for today, %(date)s."),
        "notSchoolToday": _("Today is not a school day for this class."),
        "otherUser": _("Roll calls of another account are waiting on this phone."),
        "unsaved": _("Not saved yet"),
        "sessions": {value: str(label) for value, label in Session.choices},
    }


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required
    return user


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "attendance/forbidden.html", {"message": message}, status=403)


def _posted_marks(post: QueryDict) -> dict[int, tuple[str, str, str]]:
    """code-<student id> = P / K / T ('' = present), reason-<student id> = a reason."""
    marks: dict[int, tuple[str, str, str]] = {}
    for key in post:
        code = post.get(key, "")
        if not key.startswith("code-") or not code:
            continue
        student_id = key.removeprefix("code-")
        if student_id.isdigit():
            reason = post.get(f"reason-{student_id}", "") or AbsenceReason.UNKNOWN.value
            marks[int(student_id)] = (str(code), str(reason), "")
    return marks


def _uuid(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw or "")
    except ValueError:
        return None


@login_required
@require_http_methods(["GET", "POST"])
@own_transactions
def roll_call(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the roll call of ?date= (default today) and ?session= (default the class's
    first); POST: submit it (the no-JavaScript path; the same service as the API)."""
    school_class = get_class_for_attendance(request.user, pk)
    if not can_read_marks(request.user):
        return _forbidden(request, _("You may not see the marks of this class."))
    can_write = can_take_roll_call(request.user, school_class)
    data = request.POST if request.method == "POST" else request.GET
    day, defaulted, day_error = _parse_day(data.get("date"), local_today())
    session = _session(school_class, data.get("session"))
    if request.method == "GET":
        ctx = _context(school_class, day, session, defaulted=defaulted, can_write=can_write)
        if day_error:
            ctx["notice"] = day_error
        return render(request, "attendance/roll_call.html", ctx)

    if not can_write:
        return _forbidden(request, _("You may not take the roll call of this class."))
    marks = _posted_marks(request.POST)
    client_id = _uuid(request.POST.get("client_id"))
    base = request.POST.get("base_version", "")
    try:
        if day_error:
            raise RollCallError("invalid_date", day_error, "date")
        if client_id is None:
            raise RollCallError(
                "invalid_client_id", _("The form is incomplete: reload the page."), "client_id"
            )
        result = services.submit_roll_call(
            school_class=school_class,
            date=day,
            session=data.get("session", ""),
            marks=marks,
            by=_user(request),
            client_id=client_id,
            base_version=int(base) if base.isdigit() else None,
            audit=change_recorder(request, object_type="class", object_id=school_class.pk),
        )
    except RollCallError as refused:
        ctx = _context(
            school_class,
            day,
            session,
            defaulted=False,
            can_write=can_write,
            submitted={sid: (code, reason) for sid, (code, reason, _note) in marks.items()},
            error=refused,
        )
        return render(request, "attendance/roll_call.html", ctx, status=400)
    if result.duplicate:
        messages.info(request, _("This roll call had already been saved; nothing changed."))
    elif result.stale_base:
        messages.warning(
            request,
            _(
                "Someone else changed this roll call meanwhile. Yours is saved; both are "
                "in the history."
            ),
        )
    else:
        messages.success(request, _("Roll call saved."))
    return redirect(_page_url(school_class, day, session))


# --- the service worker --------------------------------------------------------------------


@lru_cache(maxsize=4)
def _service_worker_source(debug_tick: float) -> str:
    """static/sw.js, prefixed with what it needs to know: the app shell's URLs, a version
    that changes with the shell's files (so a deploy installs a new worker), the URLs it
    treats specially, and its offline page's text."""
    del debug_tick  # only part of the cache key
    found = finders.find("sw.js")
    if not found:
        raise FileNotFoundError("static/sw.js")
    source = Path(str(found)).read_text(encoding="utf-8")
    digest = hashlib.sha256(source.encode())
    for name in SHELL_FILES:
        path = finders.find(name)
        if path:
            digest.update(Path(str(path)).read_bytes())
    config = {
        "version": digest.hexdigest()[:12],
        "shell": [static(name) for name in SHELL_FILES],
        "home": reverse("home"),
        "logout": reverse("logout"),
        # the roll call pages, whatever the class: /classes/<id>/roll-call/
        "pages": "^" + re.escape(reverse("roll-call", args=[0])).replace("/0/", r"/\d+/") + "$",
        # outreach: the assignee's "my cases" and the case pages it asks to keep
        "myCases": reverse("my-cases"),
        "cases": "^" + re.escape(reverse("case-detail", args=[0])).replace("/0/", r"/\d+/") + "$",
    }
    return f"const CONFIG = {json.dumps(config, ensure_ascii=False)};\n{source}"


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, at /sw.js so that its scope is the whole site (a worker's scope
    cannot reach above its own URL). Holds no data: no login needed."""
    tick = timezone.now().timestamp() if settings.DEBUG else 0.0
    offline = {
        "offlineTitle": _("No network"),
        "offlineText": _("This page is not kept on this phone. Open it again once online."),
        "offlineHome": _("Home"),
    }
    body = (
        f"const TEXT = {json.dumps(offline, ensure_ascii=False)};\n{_service_worker_source(tick)}"
    )
    return HttpResponse(
        body,
        content_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )
