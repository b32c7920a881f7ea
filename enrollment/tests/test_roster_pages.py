"""The roster sync page: upload, preview with every problem, commit; the enrollment file; export."""

import datetime
import io

import pytest
from openpyxl import Workbook

from core.models import AuditEntry, Disclosure
from enrollment import models as m
from enrollment.roster import testing
from enrollment.tests.factories import EnrollmentFactory, StudentExternalIdFactory, StudentFactory

pytestmark = pytest.mark.django_db

URL = "/enrollment/roster/"
D = datetime.date


def upload(client, data: bytes, name: str):
    f = io.BytesIO(data)
    f.name = name
    return client.post(URL, {"file": f})


def csv_file(
    *rows, header="state_id,school,school_year,grade_level,entry_date,entry_code,exit_date,exit_code,is_primary"
):
    return ("\n".join([header, *rows]) + "\n").encode()


@pytest.fixture
def manager(world):
    return testing.enrollment_manager(world)


@pytest.fixture
def students(world):
    ana = StudentFactory(district=world.district, state_id="3000000001")
    ben = StudentFactory(district=world.district, state_id="3000000002")
    StudentExternalIdFactory(student=ben, source="sis", external_id="B-2")
    return ana, ben


def test_who_may_use_the_page(world, login, manager, client):
    assert client.get(URL).status_code == 302  # to sign in
    for persona in (world.district_admin, world.stranger):
        assert login(persona).get(URL).status_code == 403
    for persona in (world.principal_lincoln, world.coo, world.transport_manager):  # readers: the export only
        c = login(persona)
        html = c.get(URL).content.decode()
        assert "Download OneRoster package" in html and "Check file" not in html
        assert upload(c, testing.package(), "sis.zip").status_code == 403
    response = login(manager).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Roster sync</h1>" in html and 'for="id_file"' in html and 'for="id_year"' in html


def test_integration_accounts_use_the_api_only(world, login):
    assert login(world.sis_integration).get(URL).status_code == 403


def test_oneroster_upload_preview_then_commit(login, manager):
    c = login(manager)
    response = upload(c, testing.package(), "sis.zip")
    assert response.status_code == 200
    assert response.context["counts"]["students"]["created"] == 3
    assert not m.Student.objects.exists()  # the preview writes nothing
    html = response.content.decode()
    assert "Import all rows" in html and "New enrollment: entry code set to E1" in html
    response = c.post(URL, {"token": response.context["token"]})
    assert response.status_code == 302
    assert m.Student.objects.count() == 3 and m.Enrollment.objects.count() == 4
    message = next(str(msg) for msg in c.get(URL).context["messages"])
    assert message.startswith("Imported sis.zip: 3 students added")


def test_preview_lists_every_problem_and_offers_no_commit(login, manager):
    parts = testing.files()
    parts["users.csv"][1][0]["grades"] = "TK"
    parts["roles.csv"][1][3]["beginDate"] = "2026-02-30"
    response = upload(login(manager), testing.zip_files(parts), "sis.zip")
    assert response.status_code == 400
    assert response.context["token"] is None
    html = response.content.decode()
    assert "2 problems; nothing was written" in html
    assert "Value &#x27;TK&#x27; is not a valid choice." in html and "2026-02-30" in html
    assert '<th scope="col">Line</th>' in html


def test_a_stale_token_is_refused(login, manager):
    response = login(manager).post(URL, {"token": "nothing-stored"}, follow=True)
    assert "That preview has expired" in response.content.decode()
    assert not m.Student.objects.exists()


def test_upload_must_be_a_known_kind(login, manager):
    response = upload(login(manager), b"hello", "notes.txt")
    assert response.status_code == 400
    assert "Upload a .zip OneRoster package" in response.content.decode()


def test_enrollment_file_by_state_id_and_external_id(world, login, manager, students):
    ana, ben = students
    data = csv_file(
        "3000000001,6400011,2027,04,2026-08-27,,,,",
        header="state_id,school,school_year,grade_level,entry_date,entry_code,exit_date,exit_code,is_primary",
    )
    c = login(manager)
    response = upload(c, data, "enrollments.csv")
    assert response.status_code == 200, response.context["problems"]
    c.post(URL, {"token": response.context["token"]})
    spell = m.Enrollment.objects.get(student=ana)
    assert (spell.school, spell.school_year, spell.entry_code, spell.is_primary) == (
        world.lincoln,
        world.year,
        "E1",
        True,
    )

    by_external = csv_file(
        "sis,B-2,6400012,2027,07,2026-09-01,E3",
        header="source,external_id,school,school_year,grade_level,entry_date,entry_code",
    )
    response = upload(c, by_external, "more.csv")
    c.post(URL, {"token": response.context["token"]})
    assert m.Enrollment.objects.get(student=ben).entry_code == "E3"


def test_enrollment_file_reimport_changes_nothing_and_updates_in_place(world, login, manager, students):
    rows = ["3000000001,6400011,2027,04,2026-08-27,E2,,,true", "3000000002,6400012,2027,07,2026-08-27,,,,"]
    c = login(manager)
    c.post(URL, {"token": upload(c, csv_file(*rows), "e.csv").context["token"]})
    audits = AuditEntry.objects.count()
    again = upload(c, csv_file(*rows), "e.csv")
    assert again.context["counts"]["enrollments"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert again.context["token"] is None and "Nothing to change" in again.content.decode()
    assert AuditEntry.objects.count() == audits

    rows[1] = "3000000002,6400012,2027,07,2026-08-27,,2027-01-10,T1,"  # the student leaves
    response = upload(c, csv_file(*rows), "e.csv")
    assert response.context["counts"]["enrollments"] == {"created": 0, "updated": 1, "unchanged": 1}
    c.post(URL, {"token": response.context["token"]})
    spell = m.Enrollment.objects.get(student__state_id="3000000002")
    assert (spell.exit_date, spell.exit_code, spell.version) == (D(2027, 1, 10), "T1", 2)


def test_enrollment_file_xlsx(world, login, manager, students):
    book = Workbook()
    sheet = book.active
    sheet.append(["state_id", "school", "school_year", "grade_level", "entry_date"])
    sheet.append(["3000000001", "6400011", 2027, "04", datetime.datetime(2026, 8, 27)])
    buffer = io.BytesIO()
    book.save(buffer)
    c = login(manager)
    response = upload(c, buffer.getvalue(), "e.xlsx")
    assert response.status_code == 200, response.context["problems"]
    c.post(URL, {"token": response.context["token"]})
    assert m.Enrollment.objects.get().entry_date == D(2026, 8, 27)


def test_enrollment_file_bad_rows_write_nothing_and_are_all_reported(world, login, manager, students):
    EnrollmentFactory(student=students[1], school=world.washington, school_year=world.year, entry_date=D(2026, 8, 27))
    data = csv_file(
        "3000000001,6400011,2027,04,2026-08-27,,,,",  # fine
        "9999999999,6400011,2027,04,2026-08-27,,,,",  # unknown student
        "3000000001,7777777,2027,04,2026-08-27,,,,",  # unknown school
        "3000000001,6400011,2031,04,2026-08-27,,,,",  # no such school year
        "3000000001,6400011,2027,ZZ,2026-09-01,,,,",  # grade not in the list
        "3000000001,6400011,2027,04,2026-09-02,,2026-09-01,T1,false",  # exit before entry
        "3000000001,6400011,2027,04,2026-02-30,,,,",  # no such day
        "3000000002,6400011,2027,07,2026-10-01,,,,",  # overlaps Ben's open primary enrollment at Washington
        "3000000001,6400011,2027,04,2026-08-27,,,,",  # duplicate of line 2
        "3000000001,6400011,2027,04,2026-09-03,,2026-10-01,,false",  # exit without a code
        "3000000001,6400011,2027,04,2026-09-04,,,,maybe",  # not a flag
    )
    response = upload(login(manager), data, "e.csv")
    assert response.status_code == 400
    found = {(p.line, p.column) for p in response.context["problems"]}
    assert found == {
        (3, "state_id"),
        (4, "school"),
        (5, "school_year"),
        (6, "grade_level"),
        (6, "entry_date"),  # also overlaps line 2
        (7, "exit_date"),
        (8, "entry_date"),
        (9, "entry_date"),
        (10, "entry_date"),
        (11, "exit_code"),
        (12, "is_primary"),
    }
    assert all(p.file == "e.csv" for p in response.context["problems"])
    assert m.Enrollment.objects.count() == 1


def test_enrollment_file_header_problems(login, manager):
    c = login(manager)
    response = upload(c, b"state_id,school,grade_level,entry_date,colour\n1,2,3,4,5\n", "e.csv")
    found = {(p.line, p.column, p.message) for p in response.context["problems"]}
    assert (1, "school_year", "Required column is missing.") in found
    assert any(column == "colour" and message.startswith("Unknown column.") for _, column, message in found)
    response = upload(c, b"school,school_year,grade_level,entry_date\n", "e.csv")
    assert (1, "state_id") in {(p.line, p.column) for p in response.context["problems"]}


def test_staff_may_enroll_only_at_their_school_and_only_students_they_see(world, login, students):
    ana, ben = students
    EnrollmentFactory(
        student=ana,
        school=world.lincoln,
        school_year=world.year,
        entry_date=D(2026, 8, 27),
        exit_date=D(2026, 9, 1),
        exit_code="T1",
    )
    EnrollmentFactory(student=ben, school=world.washington, school_year=world.year, entry_date=D(2026, 8, 27))
    world.district.access_grace_days = 365  # Lincoln still serves Ana, who left on 1 September
    world.district.save()
    staff = testing.enrollment_staff(world, world.lincoln)
    data = csv_file(
        "3000000001,6400012,2027,04,2026-09-01,,,,",  # Ana at Washington: not their school
        "3000000002,6400011,2027,07,2026-09-01,,,,",  # Ben: a Washington student they cannot see
        "3000000001,6400011,2027,04,2026-09-01,,,,false",  # Ana at Lincoln (secondary): fine
    )
    response = upload(login(staff), data, "e.csv")
    assert {(p.line, p.column) for p in response.context["problems"]} == {(2, "school"), (3, "state_id")}


def test_export_button_downloads_a_package_and_logs_it(world, login, manager):
    c = login(manager)
    c.post(URL, {"token": upload(c, testing.package(), "sis.zip").context["token"]})
    response = c.get(f"{URL}export/", {"year": "2027"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="oneroster-2026-2027.zip"'
    assert Disclosure.objects.filter(actor=manager, student_count=3).exists()
    assert c.get(f"{URL}export/", {"year": "1999"}).status_code == 400
    assert login(world.stranger).get(f"{URL}export/", {"year": "2027"}).status_code == 403


def test_principal_exports_own_school(world, login, manager):
    c = login(manager)
    c.post(URL, {"token": upload(c, testing.package(), "sis.zip").context["token"]})
    response = login(world.principal_washington).get(f"{URL}export/", {"year": "2027"})
    assert response.status_code == 200
    assert Disclosure.objects.get(actor=world.principal_washington).student_count == 1
