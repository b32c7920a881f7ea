"""Malformed OneRoster packages and out-of-scope rows: nothing is written, every bad row is reported."""

import datetime
import io
import zipfile

import pytest

from core.models import AuditEntry
from enrollment import models as m
from enrollment.roster import oneroster, testing
from enrollment.roster.oneroster import read_package
from enrollment.roster.services import RosterRejected, roster_import
from enrollment.tests.factories import EnrollmentFactory, StudentFactory

pytestmark = pytest.mark.django_db


def rejected(actor, parts) -> set[tuple]:
    """Import edited files; assert nothing was written; return the problems as (file, line, column, message)."""
    students, enrollments, audits = m.Student.objects.count(), m.Enrollment.objects.count(), AuditEntry.objects.count()
    data = parts if isinstance(parts, bytes) else testing.zip_files(parts)
    with pytest.raises(RosterRejected) as caught:
        roster_import(actor=actor, batch=read_package(data, "package.zip"))
    assert (m.Student.objects.count(), m.Enrollment.objects.count(), AuditEntry.objects.count()) == (
        students,
        enrollments,
        audits,
    )
    return {(p.file, p.line, p.column, str(p.message)) for p in caught.value.plan.problems}


@pytest.fixture
def manager(world):
    return testing.enrollment_manager(world)


def test_missing_column(manager):
    parts = testing.files()
    columns, rows = parts["users.csv"]
    parts["users.csv"] = ([c for c in columns if c != "familyName"], rows)
    assert rejected(manager, parts) == {("users.csv", 1, "familyName", "Required column is missing.")}


def test_scrambled_columns(manager):
    parts = testing.files()
    columns, rows = parts["roles.csv"]
    scrambled = list(columns)
    scrambled[6], scrambled[7] = scrambled[7], scrambled[6]  # endDate before beginDate
    parts["roles.csv"] = (scrambled, rows)
    [(file, line, column, message)] = rejected(manager, parts)
    assert (file, line, column) == ("roles.csv", 1, "endDate")
    assert message.startswith("Columns are out of order: column 7 should be “beginDate”.")


def test_unknown_extension_column_and_missing_file(manager):
    parts = testing.files()
    columns, rows = parts["orgs.csv"]
    parts["orgs.csv"] = ([*columns, "notes"], rows)
    del parts["demographics.csv"]
    problems = rejected(manager, parts)
    assert ("orgs.csv", 1, "notes", "Unknown column (extension columns start with metadata.).") in problems
    assert ("demographics.csv", 1, "", "The manifest lists this file but the package does not contain it.") in problems


def test_extension_columns_after_the_standard_ones_are_accepted(manager):
    parts = testing.files()
    columns, rows = parts["users.csv"]
    parts["users.csv"] = ([*columns, "metadata.homeroom"], rows)
    assert roster_import(actor=manager, batch=read_package(testing.zip_files(parts))).ok


def test_unknown_school(manager):
    parts = testing.files()
    parts["orgs.csv"][1][2]["identifier"] = "9999999"  # Washington's line
    assert rejected(manager, parts) == {
        ("orgs.csv", 4, "identifier", "No school with state school id “9999999” that you may use.")
    }


def test_a_school_of_another_district_is_unknown(world, manager):
    parts = testing.files()
    parts["orgs.csv"][1][2]["identifier"] = world.other_school.state_school_id
    assert ("orgs.csv", 4, "identifier", "No school with state school id “6410011” that you may use.") in rejected(
        manager, parts
    )


def test_duplicate_ids(manager):
    parts = testing.files()
    users = parts["users.csv"][1]
    users.append({**users[0], "identifier": "1234567800", "userIds": ""})  # same sourcedId as line 2
    users.append({**users[1], "sourcedId": "stu-9", "userIds": "{SIS:5009}"})  # same state id as line 3
    roles = parts["roles.csv"][1]
    roles.append({**roles[0]})  # same role sourcedId as line 2
    roles.append({**roles[3], "userSourcedId": "stu-9", "sourcedId": "r-9"})
    assert rejected(manager, parts) == {
        ("users.csv", 6, "sourcedId", "Duplicate of line 2."),
        ("users.csv", 7, "identifier", "Duplicate of line 3."),
        ("roles.csv", 7, "sourcedId", "Duplicate of line 2."),
    }


def test_impossible_dates(manager):
    parts = testing.files()
    roles = parts["roles.csv"][1]
    roles[0]["endDate"] = "2026-08-20"  # ends before it begins (2026-08-27)
    roles[3]["beginDate"] = "2026-02-30"
    demographics = parts["demographics.csv"][1]
    demographics[1]["birthDate"] = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    demographics[2]["birthDate"] = "2021-02-30"
    assert rejected(manager, parts) == {
        ("roles.csv", 2, "endDate", "The exit date comes before the entry date."),
        ("roles.csv", 5, "beginDate", "“2026-02-30” is not a date (YYYY-MM-DD)."),
        ("demographics.csv", 3, "birthDate", "The birth date is in the future."),
        ("demographics.csv", 4, "birthDate", "“2021-02-30” is not a date (YYYY-MM-DD)."),
    }


def test_grade_not_in_the_list_and_sasid_not_ten_digits(manager):
    parts = testing.files()
    users = parts["users.csv"][1]
    users[0]["grades"] = "TK"
    users[1]["identifier"] = "12345"
    users[2]["grades"] = "05,06"
    assert rejected(manager, parts) == {
        ("users.csv", 2, "grades", "Value 'TK' is not a valid choice."),
        ("users.csv", 3, "identifier", "A state student id (SASID) is ten digits."),
        ("users.csv", 4, "grades", "A student has one grade; this row gives 2."),
    }


def test_bad_enumerations_and_references(manager):
    parts = testing.files()
    parts["orgs.csv"][1].append({"sourcedId": "x-1", "name": "Annex", "type": "campus"})
    roles = parts["roles.csv"][1]
    roles[0]["roleType"] = "main"
    roles[1]["userSourcedId"] = "nobody"
    roles[2]["orgSourcedId"] = "lea-640"
    parts["demographics.csv"][1][0]["sex"] = "f"
    parts["demographics.csv"][1][1]["white"] = "yes"
    problems = rejected(manager, parts)
    assert {(f, line, c) for f, line, c, _ in problems} == {
        ("orgs.csv", 5, "type"),
        ("roles.csv", 2, "roleType"),
        ("roles.csv", 3, "userSourcedId"),
        ("roles.csv", 4, "orgSourcedId"),
        ("demographics.csv", 2, "sex"),
        ("demographics.csv", 3, "white"),
    }


def test_a_new_student_without_demographics_needs_them(manager):
    parts = testing.files()
    parts["demographics.csv"][1].pop(0)
    problems = rejected(manager, parts)
    assert {(f, line, c) for f, line, c, _ in problems} == {("users.csv", 2, "birthDate"), ("users.csv", 2, "sex")}


def test_every_bad_row_is_reported_at_once(manager):
    parts = testing.files()
    parts["users.csv"][1][0]["grades"] = "TK"
    parts["users.csv"][1][1]["identifier"] = "12345"
    parts["roles.csv"][1][3]["beginDate"] = "2026-13-01"
    parts["orgs.csv"][1][2]["identifier"] = "9999999"
    assert len(rejected(manager, parts)) == 4


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (b"not a zip", ("package.zip", 1, "")),
        (testing.zip_files({"users.csv": (oneroster.USERS, [])}), ("manifest.csv", 1, "")),
    ],
    ids=["not a zip", "no manifest"],
)
def test_not_a_package(manager, data, where):
    assert {p[:3] for p in rejected(manager, data)} == {where}


def test_delta_and_other_versions_are_refused(manager):
    parts = testing.files()
    manifest = parts["manifest.csv"][1]
    manifest[1]["value"] = "1.1"
    next(row for row in manifest if row["propertyName"] == "file.users")["value"] = "delta"
    problems = rejected(manager, parts)
    assert {(f, c) for f, _line, c, _msg in problems} == {
        ("manifest.csv", "oneroster.version"),
        ("manifest.csv", "file.users"),
    }


def test_a_row_with_too_few_fields(manager):
    text = testing.table(oneroster.ROLES, testing.ROLE_ROWS).decode().splitlines()
    text[2] = ",".join(text[2].split(",")[:5])
    parts = {**testing.files(), "roles.csv": ("\n".join(text) + "\n").encode()}
    assert ("roles.csv", 3, "", "This row has 5 fields; the header has 10.") in rejected(manager, parts)


def test_not_utf8(manager):
    parts = {**testing.files(), "orgs.csv": "sourcedId,name\nx,Écôle\n".encode("latin-1")}
    assert ("orgs.csv", 1, "", "The file is not UTF-8 text.") in rejected(manager, parts)


def test_overlapping_primary_enrollments_in_the_file(manager):
    parts = testing.files()
    parts["roles.csv"][1][2]["beginDate"] = "2027-01-10"  # Lincoln before Washington ends (2027-01-15)
    [(file, line, column, message)] = rejected(manager, parts)
    assert (file, line, column) == ("roles.csv", 4, "beginDate")
    assert message.startswith("The student already has a primary enrollment then: Washington Middle School")


def test_overlapping_an_existing_primary_enrollment(world, manager):
    ana = StudentFactory(district=world.district, state_id="1234567890")
    EnrollmentFactory(
        student=ana, school=world.washington, school_year=world.year, entry_date=datetime.date(2026, 8, 27)
    )
    problems = rejected(manager, testing.files())
    assert {(f, line, c) for f, line, c, _ in problems} == {("roles.csv", 2, "beginDate")}


def test_staff_at_lincoln_cannot_import_a_student_enrolled_at_washington(world):
    ben = StudentFactory(district=world.district, state_id="1234567891")
    EnrollmentFactory(
        student=ben,
        school=world.washington,
        school_year=world.year,
        entry_date=datetime.date(2026, 8, 27),
        exit_date=datetime.date(2027, 1, 16),
        exit_code="T1",
    )
    staff = testing.enrollment_staff(world, world.lincoln)
    assert rejected(staff, testing.files()) == {
        ("users.csv", 3, "identifier", "This student is outside what you may change.")
    }


def test_staff_cannot_add_enrollments_at_another_school(world):
    staff = testing.enrollment_staff(world, world.lincoln)
    parts = testing.files()
    parts["users.csv"][1].pop(1)  # without Ben, all roles are at Lincoln but one:
    columns, roles = parts["roles.csv"]
    parts["roles.csv"] = (columns, [r for r in roles if r["userSourcedId"] != "stu-2"])
    parts["roles.csv"][1][0]["orgSourcedId"] = "sch-wash"
    assert rejected(staff, parts) == {
        ("roles.csv", 2, "orgSourcedId", "You may not add enrollments at Washington Middle School.")
    }


def test_staff_at_lincoln_imports_lincoln_students(world):
    staff = testing.enrollment_staff(world, world.lincoln)
    parts = testing.files()
    parts["users.csv"][1].pop(1)
    columns, roles = parts["roles.csv"]
    parts["roles.csv"] = (columns, [r for r in roles if r["userSourcedId"] != "stu-2"])
    plan = roster_import(actor=staff, batch=read_package(testing.zip_files(parts)))
    assert plan.counts()["students"]["created"] == 2
    assert set(m.Enrollment.objects.values_list("school", flat=True)) == {world.lincoln.pk}


def test_readers_cannot_import(world):
    for persona in (world.principal_lincoln, world.coo, world.district_admin, world.transport_manager):
        problems = rejected(persona, testing.files())
        assert ("users.csv", 2, "identifier", "You may not add students.") in problems


def test_a_zip_of_the_right_files_in_a_folder_is_refused_clearly(manager):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("export/manifest.csv", "propertyName,value\n")
    assert rejected(manager, buffer.getvalue()) == {
        ("manifest.csv", 1, "", "A OneRoster package must contain manifest.csv.")
    }


# -- cells the csv module cannot read, and null characters ------------------------------------------------


def test_an_oversized_cell_is_reported_on_its_row(manager):
    from core.spreadsheets import MAX_CELL

    parts = testing.files()
    parts["users.csv"][1][1]["givenName"] = "x" * (MAX_CELL + 1)
    parts["roles.csv"][1][0]["beginDate"] = "2026-02-30"  # and a bad row after it, in another file
    assert rejected(manager, parts) == {
        ("users.csv", 3, "givenName", "This cell is longer than 131,072 characters."),
        ("roles.csv", 2, "beginDate", "“2026-02-30” is not a date (YYYY-MM-DD)."),
    }


def test_null_characters_are_refused_where_they_are(manager):
    parts = testing.files()
    parts["users.csv"][1][0]["familyName"] = "Di\x00az"
    parts["manifest.csv"][1][-1]["value"] = "Test\x00SIS"
    assert rejected(manager, parts) == {
        ("users.csv", 2, "familyName", "Null characters are not allowed."),
        ("manifest.csv", 12, "value", "Null characters are not allowed."),
    }


def test_enrollment_file_with_an_oversized_cell_or_a_null(world, manager):
    from core.spreadsheets import MAX_CELL
    from enrollment.roster.enrollment_csv import read_enrollment_file

    StudentFactory(district=world.district, state_id="3000000001")
    rows = [
        "state_id,school,school_year,grade_level,entry_date",
        "3000000001,6400011,2027,04,2026-08-27",
        f"{'9' * (MAX_CELL + 1)},6400011,2027,04,2026-08-27",
        "3000000001,6400011,2027,0\x004,2026-08-28",
    ]
    batch = read_enrollment_file("\n".join(rows).encode(), "e.csv")
    assert {(p.line, p.column) for p in batch.problems} == {(3, "state_id"), (4, "grade_level")}
    before = m.Enrollment.objects.count()
    with pytest.raises(RosterRejected):
        roster_import(actor=manager, batch=batch)
    assert m.Enrollment.objects.count() == before


def test_enrollment_file_with_an_impossible_exit_date(world, manager):
    """A date that is not a date is reported on its row (the model's own rule once compared it as text)."""
    from enrollment.roster.enrollment_csv import read_enrollment_file

    StudentFactory(district=world.district, state_id="3000000001")
    data = b"state_id,school,school_year,grade_level,entry_date,exit_date,exit_code\n"
    data += b"3000000001,6400011,2027,04,2026-08-27,2026-02-30,T1\n"
    with pytest.raises(RosterRejected) as caught:
        roster_import(actor=manager, batch=read_enrollment_file(data, "e.csv"))
    assert {(p.line, p.column) for p in caught.value.plan.problems} == {(2, "exit_date")}
    assert not m.Enrollment.objects.exists()
