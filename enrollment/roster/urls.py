"""Roster sync pages, under /enrollment/roster/: the sync page (upload, preview, commit) and the export."""

from django.urls import path

from core.registry import pages

from .. import pages as _registered  # noqa: F401 - the registry must be filled before it is read
from ..models import Enrollment
from . import views

urlpatterns = [
    path("", views.RosterSyncView.as_view(pages=pages.for_model(Enrollment)), name="roster_sync"),
    path("export/", views.RosterExportView.as_view(pages=pages.for_model(Enrollment)), name="roster_export"),
]
