"""The authorization matrix: role x record kind x action x scope, expected from the policy's table, checked
against what every registered page, export and API operation answers.

For each persona, each registered model (pages or API) and each of its
records at the persona's own school, another school of the district and a
school of another district, the expected answer is worked out from
``core.policy.RULES`` and ``CLASS_ROLES`` read as the module's text states
them (a grant's role, department and reach; a school serving the record's
student; the record's sensitive class), not from ``restrict()``, and compared
with the answer of:

- pages: list (the record among the rows of every page of the list), export
  (among the CSV's ids), detail, edit and delete (200, 403 or 404), add and
  import (200 or 403);
- API: list, detail, create (403, or 400 for an empty body), update and
  delete (each write in a transaction rolled back afterwards).

A refusal follows one order everywhere: no grant of the action on the kind at
all is a 403; a record the user may not read is a 404; a record the user may
read but not change or delete is a 403. Integration accounts are refused
every page (they use the API, with a token whose scopes name every app).
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core import policy
from core.choices import Action
from core.models import ApiToken
from core.registry import pages as registry

from . import sweeps

# One persona per kind of reach for the suite (district-wide, a department at one school, a principal's
# school across departments, a sensitive class's program, an integration token); every persona with
# OPS_SWEEP_FULL=1.
SAMPLE = [
    "district_admin",
    "enrollment_staff_lincoln",
    "principal_lincoln",
    "nutrition_director",
    "sis_integration",
]
MORE = [
    "coo",
    "enrollment_manager",
    "student_services",
    "nurse_lincoln",
    "state_analyst",
    "stranger",
    "transport_manager",
    "transport_staff_lincoln",
    "facilities_manager",
    "facilities_staff_lincoln",
    "principal_washington",
    "other_admin",
    "reporting_manager",
]


def personas(full: bool = sweeps.FULL) -> list[str]:
    return SAMPLE + MORE if full else SAMPLE


# -- where a record is -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """A record's district(s), school(s), the schools serving its student, class and serving department."""

    districts: frozenset[int]
    schools: frozenset[int]
    served: frozenset[int]
    unassigned: bool
    row_class: str
    department: str | None


def place_of(obj, schools) -> Place:
    model = type(obj)
    rule = policy.rule_for(model)
    rows = model._base_manager.filter(pk=obj.pk)

    def values(path):
        return frozenset(v for v in rows.values_list(path, flat=True) if v is not None) if path else frozenset()

    served = set()
    if rule.student_path:
        students = policy._student_model(model, rule.student_path)._default_manager
        for school in schools:
            since = timezone.localdate() - datetime.timedelta(days=school.district.access_grace_days)
            if rows.filter(students.served_q(rule.student_path, [school.pk], since=since)).exists():
                served.add(school.pk)
    unassigned = bool(rule.unassigned_path) and rows.filter(**{f"{rule.unassigned_path}__isnull": True}).exists()
    department = next(iter(values(rule.department_path)), None) if rule.department_path else None
    return Place(
        districts=values(rule.district_path),
        schools=values(rule.school_path),
        served=frozenset(served),
        unassigned=unassigned,
        row_class=policy.row_class(rows.get()),
        department=department,
    )


def scope_label(place: Place, world) -> str:
    if world.district.pk not in place.districts:
        return "other district"
    if world.lincoln.pk in place.schools | place.served:
        return "own school"
    if world.washington.pk in place.schools | place.served:
        return "other school"
    return "district-wide"


# -- the policy's table, read as its text states it ------------------------------------------------------


def _grants(assignments, rule, action):
    for kind, actions, roles, reach in policy.RULES:
        if kind != rule.kind or action not in actions:
            continue
        for a in assignments:
            if a.role not in roles:
                continue
            if reach in (policy.Reach.OWN_DEPARTMENT, policy.Reach.OWN_DEPARTMENT_SCHOOLS) and (
                not a.department_code or a.department_code != rule.department
            ):
                continue
            yield a, reach


def _path_grants(assignments, rule, action):
    """Managers (and integrations) of the department a row names, on rows kept for their department."""
    if not rule.department_path or rule.path_departments is None:
        return
    departments = set(rule.path_departments())
    for kind, actions, roles, reach in policy.RULES:
        if kind != rule.kind or action not in actions or reach != policy.Reach.OWN_DEPARTMENT:
            continue
        for a in assignments:
            code = a.department_code
            if a.role in roles and code and code != rule.department and code in departments:
                yield a


def may_at_all(assignments, model, action) -> bool:
    rule = policy.rule_for(model)
    return any(True for _ in _grants(assignments, rule, action)) or any(
        True for _ in _path_grants(assignments, rule, action)
    )


def may(assignments, model, action, place: Place) -> bool:
    """Whether the table grants ``action`` on a record at ``place``."""
    rule = policy.rule_for(model)
    classes = {cls for cls, roles in policy.CLASS_ROLES.items() if {a.role for a in assignments} & set(roles)}
    if place.row_class and place.row_class not in classes:
        return False
    granted = False
    for a, reach in _grants(assignments, rule, action):
        granted = True
        if a.district_id is not None and a.district_id not in place.districts:
            continue
        if reach in (policy.Reach.DISTRICT, policy.Reach.OWN_DEPARTMENT) or not a.school_ids:
            return True
        if rule.school_path is None and rule.student_path is None:
            if reach == policy.Reach.OWN_DEPARTMENT_SCHOOLS:
                return True
            continue
        at_school = rule.school_path is None or bool(place.schools & a.school_ids)
        serves = rule.student_path is None or bool(place.served & a.school_ids)
        if at_school and serves:
            return True
    for a in _path_grants(assignments, rule, action):
        granted = True
        if place.department == a.department_code and (a.district_id is None or a.district_id in place.districts):
            return True
    return granted and place.unassigned


def expected_status(assignments, model, action, place: Place | None, ok: int) -> int:
    """The answer the order of refusals gives: 403 with no grant, 404 unread, 403 read but not allowed."""
    if not may_at_all(assignments, model, action):
        return 403
    if place is None:
        return ok
    if not may(assignments, model, Action.VIEW, place):
        return 404
    if not may(assignments, model, action, place):
        return 403
    return ok


STANDARD_VIEWS = {
    "add": "RecordEditView",
    "edit": "RecordEditView",
    "delete": "RecordDeleteView",
    "import": "RecordImportView",
    "detail": "RecordDetailView",
}


def page_action(pages, action: str, default: str) -> str:
    """The policy action a page checks: the chassis's own for its views, or what a page put in their place
    declares (a workflow page shown as "add" may be a read page that leads to the workflow)."""
    from core import views

    view = pages.extra_views.get(action)
    if view is None or issubclass(view, getattr(views, STANDARD_VIEWS[action])):
        return default
    return getattr(view, "action", default)


# -- the sweep ------------------------------------------------------------------------------------------------


@dataclass
class Case:
    persona: str
    model: str
    action: str
    scope: str
    expected: object
    actual: object

    def __str__(self):
        return f"{self.persona} {self.action} {self.model} ({self.scope}): expected {self.expected}, got {self.actual}"


class Matrix:
    def __init__(self, world, names):
        self.world = world
        self.names = names
        self.cases = 0
        self.mismatches: list[Case] = []
        self.requests = 0

    def check(self, persona, model, action, scope, expected, actual):
        self.cases += 1
        if expected != actual:
            self.mismatches.append(Case(persona, model._meta.label, action, scope, expected, actual))

    def build(self) -> dict:
        """Three records of every registered model: at Lincoln, at Washington, and in the other district."""
        world = self.world
        make = sweeps.builders()
        missing = [m._meta.label for m in sweeps.registered_models() if m not in make]
        assert not missing, f"no contract or sweep_records builder makes records of {missing}"
        schools = [world.lincoln, world.washington, world.other_school]
        records = {}
        for model in sweeps.registered_models():
            made = [make[model](world, school) for school in (world.lincoln, world.washington, world.other_school)]
            records[model] = [(obj, place_of(obj, schools)) for obj in made]
        return records

    def clients(self, name):
        user = getattr(self.world, name)
        page = Client()
        api = APIClient()
        if user.is_integration:
            labels = {p.app_label for p in registry} | {r.model._meta.app_label for r in sweeps.api_routes()}
            token = ApiToken(user=user, name="matrix", scopes=[f"{label}:write" for label in sorted(labels)])
            key = token.set_new_key()
            token.save()
            api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
            page.force_login(user)
        else:
            page.force_login(user)
            api.force_authenticate(user)
        return user, page, api

    def get(self, client, url, **extra):
        self.requests += 1
        response = client.get(url, **extra)
        sweeps.body(response)
        return response

    def rolled_back(self, send):
        self.requests += 1
        with transaction.atomic():
            response = send()
            transaction.set_rollback(True)
        return response

    def run(self) -> None:
        logging.getLogger("django.request").setLevel(logging.ERROR)  # refusals are the point here
        records = self.build()
        for name in self.names:
            user, page, api = self.clients(name)
            assignments = policy.scope_for(user).assignments
            for model, made in records.items():
                placed = [(obj, place, scope_label(place, self.world)) for obj, place in made]
                pages = registry.for_model(model)
                if pages is not None:
                    self.sweep_pages(name, user, page, assignments, pages, placed)
                for route in sweeps.api_routes():
                    if route.model is model:
                        self.sweep_api(name, api, assignments, route, placed)

    def sweep_pages(self, name, user, client, assignments, pages, placed):
        model = pages.model
        refused = user.is_integration

        def status(action, place, ok=200):
            return 403 if refused else expected_status(assignments, model, action, place, ok)

        list_url = reverse(pages.url_name("list")) if "list" in pages.actions else None
        if list_url:
            response = self.get(client, list_url)
            listed = sweeps.listed_ids(response) if response.status_code == 200 else None
            for obj, place, scope in placed:
                expected = (
                    status(Action.VIEW, None)
                    if status(Action.VIEW, None) != 200
                    else may(assignments, model, "view", place)
                )
                actual = response.status_code if listed is None else obj.pk in listed
                self.check(name, model, "list", scope, expected, actual)
            if "export" in pages.actions:
                response = self.get(client, list_url + "?export=csv")
                exported = sweeps.export_ids(response) if response.status_code == 200 else None
                for obj, place, scope in placed:
                    expected = (
                        status(Action.VIEW, None)
                        if status(Action.VIEW, None) != 200
                        else may(assignments, model, "view", place)
                    )
                    actual = response.status_code if exported is None else obj.pk in exported
                    self.check(name, model, "export", scope, expected, actual)
        for action, policy_action in (("add", Action.ADD), ("import", Action.ADD)):
            if action in pages.actions:
                response = self.get(client, reverse(pages.url_name(action)))
                expected = status(page_action(pages, action, policy_action), None)
                self.check(name, model, action, "any", expected, response.status_code)
        for action, policy_action in (("detail", Action.VIEW), ("edit", Action.CHANGE), ("delete", Action.DELETE)):
            if action not in pages.actions:
                continue
            for obj, place, scope in placed:
                response = self.get(client, reverse(pages.url_name(action), args=[obj.pk]))
                expected = status(page_action(pages, action, policy_action), place)
                self.check(name, model, action, scope, expected, response.status_code)

    def sweep_api(self, name, client, assignments, route, placed):
        model = route.model
        if "GET" in route.list_methods:
            response = self.get(client, route.list_url, data={"page_size": 500})
            listed = {row["id"] for row in response.json()["results"]} if response.status_code == 200 else None
            for obj, place, scope in placed:
                allowed = expected_status(assignments, model, Action.VIEW, None, 200)
                expected = allowed if allowed != 200 else may(assignments, model, "view", place)
                actual = response.status_code if listed is None else obj.pk in listed
                self.check(name, model, "api list", scope, expected, actual)
        if "POST" in route.list_methods:
            response = self.rolled_back(lambda: client.post(route.list_url, {}, format="json"))
            expected = expected_status(assignments, model, route.policy_action("create"), None, 400)
            self.check(name, model, "api create", "any", expected, response.status_code)
        if not route.detail_url:
            return
        for obj, place, scope in placed:
            url = route.detail_url.format(pk=obj.pk)
            if "GET" in route.detail_methods:
                response = self.get(client, url)
                self.check(
                    name,
                    model,
                    "api detail",
                    scope,
                    expected_status(assignments, model, Action.VIEW, place, 200),
                    response.status_code,
                )
            if "PATCH" in route.detail_methods:
                response = self.rolled_back(lambda: client.patch(url, {}, format="json"))  # noqa: B023
                self.check(
                    name,
                    model,
                    "api update",
                    scope,
                    expected_status(assignments, model, Action.CHANGE, place, 200),
                    response.status_code,
                )
            if "DELETE" in route.detail_methods:
                response = self.rolled_back(lambda: client.delete(url))  # noqa: B023
                actual = response.status_code
                # A record the user may delete that other records still need is refused for that reason.
                if actual in (400, 409) and expected_status(assignments, model, Action.DELETE, place, 204) == 204:
                    actual = 204
                self.check(
                    name,
                    model,
                    "api delete",
                    scope,
                    expected_status(assignments, model, Action.DELETE, place, 204),
                    actual,
                )


def run(world, names=None, report=True) -> Matrix:
    matrix = Matrix(world, names or personas())
    level = logging.getLogger("django.request").level
    try:
        with sweeps.Timer() as timer:
            matrix.run()
    finally:
        logging.getLogger("django.request").setLevel(level)
    if not report:  # a check of the sweep itself, not a result to print
        return matrix
    sweeps.report(
        "authorization matrix",
        timer.seconds,
        personas=len(matrix.names),
        cases=matrix.cases,
        requests=matrix.requests,
        mismatches=len(matrix.mismatches),
    )
    return matrix
