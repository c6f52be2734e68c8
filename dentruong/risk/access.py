"""Who may see and write what in the early-warning app. Everything goes through the
access helpers of the objects it hangs on (classes, units, students): out of scope is
`Http404`, as everywhere.

- Reading a class's list, a unit's call list or a student's risk: anyone whose scope
  covers them, except a partner-only user (levels and reasons are child data no
  campaign field grants): 403.
- Setting or clearing a teacher's flag: `can_edit_student` (the homeroom teacher, the
  school's leaders, the commune officer).
- Reading the evaluation and the model cards: leaders and officers of the unit (no child
  is named there), not partners.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.http import Http404

from dentruong.accounts.models import User
from dentruong.people.access import partner_fields, students_for_user
from dentruong.risk.models import TeacherFlag

AnyUser = User | AnonymousUser


def can_read_risk(user: AnyUser) -> bool:
    return partner_fields(user) is None


def flags_for_user(user: AnyUser) -> QuerySet[TeacherFlag]:
    return TeacherFlag.objects.filter(student__in=students_for_user(user))


def get_flag_for_user(user: AnyUser, pk: int) -> TeacherFlag:
    try:
        return flags_for_user(user).select_related("student").get(pk=pk)
    except TeacherFlag.DoesNotExist:
        raise Http404 from None
