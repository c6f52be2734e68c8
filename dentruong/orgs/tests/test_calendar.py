from __future__ import annotations

import datetime as dt
import time

import pytest
from pytest_django import DjangoAssertNumQueries

from dentruong.orgs import calendar
from dentruong.orgs.calendar import (
    CalendarSpec,
    NoCalendar,
    calendar_for_class,
    count_school_days,
    forget_calendars,
    is_school_day,
)
from dentruong.orgs.models import (
    MON_TO_FRI,
    BreakKind,
    CalendarBreak,
    OrgUnit,
    SchoolClass,
    SchoolYear,
    YearCalendar,
)
from tests.cast import Cast

D = dt.date
SATURDAY = 1 << 5
MON_TO_SAT = MON_TO_FRI | SATURDAY

# Term 1 Mon 7/9/2026 – Wed 13/1/2027; gap Thu 14 – Sun 17/1; term 2 Mon 18/1 – Fri 28/5/2027;
# Tết Mon 1/2 – Wed 10/2/2027 (inclusive).
SPEC = CalendarSpec(
    term1=(D(2026, 9, 7), D(2027, 1, 13)),
    term2=(D(2027, 1, 18), D(2027, 5, 28)),
    breaks=((D(2027, 2, 1), D(2027, 2, 10)),),
    weekdays=MON_TO_FRI,
)


# --- CalendarSpec: pure rules -----------------------------------------------------------


def test_weekend_is_not_a_school_day() -> None:
    assert SPEC.is_school_day(D(2026, 9, 11))  # Friday
    assert not SPEC.is_school_day(D(2026, 9, 12))  # Saturday
    assert not SPEC.is_school_day(D(2026, 9, 13))  # Sunday
    assert SPEC.is_school_day(D(2026, 9, 14))  # Monday


def test_term_boundaries_are_inclusive() -> None:
    assert not SPEC.is_school_day(D(2026, 9, 4))  # Friday before term 1
    assert SPEC.is_school_day(D(2026, 9, 7))  # first day of term 1
    assert SPEC.is_school_day(D(2027, 1, 13))  # last day of term 1
    assert SPEC.is_school_day(D(2027, 5, 28))  # last day of term 2
    assert not SPEC.is_school_day(D(2027, 5, 31))  # Monday after: summer
    assert SPEC.term_of(D(2026, 9, 7)) == 1
    assert SPEC.term_of(D(2027, 1, 13)) == 1
    assert SPEC.term_of(D(2027, 1, 18)) == 2
    assert SPEC.term_of(D(2027, 5, 28)) == 2
    assert SPEC.term_of(D(2027, 7, 1)) is None


def test_gap_between_terms_has_no_school() -> None:
    for day in (D(2027, 1, 14), D(2027, 1, 15)):  # Thursday, Friday
        assert not SPEC.in_term(day)
        assert SPEC.term_of(day) is None
        assert not SPEC.is_school_day(day)
    assert SPEC.is_school_day(D(2027, 1, 18))


def test_tet_break_dates_are_inclusive() -> None:
    assert SPEC.is_school_day(D(2027, 1, 29))  # Friday before Tết
    assert not SPEC.is_school_day(D(2027, 2, 1))  # first day of the break
    assert not SPEC.is_school_day(D(2027, 2, 5))
    assert not SPEC.is_school_day(D(2027, 2, 10))  # last day of the break
    assert SPEC.is_school_day(D(2027, 2, 11))  # Thursday after
    assert SPEC.on_break(D(2027, 2, 10)) and not SPEC.on_break(D(2027, 2, 11))
    assert SPEC.term_of(D(2027, 2, 5)) == 2  # a break is inside its term


def test_weekday_mask_with_saturday() -> None:
    spec = CalendarSpec(SPEC.term1, SPEC.term2, SPEC.breaks, weekdays=MON_TO_SAT)
    assert spec.is_school_day(D(2026, 9, 12))  # Saturday
    assert not spec.is_school_day(D(2026, 9, 13))  # Sunday
    assert not spec.is_school_day(D(2027, 2, 6))  # Saturday in Tết
    assert spec.count_school_days(D(2026, 9, 7), D(2026, 9, 13)) == 6


def test_weekday_mask_of_single_days() -> None:
    wednesdays = CalendarSpec(SPEC.term1, SPEC.term2, SPEC.breaks, weekdays=1 << 2)
    assert wednesdays.school_days(D(2026, 9, 7), D(2026, 9, 20)) == [D(2026, 9, 9), D(2026, 9, 16)]


def test_count_school_days_over_tet() -> None:
    # Mon 25/1 – Fri 19/2/2027: 20 weekdays; Tết takes Mon 1/2 – Wed 10/2 = 8 of them.
    assert SPEC.count_school_days(D(2027, 1, 25), D(2027, 2, 19)) == 12
    assert SPEC.school_days(D(2027, 1, 29), D(2027, 2, 12)) == [
        D(2027, 1, 29),
        D(2027, 2, 11),
        D(2027, 2, 12),
    ]


def test_count_school_days_over_the_gap_between_terms() -> None:
    # Mon 11/1 – Fri 22/1/2027: 10 weekdays, Thu 14 and Fri 15 in the gap.
    assert SPEC.count_school_days(D(2027, 1, 11), D(2027, 1, 22)) == 8


def test_count_school_days_edges() -> None:
    assert SPEC.count_school_days(D(2026, 9, 7), D(2026, 9, 7)) == 1
    assert SPEC.count_school_days(D(2026, 9, 12), D(2026, 9, 12)) == 0
    assert SPEC.count_school_days(D(2026, 9, 8), D(2026, 9, 7)) == 0  # empty range
    assert SPEC.count_school_days(D(2027, 6, 1), D(2027, 8, 31)) == 0  # summer


# --- From the database --------------------------------------------------------------------


def add_calendar(
    unit: OrgUnit,
    year: SchoolYear,
    term1: tuple[dt.date, dt.date],
    term2: tuple[dt.date, dt.date],
    *breaks: tuple[dt.date, dt.date],
) -> YearCalendar:
    cal = YearCalendar.objects.create(
        school_year=year,
        unit=unit,
        term1_start=term1[0],
        term1_end=term1[1],
        term2_start=term2[0],
        term2_end=term2[1],
    )
    for start, end in breaks:
        CalendarBreak.objects.create(
            calendar=cal, kind=BreakKind.OTHER, name="Nghỉ", start=start, end=end
        )
    return cal


def fresh(school_class: SchoolClass) -> SchoolClass:
    return SchoolClass.objects.select_related("school__unit").get(pk=school_class.pk)


@pytest.mark.django_db
def test_class_uses_the_province_calendar(cast: Cast) -> None:
    spec = calendar_for_class(cast.class_3a)

    assert spec == CalendarSpec(
        term1=(D(2026, 9, 5), D(2027, 1, 16)),
        term2=(D(2027, 1, 18), D(2027, 5, 29)),
        breaks=((D(2027, 2, 1), D(2027, 2, 14)),),
        weekdays=MON_TO_FRI,
    )
    assert calendar_for_class(cast.other_class) == spec  # same province, other commune


@pytest.mark.django_db
def test_is_school_day_for_a_class(cast: Cast) -> None:
    c = cast.class_3a
    assert not is_school_day(c, D(2026, 9, 5))  # Saturday, first day of term 1
    assert is_school_day(c, D(2026, 9, 7))
    assert not is_school_day(c, D(2027, 2, 8))  # Tết
    assert not is_school_day(c, D(2027, 2, 14))  # last day of Tết (a Sunday anyway)
    assert is_school_day(c, D(2027, 2, 15))
    assert not is_school_day(c, D(2027, 7, 1))


@pytest.mark.django_db
def test_saturday_class_studies_on_the_first_saturday(cast: Cast) -> None:
    cast.class_4a.weekdays = MON_TO_SAT
    cast.class_4a.save()

    assert is_school_day(cast.class_4a, D(2026, 9, 5))
    assert not is_school_day(cast.class_3a, D(2026, 9, 5))
    # September 2026 from Saturday 5/9: 18 weekdays + 4 Saturdays.
    assert count_school_days(cast.class_3a, D(2026, 9, 1), D(2026, 9, 30)) == 18
    assert count_school_days(cast.class_4a, D(2026, 9, 1), D(2026, 9, 30)) == 22


@pytest.mark.django_db
def test_count_school_days_for_a_class_over_tet(cast: Cast) -> None:
    # Mon 25/1 – Fri 19/2/2027: Tết 1/2 – 14/2 leaves the first and the last week.
    assert count_school_days(cast.class_3a, D(2027, 1, 25), D(2027, 2, 19)) == 10


@pytest.mark.django_db
def test_school_calendar_wins_over_the_province(cast: Cast) -> None:
    own = add_calendar(
        cast.school.unit,
        cast.year,
        (D(2026, 9, 7), D(2027, 1, 15)),
        (D(2027, 1, 25), D(2027, 5, 28)),
        (D(2027, 2, 3), D(2027, 2, 12)),
    )

    spec = calendar_for_class(fresh(cast.class_3a))
    assert spec.term1 == (own.term1_start, own.term1_end)
    assert spec.term2 == (own.term2_start, own.term2_end)
    assert spec.breaks == ((D(2027, 2, 3), D(2027, 2, 12)),)
    # Monday 18/1: the province is back at school, this school is still between terms.
    assert not is_school_day(cast.class_3a, D(2027, 1, 18))
    assert is_school_day(cast.other_class, D(2027, 1, 18))
    # Monday 1/2: the province is in Tết, this school's break starts on Wednesday.
    assert is_school_day(cast.class_3a, D(2027, 2, 1))
    assert not is_school_day(cast.other_class, D(2027, 2, 1))
    # The other school of the province keeps the province calendar.
    assert calendar_for_class(fresh(cast.other_class)).term1 == (D(2026, 9, 5), D(2027, 1, 16))


@pytest.mark.django_db
def test_commune_calendar_wins_over_the_province_and_loses_to_the_school(cast: Cast) -> None:
    add_calendar(
        cast.commune, cast.year, (D(2026, 9, 7), D(2027, 1, 15)), (D(2027, 1, 18), D(2027, 5, 28))
    )
    assert calendar_for_class(fresh(cast.class_3a)).term1 == (D(2026, 9, 7), D(2027, 1, 15))
    assert calendar_for_class(fresh(cast.class_3a)).breaks == ()
    assert calendar_for_class(fresh(cast.other_class)).term1 == (D(2026, 9, 5), D(2027, 1, 16))

    add_calendar(
        cast.school.unit,
        cast.year,
        (D(2026, 9, 8), D(2027, 1, 15)),
        (D(2027, 1, 18), D(2027, 5, 28)),
    )
    assert calendar_for_class(fresh(cast.class_3a)).term1 == (D(2026, 9, 8), D(2027, 1, 15))


@pytest.mark.django_db
def test_calendar_of_another_year_or_another_commune_does_not_apply(cast: Cast) -> None:
    next_year = SchoolYear.objects.create(start_year=2027)
    add_calendar(
        cast.school.unit,
        next_year,
        (D(2027, 9, 6), D(2028, 1, 14)),
        (D(2028, 1, 17), D(2028, 5, 26)),
    )
    add_calendar(
        cast.other_commune,
        cast.year,
        (D(2026, 9, 7), D(2027, 1, 15)),
        (D(2027, 1, 18), D(2027, 5, 28)),
    )

    assert calendar_for_class(fresh(cast.class_3a)).term1 == (D(2026, 9, 5), D(2027, 1, 16))


@pytest.mark.django_db
def test_no_calendar_on_the_path_raises(cast: Cast) -> None:
    next_year = SchoolYear.objects.create(start_year=2027)
    # Only a neighbouring commune has a calendar for 2027–2028.
    add_calendar(
        cast.other_commune,
        next_year,
        (D(2027, 9, 6), D(2028, 1, 14)),
        (D(2028, 1, 17), D(2028, 5, 26)),
    )
    new_class = SchoolClass.objects.create(
        school=cast.school, school_year=next_year, grade=3, name="3A"
    )

    with pytest.raises(NoCalendar):
        calendar_for_class(new_class)
    with pytest.raises(NoCalendar):
        is_school_day(new_class, D(2027, 9, 6))


@pytest.mark.django_db
def test_no_calendar_once_the_province_calendar_is_gone(cast: Cast) -> None:
    cast.calendar.delete()
    with pytest.raises(NoCalendar):
        count_school_days(cast.class_3a, D(2026, 9, 1), D(2026, 9, 30))


@pytest.mark.django_db
@pytest.mark.parametrize("where", ["province", "commune", "school"])
def test_calendar_for_class_takes_two_queries(
    cast: Cast, where: str, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    """One for the nearest calendar, one for its breaks: however deep, however many breaks."""
    unit = {"province": cast.province, "commune": cast.commune, "school": cast.school.unit}[where]
    if where != "province":
        add_calendar(
            unit,
            cast.year,
            (D(2026, 9, 7), D(2027, 1, 15)),
            (D(2027, 1, 18), D(2027, 5, 28)),
            (D(2026, 11, 20), D(2026, 11, 20)),
            (D(2027, 2, 1), D(2027, 2, 12)),
            (D(2027, 4, 30), D(2027, 5, 1)),
        )
    school_class = fresh(cast.class_3a)

    with django_assert_num_queries(2):
        spec = calendar_for_class(school_class)
    assert len(spec.breaks) == (1 if where == "province" else 3)


@pytest.mark.django_db
def test_a_recent_copy_answers_within_max_age(
    cast: Cast, django_assert_num_queries: DjangoAssertNumQueries, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With max_age, a second class of the same school reads no query and gets its own
    weekdays; the copy expires after max_age; forget_calendars() drops it at once."""
    forget_calendars()
    first = calendar_for_class(fresh(cast.class_3a), max_age=60)
    other = fresh(cast.class_4a)
    other.weekdays = 0b0011111  # Monday to Friday
    with django_assert_num_queries(0):
        copy = calendar_for_class(other, max_age=60)
    assert (copy.term1, copy.breaks) == (first.term1, first.breaks)
    assert copy.weekdays == 0b0011111
    later = time.monotonic() + 61
    monkeypatch.setattr(calendar, "_clock", lambda: later)
    with django_assert_num_queries(2):
        calendar_for_class(other, max_age=60)
    forget_calendars()
    with django_assert_num_queries(2):
        calendar_for_class(other, max_age=60)
    with django_assert_num_queries(2):
        calendar_for_class(other)  # max_age 0: always the database
    forget_calendars()


@pytest.mark.django_db
def test_the_copy_resolves_the_nearest_calendar_like_the_database(cast: Cast) -> None:
    """A school's own calendar beats its province's in the copy too; another school of
    the province keeps the province's; a school year without calendar still raises."""
    add_calendar(
        cast.school.unit,
        cast.year,
        (D(2026, 9, 8), D(2027, 1, 15)),
        (D(2027, 1, 18), D(2027, 5, 28)),
        (D(2026, 11, 20), D(2026, 11, 20)),
    )
    forget_calendars()
    for school_class in (fresh(cast.class_3a), fresh(cast.other_class)):
        assert calendar_for_class(school_class, max_age=60) == calendar_for_class(school_class)
    assert calendar_for_class(fresh(cast.class_3a), max_age=60).term1[0] == D(2026, 9, 8)
    assert calendar_for_class(fresh(cast.other_class), max_age=60).term1[0] == D(2026, 9, 5)
    YearCalendar.objects.all().delete()
    forget_calendars()
    with pytest.raises(NoCalendar):
        calendar_for_class(fresh(cast.class_3a), max_age=60)
    forget_calendars()
