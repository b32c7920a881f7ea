"""Department managers read their own department's KPIs: each snapshot row names its KPI's department."""

import pytest
from django.urls import reverse
from django.utils import timezone

from core.choices import Action, Role
from dashboard import registry, services
from dashboard.choices import Direction, Priority, Unit
from dashboard.models import KpiSnapshot
from district.choices import DepartmentCode
from district.tests.factories import RoleAssignmentFactory, UserFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def count_kpi(key, department, name, value):
    def compute(ctx):
        return registry.KpiResult(
            district=registry.Figure(value),
            schools={school.pk: registry.Figure(value) for school in ctx.district.schools.all()},
        )

    return registry.Kpi(
        key=key,
        name=name,
        department=department,
        priority=Priority.values[0],
        unit=Unit.COUNT,
        direction=Direction.HIGHER,
        definition="A count.",
        formula="n",
        source="test",
        version=1,
        compute=compute,
        suppress=False,
    )


@pytest.fixture
def department_kpis(world):
    kpis = [
        count_kpi("test_buses_on_time", DepartmentCode.TRANSPORTATION, "Buses on time (test)", 41),
        count_kpi("test_meals_served", DepartmentCode.NUTRITION, "Meals served (test)", 97),
    ]
    for kpi in kpis:
        registry.register(kpi)
    services.kpi_snapshots_compute(district=world.district, as_of=TODAY, keys=[k.key for k in kpis])
    yield kpis
    for kpi in kpis:
        registry.unregister(kpi.key)


def manager(world, code, username):
    user = UserFactory(username=username)
    RoleAssignmentFactory(user=user, role=Role.DEPT_MANAGER, district=world.district, department=world.dept[code])
    return user


def keys(user, **lookup):
    return set(KpiSnapshot.objects.restrict(user, Action.VIEW).filter(**lookup).values_list("kpi_key", flat=True))


def test_the_snapshot_service_stamps_each_row_with_its_kpi_s_department(world, department_kpis):
    stamped = dict(KpiSnapshot.objects.values_list("kpi_key", "department").distinct())
    assert stamped == {"test_buses_on_time": "transportation", "test_meals_served": "nutrition"}


def test_a_manager_reads_the_kpis_of_their_own_department_only(world, department_kpis):
    assert keys(world.transport_manager) == {"test_buses_on_time"}
    nutrition = manager(world, DepartmentCode.NUTRITION, "nutrition_manager")
    assert keys(nutrition) == {"test_meals_served"}
    # Every school's row as well as the district's, and nothing of another district.
    schools = set(KpiSnapshot.objects.restrict(world.transport_manager).values_list("school", flat=True))
    assert schools == {None, world.lincoln.pk, world.washington.pk}
    assert keys(world.transport_manager, district=world.other_district) == set()
    # Executives read every department's.
    assert keys(world.coo) == {"test_buses_on_time", "test_meals_served"}


def test_staff_and_departments_with_no_kpis_read_none(world, department_kpis):
    assert keys(world.transport_staff_lincoln) == set()
    assert keys(world.facilities_manager) == set()
    assert keys(world.stranger) == set()


def test_the_dashboard_and_the_api_show_a_manager_their_department_s_tiles(world, login, api, department_kpis):
    response = login(world.transport_manager).get(reverse("dashboard:overview"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Buses on time (test)" in html
    assert "Meals served (test)" not in html
    rows = api(world.transport_manager).get(reverse("dashboard-api:kpisnapshot-list")).json()["results"]
    assert rows and {row["kpi_key"] for row in rows} == {"test_buses_on_time"}
    assert {row["value"] for row in rows} == {41}
    assert login(world.facilities_manager).get(reverse("dashboard:overview")).status_code == 403
    client = login(world.transport_manager)
    assert client.get(reverse("dashboard:kpi", args=["test_buses_on_time"])).status_code == 200
    assert client.get(reverse("dashboard:kpi", args=["test_meals_served"])).status_code == 403
