"""Reporting's workspace: runs with fatal findings and collections due within 30 days, exactly."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from core import workspace
from core.testing.contracts import count_queries
from reporting.models import Collection, ReportFinding, ReportRun

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def run(world, *, fatal=0, warnings=0, district=None, year=None, key="fs052", department="reporting", **extra):
    district = district or world.district
    r = ReportRun.objects.create(
        district=district,
        report_key=key,
        title=f"{key} run",
        department=department,
        school_year=year or (world.year if district == world.district else world.other_year),
        parameters={},
        fingerprint="f",
        status=extra.pop("status", "succeeded"),
        **extra,
    )
    for i in range(fatal):
        ReportFinding.objects.create(run=r, severity="fatal", message=f"Fatal {i}")
    for i in range(warnings):
        ReportFinding.objects.create(run=r, severity="warning", message=f"Warning {i}")
    return r


def collection(world, key, due_in, district=None, year=None):
    district = district or world.district
    return Collection.objects.create(
        district=district,
        name=f"{key.upper()} due in {due_in}",
        report_key=key,
        school_year=year or (world.year if district == world.district else world.other_year),
        due_date=TODAY + datetime.timedelta(days=due_in),
    )


def queue(user, key):
    space = workspace.build(user, "reporting", TODAY)
    assert space is not None
    return next(q for q in space.queues if q.queue.key == key)


def firsts(user, key):
    return [row["cells"][0] for row in queue(user, key).rows]


def test_runs_with_fatal_findings(reporting_world):
    w = reporting_world
    two_fatal = run(w, fatal=2, warnings=3)
    enrollment_run = run(w, fatal=1, key="fs039", department="enrollment")
    run(w, warnings=4)  # warnings only
    run(w, fatal=1, certification="certified")
    run(w, fatal=1, certification="amended")
    run(w, fatal=1, status="failed")
    run(w, fatal=1, district=w.other_district)

    shown = queue(w.reporting_manager, "runs-fatal-findings")
    assert shown.count == 2
    assert {row["cells"][0]: row["cells"][2] for row in shown.rows} == {two_fatal.title: 2, enrollment_run.title: 1}
    # The enrollment manager runs and reads enrollment's reports: only that one.
    assert firsts(w.enrollment_manager, "runs-fatal-findings") == [enrollment_run.title]


def test_collections_due_within_30_days(reporting_world):
    w = reporting_world
    today = collection(w, "fs052", 0)
    last_day = collection(w, "fs039", 30)
    collection(w, "fs129", 31)
    collection(w, "fs141", -1)  # already past: on the calendar as overdue
    certified = collection(w, "fs033", 10)
    run(w, key="fs033", certification="certified")
    collection(w, "fs052", 5, district=w.other_district)
    assert firsts(w.reporting_manager, "collections-due") == [today.name, last_day.name]
    assert certified.name not in firsts(w.reporting_manager, "collections-due")


def test_the_page_shows_queues_actions_and_kpi_tiles(reporting_world, login):
    w = reporting_world
    fatal = run(w, fatal=1)
    html = login(w.reporting_manager).get(reverse("workspace", args=["reporting"])).content.decode()
    assert reverse("reporting:reportrun_detail", args=[fatal.pk]) in html
    assert reverse("reporting:catalogue") in html and reverse("reporting:calendar") in html
    assert 'id="block-kpi-tiles"' in html and reverse("dashboard:overview") in html
    assert login(w.transport_manager).get(reverse("workspace", args=["reporting"])).status_code == 403


def test_query_count_does_not_grow_with_the_rows(reporting_world, client):
    w = reporting_world
    client.force_login(w.reporting_manager)
    url = reverse("workspace", args=["reporting"])

    def fill(start, n):
        for i in range(start, start + n):
            run(w, fatal=2, key=f"r{i}")
            collection(w, f"c{i}", i % 30)

    fill(0, 3)
    client.get(url)
    few = count_queries(lambda: client.get(url))
    fill(3, 27)
    many = count_queries(lambda: client.get(url))
    assert few == many
    assert queue(w.reporting_manager, "runs-fatal-findings").count == 30
