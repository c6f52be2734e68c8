"""The pure scoring and matching of register entries to student records."""

from __future__ import annotations

import datetime as dt

from dentruong.mobilization import matching
from dentruong.mobilization.matching import Person, score_pair

D = dt.date


def person(pk: int, fam: str, given: str, born: D | None, village: int = 1, **kw: object) -> Person:
    year = kw.pop("year", born.year if born else 2018)
    return Person(pk, fam, given, year, born, kw.pop("gender", "F"), village, **kw)  # type: ignore[arg-type]


ANH = person(1, "Đặng Thị", "Ánh", D(2018, 3, 2))


def test_national_id_first() -> None:
    a = person(1, "Đặng Thị", "Ánh", D(2018, 3, 2), national_id="010318000001")
    b = person(2, "Lò Văn", "Khác", D(2018, 9, 9), village=2, national_id="010318000001")
    assert score_pair(a, b) == matching.Score(100, ("national_id",))
    c = person(3, "Đặng Thị", "Ánh", D(2017, 3, 2), national_id="010318000001")
    assert score_pair(a, c).value == matching.REVIEW  # same number, birth years differ


def test_variants_are_scored() -> None:
    cases = [
        (person(2, "Đặng Thị", "Ánh", D(2018, 3, 2)), 100, "name_exact"),
        (person(2, "ĐẶNG THỊ", "ÁNH", D(2018, 3, 2)), 100, "name_exact"),
        (person(2, "Dang Thi", "Anh", D(2018, 3, 2)), 95, "name_folded"),  # no diacritics, Đ/D
        (person(2, "Đặng Thi", "Anh", D(2018, 3, 2)), 95, "name_folded"),  # tones differ
        (person(2, "Thị Đặng", "Ánh", D(2018, 3, 2)), 90, "name_swapped"),
        (person(2, "Đặng Ngọc", "Ánh", D(2018, 3, 2)), 80, "name_middle_differs"),
        (person(2, "Đặng Thị", "Ánhh", D(2018, 3, 2)), 80, "name_given_typo"),
        (person(2, "Đặng Thị", "Ánh", D(2018, 2, 3)), 92, "birth_day_month_swapped"),
        (person(2, "Đặng Thị", "Ánh", None, year=2018), 88, "birth_year_only"),
        (person(2, "Đặng Thị", "Ánh", D(2018, 6, 1)), 78, "birth_date_differs"),
        (person(2, "Đặng Thị", "Ánh", D(2018, 3, 2), village=2), 85, "village_other"),
        (person(2, "Đặng Thị", "Ánh", D(2018, 3, 2), gender="M"), 75, "gender_differs"),
        (person(2, "Đặng Thị", "Ánh", D(2017, 3, 2)), 70, "birth_year_differs"),
        (person(2, "Lò Thị", "Mai", D(2018, 3, 2)), 0, "name_differs"),
    ]
    for other, value, reason in cases:
        got = score_pair(ANH, other)
        assert (got.value, reason in got.reasons) == (value, True), (other, got)


def test_old_and_new_tone_placement_are_one_name() -> None:
    a = person(1, "Nguyễn Thị", "Hoà", D(2018, 1, 1))
    b = person(2, "Nguyễn Thị", "Hòa", D(2018, 1, 1))
    assert score_pair(a, b).reasons[0] == "name_exact"


def test_match_links_certain_and_queues_the_rest() -> None:
    children = [
        person(10, "Đặng Thị", "Ánh", D(2018, 3, 2), national_id="010318000001"),
        person(11, "Dang Van", "Binh", D(2018, 5, 5)),  # typed without diacritics
        person(12, "Vàng Thị", "Mai", D(2018, 7, 7)),  # two students could be her
        person(13, "Lò Văn", "Sử", D(2018, 8, 8)),  # swapped middle: review
        person(14, "Hoàng Văn", "Tú", D(2018, 9, 9)),  # nobody
    ]
    students = [
        person(20, "Đặng Thị", "Ánh", D(2018, 3, 2), national_id="010318000001"),
        person(21, "Đặng Văn", "Bình", D(2018, 5, 5), gender="F"),
        person(22, "Vàng Thị", "Mai", D(2018, 7, 7)),
        person(23, "Vàng Thị", "Mai", D(2018, 7, 7), village=2),
        person(24, "Văn Lò", "Sử", D(2018, 8, 8)),
    ]
    result = matching.match(children, students)
    assert {(p.child_id, p.student_id) for p in result.certain} == {(10, 20), (11, 21)}
    assert {(p.child_id, p.student_id) for p in result.review} == {(12, 22), (12, 23), (13, 24)}
    again = matching.match(children, students, exclude={(13, 24)})
    assert (13, 24) not in {(p.child_id, p.student_id) for p in again.review}


def test_two_children_on_one_student_go_to_review() -> None:
    children = [
        person(1, "Lý Thị", "Hoa", D(2019, 1, 1)),
        person(2, "Ly Thi", "Hoa", D(2019, 1, 1)),
    ]
    result = matching.match(children, [person(3, "Lý Thị", "Hoa", D(2019, 1, 1))])
    assert result.certain == [] and len(result.review) == 2


def test_different_numbers_are_different_children() -> None:
    a = person(1, "Lý Thị", "Hoa", D(2019, 1, 1), national_id="010319000001")
    b = person(2, "Lý Thị", "Hoa", D(2019, 1, 1), national_id="010319000002")
    assert matching.match([a], [b]).review == []
