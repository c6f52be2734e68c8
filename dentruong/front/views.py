"""HTML pages. Views stay thin: fetch through the access helpers, validate with a form,
write through a service, render."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from django_htmx.middleware import HtmxDetails

from dentruong.accounts.models import Membership, Role, User
from dentruong.accounts.scopes import scope_for
from dentruong.audit.requests import record_view_child
from dentruong.enrollment.access import events_for_student
from dentruong.enrollment.models import Enrollment
from dentruong.enrollment.views import student_panel
from dentruong.lib import vntext
from dentruong.mobilization.access import sees_family_situation
from dentruong.orgs.access import (
    classes_for_user,
    get_class_for_user,
    schools_for_user,
    villages_for_user,
)
from dentruong.orgs.models import OrgUnit
from dentruong.people import services
from dentruong.people.access import (
    can_edit_student,
    can_see_sensitive,
    get_resident_child_for_user,
    get_student_for_user,
    partner_fields,
    resident_children_for_user,
    students_for_user,
)
from dentruong.people.forms import GuardianForm, LinkChildForm, StudentFilterForm, StudentForm
from dentruong.people.models import Household, SchoolingStatus, SensitiveFacts, Student
from dentruong.people.selectors import count_capped, search_students
from dentruong.privacy.views import privacy_panel
from dentruong.risk.views import risk_panel

current_enrollments = Prefetch(
    "enrollments",
    queryset=Enrollment.objects.current().select_related("school_class"),
    to_attr="current_enrollments",
)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    classes = (
        classes_for_user(request.user)
        .filter(pk__in=scope.class_ids())
        .select_related("school")
        .annotate(size=Count("enrollments", filter=Q(enrollments__end_date__isnull=True)))
    )
    schools = (
        schools_for_user(request.user)
        .select_related("commune")
        .annotate(size=Count("students"))
        .order_by("name")[:50]
    )
    ctx = {
        "grants": scope.grants,
        "memberships": Membership.objects.active()
        .filter(user=cast(User, request.user))
        .select_related("unit", "school_class"),
        "classes": classes if scope.class_ids() else [],
        "schools": schools if scope.unit_grants() or scope.is_admin else [],
        "student_count": count_capped(students_for_user(request.user), cap=100_000),
        "children_count": count_capped(resident_children_for_user(request.user), cap=100_000),
        "is_admin": scope.is_admin,
    }
    return render(request, "front/home.html", ctx)


def _villages_for(request: HttpRequest) -> QuerySet[OrgUnit]:
    return villages_for_user(request.user).order_by("name")


def _filtered_students(request: HttpRequest, form: StudentFilterForm) -> QuerySet[Student]:
    qs = students_for_user(request.user)
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            qs = search_students(qs, data["q"])
        if data["school"]:
            qs = qs.filter(school_id=data["school"])
        if data["village"]:
            qs = qs.filter(village_id=data["village"])
        if data["gender"]:
            qs = qs.filter(gender=data["gender"])
        if data["ethnicity"]:
            qs = qs.filter(ethnicity=data["ethnicity"])
        if data["grade"]:
            in_grade = Enrollment.objects.current().filter(school_class__grade=data["grade"])
            qs = qs.filter(pk__in=in_grade.values("student_id"))
    return qs


def _page(request: HttpRequest, qs: QuerySet[Any]) -> tuple[Page[Any], tuple[int, bool]]:
    size = settings.LIST_PAGE_SIZE
    number = request.GET.get("page", "1")
    offset = (int(number) - 1) * size if number.isdigit() and int(number) > 0 else 0
    total = count_capped(qs, cap=offset + 10 * size)
    paginator = Paginator(qs, size, allow_empty_first_page=True)
    paginator.count = total[0]  # capped count: never count a whole province
    return paginator.get_page(number), total


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@login_required
def student_list(request: HtmxHttpRequest) -> HttpResponse:
    schools = list(schools_for_user(request.user).order_by("name").values_list("pk", "name")[:200])
    villages = list(_villages_for(request).values_list("pk", "name")[:500])
    form = StudentFilterForm(request.GET or None, schools=schools, villages=villages)
    qs = (
        _filtered_students(request, form)
        .select_related("school", "village")
        .prefetch_related(current_enrollments)
        .order_by("sort_key", "pk")
    )
    page, (total, more) = _page(request, qs)
    ctx = {
        "form": form,
        "page": page,
        "total": total,
        "more": more,
        "fields": partner_fields(request.user),
        "query": request.GET.urlencode(),
    }
    template = "front/student_list.html#results" if request.htmx else "front/student_list.html"
    return render(request, template, ctx)


@login_required
def student_detail(request: HttpRequest, pk: int) -> HttpResponse:
    student = get_student_for_user(request.user, pk)
    record_view_child(request, student=student)
    fields = partner_fields(request.user)
    sensitive = can_see_sensitive(request.user, student)
    ctx = {
        "student": student,
        "fields": fields,
        "sensitive": SensitiveFacts.objects.filter(student=student).first() if sensitive else None,
        "can_edit": can_edit_student(request.user, student),
        "guardians": student.household.guardians.all()
        if student.household and (fields is None or "guardian_phone" in fields)
        else [],
        "enrollments": student.enrollments.select_related("school_class__school").order_by(
            "-start_date"
        ),
        "events": events_for_student(student),
    }
    if fields is None:
        ctx |= student_panel(request, student)
        ctx |= risk_panel(request, student)
        ctx |= privacy_panel(request, student)
    return render(request, "front/student_detail.html", ctx)


@login_required
@require_http_methods(["GET", "POST"])
def student_edit(request: HttpRequest, pk: int) -> HttpResponse:
    student = get_student_for_user(request.user, pk)
    if not can_edit_student(request.user, student):
        return render(request, "front/forbidden.html", status=403)
    sensitive = can_see_sensitive(request.user, student)
    facts = SensitiveFacts.objects.filter(student=student).first()
    initial = {
        "national_id": student.national_id,
        "family_and_middle_name": student.family_and_middle_name,
        "given_name": student.given_name,
        "birth_date": student.birth_date,
        "gender": student.gender,
        "ethnicity": student.ethnicity,
        "village": student.village_id,
        "boarding": student.boarding,
        "distance_km": student.distance_km,
        "poverty": facts.poverty if facts else "none",
        "disability": facts.disability if facts else "",
    }
    form = StudentForm(
        request.POST or None,
        initial=initial,
        villages=_villages_for(request),
        sensitive=sensitive,
        instance=student,
    )
    if request.method == "POST" and form.is_valid():
        services.update_student(student=student, **form.cleaned_data)
        return redirect("student-detail", pk=student.pk)
    return render(request, "front/student_form.html", {"form": form, "student": student})


@login_required
@require_http_methods(["GET", "POST"])
def student_create(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    if not scope.roles & {Role.SCHOOL_LEADER, Role.COMMUNE_OFFICER}:
        return render(request, "front/forbidden.html", status=403)
    form = StudentForm(request.POST or None, villages=_villages_for(request), sensitive=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        household = Household.objects.create(
            village=data["village"], head_name=data["family_and_middle_name"]
        )
        student = services.create_student(household=household, **data)
        return redirect("student-detail", pk=student.pk)
    return render(request, "front/student_form.html", {"form": form, "student": None})


@login_required
@require_http_methods(["POST"])
def guardian_add(request: HttpRequest, pk: int) -> HttpResponse:
    student = get_student_for_user(request.user, pk)
    if not can_edit_student(request.user, student):
        return render(request, "front/forbidden.html", status=403)
    form = GuardianForm(request.POST)
    if form.is_valid():
        household = student.household or Household.objects.create(
            village=student.village, head_name=form.cleaned_data["full_name"]
        )
        if student.household_id is None:
            services.update_student(student=student, household=household)
        services.add_guardian(household=household, **form.cleaned_data)
        return redirect("student-detail", pk=student.pk)
    return render(
        request, "front/guardian_form.html", {"form": form, "student": student}, status=400
    )


@login_required
def class_roster(request: HttpRequest, pk: int) -> HttpResponse:
    school_class = get_class_for_user(request.user, pk)
    roster = (
        students_for_user(request.user)
        .filter(enrollments__school_class=school_class, enrollments__end_date__isnull=True)
        .select_related("village")
        .order_by("sort_key", "pk")
    )
    return render(
        request,
        "front/class_roster.html",
        {"school_class": school_class, "roster": roster, "fields": partner_fields(request.user)},
    )


@login_required
def children_list(request: HttpRequest) -> HttpResponse:
    qs = resident_children_for_user(request.user).select_related("village", "student")
    query = request.GET.get("q", "").strip()
    if query:
        for word in vntext.tokens(query):
            qs = qs.filter(search_name__contains=word)
    year = request.GET.get("birth_year", "")
    if year.isdigit():
        qs = qs.filter(birth_year=int(year))
    schooling = request.GET.get("schooling", "")
    if schooling:
        qs = qs.filter(schooling=schooling)
    page, (total, more) = _page(request, qs.order_by("sort_key", "pk"))
    return render(
        request,
        "front/children_list.html",
        {
            "page": page,
            "total": total,
            "more": more,
            "q": query,
            "birth_year": year,
            "schooling": schooling,
            "schooling_choices": SchoolingStatus.choices,
            "query": request.GET.urlencode(),
        },
    )


@login_required
def child_detail(request: HttpRequest, pk: int) -> HttpResponse:
    child = get_resident_child_for_user(request.user, pk)
    record_view_child(request, child=child)
    family = sees_family_situation(request.user, child.village.path)  # sensitive roles
    ctx = {"child": child, "form": LinkChildForm(), "family": family}
    return render(request, "front/child_detail.html", ctx)


@login_required
@require_http_methods(["POST"])
def child_link(request: HttpRequest, pk: int) -> HttpResponse:
    """Link a census entry to the student record with this mã định danh (in scope only)."""
    child = get_resident_child_for_user(request.user, pk)
    form = LinkChildForm(
        request.POST, students=students_for_user(request.user), birth_year=child.birth_year
    )
    if not form.is_valid():
        return render(
            request, "front/child_detail.html", {"child": child, "form": form}, status=400
        )
    services.link_resident_child(child=child, student=form.cleaned_data["student"])
    return redirect("child-detail", pk=child.pk)
