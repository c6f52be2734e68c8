from django.contrib.auth import views as auth_views
from django.urls import include, path

from dentruong.front import views

urlpatterns = [
    path("", views.home, name="home"),
    path("", include("dentruong.accounts.urls")),  # login (2 steps), password, account
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("students/", views.student_list, name="student-list"),
    path("students/new/", views.student_create, name="student-create"),
    path("students/<int:pk>/", views.student_detail, name="student-detail"),
    path("students/<int:pk>/edit/", views.student_edit, name="student-edit"),
    path("students/<int:pk>/guardians/", views.guardian_add, name="guardian-add"),
    path("classes/<int:pk>/", views.class_roster, name="class-roster"),
    path("children/", views.children_list, name="children-list"),
    path("children/<int:pk>/", views.child_detail, name="child-detail"),
    path("children/<int:pk>/link/", views.child_link, name="child-link"),
    path("", include("dentruong.attendance.urls")),
    path("", include("dentruong.enrollment.urls")),
    path("", include("dentruong.imports.urls")),
    path("", include("dentruong.risk.urls")),
    path("", include("dentruong.reports.urls")),
    path("", include("dentruong.mobilization.urls")),
    path("", include("dentruong.audit.urls")),
    path("outreach/", include("dentruong.outreach.urls")),
    path("", include("dentruong.privacy.urls")),
]
