"""Roster upserts through the API: keyed by state id or external id, all or nothing, scoped tokens."""

import datetime

import pytest
from rest_framework.test import APIClient

from core.models import AuditEntry
from core.tests.factories import make_token
from enrollment import models as m
from enrollment.roster import testing
from enrollment.tests.factories import EnrollmentFactory, StudentExternalIdFactory, StudentFactory

pytestmark = pytest.mark.django_db

STUDENTS = "/api/enrollment/roster/students/upsert/"
ENROLLMENTS = "/api/enrollment/roster/enrollments/upsert/"
D = datetime.date


def bearer(user, scopes=("enrollment:write",)):
    _token, key = make_token(user, scopes=scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def student(**extra):
    return {
        "state_id": "4000000001",
        "legal_first_name": "Rosa",
        "legal_last_name": "Park",
        "birth_date": "2015-04-02",
        "sex": "F",
        "races": "BL7",
        "grade_level": "05",
        **extra,
    }


def test_upsert_by_state_id_creates_then_updates_then_changes_nothing(world):
    api = bearer(world.sis_integration)
    response = api.post(STUDENTS, [student(), student(state_id="4000000002", legal_first_name="Ines")], format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["counts"]["students"] == {"created": 2, "updated": 0, "unchanged": 0}
    rosa = m.Student.objects.get(state_id="4000000001")
    assert body["results"][0] == {"index": 0, "id": rosa.pk, "status": "created"}
    assert rosa.district == world.district  # the integration's only district
    assert set(AuditEntry.objects.filter(object_id=str(rosa.pk)).values_list("source", flat=True)) == {"api"}

    response = api.post(
        STUDENTS, [student(grade_level="06"), student(state_id="4000000002", legal_first_name="Ines")], format="json"
    )
    assert response.json()["counts"]["students"] == {"created": 0, "updated": 1, "unchanged": 1}
    rosa.refresh_from_db()
    assert (rosa.grade_level, rosa.version, rosa.birth_date) == ("06", 2, D(2015, 4, 2))

    audits = AuditEntry.objects.count()
    response = api.post(STUDENTS, [student(grade_level="06")], format="json")
    assert response.json()["results"] == [{"index": 0, "id": rosa.pk, "status": "unchanged"}]
    assert AuditEntry.objects.count() == audits


def test_upsert_by_external_id_when_the_state_id_is_missing(world):
    api = bearer(world.sis_integration)
    applicant = student(state_id=None, external_ids=[{"source": "lottery", "external_id": "L-500"}])
    response = api.post(STUDENTS, [applicant], format="json")
    assert response.status_code == 200, response.json()
    created = m.Student.objects.get(external_ids__external_id="L-500")
    assert created.state_id is None

    # Later the state assigns a SASID: the same student gets it.
    response = api.post(
        STUDENTS, [{"source": "lottery", "external_id": "L-500", "state_id": "4000000009"}], format="json"
    )
    assert response.json()["results"][0] == {"index": 0, "id": created.pk, "status": "updated"}
    created.refresh_from_db()
    assert created.state_id == "4000000009" and created.legal_first_name == "Rosa"  # the rest is left as it was


def test_external_ids_are_added_to_a_student_found_by_state_id(world):
    rosa = StudentFactory(district=world.district, state_id="4000000001")
    response = bearer(world.sis_integration).post(
        STUDENTS,
        [{"state_id": "4000000001", "external_ids": [{"source": "sis", "external_id": "S-77"}]}],
        format="json",
    )
    assert response.json()["results"][0]["status"] == "updated"
    assert list(rosa.external_ids.values_list("source", "external_id")) == [("sis", "S-77")]


def test_bad_rows_are_all_reported_with_index_and_field_and_nothing_is_written(world):
    other = StudentFactory(district=world.district, state_id="4000000005")
    StudentExternalIdFactory(student=other, source="sis", external_id="TAKEN")
    rows = [
        student(),  # fine
        student(state_id="123"),  # not ten digits
        student(state_id="4000000003", birth_date="2015-02-30"),  # no such day
        student(state_id="4000000004", grade_level="14"),  # not a grade code
        student(state_id="4000000006", sex="male"),  # not M, F or X
        {"legal_first_name": "No key"},  # no state id nor external id
        student(state_id="4000000007", colour="blue"),  # unknown field
        student(state_id="4000000008", external_ids=[{"source": "sis", "external_id": "TAKEN"}]),
        student(state_id="4000000001"),  # duplicate of index 0
        student(state_id="4000000010", birth_date=(datetime.date.today() + datetime.timedelta(days=9)).isoformat()),
        student(state_id="4000000011", races="XX7"),
        "not an object",
    ]
    response = bearer(world.sis_integration).post(STUDENTS, rows, format="json")
    assert response.status_code == 400
    errors = {(e["index"], e["field"]) for e in response.json()["errors"]}
    assert errors == {
        (1, "state_id"),
        (2, "birth_date"),
        (3, "grade_level"),
        (4, "sex"),
        (5, "state_id"),
        (6, "colour"),
        (7, "external_ids"),
        (8, "state_id"),
        (9, "birth_date"),
        (10, "races"),
        (11, ""),
    }
    assert not m.Student.objects.filter(state_id="4000000001").exists()


def test_enrollment_upsert(world):
    rosa = StudentFactory(district=world.district, state_id="4000000001")
    applicant = StudentFactory(district=world.district, state_id=None)
    StudentExternalIdFactory(student=applicant, source="lottery", external_id="L-1")
    api = bearer(world.sis_integration)
    rows = [
        {
            "state_id": "4000000001",
            "school": "6400011",
            "school_year": 2027,
            "grade_level": "04",
            "entry_date": "2026-08-27",
        },
        {
            "source": "lottery",
            "external_id": "L-1",
            "school": "6400012",
            "school_year": 2027,
            "grade_level": "06",
            "entry_date": "2026-09-08",
            "entry_code": "C1",
        },
    ]
    response = api.post(ENROLLMENTS, rows, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["counts"]["enrollments"]["created"] == 2
    assert m.Enrollment.objects.get(student=rosa).entry_code == "E1"
    assert m.Enrollment.objects.get(student=applicant).entry_code == "C1"

    rows[0].update(exit_date="2027-01-05", exit_code="T1")
    response = api.post(ENROLLMENTS, rows, format="json")
    assert [r["status"] for r in response.json()["results"]] == ["updated", "unchanged"]
    assert m.Enrollment.objects.get(student=rosa).exit_date == D(2027, 1, 5)


def test_enrollment_upsert_bad_rows(world):
    StudentFactory(district=world.district, state_id="4000000001")
    rows = [
        {
            "state_id": "4000000001",
            "school": "6400011",
            "school_year": 2027,
            "grade_level": "04",
            "entry_date": "2026-08-27",
        },
        {
            "state_id": "4000000002",
            "school": "6400011",
            "school_year": 2027,
            "grade_level": "04",
            "entry_date": "2026-08-27",
        },
        {
            "state_id": "4000000001",
            "school": "0000000",
            "school_year": 2027,
            "grade_level": "04",
            "entry_date": "2026-08-28",
        },
        {"state_id": "4000000001", "school": "6400011", "school_year": "soon", "grade_level": "04"},
        {
            "state_id": "4000000001",
            "school": "6400011",
            "school_year": 2027,
            "grade_level": "04",
            "entry_date": "2026-08-29",
            "exit_date": "2026-08-20",
            "exit_code": "T1",
            "is_primary": False,
        },
        {"school": "6400011", "school_year": 2027},
    ]
    response = bearer(world.sis_integration).post(ENROLLMENTS, rows, format="json")
    assert response.status_code == 400
    assert {(e["index"], e["field"]) for e in response.json()["errors"]} == {
        (1, "state_id"),
        (2, "school"),
        (3, "school_year"),
        (4, "exit_date"),
        (5, "state_id"),
    }
    assert not m.Enrollment.objects.exists()


def test_a_read_only_token_is_refused(world):
    response = bearer(world.sis_integration, scopes=["enrollment:read"]).post(STUDENTS, [student()], format="json")
    assert response.status_code == 403
    assert "enrollment:write" in response.json()["detail"]
    response = bearer(world.sis_integration, scopes=["district:write"]).post(ENROLLMENTS, [], format="json")
    assert response.status_code == 403
    assert not m.Student.objects.exists()


def test_the_accounts_role_limits_the_token(world, api):
    staff = testing.enrollment_staff(world, world.lincoln)  # an integration account with a one-school role
    staff.is_integration = True
    staff.save(update_fields=["is_integration"])
    ben = StudentFactory(district=world.district, state_id="4000000002")
    EnrollmentFactory(student=ben, school=world.washington, school_year=world.year)
    response = bearer(staff).post(STUDENTS, [{"state_id": "4000000002", "grade_level": "08"}], format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"index": 0, "field": "state_id", "message": "This student is outside what you may change."}
    ]
    # A new student who would have no enrollment at their school falls outside what they may add.
    response = bearer(staff).post(STUDENTS, [student()], format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["index"] == 0
    assert not m.Student.objects.filter(state_id="4000000001").exists()
    # Readers may not upsert at all.
    assert api(world.principal_lincoln).post(STUDENTS, [student()], format="json").status_code == 403


def test_body_must_be_a_list(world, api):
    client = api(world.sis_integration)
    assert client.post(STUDENTS, {"students": "x"}, format="json").status_code == 400
    assert client.post(STUDENTS, [], format="json").status_code == 400
    response = client.post(STUDENTS, {"students": [student()]}, format="json")
    assert response.status_code == 200
    assert api().post(STUDENTS, [student()], format="json").status_code in (401, 403)


def test_a_request_refused_as_a_whole_has_the_shape_of_a_refused_batch(world, api, monkeypatch):
    """Errors and findings, as the schema's RosterUpsertErrors says, however the request was refused."""
    from enrollment.roster import api as roster_api

    monkeypatch.setattr(roster_api, "MAX_ROWS", 1)
    client = api(world.sis_integration)
    for body in ([], {"students": "x"}, [student(), student()]):
        response = client.post(STUDENTS, body, format="json")
        assert response.status_code == 400
        assert set(response.json()) == {"errors", "findings"}, response.json()
        assert response.json()["findings"] == [] and response.json()["errors"][0]["index"] is None
    unreadable = client.post(STUDENTS, "[{", content_type="application/json")
    assert unreadable.status_code == 400 and set(unreadable.json()) == {"errors", "findings"}
    form = client.post(STUDENTS, {"students": "x"}, format="multipart")
    assert form.status_code == 415 and set(form.json()) == {"errors", "findings"}


def test_the_upserts_are_in_the_schema(world, login):
    schema = login(world.district_admin).get("/api/schema/").content
    assert b"/api/enrollment/roster/students/upsert/" in schema
    assert b"/api/enrollment/roster/enrollments/upsert/" in schema
