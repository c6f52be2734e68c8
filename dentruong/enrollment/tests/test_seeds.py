"""The seeds' figures out of records, with the names behind each number.

seeds/003 (Bát Xát, 26/3/2025): "tính đến thời điểm ngày 21/3/2025 vẫn còn 159 học sinh
bỏ học, chưa ra lớp sau Tết (trong đó cấp THCS 83 trường hợp; cấp THPT 76 trường hợp)",
to be reported by summer / term 1 / term 2 / after Tết, "bỏ đi khỏi địa phương", and
eligible or not to continue after coming back.

The district below is built with the services. Hand-made plan (still out on 21/3/2025):

| level | summer | term 1 | term 2 before Tết | after Tết | total | of whom left the locality |
|-------|--------|--------|-------------------|-----------|-------|---------------------------|
| THCS  | 10 (4) | 25 (6) | 18 (2)            | 30 (8)    | 83    | 20                        |
| THPT  |  8 (3) | 20 (5) | 16 (4)            | 32 (15)   | 76    | 27                        |

Reasons of the others (thôi học): summer 03, term 1 02, before Tết 01, after Tết 06.
Where those who left went: after Tết 02 (outside the province), otherwise 01.
Besides: 4 THCS pupils dropped out in term 1 and came back (3 eligible, 1 not), 2 THPT
pupils dropped out in the summer and came back (neither eligible); 4 THCS dropouts dated
24/3/2025 (after the date); 5 THCS and 3 TH dropouts in another district.

seeds/004 (Long An): ≥ 20 % of lower-secondary graduates into vocational training; the
list of graduates in no school or training, for the commune.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

import pytest

from dentruong.enrollment import selectors
from dentruong.enrollment.services import bulk_enroll, record_destination, record_event
from dentruong.lib.national_id import make_national_id
from dentruong.orgs.models import (
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
from dentruong.people.models import Student
from dentruong.people.services import create_student

D = dt.date
ON = D(2025, 3, 21)
SERIAL = itertools.count(1)

# level → period → (still out, of whom left the locality)
PLAN = {
    "THCS": {"summer": (10, 4), "term1": (25, 6), "before_tet": (18, 2), "after_tet": (30, 8)},
    "THPT": {"summer": (8, 3), "term1": (20, 5), "before_tet": (16, 4), "after_tet": (32, 15)},
}
REASON = {"summer": "03", "term1": "02", "before_tet": "01", "after_tet": "06"}


def day_in(period: str, i: int) -> dt.date:
    start = {
        "summer": D(2024, 8, 20),
        "term1": D(2024, 10, 1),
        "before_tet": D(2025, 1, 20),
        "after_tet": D(2025, 2, 3),
    }[period]
    span = {"summer": 10, "term1": 60, "before_tet": 5, "after_tet": 40}[period]
    return start + dt.timedelta(days=i % span)


def unit(kind: str, code: str, name: str, parent: OrgUnit | None, code_set: str) -> OrgUnit:
    node = OrgUnit.child_of(parent, kind=kind, code=code, code_set=code_set, name=name)
    node.save()
    return node


@dataclass
class World:
    district: OrgUnit
    communes: list[OrgUnit]
    villages: list[OrgUnit]
    classes: dict[str, list[SchoolClass]]  # by level, in the district
    outside: dict[str, SchoolClass]
    graduates: list[Student]


def student(village: OrgUnit, given: str) -> Student:
    n = next(SERIAL)
    return create_student(
        national_id=make_national_id(province=10, birth_year=2010, gender="M", serial=n),
        family_and_middle_name="Lý Văn",
        given_name=f"{given} {n:03d}",
        birth_date=D(2010, 1, 1) + dt.timedelta(days=n),
        gender="M",
        ethnicity="09",
        village=village,
    )


@pytest.fixture
def world(db: None) -> World:
    pre = CodeSet.GSO_PRE2025
    province = unit(UnitKind.PROVINCE, "10", "Tỉnh Lào Cai (cũ)", None, pre)
    district = unit(UnitKind.DISTRICT, "083", "Huyện Bát Xát", province, pre)
    other = unit(UnitKind.DISTRICT, "082", "Huyện Bảo Thắng", province, pre)
    c1 = unit(UnitKind.COMMUNE, "02695", "Xã Quang Kim", district, pre)
    c2 = unit(UnitKind.COMMUNE, "02683", "Thị trấn Bát Xát", district, pre)
    c3 = unit(UnitKind.COMMUNE, "02749", "Xã Phong Hải", other, pre)
    villages = [
        unit(UnitKind.VILLAGE, "V1", "Thôn Quang Kim 1", c1, CodeSet.LOCAL),
        unit(UnitKind.VILLAGE, "V2", "Tổ dân phố 3", c2, CodeSet.LOCAL),
        unit(UnitKind.VILLAGE, "V3", "Thôn Phong Hải", c3, CodeSet.LOCAL),
    ]
    year = SchoolYear.objects.create(start_year=2024)
    cal = YearCalendar.objects.create(
        school_year=year,
        unit=province,
        term1_start=D(2024, 9, 5),
        term1_end=D(2025, 1, 18),
        term2_start=D(2025, 1, 20),
        term2_end=D(2025, 5, 31),
    )
    CalendarBreak.objects.create(
        calendar=cal,
        kind=BreakKind.TET,
        name="Tết Ất Tỵ",
        start=D(2025, 1, 25),
        end=D(2025, 2, 2),
    )

    def school(code: str, name: str, commune: OrgUnit, levels: str) -> School:
        node = unit(UnitKind.SCHOOL, code, name, commune, CodeSet.MOET)
        return School.objects.create(unit=node, commune=commune, name=name, levels=levels)

    def klass(s: School, grade: int) -> SchoolClass:
        return SchoolClass.objects.create(school=s, school_year=year, grade=grade, name=f"{grade}A")

    qk = school("THCS-QK", "Trường THCS Quang Kim", c1, "THCS")
    lc = school("THCS-THPT-BX", "Trường THCS&THPT Bát Xát", c2, "THCS,THPT")
    t2 = school("THPT2-BX", "Trường THPT số 2 Bát Xát", c2, "THPT")
    ph = school("THCS-PH", "Trường TH&THCS Phong Hải", c3, "TH,THCS")
    classes = {
        "THCS": [klass(qk, 8), klass(lc, 7)],
        "THPT": [klass(lc, 10), klass(t2, 11)],
    }
    outside = {"TH": klass(ph, 4), "THCS": klass(ph, 6)}
    klass(qk, 9)
    return World(district, [c1, c2], villages, classes, outside, [])


def drop(s: Student, kind: str, on: dt.date, period: str, left: bool) -> None:
    if left:
        record_event(
            student=s,
            kind="left_locality",
            on=on,
            by=None,
            whereabouts="02" if period == "after_tet" else "01",
        )
    else:
        record_event(student=s, kind="dropped_out", on=on, by=None, reason_code=REASON[period])


def populate(world: World) -> dict[str, list[Student]]:
    pairs: list[tuple[Student, SchoolClass]] = []
    plan: list[tuple[Student, str, str, bool]] = []
    extras: dict[str, list[Student]] = {"eligible": [], "not_eligible": [], "late": []}
    for level, periods in PLAN.items():
        cycle = itertools.cycle(world.classes[level])
        for period, (n, left) in periods.items():
            for i in range(n):
                c = next(cycle)
                s = student(world.villages[i % 2], "Chưa về")
                pairs.append((s, c))
                plan.append((s, period, f"{i}", i < left))
    # Came back: 4 THCS (term 1; 3 eligible), 2 THPT (summer; not eligible).
    back = []
    for level, n, period in (("THCS", 4, "term1"), ("THPT", 2, "summer")):
        for i in range(n):
            s = student(world.villages[0], "Đã về")
            pairs.append((s, world.classes[level][i % 2]))
            back.append((s, period, world.classes[level][i % 2], level == "THCS" and i < 3))
    late = [student(world.villages[1], "Bỏ sau") for _ in range(4)]
    pairs += [(s, world.classes["THCS"][0]) for s in late]
    away = [
        (student(world.villages[2], "Huyện khác"), world.outside[lv])
        for lv in ["THCS"] * 5 + ["TH"] * 3
    ]
    pairs += away
    stay = [student(world.villages[i % 2], "Đi học") for i in range(6)]
    pairs += [(s, world.classes["THCS"][i % 2]) for i, s in enumerate(stay)]
    bulk_enroll(pairs=pairs, on=D(2024, 8, 15), by=None)

    for s, period, i, left in plan:
        drop(s, "", day_in(period, int(i)), period, left)
    for s, period, c, eligible in back:
        out_day = D(2024, 11, 1) if period == "term1" else D(2024, 8, 20)
        drop(s, "", out_day, period, False)
        record_event(
            student=s,
            kind="returned",
            on=out_day + dt.timedelta(days=31),
            by=None,
            school_class=c,
            eligible_to_continue=eligible,
            eligibility_note="Đủ điều kiện" if eligible else "Nghỉ quá 45 buổi",
        )
        extras["eligible" if eligible else "not_eligible"].append(s)
    for s in late:
        record_event(student=s, kind="dropped_out", on=D(2025, 3, 24), by=None, reason_code="01")
    for s, _ in away:
        record_event(student=s, kind="dropped_out", on=D(2024, 12, 2), by=None, reason_code="01")
    extras["late"] = late
    return extras


def test_159_still_out_on_21_march(world: World, django_assert_num_queries: Any) -> None:
    extras = populate(world)
    with django_assert_num_queries(2):
        report = selectors.dropout_report(world.district.path, on=ON)
    assert report.school_year == 2024
    out = report.still_out_tally
    assert out.total == 159
    assert dict(out.by_level) == {"THCS": 83, "THPT": 76}
    assert dict(out.by_period) == {"summer": 18, "term1": 45, "term2": 96}
    assert out.after_tet == 62
    assert out.by_level_period[("THCS", "summer")] == 10
    assert out.by_level_period[("THCS", "term2")] == 48
    assert out.by_level_period[("THCS", "after_tet")] == 30
    assert out.by_level_period[("THPT", "term1")] == 20
    assert out.by_level_period[("THPT", "after_tet")] == 32
    assert out.left_locality == 47
    assert dict(out.left_by_whereabouts) == {"01": 24, "02": 23}
    assert dict(out.by_reason) == {"01": 28, "02": 34, "03": 11, "06": 39}
    # Recorded this year by 21/3: the 159 and the 6 who came back; nothing after the date,
    # nothing from the other district.
    recorded = report.recorded_tally
    assert (recorded.total, dict(recorded.by_level)) == (165, {"THCS": 87, "THPT": 78})
    assert len(report.returned_eligible) == 3 and len(report.returned_not_eligible) == 3
    # The names behind the numbers.
    assert {r.student_id for r in report.returned_not_eligible} == {
        s.pk for s in extras["not_eligible"]
    }
    assert all(r.full_name.startswith("Lý Văn Chưa về") for r in report.still_out)
    assert len({r.student_id for r in report.still_out}) == 159
    late = {s.pk for s in extras["late"]}
    assert not late & {r.student_id for r in report.recorded}

    # On 25/3 the 4 late dropouts count too; the whole province adds the other district.
    assert (
        selectors.dropout_report(world.district.path, on=D(2025, 3, 25)).still_out_tally.total
        == 163
    )
    province = world.district.parent
    assert province is not None
    everywhere = selectors.dropout_report(province.path, on=ON).still_out_tally
    assert dict(everywhere.by_level) == {"THCS": 88, "THPT": 76, "TH": 3}
    commune = selectors.dropout_report(world.communes[0].path, on=ON).still_out_tally
    # Quang Kim holds the first THCS class: every other THCS dropout of the plan.
    assert commune.by_level == {"THCS": 5 + 13 + 9 + 15}
    # Every class still reconciles.
    check = selectors.headcount_check(
        world.district.path, date_from=D(2024, 8, 1), date_to=ON, school_year=2024
    )
    assert check.failing == []


def test_destinations_after_lower_secondary(world: World, django_assert_num_queries: Any) -> None:
    grade9 = SchoolClass.objects.get(grade=9)
    plan = ["thpt"] * 5 + ["vocational_in", "vocational_out", "gdtx", "working", ""]
    grads = [student(world.villages[i % 2], "Tốt nghiệp") for i in range(len(plan))]
    bulk_enroll(pairs=[(s, grade9) for s in grads], on=D(2024, 8, 15), by=None)
    for s, dest in zip(grads, plan, strict=True):
        done = record_event(student=s, kind="completed", on=D(2025, 5, 31), by=None)
        if dest:
            record_destination(event=done, destination=dest, by=None)
    with django_assert_num_queries(1):
        report = selectors.destination_report(world.district.path, school_year=2024)
    assert len(report.graduates) == 10
    assert report.by_destination == {
        "thpt": 5,
        "vocational_in": 1,
        "vocational_out": 1,
        "gdtx": 1,
        "working": 1,
        "": 1,
    }
    assert (report.vocational, report.vocational_share, report.meets_target) == (2, 20.0, True)
    by_commune = report.not_studying_by_commune()
    names = {commune: [g.full_name for g in rows] for (_, commune), rows in by_commune.items()}
    assert names == {
        "Thị trấn Bát Xát": [grads[9].full_name],
        "Xã Quang Kim": [grads[8].full_name],
    }
