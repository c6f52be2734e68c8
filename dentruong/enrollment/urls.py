from django.urls import path

from dentruong.enrollment import views

urlpatterns = [
    path("students/<int:pk>/events/", views.student_event_add, name="student-event-add"),
    path("schools/<int:pk>/transfers/", views.school_transfers, name="school-transfers"),
    path("transfers/<int:pk>/confirm/", views.transfer_confirm, name="transfer-confirm"),
    path("transfers/<int:pk>/decline/", views.transfer_decline, name="transfer-decline"),
    path("units/<int:pk>/dropouts/", views.unit_dropouts, name="unit-dropouts"),
]
