"""factory_boy factories for district reference data."""

import datetime

import factory

from core.choices import Role
from core.models import User
from district.choices import DepartmentCode, SchoolType
from district.models import Department, District, RoleAssignment, School, SchoolDay, SchoolProfile, SchoolYear


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Person{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password("pass-for-tests-1")


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District

    name = factory.Sequence(lambda n: f"District {n}")
    # Five digits: never one of the three-digit ids tests give their districts ("640", "641"), however many are made.
    state_lea_id = factory.Sequence(lambda n: f"{10000 + n}")
    nces_id = factory.Sequence(lambda n: f"09{n:05d}")


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    district = factory.SubFactory(DistrictFactory)
    name = factory.Sequence(lambda n: f"School {n}")
    state_school_id = factory.Sequence(lambda n: f"S{n:07d}")
    school_type = SchoolType.NEIGHBORHOOD
    city = "Hartford"


class SchoolYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SchoolYear

    district = factory.SubFactory(DistrictFactory)
    end_year = 2027
    start_date = factory.LazyAttribute(lambda o: datetime.date(o.end_year - 1, 8, 27))
    end_date = factory.LazyAttribute(lambda o: datetime.date(o.end_year, 6, 11))


class SchoolDayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SchoolDay

    school_year = factory.SubFactory(SchoolYearFactory)
    date = factory.Sequence(lambda n: datetime.date(2026, 9, 1) + datetime.timedelta(days=n % 200))


class SchoolProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SchoolProfile

    school = factory.SubFactory(SchoolFactory)
    school_year = factory.SubFactory(SchoolYearFactory, district=factory.SelfAttribute("..school.district"))
    grades_offered = "KG 01 02 03 04 05"


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("district", "code")

    district = factory.SubFactory(DistrictFactory)
    code = DepartmentCode.TRANSPORTATION


class RoleAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleAssignment
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    role = Role.EXECUTIVE
    district = factory.SubFactory(DistrictFactory)

    @factory.post_generation
    def schools(self, create, extracted, **kwargs):
        if create and extracted:
            self.schools.set(extracted)
