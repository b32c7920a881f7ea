from django.urls import path

from core.registry import pages

from . import pages as _registered  # noqa: F401 - registers the pages
from . import views

app_name = "dashboard"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("kpi/<slug:key>/", views.kpi_page, name="kpi"),
    path("school/<int:pk>/", views.school_page, name="school"),
    path("targets/", views.targets, name="targets"),
    path("targets/<slug:key>/", views.target_edit, name="target_edit"),
    path("refresh/", views.refresh, name="refresh"),
    path("refresh/<int:pk>/", views.refresh_status, name="refresh_status"),
    path("packet/", views.board_packet, name="packet"),
    *pages.urlpatterns("dashboard"),
]
