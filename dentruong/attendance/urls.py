from django.urls import path

from dentruong.attendance import views

urlpatterns = [
    path("classes/<int:pk>/roll-call/", views.roll_call, name="roll-call"),
    path("sw.js", views.service_worker, name="service-worker"),
]
