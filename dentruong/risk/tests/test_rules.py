"""Indicators and rules: pure functions, hand-computed expectations (no database)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.utils import translation

from dentruong.risk.indicators import (
    FLAG_ACADEMIC,
    FLAG_EARLY_MARRIAGE,
    Mark,
    StudentFacts,
    compute,
    feature_vector,
    longest_run,
    over_age,
)
from dentruong.risk.rules import (
    HIGH,
    LOW,
    MEDIUM,
    REASON_CODES,
    Thresholds,
    evaluate,
    reason_text,
    reasons_text,
)

D = dt.date
AS_OF = D(2027, 3, 17)  # Wednesday


def weekdays_back(end: dt.date, n: int) -> tuple[dt.date, ...]:
    days: list[dt.date] = []
    day = end
    while len(days) < n:
        if day.weekday() < 5:
            days.append(day)
        day -= dt.timedelta(days=1)
    return tuple(reversed(days))


WINDOW = weekdays_back(AS_OF, 20)  # 18 Feb … 17 Mar 2027


def facts(**kw: object) -> StudentFacts:
    base: dict[str, object] = {
        "student_id": 1,
        "as_of": AS_OF,
        "grade": 3,
        "school_year": 2026,
        "window": WINDOW,
        "birth_year": 2018,
    }
    base.update(kw)
    return StudentFacts(**base)  # type: ignore[arg-type]


def test_window_is_twenty_weekdays() -> None:
    assert WINDOW[0] == D(2027, 2, 18) and WINDOW[-1] == AS_OF and len(WINDOW) == 20


def test_over_age() -> None:
    # Grade 3 in 2026–27: born 2018 (turns 6 in 2024, grade 1 in 2024–25).
    assert over_age(3, 2026, 2018) == 0
    assert over_age(3, 2026, 2016) == 2
    assert over_age(3, 2026, 2019) == 0  # younger is never negative
    assert over_age(3, 2026, None) == 0


def test_longest_run() -> None:
    days = WINDOW[:6]
    assert longest_run(days, {days[0], days[2], days[3], days[4]}) == 3
    assert longest_run(days, set()) == 0


def test_a_present_student_is_low_with_no_reason() -> None:
    ind = compute(facts())
    assert (ind.days, ind.sessions, ind.absent, ind.rate) == (20, 20, 0, 0.0)
    a = evaluate(ind, Thresholds())
    assert (a.level, a.points, a.reasons) == (LOW, 0, ())


def test_unexcused_run_is_high_with_reasons_in_order() -> None:
    marks = (
        Mark(D(2027, 3, 1), "P", "sick"),
        Mark(D(2027, 3, 15), "K"),
        Mark(D(2027, 3, 16), "K"),
        Mark(D(2027, 3, 17), "K"),
    )
    ind = compute(facts(marks=marks))
    assert (ind.excused, ind.unexcused, ind.consecutive_unexcused) == (1, 3, 3)
    assert ind.rate == pytest.approx(0.20)
    # The window's halves: 18 Feb–3 Mar (P on 1 Mar) and 4–17 Mar (three K).
    assert (ind.earlier, ind.recent) == (1, 3)
    a = evaluate(ind, Thresholds())
    # severe 3 + consecutive 3 + unexcused 1 = 7 ≥ 4; the trend (+2) is under 3.
    assert (a.level, a.points) == (HIGH, 7)
    assert [r["code"] for r in a.reasons] == ["absence_severe", "consecutive", "unexcused"]
    with translation.override("vi"):
        assert reasons_text(a.reasons) == [
            # The K count is its own reason: not said twice.
            "vắng 4 buổi trong 20 ngày học gần nhất",
            "nghỉ không phép 3 ngày học liền",
            "vắng 3 buổi không phép trong 20 ngày học gần nhất",
        ]


def test_two_sessions_a_day_halve_the_rate() -> None:
    marks = (Mark(D(2027, 3, 16), "P"), Mark(D(2027, 3, 17), "P"))
    one = compute(facts(marks=marks))
    two = compute(facts(marks=marks, sessions_per_day=2))
    assert (one.rate, two.rate) == (0.10, 0.05)
    assert evaluate(one, Thresholds()).level == MEDIUM  # chronic 10 %: 2 points
    assert evaluate(two, Thresholds()).level == LOW


def test_not_back_after_tet() -> None:
    # Tết break ended Sunday 14 Feb; since then absent every school day… but the window
    # starts 18 Feb: shorten it to the 4 school days after the break (15–18 Feb).
    window = weekdays_back(D(2027, 2, 18), 8)  # 9 Feb … 18 Feb (break days are not in it
    window = tuple(d for d in window if d > D(2027, 2, 14))  # in real calendars)
    marks = tuple(Mark(d, "P") for d in window)
    ind = compute(
        facts(
            as_of=D(2027, 2, 18),
            window=window,
            marks=marks,
            break_name="Tết",
            break_end=D(2027, 2, 14),
        )
    )
    assert ind.not_back_days == 4
    a = evaluate(ind, Thresholds())
    assert a.level == HIGH
    assert a.reasons[0]["code"] == "not_back"
    with translation.override("vi"):
        assert reason_text(a.reasons[0]) == "chưa trở lại sau Tết 4 ngày học"
    # One day back breaks it.
    back = compute(
        facts(
            as_of=D(2027, 2, 18),
            window=window,
            marks=marks[:-1],
            break_name="Tết",
            break_end=D(2027, 2, 14),
        )
    )
    assert back.not_back_days == 0


def test_days_before_joining_the_class_do_not_count() -> None:
    marks = (Mark(D(2027, 2, 18), "K"), Mark(D(2027, 3, 17), "K"))
    ind = compute(facts(marks=marks, enrolled_since=D(2027, 3, 16)))
    assert (ind.days, ind.unexcused) == (2, 1)


def test_context_indicators_and_flags() -> None:
    ind = compute(
        facts(
            birth_year=2015,  # 3 years over
            repeated=True,
            arrived_on=D(2027, 3, 1),
            arrival_kind="returned",
            sibling_dropped_out=True,
            distance_km=7.5,
            flags=frozenset({FLAG_ACADEMIC, FLAG_EARLY_MARRIAGE}),
        )
    )
    a = evaluate(ind, Thresholds())
    codes = [r["code"] for r in a.reasons]
    assert codes == [
        "marriage",
        "academic",
        "over_age",
        "repeated",
        "arrival",
        "sibling",
        "distance",
    ]
    assert a.points == 3 + 2 + 1 + 1 + 1 + 1 + 1
    with translation.override("vi"):
        texts = reasons_text(a.reasons)
    assert texts[2] == "lớn hơn tuổi của lớp 3 năm"
    assert texts[4] == "mới đi học lại 16 ngày sau thời gian nghỉ học"
    assert texts[6] == "nhà cách trường 7,5 km"
    # A boarder far from home: distance is no reason.
    boarder = compute(facts(distance_km=7.5, boarding=True))
    assert evaluate(boarder, Thresholds()).reasons == ()


def test_working_reason_from_absences() -> None:
    ind = compute(facts(marks=(Mark(D(2027, 3, 17), "P", "working"),)))
    a = evaluate(ind, Thresholds())
    assert [r["code"] for r in a.reasons] == ["working"]
    assert a.level == MEDIUM
    with translation.override("vi"):
        assert reasons_text(a.reasons) == ["nghỉ 1 buổi để đi làm"]


def test_thresholds_are_configurable(settings: object) -> None:
    settings.RISK_RULES = {"chronic_rate": 0.5}  # type: ignore[attr-defined]
    assert Thresholds.from_settings().chronic_rate == 0.5
    settings.RISK_RULES = {"no_such": 1}  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="no_such"):
        Thresholds.from_settings()


# --- never ethnicity, poverty or gender -----------------------------------------------------

FORBIDDEN_WORDS = ("dân tộc", "nghèo", "giới tính", "nữ", "nam ", "ethnic", "poor", "gender")


def test_the_rules_never_see_ethnicity_gender_or_poverty() -> None:
    names = {f.name for f in dataclasses.fields(StudentFacts)}
    for word in ("ethnic", "gender", "sex", "poverty", "poor", "minority"):
        assert not any(word in n for n in names), names
    assert not any(w in code for code in REASON_CODES for w in ("ethnic", "gender", "poor"))


def test_no_reason_text_names_ethnicity_gender_or_poverty() -> None:
    samples = [
        {"code": code, "n": 2, "k": 1, "days": 20, "name": "Tết", "km": 6.0, "kind": "returned"}
        for code in REASON_CODES
    ]
    for lang in ("vi", "en"):
        with translation.override(lang):
            for text in reasons_text(samples):
                lowered = text.lower()
                assert not any(w in lowered for w in FORBIDDEN_WORDS), text


def test_feature_vector_has_no_group_facts() -> None:
    from dentruong.risk.indicators import FEATURES

    ind = compute(facts())
    assert len(feature_vector(ind)) == len(FEATURES)
    assert not any(w in f for f in FEATURES for w in ("ethnic", "gender", "poor"))


def test_quiet_agrees_with_evaluate() -> None:
    import random

    from dentruong.risk.rules import quiet

    rng = random.Random(5)
    t = Thresholds()
    seen_quiet = 0
    for _ in range(3000):
        f = facts(
            marks=tuple(
                Mark(rng.choice(WINDOW), rng.choice("PK"), rng.choice(["", "working"]))
                for _ in range(rng.choice([0, 0, 0, 1, 3]))
            ),
            birth_year=rng.choice([2018, 2017, 2016, 2015, None]),
            repeated=rng.random() < 0.1,
            arrived_on=rng.choice([None, None, D(2027, 3, 1), D(2026, 9, 5)]),
            sibling_dropped_out=rng.random() < 0.1,
            distance_km=rng.choice([None, 1.0, 5.0, 9.5]),
            boarding=rng.random() < 0.2,
            flags=frozenset(rng.sample(["academic", "working"], rng.choice([0, 0, 0, 1]))),
        )
        a = evaluate(compute(f), t)
        if quiet(f, t):
            seen_quiet += 1
            assert (a.level, a.reasons) == (LOW, ()), f
    assert seen_quiet > 100


def test_a_few_unexcused_are_said_within_the_absence_reason() -> None:
    """Two K (under the three that make a reason of their own) stay visible."""
    marks = (
        Mark(D(2027, 3, 8), "P", "sick"),
        Mark(D(2027, 3, 9), "P", "sick"),
        Mark(D(2027, 3, 15), "K"),
        Mark(D(2027, 3, 17), "K"),
    )
    a = evaluate(compute(facts(marks=marks)), Thresholds())
    assert [r["code"] for r in a.reasons][0] == "absence_severe"
    assert "unexcused" not in [r["code"] for r in a.reasons]
    with translation.override("vi"):
        assert reasons_text(a.reasons)[0] == (
            "vắng 4 buổi trong 20 ngày học gần nhất (2 buổi không phép)"
        )
