"""Outreach (tìm kiếm và vận động trẻ ra lớp, after UNICEF Brazil's Busca Ativa Escolar):
every child at risk or out of school is a `Case` that closes only with an outcome.

- `Case`: a student or a resident child (exactly one), one open case per child at a time.
- `CaseStep`: the case's steps with deadlines (alert → home visit → analysis of causes →
  action plan → back in school → follow-ups at 30 and 60 days); `StepDuration` sets the
  days per commune (defaults in `rules.DEFAULT_DAYS`).
- `CaseEvent`: every status change as a row (opened, step done, step late, assigned,
  closed).
- `CaseAssignment`: a user on the case in a role (homeroom teacher, mentor, commune
  officer, village head, police officer); `CaseAlert`: a late step shown on the
  assignee's list.
- `HomeVisit` with its coded causes (`VisitCause`, the dropout-reason codes).
- `SupportProgramme` with a budget or stock and `SupportDelivery` rows; the programme's
  `delivered` total can never exceed its `capacity` (a check constraint).
- `MentorPair`: a mentor and a student (at most `rules.MENTEE_LIMIT` open per mentor).

Write through `dentruong.outreach.services`.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from dentruong.enrollment.codes import DropoutReason


class StepKind(models.TextChoices):
    ALERT = "alert", _("Alert")
    HOME_VISIT = "home_visit", _("Home visit")
    ANALYSIS = "analysis", _("Analysis of causes")
    ACTION_PLAN = "action_plan", _("Action plan")
    BACK_IN_SCHOOL = "back_in_school", _("Back in school")
    FOLLOW_UP_30 = "follow_up_30", _("Follow-up after 30 days")
    FOLLOW_UP_60 = "follow_up_60", _("Follow-up after 60 days")


class Origin(models.TextChoices):
    MANUAL = "manual", _("Opened by hand")
    ABSENCES = "absences", _("Consecutive unexcused absences")
    DROPOUT = "dropout", _("Dropped out or left the locality")
    HIGH_RISK = "high_risk", _("High risk of dropping out")
    NOT_ENROLLED = "not_enrolled", _("School-age child not enrolled")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Outcome(models.TextChoices):
    BACK_IN_SCHOOL = "back_in_school", _("Back in school and still there at the last follow-up")
    NOT_BACK = "not_back", _("Not back in school")
    TRANSFERRED = "transferred", _("Transferred elsewhere")


class NotBackReason(models.TextChoices):
    WORKING_AWAY = "working_away", _("Working away")
    MARRIED = "married", _("Married")
    MOVED = "moved", _("Moved away")
    REFUSED = "refused", _("Refused")
    NOT_FOUND = "not_found", _("Not found")


class CaseRole(models.TextChoices):
    HOMEROOM_TEACHER = "homeroom_teacher", _("Homeroom teacher")
    MENTOR = "mentor", _("Mentor")
    COMMUNE_OFFICER = "commune_officer", _("Commune officer")
    VILLAGE_HEAD = "village_head", _("Village head")
    POLICE = "police", _("Police officer (whereabouts)")


def _one_child() -> Q:
    return Q(student__isnull=False, child__isnull=True) | Q(
        student__isnull=True, child__isnull=False
    )


class Case(models.Model):
    student = models.ForeignKey(
        "people.Student", null=True, blank=True, on_delete=models.CASCADE, related_name="cases"
    )
    child = models.ForeignKey(
        "people.ResidentChild",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="cases",
    )
    commune = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    origin = models.CharField(_("why opened"), max_length=12, choices=Origin.choices)
    trigger_note = models.CharField(_("note"), max_length=255, blank=True)
    opened_on = models.DateField(_("opened on"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=6, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    next_due = models.DateField(null=True, blank=True)  # the first step not done (lists)
    closed_on = models.DateField(null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    not_back_reason = models.CharField(
        _("why not back"), max_length=12, choices=NotBackReason.choices, blank=True
    )
    outcome_note = models.CharField(_("outcome note"), max_length=255, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [models.Index(fields=["commune", "status"], name="case_commune_status")]
        constraints = [
            models.CheckConstraint(condition=_one_child(), name="case_one_child"),
            models.UniqueConstraint(
                fields=["student"],
                condition=Q(status="open", student__isnull=False),
                name="case_one_open_per_student",
            ),
            models.UniqueConstraint(
                fields=["child"],
                condition=Q(status="open", child__isnull=False),
                name="case_one_open_per_child",
            ),
            models.CheckConstraint(
                condition=Q(status="open", closed_on__isnull=True, outcome="")
                | (Q(status="closed", closed_on__isnull=False) & ~Q(outcome="")),
                name="case_closed_with_outcome",
            ),
            models.CheckConstraint(
                condition=Q(outcome="not_back", not_back_reason__in=NotBackReason.values)
                | (~Q(outcome="not_back") & Q(not_back_reason="")),
                name="case_not_back_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("opened_on")),
                name="case_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"case {self.pk} ({self.status})"

    @property
    def person(self) -> object:
        return self.student if self.student_id else self.child


class StepDuration(models.Model):
    """Days allowed for a step in a commune, counted from the previous step (the
    follow-ups: from the return to school)."""

    commune = models.ForeignKey("orgs.OrgUnit", on_delete=models.CASCADE, related_name="+")
    step = models.CharField(max_length=16, choices=StepKind.choices)
    days = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["commune", "step"], name="stepduration_unique"),
            models.CheckConstraint(
                condition=Q(days__gte=1, days__lte=365), name="stepduration_days_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.commune_id} {self.step}: {self.days}"


class CaseStep(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(max_length=16, choices=StepKind.choices)
    position = models.PositiveSmallIntegerField()
    due = models.DateField(_("deadline"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    late_since = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["case", "position"]
        constraints = [
            models.UniqueConstraint(fields=["case", "kind"], name="casestep_unique_kind"),
            models.CheckConstraint(
                condition=Q(kind__in=StepKind.values), name="casestep_kind_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["due"],
                name="casestep_due_open",
                condition=Q(done_on__isnull=True, late_since__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} ≤ {self.due}"


class EventKind(models.TextChoices):
    OPENED = "opened", _("Opened")
    STEP_DONE = "step_done", _("Step done")
    STEP_LATE = "step_late", _("Step late")
    ASSIGNED = "assigned", _("Assigned")
    UNASSIGNED = "unassigned", _("Assignment ended")
    CLOSED = "closed", _("Closed")


class CaseEvent(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    on = models.DateField()
    step = models.CharField(max_length=16, choices=StepKind.choices, blank=True)
    note = models.CharField(max_length=255, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.on}"


class CaseAssignment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="case_assignments"
    )
    role = models.CharField(_("role"), max_length=16, choices=CaseRole.choices)
    start = models.DateField()
    end = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "user", "role"],
                condition=Q(end__isnull=True),
                name="caseassignment_one_open",
            ),
            models.CheckConstraint(
                condition=Q(role__in=CaseRole.values), name="caseassignment_role_valid"
            ),
        ]
        indexes = [models.Index(fields=["user", "end"], name="caseassignment_user_end")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.user_id} {self.role}"


class CaseAlert(models.Model):
    """A late step, on the assignee's "my cases" list until seen (one per step and user:
    the nightly job may run twice)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="case_alerts"
    )
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="alerts")
    step = models.ForeignKey(CaseStep, on_delete=models.CASCADE, related_name="alerts")
    created_on = models.DateField()
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["step", "user"], name="casealert_once_per_step_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.step_id}"


class HomeVisit(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="visits")
    client_id = models.UUIDField(default=uuid.uuid4, unique=True)
    date = models.DateField(_("date"))
    visitors = models.CharField(_("who went"), max_length=255)
    met = models.CharField(_("who was met"), max_length=255)
    findings = models.TextField(_("what they found"))
    family_wishes = models.TextField(_("the family's wishes"), blank=True)
    agreed = models.TextField(_("what was agreed"), blank=True)
    next_step = models.CharField(_("next step"), max_length=255, blank=True)
    next_step_on = models.DateField(_("next step date"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(next_step_on__isnull=True) | Q(next_step_on__gte=F("date")),
                name="homevisit_next_after_visit",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.date}"


class VisitCause(models.Model):
    visit = models.ForeignKey(HomeVisit, on_delete=models.CASCADE, related_name="causes")
    code = models.CharField(max_length=2, choices=DropoutReason.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["visit", "code"], name="visitcause_unique"),
            models.CheckConstraint(
                condition=Q(code__in=DropoutReason.values), name="visitcause_code_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class ProgrammeKind(models.TextChoices):
    SCHOLARSHIP = "scholarship", _("Scholarship")
    BICYCLE = "bicycle", _("Bicycle")
    BOOKS_UNIFORMS = "books_uniforms", _("Books and uniforms")
    RICE = "rice", _("Rice")
    FEE_EXEMPTION = "fee_exemption", _("Fee exemption or learning-cost support")
    SPONSOR_GIFT = "sponsor_gift", _("Sponsor's gift")


class Measure(models.TextChoices):
    VND = "vnd", _("đồng")
    ITEMS = "items", _("items")
    KG = "kg", _("kg")


class SupportProgramme(models.Model):
    commune = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=ProgrammeKind.choices)
    name = models.CharField(_("name"), max_length=150)
    sponsor = models.CharField(_("sponsor"), max_length=150, blank=True)
    measure = models.CharField(_("unit"), max_length=5, choices=Measure.choices)
    capacity = models.PositiveBigIntegerField(_("budget or stock"))
    delivered = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["commune", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(delivered__lte=F("capacity")), name="programme_within_capacity"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ProgrammeKind.values), name="programme_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def remaining(self) -> int:
        return self.capacity - self.delivered


class SupportDelivery(models.Model):
    programme = models.ForeignKey(
        SupportProgramme, on_delete=models.PROTECT, related_name="deliveries"
    )
    student = models.ForeignKey(
        "people.Student", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    child = models.ForeignKey(
        "people.ResidentChild", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    date = models.DateField(_("date"))
    amount = models.PositiveBigIntegerField(_("value or quantity"))
    delivered_by = models.CharField(_("delivered by"), max_length=150)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "pk"]
        constraints = [
            models.CheckConstraint(condition=_one_child(), name="delivery_one_child"),
            models.CheckConstraint(condition=Q(amount__gte=1), name="delivery_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.programme_id} {self.date} {self.amount}"


class MentorPair(models.Model):
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentees"
    )
    student = models.ForeignKey("people.Student", on_delete=models.CASCADE, related_name="+")
    start = models.DateField()
    end = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["student"], condition=Q(end__isnull=True), name="mentorpair_one_open"
            )
        ]

    def __str__(self) -> str:
        return f"{self.mentor_id} → {self.student_id}"


class MentorMeeting(models.Model):
    """A meeting of a mentor with a mentee, logged by the mentor."""

    pair = models.ForeignKey(MentorPair, on_delete=models.CASCADE, related_name="meetings")
    date = models.DateField(_("date"))
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pair", "-date", "-pk"]

    def __str__(self) -> str:
        return f"{self.pair_id} {self.date}"


class ParticipantRole(models.TextChoices):
    """The seeds/002 schedule's "Thành phần"."""

    COMMUNE_LEADERS = (
        "commune_leaders",
        _("Commune leaders (Party, council, people's committee, front)"),
    )
    TEACHERS = "teachers", _("Teachers and the commune's mass organisations")
    POLICE = "police", _("Commune police")
    VILLAGE_HEAD = "village_head", _("Village head and village front")
    PARENTS = "parents", _("Parents' association and students")
    YOUTH_UNION = "youth_union", _("Youth Union")
    WOMENS_UNION = "womens_union", _("Women's Union")


class VillageMeeting(models.Model):
    """A village meeting of a campaign (họp thôn, tuyên truyền vận động)."""

    commune = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    campaign = models.CharField(_("campaign"), max_length=150, blank=True)
    starts_at = models.DateTimeField(_("time"))
    roles = models.JSONField(_("participants by role"), default=list)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["commune", "starts_at", "pk"]
        indexes = [models.Index(fields=["commune", "starts_at"], name="villagemeeting_commune")]

    def __str__(self) -> str:
        return f"{self.village_id} {self.starts_at}"


class MeetingFamily(models.Model):
    """A target family of a meeting; `attended` once it is known who came."""

    meeting = models.ForeignKey(VillageMeeting, on_delete=models.CASCADE, related_name="families")
    household = models.ForeignKey("people.Household", on_delete=models.CASCADE, related_name="+")
    attended = models.BooleanField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "household"], name="meetingfamily_unique")
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id} {self.household_id}"


class PartnerCaseList(models.Model):
    """A campaign's case list given to a partner membership (Youth Union, Women's Union)
    until `until` (never past the membership's own end)."""

    membership = models.ForeignKey(
        "accounts.Membership", on_delete=models.CASCADE, related_name="case_lists"
    )
    name = models.CharField(_("campaign"), max_length=150)
    until = models.DateField(_("until"))
    cases = models.ManyToManyField(Case, related_name="partner_lists")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-until", "pk"]

    def __str__(self) -> str:
        return self.name


class PartnerAccess(models.Model):
    """One read of a partner case list (who, when, which list)."""

    case_list = models.ForeignKey(
        PartnerCaseList, on_delete=models.CASCADE, related_name="accesses"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    via = models.CharField(max_length=8, default="page")

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.case_list_id} {self.at}"
