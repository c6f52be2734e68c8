"""Who may record which enrollment event, and who sees which transfer.

- Seeing a student's events: whoever sees the student (`people.access`), except a
  partner-only user (events are child data no campaign field grants).
- Recording: a leader of the school concerned (the student's current class for a change
  that leaves it; the class entered for one that opens an enrolment). The homeroom teacher
  of the student's current class may record a dropout or a departure from the locality.
- Transfers: visible to both schools' units (sending and receiving) and the units above
  them; only a leader of the receiving school confirms or declines.
- Out of scope: Http404, as everywhere.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.http import Http404

from dentruong.accounts.models import Role, User
from dentruong.accounts.scopes import scope_for
from dentruong.enrollment.codes import EventKind
from dentruong.enrollment.models import Enrollment, EnrollmentEvent, Transfer
from dentruong.orgs.models import SchoolClass
from dentruong.people.access import grants_for_student, partner_fields
from dentruong.people.models import Student

AnyUser = User | AnonymousUser

TEACHER_KINDS = frozenset({EventKind.DROPPED_OUT, EventKind.LEFT_LOCALITY})
ENTRY_KINDS = frozenset({EventKind.ENROLLED, EventKind.TRANSFERRED_IN, EventKind.RETURNED})


def leads_school(user: AnyUser, school_unit_path: str) -> bool:
    return any(
        g.role == Role.SCHOOL_LEADER for g in scope_for(user).grants_covering(school_unit_path)
    )


def teaches_class(user: AnyUser, class_id: int) -> bool:
    return any(
        g.role == Role.HOMEROOM_TEACHER and g.class_id == class_id for g in scope_for(user).grants
    )


def can_read_events(user: AnyUser) -> bool:
    """For a user who already sees the student."""
    return partner_fields(user) is None


def can_record_event(
    user: AnyUser, student: Student, kind: str, school_class: SchoolClass | None
) -> bool:
    """`school_class`: the class entered (entries, class changes, repeats), with
    `school.unit` loaded; None for a change that only leaves the current class."""
    if kind in ENTRY_KINDS:
        return school_class is not None and leads_school(user, school_class.school.unit.path)
    current = (
        Enrollment.objects.current()
        .filter(student=student)
        .select_related("school_class__school__unit")
        .first()
    )
    if current is None:
        # Nothing to leave: the service refuses it with its reason; a leader of the
        # student's school may hear that reason.
        return student.school is not None and leads_school(user, student.school.unit.path)
    here = leads_school(user, current.school_class.school.unit.path)
    if kind in TEACHER_KINDS and teaches_class(user, current.school_class_id):
        here = True
    if school_class is not None and kind in (EventKind.CLASS_CHANGED, EventKind.REPEATED):
        here = here and leads_school(user, school_class.school.unit.path)
    return here


def can_record_destination(user: AnyUser, event: EnrollmentEvent) -> bool:
    """A leader of the school the graduate completed, or an officer of the commune."""
    return bool(
        grants_for_student(user, event.student) & {Role.SCHOOL_LEADER, Role.COMMUNE_OFFICER}
    )


def transfers_for_user(user: AnyUser) -> QuerySet[Transfer]:
    scope = scope_for(user)
    if scope.is_admin:
        return Transfer.objects.all()
    if scope.is_empty or partner_fields(user) is not None:
        return Transfer.objects.none()
    return Transfer.objects.filter(
        scope.path_q("from_school__unit__path") | scope.path_q("to_school__unit__path")
    )


def get_transfer_for_user(user: AnyUser, pk: int) -> Transfer:
    try:
        return (
            transfers_for_user(user)
            .select_related("student", "from_school__unit", "to_school__unit", "from_class")
            .get(pk=pk)
        )
    except Transfer.DoesNotExist:
        raise Http404 from None


def can_decide_transfer(user: AnyUser, transfer: Transfer) -> bool:
    return leads_school(user, transfer.to_school.unit.path)


def events_for_student(student: Student) -> QuerySet[EnrollmentEvent]:
    return student.events.select_related(
        "school_class__school", "from_class", "recorded_by", "destination"
    ).order_by("date", "pk")
