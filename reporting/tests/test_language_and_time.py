"""Report runs in the reader's language and the district's time zone."""

import pytest
from django.utils import timezone, translation

from reporting import registry, services
from reporting.models import ReportRun
from reporting.registry import BuildResult, Report

pytestmark = pytest.mark.django_db


def request_worksheet(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        run, _reused = services.report_request(
            actor=world.reporting_manager,
            report_key="october_worksheet",
            district=world.district,
            raw_params={"school_year": world.year.pk},
        )
    return run


def test_a_run_keeps_its_title_in_english_and_pages_show_it_in_the_readers_language(
    reporting_world, django_capture_on_commit_callbacks, client
):
    w = reporting_world
    with translation.override("es"):  # requested from a page in Spanish
        run = request_worksheet(w, django_capture_on_commit_callbacks)
    run.refresh_from_db()
    assert run.title == "October 1 membership worksheet"
    client.force_login(w.reporting_manager)
    detail = client.get(f"/reporting/reportrun/{run.pk}/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "<h1>Hoja de trabajo de la matrícula del 1 de octubre</h1>" in detail
    listing = client.get("/reporting/reportrun/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Hoja de trabajo de la matrícula del 1 de octubre" in listing
    assert "October 1 membership worksheet" not in listing
    english = client.get("/reporting/reportrun/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "October 1 membership worksheet" in english


def test_a_run_writes_its_times_in_the_districts_zone(reporting_world, django_capture_on_commit_callbacks):
    """The build (a file's creation stamp, the log) sees the district's zone, whatever the worker's."""
    w = reporting_world
    w.district.time_zone = "Pacific/Honolulu"
    w.district.save(update_fields=["time_zone"])
    seen = []

    def build(ctx):
        seen.append(timezone.get_current_timezone_name())
        return BuildResult()

    registry.register(Report(key="zone_probe", title="Zone probe", department="reporting", build=build))
    try:
        with django_capture_on_commit_callbacks(execute=False):
            run, _reused = services.report_request(
                actor=w.reporting_manager,
                report_key="zone_probe",
                district=w.district,
                raw_params={"school_year": w.year.pk, "as_of": "2026-10-01"},
            )
        services.report_run_execute(run.pk)
    finally:
        registry._reports.pop("zone_probe", None)
    assert seen == ["Pacific/Honolulu"]
    assert timezone.get_current_timezone_name() != "Pacific/Honolulu"  # and not left behind
    assert ReportRun.objects.get(pk=run.pk).status == "succeeded"
