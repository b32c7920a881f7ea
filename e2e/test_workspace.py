"""In a real browser: a department manager lands on the workspace; under 768 px the navigation folds
behind a menu button that works with the keyboard, and wide tables scroll inside their box, not the page."""

import pytest

from core.choices import Role
from district.choices import DepartmentCode
from district.tests.factories import RoleAssignmentFactory, UserFactory
from enrollment.tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SERIOUS = {"serious", "critical"}


def axe_violations(page):
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [v for v in results.response["violations"] if v.get("impact") in SERIOUS]


PHONE = {"width": 375, "height": 740}
JUST_UNDER = {"width": 767, "height": 900}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def manager(world):
    user = UserFactory(username="enrollment_manager")
    RoleAssignmentFactory(
        user=user, role=Role.DEPT_MANAGER, district=world.district, department=world.dept[DepartmentCode.ENROLLMENT]
    )
    for i in range(3):  # current students whose records need fixing, with long names that make tables wide
        f.EnrollmentFactory(
            school=world.lincoln,
            school_year=world.year,
            student=f.StudentFactory(
                district=world.district,
                state_id=None,
                legal_first_name=f"Maximiliana-Alexandrina{i}",
                legal_last_name="Montgomery-Vasquez-Oyelaran-Nakamura",
            ),
        )
    return user


def overflows(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


def nav_shown(page) -> bool:
    return page.locator("#site-nav").is_visible()


def test_the_workspace_on_a_desktop_and_a_phone(manager, page, sign_in, live_server):
    url = live_server.url
    page.set_viewport_size(DESKTOP)
    sign_in(manager)
    assert page.url == f"{url}/workspace/enrollment/"
    assert page.get_by_role("heading", name="Roster findings (3)").is_visible()
    assert nav_shown(page)
    assert not page.locator(".nav-toggle").is_visible()
    assert axe_violations(page) == []

    for size in (JUST_UNDER, PHONE):
        page.set_viewport_size(size)
        page.goto(f"{url}/workspace/enrollment/")
        button = page.get_by_role("button", name="Menu")
        assert button.is_visible(), size
        assert button.get_attribute("aria-expanded") == "false"
        assert button.get_attribute("aria-controls") == "site-nav"
        assert not nav_shown(page)
        assert not overflows(page), size

    # The keyboard alone: Tab to the menu button (after the skip link), open, Escape, open with Space.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('nav-toggle')")
    page.keyboard.press("Enter")
    assert button.get_attribute("aria-expanded") == "true"
    assert nav_shown(page)
    assert page.evaluate("document.activeElement.closest('#site-nav') !== null")  # focus moved into the menu
    enrollment = page.get_by_role("list", name=str(DepartmentCode.ENROLLMENT.label))
    assert enrollment.get_by_role("link", name="Workspace").is_visible()
    page.keyboard.press("Escape")
    assert button.get_attribute("aria-expanded") == "false" and not nav_shown(page)
    assert page.evaluate("document.activeElement.classList.contains('nav-toggle')")
    page.keyboard.press(" ")
    assert button.get_attribute("aria-expanded") == "true" and nav_shown(page)
    assert not overflows(page)
    assert axe_violations(page) == []

    # A wide record table scrolls inside its box; the page itself does not scroll sideways.
    page.goto(f"{url}/enrollment/student/")
    wrap = page.locator(".table-wrap").first
    assert wrap.evaluate("el => el.scrollWidth > el.clientWidth")
    assert not overflows(page)

    # Back to a desktop: the navigation is shown again and the button hidden.
    page.set_viewport_size(DESKTOP)
    from playwright.sync_api import expect

    expect(page.locator(".nav-toggle")).to_be_hidden()
    expect(page.locator("#site-nav")).to_be_visible()
