"""Every page of the portal as a persona sees it, grouped by the template that draws it.

The accessibility checks visit pages through this module:

- :func:`pages_for` lists, for one user, every page the URL configuration
  registers (the record pages of the page registry, the workspaces, the
  dashboard, the student page, the reporting and choice pages, the sign-in
  page ...) as concrete URLs: a record page gets the first record the user
  may act on, a KPI page the first KPI, a workspace each department the user
  reaches. Each page carries the template it renders and the status the user
  gets (403 pages are pages too: they have their own template).
- :func:`one_per_template` keeps one page per template (CI runs axe on these
  for each kind of persona); ``e2e/full_sweep.py`` visits them all.
- :func:`axe_check` runs axe in the browser and returns the serious and
  critical violations as readable lines (rule, target, URL).

A route with URL parameters needs a way to fill them: the page registry's
routes fill themselves; any other route is listed in ``PARAMS`` below, or in
``NOT_PAGES`` when it draws no page (a POST action, a download, a redirect).
A route in neither is reported by :func:`unfilled_routes`, and the
accessibility test fails on it, so a new page cannot escape the checks.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.urls import URLPattern, URLResolver, get_resolver, reverse

# Routes that draw no page of their own for a GET: actions (POST only), downloads,
# redirects to the identity provider, the language switch.
NOT_PAGES = frozenset(
    {
        "logout",
        "set_language",
        "oidc_authentication_init",
        "oidc_authentication_callback",
        "reporting:download",
        "reporting:transition",
        "dashboard:refresh",
        "dashboard:packet",  # a PDF or a spreadsheet (its form is on the dashboard)
        "core:user_unlink",
        "core:user_reset_second_factor",
        "core:apitoken_revoke",
        "enrollment:roster_export",
    }
)
# Prefixes of paths that are not the portal's own pages (Django's admin site,
# the API and its generated documentation, and the test suite's sample app).
FOREIGN_PREFIXES = ("admin/", "api/", "sample/")

# The demo login that stands for each kind of persona (a role), in the order
# the checks run them; "anonymous" is a visitor who has not signed in.
PERSONAS = {
    "anonymous": None,
    "district_admin": "district_admin",
    "executive": "coo",
    "dept_manager": "enrollment_manager",
    "dept_staff": "enrollment_staff_lincoln",
    "principal": "principal_lincoln",
    "meal_program": "nutrition_director",
    "student_services": "student_services_director",
    "nurse": "nurse_lincoln",
    "state": "state_analyst",
}
# A small demo district: big enough that every list has rows and every queue
# something in it, small enough to build in a few seconds.
DEMO = {"districts": 1, "schools": 4, "students": 200, "seed": 2026}
# Apps whose pages stand for a template first (the main flows), then the others.
PREFERRED_APPS = ("enrollment", "district", "reporting", "dashboard", "core")


def seed_demo() -> None:
    from django.core.management import call_command

    call_command("seed_demo", stdout=io.StringIO(), **DEMO)


def demo_users() -> dict[str, object]:
    """The demo logins by kind of persona (``None`` for the anonymous visitor)."""
    from core.models import User

    users = {u.username: u for u in User.objects.filter(username__in=[n for n in PERSONAS.values() if n])}
    return {kind: (users[name] if name else None) for kind, name in PERSONAS.items()}


# -- routes --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str  # namespaced URL name
    route: str  # the pattern, for messages
    params: tuple[str, ...]
    callback: Callable


def routes() -> list[Route]:
    """Every named route of the portal's own pages, in URL configuration order."""
    out: list[Route] = []

    def walk(patterns, prefix: str, namespace: str | None):
        for p in patterns:
            text = prefix + str(p.pattern)
            if text.startswith(FOREIGN_PREFIXES):
                continue
            if isinstance(p, URLResolver):
                ns = namespace
                if p.namespace:
                    ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
                walk(p.url_patterns, text, ns)
            elif isinstance(p, URLPattern) and p.name:
                name = f"{namespace}:{p.name}" if namespace else p.name
                out.append(Route(name, text, tuple(p.pattern.converters), p.callback))

    walk(get_resolver().url_patterns, "", None)
    return out


def _registry_routes() -> dict[str, tuple[object, str]]:
    """URL name -> (Pages, action) for every route the page registry makes."""
    from core.registry import pages

    table = {}
    for p in pages:
        for action in set(p.actions) | set(p.extra_views):
            table[p.url_name(action)] = (p, action)
    return table


STANDARD_TEMPLATES = {
    "list": "core/record_list.html",
    "add": "core/record_form.html",
    "edit": "core/record_form.html",
    "import": "core/record_import.html",
    "delete": "core/record_delete.html",
}


def _policy_action(action: str) -> str:
    from core.choices import Action

    return {
        "list": Action.VIEW,
        "detail": Action.VIEW,
        "export": Action.VIEW,
        "add": Action.ADD,
        "import": Action.ADD,
        "edit": Action.CHANGE,
        "delete": Action.DELETE,
    }.get(action, Action.CHANGE)


def _first_pk(model, user, action) -> int | None:
    return model.objects.restrict(user, action).order_by("pk").values_list("pk", flat=True).first()


# -- parameters of the routes outside the page registry ------------------------------------------


def _workspaces(user):
    from core import workspace

    if user is None:
        return [{"department": d.code} for d in workspace.departments()[:1]]
    return [{"department": d.code} for d in workspace.reachable_departments(user)]


def _first_kpi(user):
    from dashboard import registry

    kpis = [k for k in registry.all_kpis() if k.direction in ("higher", "lower")]
    return [{"key": kpis[0].key}] if kpis else []


def _first_report(user):
    from reporting import registry

    reports = registry.all_reports()
    return [{"key": reports[0].key}] if reports else []


def _pk_of(model_path: str, action: str = "view"):
    def provide(user):
        from django.apps import apps

        model = apps.get_model(model_path)
        if user is None:
            pk = model.objects.order_by("pk").values_list("pk", flat=True).first()
        else:
            pk = _first_pk(model, user, action)
        return [{"pk": pk}] if pk is not None else []

    return provide


PARAMS: dict[str, Callable[[object], list[dict]]] = {
    "workspace": _workspaces,
    "dashboard:kpi": _first_kpi,
    "dashboard:target_edit": _first_kpi,
    "dashboard:school": _pk_of("district.School"),
    "dashboard:refresh_status": _pk_of("dashboard.KpiRefresh"),
    "reporting:run": _first_report,
    "enrollment:choice_window": _pk_of("enrollment.ApplicationWindow"),
    "enrollment:choice_run": _pk_of("enrollment.ApplicationWindow", "change"),
    "enrollment:choice_priorities": _pk_of("enrollment.ApplicationWindow", "change"),
}


def unfilled_routes() -> list[str]:
    """Routes with parameters that neither the registry, ``PARAMS`` nor ``NOT_PAGES`` accounts for."""
    registry = _registry_routes()
    return [
        f"{r.name} ({r.route})"
        for r in routes()
        if r.params and r.name not in registry and r.name not in PARAMS and r.name not in NOT_PAGES
    ]


# -- pages ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    url: str  # a path, to be joined to the server's address
    name: str  # the route's URL name
    template: str  # the template that draws the page
    status: int  # what the user gets


@dataclass
class Sweep:
    """The pages one user reaches, and the routes left out (with why)."""

    pages: list[Page] = field(default_factory=list)
    left_out: list[tuple[str, str]] = field(default_factory=list)  # (url, reason)


def _client(user):
    from django.test import Client

    client = Client(HTTP_ACCEPT="text/html")
    if user is not None:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _render(client, url: str) -> tuple[int, str | None, str]:
    """(status, template, content type) of a GET of ``url`` in the test client."""
    response = client.get(url)
    kind = response.get("Content-Type", "")
    names = [t.name for t in getattr(response, "templates", []) if t.name]
    # The page's own template: the first one rendered that is not a partial (a view
    # may render a fragment first, such as the dashboard's tiles).
    whole = [n for n in names if not n.rsplit("/", 1)[-1].startswith("_")]
    return response.status_code, (whole or names or [None])[0], kind


def pages_for(user) -> Sweep:
    """Every page of the portal as ``user`` (``None``: the anonymous visitor) reaches it."""
    registry = _registry_routes()
    client = _client(user)
    sweep = Sweep()
    quiet = logging.getLogger("django.request")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # the 403s the sweep meets are expected
    try:
        _sweep(user, client, registry, sweep)
    finally:
        quiet.setLevel(level)
    return sweep


def _sweep(user, client, registry, sweep: Sweep) -> None:
    from core import policy

    for route in routes():
        if route.name in NOT_PAGES:
            continue
        if route.name in registry:
            pages, action = registry[route.name]
            if action == "export":
                continue
            kwargs = {}
            if route.params:
                pk = None if user is None else _first_pk(pages.model, user, _policy_action(action))
                if pk is None:
                    sweep.left_out.append((route.name, "no record the user may act on"))
                    continue
                kwargs = {"pk": pk}
            url = reverse(route.name, kwargs=kwargs)
            standard = action in STANDARD_TEMPLATES or action == "detail"
            if standard and user is not None and action not in pages.extra_views:
                allowed = policy.can(user, pages.model, _policy_action(action))
                if action == "detail":
                    template = pages.detail_template or "core/record_detail.html"
                else:
                    template = STANDARD_TEMPLATES[action]
                sweep.pages.append(Page(url, route.name, template if allowed else "403.html", 200 if allowed else 403))
                continue
            candidates = [url]
        elif route.params:
            candidates = [reverse(route.name, kwargs=kw) for kw in PARAMS.get(route.name, lambda u: [])(user)]
            if not candidates:
                sweep.left_out.append((route.name, "nothing to show it for"))
        else:
            candidates = [reverse(route.name)]
        for url in candidates:
            status, template, kind = _render(client, url)
            if status in (301, 302, 303, 405) or not kind.startswith("text/html") or template is None:
                sweep.left_out.append((url, f"{status} {kind.split(';')[0]}"))
                continue
            sweep.pages.append(Page(url, route.name, template, status))


def _preference(page: Page) -> tuple:
    app = page.name.split(":")[0]
    rank = PREFERRED_APPS.index(app) if app in PREFERRED_APPS else len(PREFERRED_APPS)
    return (page.status != 200, rank)


def one_per_template(pages: Iterable[Page]) -> list[Page]:
    """One page per distinct template: a page the user may use, from the main flows where there is one."""
    chosen: dict[str, Page] = {}
    for page in sorted(pages, key=_preference):
        chosen.setdefault(page.template, page)
    return sorted(chosen.values(), key=lambda p: p.template)


# -- the browser ---------------------------------------------------------------------------------

SERIOUS = frozenset({"serious", "critical"})


def sign_in_as(context, live_url: str, user) -> None:
    """Gives the browser context a signed-in session of ``user`` (no sign-in page: that has its own checks)."""
    context.clear_cookies()
    if user is None:
        return
    client = _client(user)
    from django.conf import settings

    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_url}])


def axe_ready(context) -> None:
    """Loads axe into every page of ``context`` as it opens (cheaper than sending it after each load)."""
    from axe_playwright_python.base import AXE_SCRIPT

    context.add_init_script(AXE_SCRIPT)


# axe's usual rules (not the experimental ones), and of those only the ones that can
# find a serious or critical problem (what fails the checks): the moderate and minor
# ones (landmark and heading advice) cost time and change nothing.
AXE_RUN = """axe.run(document, {
  resultTypes: ["violations"],
  iframes: false,
  runOnly: {type: "rule", values: axe.getRules().map(r => r.ruleId).filter(id => {
    const rule = axe._audit.rules.find(r => r.id === id);
    const usual = rule.enabled !== false && !rule.tags.includes("experimental") && !rule.tags.includes("deprecated");
    return usual && (rule.impact === "serious" || rule.impact === "critical");
  })},
})"""


def axe_start(page) -> None:
    """Starts axe on the page as it stands, without waiting (pages in other contexts run at the same time)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        from axe_playwright_python.base import AXE_SCRIPT

        page.evaluate(AXE_SCRIPT)
    page.evaluate(f"() => {{ window.__axeResult = {AXE_RUN}; }}")


def axe_finish(page, where: str) -> list[str]:
    """The serious and critical violations axe found (see :func:`axe_start`), one line per element."""
    response = page.evaluate("() => window.__axeResult")
    lines = []
    for v in response["violations"]:
        if v.get("impact") not in SERIOUS:
            continue
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node.get("target", []))
            lines.append(f"{v['id']} ({v['impact']}) at {target} on {where}: {v['help']}")
    return lines


def axe_check(page, where: str) -> list[str]:
    axe_start(page)
    return axe_finish(page, where)


@dataclass
class Lane:
    """One browser page working through steps; each step readies the page and says what it shows."""

    page: object
    steps: Iterable[Callable[[object], str]]


def axe_lanes(lanes: list[Lane]) -> tuple[int, list[str]]:
    """Runs the lanes side by side: each takes a step, then axe runs on all of them at once.

    Returns how many page states axe checked and the problems (a step may add its
    own by returning them after a newline).
    """
    problems: list[str] = []
    checked = 0
    steps = [iter(lane.steps) for lane in lanes]
    active = list(range(len(lanes)))
    while active:
        started = []
        for i in active:
            step = next(steps[i], None)
            if step is None:
                continue
            where, *found = step(lanes[i].page).split("\n")
            problems.extend(found)
            axe_start(lanes[i].page)
            started.append((i, where))
        for i, where in started:
            problems.extend(axe_finish(lanes[i].page, where))
            checked += 1
        active = [i for i, _ in started]
    return checked, problems


class Timer:
    def __init__(self):
        self.started = time.monotonic()

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started


def new_page(context):
    """A page of ``context`` that records what the Content-Security-Policy blocks (``page.csp_violations``)."""
    page = context.new_page()
    page.set_default_timeout(15000)
    page.csp_violations = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and page.csp_violations.append(message.text),
    )
    return page


# Lines for pytest's terminal summary (e2e/conftest.py prints them).
SUMMARY: list[str] = []


def report(line: str) -> None:
    SUMMARY.append(line)
    print(line)
