"""The demo builder on a small world (600 students): shape, invariants, determinism,
idempotence, and the command's argument checks."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count
from django.test import Client

from dentruong.accounts.models import Membership, Role, User
from dentruong.audit.models import AuditEvent
from dentruong.demo import builder
from dentruong.demo.builder import DemoResult, build_demo, plan_communes
from dentruong.enrollment.models import Enrollment, EnrollmentEvent
from dentruong.enrollment.services import bulk_enroll
from dentruong.lib.national_id import validate_national_id
from dentruong.orgs.models import OrgUnit, School, SchoolClass, YearCalendar
from dentruong.people.models import (
    Guardian,
    Household,
    NameToken,
    ResidentChild,
    SensitiveFacts,
    Student,
)
from dentruong.people.services import name_tokens

SMALL = 600
PHONE = re.compile(r"^\+84\d{9,10}$")


def build(
    seed: int = 7, students: int = SMALL, fresh: bool = False, history: bool = False
) -> DemoResult:
    """The registers only, unless `history` (that part: test_history.py)."""
    return build_demo(
        seed=seed, students=students, stdout=io.StringIO(), fresh=fresh, history=history
    )


def digest() -> str:
    """A fingerprint of the people data that does not depend on database ids."""
    h = hashlib.sha256()
    students = Student.objects.order_by("national_id").values_list(
        "national_id",
        "family_and_middle_name",
        "given_name",
        "birth_date",
        "gender",
        "ethnicity",
        "village__path",
        "school__unit__code",
        "boarding",
        "distance_km",
        "household__head_name",
    )
    for row in students:
        h.update(repr(row).encode())
    for row in Enrollment.objects.order_by("student__national_id").values_list(
        "student__national_id", "school_class__name", "school_class__school__unit__code"
    ):
        h.update(repr(row).encode())
    for row in Guardian.objects.order_by("household__head_name", "full_name", "phone").values_list(
        "household__head_name", "full_name", "relationship", "phone"
    ):
        h.update(repr(row).encode())
    for row in ResidentChild.objects.order_by("sort_key", "birth_date", "national_id").values_list(
        "family_and_middle_name", "given_name", "birth_date", "schooling", "national_id", "notes"
    ):
        h.update(repr(row).encode())
    return h.hexdigest()


@pytest.fixture(scope="class")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[DemoResult]:
    """One build shared by the read-only tests of a class, rolled back afterwards."""
    with django_db_blocker.unblock():
        with transaction.atomic():
            result = build()
            yield result
            transaction.set_rollback(True)


@pytest.mark.django_db
class TestWorld:
    def test_shape(self, world: DemoResult) -> None:
        assert world.created
        assert Student.objects.count() == SMALL
        bat_xat = OrgUnit.objects.get(code_set="GSO-2025", kind="commune", code="02683")
        assert bat_xat.path == "15/02683/" and bat_xat.depth == 1
        assert bat_xat.parent is not None and bat_xat.parent.path == "15/"
        villages = OrgUnit.objects.filter(parent=bat_xat, kind="village")
        assert villages.count() == 10
        assert all(v.code_set == "local" and v.path.startswith("15/02683/") for v in villages)
        schools = School.objects.filter(commune=bat_xat)
        assert schools.count() == 6
        assert all(s.unit.kind == "school" and s.unit.code_set == "MOET" for s in schools)
        levels = Counter(s.levels for s in schools)
        assert levels["TH"] == 2 and levels["THCS"] == 2 and levels["TH,THCS"] == 2
        assert schools.filter(boarding_type="ptdtbt", levels="TH,THCS").count() == 1
        y_ty = OrgUnit.objects.get(code="02701", kind="commune")
        assert y_ty.path == "15/02701/"
        assert 0 < Student.objects.filter(school__commune=y_ty).count() < 100
        calendar = YearCalendar.objects.get(unit__path="15/", school_year__start_year=2026)
        assert calendar.term1_start == dt.date(2026, 9, 5)
        assert calendar.term2_end == dt.date(2027, 5, 29)
        tet = calendar.breaks.get(kind="tet")
        assert tet.start <= dt.date(2027, 2, 6) <= tet.end
        assert calendar.breaks.filter(start=dt.date(2027, 4, 16)).exists()

    def test_classes(self, world: DemoResult) -> None:
        classes = SchoolClass.objects.annotate(n=Count("enrollments"))
        assert classes.count() == world.classes
        assert max(c.n for c in classes) <= builder.CLASS_MAX
        for c in classes.select_related("homeroom_teacher", "school"):
            assert c.homeroom_teacher is not None
            assert c.homeroom_teacher.username.startswith("gv.")
            assert c.has_morning
            if c.grade >= 6:
                assert not c.has_afternoon
            assert c.grade in (range(1, 6) if "THCS" not in c.school.levels else range(1, 10))

    def test_demo_logins_and_roles(self, world: DemoResult) -> None:
        roles = Counter(Membership.objects.values_list("role", flat=True))
        assert roles[Role.PROVINCE_OFFICER] == 1
        assert roles[Role.COMMUNE_OFFICER] == 2  # Bát Xát and the outsider in Y Tý
        assert roles[Role.SCHOOL_LEADER] == 1
        assert roles[Role.PARTNER] == 1
        assert roles[Role.ADMIN] == 1
        assert roles[Role.HOMEROOM_TEACHER] == SchoolClass.objects.count()
        logins = {x.role: x for x in world.logins}
        assert set(logins) == set(Role.values)
        assert len(world.logins) == 7
        for login in world.logins:
            assert len(login.password) >= 10
            user = User.objects.get(username=login.username)
            assert user.check_password(login.password), login.username
        teacher = User.objects.get(username=logins[Role.HOMEROOM_TEACHER].username)
        m = teacher.memberships.get()
        assert m.school_class is not None and m.school_class.name == "3A"
        assert m.unit == m.school_class.school.unit
        assert m.school_class.homeroom_teacher == teacher
        leader = Membership.objects.get(role=Role.SCHOOL_LEADER)
        assert leader.unit == m.unit  # the teacher's class is in the leader's school
        partner = Membership.objects.get(role=Role.PARTNER)
        assert partner.expires_on == dt.date(2027, 6, 30)
        assert partner.partner_field_list == ["village", "class"] and partner.campaign
        assert partner.unit is not None and partner.unit.code == "02683"
        admin = Membership.objects.get(role=Role.ADMIN)
        assert admin.unit is None and admin.user.is_superuser and admin.user.is_staff
        outsider = User.objects.get(username="xa.yty").memberships.get()
        assert outsider.role == Role.COMMUNE_OFFICER
        assert outsider.unit is not None and outsider.unit.path == "15/02701/"
        # Teachers without printed passwords cannot log in.
        assert not User.objects.get(
            username__startswith="gv.", username__endswith=".1a", memberships__unit=m.unit
        ).has_usable_password()

    def test_every_student_enrolled_once_with_an_event(self, world: DemoResult) -> None:
        assert Enrollment.objects.count() == SMALL
        assert not Student.objects.annotate(n=Count("enrollments")).exclude(n=1).exists()
        events = {
            (e.student_id, e.school_class_id)
            for e in EnrollmentEvent.objects.filter(kind="enrolled", date=builder.START)
        }
        assert EnrollmentEvent.objects.count() == SMALL
        enrollments = Enrollment.objects.select_related("student", "school_class")
        for e in enrollments:
            assert e.end_date is None and e.start_date == builder.START
            assert (e.student_id, e.school_class_id) in events
            assert e.student.school_id == e.school_class.school_id

    def test_people_are_plausible(self, world: DemoResult) -> None:
        over_age = 0
        for s in Student.objects.select_related("sensitive").prefetch_related("enrollments"):
            validate_national_id(s.national_id, birth_date=s.birth_date, gender=s.gender)
            assert s.national_id[:3] == "010"
            grade = s.enrollments.all()[0].school_class.grade
            assert s.birth_date is not None
            age = 2026 - s.birth_date.year
            assert age - grade in (5, 6, 7)
            over_age += age - grade > 5
            assert s.distance_km is not None and s.distance_km >= 0
            assert s.sensitive.poverty in {"none", "poor", "near_poor"}
            assert {t.token for t in s.name_tokens.all()} == {t.token for t in name_tokens(s)}
        assert 0 < over_age < SMALL * 0.15
        poverty = Counter(SensitiveFacts.objects.values_list("poverty", flat=True))
        assert 0.1 < poverty["poor"] / SMALL < 0.35
        assert NameToken.objects.values("student").distinct().count() == SMALL
        assert Student.objects.values("ethnicity").distinct().count() >= 5

    def test_names_are_nfc(self, world: DemoResult) -> None:
        texts: list[str] = []
        for fam, given, search in Student.objects.values_list(
            "family_and_middle_name", "given_name", "search_name"
        ):
            texts += [fam, given]
            assert search == search.lower() and search.isascii()
        texts += list(ResidentChild.objects.values_list("given_name", flat=True))
        texts += list(ResidentChild.objects.values_list("notes", flat=True))
        texts += list(Guardian.objects.values_list("full_name", flat=True))
        texts += list(Household.objects.values_list("address", flat=True))
        texts += list(OrgUnit.objects.values_list("name", flat=True))
        texts += list(User.objects.values_list("full_name", flat=True))
        assert all(t == unicodedata.normalize("NFC", t) for t in texts)
        assert any("Đ" in t or "đ" in t for t in texts)

    def test_guardians(self, world: DemoResult) -> None:
        phones = [p for p in Guardian.objects.values_list("phone", flat=True) if p]
        assert phones and all(PHONE.match(p) for p in phones)
        assert all(p.startswith(("+849", "+843")) for p in phones)
        assert not Household.objects.annotate(n=Count("guardians")).filter(n=0).exists()

    def test_resident_children(self, world: DemoResult) -> None:
        assert not Student.objects.filter(resident_record__isnull=True).exists()
        linked = ResidentChild.objects.filter(student__isnull=False).select_related("student")
        for child in linked:
            assert child.schooling == "in_school"
            assert child.national_id == child.student.national_id
            assert child.birth_year == child.student.birth_date.year  # type: ignore[union-attr]
            assert child.survey_year == 2026
        status = Counter(ResidentChild.objects.values_list("schooling", flat=True))
        assert status["in_school"] == SMALL
        assert status["not_yet"] > 0
        out = status["dropped_out"] + status["never"] + status["moved"]
        assert 0 < out <= SMALL * 0.05
        for child in ResidentChild.objects.filter(schooling__in=["dropped_out", "never", "moved"]):
            assert child.notes and child.student_id is None
            assert 6 <= 2026 - child.birth_year <= 16
        assert not ResidentChild.objects.filter(schooling="not_yet", birth_year__lt=2020).exists()


@pytest.mark.django_db
def test_same_seed_same_data_other_seed_other_data() -> None:
    with transaction.atomic():
        build(seed=3)
        first = digest()
        ids = set(Student.objects.values_list("national_id", flat=True))
        transaction.set_rollback(True)
    with transaction.atomic():
        build(seed=3)
        assert digest() == first
        transaction.set_rollback(True)
    build(seed=4)
    assert digest() != first
    assert set(Student.objects.values_list("national_id", flat=True)) != ids


@pytest.mark.django_db
def test_second_run_does_not_duplicate_and_fresh_rebuilds() -> None:
    out = io.StringIO()
    call_command("load_demo", "--students", str(SMALL), "--seed", "5", stdout=out)
    assert "so.laocai" in out.getvalue() and "quantri" in out.getvalue()
    counts = (Student.objects.count(), User.objects.count(), OrgUnit.objects.count())
    first = digest()
    out = io.StringIO()
    call_command("load_demo", "--students", str(SMALL), "--seed", "5", stdout=out)
    assert "already loaded" in out.getvalue()
    assert "so.laocai" in out.getvalue()  # the logins are printed again
    assert (Student.objects.count(), User.objects.count(), OrgUnit.objects.count()) == counts
    call_command("load_demo", "--students", str(SMALL), "--seed", "5", "--fresh", stdout=out)
    assert (Student.objects.count(), User.objects.count(), OrgUnit.objects.count()) == counts
    assert digest() == first


@pytest.mark.django_db
def test_fresh_refuses_when_real_users_work_there() -> None:
    build()
    real = User.objects.create_user(username="chi.hoa", password="x" * 12)
    commune = OrgUnit.objects.get(code="02683", kind="commune")
    Membership.objects.create(user=real, role=Role.COMMUNE_OFFICER, unit=commune)
    with pytest.raises(CommandError, match="chi.hoa"):
        call_command("load_demo", "--students", str(SMALL), "--fresh", stdout=io.StringIO())
    assert Student.objects.count() == SMALL


@pytest.mark.django_db
def test_a_half_built_demo_asks_for_fresh() -> None:
    build()
    User.objects.filter(username="quantri").delete()  # as if the last step never ran
    with pytest.raises(CommandError, match="--fresh"):
        call_command("load_demo", "--students", str(SMALL), stdout=io.StringIO())
    call_command("load_demo", "--students", str(SMALL), "--fresh", stdout=io.StringIO())
    assert User.objects.filter(username="quantri", is_superuser=True).exists()
    assert Student.objects.count() == SMALL


@pytest.mark.django_db
def test_works_with_units_already_loaded() -> None:
    """`load_units` may have made the province and communes first: reuse them."""
    province = OrgUnit.objects.create(
        kind="province",
        code="15",
        code_set="GSO-2025",
        name="Tỉnh Lào Cai",
        path="15/",
        depth=0,
    )
    OrgUnit.objects.create(
        kind="commune",
        code="02683",
        code_set="GSO-2025",
        name="Xã Bát Xát",
        parent=province,
        path="15/02683/",
        depth=1,
    )
    build()
    assert OrgUnit.objects.filter(kind="province").count() == 1
    assert OrgUnit.objects.filter(kind="commune", code="02683").count() == 1


@pytest.mark.parametrize("students", ["99", "3000001", "-5"])
def test_bad_student_counts_are_refused(students: str) -> None:
    with pytest.raises(CommandError, match="between"):
        call_command("load_demo", "--students", students, stdout=io.StringIO())


def test_province_plan() -> None:
    """The province shape, planned without a database: every commune of Lào Cai."""
    plans = plan_communes(1, 700_000)
    assert len(plans) == 99
    assert plans[0][0].code == "02683"
    assert sum(p.students for p, _ in plans) == 700_000
    for plan, _ in plans:
        assert sum(v.quota for v in plan.villages) == plan.students
        served = {v for s in plan.schools for v in s.primary_from}
        assert served == set(range(len(plan.villages)))
        secondary = {v for s in plan.schools for v in s.secondary_from}
        assert secondary == set(range(len(plan.villages)))
        assert len({s.code for s in plan.schools}) == len(plan.schools)
    assert plan_communes(1, 700_000)[5][0] == plans[5][0]


@pytest.mark.django_db
def test_bulk_enroll(cast: object) -> None:
    from tests.cast import Cast

    assert isinstance(cast, Cast)
    later = dt.date(2026, 10, 1)
    n = bulk_enroll(
        pairs=[(cast.student, cast.class_4a), (cast.other_student, cast.class_3a)],
        on=later,
        by=cast.teacher,
    )
    assert n == 2
    closed = Enrollment.objects.get(student=cast.student, end_date=later)
    assert closed.school_class == cast.class_3a
    assert Enrollment.objects.get(student=cast.student, end_date__isnull=True).school_class == (
        cast.class_4a
    )
    moved = Student.objects.get(pk=cast.other_student.pk)
    assert moved.school_id == cast.class_3a.school_id == cast.other_student.school_id
    event = EnrollmentEvent.objects.get(student=cast.other_student, date=later)
    assert event.kind == "enrolled" and event.recorded_by == cast.teacher
    with pytest.raises(ValueError):
        bulk_enroll(
            pairs=[(cast.student, cast.class_4a), (cast.student, cast.class_3a)], on=later, by=None
        )


@pytest.mark.django_db
def test_demo_officers_log_in_with_the_demo_code(client: Client) -> None:
    build()
    out = io.StringIO()
    call_command("demo_code", "xa.batxat", stdout=out)
    code = out.getvalue().strip()
    assert len(code) == 6 and code.isdigit()
    response = client.post("/login/", {"username": "xa.batxat", "password": "UBND-BatXat-2026!"})
    assert response.status_code == 302 and response["Location"].endswith("/login/code/")
    response = client.post("/login/code/", {"code": code})
    assert response.status_code == 302 and "/login/" not in response["Location"]
    with pytest.raises(CommandError, match="not a demo officer"):
        call_command("demo_code", "bgh.thbatxat", stdout=io.StringIO())


@pytest.mark.django_db
def test_fresh_retires_users_the_audit_log_names() -> None:
    build()
    leader = User.objects.get(username="bgh.thbatxat")
    AuditEvent.objects.create(
        user=leader,
        action="view_child",
        object_type="student",
        object_id=1,
        method="GET",
        path="/x/",
    )
    call_command("load_demo", "--students", str(SMALL), "--fresh", stdout=io.StringIO())
    retired = User.objects.get(pk=leader.pk)
    assert not retired.is_active and not retired.has_usable_password()
    assert retired.username.startswith("bgh.thbatxat~retired")
    assert AuditEvent.objects.filter(user=retired).count() == 1
    assert User.objects.get(username="bgh.thbatxat").pk != leader.pk  # a new demo leader
