"""Every district model through the page, API and filter contracts."""

import datetime
import itertools

import pytest

from core.choices import Role
from core.testing.contracts import ApiContract, FilterSetContract, PagesContract
from district.choices import DepartmentCode
from district.models import Department, District, RoleAssignment, School, SchoolDay, SchoolProfile, SchoolYear

from .factories import (
    DepartmentFactory,
    DistrictFactory,
    RoleAssignmentFactory,
    SchoolDayFactory,
    SchoolFactory,
    SchoolProfileFactory,
    SchoolYearFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
_counter = itertools.count(1)


def year_of(world, school):
    return world.year if school.district_id == world.district.pk else world.other_year


class AllContracts(PagesContract, ApiContract, FilterSetContract):
    pass


class TestDistrict(AllContracts):
    model = District
    count_reader = "state_analyst"
    can_add = False  # a district administrator cannot create another district
    bad_field = "nces_id"
    bad_value = "12"

    @staticmethod
    def make(world, school):
        return school.district

    def make_many(self, world, school, n):
        return DistrictFactory.create_batch(n)

    def new_data(self, world):
        return {"name": "New District", "state_lea_id": "999", "nces_id": "0999999", "state": "CT", "fips_code": "09"}

    def test_admin_cannot_create_a_district_outside_their_own(self, world, login):
        c = login(world.district_admin)
        response = c.post("/district/district/add/", self.new_data(world))
        assert response.status_code == 400
        assert not District.objects.filter(state_lea_id="999").exists()


class TestSchool(AllContracts):
    model = School
    bad_field = "zip_code"
    bad_value = "12"

    @staticmethod
    def make(world, school):
        return SchoolFactory(district=school.district)

    def new_data(self, world):
        return {
            "district": world.district.pk,
            "name": "Kennedy Middle School",
            "state_school_id": "6400099",
            "school_type": "magnet",
            "is_active": "on",
        }

    def test_cannot_move_a_school_to_another_district(self, world, login):
        c = login(world.district_admin)
        data = {**self.new_data(world), "district": world.other_district.pk}
        response = c.post("/district/school/add/", data)
        assert response.status_code == 400
        assert "district" in response.context["form"].errors
        assert not School.objects.filter(state_school_id="6400099").exists()


class TestSchoolYear(AllContracts):
    model = SchoolYear
    edit_field = "start_date"
    bad_field = "end_date"
    bad_value = "2020-01-01"

    def edited_value(self, obj):
        return obj.start_date + datetime.timedelta(days=1)

    @staticmethod
    def make(world, school):
        return SchoolYearFactory(district=school.district, end_year=2030 + next(_counter))

    def new_data(self, world):
        return {"district": world.district.pk, "end_year": 2028, "start_date": "2027-08-26", "end_date": "2028-06-12"}


class TestSchoolDay(AllContracts):
    model = SchoolDay
    edit_field = "note"
    bad_field = "date"
    bad_value = "2030-01-01"

    @staticmethod
    def make(world, school):
        day = datetime.date(2026, 9, 1) + datetime.timedelta(days=next(_counter) % 250)
        return SchoolDayFactory(school_year=year_of(world, school), date=day, note="day")

    def new_data(self, world):
        return {"school_year": world.year.pk, "date": "2027-06-01", "is_instructional": "on", "note": "added"}


class TestSchoolProfile(AllContracts):
    model = SchoolProfile
    edit_field = "grades_offered"
    bad_field = "grades_offered"
    bad_value = "KG 01 14"

    def edited_value(self, obj):
        return "PK KG 01"

    @staticmethod
    def make(world, school):
        return SchoolProfileFactory(school=SchoolFactory(district=school.district), school_year=year_of(world, school))

    def new_data(self, world):
        return {
            "school": world.lincoln.pk,
            "school_year": world.year.pk,
            "grades_offered": "kg 01 02",
            "title_i_status": "SWELIGSWPROG",
            "nslp_status": "NSLPCEO",
            "virtual_status": "NOTVIRTUAL",
        }

    def test_grades_are_normalised(self, world, login):
        login(world.district_admin).post("/district/schoolprofile/add/", self.new_data(world))
        assert SchoolProfile.objects.get(school=world.lincoln).grades_offered == "KG 01 02"


class TestDepartment(AllContracts):
    model = Department
    count_reader = "state_analyst"
    edit_field = "name"
    bad_field = "email"
    bad_value = "not-an-email"

    @staticmethod
    def make(world, school):
        dept = Department.objects.filter(district=school.district).first()
        dept.name = dept.name or "Department"
        dept.save()
        return dept

    def make_many(self, world, school, n):
        return [DepartmentFactory(district=DistrictFactory(), code=DepartmentCode.FACILITIES) for _ in range(n)]

    def new_data(self, world):
        Department.objects.filter(district=world.district, code=DepartmentCode.REPORTING).delete()
        return {"district": world.district.pk, "code": "reporting", "name": "Reporting and Accountability"}


class TestRoleAssignment(AllContracts):
    model = RoleAssignment
    reader = "district_admin"
    denied = "coo"
    edit_field = "title"
    bad_field = "department"
    bad_value = ""

    @staticmethod
    def make(world, school):
        return RoleAssignmentFactory(user=UserFactory(), role=Role.EXECUTIVE, district=school.district, title="Chief")

    def new_data(self, world):
        return {
            "user": UserFactory().pk,
            "role": Role.DEPT_MANAGER,
            "district": world.district.pk,
            "department": world.dept[DepartmentCode.ATHLETICS].pk,
            "title": "Athletic director",
            "is_active": "on",
        }

    def test_staff_need_schools(self, world, login):
        data = {**self.new_data(world), "role": Role.DEPT_STAFF}
        response = login(world.district_admin).post("/district/roleassignment/add/", data)
        assert response.status_code == 400
        assert "schools" in response.context["form"].errors

    def test_schools_must_be_in_the_district(self, world, login):
        data = {**self.new_data(world), "role": Role.DEPT_STAFF, "schools": [world.other_school.pk]}
        response = login(world.district_admin).post("/district/roleassignment/add/", data)
        assert response.status_code == 400

    def test_api_staff_need_schools(self, world, api):
        data = {**self.new_data(world), "role": Role.DEPT_STAFF}
        response = api(world.district_admin).post("/api/district/role-assignments/", data, format="json")
        assert response.status_code == 400
        assert "schools" in response.json()
