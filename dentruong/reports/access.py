"""Who may see report schedules and submissions, and who may submit.

- A schedule is visible to users whose scope covers its unit (the level receiving the
  reports, and above) and to the leaders of the units that report under it (a school
  leader sees the commune's schedule). Out of scope: Http404.
- A submission is visible to whoever sees its unit (the reporting unit and above).
- Submitting and managing schedules is for leaders: a school's leader for a school, the
  commune's officer for a commune, the province's officer for a province; partners and
  teachers never.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from dentruong.accounts.models import Role
from dentruong.accounts.scopes import scope_for
from dentruong.orgs.access import AnyUser
from dentruong.orgs.models import OrgUnit, UnitKind
from dentruong.reports.models import ReportSchedule, Submission

LEADER_OF: dict[str, str] = {
    UnitKind.SCHOOL: Role.SCHOOL_LEADER,
    UnitKind.COMMUNE: Role.COMMUNE_OFFICER,
    UnitKind.PROVINCE: Role.PROVINCE_OFFICER,
}
READER_ROLES = frozenset(
    {Role.SCHOOL_LEADER, Role.COMMUNE_OFFICER, Role.PROVINCE_OFFICER, Role.ADMIN}
)


def _leader_grants(user: AnyUser) -> list[str]:
    return [
        g.path or ""
        for g in scope_for(user).unit_grants()
        if g.role in (Role.SCHOOL_LEADER, Role.COMMUNE_OFFICER, Role.PROVINCE_OFFICER)
    ]


def schedules_for_user(user: AnyUser) -> QuerySet[ReportSchedule]:
    scope = scope_for(user)
    if scope.is_admin:
        return ReportSchedule.objects.all()
    q = Q(pk__in=[])
    for path in _leader_grants(user):
        ancestors = OrgUnit(path=path).ancestor_paths()
        q |= Q(unit__path__startswith=path) | Q(unit__path__in=ancestors)
    return ReportSchedule.objects.filter(q)


def get_schedule_for_user(user: AnyUser, pk: int) -> ReportSchedule:
    try:
        return schedules_for_user(user).select_related("unit").get(pk=pk)
    except ReportSchedule.DoesNotExist:
        raise Http404 from None


def can_see_status(user: AnyUser, schedule: ReportSchedule) -> bool:
    """Completeness and roll-up: for the receiving level and above."""
    scope = scope_for(user)
    return scope.is_admin or any(schedule.unit.path.startswith(p) for p in _leader_grants(user))


def can_manage(user: AnyUser, unit: OrgUnit) -> bool:
    """Create schedules for a commune or a province: its officers or those above."""
    return unit.kind in (UnitKind.COMMUNE, UnitKind.PROVINCE) and can_see_status_path(
        user, unit.path
    )


def can_see_status_path(user: AnyUser, path: str) -> bool:
    return scope_for(user).is_admin or any(path.startswith(p) for p in _leader_grants(user))


def can_submit(user: AnyUser, unit: OrgUnit) -> bool:
    """The unit's own leader (a membership on exactly this unit with the leader role)."""
    role = LEADER_OF.get(unit.kind)  # type: ignore[call-overload]
    return any(g.role == role and g.path == unit.path for g in scope_for(user).unit_grants())


def get_reporter_for_user(user: AnyUser, schedule: ReportSchedule, unit_pk: int) -> OrgUnit:
    """A reporting unit of the schedule that the user sees; Http404 otherwise."""
    scope = scope_for(user)
    try:
        unit = OrgUnit.objects.get(
            pk=unit_pk, kind=schedule.reporter_kind, path__startswith=schedule.unit.path
        )
    except OrgUnit.DoesNotExist:
        raise Http404 from None
    if not scope.covers_path(unit.path):
        raise Http404
    return unit


def submissions_for_user(user: AnyUser) -> QuerySet[Submission]:
    scope = scope_for(user)
    if scope.is_admin:
        return Submission.objects.all()
    grants = [g for g in scope.unit_grants() if g.role in READER_ROLES]
    return Submission.objects.filter(scope.path_q("unit__path", grants))


def get_submission_for_user(user: AnyUser, pk: int) -> Submission:
    try:
        return (
            submissions_for_user(user)
            .select_related("schedule__unit", "unit__parent", "submitted_by")
            .get(pk=pk)
        )
    except Submission.DoesNotExist:
        raise Http404 from None
