"""Celery application.

With ``REDIS_URL`` set, tasks go through Redis to separate worker processes.
Without it (the embedded default) tasks run in-process, eagerly, so the app
works on a bare machine. Settings come from Django's settings, prefix CELERY_.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ops_portal.settings")

app = Celery("ops_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
