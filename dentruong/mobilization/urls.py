from django.urls import path

from dentruong.mobilization import views

urlpatterns = [
    path("schools/<int:pk>/targets/", views.school_targets, name="school-targets"),
    path("units/<int:pk>/mobilization/", views.unit_mobilization, name="unit-mobilization"),
    path(
        "units/<int:pk>/mobilization/names/",
        views.unit_mobilization_names,
        name="unit-mobilization-names",
    ),
    path("units/<int:pk>/out-of-school/", views.unit_out_of_school, name="unit-out-of-school"),
    path(
        "units/<int:pk>/out-of-school.xlsx",
        views.unit_out_of_school_xlsx,
        name="unit-out-of-school-xlsx",
    ),
    path("units/<int:pk>/matches/", views.unit_matches, name="unit-matches"),
    path("matches/<int:pk>/accept/", views.match_accept, name="match-accept"),
    path("matches/<int:pk>/reject/", views.match_reject, name="match-reject"),
]
