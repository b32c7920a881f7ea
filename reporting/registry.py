"""The report registry: each app declares its reports in ``reports.py``.

    from reporting.registry import Report, register

    register(Report(
        key="fs052", title="FS052 Membership", department="enrollment",
        formats=("txt", "csv", "tab"), levels=("state", "district", "school"),
        sources=(Enrollment, Student), build=build_fs052,
    ))

``build(ctx)`` reads the data (in SQL) and returns a :class:`BuildResult`:
the files it wrote and the validation findings. ``sources`` are the models
whose row counts and latest change times make the run's fingerprint, so a
second request for the same report, parameters and data reuses the first
run's artifacts instead of writing new ones.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

LEVELS = ("state", "district", "school")


@dataclass
class Output:
    name: str
    fmt: str
    content: bytes
    student_level: bool = False


@dataclass
class Finding:
    severity: str  # "fatal" or "warning"
    message: str
    record: str = ""
    field: str = ""


@dataclass
class BuildResult:
    outputs: list[Output] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


@dataclass
class Context:
    """What a report's build function gets: parameters, scope and a progress callback."""

    district: Any
    school_year: Any
    as_of: datetime.date
    level: str
    fmt: str
    params: dict
    progress: Callable[[int, str], None] = lambda pct, line: None
    previous_totals: dict | None = None


@dataclass
class Report:
    key: str
    title: str
    department: str
    build: Callable[[Context], BuildResult]
    formats: tuple[str, ...] = ("csv",)
    levels: tuple[str, ...] = ("district",)
    sources: tuple[type, ...] = ()
    description: str = ""
    student_level: bool = False  # whether its files hold student-level records
    certifiable: bool = False  # a state or federal file that goes through validation and certification
    default_as_of: Callable[[Any], datetime.date] | None = None  # school year -> date (e.g. October 1)


_reports: dict[str, Report] = {}


def register(report: Report) -> Report:
    if report.key in _reports and _reports[report.key] is not report:
        raise ValueError(f"A report with key {report.key!r} is already registered.")
    _reports[report.key] = report
    return report


def get(key: str) -> Report | None:
    return _reports.get(key)


def all_reports() -> list[Report]:
    return sorted(_reports.values(), key=lambda r: (r.department, r.title))


# -- who follows the runs ----------------------------------------------------------------------------

RUN_FINISHED = "finished"
RUN_CERTIFIED = "certified"
_run_listeners: list[Callable[[int, int, str], None]] = []


def on_run_event(listener: Callable[[int, int, str], None]) -> Callable[[int, int, str], None]:
    """Register ``listener(run_id, district_id, event)``, told after the commit that finished or certified a run.

    Features fed by the runs follow them this way (the KPIs read from runs,
    declared in ``reporting/kpis.py``, are recomputed at once) without the
    reporting services knowing them.
    """
    if listener not in _run_listeners:
        _run_listeners.append(listener)
    return listener


def run_event(run, event: str) -> None:
    """Tell the listeners once the current transaction commits; a failing listener is logged, the run stands."""
    import logging

    from django.db import transaction

    run_id, district_id = run.pk, run.district_id

    def tell():
        for listener in list(_run_listeners):
            try:
                listener(run_id, district_id, event)
            except Exception:  # a follower's failure must not fail the finished run
                logging.getLogger(__name__).exception("run %s %s: listener %r failed", run_id, event, listener)

    transaction.on_commit(tell)
