"""Writes of the early-warning app (decision 0008).

- `compute_risk`: every enrolled student of a unit as of a date → level and reasons;
  a new `RiskAssessment` row only where the level, the reasons or the class changed
  (history: the row in force is closed, `valid_until` = the date). Nightly
  (`manage.py compute_risk`) and after a morning's roll calls (`update_after_roll_calls`,
  only the students whose marks could have changed anything).
- A rise of level (to medium or high) is told to the homeroom teacher once: one digest
  a day per teacher through `notices.services.queue_risk_digests`; a rise not told yet
  (the teacher had a digest that day already) goes into the next one.
- The teacher's flags: `add_flag`, `clear_flag` (rows kept, cleared by date).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from dentruong.accounts.models import User
from dentruong.attendance.models import Absence, RollCall, RollCallRevision
from dentruong.bulk import insert_rows
from dentruong.lib import vntext
from dentruong.people.models import Student
from dentruong.risk.indicators import compute, feature_vector
from dentruong.risk.models import FlagKind, RiskAssessment, RiskModel, TeacherFlag
from dentruong.risk.rules import LOW, RANK, Thresholds, evaluate, quiet
from dentruong.risk.selectors import Loaded, enrolled_on, ids_in, in_force, load_facts

BATCH = 5000
NOTE_MAX = 200


class RiskError(Exception):
    """A write was refused; nothing was written. `code` machine-readable, `message`
    translated, `field` the input at fault."""

    def __init__(self, code: str, message: str, field: str = "__all__") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


@dataclass
class RunResult:
    students: int = 0
    written: int = 0  # new rows
    updated: int = 0  # rows of the same date rewritten
    closed: int = 0  # rows whose validity ended
    rose: int = 0
    notified_teachers: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


CREATE_FIELDS = (
    "student",
    "date",
    "valid_until",
    "level",
    "points",
    "reasons",
    "source",
    "probability",
    "school_class",
    "unit_path",
    "previous_level",
    "rose",
    "not_back",
)


def probability_level(p: float) -> str:
    """Bands from ews.md §C: < 10 % low, 10–30 % medium, > 30 % high."""
    return "high" if p > 0.30 else "medium" if p >= 0.10 else LOW


def _models_for(loaded: list[Loaded]) -> dict[int, tuple[RiskModel, Any]]:
    """student id → (active model, estimator) of the longest unit path covering them."""
    active = sorted(RiskModel.objects.filter(active=True), key=lambda m: -len(m.unit_path))
    if not active:
        return {}
    from dentruong.risk.ml import load_estimator  # scikit-learn: seconds to import

    estimators = {m.pk: load_estimator(bytes(m.estimator)) for m in active}
    out = {}
    for row in loaded:
        for m in active:
            if row.unit_path.startswith(m.unit_path):
                out[row.facts.student_id] = (m, estimators[m.pk])
                break
    return out


def compute_risk(
    *,
    path: str,
    day: dt.date,
    only: Q | None = None,
    thresholds: Thresholds | None = None,
    notify: bool | None = None,
) -> RunResult:
    """Assess every student enrolled on `day` in the unit at `path` (or those of the
    enrolments matching `only`), write what changed, tell teachers of rises.
    `notify` defaults to "day is today" (a back-dated run tells nobody)."""
    from dentruong.notices.services import local_today

    t = thresholds or Thresholds.from_settings()
    loaded = load_facts(path, day, window_days=t.window_days, only=only)
    result = RunResult(students=len(loaded))
    models = _models_for(loaded)
    new: dict[int, tuple[str, int, list[dict[str, Any]], str, float | None, Loaded]] = {}
    by_model: dict[int, list[tuple[Loaded, list[float]]]] = defaultdict(list)
    for row in loaded:
        sid = row.facts.student_id
        if sid not in models and quiet(row.facts, t):
            new[sid] = (LOW, 0, [], "rules", None, row)
            continue
        ind = compute(row.facts)
        a = evaluate(ind, t)
        new[sid] = (a.level, a.points, list(a.reasons), "rules", None, row)
        if sid in models:
            by_model[models[sid][0].pk].append((row, feature_vector(ind)))
    for rows in by_model.values():
        model, estimator = models[rows[0][0].facts.student_id]
        probs = estimator.predict_proba([f for _, f in rows])[:, 1]
        for (row, _f), p in zip(rows, probs, strict=True):
            sid = row.facts.student_id
            _lv, points, reasons, _src, _p, _r = new[sid]
            level = probability_level(float(p))
            new[sid] = (level, points, reasons, f"model:{model.version}", float(p), row)

    if only is None:
        # Rows in force of the unit, and of its students wherever they were assessed.
        mine = Q(student_id__in=enrolled_on(path, day).values("student_id"))
        found = list(
            RiskAssessment.objects.filter(in_force(day) & (mine | Q(unit_path__startswith=path)))
        )
    else:
        found = list(
            RiskAssessment.objects.filter(in_force(day), ids_in("student_id", sorted(new)))
        )
    current = {r.student_id: r for r in found}

    creates: list[tuple[Any, ...]] = []  # rows in the order of CREATE_FIELDS
    rises = 0
    rewrites: list[RiskAssessment] = []
    closes: list[RiskAssessment] = []
    deletes: list[int] = []
    for sid, (level, points, reasons, source, prob, row) in new.items():
        cur = current.get(sid)
        keep = level != LOW or bool(reasons)
        if cur is not None and (
            cur.level == level
            and cur.reasons == reasons
            and cur.school_class_id == row.class_id
            and cur.source == source
        ):
            continue
        if cur is not None and cur.date == day:
            if keep:
                cur.level, cur.points, cur.reasons = level, points, reasons
                cur.source, cur.probability = source, prob
                cur.school_class_id, cur.unit_path = row.class_id, row.unit_path
                cur.rose = RANK[level] > RANK[cur.previous_level]
                cur.not_back = _not_back(reasons)
                rewrites.append(cur)
            else:
                deletes.append(cur.pk)
            continue
        previous = LOW
        until = None
        if cur is not None:
            previous, until = cur.level, cur.valid_until
            cur.valid_until = day
            closes.append(cur)
        if keep:
            rose = RANK[level] > RANK[previous]
            rises += rose
            creates.append(
                (
                    sid,
                    day,
                    until,
                    level,
                    points,
                    json.dumps(reasons, ensure_ascii=False),
                    source,
                    prob,
                    row.class_id,
                    row.unit_path,
                    previous,
                    rose,
                    _not_back(reasons),
                )
            )
    if only is None:  # students of the unit no longer enrolled there: their rows end
        for sid, cur in current.items():
            if sid not in new:
                if cur.date == day:
                    deletes.append(cur.pk)
                else:
                    cur.valid_until = day
                    closes.append(cur)
    with transaction.atomic():
        for i in range(0, len(deletes), BATCH):
            RiskAssessment.objects.filter(pk__in=deletes[i : i + BATCH]).delete()
        closing = [c.pk for c in closes]
        for i in range(0, len(closing), BATCH):  # every closed row ends on `day`
            RiskAssessment.objects.filter(pk__in=closing[i : i + BATCH]).update(valid_until=day)
        if rewrites:
            RiskAssessment.objects.bulk_update(
                rewrites,
                [
                    "level",
                    "points",
                    "reasons",
                    "source",
                    "probability",
                    "school_class",
                    "unit_path",
                    "rose",
                    "not_back",
                ],
                batch_size=BATCH,
            )
        # Plain rows: at a province's scale, model instances cost more than the insert.
        insert_rows(RiskAssessment, CREATE_FIELDS, creates)
    result.written, result.updated = len(creates), len(rewrites)
    result.closed = len(closes) + len(deletes)
    result.rose = rises + sum(1 for c in rewrites if c.rose)
    if notify is None:
        notify = day == local_today()
    if notify:
        result.notified_teachers = notify_rises(path=path, day=day)
    return result


def _not_back(reasons: list[dict[str, Any]]) -> int:
    return next((int(r.get("n", 0)) for r in reasons if r["code"] == "not_back"), 0)


def changed_students(day: dt.date, since: dt.datetime | None = None) -> Q:
    """The enrolments whose assessment a day's roll calls may have changed: students
    marked P or K that day, students whose mark a correction of that day took back, and
    students "not back after the break" in a class whose roll call of that day was written
    (they may have come back). A student present that day changes nothing else: their
    window moves with the nightly run. `since`: only roll calls written from then on."""
    calls = RollCall.objects.filter(date=day)
    if since is not None:
        calls = calls.filter(updated_at__gte=since)
    # Through the day's roll calls (their date index), not Absence.date (its index leads
    # with the student).
    absent = Absence.objects.filter(roll_call__in=calls, code__in=["P", "K"])
    assessed = RiskAssessment.objects.filter(
        in_force(day), not_back__gt=0, school_class_id__in=calls.values("school_class_id")
    )
    # Corrections (revisions after the first) may have taken a mark back: their students.
    corrected: set[int] = set()
    for before in RollCallRevision.objects.filter(roll_call__in=calls, version__gt=1).values_list(
        "before", flat=True
    ):
        corrected.update(int(k) for k in (before or {}))
    ids = corrected | set(absent.values_list("student_id", flat=True))
    ids.update(assessed.values_list("student_id", flat=True))
    # The ids themselves (a few percent of the students), not subqueries: the enrolments
    # are then found through the student index.
    return ids_in("student_id", sorted(ids))


def update_after_roll_calls(
    *, path: str, day: dt.date, since: dt.datetime | None = None, notify: bool | None = None
) -> RunResult:
    """The incremental update: only the students whose marks changed (see
    `changed_students`); the nightly run does everyone (the window moves)."""
    return compute_risk(path=path, day=day, only=changed_students(day, since), notify=notify)


# --- telling the homeroom teacher ---------------------------------------------------------


def notify_rises(*, path: str, day: dt.date) -> int:
    """One digest per homeroom teacher listing their students whose level rose and who
    were not told yet; returns the number of teachers told."""
    from dentruong.notices.services import queue_risk_digests
    from dentruong.notices.texts import Message

    pending = list(
        RiskAssessment.objects.filter(
            in_force(day),
            unit_path__startswith=path,
            rose=True,
            notice__isnull=True,
            school_class__homeroom_teacher__isnull=False,
        ).values_list(
            "pk",
            "level",
            "school_class__homeroom_teacher_id",
            "school_class__name",
            "student__family_and_middle_name",
            "student__given_name",
        )
    )
    if not pending:
        return 0
    by_teacher: dict[int, list[tuple[int, str, str, str]]] = defaultdict(list)
    for pk, level, teacher, class_name, family, given in pending:
        by_teacher[teacher].append((pk, level, class_name, f"{family} {given}"))
    messages = {}
    with translation.override(settings.LANGUAGE_CODE):
        for teacher, rows in by_teacher.items():
            rows.sort(key=lambda r: (-RANK[r[1]], r[3]))
            names = "; ".join(
                f"{name} ({_('class')} {cls}, {_('risk')} {_level_word(level)})"
                for _pk, level, cls, name in rows
            )
            text = _(
                "Đến Trường: the dropout risk of %(n)s of your students rose: %(names)s. "
                "See the reasons in the class's risk list."
            ) % {"n": len(rows), "names": names}
            subject = _("Dropout risk rose, %(date)s") % {"date": f"{day:%d/%m/%Y}"}
            messages[teacher] = Message(vntext.clean(subject), vntext.clean(text))
    sent = queue_risk_digests(day=day, messages=messages)
    with transaction.atomic():
        for teacher, notice in sent.items():
            ids = [r[0] for r in by_teacher[teacher]]
            RiskAssessment.objects.filter(pk__in=ids).update(notice=notice)
    return len(sent)


def _level_word(level: str) -> str:
    from dentruong.risk.models import Level

    return str(Level(level).label).lower()


# --- the teacher's flags ------------------------------------------------------------------


@transaction.atomic
def add_flag(
    *, student: Student, kind: str, by: User, start: dt.date, note: str = ""
) -> TeacherFlag:
    if kind not in FlagKind.values:
        raise RiskError(
            "invalid_kind",
            _("“%(value)s” is not a kind of flag.") % {"value": str(kind)[:20]},
            "kind",
        )
    note = vntext.clean(note)
    if len(note) > NOTE_MAX:
        raise RiskError(
            "note_too_long",
            _("The note is too long (at most %(n)s characters).") % {"n": NOTE_MAX},
            "note",
        )
    try:
        with transaction.atomic():
            return TeacherFlag.objects.create(
                student=student, kind=kind, note=note, start=start, created_by=by
            )
    except IntegrityError:
        raise RiskError(
            "already_flagged",
            _("This flag is already in force for the student: clear it first."),
            "kind",
        ) from None


@transaction.atomic
def clear_flag(*, flag: TeacherFlag, by: User, day: dt.date) -> TeacherFlag:
    if flag.cleared_on is not None:
        raise RiskError("already_cleared", _("This flag was already cleared."))
    if day < flag.start:
        raise RiskError(
            "before_start", _("A flag cannot be cleared before the day it was set."), "date"
        )
    flag.cleared_on = day
    flag.cleared_by = by
    flag.save(update_fields=["cleared_on", "cleared_by"])
    return flag


# --- learned models -----------------------------------------------------------------------


@transaction.atomic
def register_model(
    *,
    kind: str,
    unit_path: str,
    estimator_bytes: bytes,
    card: dict[str, Any],
    beats_rules: bool,
    activate: bool = True,
) -> RiskModel:
    """Store a trained model with its card; make it the scope's active model only if
    forward validation showed it beats the rules at the scope's capacity (the database
    refuses an active model that does not)."""
    count = RiskModel.objects.filter(unit_path=unit_path).count()
    version = f"{unit_path.rstrip('/').replace('/', '-') or 'all'}-{kind}-v{count + 1}"
    card = {**card, "version": version}
    model = RiskModel.objects.create(
        version=version,
        kind=kind,
        unit_path=unit_path,
        card=card,
        estimator=estimator_bytes,
        beats_rules=beats_rules,
    )
    if activate and beats_rules:
        RiskModel.objects.filter(unit_path=unit_path, active=True).update(active=False)
        model.active = True
        model.save(update_fields=["active"])
    return model
