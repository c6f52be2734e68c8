"""Roll calls: one row per class × date × session, one row per exception (absent with
leave P, without leave K, late T), presence implied for everyone enrolled in the class
that day; a per-class-session summary kept exact in the same transaction, and the
history of every submission. Why: docs/decisions/0006-attendance-storage.md.

Rows are written only by `dentruong.attendance.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from dentruong.orgs.models import Session


class AbsenceCode(models.TextChoices):
    """The codes of the paper register (vn_domain.md §2.1). Late counts as present."""

    EXCUSED = "P", _("Absent with leave (P)")
    UNEXCUSED = "K", _("Absent without leave (K)")
    LATE = "T", _("Late (T)")


class AbsenceReason(models.TextChoices):
    SICK = "sick", _("Sick")
    FAMILY = "family", _("Family matter")
    WORKING = "working", _("Working away")
    WEATHER = "weather", _("Weather or flood")
    TRANSPORT = "transport", _("Far from school or no transport")
    UNKNOWN = "unknown", _("Unknown reason")
    OTHER = "other", _("Other reason")


class RollCall(models.Model):
    """The roll call of one class for one session of one day ("register taken").

    `client_id` is the id the browser generated for the first submission; every
    submission, first or correction, is also a `RollCallRevision` with its own client id.
    """

    school_class = models.ForeignKey(
        "orgs.SchoolClass", on_delete=models.PROTECT, related_name="roll_calls", db_index=False
    )
    date = models.DateField(_("date"))
    session = models.CharField(_("session"), max_length=2, choices=Session.choices)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("taken by"),
    )
    taken_at = models.DateTimeField(_("taken at"))
    updated_at = models.DateTimeField(_("updated at"))
    client_id = models.UUIDField(unique=True, editable=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("roll call")
        verbose_name_plural = _("roll calls")
        constraints = [
            # Also the index for "this class between two dates".
            models.UniqueConstraint(
                fields=["school_class", "date", "session"], name="rollcall_one_per_class_session"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="rollcall_version_positive"),
        ]
        # "Who has not taken the roll today": every roll call of a date.
        indexes = [models.Index(fields=["date", "session"], name="rollcall_date")]

    def __str__(self) -> str:
        return f"{self.school_class_id} {self.date} {self.session} v{self.version}"


class Absence(models.Model):
    """A student who was not simply present at a roll call. `date` repeats the roll
    call's date (which never changes) so that a student's history is one index range."""

    roll_call = models.ForeignKey(
        RollCall, on_delete=models.CASCADE, related_name="absences", db_index=False
    )
    student = models.ForeignKey(
        "people.Student", on_delete=models.PROTECT, related_name="absences", db_index=False
    )
    date = models.DateField(_("date"))
    code = models.CharField(_("code"), max_length=1, choices=AbsenceCode.choices)
    reason = models.CharField(
        _("reason"), max_length=10, choices=AbsenceReason.choices, default=AbsenceReason.UNKNOWN
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        constraints = [
            # Its index also serves roll_call lookups (hence db_index=False above).
            models.UniqueConstraint(fields=["roll_call", "student"], name="absence_once_per_roll"),
            models.CheckConstraint(condition=Q(code__in=["P", "K", "T"]), name="absence_code"),
        ]
        # A student's absences over a window (consecutive absences, the 45-session rule,
        # the student-based rate): `code` is in the index so that counting P and K per
        # student reads the index alone (migration 0002; bench/attendance.py).
        indexes = [
            models.Index(fields=["student", "date", "code"], name="absence_student_date_code")
        ]

    def __str__(self) -> str:
        return f"{self.student_id} {self.code} ({self.roll_call_id})"


class RollCallRevision(models.Model):
    """One accepted submission of a roll call: version 1 is the first (before = {}),
    each correction adds the next. before/after map student id (as text) → code."""

    roll_call = models.ForeignKey(
        RollCall, on_delete=models.CASCADE, related_name="revisions", db_index=False
    )
    version = models.PositiveIntegerField()
    client_id = models.UUIDField(unique=True, editable=False)
    base_version = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("The version the submitter was correcting, if known"),
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField()
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)

    class Meta:
        ordering = ["roll_call", "version"]
        verbose_name = _("roll call revision")
        verbose_name_plural = _("roll call revisions")
        constraints = [
            models.UniqueConstraint(
                fields=["roll_call", "version"], name="rollcallrevision_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.roll_call_id} v{self.version}"


class ClassDaySummary(models.Model):
    """Counts of one roll call, written in the same transaction as its absences, so that
    rates never scan raw marks. present = enrolled − excused − unexcused (late is present).

    `school` repeats the class's school (which never changes) so that school, commune and
    province reports group this table without joining classes."""

    roll_call = models.OneToOneField(
        RollCall, on_delete=models.CASCADE, primary_key=True, related_name="summary"
    )
    school_class = models.ForeignKey(
        "orgs.SchoolClass", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    school = models.ForeignKey(
        "orgs.School", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    date = models.DateField()
    session = models.CharField(max_length=2, choices=Session.choices)
    enrolled = models.PositiveSmallIntegerField()
    present = models.PositiveSmallIntegerField()
    late = models.PositiveSmallIntegerField()
    excused = models.PositiveSmallIntegerField()
    unexcused = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = _("class session summary")
        verbose_name_plural = _("class session summaries")
        constraints = [
            # Also the index for one class over a date range.
            models.UniqueConstraint(
                fields=["school_class", "date", "session"], name="summary_one_per_class_session"
            ),
            models.CheckConstraint(
                condition=Q(present=F("enrolled") - F("excused") - F("unexcused")),
                name="summary_counts_add_up",
            ),
            models.CheckConstraint(condition=Q(late__lte=F("present")), name="summary_late"),
        ]
        indexes = [
            models.Index(fields=["date"], name="summary_date"),
            models.Index(fields=["school", "date"], name="summary_school_date"),
        ]

    def __str__(self) -> str:
        return f"{self.school_class_id} {self.date} {self.session}: {self.present}/{self.enrolled}"


class ClassTermSummary(models.Model):
    """The `ClassDaySummary` rows of one class in one term added up (roll calls on the
    term's school days only), kept exact in the roll call's transaction, so that the
    session-based rate of whole terms reads one row per class instead of one per roll
    call. Recounted with the tallies (`tallies.rebuild`) after a calendar changes, and
    per class when enrolments dated back recount the day summaries."""

    school_class = models.ForeignKey(
        "orgs.SchoolClass", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    school = models.ForeignKey(
        "orgs.School", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    school_year = models.ForeignKey(
        "orgs.SchoolYear", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    term = models.PositiveSmallIntegerField()
    roll_calls = models.PositiveIntegerField()
    enrolled = models.PositiveIntegerField()
    present = models.PositiveIntegerField()
    late = models.PositiveIntegerField()
    excused = models.PositiveIntegerField()
    unexcused = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("class term summary")
        verbose_name_plural = _("class term summaries")
        constraints = [
            models.UniqueConstraint(
                fields=["school_class", "term"], name="term_summary_one_per_class_term"
            ),
            models.CheckConstraint(condition=Q(term__in=[1, 2]), name="term_summary_term"),
            models.CheckConstraint(
                condition=Q(present=F("enrolled") - F("excused") - F("unexcused")),
                name="term_summary_counts_add_up",
            ),
        ]
        indexes = [
            models.Index(fields=["school", "school_year", "term"], name="term_summary_school")
        ]

    def __str__(self) -> str:
        return f"{self.school_class_id} {self.school_year_id}/{self.term}"


class AbsenceTally(models.Model):
    """A student's absences recorded by one class in one term (P, K and T counted apart),
    kept exact in the roll call's transaction (services), so that the student-based rate
    of whole terms reads one row per student and class instead of every absence, and
    counts them per class without joining enrolments (selectors).

    The term is the one of the class's calendar on the roll call's date; after a
    calendar's term dates change, `tallies.rebuild` recounts the year. `stray` marks a
    row holding an absence recorded on a day when the student, as their enrolments were
    corrected since, was not in the class (a transfer dated back): such a student's rate
    is counted the slow way, student by student."""

    student = models.ForeignKey(
        "people.Student", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    school_class = models.ForeignKey(
        "orgs.SchoolClass", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    school_year = models.ForeignKey(
        "orgs.SchoolYear", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    term = models.PositiveSmallIntegerField()
    excused = models.PositiveIntegerField(default=0)
    unexcused = models.PositiveIntegerField(default=0)
    late = models.PositiveIntegerField(default=0)
    stray = models.BooleanField(db_default=False)

    class Meta:
        verbose_name = _("absence tally")
        verbose_name_plural = _("absence tallies")
        constraints = [
            # Also the index of one student's rows.
            models.UniqueConstraint(
                fields=["student", "school_class", "term"], name="tally_one_per_student_class"
            ),
            models.CheckConstraint(condition=Q(term__in=[1, 2]), name="tally_term"),
        ]
        indexes = [
            # A unit's classes' rows. Nothing indexes the counts: on PostgreSQL a roll
            # call's update of them then stays on the row's page (a HOT update) and
            # leaves the indexes alone.
            models.Index(fields=["school_class", "term"], name="tally_class"),
            models.Index(fields=["student"], condition=Q(stray=True), name="tally_stray"),
        ]

    def __str__(self) -> str:
        return f"{self.student_id} {self.school_year_id}/{self.term}"
