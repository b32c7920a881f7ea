"""Roster sync API, under /api/enrollment/roster/: student and enrollment upserts."""

from django.urls import path

from . import api

urlpatterns = [
    path("students/upsert/", api.StudentUpsertView.as_view(), name="roster-students-upsert"),
    path("enrollments/upsert/", api.EnrollmentUpsertView.as_view(), name="roster-enrollments-upsert"),
]
