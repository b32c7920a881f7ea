"""Shared setup for the school-choice tests (builders only; no tests here).

``choice_world(world)`` extends the ``world`` fixture with enrollment personas,
a placement year (2027-28), an open application window in Capitol City with
three programs (Lincoln 06 with two seats, Washington 06 with two seats, and
a closed one), and a window in Riverside for scope checks.
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace

from django.utils import timezone

from core.choices import Role
from district.choices import DepartmentCode
from district.tests.factories import RoleAssignmentFactory, SchoolYearFactory, UserFactory
from enrollment import choice
from enrollment import models as m

from . import factories as f


def enrollment_persona(world, username, role=Role.DEPT_MANAGER, schools=()):
    user = UserFactory(username=username)
    RoleAssignmentFactory(
        user=user,
        role=role,
        district=world.district,
        department=world.dept[DepartmentCode.ENROLLMENT],
        schools=list(schools),
    )
    return user


def choice_world(world):
    now = timezone.now()
    w = SimpleNamespace(world=world)
    w.manager = enrollment_persona(world, "enrollment_manager")
    w.placement_year = SchoolYearFactory(district=world.district, end_year=2028)
    w.window = f.ApplicationWindowFactory(
        district=world.district,
        school_year=w.placement_year,
        name="Magnet round 2027-28",
        opens_at=now - datetime.timedelta(days=30),
        closes_at=now + datetime.timedelta(days=30),
        offer_deadline_days=14,
    )
    w.lin = f.ChoiceProgramFactory(window=w.window, school=world.lincoln, code="LIN-06", name="Lincoln STEM 6", seats=2)
    w.wash = f.ChoiceProgramFactory(
        window=w.window, school=world.washington, code="WAS-06", name="Washington Arts 6", seats=2
    )
    w.closed = f.ChoiceProgramFactory(
        window=w.window, school=world.washington, code="WAS-07", name="Washington 7", seats=5, is_open=False
    )
    other_year = SchoolYearFactory(district=world.other_district, end_year=2028)
    w.other_window = f.ApplicationWindowFactory(district=world.other_district, school_year=other_year)
    w.other_program = f.ChoiceProgramFactory(window=w.other_window, school=world.other_school, code="RIV-06")
    return w


def student(cw, **extra):
    return f.StudentFactory(district=cw.world.district, **extra)


def submit(cw, codes, who=None, **extra):
    return choice.application_submit(
        actor=cw.manager, window=cw.window, student=who or student(cw), program_codes=codes, **extra
    )


def close_window(cw):
    """Move the deadline into the past, as when applications have closed."""
    closes = timezone.now() - datetime.timedelta(hours=1)
    m.ApplicationWindow.objects.filter(pk=cw.window.pk).update(closes_at=closes)
    cw.window.refresh_from_db()


def offer_of(application):
    return m.Offer.objects.get(application=application, status__in=choice.ACTIVE_OFFER)


def applied_outside(cw, codes, district):
    """An application from a student of ``district``, as the regional office would record it."""
    application = f.ApplicationFactory(window=cw.window, student=f.StudentFactory(district=district))
    programs = {p.code: p for p in cw.window.programs.all()}
    for rank, code in enumerate(codes, start=1):
        m.ApplicationChoice.objects.create(application=application, program=programs[code], rank=rank)
    return application
