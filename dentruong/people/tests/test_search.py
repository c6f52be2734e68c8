"""Student search: diacritic-insensitive, Đ-aware, word prefixes in any order, national id."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterator

import pytest

from dentruong.lib.national_id import make_national_id
from dentruong.people import selectors
from dentruong.people.access import students_for_user
from dentruong.people.models import NameToken, ResidentChild, Student
from dentruong.people.selectors import count_capped, search_students
from dentruong.people.services import create_student, update_student
from tests.cast import Cast

EXTRA = [
    ("Nguyễn Văn", "Anh", "M"),
    ("Đặng Minh", "Đức", "M"),
    ("Trần Thị", "Hoà", "F"),  # old tone placement
    ("Lê Thị", "Hòa", "F"),  # new tone placement
    ("Hầu A", "Dợ", "M"),
    ("Tẩn Láo", "Lở", "M"),
    ("Giàng Thị", "Mỷ", "F"),
    ("Dang Van", "Binh", "M"),  # typed without diacritics
    ("Hoàng Thị Minh", "Ánh", "F"),
]


@pytest.fixture
def world(cast: Cast) -> Cast:
    for serial, (family, given, gender) in enumerate(EXTRA, start=100):
        create_student(
            national_id=make_national_id(
                province=15, birth_year=2016, gender=gender, serial=serial
            ),
            family_and_middle_name=family,
            given_name=given,
            birth_date=dt.date(2016, 5, 1),
            gender=gender,
            ethnicity="01",
            village=cast.village,
        )
    return cast


@pytest.fixture(params=["candidates", "walk"])
def strategy(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run each search both ways: from the rarest word's tokens, and (every word counted
    as common) through the search_name filters alone. Both must give the same answer."""
    if request.param == "walk":
        monkeypatch.setattr(selectors, "CANDIDATE_CAP", 0)
        monkeypatch.setattr(selectors, "MAX_WALK_WORDS", 99)
    yield request.param


def names(query: str) -> list[str]:
    found = search_students(Student.objects.all(), query).order_by("sort_key", "pk")
    return [s.full_name for s in found]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Prefix matching: "an" is the start of An and of Anh.
        ("nguyen van an", ["Nguyễn Văn An", "Nguyễn Văn Anh"]),
        ("Nguyễn Văn An", ["Nguyễn Văn An", "Nguyễn Văn Anh"]),
        ("nguyen van anh", ["Nguyễn Văn Anh"]),
        ("ngu van", ["Nguyễn Văn An", "Nguyễn Văn Anh"]),
        ("NGU  VAN", ["Nguyễn Văn An", "Nguyễn Văn Anh"]),
        # Đ folds to d on both sides.
        ("dang", ["Dang Van Binh", "Đặng Thị Ánh", "Đặng Minh Đức"]),
        ("đặng", ["Dang Van Binh", "Đặng Thị Ánh", "Đặng Minh Đức"]),
        ("ĐẶNG", ["Dang Van Binh", "Đặng Thị Ánh", "Đặng Minh Đức"]),
        ("duc", ["Đặng Minh Đức"]),
        ("đức đặng", ["Đặng Minh Đức"]),
        # Word order is free; every word must match.
        ("an nguyen", ["Nguyễn Văn An", "Nguyễn Văn Anh"]),
        ("anh dang", ["Đặng Thị Ánh"]),
        ("nguyen thi", []),
        ("ánh", ["Đặng Thị Ánh", "Hoàng Thị Minh Ánh", "Nguyễn Văn Anh"]),  # diacritics off
        ("minh anh", ["Hoàng Thị Minh Ánh"]),
        # One name word may answer several query words.
        ("ng ngu nguyen", ["Nguyễn Văn An", "Nguyễn Văn Anh"]),
        # A prefix, not a substring: "guyen" is inside Nguyễn but starts no word.
        ("guyen", []),
        ("uc", []),
        # Old and new tone placement are the same name (and "hoa" starts Hoàng too).
        ("hoà", ["Lê Thị Hòa", "Trần Thị Hoà", "Hoàng Thị Minh Ánh"]),
        ("hòa", ["Lê Thị Hòa", "Trần Thị Hoà", "Hoàng Thị Minh Ánh"]),
        ("thi hoa", ["Lê Thị Hòa", "Trần Thị Hoà", "Hoàng Thị Minh Ánh"]),
        ("tran hoa", ["Trần Thị Hoà"]),
        ("le thi hoa", ["Lê Thị Hòa"]),
        # Mông and Dao names.
        ("sung a pao", ["Sùng A Páo"]),
        ("páo", ["Sùng A Páo"]),
        ("hau a do", ["Hầu A Dợ"]),
        ("Dợ", ["Hầu A Dợ"]),
        ("tan lao lo", ["Tẩn Láo Lở"]),
        ("lở", ["Tẩn Láo Lở"]),
        ("giang my", ["Giàng Thị Mỷ"]),
        # Nothing matches.
        ("Zô Zép", []),
        ("nguyen zzz", []),
        ("12345", []),  # too short for a national id, and no name has digits
    ],
)
def test_search(world: Cast, strategy: str, query: str, expected: list[str]) -> None:
    assert sorted(names(query)) == sorted(expected)


def test_results_in_roster_order(world: Cast, strategy: str) -> None:
    assert names("nguyen van") == ["Nguyễn Văn An", "Nguyễn Văn Anh"]
    assert names("thi") == [
        "Đặng Thị Ánh",
        "Hoàng Thị Minh Ánh",
        "Lê Thị Hòa",
        "Trần Thị Hoà",
        "Giàng Thị Mỷ",
    ]


def test_nfd_query(world: Cast, strategy: str) -> None:
    assert names(unicodedata.normalize("NFD", "Đặng Thị Ánh")) == ["Đặng Thị Ánh"]


@pytest.mark.parametrize("query", ["", "   ", "\t\n", "…", "!?", " - . , ", "“”"])
def test_empty_or_punctuation_query_returns_everything(world: Cast, query: str) -> None:
    everyone = Student.objects.all()
    assert search_students(everyone, query) is everyone
    assert search_students(everyone, query).count() == 3 + len(EXTRA)


def test_national_id(world: Cast) -> None:
    nid = world.student.national_id  # 010318000001
    everyone = Student.objects.all()
    assert list(search_students(everyone, nid)) == [world.student]
    assert list(search_students(everyone, "010 318 000 001")) == [world.student]
    assert list(search_students(everyone, "010.318.000.001")) == [world.student]
    # A prefix of 6+ digits: every id issued in Lào Cai (010) for a girl born in 2018 …
    assert list(search_students(everyone, nid[:6])) == [world.student]
    # … the extra students: province 015, born 2016, boys (2) and girls (3).
    assert search_students(everyone, "015216").count() == 5
    assert search_students(everyone, "015316").count() == 4
    assert search_students(everyone, "01531600010").count() == 4  # serials 100–109
    assert not search_students(everyone, "999999").exists()
    assert not search_students(everyone, "0103180000019").exists()  # 13 digits


def test_search_keeps_the_scope(world: Cast) -> None:
    ours = students_for_user(world.commune_officer)
    assert not search_students(ours, "sung a pao").exists()  # Y Tý is not Cúc's
    theirs = students_for_user(world.outsider)
    assert list(search_students(theirs, "sung a pao")) == [world.other_student]
    assert not search_students(theirs, "dang").exists()
    assert not search_students(theirs, world.student.national_id).exists()


def test_rename_reindexes_tokens(world: Cast) -> None:
    student = world.student_4a  # Nguyễn Văn An
    update_student(student=student, family_and_middle_name="Lò Văn", given_name="Tú")
    assert names("nguyen van an") == ["Nguyễn Văn Anh"]
    assert names("lo van tu") == ["Lò Văn Tú"]
    assert names("tu") == ["Lò Văn Tú"]
    tokens = NameToken.objects.filter(student=student).values_list("token", flat=True)
    assert sorted(tokens) == ["lo", "tu", "van"]


def test_update_without_rename_keeps_tokens(world: Cast) -> None:
    student = world.student
    before = sorted(NameToken.objects.filter(student=student).values_list("pk", flat=True))
    update_student(student=student, boarding=True)
    after = sorted(NameToken.objects.filter(student=student).values_list("pk", flat=True))
    assert before == after
    assert names("dang thi anh") == ["Đặng Thị Ánh"]


def test_repeated_word_in_name_is_one_token(world: Cast) -> None:
    create_student(
        national_id=make_national_id(province=15, birth_year=2017, gender="F", serial=900),
        family_and_middle_name="Lý Thị",
        given_name="Lý",
        birth_date=dt.date(2017, 1, 1),
        gender="F",
        ethnicity="01",
        village=world.village,
    )
    assert NameToken.objects.filter(token="ly").count() == 1
    assert names("ly ly") == ["Lý Thị Lý"]


def test_query_count(world: Cast, django_assert_max_num_queries: object) -> None:
    # One capped count per distinct word to pick the rarest, then the search itself.
    with django_assert_max_num_queries(3):  # type: ignore[operator]
        list(search_students(Student.objects.all(), "nguyen van nguyen"))
    with django_assert_max_num_queries(1):  # type: ignore[operator]
        list(search_students(Student.objects.all(), world.student.national_id))


def test_count_capped(world: Cast) -> None:
    everyone = Student.objects.all()
    total = 3 + len(EXTRA)
    assert count_capped(everyone) == (total, False)
    assert count_capped(everyone, cap=total) == (total, False)
    assert count_capped(everyone, cap=5) == (5, True)
    assert count_capped(everyone.order_by("sort_key"), cap=1) == (1, True)
    assert count_capped(Student.objects.none()) == (0, False)
    assert count_capped(search_students(everyone, "dang"), cap=2) == (2, True)
    assert count_capped(ResidentChild.objects.all(), cap=1) == (1, True)  # any model


def uses_tokens(queryset: object) -> bool:
    return "nametoken" in str(queryset.query).lower()  # type: ignore[attr-defined]


def test_plan_choice(world: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    everyone = Student.objects.all()
    # A rare word: candidates from the token index.
    assert uses_tokens(search_students(everyone, "nguyen van an"))
    # Every word common: one or two words walk the roster, three use candidates again.
    monkeypatch.setattr(selectors, "CANDIDATE_CAP", 0)
    assert not uses_tokens(search_students(everyone, "nguyen"))
    assert not uses_tokens(search_students(everyone, "nguyen van"))
    assert uses_tokens(search_students(everyone, "nguyen van an"))
    assert names("nguyen van an") == ["Nguyễn Văn An", "Nguyễn Văn Anh"]


def test_national_id_prefix_of_nines(world: Cast) -> None:
    assert not search_students(Student.objects.all(), "999999").exists()
    assert "<" not in str(search_students(Student.objects.all(), "999999").query)


def test_punctuation_inside_query(world: Cast) -> None:
    assert names("Nguyễn-Văn, An!") == ["Nguyễn Văn An", "Nguyễn Văn Anh"]
    assert names("(Đặng) Thị... Ánh?") == ["Đặng Thị Ánh"]
