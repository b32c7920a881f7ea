"""Records of the choice workflow for the sweeps (``core.testing.sweeps``): one per model at a given school.

Applications name the school through a ranked choice (so they are at that
school); runs, offers and waitlist places come from a window of the school's
district.
"""

import datetime
import itertools

from django.utils import timezone

from enrollment import models as m

from . import factories as f

_seeds = itertools.count(1)


def _year(world, school):
    return world.year if school.district_id == world.district.pk else world.other_year


def application(world, school):
    window = f.ApplicationWindowFactory(district=school.district, school_year=_year(world, school))
    program = f.ChoiceProgramFactory(window=window, school=school)
    app = f.ApplicationFactory(window=window, student=f.StudentFactory(district=school.district))
    m.ApplicationChoice.objects.create(application=app, program=program, rank=1)
    return app


def lottery_run(world, school):
    window = f.ApplicationWindowFactory(district=school.district, school_year=_year(world, school))
    return m.LotteryRun.objects.create(
        window=window, kind="trial", seed=str(next(_seeds)), input_hash="0" * 64, summary={}, ran_at=timezone.now()
    )


def _placed(world, school):
    app = application(world, school)
    program = app.choices.get().program
    run = m.LotteryRun.objects.create(
        window=app.window, kind="trial", seed=str(next(_seeds)), input_hash="0" * 64, summary={}, ran_at=timezone.now()
    )
    return app, program, run


def offer(world, school):
    app, program, run = _placed(world, school)
    return m.Offer.objects.create(
        run=run,
        application=app,
        program=program,
        rank=1,
        respond_by=datetime.date.today() + datetime.timedelta(days=14),
    )


def waitlist_entry(world, school):
    app, program, run = _placed(world, school)
    return m.WaitlistEntry.objects.create(run=run, program=program, application=app, position=1, rank=1)


BUILDERS = {
    m.Application: application,
    m.LotteryRun: lottery_run,
    m.Offer: offer,
    m.WaitlistEntry: waitlist_entry,
}


# -- the canary sweep (core.testing.canary) ------------------------------------------------------------------


def _records_office(world, district):
    """An enrollment manager who also administers every sensitive class: the one who records such spells
    (made once per district, with the students, so the lists of accounts stay the same afterwards)."""
    from core.choices import Role
    from district.choices import DepartmentCode
    from district.tests.factories import RoleAssignmentFactory, UserFactory

    offices = world.__dict__.setdefault("records_offices", {})
    if district.pk in offices:
        return offices[district.pk]
    user = offices[district.pk] = UserFactory()
    department = world.dept[DepartmentCode.ENROLLMENT]
    RoleAssignmentFactory(user=user, role=Role.DEPT_MANAGER, district=district, department=department)
    for role in (Role.MEAL_PROGRAM, Role.STUDENT_SERVICES, Role.NURSE):
        RoleAssignmentFactory(user=user, role=role, district=district)
    return user


def canary_students(world, school, names):
    """Students alike in all but their names (``names``: two last names), each enrolled at ``school``,
    made through the services so their history is alike too."""
    from core import services

    actor = _records_office(world, school.district)
    made = []
    for n, last_name in enumerate(names):
        student = f.StudentFactory.build(
            district=school.district,
            legal_first_name="Canary",
            legal_last_name=last_name,
            state_id=f"77{n:08d}",
            local_id=f"C{n:07d}",
        )
        services.record_save(actor=actor, instance=student)
        enrollment = m.Enrollment(
            student=student,
            school=school,
            school_year=_year(world, school),
            grade_level="04",
            entry_date=datetime.date(2026, 8, 27),
            entry_code="E1",
        )
        services.record_save(actor=actor, instance=enrollment)
        made.append(student)
    return made


def canary_records(world, student, data_class, marker):
    """Spells of ``data_class`` for ``student``, starting on the ``marker`` date, recorded through the services."""
    from core import services

    from .. import choices as c

    actor = _records_office(world, student.district)
    spells = {
        "meals": [
            {"program": c.Program.MEALS, "meal_status": c.MealStatus.REDUCED, "meal_source": c.MealSource.APPLICATION}
        ],
        "disability": [{"program": c.Program.IDEA}, {"program": c.Program.SECTION_504}],
    }.get(data_class, [])
    return [
        services.record_save(actor=actor, instance=m.ProgramParticipation(student=student, start_date=marker, **values))
        for values in spells
    ]


def canary_values(data_class):
    """The words that name a value of ``data_class`` on a page or in a file."""
    from .. import choices as c

    programs = [p for p, cls in c.PROGRAM_CLASS.items() if cls == data_class]
    values = [str(c.Program(p).label) for p in programs]
    if data_class == "meals":
        values += [str(c.MealStatus.REDUCED.label), str(c.MealSource.APPLICATION.label), "reduced"]
    return values


CANARY = {"students": canary_students, "records": canary_records, "values": canary_values}
