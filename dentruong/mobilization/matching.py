"""Matching the commune's register of resident children to the student records: pure
functions, no database (the selector loads `Person` rows, the service writes).

1. **Mã định danh first**: the same 12-digit number on both sides is the same child
   (certain), unless the birth years disagree (then a person decides).
2. Otherwise **name + date of birth + village**, compared after Vietnamese folding
   (`vntext.fold`: no tone or diacritic, Đ → D, one space), each difference scored:

   | name                                              | points |
   |---------------------------------------------------|--------|
   | identical (old/new tone placement alike)          | 50     |
   | differs only in tones / diacritics / Đ–D          | 45     |
   | the same words in another order (swapped middle)  | 40     |
   | same given name and family name, middle differs   | 30     |
   | given name one letter off, the rest identical     | 30     |

   | date of birth                                     | points |
   |---------------------------------------------------|--------|
   | the same day                                      | 30     |
   | day and month swapped (03/04 ↔ 04/03)             | 22     |
   | one side has the birth year only, same year       | 18     |
   | same year, another day                            | 8      |
   | another year (found through name + village)       | 0      |

   Same village: 20 (another village of the commune: 5). Genders differ: −25.

   A pair is **certain** at ≥ `CERTAIN` (95: identical or diacritic-only name, same
   birth date, same village, same gender) when neither side has another candidate at
   ≥ `REVIEW`; from `REVIEW` (60) it goes to the review queue; below, it is dropped.
   Candidates are only looked for in blocks (same birth year and given name, same birth
   year + family name + village, same words + village), so the work grows with the
   number of children, not with its square.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from dentruong.lib import vntext

CERTAIN = 95
REVIEW = 60

NAME_EXACT, NAME_FOLDED, NAME_SWAPPED, NAME_MIDDLE, NAME_TYPO = 50, 45, 40, 30, 30
BIRTH_EXACT, BIRTH_SWAPPED, BIRTH_YEAR_ONLY, BIRTH_SAME_YEAR = 30, 22, 18, 8
VILLAGE_SAME, VILLAGE_OTHER = 20, 5
GENDER_DIFFERS = -25


@dataclass(frozen=True)
class Person:
    """One side of a pair: a resident child or a student, as loaded by the selector."""

    id: int
    family_and_middle_name: str
    given_name: str
    birth_year: int
    birth_date: dt.date | None
    gender: str
    village_id: int
    national_id: str | None = None
    commune_id: int = 0  # candidates are looked for within the commune of residence


@dataclass(frozen=True)
class Score:
    value: int
    reasons: tuple[str, ...]  # machine-readable: 'national_id', 'name_folded', …


@dataclass(frozen=True)
class Pair:
    child_id: int
    student_id: int
    score: Score


@dataclass
class MatchResult:
    certain: list[Pair] = field(default_factory=list)
    review: list[Pair] = field(default_factory=list)


@dataclass(frozen=True)
class _Key:
    """A person's name in the forms the comparisons need (computed once)."""

    full: str
    folded: str
    words: tuple[str, ...]  # folded, sorted
    given: str  # folded
    family: str  # folded first word


def _exact(text: str) -> str:
    # 'Hoà' and 'Hòa' are one name: vntext.collation_key counts a tone once, wherever it
    # sits; comparing the keys compares letters and tones, not the mark's position.
    return vntext.collation_key(text.lower())


@lru_cache(maxsize=65536)
def _fold(text: str) -> str:
    # Registers repeat the same family, middle and given names: fold each once.
    return vntext.fold(text)


def name_key(p: Person) -> _Key:
    full = f"{p.family_and_middle_name} {p.given_name}"
    family = _fold(p.family_and_middle_name)
    given = _fold(p.given_name)
    folded = f"{family} {given}".strip()
    family_words = family.split(" ") if family else []
    return _Key(
        full=full,
        folded=folded,
        words=tuple(sorted(folded.split(" "))),
        given=given,
        family=family_words[0] if family_words else "",
    )


def _one_letter_off(a: str, b: str) -> bool:
    """Levenshtein distance exactly 1 (a substitution, an insertion or a deletion)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :]
    return a[i:] == b[i + 1 :]


def name_points(a: _Key, b: _Key) -> tuple[int, str | None]:
    if a.folded == b.folded:
        if _exact(a.full) == _exact(b.full):
            return NAME_EXACT, "name_exact"
        return NAME_FOLDED, "name_folded"
    if a.words == b.words:
        return NAME_SWAPPED, "name_swapped"
    if a.given == b.given and a.family == b.family:
        return NAME_MIDDLE, "name_middle_differs"
    a_rest, b_rest = a.folded.rsplit(" ", 1)[0], b.folded.rsplit(" ", 1)[0]
    if a_rest == b_rest and _one_letter_off(a.given, b.given):
        return NAME_TYPO, "name_given_typo"
    return 0, None


def birth_points(a: Person, b: Person) -> tuple[int, str]:
    if a.birth_year != b.birth_year:
        return 0, "birth_year_differs"
    if a.birth_date is None or b.birth_date is None:
        return BIRTH_YEAR_ONLY, "birth_year_only"
    if a.birth_date == b.birth_date:
        return BIRTH_EXACT, "birth_date_exact"
    if (a.birth_date.day, a.birth_date.month) == (b.birth_date.month, b.birth_date.day):
        return BIRTH_SWAPPED, "birth_day_month_swapped"
    return BIRTH_SAME_YEAR, "birth_date_differs"


def score_pair(child: Person, student: Person, keys: tuple[_Key, _Key] | None = None) -> Score:
    """How likely a resident child and a student are the same child (0–100)."""
    if child.national_id and child.national_id == student.national_id:
        if child.birth_year == student.birth_year:
            return Score(100, ("national_id",))
        return Score(REVIEW, ("national_id", "birth_year_differs"))
    a, b = keys or (name_key(child), name_key(student))
    points, why = name_points(a, b)
    if why is None:
        return Score(0, ("name_differs",))
    reasons = [why]
    birth, birth_why = birth_points(child, student)
    reasons.append(birth_why)
    if child.village_id == student.village_id:
        village = VILLAGE_SAME
        reasons.append("village_same")
    else:
        village = VILLAGE_OTHER
        reasons.append("village_other")
    total = points + birth + village
    if child.gender and student.gender and child.gender != student.gender:
        total += GENDER_DIFFERS
        reasons.append("gender_differs")
    return Score(max(0, min(100, total)), tuple(reasons))


def _blocks(p: Person, k: _Key) -> list[tuple[object, ...]]:
    return [
        ("g", p.commune_id, p.birth_year, k.given),
        ("f", p.birth_year, k.family, p.village_id),
        ("w", k.words, p.village_id),
    ]


def match(
    children: Sequence[Person],
    students: Sequence[Person],
    exclude: set[tuple[int, int]] | frozenset[tuple[int, int]] = frozenset(),
) -> MatchResult:
    """Certain pairs and pairs to review, each child and each student in at most one
    certain pair. `children` are register entries not linked yet; `students` are the
    student records no register entry points to yet; `exclude`: (child, student) pairs
    a person already rejected, never proposed again."""
    by_id: dict[str, Person] = {s.national_id: s for s in students if s.national_id}
    keys: dict[int, _Key] = {}
    index: dict[tuple[object, ...], list[Person]] = defaultdict(list)
    for s in students:
        k = keys[s.id] = name_key(s)
        for block in _blocks(s, k):
            index[block].append(s)

    found: list[Pair] = []
    for child in children:
        twin = by_id.get(child.national_id or "")
        if twin is not None:
            found.append(Pair(child.id, twin.id, score_pair(child, twin)))
            if found[-1].score.value >= CERTAIN:
                continue
        ck = name_key(child)
        seen: set[int] = {twin.id} if twin is not None else set()
        for block in _blocks(child, ck):
            for s in index.get(block, ()):
                if s.id in seen:
                    continue
                seen.add(s.id)
                if child.national_id and s.national_id and child.national_id != s.national_id:
                    continue  # two different numbers: two different children
                score = score_pair(child, s, (ck, keys[s.id]))
                if score.value >= REVIEW:
                    found.append(Pair(child.id, s.id, score))
    return decide(p for p in found if (p.child_id, p.student_id) not in exclude)


def decide(pairs: Iterable[Pair]) -> MatchResult:
    """Split scored pairs: a pair at ≥ CERTAIN whose child and student have no other
    candidate is certain; every other pair at ≥ REVIEW goes to review."""
    pairs = [p for p in pairs if p.score.value >= REVIEW]
    per_child: dict[int, int] = defaultdict(int)
    per_student: dict[int, int] = defaultdict(int)
    for p in pairs:
        per_child[p.child_id] += 1
        per_student[p.student_id] += 1
    result = MatchResult()
    for p in pairs:
        alone = per_child[p.child_id] == 1 and per_student[p.student_id] == 1
        if p.score.value >= CERTAIN and alone:
            result.certain.append(p)
        else:
            result.review.append(p)
    return result
