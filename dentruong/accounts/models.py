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

from dentruong.people.fields import EncryptedTextField


class User(AbstractUser):
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=16, blank=True)
    # Set when an administrator creates the account or sets its password: the user chooses
    # their own before anything else (accounts.middleware.SessionPolicyMiddleware).
    must_change_password = models.BooleanField(_("must change password"), default=False)

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


class Stage(models.TextChoices):
    PASSWORD = "password", _("Password")
    CODE = "code", _("Authenticator code")
    RECOVERY = "recovery", _("Recovery code")


class Outcome(models.TextChoices):
    PENDING = "pending", _("Being checked")
    FAILED = "failed", _("Failed")
    LOCKED = "locked", _("Refused: locked")
    PASSED = "passed", _("Password right, code to come")
    SUCCEEDED = "succeeded", _("Logged in")
    UNLOCKED = "unlocked", _("Unlocked by an administrator")


class LoginAttempt(models.Model):
    """One try at the login page (a password or a code), kept for the throttle and for
    the record; `services.purge_login_attempts` removes old rows.

    The throttle reads these rows (accounts/throttle.py): FAILED and PENDING rows of a
    username or an address count as failures, SUCCEEDED and UNLOCKED rows of a username
    start its count again. A row is written PENDING before the password is checked, so
    that concurrent tries in other processes see each other.
    """

    at = models.DateTimeField(default=timezone.now)
    username = models.CharField(max_length=150)  # as typed, casefolded: may be no account
    ip = models.GenericIPAddressField(null=True, blank=True)
    stage = models.CharField(max_length=10, choices=Stage.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING)

    class Meta:
        verbose_name = _("login attempt")
        verbose_name_plural = _("login attempts")
        indexes = [
            models.Index(fields=["username", "at"], name="login_attempt_user_at"),
            models.Index(fields=["ip", "at"], name="login_attempt_ip_at"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(username=""), name="login_attempt_has_username"),
            models.CheckConstraint(
                condition=Q(stage__in=Stage.values), name="login_attempt_stage_valid"
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=Outcome.values), name="login_attempt_outcome_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} {self.stage} {self.outcome}"


class TOTPDevice(models.Model):
    """A user's authenticator app: the shared secret (RFC 6238), confirmed by a first code.

    The secret (base32) is encrypted at rest like the sensitive facts (decision 0012: a
    copy of the database does not give away anyone's second factor) and shown only while
    the enrolment is unconfirmed; see docs/decisions/0011-accounts-security.md.
    `last_step` is the time step of the last code accepted: codes of that step and older
    are refused (no replay).
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device")
    secret = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_step = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")
        constraints = [
            # Confirming takes a first code, whose step is then the last one used.
            models.CheckConstraint(
                condition=Q(confirmed_at__isnull=True) | Q(last_step__isnull=False),
                name="totp_confirmed_has_step",
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


class RecoveryCode(models.Model):
    """A one-time code for a lost phone; only its SHA-256 is kept (80 random bits)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")
        constraints = [
            models.UniqueConstraint(fields=["user", "code_hash"], name="recovery_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.code_hash[:8]}"
