from django.urls import path

from core.registry import pages

from . import pages as _registered  # noqa: F401 - registers the pages
from . import views

app_name = "district"
urlpatterns = [
    path("student-access/", views.student_access_page, name="student_access"),
    *pages.urlpatterns("district"),
]
