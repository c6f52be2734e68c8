from django.urls import path

from dentruong.audit import views

urlpatterns = [
    path("students/<int:pk>/access/", views.student_access, name="student-access"),
    path("children/<int:pk>/access/", views.child_access, name="child-access"),
]
