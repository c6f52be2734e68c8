"""Excel imports: upload → parse → preview (an `ImportBatch`), then confirm → one
transaction writes everything or nothing.

Matching: an existing student is found by mã định danh, else by name + date of birth
in the same school; a resident child by mã định danh, else by name + birth year +
village in the commune. A row that matches and differs in nothing is "unchanged", so
importing the same file twice changes nothing the second time. A student who belongs to
another school is an error for that row (never moved silently); two rows for one person
in the file are errors.

Writes are bulk (`bulk_create` / `bulk_update`, `enrollment.services.bulk_enroll`) and
keep the derived name columns (`people.services.derived_name_fields`) and the search
tokens (`people.services.name_tokens`) in step, as the people services do one by one.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from dentruong.accounts.models import User
from dentruong.bulk import insert_rows
from dentruong.enrollment.models import Enrollment
from dentruong.enrollment.services import bulk_enroll
from dentruong.imports import columns as C
from dentruong.imports.models import BatchStatus, ImportBatch, ImportKind
from dentruong.imports.parsing import (
    Lookups,
    PersonRow,
    Problem,
    class_key,
    person_rows,
    read_table,
    village_index,
)
from dentruong.imports.readers import FileRejected, open_workbook
from dentruong.lib import vntext
from dentruong.orgs.models import OrgUnit, School, SchoolClass, SchoolYear, UnitKind
from dentruong.people.models import (
    Guardian,
    Household,
    NameToken,
    Poverty,
    Relationship,
    ResidentChild,
    SensitiveFacts,
    Student,
)
from dentruong.people.services import (
    SENSITIVE_FACT_FIELDS,
    derived_name_fields,
    name_tokens,
    sensitive_fact_row,
)

CHUNK = 900  # ids per IN (…) query: below SQLite's old parameter limit
BATCH = 2000

CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"


class ImportRefused(Exception):
    """Confirming found problems (or the batch was already used); nothing was written."""

    def __init__(self, problems: list[dict[str, Any]], code: str = "problems") -> None:
        super().__init__(code)
        self.problems = problems
        self.code = code


@dataclass
class Target:
    kind: str
    school_class: SchoolClass | None = None
    school: School | None = None
    school_year: SchoolYear | None = None
    commune: OrgUnit | None = None
    survey_year: int | None = None

    @classmethod
    def of(cls, batch: ImportBatch) -> Target:
        return cls(
            kind=batch.kind,
            school_class=batch.school_class,
            school=batch.school,
            school_year=batch.school_year,
            commune=batch.commune,
            survey_year=batch.survey_year,
        )

    @property
    def the_school(self) -> School:
        school = self.school_class.school if self.school_class else self.school
        assert school is not None
        return school

    @property
    def the_commune(self) -> OrgUnit:
        if self.kind == ImportKind.CHILDREN:
            assert self.commune is not None
            return self.commune
        return self.the_school.commune


@dataclass
class Action:
    row: int
    op: str
    values: PersonRow
    pk: int | None = None
    changes: list[str] = field(default_factory=list)
    enrol_class_id: int | None = None
    new_guardian: bool = False


# --- lookups ----------------------------------------------------------------------------------


def lookups_for(target: Target, *, today: dt.date | None = None) -> Lookups:
    commune = target.the_commune
    villages = list(
        OrgUnit.objects.filter(kind=UnitKind.VILLAGE, path__startswith=commune.path).values_list(
            "pk", "name"
        )
    )
    classes: dict[str, int] = {}
    if target.kind == ImportKind.STUDENTS:
        for pk, name in SchoolClass.objects.filter(
            school=target.school, school_year=target.school_year
        ).values_list("pk", "name"):
            classes[class_key(name)] = pk
    elif target.kind == ImportKind.CLASS_LIST:
        assert target.school_class is not None
        classes[class_key(target.school_class.name)] = target.school_class.pk
    return Lookups(
        villages=village_index(villages), classes=classes, today=today or timezone.localdate()
    )


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _title(columns: dict[str, str], key: str) -> str:
    return columns.get(key) or str(C.LABELS.get(key, key))


def _folded_name(values: PersonRow) -> str:
    return _fold_name(values["family_and_middle_name"], values["given_name"])


@functools.lru_cache(maxsize=2**16)
def _fold_name(family: str, given: str) -> str:
    """The search name, as people.services derives it (asked twice per row)."""
    return vntext.fold(f"{family} {given}")


# --- planning: what each row will do ---------------------------------------------------------

_STUDENT_FIELDS = (
    "family_and_middle_name",
    "given_name",
    "birth_date",
    "gender",
    "ethnicity",
    "village_id",
    "national_id",
)


def _duplicates(
    rows: list[tuple[int, PersonRow]], columns: dict[str, str], *, year_key: str
) -> list[Problem]:
    problems: list[Problem] = []
    seen_id: dict[str, int] = {}
    seen_name: dict[tuple[str, Any, Any], tuple[int, str | None]] = {}
    for row, values in rows:
        nid = values.get("national_id")
        if nid:
            if nid in seen_id:
                problems.append(
                    Problem(
                        row,
                        _title(columns, C.NATIONAL_ID),
                        "duplicate",
                        _("the same number is already on row %(row)s.") % {"row": seen_id[nid]},
                    )
                )
                continue
            seen_id[nid] = row
        # Same name, birth and village: the same person, unless both rows carry
        # (different) identification numbers.
        key = (_folded_name(values), values.get(year_key), values.get("village_id"))
        earlier = seen_name.get(key)
        if earlier is not None and not (nid and earlier[1]):
            problems.append(
                Problem(
                    row,
                    _title(columns, C.FULL_NAME if C.FULL_NAME in columns else C.GIVEN),
                    "duplicate",
                    _("the same person (name and date of birth) is already on row %(row)s.")
                    % {"row": earlier[0]},
                )
            )
            continue
        seen_name.setdefault(key, (row, nid))
    return problems


def _required(
    row: int, values: PersonRow, keys: Sequence[tuple[str, str]], columns: dict[str, str]
) -> list[Problem]:
    return [
        Problem(
            row,
            _title(columns, column),
            "required",
            _("needed to add a new person, but empty or missing."),
        )
        for value_key, column in keys
        if values.get(value_key) in (None, "")
    ]


def plan_students(
    rows: list[tuple[int, PersonRow]], target: Target, columns: dict[str, str]
) -> tuple[list[Action], list[Problem]]:
    school = target.the_school
    problems = _duplicates(rows, columns, year_key="birth_date")
    dup_rows = {p["row"] for p in problems}
    rows = [(r, v) for r, v in rows if r not in dup_rows]
    wanted_ids = [v["national_id"] for _r, v in rows if v.get("national_id")]
    fields = ("pk", "school_id", "household_id", "search_name", *_STUDENT_FIELDS)
    by_id: dict[str, dict[str, Any]] = {}
    for ids in _chunks(wanted_ids):
        for s in Student.objects.filter(national_id__in=ids).values(*fields):
            by_id[s["national_id"]] = s
    by_name: dict[tuple[str, dt.date], list[dict[str, Any]]] = {}
    for s in Student.objects.filter(school=school).values(*fields):
        by_name.setdefault((s["search_name"], s["birth_date"]), []).append(s)

    matched: dict[int, dict[str, Any]] = {}
    skip: set[int] = set()
    for row, values in rows:
        nid = values.get("national_id")
        existing = by_id.get(nid) if nid else None
        if existing is None:
            same = by_name.get((_folded_name(values), values["birth_date"]), [])
            if len(same) > 1:
                problems.append(
                    Problem(
                        row,
                        _title(columns, C.NATIONAL_ID),
                        "ambiguous",
                        _(
                            "several students of the school have this name and date of birth; "
                            "give the identification number."
                        ),
                    )
                )
                skip.add(row)
                continue
            if same and nid and same[0]["national_id"] != nid:
                problems.append(
                    Problem(
                        row,
                        _title(columns, C.NATIONAL_ID),
                        "id_mismatch",
                        _(
                            "a student of the school with this name and date of birth has "
                            "another identification number."
                        ),
                    )
                )
                skip.add(row)
                continue
            existing = same[0] if same else None
        if existing is not None:
            matched[row] = existing
    student_ids = [s["pk"] for s in matched.values()]
    current: dict[int, tuple[int, int]] = {}
    for ids in _chunks(student_ids):
        for e in (
            Enrollment.objects.current()
            .filter(student_id__in=ids)
            .values("student_id", "school_class_id", "school_class__school_id")
        ):
            current[e["student_id"]] = (e["school_class_id"], e["school_class__school_id"])
    guardians: dict[int, dict[str, str]] = {}
    households = [s["household_id"] for s in matched.values() if s["household_id"]]
    for ids in _chunks(households):
        for g in Guardian.objects.filter(household_id__in=ids).values(
            "household_id", "full_name", "phone"
        ):
            guardians.setdefault(g["household_id"], {})[vntext.fold(g["full_name"])] = g["phone"]

    actions: list[Action] = []
    for row, values in rows:
        if row in skip:
            continue
        class_id = (
            target.school_class.pk if target.school_class is not None else values.get("class_id")
        )
        if class_id is None:
            problems.append(
                Problem(row, _title(columns, C.CLASS_NAME), "required", _("the class is missing."))
            )
            continue
        existing = matched.get(row)
        if existing is None:
            missing = _required(
                row,
                values,
                [
                    ("national_id", C.NATIONAL_ID),
                    ("gender", C.GENDER),
                    ("ethnicity", C.ETHNICITY),
                    ("village_id", C.VILLAGE),
                ],
                columns,
            )
            if missing:
                problems.extend(missing)
                continue
            actions.append(
                Action(
                    row,
                    CREATE,
                    values,
                    enrol_class_id=class_id,
                    new_guardian=bool(values.get("guardian_name")),
                )
            )
            continue
        enrolled = current.get(existing["pk"])
        other_school = existing["school_id"] not in (None, school.pk) or (
            enrolled is not None and enrolled[1] != school.pk
        )
        if other_school:
            problems.append(
                Problem(
                    row,
                    _title(columns, C.NATIONAL_ID if values.get("national_id") else C.FULL_NAME),
                    "other_school",
                    _(
                        "this student is enrolled in another school; that school must record "
                        "the transfer first."
                    ),
                )
            )
            continue
        changes = [
            name
            for name in _STUDENT_FIELDS
            if values.get(name) not in (None, "") and values[name] != existing[name]
        ]
        new_guardian = False
        if values.get("guardian_name"):
            known = guardians.get(existing["household_id"] or 0, {})
            folded = vntext.fold(values["guardian_name"])
            if folded not in known:
                new_guardian = True
                changes.append("guardian")
            elif values.get("guardian_phone") and known[folded] != values["guardian_phone"]:
                changes.append("guardian_phone")
        enrol = None
        if enrolled is None or enrolled[0] != class_id:
            enrol = class_id
            changes.append("class")
        actions.append(
            Action(
                row,
                UPDATE if changes else UNCHANGED,
                values,
                pk=existing["pk"],
                changes=changes,
                enrol_class_id=enrol,
                new_guardian=new_guardian,
            )
        )
    return actions, problems


_CHILD_FIELDS = (
    "family_and_middle_name",
    "given_name",
    "birth_date",
    "birth_year",
    "gender",
    "ethnicity",
    "village_id",
    "national_id",
    "schooling",
    "notes",
)


def plan_children(
    rows: list[tuple[int, PersonRow]], target: Target, columns: dict[str, str]
) -> tuple[list[Action], list[Problem]]:
    commune = target.the_commune
    problems = _duplicates(rows, columns, year_key="birth_year")
    dup_rows = {p["row"] for p in problems}
    rows = [(r, v) for r, v in rows if r not in dup_rows]
    fields = ("pk", "commune_id", "search_name", "survey_year", *_CHILD_FIELDS)
    by_id: dict[str, dict[str, Any]] = {}
    for ids in _chunks([v["national_id"] for _r, v in rows if v.get("national_id")]):
        for c in ResidentChild.objects.filter(national_id__in=ids).values(*fields):
            by_id[c["national_id"]] = c
    by_name: dict[tuple[str, int, int], list[dict[str, Any]]] = {}
    for c in ResidentChild.objects.filter(commune=commune).values(*fields):
        by_name.setdefault((c["search_name"], c["birth_year"], c["village_id"]), []).append(c)
    actions: list[Action] = []
    for row, values in rows:
        nid = values.get("national_id")
        existing = by_id.get(nid) if nid else None
        if existing is not None and existing["commune_id"] != commune.pk:
            problems.append(
                Problem(
                    row,
                    _title(columns, C.NATIONAL_ID),
                    "other_commune",
                    _("this child is in the register of another commune."),
                )
            )
            continue
        if existing is None:
            same = by_name.get((_folded_name(values), values["birth_year"], values["village_id"]))
            if same and len(same) > 1:
                problems.append(
                    Problem(
                        row,
                        _title(columns, C.FULL_NAME),
                        "ambiguous",
                        _(
                            "several children of the register have this name, birth year and "
                            "village; give the identification number."
                        ),
                    )
                )
                continue
            if same and nid and same[0]["national_id"] and same[0]["national_id"] != nid:
                problems.append(
                    Problem(
                        row,
                        _title(columns, C.NATIONAL_ID),
                        "id_mismatch",
                        _(
                            "a child with this name, birth year and village has another "
                            "identification number."
                        ),
                    )
                )
                continue
            existing = same[0] if same else None
        if existing is None:
            missing = _required(
                row,
                values,
                [
                    ("birth_year", C.BIRTH_YEAR if C.BIRTH_YEAR in columns else C.BIRTH_DATE),
                    ("gender", C.GENDER),
                    ("ethnicity", C.ETHNICITY),
                    ("village_id", C.VILLAGE),
                    ("schooling", C.SCHOOLING),
                ],
                columns,
            )
            if missing:
                problems.extend(missing)
                continue
            actions.append(Action(row, CREATE, values))
            continue
        changes = [
            name
            for name in _CHILD_FIELDS
            if values.get(name) not in (None, "") and values[name] != existing[name]
        ]
        if existing["survey_year"] != target.survey_year:
            changes.append("survey_year")
        actions.append(
            Action(
                row, UPDATE if changes else UNCHANGED, values, pk=existing["pk"], changes=changes
            )
        )
    return actions, problems


# --- writing -----------------------------------------------------------------------------------


class _Names:
    """derived_name_fields and tokens, once per distinct name (names repeat a lot)."""

    def __init__(self) -> None:
        self.cache: dict[tuple[str, str], tuple[dict[str, str], list[str]]] = {}

    def get(self, family: str, given: str) -> tuple[dict[str, str], list[str]]:
        hit = self.cache.get((family, given))
        if hit is None:
            derived = derived_name_fields(family, given)
            tokens = [t.token for t in name_tokens(Student(search_name=derived["search_name"]))]
            hit = self.cache[(family, given)] = (derived, tokens)
        return hit


def reserve_ids(model: type[Model], n: int) -> list[int]:
    """Primary keys for `n` new rows, taken before inserting them: from the table's
    sequence on PostgreSQL (safe beside other writers); on SQLite after the largest id,
    which is safe because the write transaction holds the database's write lock."""
    if n == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, n],
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")
        start = int(cursor.fetchone()[0])
    return list(range(start + 1, start + n + 1))


_STUDENT_COLUMNS = (
    "id", "national_id", "family_and_middle_name", "given_name", "birth_date", "gender",
    "ethnicity", "village", "household", "school", "boarding", "sort_key", "search_name",
    "created_at", "updated_at",
)  # fmt: skip


def write_students(actions: list[Action], target: Target, user: User | None) -> None:
    names = _Names()
    creates = [a for a in actions if a.op == CREATE]
    updates = [a for a in actions if a.op == UPDATE]
    now = timezone.now()
    # New students, their households (when a guardian is given), sensitive facts, tokens,
    # guardians: plain rows with ids reserved up front (see insert_rows).
    with_guardian = [a for a in creates if a.new_guardian]
    household_ids = dict(
        zip((id(a) for a in with_guardian), reserve_ids(Household, len(with_guardian)), strict=True)
    )
    insert_rows(
        Household,
        ("id", "village", "head_name", "address"),
        [(household_ids[id(a)], a.values["village_id"], a.values["guardian_name"], "")
         for a in with_guardian],
    )  # fmt: skip
    # A new student is written with the school of the class they enter, so that
    # bulk_enroll has no Student row to update afterwards (50,000 UPDATEs on PostgreSQL).
    school_of_class = dict(
        SchoolClass.objects.filter(
            pk__in={a.enrol_class_id for a in creates if a.enrol_class_id}
        ).values_list("pk", "school_id")
    )
    student_rows = []
    tokens: list[tuple[int, str]] = []
    facts = []
    new_guardians: list[tuple[int, str, str, str]] = []
    for a, pk in zip(creates, reserve_ids(Student, len(creates)), strict=True):
        v = a.values
        derived, name_tokens_ = names.get(v["family_and_middle_name"], v["given_name"])
        a.pk = pk
        household = household_ids.get(id(a))
        student_rows.append(
            (pk, v["national_id"], derived["family_and_middle_name"], derived["given_name"],
             v["birth_date"], v["gender"], v["ethnicity"], v["village_id"], household,
             school_of_class.get(a.enrol_class_id) if a.enrol_class_id else None,
             False, derived["sort_key"], derived["search_name"], now, now)
        )  # fmt: skip
        facts.append(sensitive_fact_row(student_id=pk, poverty=Poverty.NONE))
        tokens += [(pk, t) for t in name_tokens_]
        if household is not None:
            new_guardians.append(
                (
                    household,
                    v["guardian_name"],
                    str(Relationship.OTHER),
                    v.get("guardian_phone") or "",
                )
            )
    insert_rows(Student, _STUDENT_COLUMNS, student_rows)
    insert_rows(SensitiveFacts, SENSITIVE_FACT_FIELDS, facts)
    # Updates: changed register fields, renamed students' tokens.
    if updates:
        by_pk = {
            s.pk: s
            for ids in _chunks([a.pk for a in updates])
            for s in Student.objects.filter(pk__in=ids)
        }
        changed: list[Student] = []
        renamed: list[Student] = []
        update_fields: set[str] = set()
        extra_households: list[tuple[Action, Student]] = []
        for a in updates:
            student = by_pk[a.pk]  # type: ignore[index]
            register = [c for c in a.changes if c in _STUDENT_FIELDS]
            if register:
                for name in register:
                    if name not in ("family_and_middle_name", "given_name"):
                        setattr(student, name, a.values[name])
                        update_fields.add(name)
                if {"family_and_middle_name", "given_name"} & set(register):
                    derived, _t = names.get(
                        a.values["family_and_middle_name"] or student.family_and_middle_name,
                        a.values["given_name"] or student.given_name,
                    )
                    for name, value in derived.items():
                        setattr(student, name, value)
                    update_fields |= set(derived)
                    renamed.append(student)
                changed.append(student)
            if a.new_guardian and student.household_id is None:
                extra_households.append((a, student))
        if extra_households:
            made = Household.objects.bulk_create(
                [
                    Household(village_id=s.village_id, head_name=a.values["guardian_name"])
                    for a, s in extra_households
                ]
            )
            for (_a, s), hh in zip(extra_households, made, strict=True):
                s.household = hh
                if s not in changed:
                    changed.append(s)
            update_fields.add("household")
        if changed:
            now = timezone.now()
            for s in changed:
                s.updated_at = now
            Student.objects.bulk_update(
                changed, [*sorted(update_fields), "updated_at"], batch_size=BATCH
            )
        for ids in _chunks([s.pk for s in renamed]):
            NameToken.objects.filter(student_id__in=ids).delete()
        tokens += [
            (s.pk, t) for s in renamed for t in names.get(s.family_and_middle_name, s.given_name)[1]
        ]
        for a in updates:
            if "guardian_phone" not in a.changes:
                continue
            folded = vntext.fold(a.values["guardian_name"])
            household_id = by_pk[a.pk].household_id  # type: ignore[index]
            for g in Guardian.objects.filter(household_id=household_id or 0):
                if vntext.fold(g.full_name) == folded:
                    g.phone = a.values["guardian_phone"]
                    g.save(update_fields=["phone"])
    else:
        by_pk = {}
    insert_rows(NameToken, ("student", "token"), tokens)
    # New guardians of existing households.
    for a in updates:
        if a.new_guardian:
            g = _guardian(a, by_pk[a.pk].household_id)  # type: ignore[index]
            new_guardians.append((g.household_id, g.full_name, str(g.relationship), g.phone))
    insert_rows(Guardian, ("household", "full_name", "relationship", "phone"), new_guardians)
    # Enrolments: new students, and students who change class.
    classes = {
        c.pk: c
        for c in SchoolClass.objects.filter(
            pk__in={a.enrol_class_id for a in actions if a.enrol_class_id}
        )
    }
    pairs = []
    for a in actions:
        if a.enrol_class_id is None or a.op == UNCHANGED:
            continue
        student = (
            by_pk[a.pk]  # type: ignore[index]
            if a.op == UPDATE
            else Student(pk=a.pk, school_id=school_of_class.get(a.enrol_class_id))
        )
        pairs.append((student, classes[a.enrol_class_id]))
    bulk_enroll(pairs=pairs, on=timezone.localdate(), by=user)


def _guardian(action: Action, household_id: int | None) -> Guardian:
    assert household_id is not None
    return Guardian(
        household_id=household_id,
        full_name=action.values["guardian_name"],
        relationship=Relationship.OTHER,
        phone=action.values.get("guardian_phone") or "",
    )


def write_children(actions: list[Action], target: Target) -> None:
    names = _Names()
    commune = target.the_commune
    survey_year = target.survey_year
    assert survey_year is not None
    creates = []
    for a in actions:
        if a.op != CREATE:
            continue
        v = a.values
        derived, _t = names.get(v["family_and_middle_name"], v["given_name"])
        creates.append(
            ResidentChild(
                commune=commune,
                village_id=v["village_id"],
                birth_year=v["birth_year"],
                birth_date=v["birth_date"],
                gender=v["gender"],
                ethnicity=v["ethnicity"],
                survey_year=survey_year,
                schooling=v["schooling"],
                national_id=v["national_id"] or None,
                notes=v["notes"],
                **derived,
            )
        )
    ResidentChild.objects.bulk_create(creates, batch_size=BATCH)
    updates = [a for a in actions if a.op == UPDATE]
    if not updates:
        return
    by_pk = {
        c.pk: c
        for ids in _chunks([a.pk for a in updates])
        for c in ResidentChild.objects.filter(pk__in=ids)
    }
    update_fields: set[str] = set()
    for a in updates:
        child = by_pk[a.pk]  # type: ignore[index]
        for name in a.changes:
            if name == "survey_year":
                child.survey_year = survey_year
            elif name not in ("family_and_middle_name", "given_name"):
                setattr(child, name, a.values[name])
            update_fields.add(name)
        if {"family_and_middle_name", "given_name"} & set(a.changes):
            derived, _t = names.get(a.values["family_and_middle_name"], a.values["given_name"])
            for name, value in derived.items():
                setattr(child, name, value)
            update_fields |= set(derived)
    ResidentChild.objects.bulk_update(list(by_pk.values()), sorted(update_fields), batch_size=BATCH)


# --- the two steps ------------------------------------------------------------------------------


def _encode(values: PersonRow) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in values.items()}


def _decode(values: dict[str, Any]) -> PersonRow:
    out = dict(values)
    if out.get("birth_date"):
        out["birth_date"] = dt.date.fromisoformat(out["birth_date"])
    return out


def _plan(
    target: Target, rows: list[tuple[int, PersonRow]], columns: dict[str, str]
) -> tuple[list[Action], list[Problem]]:
    if target.kind == ImportKind.CHILDREN:
        return plan_children(rows, target, columns)
    return plan_students(rows, target, columns)


def _summary(actions: list[Action]) -> dict[str, Any]:
    counts = {CREATE: 0, UPDATE: 0, UNCHANGED: 0}
    listing = []
    for a in actions:
        counts[a.op] += 1
        v = a.values
        listing.append(
            [
                a.row,
                a.op,
                a.changes,
                f"{v['family_and_middle_name']} {v['given_name']}",
                v["birth_date"].strftime("%d/%m/%Y")
                if v.get("birth_date")
                else v.get("birth_year"),
            ]
        )
    return {**counts, "rows": listing}


def _sort(problems: list[Problem]) -> list[dict[str, Any]]:
    """By row and column; without NUL (a cell marker quoted in a message), which
    PostgreSQL cannot store in JSON (a 500 found by tests/test_fuzz_excel.py)."""
    clean = [
        {
            **p,
            "message": p["message"].replace("\x00", ""),
            "column": p["column"].replace("\x00", ""),
        }
        for p in problems
    ]
    return sorted(clean, key=lambda p: (p["row"], p["column"]))


def preview_import(
    *,
    target: Target,
    data: bytes,
    file_name: str,
    user: User | None,
    sheet: str | None = None,
    today: dt.date | None = None,
) -> ImportBatch:
    """Parse and check an upload; store it as an ImportBatch waiting for confirmation.
    Raises FileRejected for a file that cannot be read at all (nothing is stored)."""
    book = open_workbook(data, file_name=file_name)
    try:
        table = read_table(book, sheet=sheet)
    finally:
        book.close()
    if target.kind == ImportKind.STUDENTS and C.CLASS_NAME not in table.header.keys:
        raise FileRejected(
            "no_class_column",
            _("The sheet has no 'Lớp' column: student records must say each student's class."),
        )
    columns = {key: table.header.titles.get(col, "") for col, key in table.header.fields.items()}
    rows, problems = person_rows(
        table, lookups_for(target, today=today), students=target.kind != ImportKind.CHILDREN
    )
    actions, plan_problems = _plan(target, rows, columns)
    batch = ImportBatch.objects.create(
        kind=target.kind,
        school_class=target.school_class,
        school=target.school,
        school_year=target.school_year,
        commune=target.commune,
        survey_year=target.survey_year,
        file_name=file_name[:255],
        file_sha256=hashlib.sha256(data).hexdigest(),
        file_size=len(data),
        sheet=table.sheet[:100],
        columns={
            "fields": columns,
            "ignored": table.header.ignored,
            "sheets": table.sheets,
            "encodings": table.encodings,
        },
        rows=[[row, _encode(values)] for row, values in rows],
        problems=_sort(problems + plan_problems),
        summary=_summary(actions),
        created_by=user,
    )
    return batch


def confirm_import(*, batch: ImportBatch, user: User | None) -> ImportBatch:
    """Re-check the stored rows against the database as it is now and write them all in
    one transaction; ImportRefused (and nothing written) when any problem remains."""
    try:
        with transaction.atomic():
            claimed = ImportBatch.objects.filter(pk=batch.pk, status=BatchStatus.PREVIEWED).update(
                status=BatchStatus.CONFIRMED, confirmed_by=user, confirmed_at=timezone.now()
            )
            if not claimed:
                raise ImportRefused([], code="not_waiting")
            if batch.problems:
                raise ImportRefused(list(batch.problems))
            target = Target.of(batch)
            rows = [(row, _decode(values)) for row, values in batch.rows]
            actions, problems = _plan(target, rows, batch.columns.get("fields", {}))
            if problems:
                raise ImportRefused(_sort(problems))
            try:
                with transaction.atomic():
                    if target.kind == ImportKind.CHILDREN:
                        write_children(actions, target)
                    else:
                        write_students(actions, target, user)
            except IntegrityError as e:
                raise ImportRefused(
                    [
                        {
                            "row": 0,
                            "column": "",
                            "code": "conflict",
                            "message": _(
                                "The database refused the import (%(error)s); nothing was saved."
                            )
                            % {"error": str(e)[:200]},
                        }
                    ]
                ) from None
            summary = _summary(actions)
            ImportBatch.objects.filter(pk=batch.pk).update(summary=summary)
    except ImportRefused as refused:
        if refused.code == "problems" and refused.problems != batch.problems:
            ImportBatch.objects.filter(pk=batch.pk).update(problems=refused.problems)
            batch.problems = refused.problems
        raise
    batch.refresh_from_db()
    return batch


@transaction.atomic
def cancel_import(*, batch: ImportBatch) -> None:
    ImportBatch.objects.filter(pk=batch.pk, status=BatchStatus.PREVIEWED).update(
        status=BatchStatus.CANCELLED
    )
