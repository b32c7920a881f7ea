from django.urls import include, path

from core.registry import pages

from . import pages as _registered  # noqa: F401 - registers the pages
from . import views

app_name = "enrollment"
urlpatterns = [
    *pages.urlpatterns("enrollment"),
    path("utilization/", views.utilization_page, name="utilization"),
    path("roster/", include("enrollment.roster.urls")),
    path("choice/", include("enrollment.choice_urls")),
]
