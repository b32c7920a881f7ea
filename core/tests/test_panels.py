"""The student-page panel registry: a panel is shown only to viewers who may read what it declares."""

import pytest

from core import panels
from core.choices import DataClass
from core.models import AuditEntry
from enrollment import models as m
from enrollment.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def register():
    """``register(panel)`` for the length of one test."""
    added = []

    def _register(panel):
        added.append(panel.key)
        return panels.register(panel)

    yield _register
    for key in added:
        panels.unregister(key)


def panel(key, build, reads, **extra):
    return panels.Panel(
        key=key,
        department=extra.pop("department", "testing"),
        section=extra.pop("section", "Testing"),
        title=key,
        build=build,
        reads=reads,
        **extra,
    )


def student_at(world, school):
    return f.EnrollmentFactory(
        school=school, school_year=world.year, student=f.StudentFactory(district=school.district)
    ).student


def shown(user, student):
    return {p.panel.key: p for s in panels.sections_for(user, student) for p in s.panels}


def test_a_panel_is_built_only_for_viewers_who_may_view_every_model_it_reads(world, register):
    built = []
    register(panel("audit-trail", lambda ctx: built.append(ctx.user) or {"tables": []}, (AuditEntry, m.Student)))
    student = student_at(world, world.lincoln)
    assert "audit-trail" in shown(world.coo, student)  # executives read the audit log and students
    assert "audit-trail" not in shown(world.transport_staff_lincoln, student)  # reads students, not the log
    assert built == [world.coo]  # never built for a viewer who may not see it


def test_a_panel_about_a_data_class_is_shown_only_to_its_program_role(world, register):
    register(panel("meal-application", lambda ctx: {}, (m.ProgramParticipation,), data_class=DataClass.MEALS))
    student = student_at(world, world.lincoln)
    assert "meal-application" in shown(world.nutrition_director, student)
    for user in (world.coo, world.principal_lincoln, world.nurse_lincoln, world.transport_staff_lincoln):
        assert "meal-application" not in shown(user, student)


def test_a_department_with_nothing_on_the_student_shows_no_panel(world, register):
    register(panel("teams", lambda ctx: None, (m.Student,), department="athletics", section="Athletics", order=1))
    sections = panels.sections_for(world.coo, student_at(world, world.lincoln))
    assert "athletics" not in {s.department for s in sections}


def test_panels_are_grouped_by_department_in_the_order_of_their_first_panel(world, register):
    register(panel("b-second", lambda ctx: {}, (m.Student,), department="b", order=-5))
    register(panel("a-first", lambda ctx: {}, (m.Student,), department="a", order=-10))
    register(panel("b-first", lambda ctx: {}, (m.Student,), department="b", order=-20))
    sections = panels.sections_for(world.coo, student_at(world, world.lincoln))
    order = [(s.department, [p.panel.key for p in s.panels]) for s in sections][:2]
    assert order == [("b", ["b-first", "b-second"]), ("a", ["a-first"])]
    assert sections[0].html_id == "department-b" and sections[0].panels[0].html_id == "panel-b-first"


def test_a_panel_reads_only_what_it_declared_and_only_through_the_policy(world, register):
    lincoln, washington = student_at(world, world.lincoln), student_at(world, world.washington)

    def reads_students(ctx):
        return {"ids": set(ctx.rows(m.Student).values_list("pk", flat=True))}

    register(panel("students", reads_students, (m.Student,)))
    ids = shown(world.principal_lincoln, lincoln)["students"].data["ids"]
    assert lincoln.pk in ids and washington.pk not in ids

    register(panel("sneaky", lambda ctx: {"n": ctx.rows(m.Guardian).count()}, (m.Student,)))
    with pytest.raises(ValueError, match="without declaring"):
        panels.sections_for(world.coo, lincoln)


def test_columns_leave_out_fields_the_viewer_may_not_see(world, register):
    student = student_at(world, world.lincoln)
    spell = f.MealParticipationFactory(student=student)

    def table(ctx):
        return {"table": ctx.table(m.ProgramParticipation, ["program", "meal_status"], [spell], "Spells")}

    register(panel("spells", table, (m.ProgramParticipation,)))
    director = shown(world.nutrition_director, student)["spells"].data["table"]
    assert [c.name for c in director["columns"]] == ["program", "meal_status"]
    assert director["rows"][0]["cells"] == ["School meal eligibility", "Free"]  # labels, not codes
    coo = shown(world.coo, student)["spells"].data["table"]
    assert [c.name for c in coo["columns"]] == ["program"]
    assert coo["rows"][0]["cells"] == ["School meal eligibility"]


@pytest.mark.parametrize(
    ("key", "reads", "message"),
    [
        ("no-reads", (), "must declare the models it reads"),
        ("bad key!", (m.Student,), "letters, digits and hyphens"),
        ("enrollment-history", (m.Student,), "Another panel is registered"),
    ],
)
def test_a_panel_must_say_what_it_reads_under_a_key_of_its_own(key, reads, message):
    with pytest.raises(ValueError, match=message):
        panels.register(panel(key, lambda ctx: {}, reads))
    assert "enrollment-history" in {p.key for p in panels.registered()}
