"""Reads of outreach: the nightly rules' triggers, case lists ("my cases", a unit's),
a child's support history and the programmes' totals."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils.translation import gettext as _

from dentruong.accounts.models import User
from dentruong.attendance.selectors import consecutive_unexcused
from dentruong.enrollment.codes import DROPOUT_KINDS, OPENING_KINDS
from dentruong.enrollment.models import Enrollment, EnrollmentEvent
from dentruong.orgs.models import OrgUnit
from dentruong.outreach import rules as rules_mod
from dentruong.outreach.models import Case, CaseAlert, CaseStatus, SupportDelivery, SupportProgramme
from dentruong.people.models import ResidentChild, SchoolingStatus, Student

# --- triggers of the nightly rules: {child id: date the rule fired (None: standing)} ------


def absence_triggers(today: dt.date, n: int, window_days: int) -> dict[int, dt.date | None]:
    out: dict[int, dt.date | None] = {}
    start = today - dt.timedelta(days=window_days)
    for root in OrgUnit.objects.filter(parent__isnull=True).values_list("path", flat=True):
        for item in consecutive_unexcused(
            root, visible=Student.objects.all(), date_from=start, date_to=today, n=n
        ):
            if item.ongoing:
                out[item.student.id] = item.first[0] if item.first else None
    return out


def dropout_triggers() -> dict[int, dt.date | None]:
    """Students whose last opening-or-leaving event is a dropout or a departure, and who
    have no open enrolment."""
    kinds = [str(k) for k in DROPOUT_KINDS | OPENING_KINDS]
    last = EnrollmentEvent.objects.filter(student=OuterRef("pk"), kind__in=kinds).order_by(
        "-date", "-pk"
    )
    rows = (
        Student.objects.filter(events__kind__in=[str(k) for k in DROPOUT_KINDS])
        .annotate(
            last_kind=Subquery(last.values("kind")[:1]), last_on=Subquery(last.values("date")[:1])
        )
        .filter(last_kind__in=[str(k) for k in DROPOUT_KINDS])
        .exclude(pk__in=Enrollment.objects.current().values("student_id"))
        .values_list("pk", "last_on")
        .distinct()
    )
    return dict(rows)


def high_risk_triggers() -> dict[int, dt.date | None]:
    from dentruong.risk.models import RiskAssessment

    rows = RiskAssessment.objects.filter(valid_until__isnull=True, level="high").values_list(
        "student_id", "date"
    )
    return dict(rows)


def not_enrolled_triggers(today: dt.date, ages: tuple[int, int]) -> dict[int, dt.date | None]:
    """Resident children of school age, out of school or never enrolled, with no open
    enrolment under a linked student record."""
    youngest, oldest = ages
    rows = (
        ResidentChild.objects.filter(
            birth_year__gte=today.year - oldest,
            birth_year__lte=today.year - youngest,
            schooling__in=[SchoolingStatus.NEVER_ENROLLED, SchoolingStatus.DROPPED_OUT],
        )
        .filter(
            Q(student__isnull=True)
            | ~Q(student__in=Enrollment.objects.current().values("student_id"))
        )
        .values_list("pk", flat=True)
    )
    return dict.fromkeys(rows)


# --- lists -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseRow:
    pk: int
    name: str
    place: str
    origin: str
    next_step: str
    next_due: dt.date | None
    late: bool
    role: str = ""


BY_DEADLINE = (F("next_due").asc(nulls_last=True), "pk")


def _rows(qs: QuerySet[Case], today: dt.date, roles: dict[int, str] | None = None) -> list[CaseRow]:
    """Rows of `qs` by next deadline. One query (a subquery per row: give it a page of
    cases, not a commune's)."""
    from dentruong.outreach.models import CaseStep

    qs = qs.select_related("student__village", "child__village").annotate(
        next_kind=Subquery(
            CaseStep.objects.filter(case=OuterRef("pk"), done_on__isnull=True)
            .order_by("position")
            .values("kind")[:1]
        )
    )
    from dentruong.outreach.models import Origin, StepKind

    origins = dict(Origin.choices)
    steps = dict(StepKind.choices)
    out = []
    for c in qs.order_by(*BY_DEADLINE):
        person = c.student if c.student_id else c.child
        assert person is not None
        out.append(
            CaseRow(
                pk=c.pk,
                name=person.full_name,
                place=person.village.name,
                origin=str(origins.get(c.origin, c.origin)),
                next_step=str(steps.get(c.next_kind, "")) if c.next_kind else "",  # type: ignore[attr-defined]
                next_due=c.next_due,
                late=c.next_due is not None and c.next_due < today,
                role=(roles or {}).get(c.pk, ""),
            )
        )
    return out


def my_cases(user: User, today: dt.date) -> list[CaseRow]:
    """Open cases assigned to `user`, by next deadline. Three queries."""
    from dentruong.outreach.models import CaseRole

    labels = dict(CaseRole.choices)
    roles = {
        a["case_id"]: str(labels.get(a["role"], a["role"]))
        for a in user.case_assignments.filter(end__isnull=True).values("case_id", "role")
    }
    qs = Case.objects.filter(pk__in=list(roles), status=CaseStatus.OPEN)
    return _rows(qs, today, roles)


UNIT_PAGE_SIZE = 50


@dataclass(frozen=True)
class CasePage:
    rows: list[CaseRow]
    number: int  # 1-based, within 1…pages
    pages: int
    total: int

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.pages else None


def unit_cases(
    visible: QuerySet[Case],
    unit: OrgUnit,
    today: dt.date,
    page: int = 1,
    per_page: int = UNIT_PAGE_SIZE,
) -> CasePage:
    """One page of the open cases of `unit` among `visible`, by next deadline (a page
    past the end: the last one). Three queries whatever the number of cases: the count,
    the page's ids, its rows."""
    qs = visible.filter(commune__path__startswith=unit.path, status=CaseStatus.OPEN)
    total = qs.count()
    pages = max(1, -(-total // per_page))
    number = min(max(1, page), pages)
    start = (number - 1) * per_page
    ids = list(qs.order_by(*BY_DEADLINE).values_list("pk", flat=True)[start : start + per_page])
    rows = _rows(Case.objects.filter(pk__in=ids), today) if ids else []
    return CasePage(rows=rows, number=number, pages=pages, total=total)


def unseen_alerts(user: User) -> QuerySet[CaseAlert]:
    return user.case_alerts.filter(seen_at__isnull=True, case__status="open").select_related("step")


# --- support -----------------------------------------------------------------------------


def support_history(
    *, student: Student | None = None, child: ResidentChild | None = None
) -> QuerySet[SupportDelivery]:
    q = Q(student=student) if student is not None else Q(child=child)
    if student is not None and hasattr(student, "resident_record"):
        q |= Q(child=student.resident_record)
    return SupportDelivery.objects.filter(q).select_related("programme").order_by("date", "pk")


@dataclass(frozen=True)
class ProgrammeTotal:
    pk: int
    commune: str
    name: str
    kind: str
    sponsor: str
    measure: str
    capacity: int
    delivered: int
    remaining: int
    children: int
    deliveries: int


def programme_totals(visible: QuerySet[SupportProgramme]) -> list[ProgrammeTotal]:
    """One row per programme, one query."""
    qs = visible.select_related("commune").annotate(
        n=Count("deliveries"),
        kids=Count("deliveries__student", distinct=True)
        + Count("deliveries__child", distinct=True),
        total=Sum("deliveries__amount"),
    )
    return [
        ProgrammeTotal(
            pk=p.pk,
            commune=p.commune.name,
            name=p.name,
            kind=p.get_kind_display(),
            sponsor=p.sponsor,
            measure=p.get_measure_display(),
            capacity=p.capacity,
            delivered=p.total or 0,  # type: ignore[attr-defined]
            remaining=p.capacity - (p.total or 0),  # type: ignore[attr-defined]
            children=p.kids,  # type: ignore[attr-defined]
            deliveries=p.n,  # type: ignore[attr-defined]
        )
        for p in qs.order_by("commune__name", "name")
    ]


# --- mentoring ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MenteeRow:
    pair_id: int
    student_id: int
    name: str
    class_name: str
    school_name: str
    start: dt.date
    meetings: int
    last_meeting: dt.date | None
    absences: int  # P + K in the school year up to today
    unexcused: int
    left: int  # absences still allowed before the limit
    risk_level: str  # "low" when no assessment is in force
    risk_reasons: list[str]


def my_mentees(user: User, today: dt.date) -> list[MenteeRow]:
    """The mentor's open pairs with each mentee's attendance (the school year's absences
    from `attendance.selectors.near_absence_limit`, one call per school) and the risk in
    force. 3 queries + 6 per school of the mentees."""
    from django.db.models import Max

    from dentruong.attendance.rates import ABSENCE_LIMIT
    from dentruong.attendance.selectors import near_absence_limit
    from dentruong.outreach.models import MentorPair
    from dentruong.risk.models import RiskAssessment

    pairs = list(
        MentorPair.objects.filter(mentor=user, end__isnull=True)
        .select_related("student")
        .annotate(n=Count("meetings"), last=Max("meetings__date"))
        .order_by("student__given_name", "student__family_and_middle_name", "pk")
    )
    if not pairs:
        return []
    ids = [p.student_id for p in pairs]
    enrolments = {
        e.student_id: e
        for e in Enrollment.objects.current()
        .filter(student_id__in=ids)
        .select_related("school_class__school__unit")
    }
    risk = {
        r["student_id"]: r
        for r in RiskAssessment.objects.filter(student_id__in=ids, valid_until__isnull=True)
        .order_by("date")
        .values("student_id", "level", "reasons")
    }
    absences: dict[int, tuple[int, int, int]] = {}
    paths = {e.school_class.school.unit.path for e in enrolments.values()}
    for path in sorted(paths):
        items, _n = near_absence_limit(
            path, visible=Student.objects.filter(pk__in=ids), day=today, threshold=1
        )
        for item in items:
            absences[item.student.id] = (item.absences, item.unexcused, item.left)
    out = []
    for p in pairs:
        e = enrolments.get(p.student_id)
        total, k, left = absences.get(p.student_id, (0, 0, ABSENCE_LIMIT))
        r: dict[str, Any] = dict(risk.get(p.student_id) or {})
        out.append(
            MenteeRow(
                pair_id=p.pk,
                student_id=p.student_id,
                name=p.student.full_name,
                class_name=e.school_class.name if e else "",
                school_name=e.school_class.school.name if e else "",
                start=p.start,
                meetings=p.n,  # type: ignore[attr-defined]
                last_meeting=p.last,  # type: ignore[attr-defined]
                absences=total,
                unexcused=k,
                left=left,
                risk_level=r.get("level", "low"),
                risk_reasons=[
                    str(x.get("code", x)) if isinstance(x, dict) else str(x)
                    for x in r.get("reasons", [])
                ],
            )
        )
    return out


# --- "what works" ------------------------------------------------------------------------


def case_facts(closed: QuerySet[Case]) -> list[rules_mod.CaseFacts]:
    """The facts of the closed cases of `closed` (already filtered by scope). Four
    queries, whatever the number of cases: the cases with their return date, the causes
    of their visits, the deliveries to their children, the mentor pairs of their
    students."""
    from dentruong.outreach.models import CaseStep, MentorPair, VisitCause

    closed = closed.filter(status=CaseStatus.CLOSED)
    back_on = CaseStep.objects.filter(case=OuterRef("pk"), kind="back_in_school").values("done_on")[
        :1
    ]
    cases = list(
        closed.annotate(back_on=Subquery(back_on)).values_list(
            "pk",
            "commune_id",
            "outcome",
            "opened_on",
            "closed_on",
            "student_id",
            "child_id",
            "back_on",
        )
    )
    factors: dict[int, set[str]] = {c[0]: set() for c in cases}
    ids = closed.values("pk")
    for case_id, code in VisitCause.objects.filter(visit__case__in=ids).values_list(
        "visit__case_id", "code"
    ):
        factors[case_id] |= {f"cause:{code}", rules_mod.HOME_VISIT}
    by_student: dict[int, list[tuple[int, dt.date, dt.date]]] = {}
    by_child: dict[int, list[tuple[int, dt.date, dt.date]]] = {}
    for pk, _c, _o, opened, closed_or_none, sid, cid, _b in cases:
        closed_on = closed_or_none or opened  # closed cases always have closed_on
        if sid:
            by_student.setdefault(sid, []).append((pk, opened, closed_on))
        if cid:
            by_child.setdefault(cid, []).append((pk, opened, closed_on))
    deliveries = SupportDelivery.objects.filter(
        Q(case__in=ids)
        | Q(student__in=closed.values("student_id"))
        | Q(child__in=closed.values("child_id"))
    ).values_list("case_id", "student_id", "child_id", "date", "programme__kind")
    for case_id, sid, cid, day, kind in deliveries:
        hits = {case_id} if case_id in factors else set()
        for pk, opened, closed_on in by_student.get(sid, []) + by_child.get(cid, []):
            if rules_mod.support_overlaps(day, opened, closed_on):
                hits.add(pk)
        for pk in hits:
            factors[pk].add(f"support:{kind}")
    for sid, start, end in MentorPair.objects.filter(
        student__in=closed.values("student_id")
    ).values_list("student_id", "start", "end"):
        for pk, opened, closed_on in by_student.get(sid, []):
            if rules_mod.pair_overlaps(start, end, opened, closed_on):
                factors[pk].add(rules_mod.MENTORING)
    out = []
    for pk, commune_id, outcome, opened, _closed_on, _s, _c, back_day in cases:
        back = outcome == "back_in_school"
        out.append(
            rules_mod.CaseFacts(
                commune_id=commune_id,
                back=back,
                days_to_return=(back_day - opened).days if back and back_day else None,
                factors=frozenset(factors[pk]),
            )
        )
    return out


@dataclass(frozen=True)
class WorksLine:
    commune: str  # "" : all communes
    factor: str
    label: str
    cases: int
    back: int
    share: float | None
    median_days: float | None


def factor_label(factor: str) -> str:
    from dentruong.enrollment.codes import DropoutReason
    from dentruong.outreach.models import ProgrammeKind

    kind, _sep, code = factor.partition(":")
    if kind == "cause":
        return str(dict(DropoutReason.choices).get(code, code))
    if kind == "support":
        return str(dict(ProgrammeKind.choices).get(code, code))
    if factor == rules_mod.MENTORING:
        return str(_("Mentoring"))
    return str(_("Home visit"))


def what_works(visible: QuerySet[Case], unit: OrgUnit) -> list[WorksLine]:
    """ "What works" in `unit`: per commune and over the unit, for each cause and each
    intervention. Five queries (the facts, and the communes' names)."""
    facts = case_facts(visible.filter(commune__path__startswith=unit.path))
    rows = rules_mod.what_works(facts)
    names = (
        dict(
            OrgUnit.objects.filter(pk__in={r.commune_id for r in rows if r.commune_id}).values_list(
                "pk", "name"
            )
        )
        if rows
        else {}
    )
    return [
        WorksLine(
            commune=names.get(r.commune_id, "") if r.commune_id else "",
            factor=r.factor,
            label=factor_label(r.factor),
            cases=r.cases,
            back=r.back,
            share=r.share,
            median_days=r.median_days,
        )
        for r in rows
    ]


# --- village meetings and partners -------------------------------------------------------


def unit_meetings(unit: OrgUnit) -> QuerySet[Any]:
    from dentruong.outreach.models import VillageMeeting

    return (
        VillageMeeting.objects.filter(commune__path__startswith=unit.path)
        .select_related("village", "commune")
        .annotate(
            n_families=Count("families"),
            n_came=Count("families", filter=Q(families__attended=True)),
        )
        .order_by("starts_at", "pk")
    )


@dataclass(frozen=True)
class PartnerRow:
    """A case as a partner sees it: the name, and only the fields given."""

    case_id: int
    name: str
    village: str | None
    school_class: str | None
    birth_year: int | None
    next_step: str


def partner_rows(case_list: Any, fields: set[str]) -> list[PartnerRow]:
    """The open cases of a partner list with only `fields` (accounts.PartnerField). Three
    queries."""
    from dentruong.outreach.models import CaseStep, StepKind

    steps = dict(StepKind.choices)
    qs = (
        case_list.cases.filter(status=CaseStatus.OPEN)
        .select_related("student__village", "child__village")
        .annotate(
            next_kind=Subquery(
                CaseStep.objects.filter(case=OuterRef("pk"), done_on__isnull=True)
                .order_by("position")
                .values("kind")[:1]
            )
        )
        .order_by("pk")
    )
    cases = list(qs)
    classes: dict[int, str] = {}
    if "class" in fields:
        ids = [c.student_id for c in cases if c.student_id]
        classes = {
            e.student_id: f"{e.school_class.name} · {e.school_class.school.name}"
            for e in Enrollment.objects.current()
            .filter(student_id__in=ids)
            .select_related("school_class__school")
        }
    out = []
    for c in cases:
        person = c.student if c.student_id else c.child
        assert person is not None
        born = (
            c.student.birth_date.year
            if c.student is not None
            else getattr(person, "birth_year", None)
        )
        out.append(
            PartnerRow(
                case_id=c.pk,
                name=person.full_name,
                village=person.village.name if "village" in fields else None,
                school_class=classes.get(c.student_id or 0, "") if "class" in fields else None,
                birth_year=born if "birth_year" in fields else None,
                next_step=str(steps.get(c.next_kind, "")) if c.next_kind else "",  # type: ignore[attr-defined]
            )
        )
    return out
