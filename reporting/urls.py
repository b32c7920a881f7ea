from django.urls import path

from core.registry import pages

from . import pages as _registered  # noqa: F401 - registers the pages
from . import views

app_name = "reporting"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("run/<slug:key>/", views.run_form, name="run"),
    path("file/<int:pk>/", views.artifact_download, name="download"),
    path("reportrun/<int:pk>/<slug:step>/", views.run_transition, name="transition"),
    path("calendar/", views.calendar, name="calendar"),
    *pages.urlpatterns("reporting"),
]
