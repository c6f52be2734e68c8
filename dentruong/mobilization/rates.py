"""The official indicators of mobilization and internal efficiency: pure functions, no
database. Formulas and sources: /work/shared/reference/vn_domain.md §1 (GSO indicator
metadata, Luật Giáo dục 2019 Điều 28, NĐ 20/2014). Every rate is part ÷ whole × 100,
rounded to 2 decimals, None when the whole is 0 (`percent`).

Ages are counted **by calendar year** ("tuổi tính theo năm", §1.1): in the school year
that starts in year Y a child born in year B is Y − B years old; grade 1 is entered at 6,
grade 6 at 11, grade 10 at 15. The age band of a level (§1.2): primary 6–10, lower
secondary 11–14, upper secondary 15–17.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

PRIMARY, LOWER_SECONDARY, UPPER_SECONDARY = "TH", "THCS", "THPT"
LEVELS = (PRIMARY, LOWER_SECONDARY, UPPER_SECONDARY)
# §1.2: the official age band of each level (GSO), and the grades of the level.
LEVEL_AGES: dict[str, tuple[int, int]] = {
    PRIMARY: (6, 10),
    LOWER_SECONDARY: (11, 14),
    UPPER_SECONDARY: (15, 17),
}
LEVEL_GRADES: dict[str, tuple[int, int]] = {
    PRIMARY: (1, 5),
    LOWER_SECONDARY: (6, 9),
    UPPER_SECONDARY: (10, 12),
}
# §1.5: a level's completers in year t are compared with its first grade's intake in year
# t − (number of grades − 1): grade 1 four years before, grade 6 three, grade 10 two.
COHORT_SPAN: dict[str, int] = {PRIMARY: 4, LOWER_SECONDARY: 3, UPPER_SECONDARY: 2}
SCHOOL_AGES = (LEVEL_AGES[PRIMARY][0], LEVEL_AGES[UPPER_SECONDARY][1])  # 6–17


def percent(part: int, whole: int) -> float | None:
    """part ÷ whole × 100, rounded to 2 decimals; None when whole is 0."""
    if whole <= 0:
        return None
    return round(part * 100 / whole, 2)


def age_in(school_year: int, birth_year: int) -> int:
    """Age by calendar year in the school year starting in `school_year` (§1.1)."""
    return school_year - birth_year


def on_age_grade(school_year: int, birth_year: int) -> int:
    """The grade a child of this birth year attends at the right age (6 → grade 1)."""
    return age_in(school_year, birth_year) - 5


def level_of_age(age: int) -> str | None:
    for level, (lo, hi) in LEVEL_AGES.items():
        if lo <= age <= hi:
            return level
    return None


def level_of_grade(grade: int) -> str | None:
    for level, (lo, hi) in LEVEL_GRADES.items():
        if lo <= grade <= hi:
            return level
    return None


def birth_years(level: str, school_year: int) -> range:
    """Birth years of the level's age band in a school year (2026–27, primary: 2016–2020)."""
    lo, hi = LEVEL_AGES[level]
    return range(school_year - hi, school_year - lo + 1)


# --- the indicators -------------------------------------------------------------------


def mobilization_rate(enrolled: int, population: int) -> float | None:
    """Tỷ lệ huy động trẻ trong độ tuổi ra lớp (§1.3): resident children of the level's
    age band who are in school (in any grade) ÷ resident children of that age band × 100.
    The local plans' "≥ 99,99 %" target is set on this rate; which children leave the
    denominator (moved away, severe disability) is not fixed nationally (§1.3 [U]), so
    the selector reports the components as well."""
    return percent(enrolled, population)


def six_year_olds_rate(in_grade_1: int, six_year_olds: int) -> float | None:
    """Tỷ lệ trẻ em 6 tuổi vào học lớp 1 (§1.4, NĐ 20/2014 Điều 9–11): resident children
    aged 6 (by birth year) in grade 1 ÷ all resident 6-year-olds × 100."""
    return percent(in_grade_1, six_year_olds)


def net_enrolment_rate(in_level_of_age: int, population: int) -> float | None:
    """Tỷ lệ đi học đúng tuổi cấp i (§1.3, GSO): pupils of the level's age band studying
    at that level ÷ population of the level's age band × 100."""
    return percent(in_level_of_age, population)


def gross_enrolment_rate(in_level: int, population: int) -> float | None:
    """Tỷ lệ đi học chung cấp i (§1.3, GSO): pupils studying at the level, of any age ÷
    population of the level's age band × 100 (may exceed 100)."""
    return percent(in_level, population)


def dropout_rate(dropouts: int, enrolled_at_start: int) -> float | None:
    """Tỷ lệ bỏ học (§1.6, GSO): pupils who dropped out in school year t ÷ pupils enrolled
    at the beginning of school year t × 100 (per grade or level)."""
    return percent(dropouts, enrolled_at_start)


def repetition_rate(repeaters: int, enrolled_at_start: int) -> float | None:
    """Tỷ lệ lưu ban (§1.6, GSO): pupils repeating the grade of school year t ÷ pupils
    enrolled at the beginning of school year t × 100 (per grade or level)."""
    return percent(repeaters, enrolled_at_start)


def completion_rate(completers: int, intake: int) -> float | None:
    """Hiệu quả đào tạo, raw (§1.5, GSO "tỷ lệ học sinh hoàn thành cấp học"): completers
    of the level in year t ÷ pupils of its first grade in year t − 4 (primary), t − 3
    (lower secondary), t − 2 (upper secondary) × 100."""
    return percent(completers, intake)


def adjusted_intake(intake: int, transfers_out: int, transfers_in: int) -> int:
    """The cohort's intake corrected for transfers (§1.5, school practice, [U]):
    intake − chuyển đi + chuyển đến."""
    return intake - transfers_out + transfers_in


def completion_rate_adjusted(
    completers: int, intake: int, transfers_out: int, transfers_in: int
) -> float | None:
    """Hiệu quả đào tạo, transfer-adjusted (§1.5, variant "điều chỉnh chuyển trường"):
    completers ÷ (intake − transferred out + transferred in along the cohort) × 100."""
    return percent(completers, adjusted_intake(intake, transfers_out, transfers_in))


# --- resident children by age: the population side ------------------------------------


@dataclass
class AgeBand:
    """Resident children of one level's age band and what they attend."""

    population: int = 0
    enrolled: int = 0  # in school, any grade
    at_level: int = 0  # in a grade of this level (net enrolment)
    moved_away: int = 0  # marked as moved in the register (a denominator component)

    @property
    def mobilization(self) -> float | None:
        return mobilization_rate(self.enrolled, self.population)

    @property
    def net(self) -> float | None:
        return net_enrolment_rate(self.at_level, self.population)

    @property
    def mobilization_excluding_moved(self) -> float | None:
        return mobilization_rate(self.enrolled, self.population - self.moved_away)


@dataclass
class Population:
    """Resident children of school age, by level, with the 6-year-olds apart."""

    school_year: int
    bands: dict[str, AgeBand] = field(default_factory=dict)
    six_year_olds: int = 0
    six_in_grade_1: int = 0
    by_age: Counter[int] = field(default_factory=Counter)
    enrolled_by_age: Counter[int] = field(default_factory=Counter)

    @property
    def six_year_olds_rate(self) -> float | None:
        return six_year_olds_rate(self.six_in_grade_1, self.six_year_olds)


def population(school_year: int, rows: Iterable[tuple[int, int | None, bool, int]]) -> Population:
    """Fold (birth year, grade attended or None, moved away, count) rows of the register
    into the figures of each level's age band."""
    out = Population(school_year, {level: AgeBand() for level in LEVELS})
    for birth_year, grade, moved, n in rows:
        age = age_in(school_year, birth_year)
        out.by_age[age] += n
        if grade is not None:
            out.enrolled_by_age[age] += n
        if age == 6:
            out.six_year_olds += n
            if grade == 1:
                out.six_in_grade_1 += n
        level = level_of_age(age)
        if level is None:
            continue
        band = out.bands[level]
        band.population += n
        if moved:
            band.moved_away += n
        if grade is not None:
            band.enrolled += n
            if level_of_grade(grade) == level:
                band.at_level += n
    return out


def cohort_path(level: str, school_year: int) -> list[tuple[int, int]]:
    """(school year, grade) of the cohort completing `level` in `school_year` at the right
    pace: primary completing in 2026 = grade 1 in 2022, grade 2 in 2023 … grade 5 in 2026."""
    first, last = LEVEL_GRADES[level]
    start = school_year - COHORT_SPAN[level]
    return [(start + i, grade) for i, grade in enumerate(range(first, last + 1))]
