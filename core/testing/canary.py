"""The canary sweep: a student's sensitive data never shows, nor changes an answer, for those who do not
administer its class.

Two students alike in all but their names are made through the services (an
app's ``tests/sweep_records.py`` supplies ``CANARY``: ``students``, ``records``
and ``values``). Every registered page and API operation is requested by
every persona that administers no sensitive class it is shown, once before
and once after one of the two (the canary) is given records of each class,
starting on a marker date no other record carries. Requested: every list page
(plain, searched by each student's name, filtered by each student), its
export, every API list (plain and filtered by each student), the detail and
edit pages and API detail of every record about either student, the import
preview of each student's own row, the audit and disclosure logs, and every
validation path of a class record (the add page and API create of a copy of
each class record, for the canary and for the twin).

Checked: the marker date (in every form a page writes a date) never appears;
each word naming a class value appears as often as in the same answer about
the twin or before the records were made; status and shape (rows of a table,
keys and lengths of JSON, lines of a file) are the same; a validation path
answers the canary as it answers the twin (status, messages). The disclosure
log grows with the sweep's own reads, so only its text is checked.
"""

from __future__ import annotations

import datetime
import importlib
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import formats, translation
from rest_framework.test import APIClient

from core import policy
from core.choices import Action, DataClass
from core.models import ApiToken, Disclosure
from core.registry import pages as registry

from . import badinput, sweeps
from .contracts import form_data_from

MARKERS = {
    DataClass.MEALS: datetime.date(2019, 3, 17),
    DataClass.DISABILITY: datetime.date(2018, 11, 29),
    DataClass.HEALTH: datetime.date(2017, 7, 13),
}
NO_SUCH_ID = 2**31 - 1  # a record that does not exist: what a record out of reach must look like
NAMES = ("Zqcanaryaa", "Zqcanarybb")  # the canary's and the twin's last names

# Sample personas for the suite (each administers at most one class); every persona with OPS_SWEEP_FULL=1.
SAMPLE = ["district_admin", "coo", "enrollment_staff_lincoln", "nutrition_director", "sis_integration"]
MORE = [
    "enrollment_manager",
    "principal_lincoln",
    "transport_staff_lincoln",
    "student_services",
    "nurse_lincoln",
    "state_analyst",
]


def canary_hooks() -> dict:
    for config in apps.get_app_configs():
        if (Path(config.path) / "tests" / "sweep_records.py").exists():
            module = importlib.import_module(f"{config.name}.tests.sweep_records")
            if hasattr(module, "CANARY"):
                return module.CANARY
    raise AssertionError("no app's tests/sweep_records.py supplies CANARY")


def marker_texts(day: datetime.date) -> list[str]:
    texts = {day.isoformat()}
    for language in ("en", "es"):
        with translation.override(language):
            for fmt in ("DATE_FORMAT", "SHORT_DATE_FORMAT"):
                texts.add(str(formats.date_format(day, fmt)))
    return sorted(texts)


def _json_shape(value):
    if isinstance(value, dict):
        return {k: _json_shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_json_shape(v) for v in value]
    return "value"  # a value's kind may change with time (a token's last use): not a count


def shape(response):
    """Status, and what a reader could count: rows and items of a page, keys of JSON, lines of a file."""
    data = sweeps.body(response)
    kind = response.get("Content-Type", "")
    if "json" in kind:
        try:
            return response.status_code, _json_shape(json.loads(data))
        except ValueError:
            return response.status_code, len(data)
    if "csv" in kind:
        return response.status_code, data.count(b"\n")
    if "html" in kind:
        return response.status_code, data.count(b"<tr"), data.count(b"<li"), data.count(b"<dd"), data.count(b"<dt")
    return response.status_code, len(data)


_NOISE = re.compile(r'(csrfmiddlewaretoken" value="[^"]*"|nonce="[^"]*"|\d+)')


def messages_of(response) -> str:
    """A refusal's words, with numbers (ids, versions) left out."""
    if response.get("Content-Type", "").startswith("application/json"):
        return _NOISE.sub("#", sweeps.body(response).decode("utf-8", "replace"))
    context = getattr(response, "context", None)
    form = context.get("form") if context else None
    if form is not None and hasattr(form, "errors"):
        return _NOISE.sub("#", json.dumps(form.errors.get_json_data(), sort_keys=True))
    return ""


@dataclass
class Canary:
    world: object
    names: list[str]
    requests: int = 0
    leaks: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)
    nowhere: dict = field(default_factory=dict)
    growing: set = field(default_factory=set)  # the disclosure log: it grows with the sweep's own reads

    # -- seeding --------------------------------------------------------------------------------------

    def seed(self):
        hooks = canary_hooks()
        self.hooks = hooks
        self.student, self.twin = hooks["students"](self.world, self.world.lincoln, NAMES)
        self.values = {cls: [v for v in hooks["values"](cls) if v] for cls in DataClass}

    def seed_classes(self):
        self.records = {cls: self.hooks["records"](self.world, self.student, cls, MARKERS[cls]) for cls in DataClass}
        self.markers = {cls: marker_texts(MARKERS[cls]) for cls in DataClass}

    # -- requests -------------------------------------------------------------------------------------

    def clients(self, name):
        user = getattr(self.world, name)
        if user.is_integration:
            api = APIClient()
            labels = {p.app_label for p in registry} | {r.model._meta.app_label for r in sweeps.api_routes()}
            token = ApiToken(user=user, name="canary", scopes=[f"{label}:read" for label in sorted(labels)])
            key = token.set_new_key()
            token.save()
            api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
            return user, None, api
        page, api = Client(), APIClient()
        page.force_login(user)
        api.force_authenticate(user)
        return user, page, api

    def get(self, client, url, params=None):
        self.requests += 1
        response = client.get(url, params or {})
        sweeps.body(response)
        return response

    def about(self, model, student):
        """Records of ``model`` about ``student`` (by the model's access rule)."""
        rule = policy.rule_for(model)
        if not rule.student_path:
            return []
        return list(model._base_manager.filter(**{rule.student_path: student.pk}).order_by("pk")[:3])

    def unpaired(self, page, api):
        """Answers that are not about one student: every list, search, export and API list."""
        out = {}
        for p in registry:
            if "list" not in p.actions or page is None:
                continue
            url = reverse(p.url_name("list"))
            out[url] = self.get(page, url)
            if "export" in p.actions:
                out[url + "?export=csv"] = self.get(page, url, {"export": "csv"})
            if p.model is Disclosure:
                self.growing |= {url, url + "?export=csv"}
        for route in sweeps.api_routes():
            if "GET" in route.list_methods:
                out[route.list_url] = self.get(api, route.list_url, {"page_size": 500})
                if route.model is Disclosure:
                    self.growing.add(route.list_url)
        return out

    def paired(self, page, api, student):
        """Answers about one student: filtered and searched lists, every record about them, their import row."""
        out = {}
        pk = student.pk
        for p in registry:
            if "list" in p.actions and page is not None:
                url = reverse(p.url_name("list"))
                out[f"{url}?q"] = self.get(page, url, {"q": student.legal_last_name})
                out[f"{url}?student"] = self.get(page, url, {"student": pk})
            for n, obj in enumerate(self.about(p.model, student)):
                if page is None:
                    break
                for action in ("detail", "edit"):
                    if action in p.actions:
                        key = f"{p.url_name(action)}#{n}"
                        out[key] = self.get(page, reverse(p.url_name(action), args=[obj.pk]))
                        self.nowhere[key] = (page, reverse(p.url_name(action), args=[NO_SUCH_ID]))
            if "import" in p.actions and p.import_key and page is not None and policy.rule_for(p.model).student_path:
                out[f"{p.url_name('import')}"] = self.preview(page, p, student)
        for route in sweeps.api_routes():
            if "GET" in route.list_methods:
                out[f"{route.list_url}?student"] = self.get(api, route.list_url, {"student": pk})
            if route.detail_url and "GET" in route.detail_methods:
                for n, obj in enumerate(self.about(route.model, student)):
                    key = f"{route.detail_url}#{n}"
                    out[key] = self.get(api, route.detail_url.format(pk=obj.pk))
                    self.nowhere[key] = (api, route.detail_url.format(pk=NO_SUCH_ID))
        return out

    def preview(self, page, pages, student):
        """The import preview of the student's own row (the model's own import columns)."""
        model = pages.model
        rows = list(model._base_manager.filter(pk=student.pk)) if model is type(student) else []
        if not rows:
            return None
        hidden = policy.hidden_fields(self.user, model)
        header = [c for c in pages.columns_for_import if c not in hidden and badinput._importable(pages, c)]
        row = {c: badinput._cell(model, c, getattr(rows[0], c), pages.related_keys) for c in header}
        self.requests += 1
        upload = badinput.csv_upload(header, [row], "canary.csv")
        response = page.post(reverse(pages.url_name("import")), {"file": upload})
        sweeps.body(response)
        return response

    def validation(self, page, api, student):
        """The add page and API create of a copy of each class record, for this student."""
        out = {}
        for cls, records in self.records.items():
            for n, obj in enumerate(records):
                model = type(obj)
                rule = policy.rule_for(model)
                pages = registry.for_model(model)
                data = form_data_from(obj, list(pages.fields)) if pages else {}
                data[rule.student_path] = student.pk
                if page is not None and pages and "add" in pages.actions:
                    self.requests += 1
                    out[f"add {cls} {n}"] = page.post(reverse(pages.url_name("add")), data)
                for route in sweeps.api_routes():
                    if route.model is model and "POST" in route.list_methods:
                        self.requests += 1
                        body = {k: v for k, v in data.items() if k != "version"}
                        out[f"api create {cls} {n}"] = api.post(route.list_url, body, format="json")
        return out

    # -- checks ---------------------------------------------------------------------------------------

    def text_leak(self, name, key, response, baseline, classes, markers=True):
        if response is None:
            return
        text = sweeps.body(response).decode("utf-8", "replace")
        before = sweeps.body(baseline).decode("utf-8", "replace") if baseline is not None else None
        for cls in classes:
            for marker in self.markers[cls] if markers else ():
                if marker in text:
                    self.leaks.append(f"{name} {key}: the {cls} marker {marker!r}")
            if before is None:
                continue
            for value in self.values[cls]:
                if text.count(value) != before.count(value):
                    self.leaks.append(
                        f"{name} {key}: {value!r} {text.count(value)} times, {before.count(value)} before"
                    )

    def differs(self, name, key, response, baseline, words=False):
        if response is None or baseline is None:
            return
        if shape(response) != shape(baseline):
            self.differences.append(f"{name} {key}: {shape(response)} against {shape(baseline)}")
        elif words and messages_of(response) != messages_of(baseline):
            self.differences.append(f"{name} {key}: {messages_of(response)!r} against {messages_of(baseline)!r}")

    def run(self):
        self.seed()
        logins = {name: self.clients(name) for name in self.names}
        before = {name: self.unpaired(page, api) for name, (_, page, api) in logins.items()}
        self.seed_classes()
        for name, (user, page, api) in logins.items():
            self.user = user
            classes = [cls for cls in DataClass if not policy.scope_for(user).sees(cls)]
            # One who administers a class sees its records (and their rows): only the words are checked.
            same_shape = len(classes) == len(DataClass)
            after = self.unpaired(page, api)
            for key, response in after.items():
                baseline = None if key in self.growing else before[name][key]
                self.text_leak(name, key, response, baseline, classes)
                if key not in self.growing and same_shape:
                    self.differs(name, key, response, baseline)
            mine, twin = self.paired(page, api, self.student), self.paired(page, api, self.twin)
            for key, response in mine.items():
                baseline = twin.get(key)
                if baseline is None and key in self.nowhere:  # the twin has no such record
                    baseline = self.get(*self.nowhere[key])
                self.text_leak(name, key, response, baseline, classes)
                if same_shape and key.split("?")[0] not in self.growing:
                    self.differs(name, key, response, baseline)
            class_models = {type(r) for records in self.records.values() for r in records}
            if any(policy.can(user, model, Action.ADD) for model in class_models):
                mine = self.validation(page, api, self.student)
                twin = self.validation(page, api, self.twin)
                for key, response in mine.items():
                    if not any(key.split()[-2] == cls for cls in classes):
                        continue  # a class the user administers: overlap is theirs to see
                    # The form echoes the values posted (the marker date among them): compared with the twin's.
                    self.text_leak(name, key, response, twin.get(key), classes, markers=False)
                    self.differs(name, key, response, twin.get(key), words=True)


def run(world, names=None) -> Canary:
    full = sweeps.FULL
    canary = Canary(world, names or (SAMPLE + MORE if full else SAMPLE))
    level = logging.getLogger("django.request").level
    logging.getLogger("django.request").setLevel(logging.ERROR)
    try:
        with sweeps.Timer() as timer:
            canary.run()
    finally:
        logging.getLogger("django.request").setLevel(level)
    sweeps.report(
        "canary sweep",
        timer.seconds,
        personas=len(canary.names),
        requests=canary.requests,
        leaks=len(canary.leaks),
        differences=len(canary.differences),
    )
    return canary
