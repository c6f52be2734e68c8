from django.urls import path

from dentruong.reports import views

urlpatterns = [
    path("reports/", views.reports_home, name="reports-home"),
    path("reports/schedules/<int:pk>/", views.schedule_status, name="schedule-status"),
    path(
        "reports/schedules/<int:pk>/units/<int:unit_pk>/",
        views.report_submit,
        name="report-submit",
    ),
    path("reports/submissions/<int:pk>/", views.submission_detail, name="submission-detail"),
    path(
        "reports/submissions/<int:pk>/export.<str:fmt>",
        views.submission_export,
        name="submission-export",
    ),
    path("units/<int:pk>/dashboard/", views.unit_dashboard, name="unit-dashboard"),
    path("units/<int:pk>/report-schedules/new/", views.schedule_create, name="schedule-create"),
]
