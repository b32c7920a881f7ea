"""Shared fixtures: a small world of two districts and personas named by role and school.

Personas: ``district_admin``, ``coo``, ``transport_manager``,
``transport_staff_lincoln``, ``facilities_manager``, ``facilities_staff_lincoln``,
``principal_lincoln``, ``principal_washington``, ``nutrition_director`` (meal
program), ``nurse_lincoln``, ``state_analyst``, ``other_admin`` (administrator
of another district), ``sis_integration`` (integration account) and
``stranger`` (signed in, no role).

Tests that need a service are marked (``postgres``, ``redis``,
``celery_worker``, ``browser``) and skip with the reason when it is absent;
with ``OPS_REQUIRE_SERVICES=1`` (as in CI) such a skip is a failure instead.
"""

import os
import shutil
from types import SimpleNamespace

import pytest

from core.choices import Role
from district.choices import DepartmentCode

REQUIRE_SERVICES = os.environ.get("OPS_REQUIRE_SERVICES") == "1"


def _service_missing(marker_name: str) -> str | None:
    from django.conf import settings
    from django.db import connection

    if marker_name == "postgres" and connection.vendor != "postgresql":
        return "needs PostgreSQL: set DATABASE_URL=postgres://..."
    if marker_name == "redis" and not settings.REDIS_URL:
        return "needs Redis: set REDIS_URL=redis://..."
    if marker_name == "celery_worker" and (not settings.REDIS_URL or connection.vendor != "postgresql"):
        return "needs a Celery worker on Redis and PostgreSQL: set REDIS_URL and DATABASE_URL"
    if marker_name == "browser":
        if not (shutil.which("chromium") or os.environ.get("CHROMIUM_PATH")):
            return "needs Debian's chromium (apt-get install chromium)"
        try:
            import playwright  # noqa: F401
        except ImportError:
            return "needs the playwright package"
    return None


def pytest_runtest_setup(item):
    for name in ("postgres", "redis", "celery_worker", "browser"):
        if item.get_closest_marker(name):
            reason = _service_missing(name)
            if reason:
                if REQUIRE_SERVICES:
                    pytest.fail(f"OPS_REQUIRE_SERVICES=1 but this test {reason}")
                pytest.skip(reason)


def pytest_collection_modifyitems(config, items):
    """Contract tests that do not apply to a model are not collected for it."""
    from core.testing.contracts import contract_applies

    keep, drop = [], []
    for item in items:
        cls = getattr(item, "cls", None)
        fn = getattr(item, "function", None)
        (keep if cls is None or fn is None or contract_applies(cls, fn) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_terminal_summary(terminalreporter):
    """Each security sweep that ran: its counts and its time (``core.testing.sweeps.report``)."""
    import sys

    sweeps = sys.modules.get("core.testing.sweeps")
    if sweeps is None or not sweeps.RESULTS:
        return
    terminalreporter.section("security sweeps")
    for result in sweeps.RESULTS:
        terminalreporter.write_line(result["line"])
    total = sum(result["seconds"] for result in sweeps.RESULTS)
    terminalreporter.write_line(f"together: {total:.1f} s")


@pytest.fixture(autouse=True)
def _clean_cache():
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _default_language_and_time_zone():
    """Each test starts and ends in the default language and the server's time zone.

    ``LocaleMiddleware`` leaves a request's language active in the thread, and
    a test may activate a language or zone by hand; neither may reach the next
    test, whatever order the tests run in.
    """
    from django.utils import timezone, translation

    translation.deactivate()
    timezone.deactivate()
    yield
    translation.deactivate()
    timezone.deactivate()


@pytest.fixture
def world(db):
    """Two districts, four schools, the departments, and every persona."""
    from district.tests.factories import (
        DepartmentFactory,
        DistrictFactory,
        RoleAssignmentFactory,
        SchoolFactory,
        SchoolYearFactory,
        UserFactory,
    )

    w = SimpleNamespace()
    w.district = DistrictFactory(name="Capitol City Public Schools", state_lea_id="640", nces_id="0900001")
    w.other_district = DistrictFactory(name="Riverside Public Schools", state_lea_id="641", nces_id="0900002")
    w.lincoln = SchoolFactory(district=w.district, name="Lincoln Elementary School", state_school_id="6400011")
    w.washington = SchoolFactory(district=w.district, name="Washington Middle School", state_school_id="6400012")
    w.other_school = SchoolFactory(district=w.other_district, name="River Elementary School", state_school_id="6410011")
    w.year = SchoolYearFactory(district=w.district, end_year=2027)
    w.other_year = SchoolYearFactory(district=w.other_district, end_year=2027)
    w.dept = {code: DepartmentFactory(district=w.district, code=code) for code in DepartmentCode}
    w.other_dept = {code: DepartmentFactory(district=w.other_district, code=code) for code in DepartmentCode}

    def persona(username, role, district=w.district, department=None, schools=(), **user_extra):
        user = UserFactory(username=username, **user_extra)
        RoleAssignmentFactory(
            user=user,
            role=role,
            district=district,
            department=w.dept[department] if department else None,
            schools=list(schools),
        )
        setattr(w, username, user)
        return user

    persona("district_admin", Role.DISTRICT_ADMIN)
    persona("coo", Role.EXECUTIVE)
    persona("transport_manager", Role.DEPT_MANAGER, department=DepartmentCode.TRANSPORTATION)
    persona("transport_staff_lincoln", Role.DEPT_STAFF, department=DepartmentCode.TRANSPORTATION, schools=[w.lincoln])
    persona("facilities_manager", Role.DEPT_MANAGER, department=DepartmentCode.FACILITIES)
    persona("facilities_staff_lincoln", Role.DEPT_STAFF, department=DepartmentCode.FACILITIES, schools=[w.lincoln])
    persona("principal_lincoln", Role.PRINCIPAL, schools=[w.lincoln])
    persona("principal_washington", Role.PRINCIPAL, schools=[w.washington])
    persona("nutrition_director", Role.MEAL_PROGRAM)
    persona("nurse_lincoln", Role.NURSE, schools=[w.lincoln])
    persona("state_analyst", Role.STATE, district=None)
    persona("other_admin", Role.DISTRICT_ADMIN, district=w.other_district)
    persona("sis_integration", Role.INTEGRATION, department=DepartmentCode.ENROLLMENT, is_integration=True)
    w.stranger = UserFactory(username="stranger")
    return w


@pytest.fixture
def sweep_world(world):
    """The world, with the personas the sweeps add: enrollment and reporting managers, enrollment staff at
    Lincoln, and student services (IDEA and 504)."""
    from district.tests.factories import RoleAssignmentFactory, UserFactory

    def persona(username, role, department=None, schools=()):
        if hasattr(world, username):
            return
        user = UserFactory(username=username)
        RoleAssignmentFactory(
            user=user,
            role=role,
            district=world.district,
            department=world.dept[department] if department else None,
            schools=list(schools),
        )
        setattr(world, username, user)

    persona("enrollment_manager", Role.DEPT_MANAGER, department=DepartmentCode.ENROLLMENT)
    persona("enrollment_staff_lincoln", Role.DEPT_STAFF, department=DepartmentCode.ENROLLMENT, schools=[world.lincoln])
    persona("reporting_manager", Role.DEPT_MANAGER, department=DepartmentCode.REPORTING)
    persona("student_services", Role.STUDENT_SERVICES)
    return world


def _persona_fixture(name):
    @pytest.fixture(name=name)
    def _fixture(world):
        return getattr(world, name)

    return _fixture


for _name in (
    "district_admin",
    "coo",
    "transport_manager",
    "transport_staff_lincoln",
    "facilities_manager",
    "facilities_staff_lincoln",
    "principal_lincoln",
    "principal_washington",
    "nutrition_director",
    "nurse_lincoln",
    "state_analyst",
    "other_admin",
    "sis_integration",
    "stranger",
):
    globals()[_name] = _persona_fixture(_name)


@pytest.fixture
def login(client):
    """``login(user)`` signs the test client in as that persona."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def api(db):
    """``api(user)`` returns a DRF client authenticated as that persona."""
    from rest_framework.test import APIClient

    def _api(user=None):
        c = APIClient()
        if user is not None:
            c.force_authenticate(user)
        return c

    return _api
