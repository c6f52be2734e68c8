"""A guardian's request about a child's data (Law 91/2025/QH15 Điều 24: the legal
representative exercises the child's rights; NĐ 356/2025: answered within 2 working
days) and its history. Why and how: docs/decisions/0012-personal-data.md.

- `RightsRequest`: one request about one child (a student or a child of the commune
  register), its kind, who asked, when it was received and by whom, the due date, where it
  stands now (`status`), and for a request to see the data, the export given (`export`,
  removed by the retention rules some days after the answer).
- `RequestStep`: the status rows, oldest first: received → in progress → answered or
  refused (with its reason); what was corrected or erased is in `note` and `details`.

Rows are written only by `dentruong.privacy.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dentruong.people.models import Relationship


class RequestKind(models.TextChoices):
    ACCESS = "access", _("See the data")
    CORRECT = "correct", _("Correct the data")
    DELETE = "delete", _("Delete the data")
    OBJECT = "object", _("Withdraw consent or object")


class RequestStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    IN_PROGRESS = "in_progress", _("In progress")
    ANSWERED = "answered", _("Answered")
    REFUSED = "refused", _("Refused")


OPEN_STATUSES = (RequestStatus.RECEIVED, RequestStatus.IN_PROGRESS)


class RightsRequest(models.Model):
    student = models.ForeignKey(
        "people.Student",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("student"),
    )
    child = models.ForeignKey(
        "people.ResidentChild",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("resident child"),
    )
    kind = models.CharField(_("request"), max_length=8, choices=RequestKind.choices)
    requester_name = models.CharField(_("requested by"), max_length=150)
    requester_relationship = models.CharField(
        _("relationship to the child"), max_length=12, choices=Relationship.choices
    )
    requester_contact = models.CharField(_("contact"), max_length=150, blank=True)
    details = models.TextField(_("what is asked"), blank=True)
    received_at = models.DateTimeField(_("received at"))
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_on = models.DateField(_("answer due by"))
    status = models.CharField(
        _("status"), max_length=11, choices=RequestStatus.choices, default=RequestStatus.RECEIVED
    )
    closed_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    export = models.JSONField(null=True, blank=True, editable=False)
    export_removed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("rights request")
        verbose_name_plural = _("rights requests")
        indexes = [models.Index(fields=["status", "due_on"], name="rightsrequest_queue")]
        constraints = [
            models.CheckConstraint(
                condition=Q(student__isnull=False, child__isnull=True)
                | Q(student__isnull=True, child__isnull=False),
                name="rightsrequest_one_child",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["access", "correct", "delete", "object"]),
                name="rightsrequest_kind",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["received", "in_progress"], closed_at__isnull=True)
                | Q(status__in=["answered", "refused"], closed_at__isnull=False),
                name="rightsrequest_closed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.requester_name}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class RequestStep(models.Model):
    request = models.ForeignKey(RightsRequest, on_delete=models.CASCADE, related_name="steps")
    status = models.CharField(_("status"), max_length=11, choices=RequestStatus.choices)
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["request", "at", "pk"]
        verbose_name = _("request step")
        verbose_name_plural = _("request steps")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["received", "in_progress", "answered", "refused"]),
                name="requeststep_status",
            ),
            models.CheckConstraint(
                condition=~Q(status="refused") | ~Q(note=""), name="requeststep_refusal_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.status}"
