"""Who reaches a student at a school: while the school serves the student, plus the district's grace period.

And school-choice applications: at the schools their choices name.
"""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from core import policy
from core.choices import Action, Role
from core.testing.contracts import count_queries
from district.tests.factories import RoleAssignmentFactory, SchoolYearFactory, UserFactory
from enrollment import choice
from enrollment import models as m
from enrollment.roster import testing

from . import factories as f

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def today():
    return timezone.localdate()


def student_at(world, school, *, exit_days_ago=None, entry=None):
    """A student enrolled at ``school``; ended ``exit_days_ago`` days ago when given."""
    exit_date = today() - exit_days_ago * DAY if exit_days_ago is not None else None
    entry = entry or min(world.year.start_date, exit_date or today())
    return f.EnrollmentFactory(
        student=f.StudentFactory(district=school.district),
        school=school,
        school_year=world.year,
        entry_date=entry,
        exit_date=exit_date,
        exit_code="T1" if exit_date else "",
    ).student


def fresh(user):
    """The user as a new request sees them (the scope is read once per request)."""
    policy.forget_scope(user)
    return user


def visible(user, model=m.Student):
    return set(model.objects.restrict(fresh(user)))


@pytest.fixture
def lincoln_staff(world):
    return testing.enrollment_staff(world, world.lincoln)


@pytest.fixture
def left(world):
    """Three Lincoln students: still there, gone ten days ago, gone forty days ago."""
    return {
        "current": student_at(world, world.lincoln),
        "recent": student_at(world, world.lincoln, exit_days_ago=10),
        "long_ago": student_at(world, world.lincoln, exit_days_ago=40),
    }


def test_school_staff_lose_a_student_once_the_grace_period_has_passed(world, left, lincoln_staff):
    kept = {left["current"], left["recent"]}
    for user in (world.transport_staff_lincoln, world.principal_lincoln, world.nurse_lincoln, lincoln_staff):
        assert visible(user) == kept, user
    # District-wide roles are unchanged.
    everyone = set(left.values())
    for user in (world.coo, world.transport_manager, world.state_analyst, world.sis_integration):
        assert visible(user) == everyone, user
    assert not visible(world.principal_washington)


def test_everything_about_a_student_who_left_goes_with_the_student(world, left, login, api):
    """Address and a guardian's phone, external ids, program spells and the enrollments themselves."""
    records = {}
    for key, student in left.items():
        household = f.HouseholdFactory(district=world.district, phone="860-555-0100")
        student.household = household
        student.save()
        records[key] = {
            m.Household: household,
            m.Guardian: f.GuardianFactory(household=household, phone="860-555-0101"),
            m.StudentExternalId: f.StudentExternalIdFactory(student=student),
            m.ProgramParticipation: f.ParticipationFactory(student=student),
            m.Enrollment: student.enrollments.get(),
        }
    # The principal reads every field group; a department the records its own groups cover (no contacts
    # for transportation), of the same students.
    user = world.principal_lincoln
    for model in (m.Household, m.Guardian, m.StudentExternalId, m.ProgramParticipation, m.Enrollment):
        assert visible(user, model) == {records["current"][model], records["recent"][model]}, model
        assert len(visible(world.coo, model)) == 3, model
        expected = set() if model is m.Guardian else visible(user, model)
        assert visible(world.transport_staff_lincoln, model) == expected, model

    c = login(user)
    gone = left["long_ago"]
    assert c.get(f"/enrollment/student/{gone.pk}/").status_code == 404
    assert c.get(f"/enrollment/guardian/{records['long_ago'][m.Guardian].pk}/").status_code == 404
    assert c.get(f"/enrollment/student/{left['recent'].pk}/").status_code == 200
    listed = c.get("/enrollment/household/").content.decode()
    assert records["recent"][m.Household].name in listed and records["long_ago"][m.Household].name not in listed
    assert api(user).get(f"/api/enrollment/students/{gone.pk}/").status_code == 404
    ids = {row["id"] for row in api(user).get("/api/enrollment/guardians/").json()["results"]}
    assert ids == {records["current"][m.Guardian].pk, records["recent"][m.Guardian].pk}


def test_the_grace_period_is_the_districts(world, left):
    user = world.principal_lincoln
    world.district.access_grace_days = 0
    world.district.save()
    assert visible(user) == {left["current"]}
    world.district.access_grace_days = 60
    world.district.save()
    assert visible(user) == set(left.values())
    # A student who left more than 30 days ago is back within 60, and no one else's reach changed.
    assert visible(world.principal_washington) == set()


def test_an_upcoming_enrollment_counts(world):
    next_year = SchoolYearFactory(district=world.district, end_year=2028)
    coming = f.EnrollmentFactory(
        student=f.StudentFactory(district=world.district),
        school=world.lincoln,
        school_year=next_year,
        entry_date=today() + 200 * DAY,
    ).student
    assert visible(world.principal_lincoln) == {coming}
    assert visible(world.principal_washington) == set()


def offer_for(world, school, status, *, placement_end_year=2028):
    """An offer at ``school`` for a student with no enrollment at all."""
    year = SchoolYearFactory(district=world.district, end_year=placement_end_year)
    window = f.ApplicationWindowFactory(district=world.district, school_year=year)
    program = f.ChoiceProgramFactory(window=window, school=school)
    application = f.ApplicationFactory(window=window, student=f.StudentFactory(district=world.district))
    m.ApplicationChoice.objects.create(application=application, program=program, rank=1)
    run = m.LotteryRun.objects.create(window=window, kind="final", seed="1", input_hash="0" * 64, ran_at=timezone.now())
    return m.Offer.objects.create(
        run=run, application=application, program=program, rank=1, status=status, respond_by=today() + 14 * DAY
    )


def test_an_accepted_offer_for_next_year_counts_so_staff_can_prepare_over_the_summer(world):
    accepted = offer_for(world, world.lincoln, "accepted")
    pending = offer_for(world, world.lincoln, "pending", placement_end_year=2029)
    declined = offer_for(world, world.lincoln, "declined", placement_end_year=2030)
    old = offer_for(world, world.lincoln, "accepted", placement_end_year=2020)  # a year long over
    students = {o.application.student for o in (accepted, pending, declined, old)}
    assert visible(world.principal_lincoln) == {accepted.application.student}
    assert visible(world.transport_staff_lincoln) == {accepted.application.student}
    assert visible(world.principal_washington) == set()
    assert visible(world.coo) == students


def test_a_change_may_close_an_enrollment_in_the_past_but_not_move_it(world, lincoln_staff):
    """Recording a late exit ends the school's reason for access; it is not refused for it."""
    from enrollment.services import enrollment_transfer, enrollment_withdraw

    student = student_at(world, world.lincoln)
    enrollment = student.enrollments.get()
    late = max(enrollment.entry_date, today() - 90 * DAY)
    closed = enrollment_withdraw(actor=fresh(lincoln_staff), enrollment=enrollment, on_date=late, exit_code="T2")
    assert closed.exit_date == late
    assert student not in visible(lincoln_staff)

    other = student_at(world, world.lincoln).enrollments.get()
    with pytest.raises(PermissionDenied):  # to a school they do not reach: nothing is written
        enrollment_transfer(actor=fresh(lincoln_staff), enrollment=other, to_school=world.washington, on_date=today())
    other.refresh_from_db()
    assert other.exit_date is None and m.Enrollment.objects.filter(student=other.student).count() == 1


def test_a_new_student_with_only_a_past_enrollment_is_out_of_reach(world, lincoln_staff):
    """Adding a record the user could not then see is refused, by the roster too; nothing is written."""
    from enrollment.roster.rows import EnrollmentRow, RosterBatch, StudentRow
    from enrollment.roster.services import RosterRejected, roster_import

    def batch(exit_date):
        return RosterBatch(
            students=[
                StudentRow(
                    file="api",
                    line=1,
                    values={
                        "state_id": "5000000001",
                        "legal_first_name": "Ada",
                        "legal_last_name": "Lee",
                        "birth_date": "2016-01-02",
                        "sex": "F",
                        "grade_level": "04",
                    },
                    ref="ada",
                    school_key="6400011",
                )
            ],
            enrollments=[
                EnrollmentRow(
                    file="api",
                    line=2,
                    values={"grade_level": "04", "entry_date": "2026-08-27", "exit_date": exit_date, "exit_code": "T2"},
                    student_ref="ada",
                    school_key="6400011",
                    year_end=2027,
                )
            ],
        )

    long_ago = (today() - 60 * DAY).isoformat()
    with pytest.raises(RosterRejected) as caught:
        roster_import(actor=fresh(lincoln_staff), batch=batch(long_ago))
    assert sorted((p.line, p.message) for p in caught.value.plan.problems) == [
        (1, "This student would fall outside what you may add."),
        (2, "This enrollment would fall outside what you may add."),
    ]
    assert not m.Student.objects.exists()
    plan = roster_import(actor=fresh(lincoln_staff), batch=batch((today() - 5 * DAY).isoformat()))
    assert plan.counts()["students"]["created"] == 1


def application_naming(world, *schools):
    window = f.ApplicationWindowFactory(district=world.district, school_year=world.year)
    application = f.ApplicationFactory(window=window, student=f.StudentFactory(district=world.district))
    for rank, school in enumerate(schools, start=1):
        program = f.ChoiceProgramFactory(window=window, school=school, code=f"{window.pk}-{rank}")
        m.ApplicationChoice.objects.create(application=application, program=program, rank=rank)
    return application


def test_enrollment_staff_of_a_school_see_the_applications_naming_it(world, lincoln_staff, login, api):
    both = application_naming(world, world.washington, world.lincoln)
    lincoln = application_naming(world, world.lincoln)
    washington = application_naming(world, world.washington)
    assert visible(lincoln_staff, m.Application) == {both, lincoln}
    assert visible(world.principal_washington, m.Application) == {both, washington}
    assert visible(world.coo, m.Application) == {both, lincoln, washington}
    assert set(m.Application.objects.restrict(fresh(lincoln_staff), Action.CHANGE)) == {both, lincoln}

    c = login(lincoln_staff)
    assert c.get(f"/enrollment/application/{washington.pk}/").status_code == 404
    assert c.get(f"/enrollment/application/{lincoln.pk}/").status_code == 200
    listed = {row["obj"].pk for row in c.get("/enrollment/application/").context["rows"]}
    assert listed == {both.pk, lincoln.pk}
    assert api(lincoln_staff).get(f"/api/enrollment/applications/{washington.pk}/").status_code == 404


def test_enrollment_staff_of_a_school_cannot_change_other_schools_applications(world, lincoln_staff):
    washington = application_naming(world, world.washington)
    with pytest.raises(PermissionDenied):
        choice.application_withdraw(actor=fresh(lincoln_staff), application=washington)
    washington.refresh_from_db()
    assert washington.status == "submitted"

    # Nor move one of theirs away from their school: refused, and the choices stay as they were.
    both = application_naming(world, world.lincoln, world.washington)
    codes = list(both.choices.order_by("rank").values_list("program__code", flat=True))
    with pytest.raises(PermissionDenied):
        choice.application_update(actor=fresh(lincoln_staff), application=both, program_codes=codes[1:])
    assert list(both.choices.order_by("rank").values_list("program__code", flat=True)) == codes
    both.refresh_from_db()
    assert both.version == 1


def test_priorities_are_at_their_programs_school(world, lincoln_staff):
    application = application_naming(world, world.lincoln, world.washington)
    at_lincoln, at_washington = (c.program for c in application.choices.order_by("rank"))
    mine = f.ApplicantPriorityFactory(application=application, program=at_lincoln)
    f.ApplicantPriorityFactory(application=application, program=at_washington)
    assert visible(lincoln_staff, m.ApplicantPriority) == {mine}


@pytest.mark.parametrize(
    ("path", "make"),
    [
        ("/enrollment/student/", lambda world, n: [student_at(world, world.lincoln) for _ in range(n)]),
        (
            "/enrollment/guardian/",
            lambda world, n: [
                f.GuardianFactory(household=_with_household(student_at(world, world.lincoln))) for _ in range(n)
            ],
        ),
        ("/enrollment/application/", lambda world, n: [application_naming(world, world.lincoln) for _ in range(n)]),
        ("/api/enrollment/students/", lambda world, n: [student_at(world, world.lincoln) for _ in range(n)]),
        (
            "/api/enrollment/program-participations/",
            lambda world, n: [f.ParticipationFactory(student=student_at(world, world.lincoln)) for _ in range(n)],
        ),
        (
            "/api/enrollment/applications/",
            lambda world, n: [application_naming(world, world.lincoln) for _ in range(n)],
        ),
    ],
)
def test_a_school_bound_list_costs_the_same_for_3_rows_and_30(world, login, lincoln_staff, path, make):
    client = login(lincoln_staff)
    make(world, 3)
    student_at(world, world.lincoln, exit_days_ago=90)  # gone: not listed, not counted

    def get():
        response = client.get(path)
        assert response.status_code == 200

    few = count_queries(get)
    make(world, 27)
    assert count_queries(get) == few


def _with_household(student):
    student.household = f.HouseholdFactory(district=student.district)
    student.save()
    return student.household


def test_the_grace_period_is_validated_and_set_by_district_administrators(world, login, api):
    url = f"/district/district/{world.district.pk}/edit/"
    data = {
        "name": world.district.name,
        "state_lea_id": world.district.state_lea_id,
        "nces_id": world.district.nces_id,
        "state": "CT",
        "fips_code": "09",
        "version": world.district.version,
    }
    c = login(world.district_admin)
    for bad in ("366", "-1", "soon"):
        response = c.post(url, {**data, "access_grace_days": bad})
        assert response.status_code == 400 and "access_grace_days" in response.context["form"].errors, bad
    world.district.refresh_from_db()
    assert world.district.access_grace_days == 30
    assert c.post(url, {**data, "access_grace_days": "45"}).status_code == 302
    world.district.refresh_from_db()
    assert world.district.access_grace_days == 45
    assert login(world.principal_lincoln).post(url, {**data, "access_grace_days": "400"}).status_code == 403

    body = api(world.district_admin).patch(
        f"/api/district/districts/{world.district.pk}/", {"access_grace_days": 1000}, format="json"
    )
    assert body.status_code == 400 and "access_grace_days" in body.json()


def test_each_district_sets_its_own_grace_period(world):
    """An assignment carries its own district's period."""
    world.other_district.access_grace_days = 5
    world.other_district.save()
    user = UserFactory()
    RoleAssignmentFactory(user=user, role=Role.PRINCIPAL, district=world.other_district, schools=[world.other_school])
    RoleAssignmentFactory(user=user, role=Role.PRINCIPAL, district=world.district, schools=[world.lincoln])
    graces = {a.district_id: a.access_grace_days for a in policy.scope_for(user).assignments}
    assert graces == {world.district.pk: 30, world.other_district.pk: 5}


def test_window_wide_workflows_need_a_role_that_reaches_every_school(world, lincoln_staff):
    """Priorities and the lottery are computed for every school of a window at once."""
    window = application_naming(world, world.lincoln, world.washington).window
    with pytest.raises(PermissionDenied):
        choice.applicant_priorities_compute(actor=fresh(lincoln_staff), window=window)
    for kind in ("dry", "final"):
        with pytest.raises(PermissionDenied):
            choice.lottery_run(actor=fresh(lincoln_staff), window=window, kind=kind)
    assert not m.LotteryRun.objects.exists() and not m.ApplicantPriority.objects.exists()
    counts = choice.applicant_priorities_compute(actor=testing.enrollment_manager(world), window=window)
    assert m.ApplicantPriority.objects.count() == counts["created"] > 0  # a manager reaches every school
