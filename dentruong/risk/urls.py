from django.urls import path

from dentruong.risk import views

urlpatterns = [
    path("classes/<int:pk>/risk/", views.class_risk, name="class-risk"),
    path("units/<int:pk>/risk/", views.unit_risk, name="unit-risk"),
    path("units/<int:pk>/risk/evaluation/", views.unit_evaluation, name="unit-risk-evaluation"),
    path("students/<int:pk>/risk/", views.student_risk, name="student-risk"),
    path("students/<int:pk>/risk/flags/", views.flag_add, name="risk-flag-add"),
    path("risk-flags/<int:pk>/clear/", views.flag_clear, name="risk-flag-clear"),
]
