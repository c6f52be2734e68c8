"""Who may import into, and export from, which class, school or commune.

Out of scope is Http404 (as everywhere); in scope but not allowed to edit is
PermissionDenied (403): a province officer sees a school's classes but does not import
into them. Imports write register records, so the editor roles decide (school leader,
commune officer, the homeroom teacher for their own class); the resident children
register is the commune officer's. Exports hold identification numbers and birth dates:
partners (who see only some fields) get none.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from dentruong.accounts.models import Role, User
from dentruong.accounts.scopes import EDITOR_ROLES, scope_for
from dentruong.imports.models import ImportBatch, ImportKind
from dentruong.orgs.access import get_class_for_user, get_school_for_user, units_for_user
from dentruong.orgs.models import OrgUnit, School, SchoolClass, UnitKind
from dentruong.people.access import partner_fields

AnyUser = User | AnonymousUser


def can_edit_class(user: AnyUser, school_class: SchoolClass) -> bool:
    scope = scope_for(user)
    if scope.is_admin:
        return True
    if any(g.role == Role.HOMEROOM_TEACHER and g.class_id == school_class.pk for g in scope.grants):
        return True
    return can_edit_school(user, school_class.school)


def can_edit_school(user: AnyUser, school: School) -> bool:
    scope = scope_for(user)
    return scope.is_admin or any(
        g.role in EDITOR_ROLES for g in scope.grants_covering(school.unit.path)
    )


def can_edit_register(user: AnyUser, commune: OrgUnit) -> bool:
    scope = scope_for(user)
    return scope.is_admin or any(
        g.role == Role.COMMUNE_OFFICER for g in scope.grants_covering(commune.path)
    )


def may_export(user: AnyUser) -> bool:
    return user.is_authenticated and partner_fields(user) is None


def class_for_import(user: AnyUser, pk: int) -> SchoolClass:
    school_class = get_class_for_user(user, pk)
    if not can_edit_class(user, school_class):
        raise PermissionDenied
    return school_class


def school_for_import(user: AnyUser, pk: int) -> School:
    school = get_school_for_user(user, pk)
    if not can_edit_school(user, school):
        raise PermissionDenied
    return school


def get_commune_for_user(user: AnyUser, pk: int) -> OrgUnit:
    try:
        return units_for_user(user).get(pk=pk, kind=UnitKind.COMMUNE)
    except OrgUnit.DoesNotExist:
        raise Http404 from None


def commune_for_import(user: AnyUser, pk: int) -> OrgUnit:
    commune = get_commune_for_user(user, pk)
    if not can_edit_register(user, commune):
        raise PermissionDenied
    return commune


def batches_for_user(user: AnyUser) -> QuerySet[ImportBatch]:
    """A user's own uploads (the administrator's: all)."""
    if not user.is_authenticated:
        return ImportBatch.objects.none()
    if scope_for(user).is_admin:
        return ImportBatch.objects.all()
    return ImportBatch.objects.filter(created_by_id=user.pk)


def get_batch_for_user(user: AnyUser, pk: int) -> ImportBatch:
    """An upload of the user's whose target they may still edit."""
    try:
        batch = (
            batches_for_user(user)
            .select_related("school_class__school__unit", "school__unit", "school_year", "commune")
            .get(pk=pk)
        )
    except ImportBatch.DoesNotExist:
        raise Http404 from None
    if batch.kind == ImportKind.CLASS_LIST:
        assert batch.school_class is not None
        allowed = can_edit_class(user, batch.school_class)
    elif batch.kind == ImportKind.STUDENTS:
        assert batch.school is not None
        allowed = can_edit_school(user, batch.school)
    else:
        assert batch.commune is not None
        allowed = can_edit_register(user, batch.commune)
    if not allowed:
        raise Http404
    return batch
