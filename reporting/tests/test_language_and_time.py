"""Report runs in the reader's language and the district's time zone."""

import csv
import datetime
import io

import pytest
from django.utils import timezone, translation
from openpyxl import load_workbook

from reporting import registry, services
from reporting.models import ReportRun
from reporting.registry import BuildResult, Report

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


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


def runs_queued_at(w, *instants):
    """Runs of the worksheet queued at the given instants (UTC), in order."""
    runs = []
    for when in instants:
        run = ReportRun.objects.create(
            district=w.district,
            report_key="october_worksheet",
            title="October 1 membership worksheet",
            department="reporting",
            school_year=w.year,
            requested_by=w.reporting_manager,
        )
        ReportRun.objects.filter(pk=run.pk).update(queued_at=when, finished_at=when)
        runs.append(run)
    return runs


def test_the_queued_since_filter_takes_the_districts_calendar_day(reporting_world, client):
    w = reporting_world
    # 05:30 UTC on March 10 is still March 9 in Los Angeles, already March 10 in New York.
    evening, morning = runs_queued_at(
        w, datetime.datetime(2026, 3, 10, 5, 30, tzinfo=UTC), datetime.datetime(2026, 3, 10, 16, 0, tzinfo=UTC)
    )
    client.force_login(w.reporting_manager)
    page = client.get("/reporting/reportrun/", {"since": "2026-03-10"})
    assert {row["obj"].pk for row in page.context["rows"]} == {evening.pk, morning.pk}  # New York, the default
    assert 'type="date" name="since" value="2026-03-10"' in page.content.decode()  # the browser's picker
    w.district.time_zone = "America/Los_Angeles"
    w.district.save(update_fields=["time_zone"])
    page = client.get("/reporting/reportrun/", {"since": "2026-03-10"})
    assert [row["obj"].pk for row in page.context["rows"]] == [morning.pk]
    page = client.get("/reporting/reportrun/", {"since": "2026-03-09"}, HTTP_ACCEPT_LANGUAGE="es")
    assert {row["obj"].pk for row in page.context["rows"]} == {evening.pk, morning.pk}
    assert 'value="2026-03-09"' in page.content.decode()  # ISO in Spanish too, or the picker shows it empty


@pytest.mark.parametrize(
    ("zone", "local"), [("America/Los_Angeles", "08:30:00-07:00"), ("America/New_York", "11:30:00-04:00")]
)
def test_a_run_export_writes_its_times_in_the_districts_zone(reporting_world, client, zone, local):
    w = reporting_world
    w.district.time_zone = zone
    w.district.save(update_fields=["time_zone"])
    runs_queued_at(w, datetime.datetime(2026, 3, 10, 15, 30, tzinfo=UTC))
    client.force_login(w.reporting_manager)
    response = client.get("/reporting/reportrun/?export=csv", HTTP_ACCEPT_LANGUAGE="es")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode().lstrip("\ufeff"))))
    column = rows[0].index(f"en cola ({zone})")
    assert rows[1][column] == f"2026-03-10T{local}"
    xlsx = client.get("/reporting/reportrun/?export=xlsx")
    sheet = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    column = sheet[0].index(f"queued ({zone})")
    assert sheet[1][column] == datetime.datetime(2026, 3, 10, int(local[:2]), 30)


def test_report_titles_and_descriptions_in_spanish_in_the_catalogue(reporting_world, client):
    client.force_login(reporting_world.reporting_manager)
    spanish = client.get("/reporting/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    english = client.get("/reporting/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    with translation.override("en"):
        # The project's reports (the test settings' sample app registers untranslated ones of its own).
        reports = [(str(r.title), str(r.description)) for r in registry.all_reports() if r.department != "sample"]
    assert reports
    for title, description in reports:
        assert title in english and title not in spanish, title
        if description:
            assert description not in spanish, description
