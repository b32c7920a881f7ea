"""``make a11y``: every page of the portal as every demo login, each checked by axe.

Not part of ``make test`` (CI checks one page per template for each kind of
persona, in ``test_accessibility.py``); run it after changing templates or the
navigation. It prints how many pages it checked and how long it took, and fails
on any serious or critical violation, listed by rule, element, page and login.
A refusal page (403) is checked once per login: the others differ only in words.
"""

import pytest

from . import sweep

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIDE_BY_SIDE = 4  # logins checked at the same time, each in its own browser context


def visit(live_url: str, target: sweep.Page, login: str):
    def step(page) -> str:
        response = page.goto(live_url + target.url)
        where = f"{target.url} as {login} ({target.template})"
        if response.status != target.status:
            return f"{where}\nstatus {response.status}, expected {target.status}, on {where}"
        return where

    return step


def test_every_page_as_every_demo_login(browser, live_server):
    from core.models import User

    timer = sweep.Timer()
    sweep.seed_demo()
    assert sweep.unfilled_routes() == []
    users = [None, *User.objects.filter(is_integration=False).order_by("username")]
    checked, problems, templates = 0, [], set()
    for start in range(0, len(users), SIDE_BY_SIDE):
        lanes, contexts = [], []
        for user in users[start : start + SIDE_BY_SIDE]:
            login = user.username if user else "a visitor"
            found = sweep.pages_for(user).pages
            refusal = next((p for p in found if p.status == 403), None)
            targets = [p for p in found if p.status != 403] + ([refusal] if refusal else [])
            templates.update(p.template for p in targets)
            context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
            sweep.axe_ready(context)
            sweep.sign_in_as(context, live_server.url, user)
            lanes.append(sweep.Lane(sweep.new_page(context), [visit(live_server.url, t, login) for t in targets]))
            contexts.append(context)
        n, found_problems = sweep.axe_lanes(lanes)
        checked += n
        problems.extend(found_problems)
        for lane in lanes:
            problems.extend(f"Content-Security-Policy: {v}" for v in lane.page.csp_violations)
        for context in contexts:
            context.close()
    sweep.report(
        f"full sweep: {checked} pages ({len(templates)} templates) as {len(users)} logins "
        f"in {timer.seconds:.0f} s; {len(problems)} serious or critical problems"
    )
    assert problems == [], "\n".join(problems)
