import os
import shutil

import pytest


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (no browser download)."""
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs its own loop
    from playwright.sync_api import sync_playwright

    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=path,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh page; the test fails if the Content-Security-Policy blocked anything on it."""
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.csp_violations = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and page.csp_violations.append(message.text),
    )
    yield page
    context.close()
    assert page.csp_violations == []


@pytest.fixture
def sign_in(page, live_server):
    def _sign_in(user, password="pass-for-tests-1"):
        page.context.clear_cookies()
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        # Each role lands on its own page ("/" sends it there): wait until the sign-in page is left.
        page.wait_for_url(lambda url: url.startswith(live_server.url) and "/login/" not in url)
        page.wait_for_load_state()
        return page

    return _sign_in


def pytest_terminal_summary(terminalreporter):
    """What the accessibility checks covered, and how long they took."""
    from .sweep import SUMMARY

    if SUMMARY:
        terminalreporter.section("accessibility and screenshots")
        for line in SUMMARY:
            terminalreporter.write_line(line)
