from django.urls import path

from dentruong.imports import views

urlpatterns = [
    path("imports/", views.import_home, name="import-home"),
    path("imports/classes/<int:pk>/", views.import_class, name="import-class"),
    path("imports/schools/<int:pk>/", views.import_school, name="import-school"),
    path("imports/communes/<int:pk>/", views.import_children, name="import-children"),
    path("imports/<int:pk>/", views.batch_detail, name="import-batch"),
    path("imports/<int:pk>/confirm/", views.batch_confirm, name="import-confirm"),
    path("classes/<int:pk>/students.xlsx", views.export_class, name="export-class"),
    path("schools/<int:pk>/students.xlsx", views.export_school, name="export-school"),
    path("communes/<int:pk>/children.xlsx", views.export_children, name="export-children"),
]
