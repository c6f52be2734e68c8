"""Who may see and who may take a class's roll call. Every attendance page and endpoint
goes through these.

- A class out of the user's scope does not exist for them (`Http404`, as everywhere).
- Taking or correcting the roll call: the class's homeroom teacher (their class grant)
  and the leaders of its school. Everyone else who sees the class reads only (403).
- Reading: anyone whose scope covers the class may read its summaries (head counts, no
  child's data). Each student's marks and reasons are child data: a partner whose
  campaign grants only some fields (`Membership.partner_fields`) does not see them.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from dentruong.accounts.models import Role, User
from dentruong.accounts.scopes import scope_for
from dentruong.orgs.access import classes_for_user
from dentruong.orgs.models import SchoolClass
from dentruong.people.access import partner_fields

AnyUser = User | AnonymousUser


def get_class_for_attendance(user: AnyUser, pk: int) -> SchoolClass:
    """The class if the user's scope covers it (else Http404), with what the calendar and
    the permission check need (school → unit, in the same query).

    The same rule as `classes_for_user`, checked on the fetched row: this is on the path
    of every roll call submitted, and a lookup by primary key is the cheapest query."""
    scope = scope_for(user)
    if scope.is_empty:
        raise Http404
    school_class = (
        SchoolClass.objects.select_related("school__unit", "school_year").filter(pk=pk).first()
    )
    if school_class is None or not (
        scope.covers_path(school_class.school.unit.path) or pk in scope.class_ids()
    ):
        raise Http404
    return school_class


def classes_for_attendance(user: AnyUser, pks: Iterable[int]) -> dict[int, SchoolClass]:
    """The classes among `pks` that the user's scope covers, by id (one query)."""
    found = classes_for_user(user).filter(pk__in=set(pks)).select_related("school__unit")
    return {c.pk: c for c in found}


def can_take_roll_call(user: AnyUser, school_class: SchoolClass) -> bool:
    """Homeroom teacher of the class, or a leader of its school. Needs `school.unit`."""
    scope = scope_for(user)
    if any(g.role == Role.HOMEROOM_TEACHER and g.class_id == school_class.pk for g in scope.grants):
        return True
    path = school_class.school.unit.path
    return any(g.role == Role.SCHOOL_LEADER for g in scope.grants_covering(path))


def can_read_marks(user: AnyUser) -> bool:
    """Per-student marks, for a user who already sees the class: not for a partner-only
    user (no campaign field covers attendance)."""
    return partner_fields(user) is None
