"""Accessibility in a real browser, on the demo district.

- axe on one page per distinct template for each kind of persona (the sign-in
  page for a visitor, then every role's pages: lists, records, forms, imports,
  delete confirmations, workspaces, the dashboard, the student page, the
  reporting and choice pages, and the refusal page), and on a form showing its
  errors; any serious or critical violation fails, listed by rule, element and
  page;
- the main flows walked with the keyboard alone (Tab, Shift+Tab, Enter,
  Space, Escape): sign in, open the menu on a phone, reach a list, filter it,
  open a record, save a form with an error, then correct it; every focused
  control shows a visible focus ring.

Both print what they covered and how long it took (see the terminal summary).
``make a11y`` (``e2e/full_sweep.py``) visits every page as every demo login.
"""

import pytest

from . import sweep

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def visit(live_url: str, target: sweep.Page, kind: str):
    def step(page) -> str:
        response = page.goto(live_url + target.url)
        where = f"{target.url} as {kind} ({target.template})"
        if response.status != target.status:
            return f"{where}\nstatus {response.status}, expected {target.status}, on {where}"
        return where

    return step


def send_empty(target: sweep.Page, kind: str):
    def step(page) -> str:
        page.get_by_role("button", name="Save").click()
        page.wait_for_load_state()
        where = f"{target.url} sent empty as {kind}"
        if not page.locator(".error-summary").count():
            return f"{where}\nno error summary on {where}"
        if not page.evaluate("document.activeElement.classList.contains('error-summary')"):
            return f"{where}\nthe error summary does not take the focus on {where}"
        return where

    return step


def test_axe_finds_nothing_serious_once_per_template_for_each_kind_of_persona(browser, live_server):
    timer = sweep.Timer()
    sweep.seed_demo()
    # A new route with parameters needs them filled in e2e/sweep.py (PARAMS), or to be listed in NOT_PAGES.
    assert sweep.unfilled_routes() == []
    lanes, contexts, templates = [], [], set()
    for kind, user in sweep.demo_users().items():
        found = sweep.pages_for(user)
        # The sign-in page is the visitor's (signed in, it is the same form under a longer menu).
        chosen = sweep.one_per_template(p for p in found.pages if user is None or p.name != "login")
        assert chosen, f"{kind} reaches no page"
        templates.update(p.template for p in chosen)
        context = browser.new_context(locale="en-US", viewport=DESKTOP)
        sweep.axe_ready(context)
        sweep.sign_in_as(context, live_server.url, user)
        steps = []
        for target in chosen:
            steps.append(visit(live_server.url, target, kind))
            if target.name.endswith("_add") and target.template == "core/record_form.html" and target.status == 200:
                steps.append(send_empty(target, kind))  # its error summary and the fields' errors
        lanes.append(sweep.Lane(sweep.new_page(context), steps))
        contexts.append(context)
    checked, problems = sweep.axe_lanes(lanes)
    for lane in lanes:
        problems.extend(f"Content-Security-Policy: {v}" for v in lane.page.csp_violations)
    for context in contexts:
        context.close()
    sweep.report(
        f"axe: {checked} page states ({len(templates)} templates) for {len(lanes)} kinds of persona "
        f"in {timer.seconds:.1f} s; {len(problems)} serious or critical problems"
    )
    assert problems == [], "\n".join(problems)


# -- the keyboard alone ----------------------------------------------------------------------------

FOCUS_SHOWN = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return false;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  return outline || style.boxShadow !== "none";
}"""
DESCRIBE = """() => {
  const el = document.activeElement;
  return el ? (el.tagName + " " + (el.getAttribute("aria-label") || el.textContent || el.name || el.id || "")
    .trim().replace(/\\s+/g, " ").slice(0, 40)) : "nothing";
}"""


class Keyboard:
    """Moves through a page with Tab and Shift+Tab only, checking each control it passes shows its focus."""

    def __init__(self, page):
        self.page = page
        self.presses = 0
        self.unseen: list[str] = []

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.presses += 1

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)
        self.presses += len(text)

    def focused(self, test: str) -> bool:
        return self.page.evaluate(f"() => {{ const el = document.activeElement; return !!el && ({test}); }}")

    def tab_to(self, test: str, *, back: bool = False, limit: int = 80) -> None:
        """Tab (or Shift+Tab) until the focused element passes ``test`` (JavaScript on ``el``).

        Already there (a field the page focuses itself), no key is pressed. Focus that leaves
        the page for the browser's own controls (the body is then the active element) is not
        the page's to show.
        """
        if self.focused(test):
            return
        for _ in range(limit):
            self.press("Shift+Tab" if back else "Tab")
            if not self.focused("el !== document.body"):
                continue
            if not self.page.evaluate(FOCUS_SHOWN):
                self.unseen.append(f"{self.page.url}: {self.page.evaluate(DESCRIBE)}")
            if self.focused(test):
                return
        raise AssertionError(
            f"{limit} presses of {'Shift+Tab' if back else 'Tab'} did not reach {test} on {self.page.url}"
        )


def link_named(text: str) -> str:
    return f"el.tagName === 'A' && el.textContent.trim() === {text!r}"


def test_the_main_flows_with_the_keyboard_alone(browser, live_server):
    from enrollment.models import Student

    timer = sweep.Timer()
    sweep.seed_demo()
    user = sweep.demo_users()["dept_manager"]
    student = Student.objects.restrict(user, "change").order_by("legal_last_name", "pk").first()
    context = browser.new_context(locale="en-US", viewport=PHONE)
    page = sweep.new_page(context)
    keys = Keyboard(page)
    url = live_server.url

    # Sign in: Tab to each field, type, Shift+Tab back to check the name kept, Enter to send.
    page.goto(f"{url}/login/")
    keys.tab_to("el.id === 'id_username'")
    keys.type(user.username)
    keys.tab_to("el.id === 'id_password'")
    keys.type("demo-pass-2026")
    keys.tab_to("el.id === 'id_username'", back=True)
    assert page.evaluate("document.activeElement.value") == user.username
    keys.tab_to("el.id === 'id_password'")
    keys.press("Enter")
    page.wait_for_url(f"{url}/workspace/enrollment/")

    # On a phone the menu is behind its button: Tab to it, open it with Space, then Tab to the students.
    keys.tab_to("el.classList.contains('nav-toggle')")
    assert page.get_by_role("button", name="Menu").get_attribute("aria-expanded") == "false"
    keys.press("Space")
    assert page.get_by_role("button", name="Menu").get_attribute("aria-expanded") == "true"
    assert keys.focused("el.closest('#site-nav') !== null")  # the focus moved into the menu
    keys.tab_to(link_named("Students") + " && el.closest('#site-nav') !== null")
    keys.press("Enter")
    page.wait_for_url(f"{url}/enrollment/student/")

    # Filter the list: the search field, the student's name, Enter; the table refreshes in place.
    keys.tab_to("el.id === 'id_q'")
    keys.type(student.legal_last_name)
    keys.press("Enter")
    page.wait_for_url(lambda u: "q=" in u)
    rows = page.locator("#record-table tbody tr")
    page.wait_for_function(
        "name => [...document.querySelectorAll('#record-table tbody th')].every(th => th.textContent.includes(name))",
        arg=student.legal_last_name,
    )
    assert rows.count() >= 1

    # Open the record, then its edit page.
    keys.tab_to(f"el.closest('#record-table tbody') !== null && el.href.endsWith('/student/{student.pk}/')")
    keys.press("Enter")
    page.wait_for_url(f"{url}/enrollment/student/{student.pk}/")
    keys.tab_to(link_named("Edit"))
    keys.press("Enter")
    page.wait_for_url(f"{url}/enrollment/student/{student.pk}/edit/")

    # Save with the last name emptied: the error summary takes the focus and links to the field.
    keys.tab_to("el.id === 'id_legal_last_name'")
    keys.press("Control+a")
    keys.press("Backspace")
    keys.tab_to("el.tagName === 'BUTTON' && el.textContent.trim() === 'Save'")
    with page.expect_navigation():
        keys.press("Enter")
    assert keys.focused("el.classList.contains('error-summary')")
    assert page.evaluate(FOCUS_SHOWN)
    assert page.get_by_role("alert").get_by_role("link").first.inner_text().startswith("Legal last name")
    keys.tab_to("el.closest('.error-summary') !== null && el.tagName === 'A'")
    keys.press("Enter")
    assert keys.focused("el.id === 'id_legal_last_name'")
    assert page.locator("#id_legal_last_name").get_attribute("aria-invalid") == "true"
    keys.type("Okonkwo-Lindqvist")
    keys.tab_to("el.tagName === 'BUTTON' && el.textContent.trim() === 'Save'")
    keys.press("Enter")
    page.wait_for_url(f"{url}/enrollment/student/{student.pk}/")
    assert page.get_by_role("status").inner_text().startswith("Saved")
    student.refresh_from_db()
    assert student.legal_last_name == "Okonkwo-Lindqvist"

    assert keys.unseen == [], "focus not visible on: " + "; ".join(keys.unseen)
    assert page.csp_violations == []
    context.close()
    sweep.report(
        f"keyboard: sign in, menu, list, filter, record, form with an error and corrected, "
        f"{keys.presses} key presses in {timer.seconds:.1f} s"
    )
