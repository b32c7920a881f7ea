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


def test_axe_finds_nothing_serious_once_per_template_for_each_kind_of_persona(browser, live_server):
    timer = sweep.Timer()
    sweep.seed_demo()
    # A new route with parameters needs them filled in e2e/sweep.py (PARAMS), or to be listed in NOT_PAGES.
    assert sweep.unfilled_routes() == []
    problems: list[str] = []
    checked = 0
    templates: set[str] = set()
    for kind, user in sweep.demo_users().items():
        found = sweep.pages_for(user)
        # The sign-in page is the visitor's (signed in, it is the same form under a longer menu).
        chosen = sweep.one_per_template(p for p in found.pages if user is None or p.name != "login")
        assert chosen, f"{kind} reaches no page"
        context = browser.new_context(locale="en-US", viewport=DESKTOP)
        sweep.axe_ready(context)
        sweep.sign_in_as(context, live_server.url, user)
        page = sweep.new_page(context)
        for target in chosen:
            response = page.goto(live_server.url + target.url)
            where = f"{target.url} as {kind} ({target.template})"
            if response.status != target.status:
                problems.append(f"status {response.status}, expected {target.status}, on {where}")
            problems.extend(sweep.axe_check(page, where))
            checked += 1
            templates.add(target.template)
            if target.name.endswith("_add") and target.template == "core/record_form.html" and target.status == 200:
                # The same form sent empty: its error summary and the fields' errors.
                page.get_by_role("button", name="Save").click()
                page.wait_for_load_state()
                if not page.locator(".error-summary").count():
                    problems.append(f"no error summary after sending {where} empty")
                problems.extend(sweep.axe_check(page, f"{where}, sent empty"))
                checked += 1
        problems.extend(f"Content-Security-Policy: {v} ({kind})" for v in page.csp_violations)
        context.close()
    sweep.report(
        f"axe: {checked} pages ({len(templates)} templates) for {len(sweep.PERSONAS)} kinds of persona "
        f"in {timer.seconds:.1f} s; {len(problems)} serious or critical problems"
    )
    assert problems == [], "\n".join(problems)
