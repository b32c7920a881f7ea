"""Enrollment's workspace: each queue holds exactly the rows that need action, at the viewer's schools only."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from core import workspace
from core.choices import Role
from core.testing.contracts import count_queries
from enrollment import models as m

from . import factories as f
from .test_choice_fixtures import choice_world, enrollment_persona

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def ew(world):
    """The choice world, a window already drawn, and staff limited to Lincoln."""
    w = choice_world(world)
    w.staff = enrollment_persona(world, "enrollment_staff_lincoln", Role.DEPT_STAFF, schools=[world.lincoln])
    w.drawn = f.ApplicationWindowFactory(district=world.district, school_year=w.placement_year, name="Drawn round")
    w.drawn_lin = f.ChoiceProgramFactory(window=w.drawn, school=world.lincoln, code="D-LIN", name="Drawn Lincoln")
    w.drawn_wash = f.ChoiceProgramFactory(window=w.drawn, school=world.washington, code="D-WAS", name="Drawn Wash")
    w.run = m.LotteryRun.objects.create(
        window=w.drawn, kind="final", seed="1", input_hash="0" * 64, ran_at=timezone.now()
    )
    return w


def applied(window, program, **extra):
    application = f.ApplicationFactory(window=window, student=f.StudentFactory(district=window.district), **extra)
    m.ApplicationChoice.objects.create(application=application, program=program, rank=1)
    return application


def offered(w, program, respond_by, status="pending"):
    application = applied(w.drawn, program)
    return m.Offer.objects.create(
        run=w.run, application=application, program=program, rank=1, status=status, respond_by=respond_by
    )


def enrolled(school, year, **student):
    return f.EnrollmentFactory(
        school=school, school_year=year, student=f.StudentFactory(district=school.district, **student)
    )


def queue(user, key):
    space = workspace.build(user, "enrollment", TODAY)
    assert space is not None
    return next(q for q in space.queues if q.queue.key == key)


def first_cells(user, key):
    return {row["cells"][0] for row in queue(user, key).rows}


def test_applications_to_verify(ew):
    w = ew
    plain_lincoln = applied(w.window, w.lin)
    refused_washington = applied(w.window, w.wash)
    f.ApplicantPriorityFactory(
        application=refused_washington, program=w.wash, kind="zone", granted=False, is_override=True, reason="No proof"
    )
    granted = applied(w.window, w.lin)
    f.ApplicantPriorityFactory(application=granted, program=w.lin, kind="sibling", granted=True)
    applied(w.window, w.lin, status="withdrawn")
    applied(w.drawn, w.drawn_lin)  # its window's lottery has run
    applied(w.other_window, w.other_program)  # another district

    assert first_cells(w.manager, "applications-to-verify") == {plain_lincoln.student, refused_washington.student}
    assert first_cells(w.staff, "applications-to-verify") == {plain_lincoln.student}
    assert queue(w.manager, "applications-to-verify").count == 2


def test_offers_about_to_expire(ew):
    w = ew
    soon = offered(w, w.drawn_lin, TODAY + datetime.timedelta(days=3))
    today = offered(w, w.drawn_lin, TODAY)
    last_day = offered(w, w.drawn_wash, TODAY + datetime.timedelta(days=7))
    offered(w, w.drawn_lin, TODAY + datetime.timedelta(days=8))  # not this week
    offered(w, w.drawn_lin, TODAY - datetime.timedelta(days=1))  # already past
    offered(w, w.drawn_lin, TODAY + datetime.timedelta(days=2), status="accepted")

    shown = queue(w.manager, "offers-expiring")
    assert [row["cells"][0] for row in shown.rows] == [
        today.application.student,
        soon.application.student,
        last_day.application.student,
    ]
    assert first_cells(w.staff, "offers-expiring") == {today.application.student, soon.application.student}


def test_roster_findings(ew, world):
    no_state_id = enrolled(world.lincoln, world.year, state_id=None)
    no_race = enrolled(world.washington, world.year, race_ethnicity="", races="")
    other_grade = enrolled(world.lincoln, world.year, grade_level="05")
    enrolled(world.lincoln, world.year)  # nothing wrong
    left = enrolled(world.lincoln, world.year, state_id=None)
    m.Enrollment.objects.filter(pk=left.pk).update(exit_date=TODAY - datetime.timedelta(days=40), exit_code="T2")
    enrolled(world.other_school, world.other_year, state_id=None)  # another district

    shown = queue(ew.manager, "roster-findings")
    assert {row["cells"][0] for row in shown.rows} == {no_state_id.student, no_race.student, other_grade.student}
    findings = {row["cells"][0]: row["cells"][2] for row in shown.rows}
    assert findings[no_state_id.student] == "no state student id"
    assert findings[no_race.student] == "no race/ethnicity"
    assert findings[other_grade.student] == "the student record says Grade 5, the enrollment Grade 4"
    assert first_cells(ew.staff, "roster-findings") == {no_state_id.student, other_grade.student}


def test_the_page_shows_the_queues_and_actions(ew, world, login):
    application = applied(ew.window, ew.lin)
    offer = offered(ew, ew.drawn_lin, TODAY + datetime.timedelta(days=1))
    html = login(ew.manager).get(reverse("workspace", args=["enrollment"])).content.decode()
    assert reverse("enrollment:application_detail", args=[application.pk]) in html
    assert reverse("enrollment:offer_detail", args=[offer.pk]) in html
    assert "Applications to verify" in html and "Roster findings" in html
    assert reverse("enrollment:roster_sync") in html and reverse("enrollment:choice_windows") in html
    staff_html = login(ew.staff).get(reverse("workspace", args=["enrollment"])).content.decode()
    assert reverse("enrollment:application_detail", args=[application.pk]) in staff_html  # Lincoln's
    assert reverse("enrollment:offer_detail", args=[offer.pk]) in staff_html


def test_who_may_open_it(ew, world, login):
    url = reverse("workspace", args=["enrollment"])
    assert login(ew.manager).get(url).status_code == 200
    for outsider in (world.transport_manager, world.facilities_staff_lincoln, world.stranger, world.nurse_lincoln):
        assert login(outsider).get(url).status_code == 403, outsider
    assert login(ew.manager).get(reverse("workspace", args=["nowhere"])).status_code == 404


def fill(ew, world, n):
    for _ in range(n):
        applied(ew.window, ew.lin)
        offered(ew, ew.drawn_lin, TODAY + datetime.timedelta(days=2))
        enrolled(world.lincoln, world.year, state_id=None)


def test_query_count_does_not_grow_with_the_rows(ew, world, client):
    client.force_login(ew.manager)
    url = reverse("workspace", args=["enrollment"])
    fill(ew, world, 3)
    client.get(url)  # warm the per-process caches (content types, sessions)
    few = count_queries(lambda: client.get(url))
    fill(ew, world, 27)
    many = count_queries(lambda: client.get(url))
    assert few == many
    assert queue(ew.manager, "roster-findings").count == 30
