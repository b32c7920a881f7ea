"""Report runs through real Celery workers on Redis and PostgreSQL, including faults.

- a worker runs a report end to end;
- a worker killed in the middle of a run: the task is redelivered (within the
  visibility timeout these tests set) and the run ends with one set of files;
- the broker down while a run is requested: the request succeeds, and the run
  executes once a broker and a worker are back.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid

import pytest
from django.db import connection

from reporting import services
from reporting.models import ReportRun

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]
VISIBILITY = 5


def worker_env(broker_url, **extra):
    db = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ops_portal.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": broker_url,
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY),
        **extra,
    }


def start_worker(env, queue):
    return subprocess.Popen(
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
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop(process, sig=signal.SIGTERM):
    if process.poll() is None:
        os.killpg(process.pid, sig)
        process.wait(timeout=30)


def wait_for(predicate, timeout=90, step=0.3):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def use_broker(settings):
    """Point this process's Celery app at a given broker, with a fresh connection pool."""
    from ops_portal.celery import app

    saved = app.conf.broker_url

    def _use(url, queue):
        app.conf.broker_url = url
        app.conf.broker_transport_options = {"visibility_timeout": VISIBILITY}
        app.conf.task_default_queue = queue
        app.conf.task_always_eager = False
        settings.CELERY_TASK_ALWAYS_EAGER = False
        app.pool.force_close_all()
        app._pool = None
        app.amqp._producer_pool = None

    yield _use
    app.conf.broker_url = saved
    app.conf.task_default_queue = "celery"
    app.pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None


def request(world, key="sample_slow"):
    run, _ = services.report_request(
        actor=world.facilities_manager,
        report_key=key,
        district=world.district,
        raw_params={"school_year": world.year.pk},
    )
    return run


@pytest.fixture
def sample_reporter(world):
    """Report runs are reporting's records: give the facilities manager the reporting manager role too."""
    from core.choices import Role
    from district.choices import DepartmentCode
    from district.tests.factories import RoleAssignmentFactory

    RoleAssignmentFactory(
        user=world.facilities_manager,
        role=Role.DEPT_MANAGER,
        district=world.district,
        department=world.dept[DepartmentCode.REPORTING],
    )
    return world


def test_killed_worker_task_is_redelivered_and_writes_one_artifact(sample_reporter, settings, use_broker):
    queue = f"reports-{uuid.uuid4().hex[:8]}"
    use_broker(settings.REDIS_URL, queue)
    env = worker_env(settings.REDIS_URL, OPS_SAMPLE_REPORT_SECONDS="4", CELERY_TASK_DEFAULT_QUEUE=queue)
    first = start_worker(env, queue)
    second = None
    try:
        run = request(sample_reporter)
        assert wait_for(lambda: ReportRun.objects.get(pk=run.pk).status == "running"), "the first worker never started"
        stop(first, signal.SIGKILL)  # dies mid-run, the message unacknowledged
        assert ReportRun.objects.get(pk=run.pk).status == "running"
        second = start_worker(env, queue)
        assert wait_for(lambda: ReportRun.objects.get(pk=run.pk).status == "succeeded", timeout=120), (
            ReportRun.objects.get(pk=run.pk).log
        )
        run.refresh_from_db()
        assert run.attempts == 2
        assert run.artifacts.count() == 1
    finally:
        stop(first, signal.SIGKILL)
        if second is not None:
            stop(second)


def test_run_requested_while_broker_is_down_executes_when_it_is_back(sample_reporter, use_broker):
    redis_server = shutil.which("redis-server")
    assert redis_server, "redis-server is needed"
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    queue = f"reports-{uuid.uuid4().hex[:8]}"
    use_broker(url, queue)
    command = [redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    broker = subprocess.Popen(command, stdout=subprocess.DEVNULL, start_new_session=True)
    worker = None
    try:
        assert wait_for(lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0, timeout=10)
        stop(broker)  # the broker goes away
        run = request(sample_reporter)  # the request still succeeds
        run.refresh_from_db()
        assert run.status == "queued" and run.dispatched_at is None
        assert "job queue" in run.log
        broker = subprocess.Popen(command, stdout=subprocess.DEVNULL, start_new_session=True)
        assert wait_for(lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0, timeout=10)
        worker = start_worker(worker_env(url, CELERY_TASK_DEFAULT_QUEUE=queue), queue)
        assert wait_for(lambda: ReportRun.objects.get(pk=run.pk).status == "succeeded", timeout=90), (
            ReportRun.objects.get(pk=run.pk).log
        )
        assert ReportRun.objects.get(pk=run.pk).artifacts.count() == 1
    finally:
        if worker is not None:
            stop(worker)
        stop(broker)


def test_worker_runs_report_end_to_end(sample_reporter, settings, use_broker):
    queue = f"reports-{uuid.uuid4().hex[:8]}"
    use_broker(settings.REDIS_URL, queue)
    worker = start_worker(worker_env(settings.REDIS_URL, CELERY_TASK_DEFAULT_QUEUE=queue), queue)
    try:
        run = request(sample_reporter)
        assert wait_for(lambda: ReportRun.objects.get(pk=run.pk).status == "succeeded"), ReportRun.objects.get(
            pk=run.pk
        ).log
        run.refresh_from_db()
        assert run.progress == 100 and run.attempts == 1 and run.artifacts.get().size > 0
    finally:
        stop(worker)
