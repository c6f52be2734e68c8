from django.urls import path

from dentruong.privacy import views

urlpatterns = [
    path("privacy/requests/", views.rights_requests, name="rights-requests"),
    path("privacy/requests/<int:pk>/", views.rights_request_detail, name="rights-request-detail"),
    path("privacy/requests/<int:pk>/act/", views.rights_request_act, name="rights-request-act"),
    path(
        "privacy/requests/<int:pk>/export.json",
        views.rights_request_export,
        name="rights-request-export",
    ),
    path(
        "students/<int:pk>/rights-request/",
        views.student_rights_request,
        name="student-rights-request",
    ),
    path(
        "children/<int:pk>/rights-request/",
        views.child_rights_request,
        name="child-rights-request",
    ),
]
