"""Who may see which people records. Every page and API endpoint goes through these.

Out of scope looks exactly like "does not exist": the get_* helpers raise Http404.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.http import Http404

from dentruong.accounts.models import Role, User
from dentruong.accounts.scopes import EDITOR_ROLES, SENSITIVE_ROLES, Scope, scope_for
from dentruong.enrollment.models import Enrollment
from dentruong.people.models import ResidentChild, Student

AnyUser = User | AnonymousUser


def _student_q(scope: Scope) -> Q:
    # A unit grant covers students whose school or whose village lies inside it: a school
    # leader's path holds the school only; a commune officer's holds both.
    q = scope.path_q("school__unit__path") | scope.path_q("village__path")
    if scope.class_ids():
        in_class = Enrollment.objects.current().filter(school_class_id__in=scope.class_ids())
        q |= Q(pk__in=in_class.values("student_id"))
    return q


def students_for_user(user: AnyUser) -> QuerySet[Student]:
    scope = scope_for(user)
    if scope.is_admin:
        return Student.objects.all()
    if scope.is_empty:
        return Student.objects.none()
    return Student.objects.filter(_student_q(scope))


def get_student_for_user(user: AnyUser, pk: int) -> Student:
    try:
        return students_for_user(user).select_related("school", "village", "household").get(pk=pk)
    except Student.DoesNotExist:
        raise Http404 from None


def grants_for_student(user: AnyUser, student: Student) -> set[str]:
    """The roles under which `user` sees this (already visible) student."""
    scope = scope_for(user)
    roles = {g.role for g in scope.grants if g.role == Role.ADMIN}
    for path in filter(
        None, [student.school.unit.path if student.school else None, student.village.path]
    ):
        roles |= {g.role for g in scope.grants_covering(path)}
    if (
        scope.class_ids()
        and Enrollment.objects.current()
        .filter(student=student, school_class_id__in=scope.class_ids())
        .exists()
    ):
        roles.add(Role.HOMEROOM_TEACHER)
    return roles


def can_see_sensitive(user: AnyUser, student: Student) -> bool:
    return bool(grants_for_student(user, student) & SENSITIVE_ROLES)


def can_edit_student(user: AnyUser, student: Student) -> bool:
    return bool(grants_for_student(user, student) & EDITOR_ROLES)


def partner_fields(user: AnyUser) -> set[str] | None:
    """Fields a partner-only user may see; None when the user has a full role."""
    scope = scope_for(user)
    if scope.is_admin or any(g.role != Role.PARTNER for g in scope.grants):
        return None
    return {f for g in scope.grants for f in g.partner_fields}


def resident_children_for_user(user: AnyUser) -> QuerySet[ResidentChild]:
    """The commune register: territorial roles only (province, commune), and the admin."""
    scope = scope_for(user)
    if scope.is_admin:
        return ResidentChild.objects.all()
    territorial = [
        g for g in scope.unit_grants() if g.role in (Role.PROVINCE_OFFICER, Role.COMMUNE_OFFICER)
    ]
    if not territorial:
        return ResidentChild.objects.none()
    return ResidentChild.objects.filter(scope.path_q("village__path", territorial))


def get_resident_child_for_user(user: AnyUser, pk: int) -> ResidentChild:
    try:
        return resident_children_for_user(user).select_related("village", "student").get(pk=pk)
    except ResidentChild.DoesNotExist:
        raise Http404 from None
