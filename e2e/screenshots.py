"""``make screenshots``: PNG pictures of the main pages for each persona, into ``docs/screenshots/``.

For each kind of persona (one demo login each), on a desktop (1280 px wide) and
a phone (390 px wide): the page the login lands on, a list, a record, a form
showing its errors, the student page and the dashboard, where the login may
see them. Files are named ``<login>-<page>-<desktop|phone>.png``; each is
reduced to a small palette (Pillow) to keep the folder small. Not part of
``make test``; the README shows a few of them.
"""

import io
import re
from pathlib import Path

import pytest
from django.conf import settings

from . import sweep

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OUT = Path(settings.BASE_DIR) / "docs" / "screenshots"
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
COLOURS = 48  # the pages use a handful of colours; 48 keep the text's edges smooth


def save(png: bytes, path: Path) -> int:
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    small = image.quantize(colors=COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(path, format="PNG", optimize=True)
    return path.stat().st_size


def main_pages(user) -> list[tuple[str, str, str | None]]:
    """(name, path, action) of the main pages ``user`` may see; the action "send-empty" sends a form empty."""
    from django.db.models import Count

    from enrollment.models import Student

    found = {p.name: p for p in sweep.pages_for(user).pages if p.status == 200}
    pages = [("landing", "/", None)]
    lists = [n for n in ("enrollment:student_list", "district:school_list") if n in found]
    if lists:
        pages.append(("list", found[lists[0]].url, None))
    if "district:school_detail" in found:
        pages.append(("record", found["district:school_detail"].url, None))
    forms = [n for n in ("enrollment:student_add", "district:school_add") if n in found]
    if forms:
        pages.append(("form-with-errors", found[forms[0]].url, "send-empty"))
    student = (
        Student.objects.restrict(user)
        .filter(household__isnull=False)
        .annotate(n=Count("enrollments"))
        .order_by("-n", "pk")
        .first()
    )
    if student is not None and "enrollment:student_detail" in found:
        pages.append(("student", f"/enrollment/student/{student.pk}/", None))
    if "dashboard:overview" in found:
        pages.append(("dashboard", found["dashboard:overview"].url, None))
    return pages


def test_screenshots_of_the_main_pages_for_each_persona(browser, live_server):
    timer = sweep.Timer()
    sweep.seed_demo()
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.png"):
        old.unlink()
    written, total = [], 0
    for user in sweep.demo_users().values():
        if user is None:
            continue
        login = re.sub(r"[^a-z0-9]+", "-", user.username.lower())
        pages = main_pages(user)
        for size, viewport in SIZES.items():
            context = browser.new_context(locale="en-US", viewport=viewport)
            sweep.sign_in_as(context, live_server.url, user)
            page = sweep.new_page(context)
            landed = None
            for name, path, action in pages:
                if name == "dashboard" and landed == path:
                    continue  # the login lands on the dashboard: its picture is the landing one
                response = page.goto(live_server.url + path)
                if name == "landing":
                    landed = page.url.removeprefix(live_server.url)
                assert response.status == 200, (login, path, response.status)
                if action == "send-empty":
                    with page.expect_navigation():
                        page.get_by_role("button", name="Save").click()
                    assert page.locator(".error-summary").count() == 1
                file = OUT / f"{login}-{name}-{size}.png"
                total += save(page.screenshot(), file)
                written.append(file)
                if size == "phone" and name == "landing" and page.locator(".nav-toggle").is_visible():
                    page.get_by_role("button", name="Menu").click()
                    file = OUT / f"{login}-menu-phone.png"
                    total += save(page.screenshot(), file)
                    written.append(file)
            assert page.csp_violations == []
            context.close()
    sweep.report(
        f"screenshots: {len(written)} PNGs ({total / 1024 / 1024:.2f} MiB) in {OUT.relative_to(settings.BASE_DIR)} "
        f"in {timer.seconds:.0f} s"
    )
    assert written and total < 3 * 1024 * 1024
