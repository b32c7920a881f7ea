"""Reporting for the people who file: form defaults, names, findings' records, department managers, sex values."""

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from core.models import AuditEntry
from district.models import SchoolProfile
from enrollment.tests import factories as f
from reporting import edfacts, registry, selectors, services
from reporting.models import ReportFinding, ReportRun, SexValueSetting

pytestmark = pytest.mark.django_db
OCT_1 = datetime.date(2026, 10, 1)


def run(world, key, capture, actor=None, **params):
    with capture(execute=False):
        r, _reused = services.report_request(
            actor=actor or world.reporting_manager,
            report_key=key,
            district=world.district,
            raw_params={"school_year": world.year.pk, **params},
        )
    services.report_run_execute(r.pk)
    return ReportRun.objects.get(pk=r.pk)


def enrol(world, school, **student):
    return f.EnrollmentFactory(
        school=school, school_year=world.year, student=f.StudentFactory(district=world.district, **student)
    ).student


def listed_ids(client, url) -> set[int]:
    response = client.get(url)
    assert response.status_code == 200
    return {row["obj"].pk for row in response.context["rows"]}


def file_total(r: ReportRun, level: str) -> int:
    spec = edfacts.get_spec("052", level)
    artifact = r.artifacts.get()
    parsed = edfacts.parse(spec, artifact.file.read(), artifact.fmt)
    return sum(edfacts.unit_totals(spec, parsed.records).values())


# The run form and names -----------------------------------------------------


def test_run_form_preselects_users_district_and_current_collection_year(reporting_world, login):
    w = reporting_world
    response = login(w.reporting_manager).get("/reporting/run/fs052/")
    form = response.context["form"]
    assert form.initial["district"] == w.district.pk
    assert form.initial["school_year"] == w.year.pk  # 2026-2027: its October 1 count has passed
    html = response.content.decode()
    assert f'<option value="{w.district.pk}" selected>' in html
    assert f'<option value="{w.year.pk}" selected>' in html
    # an enrollment manager gets their district too
    assert login(w.enrollment_manager).get("/reporting/run/fs052/").context["form"].initial["district"] == (
        w.district.pk
    )


def test_current_collection_year_waits_for_the_count_date(reporting_world):
    from reporting.models import Collection

    w = reporting_world
    fs052 = registry.get("fs052")
    assert selectors.current_collection_year(fs052, w.district, datetime.date(2026, 9, 15)) == w.last_year
    assert selectors.current_collection_year(fs052, w.district, datetime.date(2026, 10, 2)) == w.year
    # a collection due next names its year, once that year's count date has passed
    Collection.objects.create(
        district=w.district,
        name="FS052",
        report_key="fs052",
        school_year=w.last_year,
        due_date=datetime.date(2027, 1, 5),
    )
    assert selectors.current_collection_year(fs052, w.district, datetime.date(2026, 10, 2)) == w.last_year
    assert selectors.current_collection_year(fs052, w.district, datetime.date(2027, 1, 6)) == w.year
    assert selectors.current_collection_year(fs052, w.other_district, datetime.date(2026, 10, 2)) == w.other_year
    assert selectors.current_collection_year(fs052, w.other_district, datetime.date(2026, 7, 1)) is None


def test_parameters_and_history_show_names(reporting_world, login, django_capture_on_commit_callbacks):
    w = reporting_world
    c = login(w.reporting_manager)
    with django_capture_on_commit_callbacks(execute=False):
        response = c.post(
            "/reporting/run/enrollment_summary/",
            {"district": w.district.pk, "school_year": w.year.pk, "as_of": "", "level": "district", "fmt": "csv"},
        )
    r = ReportRun.objects.get()
    services.report_run_execute(r.pk)
    services.report_run_validate(actor=w.reporting_manager, run=r)
    page = c.get(response["Location"])
    params = dict(page.context["parameters"])
    assert params == {
        "District": "Capitol City Public Schools",
        "School year": "2026-2027",
        "As of": "Oct. 1, 2026",
        "Level": "District (LEA)",
        "Format": "Comma separated (.csv)",
    }
    html = page.content.decode()
    assert "school_year=" not in html and f"school_year': {w.year.pk}" not in html
    created, validated = sorted(page.context["history"], key=lambda row: row[0].timestamp)
    assert created[1]["District"] == [None, "Capitol City Public Schools"]
    assert created[1]["School year"] == [None, "2026-2027"]
    assert created[1]["Requested by"][1] == str(w.reporting_manager)
    assert "School year: 2026-2027" in created[1]["Parameters"][1]
    assert validated[1]["Certification"] == ["Draft", "Validated"]
    # the run history (the list of runs) names the year and the district
    history = c.get("/reporting/reportrun/")
    assert [str(v) for v in history.context["rows"][0]["cells"][:2]] == ["Enrollment summary", "2026-2027"]
    assert "Capitol City Public Schools" in history.content.decode()


# Findings and their records ----------------------------------------------------


def test_each_finding_links_to_exactly_its_records_and_counts_students(
    reporting_world, login, django_capture_on_commit_callbacks, monkeypatch
):
    from enrollment import reports

    monkeypatch.setattr(reports, "MAX_IDS", 2)  # three students in one group: two findings, two links
    w = reporting_world
    no_race = [enrol(w, w.lincoln, races="", race_ethnicity="") for _ in range(3)]
    nonbinary = enrol(w, w.washington, sex="X")
    enrol(w, w.other_school, races="", race_ethnicity="")  # another district: not in this run
    r = run(w, "fs052", django_capture_on_commit_callbacks, fmt="csv", level="school")
    left_out = list(r.findings.filter(code="left_out"))
    race = [x for x in left_out if x.field == "race_ethnicity"]
    assert sorted(pk for x in race for pk in x.record_ids) == sorted(s.pk for s in no_race)
    assert sorted(x.students for x in race) == [1, 2] and all(x.students == len(x.record_ids) for x in race)
    assert "part 1 of 2" in race[0].message and "3 students" not in race[0].message
    sex = [x for x in left_out if x.field == "sex"]
    assert [(x.record_ids, x.students, x.severity) for x in sex] == [([nonbinary.pk], 1, "fatal")]

    c = login(w.reporting_manager)
    page = c.get(f"/reporting/reportrun/{r.pk}/")
    rows = {row["finding"].pk: row for row in page.context["findings"]}
    for finding in left_out:
        link = rows[finding.pk]["link"]
        assert link.startswith("/enrollment/student/?id=")
        assert listed_ids(c, link) == set(finding.record_ids)  # exactly the students, no more
    assert "Open the 2 students" in page.content.decode()

    # a tampered or foreign id opens nothing more than the user may see
    assert listed_ids(c, "/enrollment/student/?id=abc") == set()
    other = ReportFinding.objects.create(
        run=r, severity="fatal", message="x", record_model="enrollment.student", record_ids=[no_race[0].pk]
    )
    assert listed_ids(c, f"/enrollment/student/?id={other.record_ids[0]},999999") == {no_race[0].pk}


def test_school_findings_link_to_the_schools_and_count_their_students(
    reporting_world, login, django_capture_on_commit_callbacks
):
    w = reporting_world
    SchoolProfile.objects.create(school=w.lincoln, school_year=w.year, grades_offered="KG 01 02 03 04 05")
    r = run(w, "fs039", django_capture_on_commit_callbacks, fmt="csv", level="school")
    finding = r.findings.get(field="grades_offered")
    assert (finding.record_model, finding.record_ids) == ("district.school", [w.washington.pk])
    assert finding.students == 0  # Washington's one student enters after October 1
    c = login(w.reporting_manager)
    row = next(x for x in c.get(f"/reporting/reportrun/{r.pk}/").context["findings"] if x["finding"] == finding)
    assert listed_ids(c, row["link"]) == {w.washington.pk}
    # Lincoln's twelve students are counted on a school finding about Lincoln
    lincoln = run(w, "fs129", django_capture_on_commit_callbacks, fmt="csv", level="school")
    assert lincoln.findings.get(record_ids=[w.lincoln.pk]).students == 12


def test_run_page_queries_do_not_grow_with_findings(reporting_world, login):
    w = reporting_world
    students = [enrol(w, w.lincoln) for _ in range(30)]

    def make(n):
        r = ReportRun.objects.create(
            district=w.district,
            report_key="fs052",
            title="FS052",
            department="enrollment",
            school_year=w.year,
            parameters={"school_year": w.year.pk, "as_of": "2026-10-01", "level": "school", "fmt": "csv"},
            fingerprint=f"x{n}",
            status="succeeded",
        )
        for s in students[:n]:
            ReportFinding.objects.create(
                run=r, severity="fatal", message="m", record_model="enrollment.student", record_ids=[s.pk], students=1
            )
        ReportFinding.objects.create(
            run=r, severity="fatal", message="m", record_model="district.school", record_ids=[w.lincoln.pk]
        )
        return r

    small, large = make(3), make(30)
    c = login(w.reporting_manager)
    counts = []
    for r in (small, large):
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(f"/reporting/reportrun/{r.pk}/").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


# Validation with fatal findings open -------------------------------------------


def test_validation_is_not_offered_and_refused_while_fatal_findings_are_open(
    reporting_world, login, api, django_capture_on_commit_callbacks
):
    w = reporting_world
    enrol(w, w.lincoln, races="", race_ethnicity="")
    r = run(w, "fs052", django_capture_on_commit_callbacks, fmt="csv", level="district")
    assert r.findings.filter(severity="fatal").exists()
    c = login(w.reporting_manager)
    html = c.get(f"/reporting/reportrun/{r.pk}/").content.decode()
    assert "Mark validated" not in html and "fatal finding is open" in html
    response = c.post(f"/reporting/reportrun/{r.pk}/validate/")
    assert response.status_code == 302
    r.refresh_from_db()
    assert r.certification == "draft"
    refused = api(w.reporting_manager).post(f"/api/reporting/runs/{r.pk}/validate/")
    assert refused.status_code == 400 and "fatal" in refused.json()["non_field_errors"][0]
    r.refresh_from_db()
    assert r.certification == "draft"
    assert not AuditEntry.objects.filter(object_id=str(r.pk), change="update").exists()
    # a clean run is offered validation, and the API validates it
    clean = run(w, "enrollment_summary", django_capture_on_commit_callbacks, fmt="csv")
    assert "Mark validated" in c.get(f"/reporting/reportrun/{clean.pk}/").content.decode()
    done = api(w.reporting_manager).post(f"/api/reporting/runs/{clean.pk}/validate/")
    assert done.status_code == 200 and done.json()["certification"] == "validated"
    assert api(w.coo).post(f"/api/reporting/runs/{clean.pk}/certify/").status_code == 403


# Department managers ---------------------------------------------------------


@pytest.fixture
def transport_report():
    def build(ctx):
        return registry.BuildResult(outputs=[registry.Output("ridership.csv", "csv", b"riders\r\n0\r\n")])

    report = registry.register(
        registry.Report(
            key="test_ridership",
            title="Ridership",
            department="transportation",
            build=build,
            formats=("csv",),
            levels=("district",),
            default_as_of=lambda year: year.start_date,
        )
    )
    yield report
    registry.unregister(report.key)


def test_department_manager_runs_and_reads_own_departments_reports_only(
    reporting_world, login, api, transport_report, django_capture_on_commit_callbacks
):
    w = reporting_world
    theirs = run(w, "test_ridership", django_capture_on_commit_callbacks)  # run by the reporting office
    c = login(w.enrollment_manager)
    catalogue = c.get("/reporting/")
    keys = {row["report"].key: row["can_run"] for row in catalogue.context["rows"]}
    assert keys["fs052"] and keys["october_worksheet"] and "test_ridership" not in keys
    with django_capture_on_commit_callbacks(execute=False):
        response = c.post(
            "/reporting/run/fs052/",
            {"district": w.district.pk, "school_year": w.year.pk, "as_of": "", "level": "district", "fmt": "csv"},
        )
    assert response.status_code == 302
    mine = ReportRun.objects.get(report_key="fs052")
    assert mine.department == "enrollment" and mine.requested_by == w.enrollment_manager
    services.report_run_execute(mine.pk)
    assert c.get(f"/reporting/reportrun/{mine.pk}/").status_code == 200
    assert c.get(f"/reporting/reportrun/{theirs.pk}/").status_code == 404
    assert listed_ids(c, "/reporting/reportrun/") == {mine.pk}
    assert c.get("/reporting/run/test_ridership/").status_code == 403
    with pytest.raises(PermissionDenied):
        services.report_request(
            actor=w.enrollment_manager,
            report_key="test_ridership",
            district=w.district,
            raw_params={"school_year": w.year.pk},
        )
    api_runs = api(w.enrollment_manager).get("/api/reporting/runs/").json()["results"]
    assert [x["id"] for x in api_runs] == [mine.pk]
    assert {x["key"] for x in api(w.enrollment_manager).get("/api/reporting/reports/").json()} >= {"fs052"}
    # the transportation manager reads the transportation run, not enrollment's
    t = login(w.transport_manager)
    assert listed_ids(t, "/reporting/reportrun/") == {theirs.pk}
    assert t.get(f"/reporting/reportrun/{mine.pk}/").status_code == 404
    # only the reporting office certifies
    with pytest.raises(PermissionDenied):
        services.report_run_certify(actor=w.enrollment_manager, run=mine)


def test_department_without_reports_gets_no_reporting_pages(reporting_world, login):
    assert login(reporting_world.facilities_manager).get("/reporting/").status_code == 403
    assert not ReportRun.objects.restrict(reporting_world.facilities_manager).exists()


# Nonbinary sex: the setting, the left-out students, the totals ----------------------


def setting_data(world, **changes):
    return {
        "district": world.district.pk,
        "report_key": "fs052",
        "spec_version": edfacts.spec_version(),
        "values": ["M", "F", "X"],
        "others": "block",
        "basis": "State guidance, August 2026",
        **changes,
    }


def test_sex_setting_decides_whether_x_is_fatal_and_left_out_students_are_listed(
    reporting_world, login, django_capture_on_commit_callbacks
):
    w = reporting_world
    x_lincoln, x_washington = enrol(w, w.lincoln, sex="X"), enrol(w, w.washington, sex="X")
    x_ids = sorted([x_lincoln.pk, x_washington.pk])

    # no setting: the spec version's M and F; X students are left out, fatal, named
    first = run(w, "fs052", django_capture_on_commit_callbacks, fmt="csv", level="district")
    sex = list(first.findings.filter(field="sex"))
    assert {x.severity for x in sex} == {"fatal"} and sorted(pk for x in sex for pk in x.record_ids) == x_ids
    assert first.totals == {"membership": 14, "reported": 12, "left_out": 2}
    assert file_total(first, "LEA") == 12
    assert first.parameters["sex_values"] == "M F" and first.parameters["other_sex"] == "block"
    with pytest.raises(ValidationError):
        services.report_run_validate(actor=w.reporting_manager, run=first)

    # names of the left-out students only for those who may see them
    manager_page = login(w.reporting_manager).get(f"/reporting/reportrun/{first.pk}/")
    names = [n for row in manager_page.context["findings"] for n, _url in row["names"]]
    assert sorted(names) == sorted([str(x_lincoln), str(x_washington)])
    staff_rows = login(w.reporting_staff).get(f"/reporting/reportrun/{first.pk}/").context["findings"]
    assert [n for row in staff_rows for n, _url in row["names"]] == [str(x_lincoln)]
    assert sum(row["hidden"] for row in staff_rows) == 1
    assert str(x_washington.state_id) not in " ".join(x.message for x in sex)

    # a reporting manager permits X: X is reported, nothing left out
    staff = login(w.reporting_staff)
    assert staff.post("/reporting/sexvaluesetting/add/", setting_data(w)).status_code == 400
    c = login(w.reporting_manager)
    assert c.post("/reporting/sexvaluesetting/add/", setting_data(w, values=["F", "X"])).status_code == 400
    assert not SexValueSetting.objects.exists()
    assert c.post("/reporting/sexvaluesetting/add/", setting_data(w)).status_code == 302
    setting = SexValueSetting.objects.get()
    assert setting.values == "M F X"
    assert AuditEntry.objects.filter(object_id=str(setting.pk), change="create", actor=w.reporting_manager).exists()
    permitted = run(w, "fs052", django_capture_on_commit_callbacks, fmt="csv", level="district")
    assert permitted.pk != first.pk and not permitted.findings.filter(code="left_out").exists()
    assert permitted.totals == {"membership": 14, "reported": 14, "left_out": 0}
    assert file_total(permitted, "LEA") == 14
    assert not permitted.findings.filter(severity="fatal").exists()

    # M and F only, leaving X students out on purpose: a warning listing them; validation allowed
    edit = setting_data(w, values=["M", "F"], others="leave_out", version=setting.version)
    assert c.post(f"/reporting/sexvaluesetting/{setting.pk}/edit/", edit).status_code == 302
    assert AuditEntry.objects.filter(object_id=str(setting.pk), change="update").exists()
    left = run(w, "fs052", django_capture_on_commit_callbacks, fmt="csv", level="district")
    sex = list(left.findings.filter(field="sex"))
    assert {x.severity for x in sex} == {"warning"} and sorted(pk for x in sex for pk in x.record_ids) == x_ids
    assert "left out as the setting says" in sex[0].message
    assert services.report_run_validate(actor=w.reporting_manager, run=left).certification == "validated"


def test_fs052_and_worksheet_totals_reconcile_with_the_listed_exclusions(
    reporting_world, login, django_capture_on_commit_callbacks
):
    w = reporting_world
    nonbinary = [enrol(w, w.lincoln, sex="X") for _ in range(2)]
    no_race = enrol(w, w.washington, races="", race_ethnicity="")
    fs052 = run(w, "fs052", django_capture_on_commit_callbacks, fmt="csv", level="school")
    worksheet = run(w, "october_worksheet", django_capture_on_commit_callbacks)
    listed = {pk for x in fs052.findings.filter(code="left_out") for pk in x.record_ids}
    assert listed == {s.pk for s in [*nonbinary, no_race]}

    book = load_workbook(io.BytesIO(worksheet.artifacts.get().file.read()))
    counted = list(book["Counted"].iter_rows(values_only=True))[1:]
    not_in_fs052 = list(book["Not in FS052"].iter_rows(values_only=True))[1:]
    assert len(counted) == 15 == file_total(fs052, "SCH") + len(listed)
    assert fs052.totals == {"membership": 15, "reported": 12, "left_out": 3}
    assert worksheet.totals["counted"] == 15 and worksheet.totals["not_in_fs052"] == 3
    reasons = {row[2]: row[5] for row in not_in_fs052}
    assert reasons == {
        nonbinary[0].state_id: "Sex X: the file carries M, F only",
        nonbinary[1].state_id: "Sex X: the file carries M, F only",
        no_race.state_id: "No race/ethnicity",
    }
    # the worksheet names students: only for those who may see every student of the district
    artifact = worksheet.artifacts.get()
    assert login(w.reporting_staff).get(f"/reporting/file/{artifact.pk}/").status_code == 403
    assert login(w.reporting_manager).get(f"/reporting/file/{artifact.pk}/").status_code == 200


def test_students_dropped_for_a_reason_not_listed_are_counted_as_unexplained(
    reporting_world, django_capture_on_commit_callbacks
):
    from district.models import School

    w = reporting_world
    School.objects.filter(pk=w.lincoln.pk).update(state_school_id="64000ÿ1")  # cannot be written in the file
    r = run(w, "fs052", django_capture_on_commit_callbacks, fmt="csv", level="school")
    unexplained = r.findings.get(code="unexplained")
    assert unexplained.severity == "fatal" and unexplained.message.startswith("12 students")
    assert r.totals == {"membership": 12, "reported": 0, "left_out": 0}
