import datetime

import pytest

from core.choices import Role
from district.choices import DepartmentCode
from district.tests.factories import RoleAssignmentFactory, SchoolYearFactory, UserFactory
from enrollment.tests import factories as f


@pytest.fixture
def reporting_world(world):
    """The world, plus reporting staff and a little membership to report on."""
    world.reporting_manager = UserFactory(username="reporting_manager")
    RoleAssignmentFactory(
        user=world.reporting_manager,
        role=Role.DEPT_MANAGER,
        district=world.district,
        department=world.dept[DepartmentCode.REPORTING],
    )
    world.reporting_staff = UserFactory(username="reporting_staff")
    RoleAssignmentFactory(
        user=world.reporting_staff,
        role=Role.DEPT_STAFF,
        district=world.district,
        department=world.dept[DepartmentCode.REPORTING],
        schools=[world.lincoln],
    )
    world.enrollment_manager = UserFactory(username="enrollment_manager")
    RoleAssignmentFactory(
        user=world.enrollment_manager,
        role=Role.DEPT_MANAGER,
        district=world.district,
        department=world.dept[DepartmentCode.ENROLLMENT],
    )
    world.last_year = SchoolYearFactory(district=world.district, end_year=2026)
    world.future_year = SchoolYearFactory(district=world.district, end_year=2030)
    for i in range(12):
        f.EnrollmentFactory(
            school=world.lincoln,
            school_year=world.year,
            grade_level="04",
            student=f.StudentFactory(district=world.district, sex="MF"[i % 2]),
        )
    late = f.EnrollmentFactory(
        school=world.washington,
        school_year=world.year,
        grade_level="06",
        entry_date=datetime.date(2026, 10, 15),
        student=f.StudentFactory(district=world.district),
    )
    world.late_student = late.student
    return world
