"""A small named world for tests (healthchecks style).

Tỉnh Lào Cai (15) → Xã Bát Xát (02683) with villages Bản Vược and Cốc Mỳ, and a
neighbouring Xã Y Tý (02701) whose officer, Oscar the outsider, must see nothing of ours.

- Phong: province officer of Lào Cai
- Cúc: commune officer of Bát Xát
- Lan: school leader of Trường Tiểu học Bát Xát
- Tâm: homeroom teacher of class 3A
- Đoàn: Youth Union partner on Bát Xát, campaign until 2027-06-30, village + class only
- Quản: system administrator
- Oscar: commune officer of Y Tý (the outsider)
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from django.utils import timezone

from dentruong.accounts import totp
from dentruong.accounts.models import Membership, Role, TOTPDevice, User
from dentruong.accounts.selectors import requires_two_factor
from dentruong.enrollment.services import enroll_student
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
from dentruong.people.models import Household, ResidentChild, Student
from dentruong.people.services import add_guardian, create_resident_child, create_student

PASSWORD = "correct-horse-battery-staple-9"
# The authenticator app of the users whose role requires one (province and commune
# officers, the administrator, Oscar): `totp_code(username)` gives its current code.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def unit(kind: str, code: str, name: str, parent: OrgUnit | None, code_set: str) -> OrgUnit:
    node = OrgUnit.child_of(parent, kind=kind, code=code, code_set=code_set, name=name)
    node.save()
    return node


def totp_code(username: str) -> str:
    """The code the user's authenticator app shows now, or the next one if now's was used
    already (a code is good once)."""
    device = TOTPDevice.objects.get(user__username=username)
    step = max(totp.time_step(time.time()), (device.last_step or 0) + 1)
    return totp.hotp(totp.secret_bytes(device.secret), step)


def make_user(username: str, full_name: str) -> User:
    return User.objects.create_user(username=username, password=PASSWORD, full_name=full_name)


@dataclass
class Cast:
    province: OrgUnit
    commune: OrgUnit
    village: OrgUnit
    village2: OrgUnit
    other_commune: OrgUnit
    other_village: OrgUnit
    school: School
    other_school: School
    year: SchoolYear
    calendar: YearCalendar
    class_3a: SchoolClass
    class_4a: SchoolClass
    other_class: SchoolClass
    household: Household
    student: Student  # Đặng Thị Ánh, 3A, Bát Xát
    student_4a: Student  # Nguyễn Văn An, 4A, Bát Xát
    other_student: Student  # Sùng A Páo, Y Tý
    child: ResidentChild
    other_child: ResidentChild
    province_officer: User
    commune_officer: User
    school_leader: User
    teacher: User
    partner: User
    admin: User
    outsider: User


def build_cast() -> Cast:
    g25 = CodeSet.GSO_2025
    province = unit(UnitKind.PROVINCE, "15", "Tỉnh Lào Cai", None, g25)
    commune = unit(UnitKind.COMMUNE, "02683", "Xã Bát Xát", province, g25)
    village = unit(UnitKind.VILLAGE, "BV", "Thôn Bản Vược", commune, CodeSet.LOCAL)
    village2 = unit(UnitKind.VILLAGE, "CM", "Thôn Cốc Mỳ", commune, CodeSet.LOCAL)
    other_commune = unit(UnitKind.COMMUNE, "02701", "Xã Y Tý", province, g25)
    other_village = unit(UnitKind.VILLAGE, "ST", "Thôn Sín Chải", other_commune, CodeSet.LOCAL)

    def school(code: str, name: str, commune_unit: OrgUnit, levels: str) -> School:
        node = unit(UnitKind.SCHOOL, code, name, commune_unit, CodeSet.MOET)
        return School.objects.create(
            unit=node,
            commune=commune_unit,
            name=name,
            levels=levels,
            boarding_type=BoardingType.NONE,
        )

    sch = school("TH-BX", "Trường Tiểu học Bát Xát", commune, "TH")
    other_sch = school("TH-YT", "Trường PTDTBT Tiểu học Y Tý", other_commune, "TH")
    other_sch.boarding_type = BoardingType.PTDTBT
    other_sch.save()

    year = SchoolYear.objects.create(start_year=2026)
    cal = YearCalendar.objects.create(
        school_year=year,
        unit=province,
        term1_start=dt.date(2026, 9, 5),
        term1_end=dt.date(2027, 1, 16),
        term2_start=dt.date(2027, 1, 18),
        term2_end=dt.date(2027, 5, 29),
    )
    CalendarBreak.objects.create(
        calendar=cal,
        kind=BreakKind.TET,
        name="Tết Đinh Mùi",
        start=dt.date(2027, 2, 1),
        end=dt.date(2027, 2, 14),
    )

    users = {
        "province_officer": make_user("phong", "Lê Văn Phong"),
        "commune_officer": make_user("cuc", "Hoàng Thị Cúc"),
        "school_leader": make_user("lan", "Phạm Thị Lan"),
        "teacher": make_user("tam", "Vàng Thị Tâm"),
        "partner": make_user("doan", "Lý Văn Đoàn"),
        "admin": make_user("quan", "Trần Quản"),
        "outsider": make_user("oscar", "Giàng Văn Ốt"),
    }
    class_3a = SchoolClass.objects.create(
        school=sch, school_year=year, grade=3, name="3A", homeroom_teacher=users["teacher"]
    )
    class_4a = SchoolClass.objects.create(school=sch, school_year=year, grade=4, name="4A")
    other_class = SchoolClass.objects.create(school=other_sch, school_year=year, grade=3, name="3A")

    M = Membership.objects
    M.create(user=users["province_officer"], role=Role.PROVINCE_OFFICER, unit=province)
    M.create(user=users["commune_officer"], role=Role.COMMUNE_OFFICER, unit=commune)
    M.create(user=users["school_leader"], role=Role.SCHOOL_LEADER, unit=sch.unit)
    M.create(
        user=users["teacher"], role=Role.HOMEROOM_TEACHER, unit=sch.unit, school_class=class_3a
    )
    M.create(
        user=users["partner"],
        role=Role.PARTNER,
        unit=commune,
        campaign="Tiếp sức đến trường",
        partner_fields="village,class",
        expires_on=dt.date(2027, 6, 30),
    )
    M.create(user=users["admin"], role=Role.ADMIN)
    M.create(user=users["outsider"], role=Role.COMMUNE_OFFICER, unit=other_commune)
    for user in users.values():
        if requires_two_factor(user):
            TOTPDevice.objects.create(
                user=user, secret=TOTP_SECRET, confirmed_at=timezone.now(), last_step=0
            )

    household = Household.objects.create(village=village, head_name="Đặng Văn Sử")
    add_guardian(
        household=household, full_name="Đặng Văn Sử", relationship="father", phone="+84912345678"
    )

    def student(
        fam: str,
        given: str,
        born: dt.date,
        gender: str,
        eth: str,
        vil: OrgUnit,
        serial: int,
        hh: Household | None = None,
    ) -> Student:
        return create_student(
            national_id=make_national_id(
                province=10, birth_year=born.year, gender=gender, serial=serial
            ),
            family_and_middle_name=fam,
            given_name=given,
            birth_date=born,
            gender=gender,
            ethnicity=eth,
            village=vil,
            household=hh,
            poverty="poor" if serial == 1 else "none",
        )

    s1 = student("Đặng Thị", "Ánh", dt.date(2018, 3, 2), "F", "09", village, 1, household)
    s2 = student("Nguyễn Văn", "An", dt.date(2017, 7, 9), "M", "01", village2, 2)
    s3 = student("Sùng A", "Páo", dt.date(2018, 1, 20), "M", "08", other_village, 3)
    start = dt.date(2026, 9, 5)
    enroll_student(student=s1, school_class=class_3a, on=start, by=None)
    enroll_student(student=s2, school_class=class_4a, on=start, by=None)
    enroll_student(student=s3, school_class=other_class, on=start, by=None)

    child = create_resident_child(
        commune=commune,
        village=village,
        family_and_middle_name="Đặng Văn",
        given_name="Bình",
        birth_year=2020,
        gender="M",
        ethnicity="09",
        survey_year=2026,
        schooling="never",
        household=household,
    )
    other_child = create_resident_child(
        commune=other_commune,
        village=other_village,
        family_and_middle_name="Sùng Thị",
        given_name="Mỷ",
        birth_year=2019,
        gender="F",
        ethnicity="08",
        survey_year=2026,
        schooling="never",
    )
    return Cast(
        province=province,
        commune=commune,
        village=village,
        village2=village2,
        other_commune=other_commune,
        other_village=other_village,
        school=sch,
        other_school=other_sch,
        year=year,
        calendar=cal,
        class_3a=class_3a,
        class_4a=class_4a,
        other_class=other_class,
        household=household,
        student=s1,
        student_4a=s2,
        other_student=s3,
        child=child,
        other_child=other_child,
        **users,
    )
