"""The official rates against hand-computed examples (vn_domain.md §1)."""

from __future__ import annotations

from dentruong.mobilization import rates


def test_percent_rounds_and_guards_zero() -> None:
    assert rates.percent(705, 706) == 99.86  # 70500 / 706 = 99.858…
    assert rates.percent(104, 104) == 100.0
    assert rates.percent(1, 3) == 33.33
    assert rates.percent(3, 0) is None


def test_age_by_birth_year() -> None:
    # §1.1: school year 2025–2026, grade 1 = born 2019, grade 6 = 2014, grade 10 = 2010.
    assert rates.on_age_grade(2025, 2019) == 1
    assert rates.on_age_grade(2025, 2014) == 6
    assert rates.on_age_grade(2025, 2010) == 10
    assert list(rates.birth_years("TH", 2026)) == [2016, 2017, 2018, 2019, 2020]
    assert list(rates.birth_years("THCS", 2026)) == [2012, 2013, 2014, 2015]
    assert list(rates.birth_years("THPT", 2026)) == [2009, 2010, 2011]


def test_indicator_formulas() -> None:
    assert rates.six_year_olds_rate(103, 104) == 99.04
    assert rates.mobilization_rate(700, 706) == 99.15
    assert rates.net_enrolment_rate(90, 100) == 90.0
    assert rates.gross_enrolment_rate(110, 100) == 110.0
    assert rates.dropout_rate(7, 350) == 2.0
    assert rates.repetition_rate(3, 120) == 2.5
    # Hiệu quả đào tạo: 39 completers of 40 in grade 1 four years before = 97.5 % (seeds/000).
    assert rates.completion_rate(39, 40) == 97.5
    # Adjusted: 40 − 3 transferred out + 1 transferred in = 38 → 39/38 would exceed 100 …
    assert rates.adjusted_intake(40, 3, 1) == 38
    assert rates.completion_rate_adjusted(37, 40, 3, 1) == 97.37  # 3700 / 38


def test_population_folds_rows_into_bands() -> None:
    # School year 2026: born 2020 = 6, 2016 = 10, 2015 = 11, 2009 = 17, 2008 = 18 (not counted).
    rows = [
        (2020, 1, False, 10),  # 6-year-olds in grade 1
        (2020, None, False, 2),  # 6-year-olds out of school
        (2020, 0, False, 1),  # still in preschool: in school, not in grade 1, not at level
        (2016, 5, False, 8),
        (2016, None, True, 1),  # moved away
        (2015, 5, False, 3),  # 11 years old in grade 5: in school, not at THCS
        (2015, 6, False, 5),
        (2009, 12, False, 4),
        (2008, None, False, 9),
    ]
    pop = rates.population(2026, rows)
    assert (pop.six_year_olds, pop.six_in_grade_1, pop.six_year_olds_rate) == (13, 10, 76.92)
    th = pop.bands["TH"]
    assert (th.population, th.enrolled, th.at_level, th.moved_away) == (22, 19, 18, 1)
    assert th.mobilization == 86.36  # 1900 / 22
    assert th.net == 81.82  # 1800 / 22
    assert th.mobilization_excluding_moved == 90.48  # 1900 / 21
    thcs = pop.bands["THCS"]
    assert (thcs.population, thcs.enrolled, thcs.at_level) == (8, 8, 5)
    assert pop.bands["THPT"].population == 4
    assert pop.by_age[18] == 9


def test_cohort_path() -> None:
    assert rates.cohort_path("TH", 2026) == [(2022, 1), (2023, 2), (2024, 3), (2025, 4), (2026, 5)]
    assert rates.cohort_path("THCS", 2026) == [(2023, 6), (2024, 7), (2025, 8), (2026, 9)]
    assert rates.cohort_path("THPT", 2026) == [(2024, 10), (2025, 11), (2026, 12)]
