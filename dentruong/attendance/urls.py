from django.urls import path

from dentruong.attendance import pages, views

urlpatterns = [
    path("classes/<int:pk>/roll-call/", views.roll_call, name="roll-call"),
    path("sw.js", views.service_worker, name="service-worker"),
    # the monthly attendance sheet (month = YYYY-MM)
    path("classes/<int:pk>/attendance/", pages.attendance_sheet, name="attendance-sheet-now"),
    path(
        "classes/<int:pk>/attendance/<str:month>/", pages.attendance_sheet, name="attendance-sheet"
    ),
    path(
        "classes/<int:pk>/attendance/<str:month>.xlsx",
        pages.attendance_sheet_xlsx,
        name="attendance-sheet-xlsx",
    ),
    path(
        "schools/<int:pk>/attendance/<str:month>.xlsx",
        pages.school_attendance_xlsx,
        name="school-attendance-xlsx",
    ),
    # the leaders' pages of a unit
    path(
        "units/<int:pk>/attendance/completeness/",
        pages.unit_completeness,
        name="unit-completeness",
    ),
    path("units/<int:pk>/attendance/rates/", pages.unit_rates, name="unit-rates"),
    path("units/<int:pk>/attendance/lists/", pages.unit_absence_lists, name="unit-absence-lists"),
]
