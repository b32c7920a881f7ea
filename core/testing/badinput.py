"""Bad-input properties that every registered import, list page and API endpoint inherits.

Two properties, checked with hypothesis on a small number of examples each:

- an import with bad rows writes nothing and reports exactly those rows
  (``check_import``, run by ``PagesContract`` for every model whose pages
  import): a valid file is built from the model's own import columns (the
  contract's new record and, where the import updates by key, records made by
  the contract), random rows are corrupted with values no column can accept,
  and the lines reported must be exactly the corrupted ones;
- odd ids and filter values never answer a server error (``sweep`` over
  ``page_endpoints`` and ``api_endpoints``, run over the whole project by
  ``core/tests/test_bad_input.py``):
  every registered list, detail and edit page, and every GET operation of
  the API schema, with random ids in the path and random values for its own
  filters and parameters: huge and negative numbers, non-numbers, unicode,
  long strings, null characters, impossible dates.

Besides the random examples, each endpoint is always tried with a number
beyond 64 bits in each id and integer parameter and with the calendar's ends
in each date. ``OPS_BAD_INPUT_EXAMPLES`` sets the number of random examples
per import or endpoint (default 4).
"""

from __future__ import annotations

import datetime
import io
import itertools
import os
from dataclasses import dataclass, field
from urllib.parse import quote

from django.db import models
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import policy
from core.models import AuditEntry
from core.registry import pages as registry
from core.spreadsheets import MAX_CELL

EXAMPLES = int(os.environ.get("OPS_BAD_INPUT_EXAMPLES", "4"))
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=False,
)

# -- odd values ------------------------------------------------------------------------------------------

SPECIAL = [
    "",
    " ",
    "0",
    "-0",
    "-1",
    "1.5",
    "1e3",
    "1e400",
    "NaN",
    "Infinity",
    "null",
    "true",
    "[]",
    "{}",
    "%",
    "'",
    '"',
    "\\",
    "../",
    "\u0661\u0662",  # Arabic-Indic digits
    "\uff11\uff12",  # full-width digits
    "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00+14:00",
    "2026-02-30",
    "99999-01-01",
    "0000-00-00",
    "\u202e",
    "\U0001f600",
]


# Text a form, filter or path might be given by mistake or on purpose.
ODD = st.one_of(
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.integers(min_value=2**63 - 2, max_value=2**63 + 2).map(lambda n: str(n * (-1) ** (n % 2))),
    st.sampled_from(SPECIAL),
    st.text(max_size=20),
    st.integers(min_value=256, max_value=4000).map(lambda n: "9" * n),
    st.integers(min_value=256, max_value=4000).map(lambda n: "\u00e9" * n),
    st.text(max_size=8).map(lambda s: f"{s}\x00{s}"),
)


def odd_values() -> st.SearchStrategy[str]:
    return ODD


# -- imports ---------------------------------------------------------------------------------------------

_keys = itertools.count(1)


class LongText(str):
    """Text too long to read in a report of a failing example: it shows its length instead."""

    def __repr__(self) -> str:
        return f"<{len(self):,} characters of {self[:1]!r}>"


OVERSIZED = LongText("x" * (MAX_CELL + 1))  # longer than a CSV cell may be


def _cell(model, name: str, value, related_keys: dict[str, str]) -> str:
    """A value as an import file writes it (related records by their natural key, or by id)."""
    f = model._meta.get_field(name)
    if f.many_to_many:
        objects = value.all() if hasattr(value, "all") else f.related_model._default_manager.filter(pk__in=value or [])
        return " ".join(str(getattr(o, related_keys[name])) for o in objects)
    if f.is_relation:
        if value in (None, ""):
            return ""
        obj = value if isinstance(value, models.Model) else f.related_model._default_manager.get(pk=value)
        key = related_keys.get(name)
        return str(getattr(obj, key)) if key else str(obj.pk)
    if isinstance(f, models.BooleanField):
        return "true" if value in (True, "on", "true", "True", 1, "1") else "false"
    if value is None:
        return ""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return str(value)


def _importable(pages, name: str) -> bool:
    f = pages.model._meta.get_field(name)
    return not f.many_to_many or name in pages.related_keys


def bad_cells(pages, name: str) -> st.SearchStrategy[str]:
    """Values the import must refuse in this column, whatever the row's other values are."""
    model = pages.model
    f = model._meta.get_field(name)
    text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Zs", "Zl", "Zp"]), max_size=8)
    options = [
        st.just(OVERSIZED),
        text.map(lambda s: f"{s}\x00{s}"),  # a null character
    ]
    if not f.blank and not isinstance(f, models.BooleanField):
        options.append(st.just(""))
    if f.is_relation:
        if name in pages.related_keys:
            options.append(text.map(lambda s: f"\u00a7no such {s}"))
        else:
            options.append(st.sampled_from(["abc", "1.5", "99999999999999999999", "-99999999999999999999"]))
    elif isinstance(f, models.BooleanField):
        pass
    elif f.choices:
        options.append(text.map(lambda s: f"\u00a7{s}"))
    elif isinstance(f, models.IntegerField):
        options.append(st.sampled_from(["abc", "1.5", "99999999999999999999", "-99999999999999999999"]))
    elif isinstance(f, (models.DecimalField, models.FloatField)):
        options.append(st.sampled_from(["abc", "1,2,3", "--1"]))
    elif isinstance(f, (models.DateField, models.TimeField)):
        options.append(st.sampled_from(["2026-02-30", "2026-13-01", "99999-01-01", "not a date"]))
    elif isinstance(f, models.EmailField):
        options.append(text.map(lambda s: f"not an email {s}"))
    elif f.max_length:
        options.append(st.integers(min_value=1, max_value=50).map(lambda n: "y" * (f.max_length + n)))
    return st.one_of(options)


@dataclass
class ImportCase:
    header: list[str]
    templates: list[dict[str, str]]  # valid rows: the contract's new record, then updates of made records
    updates: list[models.Model]


def import_case(contract, world, user) -> ImportCase | None:
    """A valid import file's rows for the contract's model, or None when the model has no import to test."""
    pages = contract.pages
    model = pages.model
    hidden = policy.hidden_fields(user, model)
    allowed = [c for c in pages.columns_for_import if c not in hidden and _importable(pages, c)]
    data = contract.new_data(world) if contract.can_add else {}
    header = [c for c in allowed if c in data]
    updates = []
    if pages.import_key and pages.import_key in allowed:
        seen = set()
        for _ in range(2):
            obj = contract.in_scope(world)
            if obj.pk not in seen and model.objects.restrict(user, "change").filter(pk=obj.pk).exists():
                seen.add(obj.pk)
                updates.append(obj)
        if pages.import_key not in header:
            header.insert(0, pages.import_key)
        if not data:
            header = [c for c in allowed if c == pages.import_key or not model._meta.get_field(c).blank] or header
    templates = []
    if data:
        templates.append({c: _cell(model, c, data.get(c), pages.related_keys) for c in header})
    for obj in updates:
        templates.append({c: _cell(model, c, getattr(obj, c), pages.related_keys) for c in header})
    if not templates:
        return None
    return ImportCase(header=header, templates=templates, updates=updates)


def csv_upload(header: list[str], rows: list[dict[str, str]], name: str) -> io.BytesIO:
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(c, "") for c in header])
    upload = io.BytesIO(buffer.getvalue().encode())
    upload.name = name
    return upload


def check_import(contract, world, login) -> None:
    """Corrupt random rows of a valid file: the import writes nothing and reports exactly those lines."""
    pages = contract.pages
    model = pages.model
    user = contract.user(world, contract.writer)
    case = import_case(contract, world, user)
    if case is None:
        return
    client = login(user)
    url = reverse(pages.url_name("import"))
    good = client.post(url, {"file": csv_upload(case.header, case.templates, "valid.csv")})
    plan = good.context["plan"]
    assert plan.ok, f"the valid file for {model.__name__} is not valid: {[str(p) for p in plan.problems]}"
    key = pages.import_key

    def state():
        rows = sorted(model.objects.values_list("pk", flat=True))
        updated = [
            {f.attname: getattr(o, f.attname) for f in model._meta.concrete_fields}
            for o in model.objects.filter(pk__in=[u.pk for u in case.updates]).order_by("pk")
        ]
        return rows, updated, AuditEntry.objects.count()

    before = state()

    @PROPERTY
    @given(data=st.data())
    def corrupted_rows_are_reported(data):
        rows = [(dict(t), False) for t in case.templates]
        for _ in range(data.draw(st.integers(min_value=0, max_value=3), label="extra rows")):
            copy = dict(data.draw(st.sampled_from(case.templates), label="copy of"))
            if key:
                copy[key] = f"K{next(_keys)}"  # its own key: a copy must not collide with the row it copies
            rows.append((copy, True))
        rows = data.draw(st.permutations(rows), label="order")
        chosen = data.draw(st.sets(st.integers(min_value=0, max_value=len(rows) - 1), max_size=len(rows)))
        if not chosen and not any(bad for _row, bad in rows):
            chosen = {0}
        written = []
        for index, (row, bad) in enumerate(rows):
            if bad or index in chosen:
                columns = data.draw(st.sets(st.sampled_from(case.header), min_size=1, max_size=2), label="columns")
                for column in sorted(columns):
                    row[column] = data.draw(bad_cells(pages, column), label=column)
                bad = True
            written.append((row, bad))
        expected = {index + 2 for index, (_row, bad) in enumerate(written) if bad}
        response = client.post(url, {"file": csv_upload(case.header, [r for r, _b in written], "bad.csv")})
        assert response.status_code == 400, response.status_code
        reported = {p.line for p in response.context["plan"].problems}
        assert reported == expected, [str(p) for p in response.context["plan"].problems]
        assert response.context["token"] is None
        assert state() == before

    corrupted_rows_are_reported()


# -- ids and filters -------------------------------------------------------------------------------------

HUGE = "99999999999999999999"  # beyond 64 bits
DATE_EDGES = ("0001-01-01", "9999-12-31")
DATETIME_EDGES = ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00")


@dataclass
class Endpoint:
    """A GET endpoint: its path (``{name}`` for each id in it), its parameters, and the edge values to try."""

    path: str
    ids: list[str]
    params: list[str]
    edges: list[tuple[dict[str, str], dict[str, str]]]  # (ids, params) tried on every run
    random: bool = True  # whether random examples follow the edges
    headers: dict[str, str] = field(default_factory=dict)

    def url(self, ids: dict[str, str]) -> str:
        url = self.path
        for name, value in ids.items():
            url = url.replace("{" + name + "}", quote(value, safe="") or "0")
        return url


def _edges(ids, integers, dates, datetimes) -> list[tuple[dict, dict]]:
    """One request per integer parameter with a number beyond 64 bits, and per date with the calendar's ends."""
    plain = dict.fromkeys(ids, "1")
    edges = [({**plain, name: HUGE}, {}) for name in ids]
    edges += [(plain, {name: HUGE}) for name in integers]
    edges += [(plain, {name: value}) for name in dates for value in DATE_EDGES]
    edges += [(plain, {name: value}) for name in datetimes for value in DATETIME_EDGES]
    return edges


def page_endpoints() -> list[Endpoint]:
    """Every registered list page (its filters, page and sort), and its detail and edit pages (their id)."""
    import django_filters

    integer_filters = (
        django_filters.NumberFilter,
        django_filters.ModelChoiceFilter,
        django_filters.ModelMultipleChoiceFilter,
    )
    endpoints = []
    for p in registry:
        if "list" not in p.actions:
            continue
        url = reverse(p.url_name("list"))
        names, integers, dates, datetimes = ["page", "sort"], [], [], []
        for name, flt in (p.filterset.base_filters if p.filterset else {}).items():
            suffixes = getattr(getattr(flt.field_class, "widget", None), "suffixes", None) or [""]
            own = [f"{name}_{s}" if s else name for s in suffixes]
            names += own
            if isinstance(flt, integer_filters):
                integers += own
            elif isinstance(flt, (django_filters.DateTimeFilter, django_filters.DateTimeFromToRangeFilter)):
                datetimes += own
            elif isinstance(flt, (django_filters.DateFilter, django_filters.DateFromToRangeFilter)):
                dates += own
        edges = _edges([], integers, dates, datetimes)
        if "export" in p.actions:
            names.append("export")
            edges.append(({}, {"export": "csv", "page": HUGE}))
        # As htmx asks for it: the list's own table, without the page around it (the same filters and queries).
        endpoints.append(Endpoint(url, [], names, edges, headers={"HX-Request": "true"}))
        if "detail" in p.actions:
            endpoints.append(Endpoint(url + "{pk}/", ["pk"], [], _edges(["pk"], [], [], [])))
        if "edit" in p.actions:  # the same lookup as the detail page: its edge only
            endpoints.append(Endpoint(url + "{pk}/edit/", ["pk"], [], _edges(["pk"], [], [], []), random=False))
    return endpoints


def api_endpoints() -> list[Endpoint]:
    """Every GET operation of the API schema, with its path ids and query parameters."""
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.silent = True
    schema = SchemaGenerator().get_schema(request=None, public=True)
    endpoints = []
    for path, methods in sorted(schema["paths"].items()):
        get = methods.get("get")
        if get is None:
            continue
        ids, params, integers, dates, datetimes = [], [], [], [], []
        for param in get.get("parameters", []):
            name, kind = param["name"], param.get("schema", {})
            if kind.get("type") == "array":
                kind = kind.get("items", {})
            (ids if param["in"] == "path" else params).append(name)
            if param["in"] != "query":
                continue
            if kind.get("type") == "integer":
                integers.append(name)
            elif kind.get("format") == "date":
                dates.append(name)
            elif kind.get("format") == "date-time":
                datetimes.append(name)
        endpoints.append(Endpoint(path, ids, params, _edges(ids, integers, dates, datetimes)))
    return endpoints


def _first_allowed(client_for, users, url) -> tuple:
    """The first user (with a client signed in as them) who may read ``url``; else the first user."""
    for user in users:
        client = client_for(user)
        response = client.get(url)
        if response.status_code == 200:
            return user, client
    return users[0], client_for(users[0])


def _sweep_one(endpoint: Endpoint, user, client) -> int:
    requests = 0

    def check(ids, params):
        nonlocal requests
        requests += 1
        url = endpoint.url(ids)
        response = client.get(url, params, headers=endpoint.headers)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        assert response.status_code < 500, f"GET {url} {params!r} as {user}: {response.status_code}"

    for ids, params in endpoint.edges:
        check(ids, params)
    if not endpoint.random:
        return requests

    @PROPERTY
    @given(
        ids=st.fixed_dictionaries({name: odd_values() for name in endpoint.ids}),
        params=st.dictionaries(st.sampled_from(endpoint.params or ["unknown"]), odd_values(), min_size=1, max_size=2),
    )
    def odd_input(ids, params):
        check(ids, params)

    odd_input()
    return requests


def sweep(endpoints: list[Endpoint], users, client_for) -> int:
    """Request every endpoint with its edge values and random odd ids and parameters: never a server error.

    Each endpoint is requested as the first of ``users`` who may read it (its path up to the first id),
    so the values reach the view's own code rather than a refusal. Returns the number of requests.
    """
    requests, readers = 0, {}
    for endpoint in endpoints:
        base = endpoint.path.split("{", 1)[0]
        if base not in readers:
            readers[base] = _first_allowed(client_for, users, base)
        requests += _sweep_one(endpoint, *readers[base])
    return requests
