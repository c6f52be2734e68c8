"""Pages: upload (class roster, school, commune register), preview, result; exports."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from dentruong.accounts.models import Role
from dentruong.accounts.scopes import EDITOR_ROLES, scope_for
from dentruong.audit.exports import export_stamp, record_export
from dentruong.audit.requests import own_transactions
from dentruong.imports import columns as C
from dentruong.imports import exports
from dentruong.imports.access import (
    class_for_import,
    commune_for_import,
    get_batch_for_user,
    get_commune_for_user,
    may_export,
    school_for_import,
)
from dentruong.imports.forms import ChildrenUploadForm, SchoolUploadForm, UploadForm
from dentruong.imports.models import BatchStatus, ImportKind
from dentruong.imports.readers import FileRejected
from dentruong.imports.services import ImportRefused, Target, confirm_import, preview_import
from dentruong.mobilization.access import sees_family_situation
from dentruong.orgs.access import classes_for_user, get_class_for_user, get_school_for_user
from dentruong.orgs.models import OrgUnit, School, SchoolYear, UnitKind
from dentruong.people.access import resident_children_for_user

ROWS_PER_PAGE = 200
CHANGE_LABELS = {
    "family_and_middle_name": C.LABELS[C.FAMILY],
    "village_id": C.LABELS[C.VILLAGE],
    "class": C.LABELS[C.CLASS_NAME],
    "guardian": C.LABELS[C.GUARDIAN_NAME],
    "guardian_phone": C.LABELS[C.GUARDIAN_PHONE],
    "survey_year": _("Survey year"),
    **C.LABELS,
}
MAX_PROBLEMS_SHOWN = 1000


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "front/forbidden.html", status=403)


@login_required
def import_home(request: HttpRequest) -> HttpResponse:
    """What the user may import into: their classes, schools, communes."""
    scope = scope_for(request.user)
    editors = [g for g in scope.unit_grants() if g.role in EDITOR_ROLES]
    officers = [g for g in scope.unit_grants() if g.role == Role.COMMUNE_OFFICER]
    if scope.is_admin:
        schools = School.objects.all()
        communes = OrgUnit.objects.filter(kind=UnitKind.COMMUNE)
    else:
        schools = School.objects.filter(scope.path_q("unit__path", editors))
        communes = OrgUnit.objects.filter(scope.path_q("path", officers), kind=UnitKind.COMMUNE)
    classes = classes_for_user(request.user).filter(pk__in=scope.class_ids())
    return render(
        request,
        "imports/home.html",
        {
            "classes": classes.select_related("school", "school_year")[:50],
            "schools": schools.order_by("name")[:100],
            "communes": communes.order_by("name")[:100],
        },
    )


def _upload(
    request: HttpRequest,
    form: UploadForm,
    make_target: Any,
    context: dict[str, Any],
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = preview_import(
                target=make_target(form.cleaned_data),
                data=upload.read(),
                file_name=upload.name or "",
                user=request.user,  # type: ignore[arg-type]
                sheet=form.cleaned_data.get("sheet") or None,
            )
        except FileRejected as e:
            form.add_error("file", e.message)
        else:
            return redirect("import-batch", pk=batch.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "imports/upload.html", {"form": form, **context}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@own_transactions
def import_class(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        school_class = class_for_import(request.user, pk)
    except PermissionDenied:
        return _forbidden(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    return _upload(
        request,
        form,
        lambda data: Target(kind=ImportKind.CLASS_LIST, school_class=school_class),
        {
            "kind": ImportKind.CLASS_LIST,
            "target_name": f"{school_class.name} · {school_class.school.name}",
            "export_url": "export-class",
            "target_pk": school_class.pk,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@own_transactions
def import_school(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        school = school_for_import(request.user, pk)
    except PermissionDenied:
        return _forbidden(request)
    form = SchoolUploadForm(
        request.POST or None,
        request.FILES or None,
        initial={"school_year": SchoolYear.objects.order_by("-start_year").first()},
    )
    return _upload(
        request,
        form,
        lambda data: Target(
            kind=ImportKind.STUDENTS, school=school, school_year=data["school_year"]
        ),
        {
            "kind": ImportKind.STUDENTS,
            "target_name": school.name,
            "export_url": "export-school",
            "target_pk": school.pk,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@own_transactions
def import_children(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        commune = commune_for_import(request.user, pk)
    except PermissionDenied:
        return _forbidden(request)
    form = ChildrenUploadForm(request.POST or None, request.FILES or None)
    return _upload(
        request,
        form,
        lambda data: Target(
            kind=ImportKind.CHILDREN, commune=commune, survey_year=data["survey_year"]
        ),
        {
            "kind": ImportKind.CHILDREN,
            "target_name": commune.name,
            "export_url": "export-children",
            "target_pk": commune.pk,
        },
    )


@login_required
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The preview (waiting for confirmation) or the result (imported)."""
    batch = get_batch_for_user(request.user, pk)
    summary = batch.summary or {}
    page = Paginator(summary.get("rows", []), ROWS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = [
        [row, op, [str(CHANGE_LABELS.get(c, c)) for c in changes], name, born]
        for row, op, changes, name, born in page.object_list
    ]
    return render(
        request,
        "imports/batch.html",
        {
            "batch": batch,
            "waiting": batch.status == BatchStatus.PREVIEWED,
            "summary": summary,
            "page": page,
            "problems": batch.problems[:MAX_PROBLEMS_SHOWN],
            "problem_count": len(batch.problems),
            "fields": (batch.columns or {}).get("fields", {}),
            "ignored": (batch.columns or {}).get("ignored", []),
            "encodings": (batch.columns or {}).get("encodings", {}),
        },
    )


@login_required
@require_http_methods(["POST"])
@own_transactions
def batch_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_batch_for_user(request.user, pk)
    try:
        confirm_import(batch=batch, user=request.user)  # type: ignore[arg-type]
    except ImportRefused:
        pass  # the problems are on the batch; its page shows them
    return redirect("import-batch", pk=batch.pk)


def _xlsx(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=exports.XLSX)
    response["Content-Disposition"] = f'attachment; filename="{slugify(name) or "danh-sach"}.xlsx"'
    return response


@login_required
def export_class(request: HttpRequest, pk: int) -> HttpResponse:
    school_class = get_class_for_user(request.user, pk)
    if not may_export(request.user):
        return _forbidden(request)
    stamp = export_stamp(request, object_type="class", object_id=school_class.pk, detail="xlsx")
    data = exports.class_list_xlsx(school_class, stamp=stamp)
    record_export(stamp)
    return _xlsx(data, f"lop-{school_class.name}")


def school_year_for(school: School, start_year: str | None) -> SchoolYear:
    years = SchoolYear.objects.filter(classes__school=school).distinct()
    if start_year and start_year.isdigit():
        found = years.filter(start_year=int(start_year)).first()
    else:
        found = years.order_by("-start_year").first()
    if found is None:
        raise Http404
    return found


@login_required
def export_school(request: HttpRequest, pk: int) -> HttpResponse:
    school = get_school_for_user(request.user, pk)
    scope = scope_for(request.user)
    if not may_export(request.user) or not scope.covers_path(school.unit.path):
        return _forbidden(request)
    year = school_year_for(school, request.GET.get("year"))
    stamp = export_stamp(request, object_type="school", object_id=school.pk, detail="xlsx")
    data = exports.school_students_xlsx(school, year, stamp=stamp)
    record_export(stamp)
    return _xlsx(data, f"{school.name}-{year.start_year}")


@login_required
def export_children(request: HttpRequest, pk: int) -> HttpResponse:
    commune = get_commune_for_user(request.user, pk)
    children = resident_children_for_user(request.user).filter(commune=commune)
    if not may_export(request.user):
        return _forbidden(request)
    stamp = export_stamp(request, object_type="unit", object_id=commune.pk, detail="xlsx")
    family = sees_family_situation(request.user, commune.path)
    data = exports.children_xlsx(commune, children, stamp=stamp, family=family)
    record_export(stamp)
    return _xlsx(data, f"tre-em-{commune.name}")
