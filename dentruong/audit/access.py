"""Who may read a child's access history (decision 0010).

- A student's history: the school leader of the student's school and the system
  administrator. The school keeps the student's record and answers for who in it looked;
  commune and province officers, teachers and partners are among the readers the history
  is about, and who looked at which child is itself personal data of the staff.
- A register child's history (the commune census): the commune officer of the child's
  commune, who keeps that register, and the administrator.
- Anyone else: Http404, as for a child out of scope.
"""

from __future__ import annotations

from django.http import Http404

from dentruong.accounts.models import Role
from dentruong.accounts.scopes import scope_for
from dentruong.people.access import (
    AnyUser,
    get_resident_child_for_user,
    get_student_for_user,
    grants_for_student,
)
from dentruong.people.models import ResidentChild, Student

STUDENT_HISTORY_ROLES = frozenset({Role.ADMIN, Role.SCHOOL_LEADER})


def may_see_student_history(user: AnyUser, student: Student) -> bool:
    """For a student the user already sees."""
    return bool(grants_for_student(user, student) & STUDENT_HISTORY_ROLES)


def may_see_child_history(user: AnyUser, child: ResidentChild) -> bool:
    """For a register child the user already sees."""
    scope = scope_for(user)
    return scope.is_admin or any(
        g.role == Role.COMMUNE_OFFICER for g in scope.grants_covering(child.village.path)
    )


def get_student_for_history(user: AnyUser, pk: int) -> Student:
    student = get_student_for_user(user, pk)
    if not may_see_student_history(user, student):
        raise Http404
    return student


def get_child_for_history(user: AnyUser, pk: int) -> ResidentChild:
    child = get_resident_child_for_user(user, pk)
    if not may_see_child_history(user, child):
        raise Http404
    return child
