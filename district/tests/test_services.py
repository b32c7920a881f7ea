"""The school calendar workflow, in-process and through a real Celery worker."""

import datetime
import os
import subprocess
import sys
import time
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from core.models import AuditEntry
from district.models import SchoolDay
from district.services import instructional_dates, school_year_calendar_build
from district.tasks import school_year_calendar_build_task


def test_instructional_dates_skip_weekends_and_closures():
    days = instructional_dates(datetime.date(2026, 11, 23), datetime.date(2026, 11, 29), [datetime.date(2026, 11, 26)])
    assert days == [
        datetime.date(2026, 11, 23),
        datetime.date(2026, 11, 24),
        datetime.date(2026, 11, 25),
        datetime.date(2026, 11, 27),
    ]


@pytest.mark.django_db
def test_calendar_build_is_idempotent_and_audited(world):
    added = school_year_calendar_build(actor=world.district_admin, school_year=world.year)
    assert added == SchoolDay.objects.filter(school_year=world.year).count() > 180
    assert AuditEntry.objects.filter(change="create").count() == added
    assert school_year_calendar_build(actor=world.district_admin, school_year=world.year) == 0


@pytest.mark.django_db
def test_calendar_build_refuses_dates_outside_the_year_and_other_districts(world):
    with pytest.raises(ValidationError):
        school_year_calendar_build(
            actor=world.district_admin, school_year=world.year, closed_dates=[datetime.date(2030, 1, 1)]
        )
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        school_year_calendar_build(actor=world.district_admin, school_year=world.other_year)
    assert not SchoolDay.objects.exists()


@pytest.mark.django_db
def test_task_runs_in_process(world):
    result = school_year_calendar_build_task.apply(args=(world.year.pk, world.district_admin.pk, ["2026-11-26"]))
    assert result.get() > 180
    assert not SchoolDay.objects.filter(date=datetime.date(2026, 11, 26)).exists()


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_runs_task_end_to_end(world, settings):
    queue = f"test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ops_portal.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "ops_portal",
            "worker",
            "-Q",
            queue,
            "--pool",
            "solo",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "-l",
            "warning",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        school_year_calendar_build_task.apply_async((world.year.pk, world.district_admin.pk, []), queue=queue)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not SchoolDay.objects.filter(school_year=world.year).exists():
            assert worker.poll() is None, worker.stdout.read().decode()
            time.sleep(0.5)
        time.sleep(1)
        days = SchoolDay.objects.filter(school_year=world.year).count()
        assert days > 180
        entry = AuditEntry.objects.filter(change="create").first()
        assert entry.source == "system" and entry.request_id.startswith("task-")
    finally:
        worker.terminate()
        worker.wait(timeout=30)
