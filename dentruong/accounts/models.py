"""Users and their scopes on the organisation tree.

A user holds one or more `Membership`s: a role on a unit of the tree (a province, a
commune, a school) and, for a homeroom teacher, a class. What a user may see is the
union of their memberships; `dentruong.accounts.scopes` turns that into filters.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=16, blank=True)

    def __str__(self) -> str:
        return self.full_name or self.username


class Role(models.TextChoices):
    PROVINCE_OFFICER = "province_officer", _("Province officer")
    COMMUNE_OFFICER = "commune_officer", _("Commune officer")
    SCHOOL_LEADER = "school_leader", _("School leader")
    HOMEROOM_TEACHER = "homeroom_teacher", _("Homeroom teacher")
    PARTNER = "partner", _("Partner organisation")
    ADMIN = "admin", _("System administrator")


class PartnerField(models.TextChoices):
    """Fields a partner (e.g. the Youth Union) may be given for a campaign."""

    VILLAGE = "village", _("Village")
    SCHOOL_CLASS = "class", _("School and class")
    BIRTH_YEAR = "birth_year", _("Birth year")
    GUARDIAN_PHONE = "guardian_phone", _("Guardian's phone")


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self, on: dt.date | None = None) -> MembershipQuerySet:
        day = on or timezone.localdate()
        return self.filter(Q(expires_on__isnull=True) | Q(expires_on__gte=day))


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    unit = models.ForeignKey(
        "orgs.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="memberships"
    )
    school_class = models.ForeignKey(
        "orgs.SchoolClass",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    campaign = models.CharField(max_length=200, blank=True)
    partner_fields = models.CharField(
        max_length=200, blank=True, help_text=_("Comma-separated fields a partner may see")
    )
    expires_on = models.DateField(null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            # Everyone but the administrator is scoped to a unit of the tree.
            models.CheckConstraint(
                condition=Q(role="admin") | Q(unit__isnull=False), name="membership_has_unit"
            ),
            # A homeroom teacher is scoped to a class; nobody else is.
            models.CheckConstraint(
                condition=Q(role="homeroom_teacher", school_class__isnull=False)
                | (~Q(role="homeroom_teacher") & Q(school_class__isnull=True)),
                name="membership_class_iff_teacher",
            ),
            # A partner's access always ends and names its campaign.
            models.CheckConstraint(
                condition=~Q(role="partner") | (Q(expires_on__isnull=False) & ~Q(campaign="")),
                name="membership_partner_is_time_boxed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.unit or '*'}"

    @property
    def partner_field_list(self) -> list[str]:
        return [f for f in self.partner_fields.split(",") if f]
