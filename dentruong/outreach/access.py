"""Who may see and act on outreach data.

- A case is seen whole by the administrator; by whoever sees its child through a role
  (the school's or the village's unit inside one of their grants, their class; a
  partner's grant gives no case, only the lists shared with it); and by the province and
  commune officers over the case's commune, which owns it (a child who moved away stays
  on the list of the commune that must close the case).
- An assignee (a village head or a police officer often has no membership at all, a
  mentor may be a Youth Union member, a teacher of another school) sees the cases
  assigned to them while the assignment and the case are open, and only those; on the
  case page only what the work needs (`sees_whole_case` False: the child's name, birth
  year, village and household, the steps, the assignees, their own visits in full and of
  the others' visits the date and who went, not what was found, the causes or the
  family's wishes, nor the support received). Their assignment reaches no other page:
  not the child's record, nor a unit's lists.
- Acting on a case: recording a visit or a step, its assignees and the roles that edit
  register records (`EDITOR_ROLES`) over the child, and the administrator
  (`can_act`); closing it and assigning people, only the latter (`can_manage`): an
  assignee from outside cannot hand the case on to anyone.
- A unit's lists ("open cases", "what works"): `cases_in_unit`, the cases of the unit by
  their commune; a plain filter on the commune when the user's grant covers the unit
  (no scan of the province's students on every page).
- Support programmes: seen by whoever sees their commune; deliveries recorded by a
  commune officer of the commune (or the administrator) or a school leader in it.
- Mentor pairs: seen by the mentor and whoever sees the student; made by the roles that
  edit the student. "What works": commune and province officers over their unit.
- Village meetings: seen by whoever sees the commune; planned by its commune officer.
- Partner case lists: only the partner user of the membership, until the list's end and
  the membership's end (every read logged by the view).
- Out of scope: Http404.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.http import Http404

from dentruong.accounts.models import Role, User
from dentruong.accounts.scopes import EDITOR_ROLES, scope_for
from dentruong.enrollment.models import Enrollment
from dentruong.orgs.models import OrgUnit
from dentruong.outreach.models import (
    Case,
    CaseAssignment,
    CaseStatus,
    MentorPair,
    PartnerCaseList,
    SupportProgramme,
    VillageMeeting,
)
from dentruong.people.access import grants_for_student, partner_fields, students_for_user
from dentruong.people.models import ResidentChild, Student

AnyUser = User | AnonymousUser

DELIVERY_ROLES = frozenset({Role.COMMUNE_OFFICER, Role.SCHOOL_LEADER})


TERRITORIAL = frozenset({Role.PROVINCE_OFFICER, Role.COMMUNE_OFFICER})


def assigned_cases(user: AnyUser) -> QuerySet[Case]:
    """The open cases `user` is assigned to (an open assignment)."""
    if not user.is_authenticated:
        return Case.objects.none()
    mine = CaseAssignment.objects.filter(user_id=user.pk, end__isnull=True)
    return Case.objects.filter(status=CaseStatus.OPEN, pk__in=mine.values("case_id"))


def _in_scope_q(user: AnyUser) -> Q | None:
    """Q of the cases `user` sees whole (None: every case). Joins, no list of students:
    cheap on one case and on a unit's cases alike."""
    scope = scope_for(user)
    if scope.is_admin:
        return None
    grants = [g for g in scope.unit_grants() if g.role != Role.PARTNER]
    territorial = [g for g in grants if g.role in TERRITORIAL]
    q = scope.path_q("student__school__unit__path", grants)
    q |= scope.path_q("student__village__path", grants)
    q |= scope.path_q("child__village__path", territorial)
    q |= scope.path_q("commune__path", territorial)
    class_ids = [g.class_id for g in scope.grants if g.class_id and g.role != Role.PARTNER]
    if class_ids:
        in_class = Enrollment.objects.current().filter(school_class_id__in=class_ids)
        q |= Q(student__in=in_class.values("student_id"))
    return q


def cases_for_user(user: AnyUser) -> QuerySet[Case]:
    """Every case `user` may open: seen whole, or assigned to them."""
    if not user.is_authenticated:
        return Case.objects.none()
    in_scope = _in_scope_q(user)
    if in_scope is None:
        return Case.objects.all()
    return Case.objects.filter(in_scope | Q(pk__in=assigned_cases(user).values("pk")))


def cases_in_scope(user: AnyUser) -> QuerySet[Case]:
    """The cases `user` sees whole (an assignment alone puts no case in a list)."""
    if not user.is_authenticated:
        return Case.objects.none()
    in_scope = _in_scope_q(user)
    return Case.objects.all() if in_scope is None else Case.objects.filter(in_scope)


def cases_in_unit(user: AnyUser, unit: OrgUnit) -> QuerySet[Case]:
    """The cases of `unit` (their commune inside it) that `user` sees whole: all of them
    when the administrator or a province or commune officer's grant covers the unit."""
    in_unit = Case.objects.filter(commune__path__startswith=unit.path)
    scope = scope_for(user)
    if scope.is_admin or any(g.role in TERRITORIAL for g in scope.grants_covering(unit.path)):
        return in_unit
    return in_unit & cases_in_scope(user)


def sees_whole_case(user: AnyUser, case: Case) -> bool:
    """Whether `user` sees all of the case, or only what an assignee from outside needs
    (the same rule as `_in_scope_q`, on one case)."""
    if not user.is_authenticated:
        return False
    scope = scope_for(user)
    if scope.is_admin:
        return True
    grants = [g for g in scope.unit_grants() if g.role != Role.PARTNER]

    def covered(path: str | None, roles: frozenset[str] | None = None) -> bool:
        return path is not None and any(
            path.startswith(g.path or "") and (roles is None or g.role in roles) for g in grants
        )

    if covered(case.commune.path, TERRITORIAL):
        return True
    if case.child is not None:
        return covered(case.child.village.path, TERRITORIAL)
    student = case.student
    assert student is not None
    school_path = student.school.unit.path if student.school else None
    if covered(school_path) or covered(student.village.path):
        return True
    class_ids = [g.class_id for g in scope.grants if g.class_id and g.role != Role.PARTNER]
    return bool(class_ids) and (
        Enrollment.objects.current().filter(student=student, school_class_id__in=class_ids).exists()
    )


def get_case_for_user(user: AnyUser, pk: int) -> Case:
    try:
        return (
            cases_for_user(user)
            .select_related(
                "student__village",
                "student__school__unit",
                "student__household",
                "child__village",
                "child__household",
                "commune",
            )
            .get(pk=pk)
        )
    except Case.DoesNotExist:
        raise Http404 from None


def can_open_for_student(user: AnyUser, student: Student) -> bool:
    return scope_for(user).is_admin or bool(grants_for_student(user, student) & EDITOR_ROLES)


def can_open_for_child(user: AnyUser, child: ResidentChild) -> bool:
    scope = scope_for(user)
    return scope.is_admin or any(
        g.role == Role.COMMUNE_OFFICER for g in scope.grants_covering(child.village.path)
    )


def is_assignee(user: AnyUser, case: Case) -> bool:
    return user.is_authenticated and case.assignments.filter(user=user, end__isnull=True).exists()


def can_manage(user: AnyUser, case: Case) -> bool:
    """Close the case, assign people: the roles that edit the child's record, and the
    commune officers of the case's commune (its owner, wherever the child went)."""
    if not user.is_authenticated:
        return False
    scope = scope_for(user)
    if any(g.role == Role.COMMUNE_OFFICER for g in scope.grants_covering(case.commune.path)):
        return True
    if case.student is not None:
        return can_open_for_student(user, case.student)
    assert case.child is not None
    return can_open_for_child(user, case.child)


def can_act(user: AnyUser, case: Case) -> bool:
    """Record a visit, mark a step done: the assignees, and whoever manages the case."""
    return is_assignee(user, case) or can_manage(user, case)


def programmes_for_user(user: AnyUser) -> QuerySet[SupportProgramme]:
    if not user.is_authenticated or partner_fields(user) is not None:
        return SupportProgramme.objects.none()
    scope = scope_for(user)
    if scope.is_admin:
        return SupportProgramme.objects.all()
    return SupportProgramme.objects.filter(scope.path_q("commune__path"))


def get_programme_for_user(user: AnyUser, pk: int) -> SupportProgramme:
    try:
        return programmes_for_user(user).select_related("commune").get(pk=pk)
    except SupportProgramme.DoesNotExist:
        raise Http404 from None


def can_deliver(user: AnyUser, programme: SupportProgramme) -> bool:
    scope = scope_for(user)
    if scope.is_admin:
        return True
    return any(
        g.role == Role.COMMUNE_OFFICER for g in scope.grants_covering(programme.commune.path)
    )


def can_manage_programmes(user: AnyUser, commune: OrgUnit) -> bool:
    scope = scope_for(user)
    return scope.is_admin or any(
        g.role == Role.COMMUNE_OFFICER for g in scope.grants_covering(commune.path)
    )


# --- mentoring, "what works", village meetings, partners ---------------------------------

OFFICER_ROLES = frozenset({Role.COMMUNE_OFFICER, Role.PROVINCE_OFFICER})


def pairs_for_user(user: AnyUser) -> QuerySet[MentorPair]:
    """A pair is seen by its mentor and by whoever sees the student (not a partner)."""
    if not user.is_authenticated or partner_fields(user) is not None:
        return MentorPair.objects.none()
    if scope_for(user).is_admin:
        return MentorPair.objects.all()
    return MentorPair.objects.filter(
        Q(mentor=user) | Q(student__in=students_for_user(user).values("pk"))
    )


def get_pair_for_user(user: AnyUser, pk: int) -> MentorPair:
    try:
        return pairs_for_user(user).select_related("student", "mentor").get(pk=pk)
    except MentorPair.DoesNotExist:
        raise Http404 from None


def can_pair(user: AnyUser, student: Student) -> bool:
    """Pairing a mentor: the roles that edit the student's record."""
    return can_open_for_student(user, student)


def can_see_what_works(user: AnyUser, unit: OrgUnit) -> bool:
    scope = scope_for(user)
    return scope.is_admin or any(g.role in OFFICER_ROLES for g in scope.grants_covering(unit.path))


def meetings_for_user(user: AnyUser) -> QuerySet[VillageMeeting]:
    if not user.is_authenticated or partner_fields(user) is not None:
        return VillageMeeting.objects.none()
    scope = scope_for(user)
    if scope.is_admin:
        return VillageMeeting.objects.all()
    return VillageMeeting.objects.filter(scope.path_q("commune__path"))


def get_meeting_for_user(user: AnyUser, pk: int) -> VillageMeeting:
    try:
        return meetings_for_user(user).select_related("commune", "village").get(pk=pk)
    except VillageMeeting.DoesNotExist:
        raise Http404 from None


def can_manage_meetings(user: AnyUser, unit: OrgUnit) -> bool:
    return unit.kind == "commune" and can_manage_programmes(user, unit)


def partner_lists_for_user(user: AnyUser, today: dt.date) -> QuerySet[PartnerCaseList]:
    """Lists given to one of the user's active partner memberships, until their end."""
    if not user.is_authenticated:
        return PartnerCaseList.objects.none()
    return PartnerCaseList.objects.filter(
        membership__user=user,
        membership__role=Role.PARTNER,
        membership__expires_on__gte=today,
        until__gte=today,
    )


def get_partner_list_for_user(user: AnyUser, pk: int, today: dt.date) -> PartnerCaseList:
    try:
        return partner_lists_for_user(user, today).select_related("membership").get(pk=pk)
    except PartnerCaseList.DoesNotExist:
        raise Http404 from None
