"""Writes of personal-data work: guardians' requests about a child's data (register, act,
answer or refuse, each with its status row), the export of everything held on a child
(`child_data`), erasure, key rotation and the retention rules. Why: decision 0012.

Every action is one transaction: the request row is locked, the change and the status
row are written together, or nothing is. Refusals are PrivacyError(code, message,
field), nothing written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dentruong.accounts.models import LoginAttempt, User
from dentruong.accounts.scopes import SENSITIVE_ROLES, scope_for
from dentruong.accounts.services import purge_login_attempts
from dentruong.attendance.models import Absence
from dentruong.enrollment.models import Enrollment, EnrollmentEvent, GraduateDestination
from dentruong.imports.models import BatchStatus, ImportBatch
from dentruong.lib import crypto, vntext
from dentruong.notices import services as notices
from dentruong.notices.models import FINAL_STATUSES, Notice, NoticeConsent
from dentruong.outreach.models import Case, HomeVisit, SupportDelivery
from dentruong.people.access import can_see_sensitive
from dentruong.people.encryption import reencrypt_columns
from dentruong.people.models import (
    Guardian,
    Household,
    Relationship,
    ResidentChild,
    SensitiveFacts,
    Student,
)
from dentruong.people.services import derived_name_fields, update_student
from dentruong.privacy import holidays, retention
from dentruong.privacy.models import (
    RequestKind,
    RequestStatus,
    RequestStep,
    RightsRequest,
)
from dentruong.risk.models import RiskAssessment, TeacherFlag

WORKING_DAYS_TO_ANSWER = 2  # NĐ 356/2025 (vn_domain §7.3 item 5)
# What erased names and free texts become: a stored value (data, in the register's
# language), not a message of the interface.
ERASED = "Đã xoá"
NAME_MAX, CONTACT_MAX, TEXT_MAX = 150, 150, 2000


class PrivacyError(Exception):
    """A request or an action was refused; nothing was written."""

    def __init__(self, code: str, message: str, field: str = "__all__") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


# --- the clock ---------------------------------------------------------------------------


def days_off() -> frozenset[dt.date]:
    return holidays.days_off(settings.PUBLIC_HOLIDAYS_EXTRA)


def due_date(received_at: dt.datetime) -> dt.date:
    """2 working days after the day of receipt (Việt Nam time)."""
    day = timezone.localdate(received_at)
    return holidays.add_working_days(day, WORKING_DAYS_TO_ANSWER, days_off())


def working_days_left(request: RightsRequest, today: dt.date) -> int:
    return holidays.working_days_left(today, request.due_on, days_off())


# --- registering and acting ------------------------------------------------------------


def _text(value: str, limit: int, field: str, required: bool = False) -> str:
    text = vntext.clean(value)
    if required and not text:
        raise PrivacyError("required", _("This field is required."), field)
    if len(text) > limit:
        raise PrivacyError("too_long", _("At most %(max)d characters.") % {"max": limit}, field)
    return text


@transaction.atomic
def register_request(
    *,
    kind: str,
    requester_name: str,
    requester_relationship: str,
    by: User | None,
    student: Student | None = None,
    child: ResidentChild | None = None,
    requester_contact: str = "",
    details: str = "",
    received_at: dt.datetime | None = None,
) -> RightsRequest:
    """Record a guardian's request about one child (a student or a register child) as
    received, with its due date; the first status row says who received it and when."""
    if (student is None) == (child is None):
        raise PrivacyError("child", _("A request is about one child."))
    if kind not in RequestKind.values:
        raise PrivacyError("invalid_kind", _("Choose what the guardian asks."), "kind")
    if requester_relationship not in Relationship.values:
        raise PrivacyError(
            "invalid_relationship", _("Choose the relationship."), "requester_relationship"
        )
    now = timezone.now()
    received = received_at or now
    if received > now:
        raise PrivacyError(
            "future", _("A request cannot be received in the future."), "received_at"
        )
    request = RightsRequest.objects.create(
        student=student,
        child=child,
        kind=kind,
        requester_name=_text(requester_name, NAME_MAX, "requester_name", required=True),
        requester_relationship=requester_relationship,
        requester_contact=_text(requester_contact, CONTACT_MAX, "requester_contact"),
        details=_text(details, TEXT_MAX, "details"),
        received_at=received,
        received_by=by,
        due_on=due_date(received),
    )
    RequestStep.objects.create(request=request, status=RequestStatus.RECEIVED, at=received, by=by)
    return request


def _lock(request: RightsRequest, kind: str | None = None) -> RightsRequest:
    locked = RightsRequest.objects.select_for_update().get(pk=request.pk)
    if not locked.is_open:
        raise PrivacyError("closed", _("This request has already been answered."))
    if kind is not None and locked.kind != kind:
        raise PrivacyError(
            "wrong_kind",
            _("This action does not answer a request of this kind."),
        )
    return locked


def _step(
    request: RightsRequest,
    status: str,
    by: User | None,
    note: str = "",
    details: dict[str, Any] | None = None,
) -> RightsRequest:
    now = timezone.now()
    RequestStep.objects.create(
        request=request, status=status, at=now, by=by, note=note, details=details or {}
    )
    request.status = status
    if status in (RequestStatus.ANSWERED, RequestStatus.REFUSED):
        request.closed_at = now
    request.save()
    return request


@transaction.atomic
def start_request(*, request: RightsRequest, by: User) -> RightsRequest:
    """received → in progress (someone is working on it)."""
    locked = _lock(request)
    if locked.status != RequestStatus.RECEIVED:
        raise PrivacyError("started", _("Work on this request has already started."))
    return _step(locked, RequestStatus.IN_PROGRESS, by)


@transaction.atomic
def refuse_request(*, request: RightsRequest, by: User, reason: str) -> RightsRequest:
    """Refused, with the reason the guardian is told (for instance: not the child's
    legal representative; the law requires the school to keep this record)."""
    locked = _lock(request)
    return _step(
        locked, RequestStatus.REFUSED, by, _text(reason, TEXT_MAX, "reason", required=True)
    )


@transaction.atomic
def answer_access(*, request: RightsRequest, by: User) -> RightsRequest:
    """A request to see the data: the export of everything held on the child (the
    sensitive facts only if `by` may see them) is kept on the request for download."""
    locked = _lock(request, RequestKind.ACCESS)
    sensitive = may_see_sensitive(by, locked)
    locked.export = child_data(
        student=locked.student, child=locked.child, include_sensitive=sensitive
    )
    sections = {k: len(v) for k, v in locked.export.items() if isinstance(v, list)}
    details = {"action": "export", "sensitive_included": sensitive, "sections": sections}
    return _step(locked, RequestStatus.ANSWERED, by, details=details)


@transaction.atomic
def record_correction(*, request: RightsRequest, by: User, note: str) -> RightsRequest:
    """A request to correct: the corrections are made on the edit form (its own
    service); this records what was corrected and answers the request."""
    locked = _lock(request, RequestKind.CORRECT)
    text = _text(note, TEXT_MAX, "note", required=True)
    return _step(locked, RequestStatus.ANSWERED, by, text, {"action": "correction"})


@transaction.atomic
def erase_child_data(*, request: RightsRequest, by: User, note: str = "") -> RightsRequest:
    """A request to delete: erase what the law lets us erase (`erase_child`)."""
    locked = _lock(request, RequestKind.DELETE)
    summary = erase_child(student=locked.student, child=locked.child, by=by)
    text = _text(note, TEXT_MAX, "note")
    return _step(locked, RequestStatus.ANSWERED, by, text, {"action": "erasure", **summary})


@transaction.atomic
def withdraw_child_consents(*, request: RightsRequest, by: User, note: str = "") -> RightsRequest:
    """A withdrawal of consent (or an objection): every active notice consent of the
    child's guardians is withdrawn through the notices service (who and when)."""
    locked = _lock(request, RequestKind.OBJECT)
    student, child = _both(locked.student, locked.child)
    withdrawn = 0
    for consent in NoticeConsent.objects.filter(
        guardian__household_id__in=_households(student, child), withdrawn_at__isnull=True
    ).order_by("pk"):
        notices.withdraw_consent(consent=consent, by=by)
        withdrawn += 1
    text = _text(note, TEXT_MAX, "note")
    details = {"action": "consents_withdrawn", "consents_withdrawn": withdrawn}
    return _step(locked, RequestStatus.ANSWERED, by, text, details)


def may_see_sensitive(user: User, request: RightsRequest) -> bool:
    """Whether the export made for `user` may carry the sensitive facts (and the
    register's family situation): the roles of accounts.scopes.SENSITIVE_ROLES."""
    student, child = _both(request.student, request.child)
    if student is not None:
        return can_see_sensitive(user, student)
    assert child is not None
    return any(
        g.role in SENSITIVE_ROLES for g in scope_for(user).grants_covering(child.village.path)
    )


# --- everything held on a child ------------------------------------------------------


def _both(
    student: Student | None, child: ResidentChild | None
) -> tuple[Student | None, ResidentChild | None]:
    """The student record and the register entry of the same child, when linked."""
    if student is None and child is not None:
        student = child.student
    if child is None and student is not None:
        child = ResidentChild.objects.filter(student=student).first()
    return student, child


def _households(student: Student | None, child: ResidentChild | None) -> set[int]:
    ids = (student.household_id if student else None, child.household_id if child else None)
    return {h for h in ids if h is not None}


def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value)
    return value


def _rows(qs: Any, *fields: str) -> list[dict[str, Any]]:
    return [{k: _iso(v) for k, v in row.items()} for row in qs.values(*fields)]


def child_data(
    *,
    student: Student | None = None,
    child: ResidentChild | None = None,
    include_sensitive: bool,
) -> dict[str, Any]:
    """Everything held on a child (a JSON-ready dict): the student record and the
    register entry, household and guardians, the sensitive facts (only with
    `include_sensitive`), enrolments and their events, absences, risk assessments and
    teacher's flags, outreach cases, visits and support, notices, consents, and earlier
    requests. Codes are the stored values (the enrolment codes are the sector's)."""
    student, child = _both(student, child)
    households = _households(student, child)
    s = [student.pk] if student else []
    c = [child.pk] if child else []
    out: dict[str, Any] = {"generated_at": _iso(timezone.now())}
    out["student"] = _rows(
        Student.objects.filter(pk__in=s),
        "national_id", "family_and_middle_name", "given_name", "birth_date", "gender",
        "ethnicity", "village__name", "school__name", "boarding", "distance_km",
        "created_at", "updated_at",
    )  # fmt: skip
    register = ["family_and_middle_name", "given_name", "birth_year", "birth_date", "gender"]
    register += ["ethnicity", "national_id", "village__name", "survey_year", "schooling"]
    out["register"] = _rows(
        ResidentChild.objects.filter(pk__in=c), *register, *(["notes"] if include_sensitive else [])
    )
    out["household"] = _rows(Household.objects.filter(pk__in=households), "head_name", "address")
    out["guardians"] = _rows(
        Guardian.objects.filter(household_id__in=households).order_by("pk"),
        "full_name",
        "relationship",
        "phone",
    )
    if include_sensitive:
        out["sensitive_facts"] = [
            {"poverty": p, "disability": d, "health_notes": h}
            for p, d, h in SensitiveFacts.objects.filter(student_id__in=s).values_list(
                "poverty", "disability", "health_notes"
            )
        ]
    else:
        out["sensitive_facts_withheld"] = True
    out["enrollments"] = _rows(
        Enrollment.objects.filter(student_id__in=s).order_by("start_date", "pk"),
        "school_class__name", "school_class__school__name", "start_date", "end_date",
    )  # fmt: skip
    out["enrollment_events"] = _rows(
        EnrollmentEvent.objects.filter(student_id__in=s).order_by("date", "pk"),
        "date", "kind", "school_class__name", "period", "reason_code", "reason", "whereabouts",
        "other_school_name", "eligible_to_continue", "eligibility_note", "recorded_at",
    )  # fmt: skip
    out["graduate_destinations"] = _rows(
        GraduateDestination.objects.filter(student_id__in=s), "destination", "note"
    )
    out["absences"] = _rows(
        Absence.objects.filter(student_id__in=s).order_by("date", "roll_call__session"),
        "date", "roll_call__session", "code", "reason", "note",
    )  # fmt: skip
    out["risk_assessments"] = _rows(
        RiskAssessment.objects.filter(student_id__in=s).order_by("date"),
        "date", "valid_until", "level", "reasons", "source",
    )  # fmt: skip
    out["teacher_flags"] = _rows(
        TeacherFlag.objects.filter(student_id__in=s).order_by("start", "pk"),
        "kind", "note", "start", "cleared_on",
    )  # fmt: skip
    cases = Case.objects.filter(Q(student_id__in=s) | Q(child_id__in=c)).order_by("pk")
    out["cases"] = _rows(
        cases, "origin", "trigger_note", "opened_on", "status", "closed_on", "outcome",
        "not_back_reason", "outcome_note",
    )  # fmt: skip
    out["home_visits"] = _rows(
        HomeVisit.objects.filter(case__in=cases).order_by("date", "pk"),
        "date", "visitors", "met", "findings", "family_wishes", "agreed", "next_step",
    )  # fmt: skip
    out["support"] = _rows(
        SupportDelivery.objects.filter(Q(student_id__in=s) | Q(child_id__in=c)).order_by("date"),
        "programme__name", "date", "amount", "delivered_by",
    )  # fmt: skip
    out["notices"] = _rows(
        Notice.objects.filter(student_id__in=s).order_by("day", "pk"),
        "kind", "day", "channel", "address", "text", "status", "sent_at",
    )  # fmt: skip
    out["consents"] = _rows(
        NoticeConsent.objects.filter(guardian__household_id__in=households).order_by("pk"),
        "guardian__full_name", "channel", "address", "scope", "evidence", "recorded_at",
        "withdrawn_at",
    )  # fmt: skip
    out["rights_requests"] = _rows(
        RightsRequest.objects.filter(Q(student_id__in=s) | Q(child_id__in=c)).order_by("pk"),
        "kind", "requester_name", "received_at", "due_on", "status", "closed_at",
    )  # fmt: skip
    return out


# --- erasure ---------------------------------------------------------------------------

# What erasure leaves, and why (shown on the request and in decision 0012).
KEPT: dict[str, Any] = {
    "enrollment_events": gettext_lazy(
        "Enrollment events: the sector's records behind the official figures (dropout rates)"
    ),
    "absences": gettext_lazy("Absences: the attendance register and its rates"),
    "groups": gettext_lazy(
        "Gender, ethnicity, birth year and village: every official figure is broken down by them"
    ),
    "poverty": gettext_lazy(
        "Household poverty: fee exemptions and the fairness check of the early warning"
    ),
    "risk": gettext_lazy("Risk assessments (coded reasons): checking the early warning"),
    "cases": gettext_lazy("Outreach cases and support given (their free texts are erased)"),
    "identity": gettext_lazy(
        "While the child is enrolled: name, date of birth and identification number "
        "(the school must keep its register)"
    ),
}


ERASED_LABELS: dict[str, Any] = {
    "sensitive_facts": gettext_lazy("Disability and health notes"),
    "consents": gettext_lazy("Notice consents: addresses (active ones withdrawn)"),
    "guardian_phones": gettext_lazy("Guardians' phone numbers"),
    "notices": gettext_lazy("Texts and addresses of notices"),
    "household_address": gettext_lazy("Household address"),
    "register_notes": gettext_lazy("Family situation in the register"),
    "home_visits": gettext_lazy("What home visits found and agreed"),
    "teacher_flags": gettext_lazy("Teachers' notes"),
    "absence_notes": gettext_lazy("Notes on absences"),
    "identity": gettext_lazy("Name, date of birth and identification number"),
}


def erase_child(
    *, student: Student | None, child: ResidentChild | None, by: User
) -> dict[str, Any]:
    """Erase a child's personal data that nothing requires us to keep (in the caller's
    transaction). Always: disability and health notes, the guardians' phones and
    notice addresses (active consents withdrawn), notice texts, the household address,
    the register's family situation, the free texts of outreach. When the child is no
    longer enrolled: names, exact birth date (the year stays) and identification
    number too — an enrolled child's register (sổ đăng bộ) is the school's legal duty."""
    student, child = _both(student, child)
    households = _households(student, child)
    s = [student.pk] if student else []
    c = [child.pk] if child else []
    done: dict[str, int] = {}
    done["sensitive_facts"] = SensitiveFacts.objects.filter(student_id__in=s).update(
        disability="", health_notes=""
    )
    active = NoticeConsent.objects.filter(
        guardian__household_id__in=households, withdrawn_at__isnull=True
    )
    for consent in active.order_by("pk"):
        notices.withdraw_consent(consent=consent, by=by)
    done["consents"] = NoticeConsent.objects.filter(guardian__household_id__in=households).update(
        address="", evidence=""
    )
    done["guardian_phones"] = (
        Guardian.objects.filter(household_id__in=households).exclude(phone="").update(phone="")
    )
    done["notices"] = Notice.objects.filter(student_id__in=s).update(
        text="", subject="", address=""
    )
    done["household_address"] = Household.objects.filter(pk__in=households).update(address="")
    done["register_notes"] = (
        ResidentChild.objects.filter(pk__in=c).exclude(notes="").update(notes="")
    )
    cases = Case.objects.filter(Q(student_id__in=s) | Q(child_id__in=c))
    done["home_visits"] = HomeVisit.objects.filter(case__in=cases).update(
        met=ERASED, findings=ERASED, family_wishes="", agreed="", next_step=""
    )
    cases.update(trigger_note="", outcome_note="")
    done["teacher_flags"] = TeacherFlag.objects.filter(student_id__in=s).update(note="")
    done["absence_notes"] = (
        Absence.objects.filter(student_id__in=s).exclude(note="").update(note="")
    )
    enrolled = Enrollment.objects.current().filter(student_id__in=s).exists()
    done["identity"] = 0
    if not enrolled:
        done["identity"] = _erase_identity(student, child, households)
    return {"erased": done, "identity_kept_while_enrolled": enrolled, "kept": list(KEPT)}


def _erase_identity(
    student: Student | None, child: ResidentChild | None, households: set[int]
) -> int:
    erased = 0
    if student is not None:
        born = student.birth_date
        update_student(
            student=student,
            family_and_middle_name=ERASED,
            given_name="",
            national_id=f"000{student.pk:09d}",  # "000" is no province: never a real number
            birth_date=dt.date(born.year, 1, 1) if born else None,
            distance_km=None,
        )
        erased += 1
    if child is not None:
        anonymise_resident_child(child)
        erased += 1
    # Guardians' names go when no other child of the household is on record.
    other_students = Student.objects.exclude(pk=student.pk) if student else Student.objects.all()
    other_children = ResidentChild.objects.filter(student__isnull=True)
    if child is not None:
        other_children = other_children.exclude(pk=child.pk)
    for household in households:
        if not (
            other_students.filter(household_id=household).exists()
            or other_children.filter(household_id=household).exists()
        ):
            Guardian.objects.filter(household_id=household).update(full_name=ERASED)
            Household.objects.filter(pk=household).update(head_name=ERASED)
    return erased


def anonymise_resident_child(child: ResidentChild) -> None:
    """Names, birth date, identification number and notes of a register entry erased;
    birth year, gender, ethnicity, village, survey year and schooling stay."""
    for name, value in derived_name_fields(ERASED, "").items():
        setattr(child, name, value)
    child.birth_date = None
    child.national_id = None
    child.notes = ""
    child.save()


# --- key rotation ------------------------------------------------------------------------


def encrypted_columns() -> dict[type[models.Model], list[str]]:
    """Every model with encrypted fields (people.fields.EncryptedTextField) → columns."""
    out: dict[type[models.Model], list[str]] = {}
    for model in apps.get_models():
        cols = [f.column for f in model._meta.concrete_fields if getattr(f, "encrypted", False)]
        if cols:
            out[model] = cols
    return out


def rotate_encryption_key(*, batch_size: int = 2000) -> dict[str, dict[str, int]]:
    """Re-encrypt every encrypted value with the first configured key, in batches (each
    its own transaction: a long rotation never holds one huge transaction). Values
    already on that key are left alone: running it again changes nothing."""
    ring = crypto.keyring()
    report: dict[str, dict[str, int]] = {}
    for model, columns in encrypted_columns().items():
        with transaction.atomic():
            counts = reencrypt_columns(
                connection,
                table=model._meta.db_table,
                columns=columns,
                label=model._meta.label_lower,
                ring=ring,
                batch=batch_size,
            )
        report[model._meta.label_lower] = counts.as_dict()
    return report


# --- retention ---------------------------------------------------------------------------


def apply_retention(*, now: dt.datetime | None = None, dry_run: bool = False) -> dict[str, Any]:
    """Apply every retention rule (`retention.RULES`, lengths from RETENTION_RULES).
    Returns, per rule, its length and how many rows it changed (or would change with
    `dry_run`). Idempotent: what a rule already emptied no longer matches it."""
    now = now or timezone.now()
    keep = retention.keep_for(settings.RETENTION_RULES)
    report: dict[str, Any] = {"now": now.isoformat(), "dry_run": dry_run, "rules": {}}
    with transaction.atomic():
        for rule in retention.RULES:
            counts = RETENTION_ACTIONS[rule.name](now, keep[rule.name], dry_run)
            report["rules"][rule.name] = {"keep": keep[rule.name], "unit": rule.unit, **counts}
        if dry_run:
            transaction.set_rollback(True)
    return report


def _notice_texts(now: dt.datetime, days: int, dry_run: bool) -> dict[str, Any]:
    qs = Notice.objects.filter(
        created_at__lt=retention.cutoff(now, days), status__in=FINAL_STATUSES
    ).exclude(text="", subject="", address="")
    return {"notices": qs.count() if dry_run else qs.update(text="", subject="", address="")}


def _login_attempts(now: dt.datetime, days: int, dry_run: bool) -> dict[str, Any]:
    before = retention.cutoff(now, days)
    if dry_run:
        return {"attempts": LoginAttempt.objects.filter(at__lt=before).count()}
    return {"attempts": purge_login_attempts(before=before)}


def _import_files(now: dt.datetime, days: int, dry_run: bool) -> dict[str, Any]:
    old = ImportBatch.objects.filter(created_at__lt=retention.cutoff(now, days))
    full = old.exclude(rows=[], problems=[])
    pending = old.filter(status=BatchStatus.PREVIEWED)
    if dry_run:
        return {"batches": full.count(), "previews_cancelled": pending.count()}
    cancelled = pending.update(status=BatchStatus.CANCELLED)
    return {"batches": full.update(rows=[], problems=[]), "previews_cancelled": cancelled}


def _resident_children(now: dt.datetime, years: int, dry_run: bool) -> dict[str, Any]:
    born_before = retention.register_cutoff_year(timezone.localdate(now), years)
    old = ResidentChild.objects.filter(birth_year__lt=born_before)
    named = old.filter(
        Exists(Case.objects.filter(child=OuterRef("pk")))
        | Exists(SupportDelivery.objects.filter(child=OuterRef("pk")))
        | Exists(RightsRequest.objects.filter(child=OuterRef("pk")))
    )
    keep = named.exclude(family_and_middle_name=ERASED, given_name="")
    gone = old.exclude(pk__in=named.values("pk"))
    if dry_run:
        return {"born_before": born_before, "deleted": gone.count(), "anonymised": keep.count()}
    anonymised = 0
    for child in keep.iterator():
        anonymise_resident_child(child)
        anonymised += 1
    deleted = gone.delete()[1].get(ResidentChild._meta.label, 0)
    return {"born_before": born_before, "deleted": deleted, "anonymised": anonymised}


def _rights_exports(now: dt.datetime, days: int, dry_run: bool) -> dict[str, Any]:
    qs = RightsRequest.objects.filter(
        closed_at__lt=retention.cutoff(now, days), export__isnull=False
    )
    if dry_run:
        return {"exports": qs.count()}
    return {"exports": qs.update(export=None, export_removed_at=now)}


RETENTION_ACTIONS: dict[str, Callable[[dt.datetime, int, bool], dict[str, Any]]] = {
    "notice_texts": _notice_texts,
    "login_attempts": _login_attempts,
    "import_files": _import_files,
    "resident_children": _resident_children,
    "rights_exports": _rights_exports,
}
