from django.urls import include, path

from core.registry import pages
from ops_portal.urls import urlpatterns as project_patterns

from . import pages as _registered  # noqa: F401

sample_pages = (pages.urlpatterns("sample"), "sample")
urlpatterns = [
    *project_patterns,
    path("sample/", include(sample_pages)),
    path("api/sample/", include("core.tests.sample.api")),
]
