"""EDFacts files from enrollment data: counts against an independent SQL query, findings, certification."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from district.models import SchoolProfile
from reporting import edfacts, services
from reporting.models import ReportRun

pytestmark = pytest.mark.django_db


def run(world, key, capture, **params):
    with capture(execute=False):
        r, _ = services.report_request(
            actor=world.reporting_manager,
            report_key=key,
            district=world.district,
            raw_params={"school_year": world.year.pk, **params},
        )
    services.report_run_execute(r.pk)
    return ReportRun.objects.get(pk=r.pk)


def independent_counts(as_of: datetime.date) -> dict[tuple[str, str, str], int]:
    """School, grade, sex counts straight from SQL, not through the ORM helpers the report uses."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT s.state_school_id, e.grade_level, st.sex, COUNT(DISTINCT e.student_id)
            FROM enrollment_enrollment e
            JOIN district_school s ON s.id = e.school_id
            JOIN enrollment_student st ON st.id = e.student_id
            WHERE e.is_primary AND e.entry_date <= %s AND (e.exit_date IS NULL OR e.exit_date > %s)
            GROUP BY s.state_school_id, e.grade_level, st.sex
            """,
            [as_of, as_of],
        )
        return {(r[0], r[1], r[2]): r[3] for r in cursor.fetchall()}


@pytest.mark.parametrize("fmt", ["txt", "csv", "tab"])
@pytest.mark.parametrize("level", ["school", "district", "state"])
def test_fs052_counts_match_sql_in_every_format_and_level(
    reporting_world, django_capture_on_commit_callbacks, fmt, level
):
    r = run(reporting_world, "fs052", django_capture_on_commit_callbacks, fmt=fmt, level=level)
    assert r.status == "succeeded", r.error
    artifact = r.artifacts.get()
    data = artifact.file.read()
    assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    spec = edfacts.get_spec(
        "052", edfacts.SCH if level == "school" else edfacts.LEA if level == "district" else edfacts.SEA
    )
    parsed = edfacts.parse(spec, data, fmt)
    assert int(parsed.header["total_records"]) == len(parsed.records)
    expected = independent_counts(datetime.date(2026, 10, 1))
    details = [rec for rec in parsed.records if rec["total_indicator"] == "N"]
    by_sex: dict[str, int] = {}
    for rec in details:
        by_sex[rec["sex"]] = by_sex.get(rec["sex"], 0) + int(rec["student_count"])
    expected_by_sex: dict[str, int] = {}
    for (_school, _grade, sex), n in expected.items():
        expected_by_sex[sex] = expected_by_sex.get(sex, 0) + n
    assert by_sex == expected_by_sex
    total = [
        rec
        for rec in parsed.records
        if rec["total_indicator"] == "Y" and not rec["grade"] and not rec["race"] and not rec["sex"]
    ]
    assert sum(int(t["student_count"]) for t in total) == sum(expected.values())
    assert not [f for f in r.findings.all() if f.severity == "fatal"]
    assert artifact.name.startswith("CT") and artifact.name.endswith(f".{fmt}")


def test_student_without_race_is_a_fatal_finding_naming_the_record(reporting_world, django_capture_on_commit_callbacks):
    from enrollment.models import Student

    w = reporting_world
    student = Student.objects.filter(enrollments__school=w.lincoln).first()
    Student.objects.filter(pk=student.pk).update(race_ethnicity="", races="")
    r = run(w, "fs052", django_capture_on_commit_callbacks, fmt="csv", level="school")
    fatal = [f for f in r.findings.all() if f.severity == "fatal"]
    assert [(f.record_model, f.record_ids, f.students, f.field) for f in fatal] == [
        ("enrollment.student", [student.pk], 1, "race_ethnicity")
    ]
    assert student.state_id not in fatal[0].message  # the message names no student; the page shows names
    with pytest.raises(ValidationError):
        services.report_run_validate(actor=w.reporting_manager, run=r)


def test_fs039_reports_missing_grades_and_writes_entered_ones(reporting_world, django_capture_on_commit_callbacks):
    w = reporting_world
    SchoolProfile.objects.create(school=w.lincoln, school_year=w.year, grades_offered="KG 01 02 03 04 05")
    r = run(w, "fs039", django_capture_on_commit_callbacks, fmt="csv", level="school")
    parsed = edfacts.parse(edfacts.get_spec("039", edfacts.SCH), r.artifacts.get().file.read(), "csv")
    assert sorted(rec["grade"] for rec in parsed.records) == ["01", "02", "03", "04", "05", "KG"]
    assert any(f.severity == "fatal" and f.record == w.washington.state_school_id for f in r.findings.all())


def test_fs129_values_never_invented(reporting_world, django_capture_on_commit_callbacks):
    w = reporting_world
    SchoolProfile.objects.create(
        school=w.lincoln, school_year=w.year, grades_offered="KG", nslp_status="NSLPCEO", virtual_status="NOTVIRTUAL"
    )
    SchoolProfile.objects.create(school=w.washington, school_year=w.year, grades_offered="06", nslp_status="")
    r = run(w, "fs129", django_capture_on_commit_callbacks, fmt="txt", level="school")
    parsed = edfacts.parse(edfacts.get_spec("129", edfacts.SCH), r.artifacts.get().file.read(), "txt")
    assert [rec["school_id"] for rec in parsed.records] == [w.lincoln.state_school_id]
    assert parsed.records[0]["nslp_status"] == "NSLPCEO"
    assert any("not entered" in f.message for f in r.findings.filter(severity="fatal"))


def test_year_over_year_change_is_a_warning(reporting_world, django_capture_on_commit_callbacks):
    from enrollment.tests import factories as f

    w = reporting_world
    for _ in range(3):  # last year Lincoln had 3 students; now 12: a large change
        f.EnrollmentFactory(
            school=w.lincoln,
            school_year=w.last_year,
            entry_date=datetime.date(2025, 8, 27),
            exit_date=datetime.date(2026, 6, 12),
            exit_code="P1",
            student=f.StudentFactory(district=w.district),
        )
    r = run(w, "fs052", django_capture_on_commit_callbacks, fmt="csv", level="school")
    assert any(f.severity == "warning" for f in r.findings.all())
