"""Which units, schools and classes a user may see."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.http import Http404

from dentruong.accounts.models import Role, User
from dentruong.accounts.scopes import scope_for
from dentruong.orgs.models import OrgUnit, School, SchoolClass, UnitKind

AnyUser = User | AnonymousUser


def units_for_user(user: AnyUser) -> QuerySet[OrgUnit]:
    scope = scope_for(user)
    if scope.is_admin:
        return OrgUnit.objects.all()
    return OrgUnit.objects.filter(scope.path_q("path"))


def get_unit_for_user(user: AnyUser, pk: int) -> OrgUnit:
    try:
        return units_for_user(user).get(pk=pk)
    except OrgUnit.DoesNotExist:
        raise Http404 from None


def schools_for_user(user: AnyUser) -> QuerySet[School]:
    scope = scope_for(user)
    if scope.is_admin:
        return School.objects.all()
    q = scope.path_q("unit__path")
    if scope.class_ids():
        q |= Q(classes__in=scope.class_ids())
    return School.objects.filter(q).distinct()


def get_school_for_user(user: AnyUser, pk: int) -> School:
    try:
        return schools_for_user(user).select_related("unit", "commune").get(pk=pk)
    except School.DoesNotExist:
        raise Http404 from None


def classes_for_user(user: AnyUser) -> QuerySet[SchoolClass]:
    scope = scope_for(user)
    if scope.is_admin:
        return SchoolClass.objects.all()
    return SchoolClass.objects.filter(
        scope.path_q("school__unit__path") | Q(pk__in=scope.class_ids())
    )


def get_class_for_user(user: AnyUser, pk: int) -> SchoolClass:
    try:
        return classes_for_user(user).select_related("school", "school_year").get(pk=pk)
    except SchoolClass.DoesNotExist:
        raise Http404 from None


def villages_for_user(user: AnyUser) -> QuerySet[OrgUnit]:
    """Villages a user may put a child's residence in: those of their territory, and for
    school staff those of the school's commune."""
    scope = scope_for(user)
    villages = OrgUnit.objects.filter(kind=UnitKind.VILLAGE)
    if scope.is_admin:
        return villages
    q = Q(pk__in=[])
    for grant in scope.grants:
        if grant.path is None:
            continue
        path = grant.path
        if grant.role in (Role.SCHOOL_LEADER, Role.HOMEROOM_TEACHER):
            path = path[: path.rstrip("/").rfind("/") + 1]  # the school's commune
        q |= Q(path__startswith=path)
    return villages.filter(q)
