"""The access policy's rules, read as the district's definition."""

import pytest

from core import policy
from core.choices import Action, DataClass
from core.models import AuditEntry
from core.tests.sample.models import Widget
from district.models import School

from .factories import WidgetFactory

pytestmark = pytest.mark.django_db


def test_anonymous_has_no_scope(world):
    from django.contrib.auth.models import AnonymousUser

    assert School.objects.restrict(AnonymousUser()).count() == 0
    assert not policy.can(AnonymousUser(), School, Action.VIEW)


def test_reference_data_read_by_district_written_by_admin(world):
    assert set(School.objects.restrict(world.principal_lincoln)) == {world.lincoln, world.washington}
    assert not policy.can(world.principal_lincoln, School, Action.CHANGE)
    assert policy.can(world.district_admin, School, Action.CHANGE)
    assert world.other_school not in School.objects.restrict(world.district_admin, Action.CHANGE)


def test_state_role_spans_districts(world):
    assert School.objects.restrict(world.state_analyst).count() == 3
    assert not policy.can(world.state_analyst, School, Action.CHANGE)


def test_department_records_by_role(world):
    at_lincoln, at_washington = WidgetFactory(school=world.lincoln), WidgetFactory(school=world.washington)
    other = WidgetFactory(school=world.other_school)
    assert set(Widget.objects.restrict(world.facilities_manager, Action.CHANGE)) == {at_lincoln, at_washington}
    assert set(Widget.objects.restrict(world.facilities_staff_lincoln, Action.CHANGE)) == {at_lincoln}
    assert set(Widget.objects.restrict(world.coo)) == {at_lincoln, at_washington}
    assert not Widget.objects.restrict(world.coo, Action.CHANGE).exists()
    assert set(Widget.objects.restrict(world.principal_washington)) == {at_washington}
    assert not Widget.objects.restrict(world.transport_manager).exists()
    assert set(Widget.objects.restrict(world.state_analyst)) == {at_lincoln, at_washington, other}


def test_sensitive_classes_only_for_program_roles(world):
    assert policy.hidden_fields(world.coo, Widget) == {"meal_status"}
    assert policy.hidden_fields(world.district_admin, Widget) == {"meal_status"}
    assert policy.hidden_fields(world.nutrition_director, Widget) == set()
    assert policy.hidden_fields(world.nurse_lincoln, Widget) == {"meal_status"}
    assert policy.scope_for(world.nurse_lincoln).sees(DataClass.HEALTH)


def test_audit_is_read_by_admin_and_executive_of_the_district(world):
    from .factories import make_audit

    mine, theirs = make_audit(world.district.pk), make_audit(world.other_district.pk)
    assert set(AuditEntry.objects.restrict(world.coo)) == {mine}
    assert set(AuditEntry.objects.restrict(world.other_admin)) == {theirs}
    assert not AuditEntry.objects.restrict(world.principal_lincoln).exists()
    assert not policy.can(world.district_admin, AuditEntry, Action.CHANGE)


def test_scope_is_loaded_once_per_request(world, django_assert_max_num_queries):
    user = type(world.coo).objects.get(pk=world.coo.pk)
    with django_assert_max_num_queries(2):
        policy.scope_for(user)
    with django_assert_max_num_queries(0):
        policy.scope_for(user)
        policy.can(user, School, Action.VIEW)


def test_assignment_rules():
    assert "district" in policy.assignment_problems("executive", None, None, [])
    assert "department" in policy.assignment_problems("dept_manager", 1, None, [])
    assert "department" in policy.assignment_problems("principal", 1, "facilities", [1])
    assert "schools" in policy.assignment_problems("principal", 1, None, [])
    assert policy.assignment_problems("state", None, None, []) == {}


def test_model_without_rule_is_refused():
    with pytest.raises(TypeError):
        policy.rule_for(int)
