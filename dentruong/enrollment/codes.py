"""Code lists of the enrollment lifecycle, with the education sector database's codes
(CSDL ngành, vn_domain.md §2.3) where one exists. Labels are English msgids, shown in
Vietnamese through gettext. docs/glossary.md lists them.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class EventKind(models.TextChoices):
    """What happened to a student's enrolment (a row of `EnrollmentEvent`)."""

    ENROLLED = "enrolled", _("Enrolled")  # nhập học (first entry)
    TRANSFERRED_IN = "transferred_in", _("Transferred in")  # chuyển đến
    RETURNED = "returned", _("Returned to school")  # nghỉ học xin học lại
    TRANSFERRED_OUT = "transferred_out", _("Transferred out")  # chuyển đi
    DROPPED_OUT = "dropped_out", _("Dropped out")  # thôi học
    LEFT_LOCALITY = "left_locality", _("Left the locality")  # bỏ đi khỏi địa phương
    REPEATED = "repeated", _("Repeated a grade")  # lưu ban
    COMPLETED = "completed", _("Completed the level")  # hoàn thành cấp học / tốt nghiệp
    CLASS_CHANGED = "class_changed", _("Changed class")  # chuyển lớp


# Kinds that open an enrolment (the event's `school_class` is the class entered) and
# kinds that close one (the event's `school_class` is the class left).
OPENING_KINDS = frozenset(
    {
        EventKind.ENROLLED,
        EventKind.TRANSFERRED_IN,
        EventKind.RETURNED,
        EventKind.REPEATED,
        EventKind.CLASS_CHANGED,
    }
)
CLOSING_KINDS = frozenset(
    {
        EventKind.TRANSFERRED_OUT,
        EventKind.DROPPED_OUT,
        EventKind.LEFT_LOCALITY,
        EventKind.COMPLETED,
    }
)
# Counted as "bỏ học" in the reports (seeds/003: dropped out, of whom some left the locality).
DROPOUT_KINDS = frozenset({EventKind.DROPPED_OUT, EventKind.LEFT_LOCALITY})


class DropoutReason(models.TextChoices):
    """DM_LY_DO_THOI_HOC of the sector database."""

    POVERTY = "01", _("Family economic hardship")
    WEAK_RESULTS = "02", _("Weak academic results")
    DISTANCE = "03", _("Far from school, hard to travel")
    DISASTER = "04", _("Natural disaster or epidemic")
    STIGMA = "05", _("Stigma")
    OTHER = "06", _("Other cause")
    DEFERRED = "07", _("Results deferred")
    VOCATIONAL = "08", _("Moved to vocational training")
    ILLNESS = "09", _("Illness, not fit enough")
    MISSING = "10", _("Missing or deceased")


class Whereabouts(models.TextChoices):
    """NoiChuyenDi of the sector database: where a student who left went."""

    IN_PROVINCE = "01", _("Within the province")
    OUT_OF_PROVINCE = "02", _("Outside the province")
    ABROAD = "03", _("Abroad")


class Period(models.TextChoices):
    """When in the school year an event happened (HK I, HK II, the summer)."""

    SUMMER = "summer", _("Summer")
    TERM1 = "term1", _("Term 1")
    TERM2 = "term2", _("Term 2")


class TransferStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the receiving school")
    CONFIRMED = "confirmed", _("Arrival confirmed")
    DECLINED = "declined", _("Declined by the receiving school")


class Destination(models.TextChoices):
    """Where a lower-secondary graduate went (vn_domain.md §1.8, seeds/004)."""

    THPT = "thpt", _("Upper secondary school (THPT)")
    GDTX = "gdtx", _("Continuing education centre (GDTX)")
    VOCATIONAL_IN = "vocational_in", _("Vocational training in the province")
    VOCATIONAL_OUT = "vocational_out", _("Vocational training outside the province")
    WORKING = "working", _("Working")
    AT_HOME = "at_home", _("At home")
    MOVED = "moved", _("Moved to another locality")
    UNKNOWN = "unknown", _("Unknown")


# Still in education: a graduate with any other destination (or none recorded) is on the
# list handed to the commune (seeds/004).
STUDYING_DESTINATIONS = frozenset(
    {Destination.THPT, Destination.GDTX, Destination.VOCATIONAL_IN, Destination.VOCATIONAL_OUT}
)
VOCATIONAL_DESTINATIONS = frozenset({Destination.VOCATIONAL_IN, Destination.VOCATIONAL_OUT})
