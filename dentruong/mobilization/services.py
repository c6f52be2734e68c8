"""Writes of mobilization: targets per school, grade and school year; the matching of
the register of resident children to the student records, and the decisions on the
pairs it was not sure of. Refusals are `MobilizationError(code, message, field)`,
raised before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dentruong.accounts.models import User
from dentruong.mobilization import matching, selectors
from dentruong.mobilization.models import GradeTarget, MatchCandidate, MatchStatus
from dentruong.orgs.models import LEVEL_GRADES, School, SchoolYear
from dentruong.people.models import ResidentChild, Student
from dentruong.people.services import link_resident_child

MAX_TARGET = 100_000
LINK_BATCH = 2000


class MobilizationError(Exception):
    def __init__(self, code: str, message: str, field: str = "__all__") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


def school_grades(school: School) -> list[int]:
    """The grades a school teaches, from its levels (TH: 1–5, THCS: 6–9, THPT: 10–12)."""
    grades: set[int] = set()
    for level in school.level_list:
        grades |= set(LEVEL_GRADES.get(level, ()))
    return sorted(g for g in grades if g > 0)


@transaction.atomic
def set_targets(
    *, school: School, school_year: SchoolYear, targets: Mapping[int, int | None], by: User | None
) -> list[GradeTarget]:
    """Set (or, with None, clear) the target of each grade given; other grades keep theirs.
    A grade the school does not teach or a number out of range is refused."""
    allowed = set(school_grades(school))
    for grade, value in targets.items():
        if grade not in allowed:
            raise MobilizationError(
                "grade_not_taught",
                _("This school does not teach grade %(grade)d.") % {"grade": grade},
                f"grade_{grade}",
            )
        if value is not None and not 0 <= value <= MAX_TARGET:
            raise MobilizationError(
                "target_out_of_range",
                _("A target is a whole number from 0 to %(max)s.") % {"max": f"{MAX_TARGET:,}"},
                f"grade_{grade}",
            )
    for grade, value in targets.items():
        if value is None:
            GradeTarget.objects.filter(school=school, school_year=school_year, grade=grade).delete()
        else:
            GradeTarget.objects.update_or_create(
                school=school,
                school_year=school_year,
                grade=grade,
                defaults={"target": value, "set_by": by},
            )
    return list(GradeTarget.objects.filter(school=school, school_year=school_year))


# --- matching -----------------------------------------------------------------------------


@dataclass
class MatchRun:
    children: int  # register entries not linked before the run
    students: int  # student records not linked before the run
    linked: int  # certain pairs linked now
    queued: int  # new pairs in the review queue
    by_national_id: int


def _link_all(pairs: list[matching.Pair]) -> None:
    """Link certain pairs in batches: what `people.services.link_resident_child` does for
    one pair (set `ResidentChild.student`), for thousands in a few statements."""
    table = connection.ops.quote_name(ResidentChild._meta.db_table)
    column = connection.ops.quote_name(ResidentChild._meta.get_field("student").column)
    with connection.cursor() as cursor:
        for i in range(0, len(pairs), LINK_BATCH):
            cursor.executemany(
                f"UPDATE {table} SET {column} = %s WHERE id = %s AND {column} IS NULL",
                [(p.student_id, p.child_id) for p in pairs[i : i + LINK_BATCH]],
            )


@transaction.atomic
def match_residents(*, unit_path: str = "") -> MatchRun:
    """Match the unit's register entries not linked yet to its student records no entry
    points to yet (`matching.match`): certain pairs are linked, uncertain ones queued for
    review (pairs already queued or rejected are not proposed again). Running it twice
    changes nothing the second time."""
    children, students, known = selectors.match_inputs(unit_path)
    result = matching.match(children, students, exclude=known)
    _link_all(result.certain)
    new = [
        MatchCandidate(
            child_id=p.child_id,
            student_id=p.student_id,
            score=p.score.value,
            reasons=",".join(p.score.reasons)[:255],
        )
        for p in result.review
        if (p.child_id, p.student_id) not in known
    ]
    MatchCandidate.objects.bulk_create(new, batch_size=LINK_BATCH, ignore_conflicts=True)
    return MatchRun(
        children=len(children),
        students=len(students),
        linked=len(result.certain),
        queued=len(new),
        by_national_id=sum(1 for p in result.certain if "national_id" in p.score.reasons),
    )


def _decided(candidate: MatchCandidate) -> MatchCandidate:
    locked = MatchCandidate.objects.select_for_update().get(pk=candidate.pk)
    if locked.status != MatchStatus.PENDING:
        raise MobilizationError(
            "already_decided",
            _("This pair was already decided: %(status)s.")
            % {"status": locked.get_status_display()},
        )
    return locked


@transaction.atomic
def accept_match(*, candidate: MatchCandidate, by: User | None) -> MatchCandidate:
    """Same child: link the register entry to the student record; the other pending pairs
    of either side are rejected (superseded)."""
    candidate = _decided(candidate)
    child = ResidentChild.objects.select_for_update().get(pk=candidate.child_id)
    if child.student_id is not None:
        raise MobilizationError(
            "child_linked",
            _("This child of the register is already linked to a student record."),
        )
    student = Student.objects.get(pk=candidate.student_id)
    if ResidentChild.objects.filter(student=student).exists():
        raise MobilizationError(
            "student_linked",
            _("This student record is already linked to another child of the register."),
        )
    try:
        with transaction.atomic():
            link_resident_child(child=child, student=student)
    except IntegrityError:
        raise MobilizationError(
            "student_linked",
            _("This student record is already linked to another child of the register."),
        ) from None
    now = timezone.now()
    candidate.status = MatchStatus.ACCEPTED
    candidate.decided_by = by
    candidate.decided_at = now
    candidate.save(update_fields=["status", "decided_by", "decided_at"])
    MatchCandidate.objects.filter(
        Q(child_id=candidate.child_id) | Q(student_id=candidate.student_id),
        status=MatchStatus.PENDING,
    ).update(status=MatchStatus.REJECTED, decided_by=by, decided_at=now, note="superseded")
    return candidate


@transaction.atomic
def reject_match(*, candidate: MatchCandidate, by: User | None, note: str = "") -> MatchCandidate:
    """Not the same child: the pair is kept as rejected and never proposed again."""
    candidate = _decided(candidate)
    candidate.status = MatchStatus.REJECTED
    candidate.decided_by = by
    candidate.decided_at = timezone.now()
    candidate.note = " ".join(note.split())[:255]
    candidate.save(update_fields=["status", "decided_by", "decided_at", "note"])
    return candidate
