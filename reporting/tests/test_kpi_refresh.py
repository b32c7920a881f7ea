"""The KPIs read from report runs follow the runs at once, not only at the nightly snapshot."""

import logging

import pytest
from django.db import transaction
from django.utils import timezone

from dashboard import services as dashboard_services
from dashboard.models import KpiSnapshot
from reporting import registry, services
from reporting.models import Collection, ReportRun

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def refresh_in_process(monkeypatch):
    """The refresh task runs here, as in the embedded default, even when a broker is configured."""
    from dashboard import tasks

    task = tasks.kpi_snapshots_refresh_task
    monkeypatch.setattr(task, "apply_async", lambda args, **kwargs: task.apply(args=args))


def district_row(world, key):
    return KpiSnapshot.objects.get(district=world.district, kpi_key=key, scope="district", as_of=timezone.localdate())


def execute(run_id, django_capture_on_commit_callbacks):
    """What the run's task does, with the work queued after its commits done as a worker would."""
    with django_capture_on_commit_callbacks(execute=True):
        services.report_run_execute(run_id)
    return ReportRun.objects.get(pk=run_id)


def queue(world, key, django_capture_on_commit_callbacks, **params):
    with django_capture_on_commit_callbacks(execute=False):
        run, _reused = services.report_request(
            actor=world.reporting_manager,
            report_key=key,
            district=world.district,
            raw_params={"school_year": world.year.pk, **params},
        )
    return run


def test_a_run_with_fatal_findings_updates_the_open_findings_snapshot_without_the_nightly_job(
    reporting_world, django_capture_on_commit_callbacks
):
    w = reporting_world
    dashboard_services.kpi_snapshots_compute(district=w.district, as_of=timezone.localdate())  # last night's
    assert district_row(w, "open_fatal_findings").value == 0
    utilization = district_row(w, "building_utilization")
    # No school of the district has its grades offered entered: FS039 finds each one, fatally.
    queued = queue(w, "fs039", django_capture_on_commit_callbacks, fmt="csv")
    run = execute(queued.pk, django_capture_on_commit_callbacks)
    fatal = run.findings.filter(severity="fatal").count()
    assert run.status == "succeeded" and fatal >= 2
    assert district_row(w, "open_fatal_findings").value == fatal
    # Only the KPIs read from runs were recomputed; the others keep last night's rows.
    assert district_row(w, "building_utilization").pk == utilization.pk


def test_certifying_a_run_updates_collections_certified_on_time(reporting_world, django_capture_on_commit_callbacks):
    w = reporting_world
    today = timezone.localdate()
    Collection.objects.create(
        district=w.district, name="Enrollment summary", report_key="enrollment_summary",
        school_year=w.year, due_date=today,
    )  # fmt: skip
    run = execute(
        queue(w, "enrollment_summary", django_capture_on_commit_callbacks, fmt="csv").pk,
        django_capture_on_commit_callbacks,
    )
    assert district_row(w, "collections_on_time").value == 0.0  # due today, not certified yet
    services.report_run_validate(actor=w.reporting_manager, run=run)
    with django_capture_on_commit_callbacks(execute=True):
        services.report_run_certify(actor=w.reporting_manager, run=run)
    row = district_row(w, "collections_on_time")
    assert (row.value, row.numerator, row.denominator) == (100.0, 1, 1)


def test_before_the_nightly_run_a_finished_run_computes_the_whole_day(
    reporting_world, django_capture_on_commit_callbacks
):
    w = reporting_world
    assert not KpiSnapshot.objects.exists()
    execute(queue(w, "fs039", django_capture_on_commit_callbacks, fmt="csv").pk, django_capture_on_commit_callbacks)
    keys = set(
        KpiSnapshot.objects.filter(district=w.district, scope="district", as_of=timezone.localdate()).values_list(
            "kpi_key", flat=True
        )
    )
    from dashboard import registry as kpi_registry

    assert keys == {k.key for k in kpi_registry.all_kpis()}  # a date always holds every KPI
    assert not KpiSnapshot.objects.filter(district=w.other_district).exists()


def test_a_refresh_that_fails_is_logged_and_the_run_still_stands(
    reporting_world, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    from dashboard import tasks

    def refuse(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.kpi_snapshots_refresh_task, "apply_async", refuse)
    w = reporting_world
    with caplog.at_level(logging.ERROR):
        run = execute(
            queue(w, "fs039", django_capture_on_commit_callbacks, fmt="csv").pk, django_capture_on_commit_callbacks
        )
    assert run.status == "succeeded" and run.findings.filter(severity="fatal").exists()
    assert "the nightly run will compute them" in caplog.text
    assert not KpiSnapshot.objects.exists()


def test_a_failing_listener_does_not_fail_the_run_nor_the_others(
    reporting_world, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    heard = []

    def broken(run_id, district_id, event):
        raise RuntimeError("listener broke")

    monkeypatch.setattr(registry, "_run_listeners", [broken, lambda *args: heard.append(args)])
    w = reporting_world
    with caplog.at_level(logging.ERROR):
        run = execute(
            queue(w, "fs039", django_capture_on_commit_callbacks, fmt="csv").pk, django_capture_on_commit_callbacks
        )
    assert run.status == "succeeded"
    assert heard == [(run.pk, w.district.pk, registry.RUN_FINISHED)]
    assert "listener broke" in caplog.text


def test_a_certification_that_rolls_back_tells_nobody(reporting_world, django_capture_on_commit_callbacks):
    w = reporting_world
    run = execute(
        queue(w, "enrollment_summary", django_capture_on_commit_callbacks, fmt="csv").pk,
        django_capture_on_commit_callbacks,
    )
    services.report_run_validate(actor=w.reporting_manager, run=run)

    class Abandon(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=False) as callbacks, pytest.raises(Abandon), transaction.atomic():
        services.report_run_certify(actor=w.reporting_manager, run=run)
        raise Abandon
    assert callbacks == []
    run.refresh_from_db()
    assert run.certification == "validated"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.report_run_certify(actor=w.reporting_manager, run=run)
    assert len(callbacks) == 1  # told after the commit, never inside the transaction
