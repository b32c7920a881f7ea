"""OneRoster 1.2 package import and export: a golden package, both users.csv forms, findings, round trips."""

import csv
import datetime
import io
import zipfile

import pytest

from core.models import AuditEntry, Disclosure
from enrollment import models as m
from enrollment.roster import oneroster, testing
from enrollment.roster.oneroster import read_package
from enrollment.roster.services import RosterRejected, roster_export, roster_import, roster_preview
from enrollment.tests.factories import EnrollmentFactory, StudentExternalIdFactory, StudentFactory

pytestmark = pytest.mark.django_db

D = datetime.date


def run(actor, data=None, **kwargs):
    return roster_import(actor=actor, batch=read_package(data or testing.package(**kwargs), "package.zip"))


def snapshot():
    """Every roster record's values and version, to show an import changed nothing."""
    return (
        sorted(m.Student.objects.values_list("pk", "version", "state_id", "legal_last_name", "grade_level", "sex")),
        sorted(m.StudentExternalId.objects.values_list("pk", "source", "external_id", "student_id")),
        sorted(
            m.Enrollment.objects.values_list(
                "pk", "version", "student_id", "school_id", "entry_date", "entry_code", "exit_date", "exit_code"
            )
        ),
        AuditEntry.objects.count(),
    )


@pytest.mark.parametrize("with_resources", [True, False], ids=["with resourceSourcedIds", "without"])
def test_golden_package(world, with_resources):
    manager = testing.enrollment_manager(world)
    plan = run(manager, with_resources=with_resources)

    assert plan.counts() == {
        "students": {"created": 3, "updated": 0, "unchanged": 0},
        "external_ids": {"created": 3, "updated": 0, "unchanged": 0},
        "enrollments": {"created": 4, "updated": 0, "unchanged": 0},
    }
    ana = m.Student.objects.get(state_id="1234567890")
    assert (ana.legal_first_name, ana.legal_middle_name, ana.legal_last_name) == ("Ana", "Rosa", "Diaz")
    assert (ana.birth_date, ana.sex, ana.races, ana.hispanic, ana.race_ethnicity) == (
        D(2016, 5, 1),
        "F",
        "BL7",
        False,
        "BL7",
    )
    assert (ana.grade_level, ana.district) == ("04", world.district)
    ben = m.Student.objects.get(state_id="1234567891")
    assert (ben.preferred_name, ben.sex, ben.races, ben.race_ethnicity) == ("Benny", "M", "AS7 WH7", "MU7")
    cara = m.Student.objects.get(legal_last_name="Moss")
    assert (cara.state_id, cara.sex, cara.grade_level, cara.race_ethnicity) == (None, "X", "KG", "HI7")
    assert not m.Student.objects.filter(legal_last_name="Park").exists()  # the teacher

    assert sorted(m.StudentExternalId.objects.values_list("student__legal_last_name", "source", "external_id")) == [
        ("Diaz", "sis", "5001"),
        ("Lee", "sis", "5002"),
        ("Moss", "lottery", "L-77"),
    ]
    spells = list(
        m.Enrollment.objects.filter(student=ben)
        .order_by("entry_date")
        .values_list("school__name", "entry_date", "entry_code", "exit_date", "exit_code", "is_primary", "grade_level")
    )
    # endDate 2027-01-15 is the last day at Washington: the exit date is the next day.
    assert spells == [
        ("Washington Middle School", D(2026, 8, 27), "E1", D(2027, 1, 16), "M1", True, "07"),
        ("Lincoln Elementary School", D(2027, 1, 16), "E1", None, "", True, "07"),
    ]
    assert m.Enrollment.objects.filter(student=cara, school=world.lincoln, entry_date=D(2026, 9, 2)).exists()
    assert all(e.school_year == world.year for e in m.Enrollment.objects.all())

    findings = {(f.file, f.message): f.lines for f in plan.findings}
    assert findings[("roles.csv", "New enrollment: entry code set to E1 (first entry); correct it if needed.")] == [
        2,
        3,
        4,
        5,
    ]
    assert findings[
        (
            "roles.csv",
            "Ended enrollment: exit code set to M1 (Moved, not known to be continuing); correct it if needed.",
        )
    ] == [3]

    # One audit row per record, marked as an import.
    assert AuditEntry.objects.filter(change="create").count() == 3 + 3 + 4
    assert set(AuditEntry.objects.values_list("source", flat=True)) == {"import"}
    entry = AuditEntry.objects.get(content_type__model="student", object_id=str(ana.pk))
    assert entry.changes["state_id"] == [None, "1234567890"] and entry.actor == manager


def test_reimporting_the_same_package_changes_nothing(world):
    manager = testing.enrollment_manager(world)
    run(manager)
    before = snapshot()
    plan = run(manager)
    assert plan.counts()["students"] == {"created": 0, "updated": 0, "unchanged": 3}
    assert plan.counts()["enrollments"] == {"created": 0, "updated": 0, "unchanged": 4}
    assert snapshot() == before


def test_fields_oneroster_does_not_carry_are_left_as_they_are(world):
    manager = testing.enrollment_manager(world)
    run(manager)
    ana = m.Student.objects.get(state_id="1234567890")
    m.Student.objects.filter(pk=ana.pk).update(local_id="L-9", home_language="Spanish")
    m.Enrollment.objects.filter(student=ana).update(entry_code="E3")
    m.Enrollment.objects.filter(exit_code="M1").update(exit_code="T1")
    m.ProgramParticipation.objects.create(student=ana, program="el", start_date=D(2026, 8, 27))
    before = snapshot()

    parts = testing.files()
    parts["users.csv"][1][0]["middleName"] = "Rose"  # one real change
    plan = run(manager, testing.zip_files(parts))

    assert plan.counts()["students"] == {"created": 0, "updated": 1, "unchanged": 2}
    assert plan.counts()["enrollments"]["updated"] == 0
    ana.refresh_from_db()
    assert (ana.legal_middle_name, ana.local_id, ana.home_language, ana.version) == ("Rose", "L-9", "Spanish", 2)
    assert m.Enrollment.objects.get(student=ana).entry_code == "E3"
    assert m.Enrollment.objects.filter(exit_code="T1").count() == 1
    assert m.ProgramParticipation.objects.filter(student=ana).count() == 1
    assert AuditEntry.objects.count() == before[3] + 1
    assert AuditEntry.objects.latest("id").changes == {"legal_middle_name": ["Rosa", "Rose"]}


def test_unspecified_sex_is_a_finding_for_an_existing_student_and_a_problem_for_a_new_one(world):
    manager = testing.enrollment_manager(world)
    run(manager)
    parts = testing.files()
    parts["demographics.csv"][1][0]["sex"] = "unspecified"  # Ana, who exists
    plan = run(manager, testing.zip_files(parts))
    assert plan.ok and m.Student.objects.get(state_id="1234567890").sex == "F"
    [finding] = [f for f in plan.findings if f.column == "sex"]
    assert (finding.file, finding.lines) == ("demographics.csv", [2])
    assert "unspecified" in finding.message

    parts = testing.files()
    parts["users.csv"][1][0]["identifier"] = "1234567899"  # now a new student
    parts["users.csv"][1][0]["userIds"] = "{SIS:9001}"
    parts["demographics.csv"][1][0]["sex"] = "unspecified"
    with pytest.raises(RosterRejected) as caught:
        run(manager, testing.zip_files(parts))
    [problem] = caught.value.plan.problems
    assert (problem.file, problem.line, problem.column) == ("demographics.csv", 2, "sex")


def test_a_user_id_of_unknown_type_is_a_finding_and_a_role_less_user_is_not_a_student(world):
    parts = testing.files()
    parts["users.csv"][1][0]["userIds"] = "{SIS:5001},{LDAP:adiaz}"
    plan = run(testing.enrollment_manager(world), testing.zip_files(parts))
    assert [(f.file, f.column, f.lines) for f in plan.findings if f.column == "userIds"] == [
        ("users.csv", "userIds", [2])
    ]
    assert not m.StudentExternalId.objects.filter(external_id="adiaz").exists()


def test_a_student_with_no_ids_is_found_again_by_its_sourced_id(world):
    parts = testing.files()
    parts["users.csv"][1][2]["userIds"] = ""  # Cara: no state id, no user ids
    data = testing.zip_files(parts)
    manager = testing.enrollment_manager(world)
    run(manager, data)
    assert m.StudentExternalId.objects.filter(source="oneroster", external_id="stu-3").exists()
    before = snapshot()
    run(manager, data)
    assert snapshot() == before


def test_round_trip_export_then_import_changes_nothing(world):
    manager = testing.enrollment_manager(world)
    kim = StudentFactory(
        district=world.district,
        state_id="2000000001",
        legal_middle_name="J",
        preferred_name="Kimmy",
        races="AS7",
        race_ethnicity="AS7",
        sex="F",
        grade_level="05",
    )
    StudentExternalIdFactory(student=kim, source="sis", external_id="S-1")
    StudentExternalIdFactory(student=kim, source="lottery", external_id="L-1")
    EnrollmentFactory(
        student=kim,
        school=world.lincoln,
        school_year=world.year,
        grade_level="05",
        entry_date=D(2026, 8, 27),
        exit_date=D(2026, 12, 1),
        exit_code="T1",
    )
    EnrollmentFactory(
        student=kim,
        school=world.washington,
        school_year=world.year,
        grade_level="05",
        entry_date=D(2026, 12, 1),
        entry_code="E2",
    )
    EnrollmentFactory(
        student=kim,
        school=world.lincoln,
        school_year=world.year,
        grade_level="05",
        entry_date=D(2026, 12, 1),
        is_primary=False,
    )
    luis = StudentFactory(
        district=world.district,
        state_id="2000000002",
        hispanic=True,
        races="BL7 WH7",
        race_ethnicity="HI7",
        sex="X",
        grade_level="KG",
    )
    EnrollmentFactory(student=luis, school=world.washington, school_year=world.year, grade_level="KG")
    run(manager)  # and the golden package's students
    before = snapshot()

    data, count = roster_export(actor=manager, end_year=2027)
    assert count == 5
    plan = run(manager, data)
    assert all(v["created"] == 0 and v["updated"] == 0 for v in plan.counts().values()), plan.counts()
    assert snapshot()[:3] == before[:3]
    assert AuditEntry.objects.count() == before[3]


def read_zip(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: list(csv.reader(io.StringIO(archive.read(name).decode()))) for name in archive.namelist()}


def test_export_writes_the_binding_in_order_within_scope_and_logs_a_disclosure(world):
    manager = testing.enrollment_manager(world)
    run(manager)
    files = read_zip(roster_export(actor=manager, end_year=2027)[0])
    assert set(files) == {
        "manifest.csv",
        "orgs.csv",
        "academicSessions.csv",
        "users.csv",
        "roles.csv",
        "demographics.csv",
    }
    assert files["users.csv"][0] == oneroster.USERS
    assert files["roles.csv"][0] == oneroster.ROLES
    assert files["demographics.csv"][0] == oneroster.DEMOGRAPHICS
    assert ["oneroster.version", "1.2"] in files["manifest.csv"]
    users = {row[9]: dict(zip(oneroster.USERS, row, strict=True)) for row in files["users.csv"][1:]}
    assert users["1234567890"]["userIds"] == "{sis:5001}" and users["1234567890"]["grades"] == "04"
    roles = [dict(zip(oneroster.ROLES, row, strict=True)) for row in files["roles.csv"][1:]]
    ended = [r for r in roles if r["endDate"]]
    assert [(r["beginDate"], r["endDate"]) for r in ended] == [("2026-08-27", "2027-01-15")]
    demographics = [dict(zip(oneroster.DEMOGRAPHICS, row, strict=True)) for row in files["demographics.csv"][1:]]
    assert sorted(d["sex"] for d in demographics) == ["female", "male", "other"]
    disclosure = Disclosure.objects.get()
    assert (disclosure.actor, disclosure.student_count, disclosure.channel) == (manager, 3, "download")

    staff = testing.enrollment_staff(world, world.washington)
    files = read_zip(roster_export(actor=staff, end_year=2027)[0])
    assert [row[9] for row in files["users.csv"][1:]] == ["1234567891"]  # only Ben was ever at Washington


def test_export_neutralises_formulas_and_reimport_keeps_the_values(world):
    """A name a spreadsheet would run goes out with an apostrophe and comes back as it was: nothing changes."""
    manager = testing.enrollment_manager(world)
    student = StudentFactory(
        district=world.district,
        state_id="2000000009",
        legal_first_name='=HYPERLINK("http://x.example","click")',
        legal_last_name="-Dash",
        preferred_name="'=quoted",
        grade_level="05",
    )
    EnrollmentFactory(student=student, school=world.lincoln, school_year=world.year, grade_level="05")
    data, _count = roster_export(actor=manager, end_year=2027)
    users = {row[9]: dict(zip(oneroster.USERS, row, strict=True)) for row in read_zip(data)["users.csv"][1:]}
    row = users["2000000009"]
    assert (row["givenName"], row["familyName"], row["preferredGivenName"]) == (
        '\'=HYPERLINK("http://x.example","click")',
        "'-Dash",
        "''=quoted",
    )
    before = snapshot()
    plan = run(manager, data)
    assert all(v["created"] == 0 and v["updated"] == 0 for v in plan.counts().values()), plan.counts()
    assert snapshot() == before
    student.refresh_from_db()
    assert (student.legal_first_name, student.legal_last_name, student.preferred_name) == (
        '=HYPERLINK("http://x.example","click")',
        "-Dash",
        "'=quoted",
    )


def test_preview_writes_nothing(world):
    plan = roster_preview(actor=testing.enrollment_manager(world), batch=read_package(testing.package()))
    assert plan.ok and plan.counts()["students"]["created"] == 3
    assert not m.Student.objects.exists() and not AuditEntry.objects.exists()
