"""The dashboard API: definitions, current values, snapshot history, targets, refresh and the packet."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from core.choices import Role
from core.models import ApiToken
from dashboard import registry
from dashboard.models import KpiRefresh, KpiTarget
from district.tests.factories import RoleAssignmentFactory, UserFactory

from .test_views import TODAY, snapshots_for

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"dashboard-api:{name}", args=args)


ENDPOINTS = ["kpi-list", "values", "kpisnapshot-list", "kpitarget-list", "kpirefresh-list"]


@pytest.mark.parametrize("name", ENDPOINTS)
def test_anonymous_and_stranger_are_refused(api, world, name):
    assert api().get(url(name)).status_code in (401, 403)
    assert api(world.stranger).get(url(name)).status_code == 403


def test_definitions(api, world):
    body = api(world.coo).get(url("kpi-list")).json()
    assert {d["key"] for d in body} == {k.key for k in registry.all_kpis()}
    one = api(world.coo).get(url("kpi-detail", "offer_yield")).json()
    assert one["priority"] == "family_community" and one["unit"] == "percent" and one["version"] == 1
    assert "accepted" in one["formula"]
    assert api(world.coo).get(url("kpi-detail", "nope")).status_code == 404


def test_current_values_by_scope_with_age_and_status(api, world):
    snapshots_for(world, [world.lincoln, world.washington])
    from dashboard import services

    services.kpi_target_save(
        actor=world.coo, district=world.district, kpi_key="building_utilization", school_year=world.year,
        target=60, on_track_at=55, watch_at=45, reason="Board goal",
    )  # fmt: skip
    rows = api(world.coo).get(url("values")).json()
    assert {r["kpi_key"] for r in rows} == {k.key for k in registry.all_kpis()}
    util = next(r for r in rows if r["kpi_key"] == "building_utilization")
    assert util["value"] == 50.0 and util["as_of"] == TODAY.isoformat() and util["age_seconds"] >= 0
    assert util["target"] == 60.0 and util["status"] == "watch"
    schools = api(world.coo).get(url("values"), {"scope": "school", "kpi": "building_utilization"}).json()
    assert {r["school"] for r in schools} == {world.lincoln.pk, world.washington.pk}
    earlier = api(world.coo).get(url("values"), {"as_of": (TODAY - datetime.timedelta(days=10)).isoformat()}).json()
    assert {r["as_of"] for r in earlier} == {(TODAY - datetime.timedelta(days=14)).isoformat()}


@pytest.mark.parametrize(
    "params,field",
    [
        ({"scope": "planet"}, "scope"),
        ({"kpi": "nope"}, "kpi"),
        ({"as_of": "soon"}, "as_of"),
        ({"as_of": "2999-01-01"}, "as_of"),
    ],
)
def test_current_values_bad_input(api, world, params, field):
    response = api(world.coo).get(url("values"), params)
    assert response.status_code == 400 and field in response.json()


def test_principal_reads_only_their_school(api, world):
    snapshots_for(world, [world.lincoln, world.washington])
    client = api(world.principal_lincoln)
    assert client.get(url("values")).json() == []  # district-wide rows are out of reach
    rows = client.get(url("values"), {"scope": "school"}).json()
    assert rows and {r["school"] for r in rows} == {world.lincoln.pk}
    history = client.get(url("kpisnapshot-list"), {"page_size": 500}).json()["results"]
    assert history and {r["school"] for r in history} == {world.lincoln.pk}
    assert client.get(url("packet"), {"as_of": TODAY.isoformat()}).status_code == 403


def test_snapshot_history_filters(api, world):
    snapshots_for(world, [world.lincoln])
    body = api(world.coo).get(
        url("kpisnapshot-list"),
        {"kpi_key": "offer_yield", "scope": "district", "since": (TODAY - datetime.timedelta(days=8)).isoformat()},
    )
    rows = body.json()["results"]
    assert sorted(r["as_of"] for r in rows) == [(TODAY - datetime.timedelta(days=7)).isoformat(), TODAY.isoformat()]
    assert api(world.coo).get(url("kpisnapshot-list"), {"scope": "planet"}).status_code == 400
    assert api(world.coo).post(url("kpisnapshot-list"), {}).status_code in (403, 405)  # no writes
    other = api(world.other_admin).get(url("kpisnapshot-list"))
    assert other.status_code == 403


def test_targets_through_the_api(api, world):
    body = {
        "district": world.district.pk,
        "kpi_key": "building_utilization",
        "school_year": world.year.pk,
        "target": "85",
        "on_track_at": "80",
        "watch_at": "65",
        "reason": "Board goal",
    }
    assert api(world.state_analyst).post(url("kpitarget-list"), body, format="json").status_code == 403
    assert api(world.principal_lincoln).post(url("kpitarget-list"), body, format="json").status_code == 403
    bad = api(world.coo).post(url("kpitarget-list"), {**body, "reason": "", "target": "x"}, format="json")
    assert bad.status_code == 400 and {"reason", "target"} <= set(bad.json())
    wrong = api(world.coo).post(url("kpitarget-list"), {**body, "watch_at": "95"}, format="json")
    assert wrong.status_code == 400 and "watch_at" in wrong.json()
    elsewhere = api(world.coo).post(url("kpitarget-list"), {**body, "district": world.other_district.pk}, format="json")
    assert elsewhere.status_code == 400 and "district" in elsewhere.json()
    assert not KpiTarget.objects.exists()
    made = api(world.coo).post(url("kpitarget-list"), body, format="json")
    assert made.status_code == 200 and made.json()["target"] == "85.00"
    stale = api(world.coo).post(url("kpitarget-list"), {**body, "version": 7}, format="json")
    assert stale.status_code == 409
    listed = api(world.principal_lincoln).get(url("kpitarget-list")).json()["results"]
    assert [t["kpi_key"] for t in listed] == ["building_utilization"]  # principals read targets


def test_refresh_through_the_api(api, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        response = api(world.coo).post(url("kpirefresh-list"), {"district": world.district.pk}, format="json")
    assert response.status_code == 202 and response.json()["status"] == "queued"
    job = KpiRefresh.objects.get()
    assert api(world.coo).get(url("kpirefresh-detail", job.pk)).json()["progress"] == 0
    assert api(world.state_analyst).post(url("kpirefresh-list"), {"district": world.district.pk}).status_code == 403
    future = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    bad = api(world.coo).post(url("kpirefresh-list"), {"district": world.district.pk, "as_of": future}, format="json")
    assert bad.status_code == 400 and "as_of" in bad.json()
    assert api(world.coo).post(url("kpirefresh-list"), {"district": "x"}, format="json").status_code == 400


def test_packet_through_the_api_and_token_scopes(api, world):
    snapshots_for(world, [world.lincoln])
    pdf = api(world.coo).get(url("packet"), {"as_of": TODAY.isoformat()})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert api(world.coo).get(url("packet"), {"as_of": TODAY.isoformat(), "fmt": "doc"}).status_code == 400
    assert api(world.coo).get(url("packet")).status_code == 400
    # The board portal's integration account reads what an executive reads.
    portal = UserFactory(username="board_portal", is_integration=True)
    RoleAssignmentFactory(user=portal, role=Role.EXECUTIVE, district=world.district)
    token = ApiToken(user=portal, name="board portal", scopes=["reporting:read"])
    key = token.set_new_key()
    token.save()
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get(url("values")).status_code == 403
    token.scopes = ["dashboard:read"]
    token.save()
    assert client.get(url("values")).status_code == 200
