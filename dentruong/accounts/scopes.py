"""What a user may see, computed once per request from their active memberships.

`Scope` is a plain value: unit paths and class ids. Access helpers in each app turn it
into QuerySet filters (path prefix comparisons: no tree walking).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from dentruong.accounts.models import Membership, Role, User

# Roles that may see sensitive facts (poverty, disability, health) of students in scope.
SENSITIVE_ROLES = frozenset({Role.SCHOOL_LEADER, Role.COMMUNE_OFFICER, Role.HOMEROOM_TEACHER})
# Roles that may change register records (students, guardians, resident children).
EDITOR_ROLES = frozenset({Role.SCHOOL_LEADER, Role.COMMUNE_OFFICER, Role.HOMEROOM_TEACHER})


@dataclass(frozen=True)
class Grant:
    role: str
    path: str | None  # unit path; None for the administrator
    class_id: int | None = None
    partner_fields: tuple[str, ...] = ()


@dataclass
class Scope:
    grants: list[Grant] = field(default_factory=list)

    @property
    def is_admin(self) -> bool:
        return any(g.role == Role.ADMIN for g in self.grants)

    @property
    def roles(self) -> set[str]:
        return {g.role for g in self.grants}

    @property
    def is_empty(self) -> bool:
        return not self.grants

    def unit_grants(self) -> list[Grant]:
        """Grants that cover a whole unit (everything below a path)."""
        return [g for g in self.grants if g.path is not None and g.class_id is None]

    def class_ids(self) -> list[int]:
        return [g.class_id for g in self.grants if g.class_id is not None]

    def path_q(self, field_name: str, grants: list[Grant] | None = None) -> Q:
        """Q: `field_name` (a unit path) lies inside one of the unit grants."""
        q = Q(pk__in=[])
        for g in self.unit_grants() if grants is None else grants:
            q |= Q(**{f"{field_name}__startswith": g.path})
        return q

    def covers_path(self, path: str) -> bool:
        return self.is_admin or any(path.startswith(g.path or "") for g in self.unit_grants())

    def grants_covering(self, path: str) -> list[Grant]:
        return [g for g in self.unit_grants() if path.startswith(g.path or "")]


def scope_for(user: User | AnonymousUser) -> Scope:
    """The user's scope; cached on the user object for the request."""
    if not user.is_authenticated:
        return Scope()
    cached: Scope | None = getattr(user, "_dentruong_scope", None)
    if cached is not None:
        return cached
    grants = [
        Grant(
            role=m.role,
            path=m.unit.path if m.unit else None,
            class_id=m.school_class_id,
            partner_fields=tuple(m.partner_field_list),
        )
        for m in Membership.objects.active().filter(user_id=user.pk).select_related("unit")
    ]
    scope = Scope(grants)
    setattr(user, "_dentruong_scope", scope)  # noqa: B010 (a per-request cache)
    return scope
