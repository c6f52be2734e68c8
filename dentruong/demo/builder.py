"""A deterministic demo world: Tỉnh Lào Cai → Xã Bát Xát, or the whole province.

`build_demo(seed=…, students=…)` always produces the same data for the same arguments
(names, birth dates, national ids, classes, households…): every random draw comes from
`random.Random` seeded with the seed and the commune's code. Only database ids and
timestamps depend on the database.

Two shapes:

* **Commune** (students ≤ 20,000, the default 4,000): Xã Bát Xát with 10 villages and 6
  schools (more of both above 6,000 students), plus a neighbouring Xã Y Tý with one
  small school (for the outsider login).
* **Province** (more students): every commune and ward of Tỉnh Lào Cai in the official
  2025 list (99 units, from the `vietnam-provinces` package that `load_units` reads),
  each with villages and schools sized to its share of the students.

Writing: the organisation units, schools, classes, teachers and logins go through the
ORM (`bulk_create`); the bulk registers (households, guardians, students, their
sensitive facts and name tokens, enrollments and their events, resident children)
are written per commune as plain rows: `executemany` on SQLite, `COPY` on PostgreSQL,
with primary keys reserved up front so no row is read back. Django's `bulk_create`
costs ~30 µs a row end to end here (model instances + SQL compilation), which would
put a 700,000-student province (~8 M rows) far over the 3-minute budget.

Re-running is safe: if Xã Bát Xát already has schools the build stops and says so;
`fresh=True` first deletes the previous demo data (see `delete_demo`).
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, cast

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import ForeignKey, Max, Model, Q, QuerySet
from django.utils import timezone

from dentruong.accounts.models import Membership, Role, TOTPDevice, User
from dentruong.accounts.selectors import TWO_FACTOR_ROLES
from dentruong.attendance.models import Absence, AbsenceTally, ClassDaySummary, RollCall
from dentruong.bulk import insert_rows
from dentruong.demo import names as N
from dentruong.enrollment.models import Enrollment, EnrollmentEvent, EventKind
from dentruong.lib import vntext
from dentruong.lib.national_id import make_national_id
from dentruong.orgs.models import (
    BoardingType,
    BreakKind,
    CalendarBreak,
    CodeSet,
    OrgUnit,
    School,
    SchoolClass,
    SchoolYear,
    UnitKind,
    YearCalendar,
)
from dentruong.people.models import (
    Guardian,
    Household,
    NameToken,
    ResidentChild,
    SchoolingStatus,
    SensitiveFacts,
    Student,
)
from dentruong.people.services import (
    SENSITIVE_FACT_FIELDS,
    derived_name_fields,
    name_tokens,
    sensitive_fact_row,
)

PROVINCE_CODE = "15"
PROVINCE_NAME = "Tỉnh Lào Cai"
DEMO_COMMUNE = ("02683", "Xã Bát Xát")
OUTSIDER_COMMUNE = ("02701", "Xã Y Tý")
ID_PROVINCE = 10  # pre-2025 Lào Cai: the code printed on ids of children born there
SCHOOL_YEAR = 2026
START = dt.date(2026, 9, 5)
SURVEY_YEAR = 2026
COMMUNE_MODE_MAX = 20_000  # above: the whole province
FULL_SHAPE_MAX = 6_000  # up to: Bát Xát keeps its 10 villages and 6 schools
MIN_STUDENTS = 100
MAX_STUDENTS = 3_000_000
DEMO_EMAIL_DOMAIN = "demo.dentruong.invalid"  # marks every user the demo creates
BATCH = 5000
GRADE_WEIGHTS = {1: 1.06, 2: 1.05, 3: 1.03, 4: 1.02, 5: 1.00, 6: 0.97, 7: 0.94, 8: 0.91, 9: 0.87}
CLASS_MAX = 35
CLASS_LETTERS = "ABCDEGHIKLMNPQRSTUVXY"  # Vietnamese class names skip F, J, O, W, Z
PHONE_PREFIXES = ("96", "97", "98", "91", "94", "90", "93", "32", "33", "34", "35", "36", "37")


class Output(Protocol):
    def write(self, msg: str, /) -> object: ...


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    scope: str
    full_name: str


@dataclass
class DemoResult:
    created: bool
    message: str
    seed: int
    students: int
    incomplete: bool = False  # a demo stopped half-way is in the database
    communes: int = 0
    villages: int = 0
    schools: int = 0
    classes: int = 0
    households: int = 0
    guardians: int = 0
    resident_children: int = 0
    users: int = 0
    rows_written: int = 0
    roll_calls: int = 0
    seconds: float = 0.0
    logins: list[DemoLogin] = field(default_factory=list)


# --- Plans: what to build, decided before touching the database ----------------------


@dataclass
class VillagePlan:
    code: str
    name: str
    zone: str  # urban, centre, mid, high
    quota: int  # students living here


@dataclass
class SchoolPlan:
    code: str
    name: str
    levels: str
    boarding: str
    full_day: bool  # primary classes study mornings and afternoons
    primary_from: list[int] = field(default_factory=list)  # village indexes
    secondary_from: list[int] = field(default_factory=list)

    @property
    def grades(self) -> list[int]:
        out: list[int] = []
        if "TH" in self.levels.split(","):
            out += [1, 2, 3, 4, 5]
        if "THCS" in self.levels.split(","):
            out += [6, 7, 8, 9]
        return out


@dataclass
class CommunePlan:
    code: str
    name: str
    students: int
    villages: list[VillagePlan]
    schools: list[SchoolPlan]


@dataclass(frozen=True)
class ZoneProfile:
    over_age: float  # share of pupils 1–2 years older than their grade
    out_of_school: float  # out-of-school children per pupil
    under_six: float  # children aged 1–5 per pupil
    kids: tuple[int, ...]  # children per household (uniform draw)
    poor: float
    near_poor: float
    distance: tuple[float, float]  # km to school


ZONES: dict[str, ZoneProfile] = {
    "urban": ZoneProfile(0.02, 0.005, 0.55, (1, 1, 2, 2, 2, 3), 0.03, 0.04, (0.2, 2.5)),
    "centre": ZoneProfile(0.03, 0.008, 0.58, (1, 1, 2, 2, 2, 3), 0.07, 0.06, (0.3, 3.5)),
    "mid": ZoneProfile(0.06, 0.018, 0.62, (1, 2, 2, 3, 3, 4), 0.20, 0.11, (1.5, 8.0)),
    "high": ZoneProfile(0.09, 0.032, 0.66, (1, 2, 3, 3, 4, 4), 0.36, 0.13, (3.0, 16.0)),
}


def _split(total: int, weights: Sequence[float]) -> list[int]:
    """Split `total` in proportion to `weights` (largest remainder; exact sum)."""
    s = sum(weights)
    raw = [total * w / s for w in weights]
    out = [int(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


def _chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _short(name: str) -> str:
    """'Xã Bát Xát' → 'Bát Xát', 'Thôn Ngải Thầu' → 'Ngải Thầu'."""
    for prefix in ("Xã ", "Phường ", "Đặc khu ", "Thôn ", "Bản ", "Tổ dân phố "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def plan_commune(
    code: str, name: str, students: int, rng: random.Random, *, full: bool = False
) -> CommunePlan:
    """Villages and schools of one commune. `full` keeps the demo commune's shape (10
    villages, 6 schools) whatever its size; otherwise the shape follows the size."""
    short = _short(name)
    urban = name.startswith("Phường")
    if students < 300 and not full:
        # A small border commune: two high villages, one semi-boarding primary school.
        names = rng.sample(N.VILLAGE_NAMES["high"], 2)
        villages = [
            VillagePlan(f"T{i + 1:02d}", n, "high", q)
            for i, (n, q) in enumerate(zip(names, _split(students, [1.2, 0.8]), strict=True))
        ]
        school = SchoolPlan(
            f"{code}01",
            f"Trường PTDTBT Tiểu học {short}",
            "TH",
            BoardingType.PTDTBT,
            True,
            [0, 1],
            [],
        )
        return CommunePlan(code, name, students, villages, [school])

    n_v = 10 if full else max(3, min(60, round(students / 400)))
    if urban:
        zones = ["urban"] * n_v
        vnames = [f"Tổ dân phố {i + 1}" for i in range(n_v)]
    else:
        n_c = max(1, round(n_v * 0.3))
        n_h = max(1, round(n_v * 0.3))
        zones = ["centre"] * n_c + ["mid"] * (n_v - n_c - n_h) + ["high"] * n_h
        vnames = []
        for zone in ("centre", "mid", "high"):
            pool = list(N.VILLAGE_NAMES[zone])
            rng.shuffle(pool)
            want = zones.count(zone)
            picked = [pool[i % len(pool)] for i in range(want)]
            vnames += [
                p if i < len(pool) else f"{p} {i // len(pool) + 1}" for i, p in enumerate(picked)
            ]
    zone_weight = {"urban": 1.0, "centre": 1.25, "mid": 1.0, "high": 0.8}
    quotas = _split(students, [zone_weight[z] * rng.uniform(0.75, 1.25) for z in zones])
    villages = [VillagePlan(f"T{i + 1:02d}", vnames[i], zones[i], quotas[i]) for i in range(n_v)]

    schools: list[SchoolPlan] = []

    def add(name: str, levels: str, boarding: str, full_day: bool) -> SchoolPlan:
        plan = SchoolPlan(f"{code}{len(schools) + 1:02d}", name, levels, boarding, full_day)
        schools.append(plan)
        return plan

    def numbered(base: str, k: int) -> str:
        return base if k == 0 else f"{base} số {k + 1}"

    if urban:
        all_v = list(range(n_v))
        for k, group in enumerate(_chunks(all_v, 4)):
            add(numbered(f"Trường Tiểu học {short}", k), "TH", "none", True).primary_from = group
        for k, group in enumerate(_chunks(all_v, 8)):
            add(numbered(f"Trường THCS {short}", k), "THCS", "none", False).secondary_from = group
        return CommunePlan(code, name, students, villages, schools)

    centre = [i for i, z in enumerate(zones) if z == "centre"]
    mid = [i for i, z in enumerate(zones) if z == "mid"]
    high = [i for i, z in enumerate(zones) if z == "high"]
    for k, group in enumerate(_chunks(centre, 4)):
        add(numbered(f"Trường Tiểu học {short}", k), "TH", "none", True).primary_from = group
    centre_thcs = add(f"Trường THCS {short}", "THCS", "none", False)
    centre_thcs.secondary_from = list(centre)
    for k, group in enumerate(_chunks(mid, 3)):
        place = _short(villages[group[0]].name)
        if k % 2 == 0:
            # A primary school gathering pupils of several mixed villages (điểm trường lẻ).
            add(f"Trường Tiểu học {place}", "TH", "none", False).primary_from = group
            secondary = sum(villages[i].quota for i in group) * 4 / 9
            if full or secondary >= 250:
                add(f"Trường THCS {place}", "THCS", "none", False).secondary_from = group
            else:
                centre_thcs.secondary_from += group
        else:
            both = add(f"Trường TH&THCS {place}", "TH,THCS", "none", True)
            both.primary_from = both.secondary_from = group
    for group in _chunks(high, 4):
        place = _short(villages[group[0]].name)
        school = add(f"Trường PTDTBT TH&THCS {place}", "TH,THCS", BoardingType.PTDTBT, True)
        school.primary_from = school.secondary_from = group
    return CommunePlan(code, name, students, villages, schools)


def _province_communes() -> list[tuple[str, str]]:
    """(code, name) of the communes and wards of Tỉnh Lào Cai (2025 list), by code."""
    from vietnam_provinces import Ward

    wards = [w for w in Ward.iter_all() if int(w.province_code) == int(PROVINCE_CODE)]
    return sorted((f"{int(w.code):05d}", vntext.clean(w.name)) for w in wards)


def plan_communes(seed: int, students: int) -> list[tuple[CommunePlan, random.Random]]:
    """The communes to build, the demo commune first, each with its own random stream."""

    def rng_for(code: str) -> random.Random:
        return random.Random(f"dentruong-demo:{seed}:{code}")

    if students <= COMMUNE_MODE_MAX:
        small = max(10, min(60, students // 100))
        out = []
        for (code, name), n, full in (
            (DEMO_COMMUNE, students - small, students <= FULL_SHAPE_MAX),
            (OUTSIDER_COMMUNE, small, False),
        ):
            rng = rng_for(code)
            out.append((plan_commune(code, name, n, rng, full=full), rng))
        return out
    communes = _province_communes()
    communes.sort(key=lambda c: c[0] != DEMO_COMMUNE[0])
    weight_rng = random.Random(f"dentruong-demo:{seed}:weights")
    weights = [
        weight_rng.uniform(0.6, 1.4) * (1.3 if name.startswith("Phường") else 1.0)
        for _, name in communes
    ]
    plans = []
    for (code, name), n in zip(communes, _split(students, weights), strict=True):
        rng = rng_for(code)
        plans.append((plan_commune(code, name, n, rng), rng))
    return plans


# --- People: generated per commune as plain rows ---------------------------------------


class NameCache:
    """Derived name columns and search tokens, computed once per distinct name."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], tuple[str, str, str, str, tuple[str, ...]]] = {}

    def get(self, family: str, given: str) -> tuple[str, str, str, str, tuple[str, ...]]:
        key = (family, given)
        hit = self._cache.get(key)
        if hit is None:
            d = derived_name_fields(family, given)
            probe = Student(search_name=d["search_name"])
            tokens = tuple(t.token for t in name_tokens(probe))
            hit = (
                d["family_and_middle_name"],
                d["given_name"],
                d["sort_key"],
                d["search_name"],
                tokens,
            )
            self._cache[key] = hit
        return hit


class NationalIds:
    """Unique, structurally valid ids: one scrambled serial sequence per (year, gender)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.count: dict[tuple[int, str], int] = defaultdict(int)

    def next(self, birth_year: int, gender: str) -> str:
        key = (birth_year, gender)
        self.count[key] += 1
        n = self.count[key]
        if n >= 1_000_000:
            raise RuntimeError("more than a million ids for one birth year and gender")
        offset = self.seed * 104_729 + birth_year * 7_919 + (0 if gender == "M" else 500_000)
        serial = (n * 7_919 + offset) % 1_000_000  # 7919 is prime to 10**6: a bijection
        return make_national_id(
            province=ID_PROVINCE, birth_year=birth_year, gender=gender, serial=serial
        )


@dataclass
class Child:
    birth_year: int
    kind: str  # student, not_yet, out
    grade: int = 0


@dataclass
class Rows:
    households: list[tuple[Any, ...]] = field(default_factory=list)
    guardians: list[tuple[Any, ...]] = field(default_factory=list)
    students: list[tuple[Any, ...]] = field(default_factory=list)
    facts: list[tuple[Any, ...]] = field(default_factory=list)
    tokens: list[tuple[Any, ...]] = field(default_factory=list)
    residents: list[tuple[Any, ...]] = field(default_factory=list)
    # per student row: (student id, school plan index, grade)
    placement: list[tuple[int, int, int]] = field(default_factory=list)


# The column orders below match the row tuples built in `PeopleGenerator.commune`.
STUDENT_FIELDS = (
    "id",
    "family_and_middle_name",
    "given_name",
    "birth_date",
    "gender",
    "ethnicity",
    "village",
    "household",
    "sort_key",
    "search_name",
    "national_id",
    "school",
    "boarding",
    "distance_km",
    "created_at",
    "updated_at",
)
HOUSEHOLD_FIELDS = ("id", "village", "head_name", "address")
GUARDIAN_FIELDS = ("household", "full_name", "relationship", "phone")
FACT_FIELDS = SENSITIVE_FACT_FIELDS  # rows from people.services.sensitive_fact_row
TOKEN_FIELDS = ("student", "token")
ENROLLMENT_FIELDS = ("student", "school_class", "start_date", "end_date")
EVENT_FIELDS = (
    "student",
    "kind",
    "date",
    "school_class",
    "reason",
    "recorded_by",
    "recorded_at",
)
RESIDENT_FIELDS = (
    "family_and_middle_name",
    "given_name",
    "birth_date",
    "gender",
    "ethnicity",
    "village",
    "household",
    "sort_key",
    "search_name",
    "commune",
    "birth_year",
    "national_id",
    "survey_year",
    "schooling",
    "student",
    "notes",
)


class PeopleGenerator:
    """Households, guardians, pupils and census entries of one commune."""

    def __init__(
        self,
        *,
        rng: random.Random,
        names: NameCache,
        ids: NationalIds,
        next_household: int,
        next_student: int,
        stamp: Any,
    ) -> None:
        self.rng = rng
        self.names = names
        self.ids = ids
        self.next_household = next_household
        self.next_student = next_student
        self.stamp = stamp
        self._dates: dict[tuple[int, int], dt.date] = {}

    def _birth_date(self, year: int) -> dt.date:
        day = self.rng.randrange(365)
        key = (year, day)
        found = self._dates.get(key)
        if found is None:
            found = self._dates[key] = dt.date(year, 1, 1) + dt.timedelta(days=day)
        return found

    def _phone(self) -> str:
        rng = self.rng
        return f"+84{rng.choice(PHONE_PREFIXES)}{rng.randrange(10_000_000):07d}"

    def _children(self, plan: CommunePlan, village: VillagePlan) -> list[Child]:
        rng = self.rng
        profile = ZONES[village.zone]
        grades = sorted({g for s in plan.schools for g in s.grades})
        weights = [GRADE_WEIGHTS[g] for g in grades]
        out: list[Child] = []
        for grade in rng.choices(grades, weights, k=village.quota):
            late = 0
            if rng.random() < profile.over_age:
                late = 1 if rng.random() < 0.7 else 2
            out.append(Child(SURVEY_YEAR - (grade + 5 + late), "student", grade))
        for _ in range(round(village.quota * profile.under_six)):
            out.append(Child(SURVEY_YEAR - rng.randint(1, 5), "not_yet"))
        n_out = round(village.quota * profile.out_of_school)
        for _ in range(n_out):
            age = rng.choice((6, 7, 8, 9, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15, 16))
            out.append(Child(SURVEY_YEAR - age, "out"))
        return out

    def _households(self, children: list[Child], kids: Sequence[int]) -> list[list[Child]]:
        """Group children into families, siblings born in different years where possible."""
        rng = self.rng
        by_year: dict[int, list[Child]] = defaultdict(list)
        for child in children:
            by_year[child.birth_year].append(child)
        for bucket in by_year.values():
            rng.shuffle(bucket)
        years = sorted(by_year)
        families: list[list[Child]] = []
        remaining = len(children)
        while remaining:
            live = [y for y in years if by_year[y]]
            size = min(rng.choice(kids), remaining)
            if size <= len(live):
                picked = rng.sample(live, size)
            else:
                picked = [rng.choice(live) for _ in range(size)]
            family = []
            for y in picked:
                if by_year[y]:
                    family.append(by_year[y].pop())
            remaining -= len(family)
            families.append(family)
        return families

    def _guardians(
        self, pool: N.NamePool, surname: str, pools: list[N.NamePool], weights: list[int]
    ) -> list[tuple[str, str, str]]:
        """(full name, relationship, phone) of a household's guardians, head first."""
        rng = self.rng
        members: list[tuple[str, str, str]] = []
        has_father = rng.random() < 0.88
        has_mother = rng.random() < 0.93
        if has_father:
            phone = self._phone() if rng.random() < 0.85 else ""
            members.append((pool.full_name(rng, "M", surname), "father", phone))
        if has_mother:
            # Mothers often come from another group in mixed villages.
            mpool = pool if rng.random() < 0.85 else rng.choices(pools, weights)[0]
            mfam = mpool.family(rng)
            if mfam == surname and len(mpool.families) > 1:
                mfam = mpool.family(rng)
            phone = self._phone() if rng.random() < 0.7 else ""
            members.append((mpool.full_name(rng, "F", mfam), "mother", phone))
        if not members or rng.random() < 0.12:
            gender = rng.choice("MF")
            fam = surname if gender == "M" else pool.family(rng)
            phone = self._phone() if rng.random() < 0.3 else ""
            members.append((pool.full_name(rng, gender, fam), "grandparent", phone))
        return members

    def _not_in_school(self, child: Child, gender: str) -> tuple[str, str, str | None]:
        """(schooling, family situation, national id) of a census entry without a pupil."""
        rng = self.rng
        nid: str | None = self.ids.next(child.birth_year, gender)
        if child.kind == "not_yet":
            return SchoolingStatus.NOT_YET.value, "", nid
        r = rng.random()
        if SURVEY_YEAR - child.birth_year <= 7:
            status = SchoolingStatus.NEVER_ENROLLED if r < 0.6 else SchoolingStatus.MOVED_AWAY
        elif r < 0.6:
            status = SchoolingStatus.DROPPED_OUT
        elif r < 0.85:
            status = SchoolingStatus.MOVED_AWAY
        else:
            status = SchoolingStatus.NEVER_ENROLLED
        notes = rng.choice(N.OUT_OF_SCHOOL_NOTES[status])
        if status == SchoolingStatus.NEVER_ENROLLED and rng.random() < 0.3:
            nid = None  # no papers yet
        return status.value, notes, nid

    def commune(
        self,
        plan: CommunePlan,
        *,
        commune_id: int,
        village_ids: list[int],
        school_ids: list[int],
    ) -> Rows:
        """Rows for every household of the commune, village by village."""
        rng = self.rng
        rows = Rows()
        school_of: dict[tuple[int, bool], int] = {}  # (village, secondary?) → school index
        for s_index, school in enumerate(plan.schools):
            for v in school.primary_from:
                school_of[(v, False)] = s_index
            for v in school.secondary_from:
                school_of[(v, True)] = s_index
        ethnic = {
            zone: ([N.POOLS[g] for g, _ in mix], [w for _, w in mix])
            for zone, mix in N.VILLAGE_MIX.items()
        }
        for v_index, village in enumerate(plan.villages):
            profile = ZONES[village.zone]
            pools, weights = ethnic[village.zone]
            village_id = village_ids[v_index]
            address = f"{village.name}, {plan.name}, {PROVINCE_NAME}"
            for family in self._households(self._children(plan, village), profile.kids):
                pool = rng.choices(pools, weights)[0]
                surname = pool.family(rng)
                household_id = self.next_household
                self.next_household += 1
                members = self._guardians(pool, surname, pools, weights)
                rows.households.append((household_id, village_id, members[0][0], address))
                rows.guardians += [(household_id, *member) for member in members]
                r = rng.random()
                if r < profile.poor:
                    poverty = "poor"
                elif r < profile.poor + profile.near_poor:
                    poverty = "near_poor"
                else:
                    poverty = "none"
                given_names: set[str] = set()
                for child in sorted(family, key=lambda c: c.birth_year):
                    gender = "M" if rng.random() < 0.515 else "F"
                    family_middle = f"{surname} {pool.middle(rng, gender)}"
                    given = pool.given(rng, gender)
                    for _ in range(4):  # siblings get different names
                        if given not in given_names:
                            break
                        given = pool.given(rng, gender)
                    given_names.add(given)
                    fam, giv, sort_key, search, tokens = self.names.get(family_middle, given)
                    birth = self._birth_date(child.birth_year)
                    person = (fam, giv, birth, gender, pool.code, village_id, household_id)
                    census = (*person, sort_key, search, commune_id, child.birth_year)
                    if child.kind != "student":
                        status, notes, other_nid = self._not_in_school(child, gender)
                        rows.residents.append(
                            (*census, other_nid, SURVEY_YEAR, status, None, notes)
                        )
                        continue
                    sid = self.next_student
                    self.next_student += 1
                    nid = self.ids.next(child.birth_year, gender)
                    s_index = school_of[(v_index, child.grade > 5)]
                    lo, hi = profile.distance
                    distance = round(rng.uniform(lo, hi), 1)
                    boarding = (
                        plan.schools[s_index].boarding == BoardingType.PTDTBT
                        and distance >= 4.0
                        and rng.random() < 0.85
                    )
                    km, stamp = f"{distance:.1f}", self.stamp
                    rows.students.append(
                        (sid, *person, sort_key, search, nid, school_ids[s_index], boarding, km)
                        + (stamp, stamp)
                    )
                    rows.placement.append((sid, s_index, child.grade))
                    disability = rng.choice(N.DISABILITIES) if rng.random() < 0.012 else ""
                    health = rng.choice(N.HEALTH_NOTES) if rng.random() < 0.02 else ""
                    rows.facts.append(
                        sensitive_fact_row(
                            student_id=sid,
                            poverty=poverty,
                            disability=disability,
                            health_notes=health,
                        )
                    )
                    rows.tokens += [(sid, t) for t in tokens]
                    rows.residents.append(
                        (*census, nid, SURVEY_YEAR, SchoolingStatus.IN_SCHOOL.value, sid, "")
                    )
        return rows


# --- Writing --------------------------------------------------------------------------


class RowWriter:
    """Plain-row inserts (dentruong/bulk.py) that count what they wrote."""

    def __init__(self) -> None:
        self.rows = 0

    def write(
        self, model: type[Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        self.rows += insert_rows(model, fields, rows)


def _max_id(model: type[Model]) -> int:
    return int(model._default_manager.aggregate(m=Max("pk"))["m"] or 0)


def _reset_sequences(models: list[type[Model]]) -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


# --- Units --------------------------------------------------------------------------


def _province() -> OrgUnit:
    """Tỉnh Lào Cai as `load_units` makes it, made here if it is not loaded yet."""
    found = OrgUnit.objects.filter(
        code_set=CodeSet.GSO_2025, kind=UnitKind.PROVINCE, code=PROVINCE_CODE
    ).first()
    if found is not None:
        return found
    return OrgUnit.objects.create(
        kind=UnitKind.PROVINCE,
        code=PROVINCE_CODE,
        code_set=CodeSet.GSO_2025,
        name=PROVINCE_NAME,
        parent=None,
        path=f"{PROVINCE_CODE}/",
        depth=0,
    )


def _communes(province: OrgUnit, wanted: list[tuple[str, str]]) -> dict[str, OrgUnit]:
    """Get or create communes by their official 2025 code (the `load_units` convention)."""
    codes = [c for c, _ in wanted]
    found = {
        u.code: u
        for u in OrgUnit.objects.filter(
            code_set=CodeSet.GSO_2025, kind=UnitKind.COMMUNE, code__in=codes
        )
    }
    missing = [
        OrgUnit.child_of(
            province, kind=UnitKind.COMMUNE, code=code, code_set=CodeSet.GSO_2025, name=name
        )
        for code, name in wanted
        if code not in found
    ]
    for unit in OrgUnit.objects.bulk_create(missing):
        found[unit.code] = unit
    return found


def _calendar(province: OrgUnit) -> SchoolYear:
    year, _ = SchoolYear.objects.get_or_create(start_year=SCHOOL_YEAR)
    calendar, created = YearCalendar.objects.get_or_create(
        school_year=year,
        unit=province,
        defaults={
            "term1_start": dt.date(2026, 9, 5),
            "term1_end": dt.date(2027, 1, 16),
            "term2_start": dt.date(2027, 1, 18),
            "term2_end": dt.date(2027, 5, 29),
        },
    )
    if created:
        breaks = [
            (BreakKind.HOLIDAY, "Tết Dương lịch", dt.date(2027, 1, 1), dt.date(2027, 1, 1)),
            # Mùng 1 Tết Đinh Mùi is Saturday 6 Feb 2027; Lào Cai gives two weeks.
            (BreakKind.TET, "Tết Nguyên đán Đinh Mùi", dt.date(2027, 2, 1), dt.date(2027, 2, 14)),
            # 10/3 âm lịch.
            (BreakKind.HOLIDAY, "Giỗ Tổ Hùng Vương", dt.date(2027, 4, 16), dt.date(2027, 4, 16)),
            (
                BreakKind.HOLIDAY,
                "Ngày Giải phóng miền Nam và Quốc tế Lao động",
                dt.date(2027, 4, 30),
                dt.date(2027, 5, 1),
            ),
        ]
        CalendarBreak.objects.bulk_create(
            CalendarBreak(calendar=calendar, kind=k, name=n, start=s, end=e)
            for k, n, s, e in breaks
        )
    return year


# --- Logins -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _DemoUser:
    key: str
    username: str
    password: str
    role: str
    full_name: str


DEMO_USERS = (
    _DemoUser(
        "province",
        "so.laocai",
        "SoGD-LaoCai-2026!",
        Role.PROVINCE_OFFICER,
        "Nguyễn Thị Hồng Phương",
    ),
    _DemoUser("commune", "xa.batxat", "UBND-BatXat-2026!", Role.COMMUNE_OFFICER, "Hoàng Văn Cường"),
    _DemoUser("leader", "bgh.thbatxat", "HieuTruong-BatXat-26", Role.SCHOOL_LEADER, "Phạm Thị Lan"),
    # The homeroom teacher's username is that of class 3A's teacher (gv.<school>.3a).
    _DemoUser("teacher", "", "GVCN-Lop3A-2026!", Role.HOMEROOM_TEACHER, "Vàng Thị Tâm"),
    _DemoUser("partner", "doan.batxat", "TiepSuc-DenTruong-26", Role.PARTNER, "Lý Văn Đoàn"),
    _DemoUser("admin", "quantri", "QuanTri-DenTruong-26", Role.ADMIN, "Trần Minh Quản"),
    _DemoUser("outsider", "xa.yty", "UBND-YTy-2026!", Role.COMMUNE_OFFICER, "Giàng A Sử"),
)
# The demo officers' authenticator key (add it to an authenticator app, or print the
# current code with `manage.py demo_code <username>`). Demo data only.
DEMO_TOTP_SECRET = "IRSW4VDSOVXW4ZZNMRSW23ZNGIYDENRB"
PARTNER_CAMPAIGN = "Tiếp sức đến trường 2026–2027"
PARTNER_UNTIL = dt.date(2027, 6, 30)


def teacher_username(school_code: str, class_name: str) -> str:
    return f"gv.{school_code}.{class_name.lower()}"


def demo_email(username: str) -> str:
    return f"{username}@{DEMO_EMAIL_DOMAIN}"


def _unusable_password(rng: random.Random) -> str:
    """Django's unusable-password form ('!' + random), drawn from the seeded stream."""
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "!" + "".join(rng.choices(alphabet, k=40))


def _retire_or_delete(users: QuerySet[User]) -> None:
    """Delete the demo users, except those the audit log names: it cannot lose who did
    what (docs/decisions/0010). Those are retired instead: renamed, deactivated, no
    password, no longer demo users, so that a new demo can take their usernames."""
    from dentruong.audit.models import AuditEvent

    named = set(AuditEvent.objects.filter(user__in=users).values_list("user_id", flat=True))
    for user in users.filter(pk__in=named):
        user.username = f"{user.username[:120]}~retired-{user.pk}"
        user.email = ""
        user.is_active = False
        user.set_unusable_password()
        user.save(update_fields=["username", "email", "is_active", "password"])
    users.exclude(pk__in=named).delete()


def demo_logins() -> list[DemoLogin]:
    """The printed logins table, read back from the database (empty if not loaded)."""
    out: list[DemoLogin] = []
    by_name = {
        u.username: u
        for u in User.objects.filter(email__endswith=f"@{DEMO_EMAIL_DOMAIN}", is_active=True)
        .exclude(password__startswith="!")
        .prefetch_related("memberships__unit", "memberships__school_class")
    }
    teacher = next((u for u in by_name.values() if u.username.startswith("gv.")), None)
    for spec in DEMO_USERS:
        user = teacher if spec.key == "teacher" else by_name.get(spec.username)
        if user is None:
            continue
        memberships = list(user.memberships.all())
        scope = "—"
        if memberships:
            m = memberships[0]
            if m.role == Role.ADMIN:
                scope = "toàn hệ thống (all)"
            elif m.school_class is not None:
                scope = f"lớp {m.school_class.name}, {m.unit.name if m.unit else ''}"
            elif m.unit is not None:
                scope = f"{m.unit.name} ({m.unit.path})"
                if m.role == Role.PARTNER:
                    scope += f", {m.campaign}, đến {m.expires_on:%d/%m/%Y}"
        out.append(DemoLogin(user.username, spec.password, spec.role, scope, user.full_name))
    return out


# --- Delete -----------------------------------------------------------------------------


def _delete_rows(qs: QuerySet[Any]) -> int:
    """DELETE … WHERE pk IN (subquery): no objects loaded, no cascade collection.
    The caller deletes dependants first."""
    model = qs.model
    sql, params = qs.values("pk").query.sql_with_params()
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    pk = qn(model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {pk} IN ({sql})", params)
        return int(cursor.rowcount or 0)


class RefuseFresh(Exception):
    """--fresh would delete data that the demo did not create."""


def delete_demo(stdout: Output) -> None:
    """Delete what `build_demo` created in Tỉnh Lào Cai: villages, schools, classes,
    households, students and everything hanging off them, resident children, the
    province's 2026 calendar, and the demo users (e-mail @demo.dentruong.invalid).
    The province and communes stay (they are `load_units`' too).

    Refuses (RefuseFresh) when a user who is not a demo user has a membership in the
    province: then the data is someone's real work, not a demo.
    """
    province = OrgUnit.objects.filter(
        code_set=CodeSet.GSO_2025, kind=UnitKind.PROVINCE, code=PROVINCE_CODE
    ).first()
    if province is None:
        return
    prefix = province.path
    demo_users = User.objects.filter(email__endswith=f"@{DEMO_EMAIL_DOMAIN}")
    foreign = (
        Membership.objects.filter(unit__path__startswith=prefix)
        .exclude(user__email__endswith=f"@{DEMO_EMAIL_DOMAIN}")
        .select_related("user")
        .first()
    )
    if foreign is not None:
        raise RefuseFresh(
            f"user {foreign.user.username!r} (not a demo user) works in {province.name}; "
            "refusing to delete"
        )
    started = time.perf_counter()
    in_village = {"student__village__path__startswith": prefix}
    with transaction.atomic():
        _delete_rows(Membership.objects.filter(user__in=demo_users))
        _delete_history(prefix)
        _delete_rows(NameToken.objects.filter(**in_village))
        _delete_rows(EnrollmentEvent.objects.filter(**in_village))
        _delete_rows(
            EnrollmentEvent.objects.filter(school_class__school__unit__path__startswith=prefix)
        )
        _delete_rows(Enrollment.objects.filter(**in_village))
        _delete_rows(Enrollment.objects.filter(school_class__school__unit__path__startswith=prefix))
        _delete_rows(SensitiveFacts.objects.filter(**in_village))
        _delete_rows(ResidentChild.objects.filter(commune__path__startswith=prefix))
        _delete_rows(ResidentChild.objects.filter(village__path__startswith=prefix))
        n_students = _delete_rows(Student.objects.filter(village__path__startswith=prefix))
        _delete_rows(Guardian.objects.filter(household__village__path__startswith=prefix))
        _delete_rows(Household.objects.filter(village__path__startswith=prefix))
        _delete_rows(SchoolClass.objects.filter(school__unit__path__startswith=prefix))
        _retire_or_delete(demo_users)
        _delete_rows(School.objects.filter(unit__path__startswith=prefix))
        _delete_rows(
            OrgUnit.objects.filter(
                path__startswith=prefix, kind__in=[UnitKind.SCHOOL, UnitKind.VILLAGE]
            )
        )
        YearCalendar.objects.filter(unit=province, school_year__start_year=SCHOOL_YEAR).delete()
    stdout.write(
        f"Deleted the previous demo ({n_students} students) in "
        f"{time.perf_counter() - started:.1f} s.\n"
    )


def _delete_history(prefix: str) -> None:
    """What happened in the demo's school year: outreach, risk, notices, transfers, roll
    calls."""
    from dentruong.attendance.models import RollCallRevision
    from dentruong.enrollment.models import Transfer
    from dentruong.notices.models import Notice, NoticeConsent
    from dentruong.outreach.models import Case, MentorPair, SupportProgramme, VillageMeeting
    from dentruong.risk.models import RiskAssessment, TeacherFlag

    in_classes = {"school_class__school__unit__path__startswith": prefix}
    # Outreach: few rows in a demo; the ORM deletes their steps, visits and deliveries.
    for model in (Case, SupportProgramme, VillageMeeting):
        model.objects.filter(commune__path__startswith=prefix).delete()
    MentorPair.objects.filter(student__village__path__startswith=prefix).delete()
    _delete_rows(RiskAssessment.objects.filter(student__village__path__startswith=prefix))
    _delete_rows(TeacherFlag.objects.filter(student__village__path__startswith=prefix))
    Notice.objects.filter(
        Q(student__village__path__startswith=prefix) | Q(**in_classes)
    ).delete()  # few rows; their attempts cascade
    NoticeConsent.objects.filter(guardian__household__village__path__startswith=prefix).delete()
    _delete_rows(Transfer.objects.filter(student__village__path__startswith=prefix))
    _delete_rows(
        Absence.objects.filter(roll_call__school_class__school__unit__path__startswith=prefix)
    )
    _delete_rows(ClassDaySummary.objects.filter(school__unit__path__startswith=prefix))
    _delete_rows(AbsenceTally.objects.filter(school_class__school__unit__path__startswith=prefix))
    _delete_rows(
        RollCallRevision.objects.filter(
            roll_call__school_class__school__unit__path__startswith=prefix
        )
    )
    _delete_rows(RollCall.objects.filter(**in_classes))


# --- Foreign keys on PostgreSQL -------------------------------------------------------


@contextmanager
def _deferred_link_checks() -> Iterator[bool]:
    """On PostgreSQL, when allowed (superuser), skip the per-row foreign-key triggers for
    the bulk load and check every link once afterwards with `_check_links` instead.

    Each inserted row otherwise queues one trigger per foreign key, run at commit as a
    `SELECT … FOR KEY SHARE` on the parent: ~20 per pupil, about as much time as the
    COPY itself. `session_replication_role = replica` is the standard switch for this
    (logical replication applies rows the same way). Elsewhere this does nothing.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield False
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('is_superuser') = 'on'")
        row = cursor.fetchone()
        allowed = bool(row and row[0])
        if not allowed:
            yield False
            return
        cursor.execute("SET session_replication_role = replica")
    try:
        yield True
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET session_replication_role")


# (child model, foreign-key field): the links the bulk rows carry.
_LINKS: tuple[tuple[type[Model], str], ...] = (
    (Household, "village"),
    (Guardian, "household"),
    (Student, "village"),
    (Student, "household"),
    (Student, "school"),
    (SensitiveFacts, "student"),
    (NameToken, "student"),
    (Enrollment, "student"),
    (Enrollment, "school_class"),
    (EnrollmentEvent, "student"),
    (EnrollmentEvent, "school_class"),
    (ResidentChild, "commune"),
    (ResidentChild, "village"),
    (ResidentChild, "household"),
    (ResidentChild, "student"),
)


class BrokenLinks(RuntimeError):
    """Rows written with the foreign-key triggers off point at rows that do not exist."""


def _check_links(*, first_household: int, first_student: int) -> None:
    """Every link of the rows just written points at an existing row (one anti-join per
    foreign key, limited to the new rows where the table's own ids tell which they are)."""
    qn = connection.ops.quote_name
    problems = []
    with connection.cursor() as cursor:
        for model, name in _LINKS:
            fk = model._meta.get_field(name)
            assert isinstance(fk, ForeignKey) and fk.related_model is not None
            parent = cast(type[Model], fk.related_model)._meta
            table, column = qn(model._meta.db_table), qn(fk.column)
            where = ""
            if model is Student:
                where = f"AND c.{qn('id')} >= {int(first_student)}"
            elif model is Household:
                where = f"AND c.{qn('id')} >= {int(first_household)}"
            elif model is Guardian:
                where = f"AND c.{column} >= {int(first_household)}"
            elif name == "student":
                where = f"AND c.{column} >= {int(first_student)}"
            cursor.execute(
                f"SELECT count(*) FROM {table} c WHERE c.{column} IS NOT NULL {where} "
                f"AND NOT EXISTS (SELECT 1 FROM {qn(parent.db_table)} p "
                f"WHERE p.{qn(parent.pk.column)} = c.{column})"
            )
            row = cursor.fetchone()
            if row and row[0]:
                problems.append(f"{model._meta.label}.{name}: {row[0]}")
    if problems:
        raise BrokenLinks("; ".join(problems))


# --- Build -----------------------------------------------------------------------------


@dataclass
class _Totals:
    villages: int = 0
    schools: int = 0
    classes: int = 0
    households: int = 0
    guardians: int = 0
    residents: int = 0
    users: int = 0


def _build_commune(
    plan: CommunePlan,
    rng: random.Random,
    *,
    commune: OrgUnit,
    year: SchoolYear,
    people: PeopleGenerator,
    writer: RowWriter,
    totals: _Totals,
    stamp: dt.datetime,
    row_stamp: Any,
) -> None:
    # Villages and schools: nodes of the tree.
    units = [
        OrgUnit.child_of(
            commune, kind=UnitKind.VILLAGE, code=v.code, code_set=CodeSet.LOCAL, name=v.name
        )
        for v in plan.villages
    ] + [
        OrgUnit.child_of(
            commune, kind=UnitKind.SCHOOL, code=s.code, code_set=CodeSet.MOET, name=s.name
        )
        for s in plan.schools
    ]
    OrgUnit.objects.bulk_create(units)
    village_units = units[: len(plan.villages)]
    school_units = units[len(plan.villages) :]
    schools = School.objects.bulk_create(
        School(unit=u, commune=commune, name=s.name, levels=s.levels, boarding_type=s.boarding)
        for u, s in zip(school_units, plan.schools, strict=True)
    )
    rows = people.commune(
        plan,
        commune_id=commune.pk,
        village_ids=[u.pk for u in village_units],
        school_ids=[s.pk for s in schools],
    )

    # Classes of 20–35 (fewer where a grade is small), one teacher account each.
    by_grade: dict[tuple[int, int], list[int]] = defaultdict(list)
    for sid, s_index, grade in rows.placement:
        by_grade[(s_index, grade)].append(sid)
    class_specs: list[tuple[int, int, str, list[int]]] = []  # school, grade, name, students
    for s_index, splan in enumerate(plan.schools):
        for grade in splan.grades:
            pupils = by_grade.get((s_index, grade), [])
            rng.shuffle(pupils)
            n = max(1, math.ceil(len(pupils) / CLASS_MAX))
            sizes = _split(len(pupils), [1.0] * n)
            at = 0
            for k, size in enumerate(sizes):
                letter = CLASS_LETTERS[k] if k < len(CLASS_LETTERS) else f"A{k + 1}"
                class_specs.append((s_index, grade, f"{grade}{letter}", pupils[at : at + size]))
                at += size
    teacher_pools = [N.POOLS[g] for g in ("Kinh", "Kinh", "Kinh", "Tày", "Giáy", "Dao", "Mông")]
    teachers = []
    for s_index, _grade, name, _pupils in class_specs:
        pool = rng.choice(teacher_pools)
        username = teacher_username(plan.schools[s_index].code, name)
        teachers.append(
            User(
                username=username,
                email=demo_email(username),
                password=_unusable_password(rng),
                full_name=pool.full_name(rng, "F" if rng.random() < 0.7 else "M"),
                date_joined=stamp,
            )
        )
    User.objects.bulk_create(teachers, batch_size=BATCH)
    classes = SchoolClass.objects.bulk_create(
        [
            SchoolClass(
                school=schools[s_index],
                school_year=year,
                grade=grade,
                name=name,
                homeroom_teacher=teacher,
                has_morning=True,
                has_afternoon=plan.schools[s_index].full_day and grade <= 5,
            )
            for (s_index, grade, name, _), teacher in zip(class_specs, teachers, strict=True)
        ],
        batch_size=BATCH,
    )
    Membership.objects.bulk_create(
        [
            Membership(
                user=teacher,
                role=Role.HOMEROOM_TEACHER,
                unit=school_units[s_index],
                school_class=cls,
            )
            for (s_index, _, _, _), teacher, cls in zip(class_specs, teachers, classes, strict=True)
        ],
        batch_size=BATCH,
    )

    enrollments: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    enrolled = EventKind.ENROLLED.value
    for (_, _, _, pupils), cls in zip(class_specs, classes, strict=True):
        class_id = cls.pk
        for sid in pupils:
            enrollments.append((sid, class_id, START, None))
            events.append((sid, enrolled, START, class_id, "", None, row_stamp))

    writer.write(Household, HOUSEHOLD_FIELDS, rows.households)
    writer.write(Guardian, GUARDIAN_FIELDS, rows.guardians)
    writer.write(Student, STUDENT_FIELDS, rows.students)
    writer.write(SensitiveFacts, FACT_FIELDS, rows.facts)
    writer.write(NameToken, TOKEN_FIELDS, rows.tokens)
    writer.write(Enrollment, ENROLLMENT_FIELDS, enrollments)
    writer.write(EnrollmentEvent, EVENT_FIELDS, events)
    writer.write(ResidentChild, RESIDENT_FIELDS, rows.residents)

    totals.villages += len(village_units)
    totals.schools += len(schools)
    totals.classes += len(classes)
    totals.households += len(rows.households)
    totals.guardians += len(rows.guardians)
    totals.residents += len(rows.residents)
    totals.users += len(teachers)


def _demo_users(*, province: OrgUnit, communes: dict[str, OrgUnit], stamp: Any) -> int:
    """The seven logins with known passwords, one per role (teacher: class 3A)."""
    commune = communes[DEMO_COMMUNE[0]]
    school = School.objects.filter(commune=commune).order_by("unit__code").first()
    assert school is not None
    school_class = SchoolClass.objects.get(
        school=school, school_year__start_year=SCHOOL_YEAR, name="3A"
    )
    made = 0
    for spec in DEMO_USERS:
        if spec.key == "teacher":
            user = school_class.homeroom_teacher
            assert user is not None
            user.password = make_password(spec.password)
            user.full_name = spec.full_name
            user.save(update_fields=["password", "full_name"])
            continue
        user = User(
            username=spec.username,
            email=demo_email(spec.username),
            full_name=spec.full_name,
            password=make_password(spec.password),
            date_joined=stamp,
            is_staff=spec.role == Role.ADMIN,
            is_superuser=spec.role == Role.ADMIN,
        )
        user.save()
        made += 1
        unit = {
            "province": province,
            "commune": commune,
            "leader": school.unit,
            "partner": commune,
            "admin": None,
            "outsider": communes[OUTSIDER_COMMUNE[0]],
        }[spec.key]
        extra: dict[str, Any] = {}
        if spec.role == Role.PARTNER:
            extra = {
                "campaign": PARTNER_CAMPAIGN,
                "partner_fields": "village,class",
                "expires_on": PARTNER_UNTIL,
            }
        Membership.objects.create(user=user, role=spec.role, unit=unit, **extra)
        if spec.role in TWO_FACTOR_ROLES:  # officers log in with a code (decision 0011)
            TOTPDevice.objects.create(
                user=user, secret=DEMO_TOTP_SECRET, confirmed_at=stamp, last_step=0
            )
    return made


def demo_loaded() -> int:
    """Number of schools in the demo commune (0 when the demo is not loaded)."""
    return School.objects.filter(
        commune__code_set=CodeSet.GSO_2025,
        commune__kind=UnitKind.COMMUNE,
        commune__code=DEMO_COMMUNE[0],
    ).count()


def build_demo(
    *, seed: int, students: int, stdout: Output, fresh: bool = False, history: bool = True
) -> DemoResult:
    """Build the demo (see the module docstring). Idempotent: a loaded demo is left alone
    unless `fresh`, which deletes it first (refusing if it finds non-demo users).

    With `history`, the school year so far happened: every class's roll calls up to
    yesterday and a few dropouts, departures, returns and transfers (demo/history.py)."""
    if not MIN_STUDENTS <= students <= MAX_STUDENTS:
        raise ValueError(f"students must be between {MIN_STUDENTS} and {MAX_STUDENTS}")
    started = time.perf_counter()
    result = DemoResult(created=False, message="", seed=seed, students=students)
    if demo_loaded():
        if not fresh:
            if not User.objects.filter(username="quantri", email=demo_email("quantri")).exists():
                result.incomplete = True
                result.message = (
                    "An incomplete demo was found (an earlier run stopped half-way). "
                    "Run again with --fresh."
                )
            else:
                result.message = (
                    f"The demo is already loaded ({demo_loaded()} schools in {DEMO_COMMUNE[1]});"
                    " nothing to do. Use --fresh to delete it and build again."
                )
            result.logins = demo_logins()
            return result
        delete_demo(stdout)

    plans = plan_communes(seed, students)
    stamp_aware = timezone.now()
    stamp: Any = stamp_aware
    if connection.vendor != "postgresql":
        stamp = connection.ops.adapt_datetimefield_value(stamp_aware)
    with transaction.atomic():
        province = _province()
        communes = _communes(province, [(p.code, p.name) for p, _ in plans])
        year = _calendar(province)
    people = PeopleGenerator(
        rng=random.Random(f"dentruong-demo:{seed}:people"),
        names=NameCache(),
        ids=NationalIds(seed),
        next_household=_max_id(Household) + 1,
        next_student=_max_id(Student) + 1,
        stamp=stamp,
    )
    writer = RowWriter()
    totals = _Totals()
    stdout.write(
        f"Building the demo: {students:,} students in {len(plans)} communes (seed {seed}).\n"
    )
    first_household, first_student = people.next_household, people.next_student
    with _deferred_link_checks() as checks_off:
        for n, (plan, rng) in enumerate(plans, start=1):
            people.rng = rng
            with transaction.atomic():
                _build_commune(
                    plan,
                    rng,
                    commune=communes[plan.code],
                    year=year,
                    people=people,
                    writer=writer,
                    totals=totals,
                    stamp=stamp_aware,
                    row_stamp=stamp,
                )
            if len(plans) > 2 and (n % 10 == 0 or n == len(plans)):
                stdout.write(
                    f"  {n}/{len(plans)} communes, {people.next_student - 1:,} last student id, "
                    f"{time.perf_counter() - started:.0f} s\n"
                )
    if checks_off:
        _check_links(first_household=first_household, first_student=first_student)
    with transaction.atomic():
        totals.users += _demo_users(province=province, communes=communes, stamp=stamp_aware)
        _reset_sequences([Household, Student])
    if history:
        _history(seed, stdout, result)
    _analyze()

    result.created = True
    result.communes = len(plans)
    result.villages = totals.villages
    result.schools = totals.schools
    result.classes = totals.classes
    result.households = totals.households
    result.guardians = totals.guardians
    result.resident_children = totals.residents
    result.users = totals.users
    result.rows_written = writer.rows
    result.seconds = time.perf_counter() - started
    result.logins = demo_logins()
    result.message = (
        f"Demo built in {result.seconds:.1f} s: {students:,} students, {result.schools} schools, "
        f"{result.classes} classes, {result.households:,} households, "
        f"{result.resident_children:,} resident children in {result.communes} communes; "
        f"{result.rows_written:,} register rows; {result.roll_calls:,} roll calls up to "
        "yesterday."
    )
    return result


def _history(seed: int, stdout: Output, result: DemoResult) -> None:
    from dentruong.attendance.services import local_today
    from dentruong.demo.history import load_roll_calls, record_lifecycle

    today = local_today()
    stdout.write("  roll calls of the school year up to yesterday…\n")
    done = load_roll_calls(
        seed=seed,
        start=dt.date(SCHOOL_YEAR, 9, 1),
        end=today - dt.timedelta(days=1),
        stop_from=today - dt.timedelta(days=21),
    )
    result.roll_calls = done["roll_calls"]
    record_lifecycle(seed=seed, today=today)
    # What the nightly jobs would have found this morning: risk levels, outreach cases.
    from dentruong.outreach import rules as outreach_rules
    from dentruong.outreach.services import run_nightly
    from dentruong.risk.services import compute_risk

    stdout.write("  risk levels and outreach cases as the nightly jobs would…\n")
    compute_risk(path=f"{PROVINCE_CODE}/", day=today, notify=False)
    rules = replace(outreach_rules.AutoRules(), **getattr(settings, "OUTREACH_RULES", {}))
    run_nightly(today=today, cfg=rules)


def _analyze() -> None:
    """Fresh planner statistics after a bulk load (bounded work on SQLite)."""
    tables = [
        m._meta.db_table
        for m in (
            Student,
            NameToken,
            Enrollment,
            EnrollmentEvent,
            ResidentChild,
            Household,
            RollCall,
            ClassDaySummary,
            Absence,
        )
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA analysis_limit=1000")
            cursor.execute("ANALYZE")
        elif connection.vendor == "postgresql":
            for table in tables:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
