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
from django.utils import timezone

from core.choices import Role
from dashboard.models import KpiRefresh, KpiSnapshot
from dashboard.tasks import kpi_refresh_task, kpi_snapshots_nightly_task
from district.choices import DepartmentCode
from district.tests.factories import RoleAssignmentFactory, UserFactory
from ops_portal.celery import app
from reporting import services as reporting_services
from reporting.models import ReportRun

from . import data

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def start_worker(queue, **extra_env):
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ops_portal.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        **extra_env,
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


def test_a_report_run_on_the_worker_refreshes_the_open_findings_kpi(world):
    """The run's task finishes with fatal findings; after its commit the worker recomputes the KPI."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    manager = UserFactory(username="reporting_manager")
    RoleAssignmentFactory(
        user=manager, role=Role.DEPT_MANAGER, district=world.district, department=world.dept[DepartmentCode.REPORTING]
    )
    worker = start_worker(queue, CELERY_TASK_DEFAULT_QUEUE=queue)
    app.conf.task_default_queue = queue  # the run's task goes to this worker, and so does what it queues
    try:
        run, _reused = reporting_services.report_request(
            actor=manager,
            report_key="fs039",
            district=world.district,
            raw_params={"school_year": world.year.pk, "fmt": "csv"},
        )
        assert wait_for(lambda: ReportRun.objects.get(pk=run.pk).status == "succeeded")
        fatal = run.findings.filter(severity="fatal").count()
        assert fatal >= 2

        def refreshed():
            row = KpiSnapshot.objects.filter(
                district=world.district, kpi_key="open_fatal_findings", scope="district", as_of=timezone.localdate()
            ).first()
            return row is not None and row.value == fatal

        assert wait_for(refreshed)
    finally:
        app.conf.task_default_queue = "celery"
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
