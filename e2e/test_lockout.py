"""In a real browser: repeated wrong passwords lock the account from that address; an administrator sees it."""

import pytest

from district.tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_lockout_on_the_sign_in_page_and_in_the_admin_site(world, page, sign_in, live_server, settings):
    settings.AXES_FAILURE_LIMIT = 3
    url = live_server.url

    page.goto(f"{url}/login/")
    for _ in range(3):
        page.get_by_label("Username").fill("coo")
        page.get_by_label("Password").fill("not-the-password")
        page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    assert "Too many failed sign-in attempts. Try again in 15 minutes." in alert.inner_text()

    # The right password is refused too while the lockout lasts.
    page.get_by_label("Username").fill("coo")
    page.get_by_label("Password").fill("pass-for-tests-1")
    with page.expect_response(f"{url}/login/") as answer:
        page.get_by_role("button", name="Sign in").click()
    assert answer.value.status == 429
    assert page.get_by_role("alert").is_visible()
    assert page.url.endswith("/login/")

    # An administrator finds the lockout in the admin site.
    sign_in(UserFactory(username="operator", is_superuser=True, is_staff=True))
    page.goto(f"{url}/admin/axes/accessattempt/")
    rows = page.inner_text("#result_list")
    assert "coo" in rows and "127.0.0.1" in rows
