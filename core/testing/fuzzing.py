"""API fuzzing: schemathesis over the project's own OpenAPI schema, as three kinds of caller.

The schema is the one ``/api/schema/`` serves (drf-spectacular), so every
present and future endpoint is covered. Each operation gets examples generated
from its schema (paths, query parameters and bodies, valid and not), sent
through the WSGI application in the test's own database transaction, as a
district administrator (signed in, with a CSRF token for writes), a one-school
staff member (the same) and an integration (a bearer token whose scopes name
every app). Two checks on each answer: ``not_a_server_error`` and
``response_schema_conformance`` (what came back is what the schema says).
``OPS_FUZZ_EXAMPLES`` sets the examples per operation and caller (default 2).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings as django_settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import openapi
from schemathesis.checks import not_a_server_error, response_schema_conformance

from core.models import ApiToken
from core.registry import pages as registry

from . import sweeps

EXAMPLES = int(os.environ.get("OPS_FUZZ_EXAMPLES", "2"))
CALLERS = ["district_admin", "enrollment_staff_lincoln", "sis_integration"]
CHECKS = [not_a_server_error, response_schema_conformance]


def project_schema() -> dict:
    """The OpenAPI document the project serves, as JSON."""
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    GENERATOR_STATS.silent = True
    raw = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(raw))


def credentials(user) -> tuple[dict, dict]:
    """Headers and cookies that make a request come from ``user``."""
    if user.is_integration:
        labels = {p.app_label for p in registry} | {r.model._meta.app_label for r in sweeps.api_routes()}
        token = ApiToken(user=user, name="fuzzing", scopes=[f"{label}:write" for label in sorted(labels)])
        key = token.set_new_key()
        token.save()
        return {"Authorization": f"Bearer {key}"}, {}
    client = Client()
    client.force_login(user)
    csrf = _get_new_csrf_string()
    cookies = {
        django_settings.SESSION_COOKIE_NAME: client.cookies[django_settings.SESSION_COOKIE_NAME].value,
        django_settings.CSRF_COOKIE_NAME: csrf,
    }
    return {"X-CSRFToken": csrf}, cookies


def _first_failure(exc) -> str:
    """The first failure's title and message (a group's full text repeats the schema)."""
    failures = getattr(exc, "exceptions", None) or [exc]
    first = failures[0]
    title = getattr(first, "title", type(first).__name__)
    message = getattr(first, "message", str(first))
    return f"{title}: {message}".replace("\n", " ")[:160]


@contextlib.contextmanager
def same_connection():
    """As Django's test client does: requests share the test's connection and its open transaction,
    which the start and end of each request would otherwise close (PostgreSQL)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@dataclass
class Fuzz:
    world: object
    callers: list[str]
    examples: int = EXAMPLES
    operations: int = 0
    requests: int = 0
    server_errors: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)

    def run(self):
        schema = openapi.from_dict(project_schema())
        schema.app = WSGIHandler()
        operations = [result.ok() for result in schema.get_all_operations()]
        self.operations = len(operations)
        with same_connection():
            for name in self.callers:
                headers, cookies = credentials(getattr(self.world, name))
                for operation in operations:
                    self.fuzz(name, operation, headers, cookies)

    def fuzz(self, name, operation, headers, cookies):
        @settings(
            max_examples=self.examples,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            print_blob=False,
        )
        @given(case=operation.as_strategy())
        def example(case):
            self.requests += 1
            response = case.call(headers=headers, cookies=cookies)
            where = f"{name} {case.method} {case.formatted_path}"
            self.statuses[(name, response.status_code)] += 1
            if response.status_code >= 500:
                self.server_errors.append(f"{where}: {response.status_code}")
                return
            try:
                case.validate_response(response, checks=[response_schema_conformance], headers=headers)
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - every failure is collected and reported
                answer = response.text[:200]
                self.mismatches.append(f"{where} ({response.status_code}) {answer}: {_first_failure(exc)}")

        example()


def run(world, callers=None, examples=None) -> Fuzz:
    fuzz = Fuzz(world, callers or CALLERS, examples or EXAMPLES)
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.CRITICAL)  # server errors are counted and reported below, not logged twice
    try:
        with sweeps.Timer() as timer:
            fuzz.run()
    finally:
        logger.setLevel(level)
    sweeps.report(
        "API fuzzing",
        timer.seconds,
        callers=len(fuzz.callers),
        operations=fuzz.operations,
        requests=fuzz.requests,
        server_errors=len(fuzz.server_errors),
        schema_mismatches=len(fuzz.mismatches),
    )
    return fuzz
