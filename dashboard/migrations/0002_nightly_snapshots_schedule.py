"""The nightly KPI snapshot entry for beat (django-celery-beat's database scheduler), at 02:30 local time.

Kept in the database beside the report schedules, so no settings file needs
an entry; staff can move or disable it in the admin's periodic tasks.
"""

from django.conf import settings
from django.db import migrations

NAME = "dashboard-kpi-snapshots-nightly"
TASK = "dashboard.tasks.kpi_snapshots_nightly_task"


def add(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _created = CrontabSchedule.objects.get_or_create(
        minute="30", hour="2", day_of_month="*", month_of_year="*", day_of_week="*", timezone=settings.TIME_ZONE
    )
    PeriodicTask.objects.get_or_create(
        name=NAME, defaults={"task": TASK, "crontab": crontab, "enabled": True, "description": "KPI snapshots"}
    )


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(add, remove)]
