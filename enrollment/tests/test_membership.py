"""Membership services and as-of-date counts, computed in SQL."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from core.models import AuditEntry
from enrollment.models import Enrollment
from enrollment.projection import project_next_year, survival_ratios
from enrollment.services import enrollment_create, enrollment_transfer, enrollment_withdraw

from . import factories as f
from .test_contracts import enrollment_personas  # noqa: F401 - the enrollment personas fixture

pytestmark = pytest.mark.django_db
OCT1 = datetime.date(2026, 10, 1)


def enroll(world, school, grade="04", **student):
    s = f.StudentFactory(district=world.district, **student)
    return enrollment_create(
        actor=world.enrollment_manager,
        student=s,
        school=school,
        school_year=world.year,
        grade_level=grade,
        entry_date=datetime.date(2026, 8, 27),
    )


def test_transfer_closes_one_and_opens_the_next_in_one_transaction(world):
    first = enroll(world, world.lincoln)
    second = enrollment_transfer(
        actor=world.enrollment_manager, enrollment=first, to_school=world.washington, on_date=datetime.date(2026, 11, 2)
    )
    first.refresh_from_db()
    assert (first.exit_date, first.exit_code) == (datetime.date(2026, 11, 2), "T1")
    assert (second.entry_date, second.entry_code, second.school) == (datetime.date(2026, 11, 2), "E2", world.washington)
    assert Enrollment.objects.active_on(datetime.date(2026, 11, 1)).get().school == world.lincoln
    assert Enrollment.objects.active_on(datetime.date(2026, 11, 2)).get().school == world.washington
    assert AuditEntry.objects.filter(content_type__model="enrollment").count() == 3


def test_failed_transfer_leaves_nothing_half_written(world):
    first = enroll(world, world.lincoln)
    with pytest.raises(ValidationError):
        enrollment_transfer(
            actor=world.enrollment_manager,
            enrollment=first,
            to_school=world.washington,
            on_date=datetime.date(2027, 12, 1),
        )  # outside the school year: the new one is refused
    first.refresh_from_db()
    assert first.exit_date is None and Enrollment.objects.count() == 1


def test_transfer_refusals(world):
    first = enroll(world, world.lincoln)
    with pytest.raises(ValidationError):
        enrollment_transfer(actor=world.enrollment_manager, enrollment=first, to_school=world.lincoln, on_date=OCT1)
    with pytest.raises(ValidationError):
        enrollment_transfer(
            actor=world.enrollment_manager, enrollment=first, to_school=world.other_school, on_date=OCT1
        )
    with pytest.raises(PermissionDenied):
        enrollment_transfer(actor=world.coo, enrollment=first, to_school=world.washington, on_date=OCT1)
    with pytest.raises(PermissionDenied):  # staff at Lincoln cannot move a student into Washington
        enrollment_transfer(
            actor=world.enrollment_staff_lincoln, enrollment=first, to_school=world.washington, on_date=OCT1
        )
    first.refresh_from_db()
    assert first.exit_date is None


def test_withdraw(world):
    first = enroll(world, world.lincoln)
    with pytest.raises(ValidationError):
        enrollment_withdraw(actor=world.enrollment_manager, enrollment=first, on_date=OCT1, exit_code="ZZ")
    with pytest.raises(ValidationError):
        enrollment_withdraw(
            actor=world.enrollment_manager, enrollment=first, on_date=datetime.date(2026, 1, 1), exit_code="T2"
        )
    enrollment_withdraw(actor=world.enrollment_manager, enrollment=first, on_date=OCT1, exit_code="T2")
    with pytest.raises(ValidationError):  # already ended
        enrollment_withdraw(actor=world.enrollment_manager, enrollment=first, on_date=OCT1, exit_code="T2")


def test_secondary_enrollment_may_overlap(world):
    first = enroll(world, world.lincoln)
    enrollment_create(
        actor=world.enrollment_manager,
        student=first.student,
        school=world.washington,
        school_year=world.year,
        grade_level="04",
        entry_date=OCT1,
        is_primary=False,
    )
    with pytest.raises(ValidationError):
        enrollment_create(
            actor=world.enrollment_manager,
            student=first.student,
            school=world.washington,
            school_year=world.year,
            grade_level="04",
            entry_date=OCT1,
        )


@pytest.mark.postgres
def test_database_refuses_overlapping_primary_enrollments(world):
    first = enroll(world, world.lincoln)
    with pytest.raises(IntegrityError), transaction.atomic():
        Enrollment.objects.create(
            student=first.student,
            school=world.washington,
            school_year=world.year,
            grade_level="04",
            entry_date=OCT1,
            entry_code="E2",
        )
    # Back to back (the exit date is the first day not enrolled) is allowed.
    first.exit_date, first.exit_code = OCT1, "T1"
    first.save()
    Enrollment.objects.create(
        student=first.student,
        school=world.washington,
        school_year=world.year,
        grade_level="04",
        entry_date=OCT1,
        entry_code="E2",
    )
    assert connection.vendor == "postgresql"


def test_membership_as_of_a_date_by_school_grade_and_group(world):
    for _ in range(3):
        enroll(world, world.lincoln, "04", sex="F", race_ethnicity="BL7", races="BL7")
    enroll(world, world.lincoln, "05", sex="M", hispanic=True, race_ethnicity="HI7")
    late = enroll(world, world.washington, "06")
    enrollment_withdraw(
        actor=world.enrollment_manager, enrollment=late, on_date=datetime.date(2026, 9, 15), exit_code="T2"
    )
    rows = list(
        Enrollment.objects.membership(OCT1, by=("school", "grade_level", "student__race_ethnicity", "student__sex"))
    )
    assert rows == [
        {
            "school": world.lincoln.pk,
            "grade_level": "04",
            "student__race_ethnicity": "BL7",
            "student__sex": "F",
            "students": 3,
        },
        {
            "school": world.lincoln.pk,
            "grade_level": "05",
            "student__race_ethnicity": "HI7",
            "student__sex": "M",
            "students": 1,
        },
    ]
    assert sum(r["students"] for r in Enrollment.objects.membership(datetime.date(2026, 9, 1), by=("school",))) == 5


def test_membership_in_program_counts_only_spells_covering_the_date(world):
    a, b = enroll(world, world.lincoln), enroll(world, world.lincoln)
    f.ParticipationFactory(student=a.student, program="el", start_date=datetime.date(2026, 9, 1))
    f.ParticipationFactory(
        student=b.student, program="el", start_date=datetime.date(2026, 8, 1), end_date=datetime.date(2026, 9, 30)
    )
    rows = list(Enrollment.objects.membership_in_program(OCT1, "el"))
    assert rows == [{"school": world.lincoln.pk, "students": 1}]


def test_membership_query_count_is_constant(world, django_assert_num_queries):
    for school in (world.lincoln, world.washington):
        for _ in range(5):
            enroll(world, school)
    with django_assert_num_queries(1):
        list(Enrollment.objects.membership(OCT1, by=("school", "grade_level", "student__sex")))


def test_projection_arithmetic():
    history = [{"KG": 100, "01": 90, "02": 80}, {"KG": 110, "01": 95, "02": 88}]
    ratios = survival_ratios(history)
    assert ratios == {"01": 0.95, "02": 88 / 90}
    assert project_next_year(history, ["KG", "01", "02"]) == {
        "KG": 110,
        "01": round(110 * 0.95),
        "02": round(95 * 88 / 90),
    }
    assert survival_ratios([{"01": 10}, {"02": 100}])["02"] == 1.5  # clipped
    assert project_next_year([], ["KG"]) == {}


def test_utilization_page_flags_projected_conflicts(world, login):
    f.SchoolCapacityFactory(school=world.lincoln, school_year=world.year, grade_level="04", seats=2)
    f.SchoolCapacityFactory(school=world.lincoln, school_year=world.year, grade_level="05", seats=2)
    for _ in range(3):
        enroll(world, world.lincoln, "04")
    c = login(world.enrollment_manager)
    response = c.get("/enrollment/utilization/", {"school_year": world.year.pk, "on": "2026-10-01"})
    rows = {r.grade: r for r in response.context["rows"]}
    assert rows["04"].enrolled == 3 and rows["04"].utilization == 1.5
    assert rows["05"].projected == 3 and rows["05"].conflict
    assert "<td>Grade 4</td>" in response.content.decode()  # the grade by its label
    bad = c.get("/enrollment/utilization/", {"school_year": world.year.pk, "on": "2030-01-01"})
    assert bad.status_code == 400 and "on" in bad.context["form"].errors
    assert login(world.stranger).get("/enrollment/utilization/").status_code == 403


def test_utilization_query_count_flat(world, login):
    from core.testing.contracts import count_queries
    from district.tests.factories import SchoolFactory

    c = login(world.enrollment_manager)
    params = {"school_year": world.year.pk, "on": "2026-10-01"}
    for _ in range(3):
        f.SchoolCapacityFactory(school=SchoolFactory(district=world.district), school_year=world.year)
    c.get("/enrollment/utilization/", params)
    few = count_queries(lambda: c.get("/enrollment/utilization/", params))
    for _ in range(27):
        f.SchoolCapacityFactory(school=SchoolFactory(district=world.district), school_year=world.year)
    assert count_queries(lambda: c.get("/enrollment/utilization/", params)) == few
