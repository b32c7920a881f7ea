"""In a real browser: edit a school, see the change and its audit entry; others are refused.

School records are district reference data, which the access policy lets
district administrators write: a department manager and a principal of
another school can open the school but are refused its edit page.
"""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SERIOUS = {"serious", "critical"}


def axe_violations(page):
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [v for v in results.response["violations"] if v.get("impact") in SERIOUS]


def test_edit_school_see_change_and_audit_then_refusals(world, page, sign_in, live_server):
    url = live_server.url
    school = world.lincoln

    # A department manager opens the school: readable, not editable.
    sign_in(world.transport_manager)
    page.get_by_role("link", name="Schools").first.click()
    page.get_by_role("link", name="Lincoln Elementary School").click()
    assert page.get_by_role("heading", name="Lincoln Elementary School").is_visible()
    assert page.get_by_role("link", name="Edit").count() == 0
    response = page.goto(f"{url}/district/school/{school.pk}/edit/")
    assert response.status == 403

    # The district administrator edits it, then sees the change and the audit entry.
    sign_in(world.district_admin)
    page.goto(f"{url}/district/school/{school.pk}/")
    assert not axe_violations(page)
    page.get_by_role("link", name="Edit").click()
    assert not axe_violations(page)
    page.get_by_label("Name").fill("Lincoln Dual Language Academy")
    page.get_by_label("City").fill("Hartford")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{url}/district/school/{school.pk}/")
    assert page.get_by_role("heading", name="Lincoln Dual Language Academy").is_visible()
    history = page.get_by_role("region", name="History")
    assert "Lincoln Elementary School → Lincoln Dual Language Academy" in history.inner_text()
    assert "district_admin" in history.inner_text()

    # Bad input: a field-level error, nothing saved.
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("ZIP code").fill("12")
    page.get_by_role("button", name="Save").click()
    assert page.locator(".field-error").first.is_visible()
    school.refresh_from_db()
    assert school.zip_code == ""

    # A principal of another school is refused the edit page.
    sign_in(world.principal_washington)
    response = page.goto(f"{url}/district/school/{school.pk}/edit/")
    assert response.status == 403
    assert page.get_by_role("heading", name="Not allowed").is_visible()


def test_login_and_list_pages_are_accessible_and_keyboard_usable(world, page, sign_in, live_server):
    page.goto(f"{live_server.url}/login/")
    assert not axe_violations(page)
    assert page.evaluate("document.activeElement.id") == "id_username"  # focus starts in the form
    sign_in(world.coo)
    page.goto(f"{live_server.url}/district/school/")
    assert not axe_violations(page)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.get_by_label("Search").fill("Washington")
    page.get_by_label("Search").press("Enter")
    page.wait_for_function("() => !document.body.innerText.includes('Lincoln Elementary School')")
    assert page.get_by_role("link", name="Washington Middle School").is_visible()


def test_spanish_pages(world, page, sign_in, live_server):
    sign_in(world.coo)
    page.get_by_label("Language").select_option("es")
    page.get_by_role("button", name="Switch").click()
    page.wait_for_selector("html[lang=es]")
    assert page.get_by_role("button", name="Cerrar sesión").is_visible()
