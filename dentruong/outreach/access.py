"""Who may see and act on outreach data.

- A case is seen by whoever sees its child (`people.access.students_for_user` or
  `resident_children_for_user`), and by the users assigned to it (a village head or a
  police officer may have no membership); never by a partner-only user.
- Acting on a case (a visit, a step, closing, assigning): its assignees, and the roles
  that edit register records (`EDITOR_ROLES`) over the child, and the administrator.
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
from dentruong.orgs.models import OrgUnit
from dentruong.outreach.models import (
    Case,
    MentorPair,
    PartnerCaseList,
    SupportProgramme,
    VillageMeeting,
)
from dentruong.people.access import (
    grants_for_student,
    partner_fields,
    resident_children_for_user,
    students_for_user,
)
from dentruong.people.models import ResidentChild, Student

AnyUser = User | AnonymousUser

DELIVERY_ROLES = frozenset({Role.COMMUNE_OFFICER, Role.SCHOOL_LEADER})


def cases_for_user(user: AnyUser) -> QuerySet[Case]:
    if not user.is_authenticated or partner_fields(user) is not None:
        return Case.objects.none()
    scope = scope_for(user)
    if scope.is_admin:
        return Case.objects.all()
    q = Q(student__in=students_for_user(user).values("pk"))
    q |= Q(child__in=resident_children_for_user(user).values("pk"))
    q |= Q(pk__in=user.case_assignments.filter(end__isnull=True).values("case_id"))  # type: ignore[union-attr]
    return Case.objects.filter(q)


def get_case_for_user(user: AnyUser, pk: int) -> Case:
    try:
        return (
            cases_for_user(user)
            .select_related("student__village", "student__school", "child__village", "commune")
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


def can_act(user: AnyUser, case: Case) -> bool:
    if not user.is_authenticated:
        return False
    if is_assignee(user, case):
        return True
    if case.student is not None:
        return can_open_for_student(user, case.student)
    assert case.child is not None
    return can_open_for_child(user, case.child)


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
