"""Response hardening: the Content-Security-Policy, no-store on student data, health, API docs, requirements."""

import re
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.http import HttpResponse
from django.test import RequestFactory

from .factories import WidgetFactory, make_token

pytestmark = pytest.mark.django_db

ROOT = Path(django_settings.BASE_DIR)


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    out = {}
    for part in header.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


def test_every_page_has_a_policy_without_inline_script(world, login, client):
    pages = [client.get("/login/")]
    c = login(world.district_admin)
    pages += [c.get("/"), c.get("/district/school/"), c.get(f"/district/school/{world.lincoln.pk}/"), c.get("/nope/")]
    for response in pages:
        policy = directives(response)
        assert policy["script-src"] == ["'self'"], response.request["PATH_INFO"]
        assert policy["style-src"] == ["'self'"]
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
        assert policy["default-src"] == ["'self'"]


def test_htmx_is_told_not_to_inject_its_indicator_style(world, login):
    html = login(world.coo).get("/district/school/").content.decode()
    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false, "allowEval": false}\'>' in html
    assert ".htmx-indicator" in (ROOT / "static" / "css" / "portal.css").read_text()


TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=|\son[a-z]+=|javascript:|hx-on|js:", re.I)


def test_no_template_carries_inline_script_or_style():
    offenders = []
    for folder in TEMPLATE_DIRS:
        for path in folder.rglob("*.html"):
            text = path.read_text()
            if INLINE_SCRIPT.search(text) or INLINE_STYLE.search(text):
                offenders.append(str(path.relative_to(ROOT)))
    assert len(TEMPLATE_DIRS) > 3
    assert offenders == []


def test_api_docs_have_their_own_policy_and_no_inline_script(world, login):
    c = login(world.coo)
    swagger = c.get("/api/docs/")
    assert swagger.status_code == 200
    html = swagger.content.decode()
    assert not INLINE_SCRIPT.search(html) and "<style" not in html
    assert directives(swagger)["script-src"] == ["'self'"]
    script = c.get("/api/docs/?script=")
    assert script.status_code == 200 and b"SwaggerUIBundle" in script.content
    redoc = c.get("/api/redoc/")
    assert redoc.status_code == 200
    html = redoc.content.decode()
    assert not INLINE_SCRIPT.search(html) and "fonts.googleapis.com" not in html
    policy = directives(redoc)
    assert policy["script-src"] == ["'self'"]
    assert "blob:" in policy["worker-src"]  # Redoc's search runs in a worker


def test_student_level_exports_are_not_stored(world, login):
    WidgetFactory(school=world.lincoln)
    c = login(world.coo)
    for fmt in ("csv", "xlsx"):
        response = c.get(f"/sample/widget/?export={fmt}")
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"], fmt


def test_every_download_is_not_stored():
    from core.middleware import NoStoreMiddleware

    def download(request):
        response = HttpResponse(b"PK", content_type="application/zip")
        response["Content-Disposition"] = 'attachment; filename="roster.zip"'
        return response

    def page(request):
        return HttpResponse("<p>hello</p>")

    request = RequestFactory().get("/enrollment/roster/export/")
    assert "no-store" in NoStoreMiddleware(download)(request)["Cache-Control"]
    assert not NoStoreMiddleware(page)(request).has_header("Cache-Control")


def test_every_api_response_is_not_stored(world, api):
    _, key = make_token(world.sis_integration)
    responses = [
        api(world.coo).get("/api/district/schools/"),
        api(world.coo).get(f"/api/district/schools/{world.lincoln.pk}/"),
        api(world.coo).get("/api/district/schools/999999/"),
        api().get("/api/district/schools/"),
        api(world.coo).get("/api/schema/"),
    ]
    token_client = api()
    token_client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    responses.append(token_client.get("/api/district/schools/"))
    assert [r.status_code for r in responses] == [200, 200, 404, 401, 200, 200]
    for response in responses:
        assert "no-store" in response["Cache-Control"]


def test_health_tells_anonymous_callers_the_status_only(world, client, login, settings):
    body = client.get("/health/").json()
    assert body == {"status": "ok"}
    html = client.get("/health/", HTTP_ACCEPT="text/html").content.decode()
    assert "ok" in html and "Database" not in html and "sqlite" not in html
    # Staff signed in see the parts.
    body = login(world.district_admin).get("/health/").json()
    assert body["status"] == "ok" and body["database"]["ok"] and body["cache"]["ok"] and body["broker"]["ok"]
    assert "Database" in login(world.coo).get("/health/", HTTP_ACCEPT="text/html").content.decode()
    # An account with no role is not staff.
    assert login(world.stranger).get("/health/").json() == {"status": "ok"}
    # A deployment may show the parts to everyone (for example to a monitoring system).
    client.logout()
    settings.OPS_HEALTH_DETAILS = True
    assert client.get("/health/").json()["database"]["ok"]


def test_api_docs_need_a_signed_in_user_unless_the_setting_opens_them(world, client, settings):
    assert client.get("/api/schema/").status_code == 401
    docs = client.get("/api/docs/")
    assert docs.status_code == 302 and docs["Location"].startswith("/login/")
    assert client.get("/api/redoc/").status_code == 302
    _, key = make_token(world.sis_integration)
    assert client.get("/api/schema/", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    settings.OPS_API_DOCS_PUBLIC = True
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200
    assert client.get("/api/redoc/").status_code == 200
    # Opening the description opens nothing else.
    assert client.get("/api/district/schools/").status_code == 401


# Runtime requirements named nowhere in the source because something else loads them.
LOADED_ELSEWHERE = {
    "gunicorn": "the web server that runs the project",
    "psycopg2-binary": "Django's PostgreSQL driver, chosen by DATABASE_URL",
    "redis": "Django's Redis cache and Celery's broker, chosen by REDIS_URL",
    "uharfbuzz": "fpdf2's text shaping (Arabic in the board packet), loaded by fpdf2",
}


def test_every_runtime_requirement_is_used():
    tops = [p for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name != "staticfiles"]
    files = [ROOT / "manage.py", *(f for top in tops for f in top.rglob("*.py"))]
    source = "\n".join(f.read_text() for f in files if "migrations" not in f.parts and "tests" not in f.parts)
    modules_of: dict[str, set[str]] = {}
    for module, dists in packages_distributions().items():
        for dist in dists:
            modules_of.setdefault(dist.lower().replace("_", "-"), set()).add(module)
    unused = []
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        name = line.split("#")[0].split("==")[0].strip().lower()
        if not name or name in LOADED_ELSEWHERE:
            continue
        modules = modules_of.get(name, set())
        if not any(re.search(rf"(?<![\w.]){re.escape(m)}\b", source) for m in modules):
            unused.append(name)
    assert unused == []


def test_drf_html_view_allows_inline_style_but_never_script(world, login):
    response = login(world.coo).get("/api/district/schools/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200 and b"<html" in response.content
    policy = directives(response)
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["script-src"] == ["'self'"]
