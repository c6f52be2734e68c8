from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from dentruong.api import api

urlpatterns = [
    # The admin logs in through our login page (throttle, second factor), never its own.
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="login", query_string=True),
        name="admin-login",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("dentruong.front.urls")),
]

# The database down or its disk full is a retryable 503, wherever it was met.
handler500 = "dentruong.front.errors.server_error"
