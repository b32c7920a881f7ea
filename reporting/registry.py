"""The report registry: each app declares its reports in ``reports.py``.

    from reporting.registry import Report, register

    register(Report(
        key="fs052", title=gettext_lazy("FS052 Membership"), department="enrollment",
        formats=("txt", "csv", "tab"), levels=("state", "district", "school"),
        sources=(Enrollment, Student), build=build_fs052,
    ))

``build(ctx)`` reads the data (in SQL) and returns a :class:`BuildResult`:
the files it wrote, the validation findings and its totals. A finding about
records names them (``model`` as ``app_label.model_name`` and their ids), so
the run page links it to the list of exactly those records; ``students`` is
the number of students it covers. A report that leaves students out of its
files lists every one of them, with the reason, in findings whose code is
``left_out`` (or in a sheet of its own file). ``sources`` are the models
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


LEFT_OUT = "left_out"
"""The code of a finding listing students a report's files leave out."""


@dataclass
class Finding:
    severity: str  # "fatal" or "warning"
    message: str
    record: str = ""
    field: str = ""
    code: str = ""
    model: str = ""  # "enrollment.student", "district.school": the records ``ids`` name
    ids: tuple[int, ...] = ()
    students: int | None = None  # how many students the finding covers


@dataclass
class BuildResult:
    outputs: list[Output] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    # Named counts shown on the run page, e.g. {"membership": 15497, "reported": 15451, "left_out": 46}.
    totals: dict[str, int] = field(default_factory=dict)


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
    # Per report key, the sex values its file may carry and what becomes of other students:
    # {"fs052": {"sex_values": ["M", "F"], "others": "block", "spec_version": "SY 2022-23"}}.
    sex_rules: dict[str, dict] = field(default_factory=dict)


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
    # A file to a state or federal specification: the version it is written to, and the sex
    # values that version permits unless a setting of the district says otherwise (None: the
    # file carries no sex).
    spec_version: str = ""
    sex_values: tuple[str, ...] | None = None


_reports: dict[str, Report] = {}


def register(report: Report) -> Report:
    if report.key in _reports and _reports[report.key] is not report:
        raise ValueError(f"A report with key {report.key!r} is already registered.")
    _reports[report.key] = report
    return report


def get(key: str) -> Report | None:
    return _reports.get(key)


def all_reports() -> list[Report]:
    return sorted(_reports.values(), key=lambda r: (r.department, str(r.title)))


def departments() -> set[str]:
    """The departments whose reports are registered (those whose managers run and read them)."""
    return {r.department for r in _reports.values()}


def unregister(key: str) -> None:
    """Forget a report (tests that register one of their own)."""
    _reports.pop(key, None)


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
