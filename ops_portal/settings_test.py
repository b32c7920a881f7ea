"""Test settings: the real settings plus a sample app that exercises the chassis.

The sample app (``core.tests.sample``) holds a school-scoped department record
with a sensitive field and student-level data, so the chassis's scoping,
field protection and disclosure logging are tested on a model built for it.
"""

from .settings import *  # noqa: F403
from .settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "core.tests.sample"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ROOT_URLCONF = "core.tests.sample.urls"
# Limits on guessing stay out of the suite's way; the tests that prove them set them low.
AXES_FAILURE_LIMIT = 1000
OPS_TOKEN_FAILURE_RATE = "100000/minute"
OPS_API_RATE = "100000/minute"
