"""The REST API, versioned under /api/v1/ (django-ninja; schema at /api/v1/openapi.json)."""

from __future__ import annotations

from ninja import NinjaAPI
from ninja.security import django_auth

from dentruong.people.api import router as people_router

api = NinjaAPI(
    title="Đến Trường API",
    version="1",
    urls_namespace="api-v1",
    auth=django_auth,
)
api.add_router("/", people_router)
