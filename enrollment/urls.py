from core.registry import pages

from . import pages as _registered  # noqa: F401 - registers the pages

app_name = "enrollment"
urlpatterns = pages.urlpatterns("enrollment")
