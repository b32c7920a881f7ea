"""What the sweeps share: every registered page and API operation, one record per kind, and their counts.

A sweep needs records of every kind at a school of its choosing. They come,
with nothing written for the sweep, from the model contracts each app's tests
already declare (``make(world, school)`` of every ``ModelContract`` subclass);
an app's ``tests/sweep_records.py`` may add or replace builders in
``BUILDERS = {Model: make}`` for models that have no contract. A registered
model (page or API) with no builder fails the sweep, naming the model.

Each sweep reports its count and time with ``report``; the suite's summary
prints them (``conftest.py``).
"""

from __future__ import annotations

import csv
import importlib
import io
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver

from core.registry import pages as registry

FULL = os.environ.get("OPS_SWEEP_FULL") == "1"

# -- counts for the summary ----------------------------------------------------------------------------

RESULTS: list[dict] = []


def report(name: str, seconds: float, **counts: int) -> str:
    """Keep a sweep's counts for the suite's summary, and return them as one line."""
    text = ", ".join(f"{value:,} {key.replace('_', ' ')}" for key, value in counts.items())
    line = f"{name}: {text} in {seconds:.1f} s"
    RESULTS.append({"name": name, "seconds": seconds, "line": line, **counts})
    print(line)
    return line


class Timer:
    def __enter__(self):
        self.started = time.monotonic()
        return self

    def __exit__(self, *exc):
        self.seconds = time.monotonic() - self.started


# -- builders ----------------------------------------------------------------------------------------------

Builder = Callable[[object, models.Model], models.Model]


def builders() -> dict[type[models.Model], Builder]:
    """One record-maker per model: the apps' model contracts, then their ``sweep_records.BUILDERS``."""
    from .contracts import ModelContract

    found: dict[type[models.Model], Builder] = {}
    extra: dict[type[models.Model], Builder] = {}
    for config in apps.get_app_configs():
        tests = Path(config.path) / "tests"
        if not tests.is_dir() or not (tests / "__init__.py").exists():
            continue
        for path in sorted(tests.glob("test_*.py")):
            if "Contract" not in path.read_text(encoding="utf-8"):
                continue
            module = importlib.import_module(f"{config.name}.tests.{path.stem}")
            for value in vars(module).values():
                if (
                    isinstance(value, type)
                    and issubclass(value, ModelContract)
                    and getattr(value, "model", None) is not None
                    and value.make is not ModelContract.make
                ):
                    found.setdefault(value.model, value.make)
        if (tests / "sweep_records.py").exists():
            module = importlib.import_module(f"{config.name}.tests.sweep_records")
            extra.update(getattr(module, "BUILDERS", {}))
    return {**found, **extra}


# -- what is registered --------------------------------------------------------------------------------------


@dataclass
class ApiRoute:
    """A model's API viewset: its list and detail paths and the methods each answers."""

    model: type[models.Model]
    list_url: str
    detail_url: str | None  # with "{pk}"
    list_methods: set[str] = field(default_factory=set)
    detail_methods: set[str] = field(default_factory=set)
    viewset: type | None = None

    def policy_action(self, action: str) -> str:
        """The policy action the viewset checks for one of its actions (a workflow may check less and
        leave the rest to its service)."""
        view = self.viewset()
        view.action = action
        return view.policy_action


def _plain(pattern) -> str:
    return str(pattern).removeprefix("^").removesuffix("$")


def _walk(patterns, prefix="", namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}:{p.namespace}" if namespace and p.namespace else (p.namespace or namespace)
            yield from _walk(p.url_patterns, prefix + _plain(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield prefix + _plain(p.pattern), namespace, p


def api_routes() -> list[ApiRoute]:
    """Every model viewset of the API (a router's ``-list`` and ``-detail`` routes)."""
    routes: dict[str, ApiRoute] = {}
    for route, namespace, p in _walk(get_resolver().url_patterns):
        cls = getattr(p.callback, "cls", None)
        actions = getattr(p.callback, "actions", None)
        if not namespace.endswith("-api") or cls is None or actions is None or not p.name:
            continue
        queryset = getattr(cls, "queryset", None)
        if queryset is None or "(?P<format>" in route or "\\.(?P" in route:
            continue
        base, _, suffix = p.name.rpartition("-")
        if suffix not in ("list", "detail"):
            continue
        key = f"{namespace}:{base}"
        path = "/" + route
        allowed = {m.upper() for m in getattr(cls, "http_method_names", ())}
        actions = {m: a for m, a in actions.items() if m.upper() in allowed}
        entry = routes.setdefault(key, ApiRoute(model=queryset.model, list_url="", detail_url=None, viewset=cls))
        if suffix == "list":
            entry.list_url = path
            entry.list_methods |= {m.upper() for m in actions}
        else:
            entry.detail_url = path.replace("(?P<pk>[^/.]+)", "{pk}")
            entry.detail_methods |= {m.upper() for m in actions}
    return [r for r in routes.values() if r.list_url]


def registered_models() -> list[type[models.Model]]:
    """Every model with pages or an API viewset, in a stable order."""
    found = {p.model for p in registry} | {r.model for r in api_routes()}
    return sorted(found, key=lambda m: m._meta.label)


# -- reading answers -----------------------------------------------------------------------------------------


def body(response) -> bytes:
    """The response's bytes (a streamed response is read once and kept)."""
    if not hasattr(response, "_sweep_body"):
        streamed = hasattr(response, "streaming_content")
        response._sweep_body = b"".join(response.streaming_content) if streamed else response.content
    return response._sweep_body


def export_ids(response) -> set[int]:
    """The ids (the first column) of a CSV export."""
    text = body(response).decode("utf-8").lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))[1:]
    return {int(row[0]) for row in rows if row and row[0].isdigit()}


def listed_ids(response) -> set[int]:
    """The ids of every row a list page's filters leave (all pages of it, not the first only)."""
    page = response.context["page"]
    return set(page.paginator.object_list.values_list("pk", flat=True))
