"""Least-privilege student access: each department reads the students it serves, and only its field groups.

The answers are named per department, as the district publishes them on its
student-access page: facilities and the COO's office serve no student;
transportation reads identity, school, address and transport needs, never
the disability; communications identity and contacts, not the address;
nutrition identity, school and address, meal eligibility only through the
meal program role; athletics identity and school, in its teams' grades.
"""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import access, policy
from core.choices import Action, Role
from district.choices import DepartmentCode
from district.tests.factories import DepartmentFactory, RoleAssignmentFactory, UserFactory
from enrollment import models as m

from . import factories as f

pytestmark = pytest.mark.django_db

STUDENT_MODELS = [m.Student, m.Household, m.Guardian, m.StudentExternalId, m.ProgramParticipation, m.Enrollment]
API_NAMES = {
    m.Student: "student",
    m.Household: "household",
    m.Guardian: "guardian",
    m.ProgramParticipation: "programparticipation",
    m.Enrollment: "enrollment",
}


def person(world, username, *grants):
    """A user with one assignment per (role, department code or None, schools)."""
    user = UserFactory(username=username)
    for role, code, schools in grants:
        department = None
        if code is not None:
            department = world.dept.get(code) or DepartmentFactory(district=world.district, code=code)
        RoleAssignmentFactory(user=user, role=role, district=world.district, department=department, schools=schools)
    return user


def staff(world, code, username=None, schools=None):
    schools = [world.lincoln] if schools is None else schools
    return person(world, username or f"{code}_staff", (Role.DEPT_STAFF, code, schools))


def pupil(world, school=None, grade="04", **extra):
    """A student now at ``school`` (Lincoln), with a household, two guardians, an EL, a disability and a meal spell."""
    today = timezone.localdate()
    home = f.HouseholdFactory(
        district=world.district, street="12 Elm Street", phone="860-555-0100", email="home@example.org"
    )
    student = f.StudentFactory(
        district=world.district, household=home, grade_level=grade, street="12 Elm Street", resident_town="Hartford"
    )
    f.EnrollmentFactory(
        student=student,
        school=school or world.lincoln,
        school_year=world.year,
        grade_level=grade,
        entry_date=today - datetime.timedelta(days=30),
    )
    f.GuardianFactory(household=home, phone="860-555-0199", email="guardian@example.org")
    f.ParticipationFactory(student=student, program="el", start_date=today)
    f.ParticipationFactory(student=student, program="idea", data_class="disability", start_date=today)
    f.MealParticipationFactory(student=student, start_date=today)
    return student


@pytest.fixture
def student(world):
    return pupil(world)


def page(student):
    return reverse("enrollment:student_detail", args=[student.pk])


def list_url(model):
    return reverse(f"enrollment:{model._meta.model_name}_list")


def api_list(model):
    return reverse(f"enrollment-api:{API_NAMES[model]}-list")


def export_rows(client, model):
    response = client.get(list_url(model), {"export": "csv"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


# -- departments that serve no student -----------------------------------------------------------------


@pytest.mark.parametrize("who", ["facilities_manager", "facilities_staff_lincoln", "operations_manager"])
def test_departments_serving_no_student_are_refused_every_student_page_list_and_api(world, login, api, student, who):
    if who == "operations_manager":
        user = person(world, who, (Role.DEPT_MANAGER, DepartmentCode.OPERATIONS, []))
    else:
        user = getattr(world, who)
    client = login(user)
    assert client.get(page(student)).status_code == 403
    for model in STUDENT_MODELS:
        assert not policy.can(user, model, Action.VIEW), model
        assert client.get(list_url(model)).status_code == 403, model
        assert client.get(list_url(model), {"export": "csv"}).status_code == 403, model
    household_page = reverse("enrollment:household_detail", args=[student.household_id])
    assert client.get(household_page).status_code == 403
    for model in API_NAMES:
        response = api(user).get(api_list(model))
        assert response.status_code == 403, model
        assert student.legal_last_name not in response.content.decode()
    detail = reverse("enrollment-api:student-detail", args=[student.pk])
    assert api(user).get(detail).status_code == 403


# -- transportation ------------------------------------------------------------------------------------


def test_transportation_staff_see_the_address_but_neither_the_disability_nor_meal_status(world, login, api, student):
    user = world.transport_staff_lincoln
    html = login(user).get(page(student)).content.decode()
    address = html.split('id="address-heading"')[1].split("</section>")[0]
    assert "12 Elm Street" in address and "Hartford" in address
    assert "English learner" in html  # a program need
    assert "Students with disabilities (IDEA)" not in html
    assert "School meal eligibility" not in html and "Free" not in html
    # The household's address, not the guardians' contacts.
    assert "860-555-0199" not in html and "guardian@example.org" not in html and "860-555-0100" not in html
    data = api(user).get(reverse("enrollment-api:student-detail", args=[student.pk])).json()
    assert data["street"] == "12 Elm Street"
    spells = api(user).get(api_list(m.ProgramParticipation), {"student": student.pk}).json()["results"]
    assert [s["program"] for s in spells] == ["el"]
    assert all("meal_status" not in s for s in spells)
    assert login(user).get(list_url(m.Guardian)).status_code == 403
    home = api(user).get(reverse("enrollment-api:household-detail", args=[student.household_id])).json()
    assert home["street"] == "12 Elm Street" and "phone" not in home and "email" not in home


# -- communications ------------------------------------------------------------------------------------


def test_communications_sees_contacts_but_not_the_address(world, login, api, student):
    user = staff(world, DepartmentCode.COMMUNICATIONS)
    client = login(user)
    response = client.get(page(student))
    assert response.status_code == 200
    html = response.content.decode()
    assert student.legal_last_name in html
    assert "860-555-0199" in html and "guardian@example.org" in html and "860-555-0100" in html
    assert "12 Elm Street" not in html and "Hartford" not in html
    assert 'id="address-heading"' not in html
    assert "English learner" not in html  # program needs are not its business
    data = api(user).get(reverse("enrollment-api:student-detail", args=[student.pk])).json()
    assert "street" not in data and "resident_town" not in data and data["legal_last_name"] == student.legal_last_name
    home = api(user).get(reverse("enrollment-api:household-detail", args=[student.household_id])).json()
    assert home["phone"] == "860-555-0100" and "street" not in home
    assert client.get(list_url(m.ProgramParticipation)).status_code == 403
    # Exports and filters follow the same table: no address column, no filter on the town.
    header, *rows = export_rows(client, m.Household)
    assert "860-555-0100" in rows[0] and not any("12 Elm Street" in cell for row in rows for cell in row)
    assert not any("street" in h.lower() for h in header)
    listing = client.get(list_url(m.Student), {"resident_town": "Nowhere"})
    assert listing.status_code == 200 and student.legal_last_name in listing.content.decode()


# -- nutrition -----------------------------------------------------------------------------------------


def test_nutrition_sees_the_address_and_meal_eligibility_only_with_the_meal_program_role(world, login, api, student):
    plain = staff(world, DepartmentCode.NUTRITION, "nutrition_staff")
    with_role = person(
        world,
        "nutrition_meal_program",
        (Role.DEPT_STAFF, DepartmentCode.NUTRITION, [world.lincoln]),
        (Role.MEAL_PROGRAM, None, [world.lincoln]),
    )
    html = login(plain).get(page(student)).content.decode()
    address = html.split('id="address-heading"')[1].split("</section>")[0]
    assert "12 Elm Street" in address
    assert student.birth_date.isoformat() in html or "2016" in html
    assert "School meal eligibility" not in html and "Direct certification" not in html
    assert "860-555-0199" not in html  # no contacts
    assert api(plain).get(api_list(m.ProgramParticipation)).status_code == 403
    html = login(with_role).get(page(student)).content.decode()
    assert "School meal eligibility" in html and "Direct certification" in html
    spells = api(with_role).get(api_list(m.ProgramParticipation), {"student": student.pk}).json()["results"]
    assert {s["program"]: s.get("meal_status") for s in spells if s["program"] == "meals"} == {"meals": "free"}
    assert "idea" not in {s["program"] for s in spells}


# -- athletics -----------------------------------------------------------------------------------------


def test_athletics_reads_identity_and_school_of_students_in_its_grades_only(world, login, api, settings):
    user = staff(world, DepartmentCode.ATHLETICS)
    young = pupil(world, grade="04")
    older = pupil(world, grade="07")
    elsewhere = pupil(world, school=world.washington, grade="08")
    listing = login(user).get(list_url(m.Student)).content.decode()
    assert older.legal_last_name in listing
    assert young.legal_last_name not in listing and elsewhere.legal_last_name not in listing
    assert login(user).get(page(young)).status_code == 404
    html = login(user).get(page(older)).content.decode()
    assert older.legal_last_name in html and "12 Elm Street" not in html and "860-555-0199" not in html
    ids = {row["id"] for row in api(user).get(api_list(m.Student)).json()["results"]}
    assert ids == {older.pk}
    enrollments = {row["student"] for row in api(user).get(api_list(m.Enrollment)).json()["results"]}
    assert enrollments == {older.pk}
    assert login(user).get(list_url(m.Household)).status_code == 403
    # Its teams' grades are a setting.
    settings.OPS_ATHLETICS_GRADES = ["04"]
    ids = {row["id"] for row in api(user).get(api_list(m.Student)).json()["results"]}
    assert ids == {young.pk}


def test_a_department_with_no_declaration_serves_no_student(world, api, student):
    user = staff(world, DepartmentCode.ATHLETICS, "athletics_undeclared")
    saved = access.declared(DepartmentCode.ATHLETICS)
    access.unregister(DepartmentCode.ATHLETICS)
    try:
        assert not policy.can(user, m.Student, Action.VIEW)
        assert api(user).get(api_list(m.Student)).status_code == 403
    finally:
        access.register(saved)


def test_an_app_declaration_replaces_a_default_and_two_apps_cannot_declare_one_department():
    code = "test-department"
    default = access.StudentAccess(department=code, default=True)
    own = access.StudentAccess(department=code, groups=("contact",))
    try:
        access.register(default)
        access.register(own)
        assert access.declared(code) == own
        access.register(default)  # a default loaded later does not undo the app's own
        assert access.declared(code) == own
        with pytest.raises(ValueError):
            access.register(access.StudentAccess(department=code, groups=("address",)))
        with pytest.raises(ValueError):
            access.StudentAccess(department=code, groups=("shoe_size",))
    finally:
        access.unregister(code)


# -- cost ----------------------------------------------------------------------------------------------


def list_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("code", [DepartmentCode.TRANSPORTATION, DepartmentCode.ATHLETICS])
def test_the_student_list_costs_the_same_for_3_and_30_students(world, login, code):
    user = staff(world, code, f"{code}_counted")
    client = login(user)
    for _ in range(3):
        pupil(world, grade="07")
    few = list_queries(client, list_url(m.Student))
    for _ in range(27):
        pupil(world, grade="07")
    html = client.get(list_url(m.Student)).content.decode()
    assert html.count("/enrollment/student/") >= 30
    assert list_queries(client, list_url(m.Student)) == few
