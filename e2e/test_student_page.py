"""In a real browser: the student page under the Content-Security-Policy, with axe, on a desktop and a phone."""

import pytest

from enrollment.roster import testing
from enrollment.tests.test_student_page import page_url, whole_student

from .test_schools import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_student_page_reads_whole_in_a_browser(world, page, sign_in, live_server):
    student = whole_student(world, 3)
    manager = testing.enrollment_manager(world)
    manager.set_password("pass-for-tests-1")
    manager.save()
    sign_in(manager)
    page.goto(live_server.url + page_url(student))
    assert not axe_violations(page)  # (the page fixture fails the test on any blocked script or style)
    for name in ("Current enrollment", "Student", "Address", "Enrollment and School Choice", "Enrollment history"):
        assert page.get_by_role("region", name=name, exact=True).is_visible()
    guardians = page.get_by_role("table", name="Guardians and how to reach them")
    assert guardians.get_by_role("row").count() == 4  # a header and three guardians
    # On a phone, a wide table scrolls inside its container, not the page.
    page.set_viewport_size({"width": 375, "height": 800})
    history = page.get_by_role("region", name="Enrollment history", exact=True)
    wrap = history.locator(".table-wrap")
    assert wrap.evaluate("el => el.scrollWidth > el.clientWidth")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
