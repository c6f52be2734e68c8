"""seeds/000 (Trường Tiểu học Giồng Găng, 2021–2022): "Số học sinh phải huy động: Khối 1:
104, Khối 2: 134, Khối 3: 142, Khối 4: 178, Khối 5: 148 — Toàn trường: 706"; "trẻ 6 tuổi
vào lớp 1: 104/104"; "tỷ lệ huy động học sinh trong độ tuổi ra lớp: 99,99 % trở lên".

Here a school of the cast's commune (Xã Bát Xát) gets those targets for 2026–2027, and the
commune's register holds the children of primary age (born 2016–2020, by birth year):

| grade (age) | born | in the register | enrolled at the school | in the register, not in school |
|-------------|------|-----------------|------------------------|--------------------------------|
| 1 (6)       | 2020 | 104             | 104                    | 0                              |
| 2 (7)       | 2019 | 135             | 134                    | 1 (never enrolled)             |
| 3 (8)       | 2018 | 142             | 141 (+1 dropped out)   | 1 (dropped out on 10/11/2026)  |
| 4 (9)       | 2017 | 178             | 178                    | 0                              |
| 5 (10)      | 2016 | 150             | 148                    | 1 never enrolled, 1 moved away |

Every enrolled child is in the register (linked by the matcher through mã định danh).
By hand: primary-age population 104+135+142+178+150 = 709, in school 104+134+141+178+148
= 705 → mobilization 705 / 709 × 100 = 99.436… = 99.44 %; excluding the one who moved
away 705 / 708 = 99.58 %; 6-year-olds into grade 1: 104 / 104 = 100 %; enrolled against
target: 705 / 706 = 99.86 % (grade 3: 141 / 142, one to mobilise); dropout rate of grade 3:
1 / 142 enrolled on 5/9/2026 = 0.70 %, of the level 1 / 706 = 0.14 %.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from dentruong.enrollment.services import bulk_enroll, record_event
from dentruong.lib.national_id import make_national_id
from dentruong.mobilization import selectors
from dentruong.mobilization.services import match_residents, set_targets
from dentruong.orgs.models import CodeSet, OrgUnit, School, SchoolClass, UnitKind
from dentruong.people.models import ResidentChild, SchoolingStatus, Student
from dentruong.people.services import derived_name_fields
from tests.cast import Cast

pytestmark = pytest.mark.django_db
D = dt.date
TARGETS = {1: 104, 2: 134, 3: 142, 4: 178, 5: 148}
# grade → (born, enrolled, never enrolled, moved away); grade 3 also has its dropout.
PLAN = {
    1: (2020, 104, 0, 0),
    2: (2019, 134, 1, 0),
    3: (2018, 142, 0, 0),
    4: (2017, 178, 0, 0),
    5: (2016, 148, 1, 1),
}
ON = D(2026, 11, 20)
GIVEN = ["An", "Bình", "Chi", "Dũng", "Hoa", "Khánh", "Lan", "Minh", "Nga", "Phúc", "Quý", "Tú"]
MIDDLE = ["Văn", "Thị", "Ngọc", "Đức", "Minh", "Thu", "Quang", "Hải"]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vàng", "Lò", "Sùng", "Giàng", "Đặng"]


def giong_gang(cast: Cast) -> School:
    node = OrgUnit.child_of(
        cast.commune,
        kind=UnitKind.SCHOOL,
        code="TH-GG",
        code_set=CodeSet.MOET,
        name="Trường Tiểu học Giồng Găng",
    )
    node.save()
    return School.objects.create(
        unit=node, commune=cast.commune, name="Trường Tiểu học Giồng Găng", levels="TH"
    )


def build(cast: Cast) -> dict[str, object]:
    school = giong_gang(cast)
    set_targets(school=school, school_year=cast.year, targets=TARGETS, by=cast.school_leader)
    names = itertools.product(FAMILY, MIDDLE, GIVEN)
    serial = itertools.count(500)
    pairs = []
    children = []
    dropout: Student | None = None
    for grade, (born, enrolled, never, moved) in PLAN.items():
        cls = SchoolClass.objects.create(
            school=school, school_year=cast.year, grade=grade, name=f"{grade}A"
        )
        for i in range(enrolled + never + moved):
            fam, mid, given = next(names)
            n = next(serial)
            gender = "M" if n % 2 else "F"
            village = cast.village if i % 2 else cast.village2
            nid = make_national_id(province=10, birth_year=born, gender=gender, serial=n)
            common = derived_name_fields(f"{fam} {mid}", given) | {
                "birth_date": D(born, 1 + n % 12, 1 + n % 28),
                "gender": gender,
                "ethnicity": "01",
                "village": village,
            }
            status = SchoolingStatus.IN_SCHOOL
            if i >= enrolled:
                status = (
                    SchoolingStatus.NEVER_ENROLLED
                    if i < enrolled + never
                    else SchoolingStatus.MOVED_AWAY
                )
                nid_child = None
            else:
                student = Student.objects.create(national_id=nid, **common)
                pairs.append((student, cls))
                nid_child = nid
                if grade == 3 and i == 0:
                    dropout = student
            children.append(
                ResidentChild(
                    commune=cast.commune,
                    birth_year=born,
                    national_id=nid_child,
                    survey_year=2026,
                    schooling=status,
                    notes="Hộ nghèo, mồ côi cha" if status == "never" else "",
                    **common,
                )
            )
    ResidentChild.objects.bulk_create(children)
    bulk_enroll(pairs=pairs, on=D(2026, 9, 5), by=None)
    assert dropout is not None
    record_event(
        student=dropout,
        kind="dropped_out",
        on=D(2026, 11, 10),
        by=cast.school_leader,
        reason_code="01",
    )
    return {"school": school, "dropout": dropout}


def test_targets_and_mobilization_rate(cast: Cast, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    built = build(cast)
    school = built["school"]
    run = match_residents(unit_path=cast.commune.path)
    assert (run.linked, run.by_national_id, run.queued) == (706, 706, 0)

    with django_assert_num_queries(9):
        report = selectors.mobilization_report(school.unit.path, school_year=2026, on=ON)
    assert report.target == 706
    assert {g.grade: g.target for g in report.grades} == TARGETS
    assert {g.grade: g.enrolled for g in report.grades} == {1: 104, 2: 134, 3: 141, 4: 178, 5: 148}
    assert report.enrolled == 705
    g3 = next(g for g in report.grades if g.grade == 3)
    assert (g3.to_mobilize, g3.at_start, g3.dropouts, g3.dropout_rate) == (1, 142, 1, 0.7)

    # The population side comes from the commune's register: the school's unit holds no
    # village, so the commune's report is the one with resident children.
    commune = selectors.mobilization_report(cast.commune.path, school_year=2026, on=ON)
    th = next(lv for lv in commune.levels if lv.level == "TH")
    band = th.band
    # The cast's Ánh and An are enrolled but not in the register: not counted; its one
    # register child, Bình (born 2020, never enrolled), is 6: population 709 + 1.
    assert (band.population, band.enrolled, band.moved_away) == (710, 705, 1)
    assert commune.population.six_year_olds == 104 + 1
    assert commune.population.six_in_grade_1 == 104


def test_mobilization_of_the_schools_children(cast: Cast) -> None:
    build(cast)
    match_residents(unit_path=cast.commune.path)
    ResidentChild.objects.filter(pk=cast.child.pk).delete()  # only Giồng Găng's children
    report = selectors.mobilization_report(cast.commune.path, school_year=2026, on=ON)
    th = next(lv for lv in report.levels if lv.level == "TH")
    assert (th.band.population, th.band.enrolled, th.band.at_level) == (709, 705, 705)
    assert th.band.mobilization == 99.44
    assert th.band.mobilization_excluding_moved == 99.58
    assert report.population.six_year_olds_rate == 100.0
    # The commune also has the cast's school (Ánh in 3A, An in 4A, no targets): 707 / 706.
    assert (th.target, th.enrolled, th.target_reached) == (706, 707, 100.14)
    assert (th.dropouts, th.at_start, th.dropout_rate) == (1, 708, 0.14)  # 706 + Ánh + An

    total, rows = selectors.names_behind(
        cast.commune.path, school_year=2026, on=ON, measure="residents_out", level="TH"
    )
    assert total == 4 and len(rows) == 4
    assert {r.birth_year for r in rows} == {2019, 2018, 2016}


def test_out_of_school_list(cast: Cast, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    built = build(cast)
    match_residents(unit_path=cast.commune.path)
    with django_assert_num_queries(5):
        rows = selectors.out_of_school(cast.commune.path, school_year=2026, sensitive=True)
    by_name = {r.full_name: r for r in rows}
    dropout = built["dropout"]
    gone = by_name[dropout.full_name]  # type: ignore[attr-defined]
    assert (gone.last_class, gone.left_on, gone.birth_year) == ("3A", D(2026, 11, 10), 2018)
    assert gone.family_situation == ""  # no register notes, no poverty, no disability
    never = [r for r in rows if r.schooling == "never"]
    # two never-enrolled children of the plan + the cast's Bình (born 2020)
    assert len(never) == 3 and all(r.last_class == "" for r in never)
    assert any(r.family_situation == "Hộ nghèo, mồ côi cha" for r in never)
    assert len(rows) == 4  # the moved-away child is left out
    moved = selectors.out_of_school(
        cast.commune.path, school_year=2026, sensitive=False, include_moved=True
    )
    assert len(moved) == 5 and all(r.family_situation is None for r in moved)
