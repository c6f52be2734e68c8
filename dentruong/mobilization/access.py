"""Who may see and change mobilization data.

- Targets: seen by whoever sees the school; set by a leader of the school or an officer
  of its commune (or the administrator).
- The review queue of the matching: the pairs whose register entry the user sees
  (`people.access.resident_children_for_user`: territorial roles); decided by a commune
  officer of the child's commune (or the administrator).
- Reports and the out-of-school list: whoever sees the unit, except a partner-only user
  (child data no campaign field grants). The family situation is shown only to the roles
  that see sensitive facts (`accounts.scopes.SENSITIVE_ROLES`, as
  `people.access.can_see_sensitive`) on a grant covering the whole unit.
- Out of scope: Http404.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.http import Http404

from dentruong.accounts.models import Role, User
from dentruong.accounts.scopes import SENSITIVE_ROLES, scope_for
from dentruong.mobilization.models import MatchCandidate
from dentruong.orgs.models import School
from dentruong.people.access import partner_fields, resident_children_for_user

AnyUser = User | AnonymousUser

TARGET_ROLES = frozenset({Role.SCHOOL_LEADER, Role.COMMUNE_OFFICER})


def can_read_reports(user: AnyUser) -> bool:
    return user.is_authenticated and partner_fields(user) is None


def can_set_targets(user: AnyUser, school: School) -> bool:
    scope = scope_for(user)
    if scope.is_admin:
        return True
    return any(g.role in TARGET_ROLES for g in scope.grants_covering(school.unit.path))


def sees_family_situation(user: AnyUser, unit_path: str) -> bool:
    return any(g.role in SENSITIVE_ROLES for g in scope_for(user).grants_covering(unit_path))


def matches_for_user(user: AnyUser) -> QuerySet[MatchCandidate]:
    return MatchCandidate.objects.filter(child__in=resident_children_for_user(user))


def get_match_for_user(user: AnyUser, pk: int) -> MatchCandidate:
    try:
        return (
            matches_for_user(user)
            .select_related("child__village", "student__village", "student__school")
            .get(pk=pk)
        )
    except MatchCandidate.DoesNotExist:
        raise Http404 from None


def can_decide_match(user: AnyUser, candidate: MatchCandidate) -> bool:
    scope = scope_for(user)
    if scope.is_admin:
        return True
    return any(
        g.role == Role.COMMUNE_OFFICER for g in scope.grants_covering(candidate.child.village.path)
    )
