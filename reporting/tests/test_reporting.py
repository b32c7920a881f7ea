"""Report runs: parameters, reuse, execution, files, findings, certification, pages and API."""

import datetime
import io
import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import load_workbook

from core.models import Disclosure
from core.testing.contracts import ApiContract, FilterSetContract, PagesContract
from reporting import registry, services
from reporting.models import Collection, ReportRun, ReportSchedule, SexValueSetting

pytestmark = pytest.mark.django_db
_keys = itertools.count()


def request_run(world, key="october_worksheet", actor=None, **params):
    raw = {"school_year": world.year.pk, **params}
    return services.report_request(
        actor=actor or world.reporting_manager, report_key=key, district=world.district, raw_params=raw
    )


def run_now(world, django_capture_on_commit_callbacks, key="october_worksheet", **params):
    with django_capture_on_commit_callbacks(execute=False):
        run, _reused = request_run(world, key, **params)
    services.report_run_execute(run.pk)
    run.refresh_from_db()
    return run


def test_registry_knows_enrollment_reports():
    assert {"october_worksheet", "enrollment_summary"} <= {r.key for r in registry.all_reports()}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"school_year": None}, "school_year"),
        ({"as_of": "2027-09-01"}, "as_of"),  # outside the year
        ({"as_of": "2026-13-01"}, "as_of"),
        ({"fmt": "pdf"}, "fmt"),
        ({"level": "school"}, "level"),
    ],
)
def test_nonsense_parameters_are_refused_before_queueing(reporting_world, params, field):
    w = reporting_world
    with pytest.raises(ValidationError) as exc:
        request_run(w, **params)
    assert field in exc.value.message_dict
    assert not ReportRun.objects.exists()


def test_future_year_refused(reporting_world):
    with pytest.raises(ValidationError) as exc:
        services.report_request(
            actor=reporting_world.reporting_manager,
            report_key="october_worksheet",
            district=reporting_world.district,
            raw_params={"school_year": reporting_world.future_year.pk},
        )
    assert "school_year" in exc.value.message_dict


def test_unknown_report_and_no_permission(reporting_world):
    w = reporting_world
    with pytest.raises(ValidationError):
        request_run(w, key="nope")
    with pytest.raises(PermissionDenied):
        request_run(w, actor=w.principal_lincoln)
    with pytest.raises(PermissionDenied):
        services.report_request(
            actor=w.reporting_manager,
            report_key="october_worksheet",
            district=w.other_district,
            raw_params={"school_year": w.other_year.pk},
        )


def test_worksheet_counts_and_left_out(reporting_world, django_capture_on_commit_callbacks):
    run = run_now(reporting_world, django_capture_on_commit_callbacks)
    assert run.status == "succeeded" and run.progress == 100
    artifact = run.artifacts.get()
    assert artifact.student_level and len(artifact.sha256) == 64
    wb = load_workbook(io.BytesIO(artifact.file.read()))
    counts = list(wb["Counts"].iter_rows(values_only=True))
    assert counts[1:] == [("Lincoln Elementary School", "04", 12)]
    left = list(wb["Left out"].iter_rows(values_only=True))
    assert len(left) == 2 and "Entered after" in left[1][-1]


def test_same_report_same_data_reuses_the_run(reporting_world, django_capture_on_commit_callbacks):
    w = reporting_world
    first = run_now(w, django_capture_on_commit_callbacks)
    again, reused = request_run(w)
    assert reused and again.pk == first.pk
    services.report_run_execute(first.pk)  # a redelivered task changes nothing
    assert first.artifacts.count() == 1
    from enrollment.tests import factories as f

    f.EnrollmentFactory(school=w.lincoln, school_year=w.year, student=f.StudentFactory(district=w.district))
    with django_capture_on_commit_callbacks(execute=False):
        changed, reused = request_run(w)
    assert not reused and changed.pk != first.pk


def test_summary_public_version_suppresses_small_cells(reporting_world, django_capture_on_commit_callbacks):
    run = run_now(reporting_world, django_capture_on_commit_callbacks, key="enrollment_summary", fmt="csv")
    files = {a.name: a.file.read().decode() for a in run.artifacts.all()}
    full = next(v for k, v in files.items() if k.endswith("-20261001.csv"))
    public = next(v for k, v in files.items() if k.endswith("-20261001-public.csv"))
    assert "Lincoln Elementary School,04,BL7,F,6" in full
    assert "Lincoln Elementary School,04,BL7,F,<10" in public and ",6\r\n" not in public


def test_report_files_carry_no_live_formulas(reporting_world, django_capture_on_commit_callbacks):
    """Text a spreadsheet would run (a school or student name beginning with =, +, -, @) is written as text."""
    w = reporting_world
    w.lincoln.name = '=HYPERLINK("http://x.example")'
    w.lincoln.save()
    from enrollment.models import Student

    student = Student.objects.filter(enrollments__school=w.lincoln).first()
    student.legal_last_name = "@SUM(A1)"
    student.save()
    worksheet = run_now(w, django_capture_on_commit_callbacks).artifacts.get()
    book = load_workbook(io.BytesIO(worksheet.file.read()))
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row]
    assert not [c for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells if c.data_type == "s"}
    assert '\'=HYPERLINK("http://x.example")' in texts and "'@SUM(A1)" in texts
    summary = run_now(w, django_capture_on_commit_callbacks, key="enrollment_summary", fmt="csv")
    for artifact in summary.artifacts.all():
        lines = artifact.file.read().decode().splitlines()
        assert all(not line.startswith(("=", "+", "-", "@")) for line in lines)
        assert any(line.startswith("\"'=HYPERLINK(") for line in lines), artifact.name


def test_download_logs_disclosure_for_student_level_files(reporting_world, django_capture_on_commit_callbacks, login):
    run = run_now(reporting_world, django_capture_on_commit_callbacks)
    artifact = run.artifacts.get()
    c = login(reporting_world.coo)
    response = c.get(f"/reporting/file/{artifact.pk}/")
    assert response.status_code == 200 and response.content.startswith(b"PK")
    d = Disclosure.objects.get()
    assert d.channel == "download" and d.student_count > 0
    assert login(reporting_world.principal_lincoln).get(f"/reporting/file/{artifact.pk}/").status_code == 404
    assert login(reporting_world.other_admin).get(f"/reporting/file/{artifact.pk}/").status_code == 403
    assert Disclosure.objects.count() == 1


def test_certification_flow(reporting_world, django_capture_on_commit_callbacks):
    w = reporting_world
    run = run_now(w, django_capture_on_commit_callbacks, key="enrollment_summary", fmt="csv")
    with pytest.raises(ValidationError):
        services.report_run_certify(actor=w.reporting_manager, run=run)  # not validated yet
    services.report_run_validate(actor=w.reporting_staff, run=run)
    with pytest.raises(PermissionDenied):
        services.report_run_certify(actor=w.reporting_staff, run=run)  # staff may not certify
    certified = services.report_run_certify(actor=w.reporting_manager, run=run)
    assert certified.certification == "certified" and certified.certified_by == w.reporting_manager
    with django_capture_on_commit_callbacks(execute=False):
        amended = services.report_run_amend(actor=w.reporting_manager, run=run)
    run.refresh_from_db()
    assert run.certification == "amended" and amended.amends == run and amended.status == "queued"


def test_fatal_findings_block_validation(reporting_world, django_capture_on_commit_callbacks):
    w = reporting_world
    w.late_student.race_ethnicity = ""
    w.late_student.save()
    run = run_now(w, django_capture_on_commit_callbacks)
    run.findings.create(severity="fatal", message="A school has no state id", record="x")
    with pytest.raises(ValidationError):
        services.report_run_validate(actor=w.reporting_manager, run=run)


def test_run_pages(reporting_world, django_capture_on_commit_callbacks, login):
    w = reporting_world
    c = login(w.reporting_manager)
    assert "October 1 membership worksheet" in c.get("/reporting/").content.decode()
    bad = c.post(
        "/reporting/run/october_worksheet/",
        {
            "district": w.district.pk,
            "school_year": w.year.pk,
            "as_of": "2030-01-01",
            "level": "district",
            "fmt": "xlsx",
        },
    )
    assert bad.status_code == 400 and "as_of" in bad.context["form"].errors
    with django_capture_on_commit_callbacks(execute=False):
        response = c.post(
            "/reporting/run/october_worksheet/",
            {"district": w.district.pk, "school_year": w.year.pk, "as_of": "", "level": "district", "fmt": "xlsx"},
        )
    assert response.status_code == 302
    run = ReportRun.objects.get()
    page = c.get(response["Location"])
    assert 'hx-trigger="every 2s"' in page.content.decode()  # live progress while queued
    services.report_run_execute(run.pk)
    partial = c.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "every 2s" not in partial and "october-membership" in partial
    assert login(w.transport_manager).get("/reporting/").status_code == 403


def test_api_trigger_status_download(reporting_world, django_capture_on_commit_callbacks, api):
    w = reporting_world
    c = api(w.reporting_manager)
    bad = c.post(
        "/api/reporting/runs/",
        {"report": "october_worksheet", "district": w.district.pk, "school_year": w.year.pk, "fmt": "pdf"},
        format="json",
    )
    assert bad.status_code == 400 and "fmt" in bad.json()
    with django_capture_on_commit_callbacks(execute=False):
        created = c.post(
            "/api/reporting/runs/",
            {"report": "october_worksheet", "district": w.district.pk, "school_year": w.year.pk},
            format="json",
        )
    assert created.status_code == 202
    run_id = created.json()["id"]
    services.report_run_execute(run_id)
    status = c.get(f"/api/reporting/runs/{run_id}/").json()
    assert status["status"] == "succeeded" and status["artifacts"][0]["student_level"]
    download = c.get(f"/api/reporting/runs/{run_id}/files/{status['artifacts'][0]['id']}/")
    assert download.status_code == 200 and download.content.startswith(b"PK")
    assert Disclosure.objects.get().channel == "api"
    again = c.post(
        "/api/reporting/runs/",
        {"report": "october_worksheet", "district": w.district.pk, "school_year": w.year.pk},
        format="json",
    )
    assert again.status_code == 200 and again.json()["id"] == run_id
    assert (
        api(w.coo)
        .post(
            "/api/reporting/runs/",
            {"report": "october_worksheet", "district": w.district.pk, "school_year": w.year.pk},
            format="json",
        )
        .status_code
        == 403
    )
    assert c.get("/api/reporting/reports/").status_code == 200


def test_broker_down_leaves_run_queued_then_requeue_sends_it(
    reporting_world, django_capture_on_commit_callbacks, monkeypatch
):
    from reporting import tasks

    def refuse(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.report_run_task, "apply_async", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        run, _ = request_run(reporting_world)
    run.refresh_from_db()
    assert run.status == "queued" and run.dispatched_at is None and "job queue" in run.log
    sent = []
    monkeypatch.setattr(tasks.report_run_task, "apply_async", lambda args, **kw: sent.append(args[0]))
    assert services.report_runs_requeue() == 1 and sent == [run.pk]
    run.refresh_from_db()
    assert run.dispatched_at is not None
    assert services.report_runs_requeue() == 0  # sent once; not again until its message could be lost


def test_schedule_keeps_beat_entry_in_step(reporting_world, login):
    from django_celery_beat.models import PeriodicTask

    w = reporting_world
    c = login(w.reporting_manager)
    data = {
        "district": w.district.pk,
        "name": "Membership file",
        "report_key": "enrollment_summary",
        "minute": "0",
        "hour": "6",
        "day_of_month": "2",
        "month_of_year": "10",
        "day_of_week": "*",
        "enabled": "on",
        "fmt": "csv",
    }
    assert c.post("/reporting/reportschedule/add/", {**data, "hour": "25"}).status_code == 400
    assert c.post("/reporting/reportschedule/add/", {**data, "fmt": "pdf"}).status_code == 400
    assert not ReportSchedule.objects.exists()
    assert c.post("/reporting/reportschedule/add/", data).status_code == 302
    schedule = ReportSchedule.objects.get()
    task = PeriodicTask.objects.get(pk=schedule.periodic_task_id)
    assert task.task == "reporting.tasks.scheduled_report_task" and task.crontab.month_of_year == "10"
    assert schedule.parameters == {"fmt": "csv"}


def test_scheduled_run(reporting_world, django_capture_on_commit_callbacks):
    import datetime

    w = reporting_world
    schedule = ReportSchedule.objects.create(
        district=w.district, name="Weekly", report_key="enrollment_summary", parameters={"fmt": "csv"}
    )
    with django_capture_on_commit_callbacks(execute=False):
        run = services.scheduled_run(schedule.pk, today=datetime.date(2026, 11, 23))
    assert run.schedule == schedule and run.parameters["as_of"] == "2026-11-23"


def test_calendar_warns_as_due_date_nears(reporting_world, login):
    import datetime

    from django.utils import timezone

    w = reporting_world
    Collection.objects.create(
        district=w.district,
        name="PSIS October",
        report_key="october_worksheet",
        school_year=w.year,
        due_date=timezone.localdate() + datetime.timedelta(days=5),
    )
    rows = login(w.reporting_manager).get("/reporting/calendar/").context["rows"]
    assert rows[0]["warn"] and str(rows[0]["state"]) == "Due soon"


class ReportingContracts(PagesContract, ApiContract, FilterSetContract):
    writer = "reporting_manager"
    reader = "coo"
    denied = "transport_manager"

    @pytest.fixture(autouse=True)
    def _world(self, reporting_world):
        return reporting_world


class TestReportRun(ReportingContracts):
    model = ReportRun
    read_only = True

    @staticmethod
    def make(world, school):
        return ReportRun.objects.create(
            district=school.district, report_key="enrollment_summary", title="Summary", parameters={}, fingerprint="x"
        )


class TestReportSchedule(ReportingContracts):
    model = ReportSchedule
    bad_field = "hour"
    bad_value = "99"

    @staticmethod
    def make(world, school):
        return ReportSchedule.objects.create(district=school.district, name="Nightly", report_key="enrollment_summary")

    def new_data(self, world):
        return {
            "district": world.district.pk,
            "name": "Oct 2",
            "report_key": "enrollment_summary",
            "minute": "0",
            "hour": "6",
            "day_of_month": "2",
            "month_of_year": "10",
            "day_of_week": "*",
        }


class TestCollection(ReportingContracts):
    model = Collection
    bad_field = "due_date"
    bad_value = "soon"

    @staticmethod
    def make(world, school):
        from district.tests.factories import SchoolYearFactory

        year = SchoolYearFactory(district=school.district, end_year=2031 + next(_keys))
        return Collection.objects.create(
            district=school.district,
            name="EDFacts FS052",
            report_key="enrollment_summary",
            school_year=year,
            due_date=datetime.date(2026, 12, 15),
        )

    def new_data(self, world):
        return {
            "district": world.district.pk,
            "name": "FS052",
            "report_key": "enrollment_summary",
            "school_year": world.year.pk,
            "due_date": "2026-12-15",
            "warn_days": 14,
        }


class TestSexValueSetting(PagesContract, FilterSetContract):
    model = SexValueSetting
    writer = "reporting_manager"
    reader = "coo"
    denied = "transport_manager"
    edit_field = "basis"
    bad_field = "values"
    bad_value = "Q"

    @pytest.fixture(autouse=True)
    def _world(self, reporting_world):
        return reporting_world

    @staticmethod
    def make(world, school):
        return SexValueSetting.objects.create(
            district=school.district, report_key="fs052", spec_version=f"SY {next(_keys)}", values="M F"
        )

    def new_data(self, world):
        from reporting import edfacts

        return {
            "district": world.district.pk,
            "report_key": "fs052",
            "spec_version": edfacts.spec_version(),
            "values": ["M", "F", "X"],
            "others": "block",
        }
