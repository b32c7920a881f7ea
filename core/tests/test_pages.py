"""The chassis's own pages: sign-in, home per role, language, health, API docs."""

import pytest

pytestmark = pytest.mark.django_db


def test_login_page_lists_demo_logins_only_when_asked(client, settings):
    settings.OPS_SHOW_DEMO_LOGINS = True
    assert "district_admin" in client.get("/login/").content.decode()
    settings.OPS_SHOW_DEMO_LOGINS = False
    assert "district_admin" not in client.get("/login/").content.decode()


def test_login_with_bad_password_is_refused(world, client):
    response = client.post("/login/", {"username": "coo", "password": "wrong"})
    assert response.status_code == 200
    assert response.wsgi_request.user.is_anonymous


def test_home_shows_what_the_role_reaches(world, login):
    admin_page = login(world.district_admin).get("/").content.decode()
    assert "Role assignments" in admin_page and "API tokens" in admin_page
    principal_page = login(world.principal_lincoln).get("/", follow=True).content.decode()  # their school's page
    assert "Schools" in principal_page and "API tokens" not in principal_page
    stranger_page = login(world.stranger).get("/").content.decode()
    assert "no role yet" in stranger_page


def test_anonymous_home_goes_to_login(client):
    assert client.get("/")["Location"].startswith("/login/")


def test_pages_have_landmarks_and_labels(world, login):
    html = login(world.district_admin).get("/district/school/").content.decode()
    for landmark in ('<main id="main"', "<nav", "<header", "<footer", 'class="skip-link"', 'lang="en"'):
        assert landmark in html
    assert '<label for="id_q">' in html


def test_spanish(world, login):
    c = login(world.district_admin)
    c.post("/i18n/setlang/", {"language": "es", "next": "/"})
    html = c.get("/district/school/").content.decode()
    assert 'lang="es"' in html
    assert "Escuelas" in html and "Cerrar sesión" in html


def test_health(world, login):
    client = login(world.district_admin)
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["database"]["ok"] and body["cache"]["ok"] and body["broker"]["ok"]
    assert client.get("/health/", HTTP_ACCEPT="text/html").status_code == 200


def test_api_docs_are_served_without_internet(world, login):
    c = login(world.district_admin)
    schema = c.get("/api/schema/")
    assert schema.status_code == 200 and b"/api/district/schools/" in schema.content
    docs = c.get("/api/docs/").content.decode()
    assert "cdn" not in docs.lower() or "static" in docs
    assert "/static/drf_spectacular_sidecar/" in docs


def test_list_filter_sort_and_htmx_partial(world, login):
    c = login(world.district_admin)
    response = c.get("/district/school/", {"q": "Lincoln", "sort": "-name"})
    assert [r["obj"] for r in response.context["rows"]] == [world.lincoln]
    partial = c.get("/district/school/", {"q": "Washington"}, HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode() and "Washington" in partial.content.decode()


def test_bad_filter_value_shows_no_rows(world, login):
    response = login(world.district_admin).get("/district/school/", {"district": "not-a-number"})
    assert response.status_code == 200 and response.context["rows"] == []


def test_xlsx_export(world, login):
    from io import BytesIO

    from openpyxl import load_workbook

    response = login(world.coo).get("/district/school/?export=xlsx")
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    column = rows[0].index("name")
    names = {row[column] for row in rows[1:]}
    assert names == {"Lincoln Elementary School", "Washington Middle School"}
