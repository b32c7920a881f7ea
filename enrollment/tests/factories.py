"""factory_boy factories for enrollment records."""

import datetime

import factory
from django.utils import timezone

from district.tests.factories import DistrictFactory, SchoolFactory, SchoolYearFactory
from enrollment import models as m


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Household

    district = factory.SubFactory(DistrictFactory)
    name = factory.Sequence(lambda n: f"Household {n}")
    town = "Hartford"
    preferred_language = "Spanish"


class GuardianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Guardian

    household = factory.SubFactory(HouseholdFactory)
    first_name = "Ana"
    last_name = factory.Sequence(lambda n: f"Guardian{n}")
    relationship = "mother"


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Student

    district = factory.SubFactory(DistrictFactory)
    state_id = factory.Sequence(lambda n: f"{1000000000 + n}")
    local_id = factory.Sequence(lambda n: f"L{n:06d}")
    legal_first_name = factory.Sequence(lambda n: f"First{n}")
    legal_last_name = factory.Sequence(lambda n: f"Last{n}")
    birth_date = datetime.date(2016, 5, 1)
    sex = "F"
    races = "BL7"
    race_ethnicity = "BL7"
    grade_level = "04"
    resident_town = "Hartford"


class StudentExternalIdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.StudentExternalId

    student = factory.SubFactory(StudentFactory)
    district = factory.SelfAttribute("student.district")
    source = "sis"
    external_id = factory.Sequence(lambda n: f"SIS-{n}")


class ParticipationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.ProgramParticipation

    student = factory.SubFactory(StudentFactory)
    program = "el"
    start_date = datetime.date(2026, 8, 27)


class MealParticipationFactory(ParticipationFactory):
    program = "meals"
    data_class = "meals"
    meal_status = "free"
    meal_source = "direct_cert"


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Enrollment

    student = factory.SubFactory(StudentFactory, district=factory.SelfAttribute("..school.district"))
    school = factory.SubFactory(SchoolFactory)
    school_year = factory.SubFactory(SchoolYearFactory, district=factory.SelfAttribute("..school.district"))
    grade_level = "04"
    entry_date = datetime.date(2026, 8, 27)
    entry_code = "E1"


class SchoolCapacityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.SchoolCapacity

    school = factory.SubFactory(SchoolFactory)
    school_year = factory.SubFactory(SchoolYearFactory, district=factory.SelfAttribute("..school.district"))
    grade_level = "04"
    seats = 75


class ApplicationWindowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.ApplicationWindow

    district = factory.SubFactory(DistrictFactory)
    name = factory.Sequence(lambda n: f"Choice round {n}")
    school_year = factory.SubFactory(SchoolYearFactory, district=factory.SelfAttribute("..district"), end_year=2028)
    opens_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=30))
    closes_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=30))


class ChoiceProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.ChoiceProgram

    window = factory.SubFactory(ApplicationWindowFactory)
    school = factory.SubFactory(SchoolFactory, district=factory.SelfAttribute("..window.district"))
    grade_level = "06"
    code = factory.Sequence(lambda n: f"P{n:04d}")
    name = factory.Sequence(lambda n: f"Program {n}")
    seats = 25


class SeatCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.SeatCategory

    program = factory.SubFactory(ChoiceProgramFactory)
    name = factory.Sequence(lambda n: f"Set-aside {n}")
    seats = 5
    eligibility = "sibling"


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Application

    window = factory.SubFactory(ApplicationWindowFactory)
    student = factory.SubFactory(StudentFactory, district=factory.SelfAttribute("..window.district"))
    submitted_at = factory.LazyFunction(timezone.now)


class ApplicantPriorityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.ApplicantPriority

    application = factory.SubFactory(ApplicationFactory)
    program = factory.SubFactory(ChoiceProgramFactory, window=factory.SelfAttribute("..application.window"))
    kind = "sibling"
