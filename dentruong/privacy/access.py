"""Who handles guardians' requests about a child's data.

Handlers: the school leader (students whose school or village lies in the school's unit:
in practice the school's students) and the commune officer (students and register
children of the commune), and the administrator. A request is visible to the handlers
who see its child; out of scope → Http404, like everywhere.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.http import Http404

from dentruong.accounts.models import Role, User
from dentruong.accounts.scopes import Grant, scope_for
from dentruong.people.models import ResidentChild, Student
from dentruong.privacy.models import RightsRequest

AnyUser = User | AnonymousUser

HANDLER_ROLES = frozenset({Role.SCHOOL_LEADER, Role.COMMUNE_OFFICER})


def _handler_grants(user: AnyUser) -> list[Grant]:
    return [g for g in scope_for(user).unit_grants() if g.role in HANDLER_ROLES]


def can_handle_requests(user: AnyUser) -> bool:
    return scope_for(user).is_admin or bool(_handler_grants(user))


def rights_requests_for_user(user: AnyUser) -> QuerySet[RightsRequest]:
    scope = scope_for(user)
    if scope.is_admin:
        return RightsRequest.objects.all()
    grants = _handler_grants(user)
    if not grants:
        return RightsRequest.objects.none()
    commune = [g for g in grants if g.role == Role.COMMUNE_OFFICER]
    return RightsRequest.objects.filter(
        scope.path_q("student__school__unit__path", grants)
        | scope.path_q("student__village__path", grants)
        | scope.path_q("child__village__path", commune)  # the register: communes only
    )


def get_rights_request_for_user(user: AnyUser, pk: int) -> RightsRequest:
    try:
        return (
            rights_requests_for_user(user)
            .select_related("student__school", "student__village", "child__village")
            .get(pk=pk)
        )
    except RightsRequest.DoesNotExist:
        raise Http404 from None


def may_register_for_student(user: AnyUser, student: Student) -> bool:
    """A handler whose grant covers the student's school or village."""
    if scope_for(user).is_admin:
        return True
    paths = [student.village.path] + ([student.school.unit.path] if student.school else [])
    return any(p.startswith(g.path or "") for g in _handler_grants(user) for p in paths)


def may_register_for_child(user: AnyUser, child: ResidentChild) -> bool:
    """A commune officer of the child's commune (school leaders never see the register)."""
    if scope_for(user).is_admin:
        return True
    return any(
        g.role == Role.COMMUNE_OFFICER and child.village.path.startswith(g.path or "")
        for g in _handler_grants(user)
    )
