"""{% access_history_url student as url %}: the student's (or register child's) access
history page when the user may read it, else ""."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from dentruong.audit.access import may_see_child_history, may_see_student_history
from dentruong.people.models import ResidentChild, Student

register = template.Library()


@register.simple_tag(takes_context=True)
def access_history_url(context: dict[str, Any], person: Student | ResidentChild) -> str:
    request = context.get("request")
    if request is None:
        return ""
    if isinstance(person, Student) and may_see_student_history(request.user, person):
        return reverse("student-access", args=[person.pk])
    if isinstance(person, ResidentChild) and may_see_child_history(request.user, person):
        return reverse("child-access", args=[person.pk])
    return ""
