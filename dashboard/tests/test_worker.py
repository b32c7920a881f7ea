"""The snapshot task and a "refresh now" job through a real Celery worker on Redis and PostgreSQL."""

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from django.conf import settings
from django.db import connection

from dashboard.models import KpiRefresh, KpiSnapshot
from dashboard.tasks import kpi_refresh_task, kpi_snapshots_nightly_task

from . import data

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def start_worker(queue):
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ops_portal.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
    }
    command = [sys.executable, "-m", "celery", "-A", "ops_portal", "worker", "-Q", queue, "--pool", "solo",
               "--without-heartbeat", "--without-mingle", "--without-gossip", "-l", "warning"]  # fmt: skip
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # fmt: skip


def wait_for(predicate, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


def test_real_worker_computes_the_nightly_snapshots_and_a_refresh(world):
    data.membership_world(world)
    queue = f"test-{uuid.uuid4().hex[:8]}"
    worker = start_worker(queue)
    try:
        kpi_snapshots_nightly_task.apply_async(kwargs={"today": "2026-10-01"}, queue=queue)
        assert wait_for(
            lambda: KpiSnapshot.objects.filter(district=world.other_district, kpi_key="open_fatal_findings").exists()
        )
        row = KpiSnapshot.objects.get(kpi_key="building_utilization", scope="district", district=world.district)
        assert (row.numerator, row.denominator, row.value) == (39, 70, 55.71)
        job = KpiRefresh.objects.create(district=world.district, as_of=data.AS_OF)
        kpi_refresh_task.apply_async(args=[job.pk], queue=queue)
        assert wait_for(lambda: KpiRefresh.objects.get(pk=job.pk).status == "succeeded")
        job.refresh_from_db()
        assert job.progress == 100 and job.snapshots > 0 and "Finished" in job.log
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
