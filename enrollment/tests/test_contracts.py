"""Every enrollment record through the page, API and filter contracts."""

import datetime
import itertools

import pytest

from core.testing.contracts import ApiContract, FilterSetContract, PagesContract
from district.tests.factories import SchoolFactory
from enrollment import models as m

from . import factories as f

pytestmark = pytest.mark.django_db
_n = itertools.count(1)


def year_of(world, school):
    return world.year if school.district_id == world.district.pk else world.other_year


def enrolled_student(world, school):
    return f.EnrollmentFactory(
        school=school, school_year=year_of(world, school), student=f.StudentFactory(district=school.district)
    ).student


class AllContracts(PagesContract, ApiContract, FilterSetContract):
    writer = "enrollment_manager"
    reader = "coo"
    denied = "stranger"


@pytest.fixture(autouse=True)
def enrollment_personas(world):
    """An enrollment manager, and enrollment staff at Lincoln."""
    from core.choices import Role
    from district.choices import DepartmentCode
    from district.tests.factories import RoleAssignmentFactory, UserFactory

    world.enrollment_manager = UserFactory(username="enrollment_manager")
    RoleAssignmentFactory(
        user=world.enrollment_manager,
        role=Role.DEPT_MANAGER,
        district=world.district,
        department=world.dept[DepartmentCode.ENROLLMENT],
    )
    world.enrollment_staff_lincoln = UserFactory(username="enrollment_staff_lincoln")
    RoleAssignmentFactory(
        user=world.enrollment_staff_lincoln,
        role=Role.DEPT_STAFF,
        district=world.district,
        department=world.dept[DepartmentCode.ENROLLMENT],
        schools=[world.lincoln],
    )
    return world


class TestStudent(AllContracts):
    model = m.Student
    scoped_reader = "principal_lincoln"
    edit_field = "preferred_name"
    bad_field = "state_id"
    bad_value = "12345"

    @staticmethod
    def make(world, school):
        return enrolled_student(world, school)

    def new_data(self, world):
        return {
            "district": world.district.pk,
            "state_id": "9000000001",
            "legal_first_name": "Rosa",
            "legal_last_name": "Diaz",
            "birth_date": "2015-03-02",
            "sex": "F",
            "hispanic": "on",
            "races": "wh7",
            "grade_level": "05",
        }

    def test_race_ethnicity_follows_federal_rules(self, world, login):
        login(world.enrollment_manager).post("/enrollment/student/add/", {**self.new_data(world), "races": "BL7 WH7"})
        assert m.Student.objects.get(state_id="9000000001").race_ethnicity == "HI7"
        data = {**self.new_data(world), "state_id": "9000000002", "races": "BL7 WH7"}
        data.pop("hispanic")
        login(world.enrollment_manager).post("/enrollment/student/add/", data)
        assert m.Student.objects.get(state_id="9000000002").race_ethnicity == "MU7"

    def test_unknown_race_code_and_grade_refused(self, world, login):
        c = login(world.enrollment_manager)
        response = c.post("/enrollment/student/add/", {**self.new_data(world), "races": "XX7", "grade_level": "14"})
        assert response.status_code == 400
        assert {"races", "grade_level"} <= set(response.context["form"].errors)

    def test_applicant_without_state_id(self, world, login):
        data = {**self.new_data(world), "state_id": ""}
        assert login(world.enrollment_manager).post("/enrollment/student/add/", data).status_code == 302
        assert m.Student.objects.get(legal_last_name="Diaz").state_id is None

    def test_transport_staff_reads_students_at_own_school_only(self, world, login):
        mine, other = enrolled_student(world, world.lincoln), enrolled_student(world, world.washington)
        c = login(world.transport_staff_lincoln)
        assert c.get(f"/enrollment/student/{mine.pk}/").status_code == 200
        assert c.get(f"/enrollment/student/{other.pk}/").status_code == 404
        assert c.get(f"/enrollment/student/{mine.pk}/edit/").status_code == 403


class TestHousehold(AllContracts):
    model = m.Household
    scoped_reader = "principal_lincoln"
    bad_field = "email"
    bad_value = "nope"

    @staticmethod
    def make(world, school):
        household = f.HouseholdFactory(district=school.district)
        student = enrolled_student(world, school)
        student.household = household
        student.save()
        return household

    def new_data(self, world):
        return {"district": world.district.pk, "name": "Diaz household", "town": "Hartford", "zip_code": "06106"}


class TestGuardian(AllContracts):
    model = m.Guardian
    scoped_reader = "principal_lincoln"
    edit_field = "last_name"
    bad_field = "email"
    bad_value = "nope"

    @staticmethod
    def make(world, school):
        return f.GuardianFactory(household=TestHousehold.make(world, school))

    def new_data(self, world):
        return {"household": TestHousehold.make(world, world.lincoln).pk, "first_name": "Luz", "last_name": "Diaz"}


class TestStudentExternalId(AllContracts):
    model = m.StudentExternalId
    scoped_reader = "principal_lincoln"
    edit_field = "external_id"
    bad_field = "source"
    bad_value = "fax"

    @staticmethod
    def make(world, school):
        return f.StudentExternalIdFactory(student=enrolled_student(world, school))

    def new_data(self, world):
        return {"student": enrolled_student(world, world.lincoln).pk, "source": "lottery", "external_id": "RL-1"}


class TestProgramParticipation(AllContracts):
    model = m.ProgramParticipation
    scoped_reader = "principal_lincoln"
    edit_field = "start_date"
    bad_field = "end_date"
    bad_value = "2020-01-01"

    def edited_value(self, obj):
        return obj.start_date + datetime.timedelta(days=1)

    @staticmethod
    def make(world, school):
        return f.ParticipationFactory(student=enrolled_student(world, school))

    def new_data(self, world):
        return {"student": enrolled_student(world, world.lincoln).pk, "program": "el", "start_date": "2026-09-01"}

    def test_sensitive_fields_hidden_without_their_class(self, world, login):
        """Meal rows are withheld whole (their existence discloses eligibility), in pages, exports and API."""
        meal = f.MealParticipationFactory(student=enrolled_student(world, world.lincoln), meal_status="reduced")
        c = login(world.coo)
        assert c.get(f"/enrollment/programparticipation/{meal.pk}/").status_code == 404
        export = b"".join(c.get("/enrollment/programparticipation/?export=csv").streaming_content).decode()
        assert "Reduced" not in export and "reduced" not in export
        filtered = c.get("/enrollment/programparticipation/", {"meal_status": "reduced"})
        assert filtered.status_code == 200 and filtered.context["rows"] == []

    def test_api_hides_sensitive_fields(self, world, api):
        meal = f.MealParticipationFactory(student=enrolled_student(world, world.lincoln))
        assert api(world.coo).get(f"/api/enrollment/program-participations/{meal.pk}/").status_code == 404
        body = api(world.nutrition_director).get(f"/api/enrollment/program-participations/{meal.pk}/").json()
        assert body["meal_status"] == "free"

    def test_meal_rows_seen_only_by_meal_program(self, world, login):
        meal = f.MealParticipationFactory(student=enrolled_student(world, world.lincoln))
        el = f.ParticipationFactory(student=meal.student)
        for persona in ("coo", "enrollment_manager", "principal_lincoln", "district_admin"):
            c = login(getattr(world, persona))
            if c.get("/enrollment/programparticipation/").status_code != 200:
                continue
            ids = {row["obj"].pk for row in c.get("/enrollment/programparticipation/").context["rows"]}
            assert meal.pk not in ids and (persona == "district_admin" or el.pk in ids), persona
            assert c.get(f"/enrollment/programparticipation/{meal.pk}/").status_code == 404
        nutrition = login(world.nutrition_director)
        page = nutrition.get(f"/enrollment/programparticipation/{meal.pk}/")
        assert page.status_code == 200 and "Free" in page.content.decode()

    def test_meal_spell_needs_status_and_source(self, world, login):
        from district.tests.factories import RoleAssignmentFactory

        RoleAssignmentFactory(user=world.enrollment_manager, role="meal_program", district=world.district)
        data = {**self.new_data(world), "program": "meals"}
        response = login(world.enrollment_manager).post("/enrollment/programparticipation/add/", data)
        assert response.status_code == 400
        assert {"meal_status", "meal_source"} <= set(response.context["form"].errors)

    def test_overlapping_spells_refused(self, world, login):
        spell = f.ParticipationFactory(student=enrolled_student(world, world.lincoln))
        data = {"student": spell.student.pk, "program": "el", "start_date": "2026-10-01"}
        response = login(world.enrollment_manager).post("/enrollment/programparticipation/add/", data)
        assert response.status_code == 400 and "start_date" in response.context["form"].errors


class TestEnrollment(AllContracts):
    model = m.Enrollment
    scoped_reader = "principal_lincoln"
    edit_field = "grade_level"
    bad_field = "entry_date"
    bad_value = "2030-01-01"

    def edited_value(self, obj):
        return "05"

    @staticmethod
    def make(world, school):
        return f.EnrollmentFactory(
            school=school, school_year=year_of(world, school), student=f.StudentFactory(district=school.district)
        )

    def new_data(self, world):
        student = f.StudentFactory(district=world.district)
        return {
            "student": student.pk,
            "school": world.lincoln.pk,
            "school_year": world.year.pk,
            "grade_level": "04",
            "entry_date": "2026-08-27",
            "entry_code": "E1",
            "is_primary": "on",
        }

    def test_second_primary_enrollment_refused(self, world, login):
        first = self.make(world, world.lincoln)
        data = {
            **self.new_data(world),
            "student": first.student.pk,
            "school": world.washington.pk,
            "entry_date": "2026-10-01",
        }
        response = login(world.enrollment_manager).post("/enrollment/enrollment/add/", data)
        assert response.status_code == 400 and "entry_date" in response.context["form"].errors

    def test_staff_enroll_only_at_own_school(self, world, login):
        data = {**self.new_data(world), "school": world.washington.pk}
        response = login(world.enrollment_staff_lincoln).post("/enrollment/enrollment/add/", data)
        assert response.status_code == 400
        assert not m.Enrollment.objects.exists()

    def test_exit_needs_code(self, world, login):
        data = {**self.new_data(world), "exit_date": "2026-12-01"}
        response = login(world.enrollment_manager).post("/enrollment/enrollment/add/", data)
        assert "exit_code" in response.context["form"].errors


class TestSchoolCapacity(AllContracts):
    model = m.SchoolCapacity
    scoped_reader = "principal_lincoln"
    edit_field = "seats"
    bad_field = "seats"
    bad_value = "-3"

    def edited_value(self, obj):
        return obj.seats + 5

    @staticmethod
    def make(world, school):
        return f.SchoolCapacityFactory(
            school=school, school_year=year_of(world, school), grade_level=f"{next(_n) % 12 + 1:02d}"
        )

    def make_many(self, world, school, n):
        return [
            f.SchoolCapacityFactory(school=SchoolFactory(district=school.district), school_year=year_of(world, school))
            for _ in range(n)
        ]

    def new_data(self, world):
        return {"school": world.lincoln.pk, "school_year": world.year.pk, "grade_level": "KG", "seats": 60}


class TestApplicationWindow(AllContracts):
    model = m.ApplicationWindow
    bad_field = "closes_at"
    bad_value = "2020-01-01T00:00"

    @staticmethod
    def make(world, school):
        return f.ApplicationWindowFactory(district=school.district, school_year=year_of(world, school))

    def new_data(self, world):
        return {
            "district": world.district.pk,
            "name": "Magnet round 2028",
            "school_year": world.year.pk,
            "opens_at": "2026-10-01T08:00",
            "closes_at": "2026-11-15T17:00",
            "offer_deadline_days": 14,
        }


class TestChoiceProgram(AllContracts):
    model = m.ChoiceProgram
    scoped_reader = "principal_lincoln"
    edit_field = "name"
    bad_field = "seats"
    bad_value = "-1"

    @staticmethod
    def make(world, school):
        return f.ChoiceProgramFactory(window=TestApplicationWindow.make(world, school), school=school)

    def new_data(self, world):
        window = TestApplicationWindow.make(world, world.lincoln)
        return {
            "window": window.pk,
            "school": world.lincoln.pk,
            "grade_level": "06",
            "code": "LIN-06",
            "seats": 40,
            "is_open": "on",
        }


class TestSeatCategory(AllContracts):
    model = m.SeatCategory
    scoped_reader = "principal_lincoln"
    bad_field = "eligibility"
    bad_value = "everyone"

    @staticmethod
    def make(world, school):
        return f.SeatCategoryFactory(program=TestChoiceProgram.make(world, school))

    def new_data(self, world):
        program = TestChoiceProgram.make(world, world.lincoln)
        return {"program": program.pk, "name": "Siblings", "seats": 5, "fill_order": 1, "eligibility": "sibling"}


class TestApplicantPriority(AllContracts):
    model = m.ApplicantPriority
    edit_field = "reason"
    bad_field = "reason"
    bad_value = ""

    @staticmethod
    def make(world, school):
        window = TestApplicationWindow.make(world, school)
        application = f.ApplicationFactory(window=window, student=f.StudentFactory(district=school.district))
        program = f.ChoiceProgramFactory(window=window, school=school)
        return f.ApplicantPriorityFactory(application=application, program=program, reason="seed")

    def new_data(self, world):
        existing = self.make(world, world.lincoln)
        return {
            "application": existing.application.pk,
            "program": existing.program.pk,
            "kind": "staff_child",
            "granted": "on",
            "is_override": "on",
            "reason": "Parent teaches at the school",
        }


class ReadOnlyContracts(AllContracts):
    read_only = True


class TestApplication(ReadOnlyContracts):
    model = m.Application

    @staticmethod
    def make(world, school):
        return f.ApplicationFactory(
            window=TestApplicationWindow.make(world, school), student=f.StudentFactory(district=school.district)
        )
