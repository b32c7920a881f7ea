"""Checks against records a user cannot see answer the same whether or not such records exist.

A program spell of a sensitive class is refused before any check reads the
student's other spells; a state id or external id is unique within a
district, so another district's students never answer "already exists".
"""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import policy
from core.choices import Role
from core.importing import commit_import, plan_import
from core.registry import pages
from core.services import record_save
from district.choices import DepartmentCode
from district.tests.factories import RoleAssignmentFactory, UserFactory
from enrollment import choices as c
from enrollment import models as m
from enrollment.roster import testing

from . import factories as f

pytestmark = pytest.mark.django_db
SPELLS = "/enrollment/programparticipation/add/"
SPELLS_API = "/api/enrollment/program-participations/"


def enrolled(world, school=None):
    school = school or world.lincoln
    return f.EnrollmentFactory(
        school=school, school_year=world.year, student=f.StudentFactory(district=school.district)
    ).student


def answer(call):
    """Status, what the user is told, and the number of queries, of one request."""
    with CaptureQueriesContext(connection) as queries:
        response = call()
    if hasattr(response, "context") and response.context and "form" in response.context:
        told = response.context["form"].errors
    else:
        told = response.json()
    return response.status_code, told, len(queries.captured_queries)


@pytest.mark.parametrize("program", ["idea", "section_504", "meals"])
def test_a_spell_of_a_hidden_class_is_refused_alike_whether_or_not_the_student_has_one(world, login, api, program):
    manager = testing.enrollment_manager(world)  # adds spells; administers no sensitive class
    plain, hidden = enrolled(world), enrolled(world)
    factory = f.MealParticipationFactory if program == "meals" else f.ParticipationFactory
    factory(student=hidden, program=program, data_class=c.PROGRAM_CLASS[program])
    # (Meal status and source are not offered to a user who may not see them.)
    data = api_data = {"program": program, "start_date": "2026-10-01"}

    page = login(manager)
    page.get(SPELLS)  # (the first request of a session costs more)
    without = answer(lambda: page.post(SPELLS, {**data, "student": plain.pk}))
    with_hidden = answer(lambda: page.post(SPELLS, {**data, "student": hidden.pk}))
    assert without[0] == 400
    assert without[1] == {"__all__": ["That record would fall outside what you may add."]}
    assert with_hidden == without

    def post(student):
        policy.forget_scope(manager)  # (each request reads the user's scope afresh)
        return api(manager).post(SPELLS_API, {**api_data, "student": student.pk}, format="json")

    without = answer(lambda: post(plain))
    with_hidden = answer(lambda: post(hidden))
    assert without[:2] == (403, {"detail": "That record would fall outside what you may add."})
    assert with_hidden == without
    assert m.ProgramParticipation.objects.count() == 1  # nothing was written


def test_the_service_refuses_a_hidden_class_before_validating(world):
    manager = testing.enrollment_manager(world)
    plain, hidden = enrolled(world), enrolled(world)
    f.ParticipationFactory(student=hidden, program="idea", data_class="disability")
    policy.scope_for(manager)  # (the scope is read once per request)
    answers = []
    for student in (plain, hidden):
        spell = m.ProgramParticipation(student=student, program="idea", start_date=datetime.date(2026, 10, 1))
        with CaptureQueriesContext(connection) as queries, pytest.raises(PermissionDenied) as caught:
            record_save(actor=manager, instance=spell)
        read = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
        answers.append((str(caught.value), read))
    assert answers[0] == answers[1] == ("That record would fall outside what you may add.", [])


def test_changing_a_visible_spell_into_a_hidden_class_is_refused_alike(world, login):
    manager = testing.enrollment_manager(world)
    plain, hidden = enrolled(world), enrolled(world)
    f.ParticipationFactory(student=hidden, program="idea", data_class="disability")
    answers = []
    page = login(manager)
    page.get("/enrollment/programparticipation/")  # (the first request of a session costs more)
    for student in (plain, hidden):
        spell = f.ParticipationFactory(student=student, program="el")
        url = f"/enrollment/programparticipation/{spell.pk}/edit/"
        data = {"student": student.pk, "program": "idea", "start_date": "2026-10-01", "version": spell.version}
        answers.append(answer(lambda url=url, data=data: page.post(url, data)))
    assert answers[0] == answers[1]
    assert answers[0][:2] == (400, {"__all__": ["That record would fall outside what you may change."]})
    assert not m.ProgramParticipation.objects.filter(program="idea", data_class="").exists()


def test_who_administers_the_class_is_told_of_an_overlap(world, login):
    """The check itself stands: a user who may see the spells is told which field is wrong."""
    services = UserFactory(username="student_services")
    RoleAssignmentFactory(user=services, role=Role.STUDENT_SERVICES, district=world.district)
    RoleAssignmentFactory(
        user=services,
        role=Role.DEPT_MANAGER,
        district=world.district,
        department=world.dept[DepartmentCode.ENROLLMENT],
    )
    student = enrolled(world)
    f.ParticipationFactory(student=student, program="idea", data_class="disability")
    response = login(services).post(SPELLS, {"student": student.pk, "program": "idea", "start_date": "2026-10-01"})
    assert response.status_code == 400
    assert response.context["form"].errors == {"start_date": ["This spell overlaps another spell in the same program."]}


# -- keys unique within a district ---------------------------------------------------------------------------------


@pytest.fixture
def other_manager(world):
    """An enrollment manager of the second district."""
    user = UserFactory(username="other_enrollment_manager")
    RoleAssignmentFactory(
        user=user,
        role=Role.DEPT_MANAGER,
        district=world.other_district,
        department=world.other_dept[DepartmentCode.ENROLLMENT],
    )
    return user


@pytest.fixture
def other_integration(world):
    user = UserFactory(username="other_sis", is_integration=True)
    RoleAssignmentFactory(
        user=user,
        role=Role.INTEGRATION,
        district=world.other_district,
        department=world.other_dept[DepartmentCode.ENROLLMENT],
    )
    return user


STATE_ID = "7000000001"


def new_student(district, **extra):
    return {
        "district": district.pk,
        "state_id": STATE_ID,
        "legal_first_name": "Noor",
        "legal_last_name": "Haddad",
        "birth_date": "2014-06-01",
        "sex": "F",
        "races": "WH7",
        "grade_level": "06",
        **extra,
    }


def test_a_state_id_is_unique_within_a_district_not_across_the_state(world):
    first = f.StudentFactory(district=world.district, state_id=STATE_ID)
    moved = f.StudentFactory.build(district=world.other_district, state_id=STATE_ID)
    moved.full_clean()
    moved.save()
    twin = f.StudentFactory.build(district=world.district, state_id=STATE_ID)
    with pytest.raises(ValidationError) as caught:
        twin.full_clean()
    assert caught.value.message_dict == {"__all__": ["Another student of this district has this state id."]}
    assert set(m.Student.objects.filter(state_id=STATE_ID)) == {first, moved}
    # Applicants waiting for a state id are many.
    for _ in range(2):
        f.StudentFactory.build(district=world.district, state_id=None).full_clean()


def test_another_districts_student_never_answers_already_exists_on_pages(world, login, other_manager):
    f.StudentFactory(district=world.district, state_id=STATE_ID)
    response = login(other_manager).post("/enrollment/student/add/", new_student(world.other_district))
    assert response.status_code == 302
    assert m.Student.objects.get(district=world.other_district, state_id=STATE_ID).legal_last_name == "Haddad"
    # Within the district the key holds, with a clear answer, and nothing is written.
    again = login(other_manager).post("/enrollment/student/add/", new_student(world.other_district))
    assert again.status_code == 400
    assert again.context["form"].errors == {"__all__": ["Another student of this district has this state id."]}
    assert m.Student.objects.filter(state_id=STATE_ID).count() == 2


def test_another_districts_student_never_answers_already_exists_in_the_api(world, api, other_manager):
    f.StudentFactory(district=world.district, state_id=STATE_ID)
    response = api(other_manager).post("/api/enrollment/students/", new_student(world.other_district), format="json")
    assert response.status_code == 201, response.json()
    again = api(other_manager).post("/api/enrollment/students/", new_student(world.other_district), format="json")
    assert again.status_code == 400
    assert again.json() == {"non_field_errors": ["Another student of this district has this state id."]}


def test_another_districts_student_never_answers_already_exists_in_an_import(world, other_manager):
    mine = f.StudentFactory(district=world.district, state_id=STATE_ID)
    header = "state_id,district,legal_first_name,legal_last_name,birth_date,sex,races,grade_level\n"
    row = f"{STATE_ID},641,Noor,Haddad,2014-06-01,F,WH7,06\n"
    student_pages = pages.for_model(m.Student)
    plan = plan_import(student_pages, other_manager, (header + row).encode(), "students.csv")
    assert plan.ok, [str(p) for p in plan.problems]
    assert commit_import(plan, other_manager) == (1, 0)
    mine.refresh_from_db()
    assert mine.version == 1 and mine.legal_last_name != "Haddad"
    # The same file again updates the second district's student, not the first's.
    plan = plan_import(student_pages, other_manager, (header + row.replace("06\n", "07\n")).encode(), "s.csv")
    assert plan.ok and commit_import(plan, other_manager) == (0, 1)
    assert m.Student.objects.get(district=world.other_district).grade_level == "07"


def test_a_user_of_two_districts_imports_each_row_into_its_own(world):
    """The import key is matched with the rest of its unique key (the district)."""
    user = UserFactory(username="two_districts")
    for district, dept in ((world.district, world.dept), (world.other_district, world.other_dept)):
        RoleAssignmentFactory(
            user=user, role=Role.DEPT_MANAGER, district=district, department=dept[DepartmentCode.ENROLLMENT]
        )
    here = f.StudentFactory(district=world.district, state_id=STATE_ID, grade_level="04")
    there = f.StudentFactory(district=world.other_district, state_id=STATE_ID, grade_level="04")
    header = "state_id,district,legal_first_name,legal_last_name,birth_date,sex,races,grade_level\n"
    rows = f"{STATE_ID},640,A,B,2016-05-01,F,BL7,05\n{STATE_ID},641,A,B,2016-05-01,F,BL7,06\n"
    plan = plan_import(pages.for_model(m.Student), user, (header + rows).encode(), "s.csv")
    assert plan.ok, [str(p) for p in plan.problems]
    assert commit_import(plan, user) == (0, 2)
    here.refresh_from_db()
    there.refresh_from_db()
    assert (here.grade_level, there.grade_level) == ("05", "06")


ROSTER = "/api/enrollment/roster/students/upsert/"


def roster_client(user):
    from rest_framework.test import APIClient

    from core.tests.factories import make_token

    _token, key = make_token(user, scopes=["enrollment:write"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def test_roster_upserts_match_a_state_id_within_the_importing_district(world, other_integration):
    mine = f.StudentFactory(district=world.district, state_id=STATE_ID)
    f.StudentExternalIdFactory(student=mine, source="sis", external_id="S-1")
    row = {k: v for k, v in new_student(world.other_district).items() if k != "district"}
    row["external_ids"] = [{"source": "sis", "external_id": "S-1"}]  # each district's SIS has its own ids
    response = roster_client(other_integration).post(ROSTER, [row], format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["counts"]["students"] == {"created": 1, "updated": 0, "unchanged": 0}
    theirs = m.Student.objects.get(district=world.other_district)
    assert list(theirs.external_ids.values_list("source", "external_id", "district")) == [
        ("sis", "S-1", world.other_district.pk)
    ]
    mine.refresh_from_db()
    assert mine.version == 1

    # Sent again, it matches the second district's student only.
    response = roster_client(other_integration).post(ROSTER, [{**row, "grade_level": "07"}], format="json")
    assert response.json()["results"][0] == {"index": 0, "id": theirs.pk, "status": "updated"}
    # And the first district's integration finds its own.
    response = roster_client(world.sis_integration).post(ROSTER, [{**row, "grade_level": "05"}], format="json")
    assert response.json()["results"][0] == {"index": 0, "id": mine.pk, "status": "updated"}


def test_roster_enrollments_name_students_of_the_schools_district(world, other_integration):
    f.StudentFactory(district=world.district, state_id=STATE_ID)
    theirs = f.StudentFactory(district=world.other_district, state_id=STATE_ID)
    row = {"state_id": STATE_ID, "school": "6410011", "school_year": 2027, "grade_level": "06", "entry_date": ""}
    row["entry_date"] = world.other_year.start_date.isoformat()
    response = roster_client(other_integration).post("/api/enrollment/roster/enrollments/upsert/", [row], format="json")
    assert response.status_code == 200, response.json()
    assert m.Enrollment.objects.get().student == theirs


def test_an_external_id_is_unique_within_a_district(world, login):
    manager = testing.enrollment_manager(world)
    taken = f.StudentExternalIdFactory(student=enrolled(world), source="sis", external_id="S-9")
    elsewhere = f.StudentExternalIdFactory(student=enrolled(world, world.other_school), source="sis", external_id="S-9")
    assert elsewhere.district == world.other_district and taken.district == world.district
    response = login(manager).post(
        "/enrollment/studentexternalid/add/", {"student": enrolled(world).pk, "source": "sis", "external_id": "S-9"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "__all__": ["Another student of this district has this id in that system."]
    }
    assert m.StudentExternalId.objects.count() == 2
