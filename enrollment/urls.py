from django.urls import include, path

from core.registry import pages

from . import pages as _registered  # noqa: F401 - registers the pages

app_name = "enrollment"
urlpatterns = [
    *pages.urlpatterns("enrollment"),
    path("roster/", include("enrollment.roster.urls")),
    path("choice/", include("enrollment.choice_urls")),
]
