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
