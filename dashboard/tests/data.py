"""Small data sets whose KPI values are worked out by hand in the tests' docstrings.

Membership on 2026-10-01 (school year 2026-27):

Lincoln, 15 students (12 in grade 04, 3 in grade 05), all female, all BL7:
  English learners: students 0-4; meal-eligible: 0-9; IDEA: student 0.
Washington, 24 students in grade 06; female 0-14, male 15-23; HI7 0-13, BL7 14-23:
  English learners: 0-5; meal-eligible: 0-9; IDEA: 0-11.
Seats: Lincoln 04: 20, 05: 10; Washington 06: 40.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from enrollment import models as m
from enrollment.tests.factories import EnrollmentFactory, SchoolCapacityFactory, StudentFactory

AS_OF = datetime.date(2026, 10, 1)
START = datetime.date(2026, 8, 27)


def _participate(student, program, **extra):
    m.ProgramParticipation.objects.create(
        student=student,
        program=program,
        data_class={"idea": "disability", "meals": "meals"}.get(program, ""),
        start_date=START,
        **extra,
    )


def membership_world(world):
    """The students above, enrolled and in their programs; returns {school: [students]}."""
    out = {}
    plan = [
        (world.lincoln, 15, lambda i: "04" if i < 12 else "05", lambda i: "F", lambda i: "BL7", 5, 10, 1),
        (
            world.washington,
            24,
            lambda i: "06",
            lambda i: "F" if i < 15 else "M",
            lambda i: "HI7" if i < 14 else "BL7",
            6,
            10,
            12,
        ),
    ]
    for school, n, grade, sex, race, el, meals, idea in plan:
        students = []
        for i in range(n):
            student = StudentFactory(district=world.district, sex=sex(i), race_ethnicity=race(i), races=race(i))
            EnrollmentFactory(
                student=student, school=school, school_year=world.year, grade_level=grade(i), entry_date=START
            )
            if i < el:
                _participate(student, "el")
            if i < meals:
                _participate(student, "meals", meal_status="free", meal_source="direct_cert")
            if i < idea:
                _participate(student, "idea")
            students.append(student)
        out[school] = students
    SchoolCapacityFactory(school=world.lincoln, school_year=world.year, grade_level="04", seats=20)
    SchoolCapacityFactory(school=world.lincoln, school_year=world.year, grade_level="05", seats=10)
    SchoolCapacityFactory(school=world.washington, school_year=world.year, grade_level="06", seats=40)
    return out


SUMMARY = {
    "applicants": 40,
    "matched": 30,
    "first_choice": 18,
    "top3": 27,
    "groups": [
        {
            "dimension": "sex",
            "groups": [
                {"value": "F", "applicants": 25, "matched": 20, "first_choice": 12, "top3": 18, "suppressed": False},
                {"value": "M", "applicants": 12, "matched": 8, "first_choice": 5, "top3": 7, "suppressed": False},
                {"value": "X", "suppressed": True},
            ],
        },
        {
            "dimension": "meal_eligible",
            "groups": [
                {"value": "no", "applicants": 22, "matched": 15, "first_choice": 9, "top3": 14, "suppressed": False},
                {"value": "yes", "applicants": 18, "matched": 15, "first_choice": 9, "top3": 13, "suppressed": False},
            ],
        },
    ],
}


def choice_world(world):
    """A window placing into 2027-28 with its final run, offers and one waitlist offer.

    Applications (first choice → what happened); P1 is at Lincoln, P2 at Washington:
      a1 P1 → P1 rank 1 accepted     a5 P1 → unmatched, then P1 from the waitlist (rank 1), accepted
      a2 P1 → P1 rank 1 accepted     a6 P2 → P2 rank 1 accepted
      a3 P2 → P1 rank 2 declined     a7 P1 → P2 rank 3 pending
      a4 P2 → P1 rank 4 expired      a8 P2 → unmatched
    Every applicant is female and BL7 but a3, who is male.
    """
    from district.tests.factories import SchoolYearFactory

    placement = SchoolYearFactory(district=world.district, end_year=2028)
    window = m.ApplicationWindow.objects.create(
        district=world.district,
        name="Choice 2027-28",
        school_year=placement,
        opens_at=timezone.make_aware(datetime.datetime(2026, 9, 1)),
        closes_at=timezone.make_aware(datetime.datetime(2026, 9, 20)),
    )
    p1 = m.ChoiceProgram.objects.create(window=window, school=world.lincoln, grade_level="KG", code="P1", seats=5)
    p2 = m.ChoiceProgram.objects.create(window=window, school=world.washington, grade_level="06", code="P2", seats=5)
    run = m.LotteryRun.objects.create(
        window=window,
        kind="final",
        seed="1",
        input_hash="0" * 64,
        summary=SUMMARY,
        ran_at=timezone.make_aware(datetime.datetime(2026, 9, 25, 12)),
    )
    apps = {}
    first = {1: p1, 2: p1, 3: p2, 4: p2, 5: p1, 6: p2, 7: p1, 8: p2}
    for n, program in first.items():
        student = StudentFactory(district=world.district, sex="M" if n == 3 else "F")
        app = m.Application.objects.create(window=window, student=student, submitted_at=window.opens_at)
        m.ApplicationChoice.objects.create(application=app, program=program, rank=1)
        apps[n] = app
    respond_by = datetime.date(2026, 10, 9)
    for n, program, rank, status in [
        (1, p1, 1, "accepted"),
        (2, p1, 1, "accepted"),
        (3, p1, 2, "declined"),
        (4, p1, 4, "expired"),
        (5, p1, 1, "accepted"),
        (6, p2, 1, "accepted"),
        (7, p2, 3, "pending"),
    ]:
        m.Offer.objects.create(
            run=run, application=apps[n], program=program, rank=rank, status=status, respond_by=respond_by
        )
    m.WaitlistEntry.objects.create(run=run, program=p1, application=apps[5], position=1, rank=1, is_active=False)
    m.WaitlistEntry.objects.create(run=run, program=p2, application=apps[8], position=1, rank=1, is_active=True)
    return run


def reporting_world(world):
    """Collections due 2026-09-15 (certified 09-10: on time), 09-20 (certified 09-25: late), 12-01 (not yet due).

    Runs of FS129 for 2026-27: an older draft with 5 fatal findings, the latest draft with 3 fatal and 1 warning.
    """
    from reporting.models import Collection, ReportFinding, ReportRun

    def at(day):
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))

    params = {"school_year": world.year.pk, "as_of": "2026-10-01", "level": "district", "fmt": "csv"}
    for key, due in [
        ("fs052", datetime.date(2026, 9, 15)),
        ("fs039", datetime.date(2026, 9, 20)),
        ("fs141", datetime.date(2026, 12, 1)),
    ]:
        Collection.objects.create(
            district=world.district, name=key.upper(), report_key=key, school_year=world.year, due_date=due
        )
    for key, certified in [("fs052", datetime.date(2026, 9, 10)), ("fs039", datetime.date(2026, 9, 25))]:
        ReportRun.objects.create(
            district=world.district,
            report_key=key,
            title=key,
            parameters=params,
            fingerprint=key,
            status="succeeded",
            certification="certified",
            certified_at=at(certified),
            finished_at=at(certified),
        )
    older = ReportRun.objects.create(
        district=world.district, report_key="fs129", title="FS129", parameters=params, fingerprint="a",
        status="succeeded", finished_at=at(datetime.date(2026, 9, 1)),
    )  # fmt: skip
    ReportRun.objects.filter(pk=older.pk).update(queued_at=at(datetime.date(2026, 9, 1)))
    latest = ReportRun.objects.create(
        district=world.district, report_key="fs129", title="FS129", parameters=params, fingerprint="b",
        status="succeeded", finished_at=at(datetime.date(2026, 9, 2)),
    )  # fmt: skip
    ReportRun.objects.filter(pk=latest.pk).update(queued_at=at(datetime.date(2026, 9, 2)))
    for _ in range(5):
        ReportFinding.objects.create(run=older, severity="fatal", message="old")
    for _ in range(3):
        ReportFinding.objects.create(run=latest, severity="fatal", message="bad")
    ReportFinding.objects.create(run=latest, severity="warning", message="odd")
