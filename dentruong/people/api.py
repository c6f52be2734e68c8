"""/api/v1/ endpoints for the registers. Same access helpers and forms as the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from dentruong.accounts.models import Role
from dentruong.accounts.scopes import scope_for
from dentruong.api_common import FieldError, ValidationErrors
from dentruong.audit.requests import record_view_child
from dentruong.orgs.access import get_class_for_user, schools_for_user, villages_for_user
from dentruong.people import services
from dentruong.people.access import (
    get_resident_child_for_user,
    get_student_for_user,
    partner_fields,
    resident_children_for_user,
    students_for_user,
)
from dentruong.people.forms import StudentForm
from dentruong.people.models import Household, ResidentChild, Student
from dentruong.people.selectors import count_capped, search_students

router = Router(tags=["registers"])
MAX_LIMIT = 200


class StudentOut(Schema):
    id: int
    family_and_middle_name: str
    given_name: str
    village_id: int | None = None
    school_id: int | None = None
    national_id: str | None = None
    birth_date: dt.date | None = None
    gender: str | None = None
    ethnicity: str | None = None


class StudentPage(Schema):
    count: int
    more: bool = Field(description="True when count was capped and there are more rows")
    items: list[StudentOut]


class StudentIn(Schema):
    national_id: str
    family_and_middle_name: str
    given_name: str
    birth_date: str = Field(description="dd/mm/yyyy or yyyy-mm-dd")
    gender: str
    ethnicity: str
    village_id: int
    boarding: bool = False
    distance_km: Decimal | None = None
    poverty: str = "none"
    disability: str = ""


class ChildOut(Schema):
    id: int
    family_and_middle_name: str
    given_name: str
    birth_year: int
    gender: str
    village_id: int
    schooling: str
    student_id: int | None


class SchoolOut(Schema):
    id: int
    name: str
    levels: str
    boarding_type: str
    commune_id: int


def student_out(student: Student, fields: set[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": student.pk,
        "family_and_middle_name": student.family_and_middle_name,
        "given_name": student.given_name,
    }
    if fields is None or "village" in fields:
        out["village_id"] = student.village_id
    if fields is None or "class" in fields:
        out["school_id"] = student.school_id
    if fields is None:
        out |= {
            "national_id": student.national_id,
            "birth_date": student.birth_date,
            "gender": student.gender,
            "ethnicity": student.ethnicity,
        }
    return out


@router.get("/students", response=StudentPage)
def list_students(
    request: HttpRequest,
    q: str = "",
    school_id: int | None = None,
    offset: int = 0,
    limit: int = 50,
) -> dict[str, Any]:
    limit = max(1, min(limit, MAX_LIMIT))
    qs = students_for_user(request.user)
    if q:
        qs = search_students(qs, q)
    if school_id is not None:
        qs = qs.filter(school_id=school_id)
    count, more = count_capped(qs, cap=max(offset, 0) + 10 * limit)
    fields = partner_fields(request.user)
    rows = qs.order_by("sort_key", "pk")[max(offset, 0) : max(offset, 0) + limit]
    return {"count": count, "more": more, "items": [student_out(s, fields) for s in rows]}


@router.get("/students/{student_id}", response=StudentOut)
def get_student(request: HttpRequest, student_id: int) -> dict[str, Any]:
    student = get_student_for_user(request.user, student_id)
    record_view_child(request, student=student)
    return student_out(student, partner_fields(request.user))


@router.post("/students", response={201: StudentOut, 403: FieldError, 422: ValidationErrors})
def create_student(request: HttpRequest, payload: StudentIn) -> Status[dict[str, Any]]:
    scope = scope_for(request.user)
    if not scope.roles & {Role.SCHOOL_LEADER, Role.COMMUNE_OFFICER}:
        return Status(403, {"message": "not allowed to create students", "code": "forbidden"})
    data = payload.dict()
    data["village"] = data.pop("village_id")
    villages = villages_for_user(request.user)
    form = StudentForm(data, villages=villages, sensitive=True)
    if not form.is_valid():
        return Status(422, {"errors": form.errors.get_json_data()})
    clean = form.cleaned_data
    household = Household.objects.create(
        village=clean["village"], head_name=clean["family_and_middle_name"]
    )
    student = services.create_student(household=household, **clean)
    return Status(201, student_out(student, None))


@router.get("/schools", response=list[SchoolOut])
def list_schools(request: HttpRequest) -> list[Any]:
    return list(schools_for_user(request.user).order_by("name")[:1000])


@router.get("/classes/{class_id}/students", response=list[StudentOut])
def class_students(request: HttpRequest, class_id: int) -> list[dict[str, Any]]:
    school_class = get_class_for_user(request.user, class_id)
    fields = partner_fields(request.user)
    roster = (
        students_for_user(request.user)
        .filter(enrollments__school_class=school_class, enrollments__end_date__isnull=True)
        .order_by("sort_key", "pk")
    )
    return [student_out(s, fields) for s in roster]


@router.get("/resident-children", response=list[ChildOut])
def list_children(
    request: HttpRequest, birth_year: int | None = None, offset: int = 0, limit: int = 50
) -> list[ResidentChild]:
    limit = max(1, min(limit, MAX_LIMIT))
    qs = resident_children_for_user(request.user)
    if birth_year is not None:
        qs = qs.filter(birth_year=birth_year)
    return list(qs.order_by("sort_key", "pk")[max(offset, 0) : max(offset, 0) + limit])


@router.get("/resident-children/{child_id}", response=ChildOut)
def get_child(request: HttpRequest, child_id: int) -> ResidentChild:
    child = get_resident_child_for_user(request.user, child_id)
    record_view_child(request, child=child)
    return child
