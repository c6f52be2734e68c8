"""/api/v1/imports: upload (preview), confirm, read; Excel exports. Same access helpers
and services as the pages."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from dentruong.accounts.scopes import scope_for
from dentruong.audit.exports import export_stamp, record_export
from dentruong.audit.requests import own_transactions
from dentruong.imports import exports
from dentruong.imports.access import (
    class_for_import,
    commune_for_import,
    get_batch_for_user,
    get_commune_for_user,
    may_export,
    school_for_import,
)
from dentruong.imports.models import ImportBatch, ImportKind
from dentruong.imports.readers import FileRejected
from dentruong.imports.services import ImportRefused, Target, confirm_import, preview_import
from dentruong.imports.views import school_year_for
from dentruong.mobilization.access import sees_family_situation
from dentruong.orgs.access import get_class_for_user, get_school_for_user
from dentruong.orgs.models import SchoolYear
from dentruong.people.access import resident_children_for_user
from dentruong.people.api import FieldError, ValidationErrors

router = Router(tags=["imports"])


class ProblemOut(Schema):
    row: int
    column: str
    code: str
    message: str


class RowOut(Schema):
    row: int
    action: str
    changes: list[str]
    name: str
    born: str | int | None


class ImportOut(Schema):
    id: int
    kind: str
    status: str
    file_name: str
    file_sha256: str
    sheet: str
    sheets: list[str]
    columns: dict[str, str]
    encodings: dict[str, str]
    create: int
    update: int
    unchanged: int
    rows: list[RowOut]
    problems: list[ProblemOut]


class RefusedOut(Schema):
    errors: dict[str, list[FieldError]]
    problems: list[ProblemOut]


def import_out(batch: ImportBatch) -> dict[str, Any]:
    summary = batch.summary or {}
    columns = batch.columns or {}
    return {
        "id": batch.pk,
        "kind": batch.kind,
        "status": batch.status,
        "file_name": batch.file_name,
        "file_sha256": batch.file_sha256,
        "sheet": batch.sheet,
        "sheets": columns.get("sheets", []),
        "columns": columns.get("fields", {}),
        "encodings": columns.get("encodings", {}),
        "create": summary.get("create", 0),
        "update": summary.get("update", 0),
        "unchanged": summary.get("unchanged", 0),
        "rows": [
            {"row": r, "action": op, "changes": ch, "name": name, "born": born}
            for r, op, ch, name, born in summary.get("rows", [])
        ],
        "problems": batch.problems,
    }


def _error(field: str, code: str, message: str) -> dict[str, Any]:
    return {"errors": {field: [{"message": message, "code": code}]}}


@router.post(
    "/imports",
    response={201: ImportOut, 403: FieldError, 422: ValidationErrors},
    summary="Upload a spreadsheet: parse and check it, nothing is saved yet",
)
@own_transactions
def create_import(
    request: HttpRequest,
    file: File[UploadedFile],
    kind: Form[str],
    target_id: Form[int],
    sheet: Form[str] = "",
    school_year: Form[int | None] = None,
    survey_year: Form[int | None] = None,
) -> Status[dict[str, Any]]:
    """`kind`: class_list (target = class id), students (target = school id, with
    `school_year` = its start year, default the latest), children (target = commune id,
    with `survey_year`, default this year). The answer lists every row's action and every
    problem `{row, column, code, message}`; confirm with POST /imports/{id}/confirm."""
    user = request.user
    try:
        if kind == ImportKind.CLASS_LIST:
            target = Target(kind=kind, school_class=class_for_import(user, target_id))
        elif kind == ImportKind.STUDENTS:
            school = school_for_import(user, target_id)
            years = SchoolYear.objects.order_by("-start_year")
            year = years.filter(start_year=school_year).first() if school_year else years.first()
            if year is None:
                return Status(422, _error("school_year", "invalid", "unknown school year"))
            target = Target(kind=kind, school=school, school_year=year)
        elif kind == ImportKind.CHILDREN:
            target = Target(
                kind=kind,
                commune=commune_for_import(user, target_id),
                survey_year=survey_year or timezone.localdate().year,
            )
        else:
            return Status(
                422,
                _error("kind", "invalid", "kind must be class_list, students or children"),
            )
    except PermissionDenied:
        return Status(403, {"message": "not allowed to import here", "code": "forbidden"})
    if file.size is not None and file.size > settings.IMPORT_MAX_FILE_BYTES:
        return Status(422, _error("file", "too_large", "the file is too large"))
    try:
        batch = preview_import(
            target=target,
            data=file.read(),
            file_name=file.name or "",
            user=user,  # type: ignore[arg-type]
            sheet=sheet or None,
        )
    except FileRejected as e:
        return Status(422, _error("file", e.code, e.message))
    return Status(201, import_out(batch))


@router.get("/imports/{import_id}", response=ImportOut)
def get_import(request: HttpRequest, import_id: int) -> dict[str, Any]:
    return import_out(get_batch_for_user(request.user, import_id))


@router.post(
    "/imports/{import_id}/confirm",
    response={200: ImportOut, 422: RefusedOut},
    summary="Write the checked rows: all of them in one transaction, or none",
)
@own_transactions
def confirm_import_api(request: HttpRequest, import_id: int) -> Status[dict[str, Any]]:
    batch = get_batch_for_user(request.user, import_id)
    try:
        batch = confirm_import(batch=batch, user=request.user)  # type: ignore[arg-type]
    except ImportRefused as refused:
        if refused.code == "not_waiting":
            body = _error("__all__", "not_waiting", "this import is not waiting for confirmation")
            return Status(422, {**body, "problems": []})
        return Status(
            422,
            {
                "errors": {
                    "file": [{"message": p["message"], "code": p["code"]} for p in refused.problems]
                },
                "problems": refused.problems,
            },
        )
    return Status(200, import_out(batch))


def _xlsx(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=exports.XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


@router.get("/classes/{class_id}/students.xlsx", response={200: None, 403: FieldError})
def export_class_api(request: HttpRequest, class_id: int, purpose: str | None = None) -> Any:
    """The class list; `purpose` (why the list is taken) is required: 422 without it."""
    school_class = get_class_for_user(request.user, class_id)
    if not may_export(request.user):
        return Status(403, {"message": "not allowed to export", "code": "forbidden"})
    stamp = export_stamp(request, object_type="class", object_id=school_class.pk, detail="xlsx")
    data = exports.class_list_xlsx(school_class, stamp=stamp)
    record_export(stamp)
    return _xlsx(data, f"class-{school_class.pk}")


@router.get("/schools/{school_id}/students.xlsx", response={200: None, 403: FieldError})
def export_school_api(
    request: HttpRequest, school_id: int, year: int | None = None, purpose: str | None = None
) -> Any:
    """The school's students; `purpose` (why the list is taken) is required: 422 without."""
    school = get_school_for_user(request.user, school_id)
    if not may_export(request.user) or not scope_for(request.user).covers_path(school.unit.path):
        return Status(403, {"message": "not allowed to export", "code": "forbidden"})
    school_year = school_year_for(school, str(year) if year else None)
    stamp = export_stamp(request, object_type="school", object_id=school.pk, detail="xlsx")
    data = exports.school_students_xlsx(school, school_year, stamp=stamp)
    record_export(stamp)
    return _xlsx(data, f"school-{school.pk}")


@router.get("/communes/{commune_id}/children.xlsx", response={200: None, 403: FieldError})
def export_children_api(request: HttpRequest, commune_id: int, purpose: str | None = None) -> Any:
    """The commune's register; `purpose` (why the list is taken) is required: 422 without."""
    commune = get_commune_for_user(request.user, commune_id)
    if not may_export(request.user):
        return Status(403, {"message": "not allowed to export", "code": "forbidden"})
    children = resident_children_for_user(request.user).filter(commune=commune)
    stamp = export_stamp(request, object_type="unit", object_id=commune.pk, detail="xlsx")
    family = sees_family_situation(request.user, commune.path)
    data = exports.children_xlsx(commune, children, stamp=stamp, family=family)
    record_export(stamp)
    return _xlsx(data, f"children-{commune.pk}")
