"""Snapshots: the nightly task in-process, recomputation replacing rows, the backfill command, targets."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from core.models import AuditEntry
from dashboard import registry, services
from dashboard.models import KpiRefresh, KpiSnapshot, KpiTarget
from dashboard.selectors import status_of
from dashboard.tasks import kpi_snapshots_nightly_task

from . import data

pytestmark = pytest.mark.django_db


def test_nightly_task_computes_every_kpi_for_every_district_and_scope(world):
    data.membership_world(world)
    written = kpi_snapshots_nightly_task.apply(kwargs={"today": "2026-10-01"}).get()
    assert written == KpiSnapshot.objects.count()
    keys = {k.key for k in registry.all_kpis()}
    for district in (world.district, world.other_district):
        stored = set(
            KpiSnapshot.objects.filter(district=district, scope="district", as_of=data.AS_OF).values_list(
                "kpi_key", flat=True
            )
        )
        assert stored == keys
    schools = set(KpiSnapshot.objects.filter(scope="school").values_list("school", flat=True))
    assert schools == {world.lincoln.pk, world.washington.pk}
    assert KpiSnapshot.objects.filter(scope="group", kpi_key="english_learner_share").count() >= 8
    row = KpiSnapshot.objects.get(kpi_key="building_utilization", scope="district", district=world.district)
    assert row.version == 1 and row.as_of == data.AS_OF and row.computed_at is not None


def test_recomputing_a_date_replaces_its_rows_and_keeps_other_dates(world):
    data.membership_world(world)
    services.kpi_snapshots_compute(district=world.district, as_of=data.AS_OF)
    services.kpi_snapshots_compute(district=world.district, as_of=data.AS_OF + datetime.timedelta(days=7))
    before = KpiSnapshot.objects.filter(as_of=data.AS_OF).count()
    services.kpi_snapshots_compute(district=world.district, as_of=data.AS_OF)
    assert KpiSnapshot.objects.filter(as_of=data.AS_OF).count() == before
    assert KpiSnapshot.objects.filter(as_of=data.AS_OF + datetime.timedelta(days=7)).exists()


def test_backfill_command(world):
    data.membership_world(world)
    call_command("kpi_backfill", "--from", "2026-09-01", "--to", "2026-10-01", "--every", "10", "--district", "640",
                 "--kpi", "building_utilization")  # fmt: skip
    days = sorted(KpiSnapshot.objects.filter(scope="district").values_list("as_of", flat=True).distinct())
    assert days == [datetime.date(2026, 9, d) for d in (1, 11, 21)] + [datetime.date(2026, 10, 1)]
    assert set(KpiSnapshot.objects.values_list("kpi_key", flat=True)) == {"building_utilization"}
    assert set(KpiSnapshot.objects.values_list("district", flat=True)) == {world.district.pk}


@pytest.mark.parametrize(
    "args,message",
    [
        (["--from", "2026-10-01", "--to", "2026-09-01"], "The end comes before the start."),
        (["--from", "2026-10-01", "--to", "2999-01-01"], "future"),
        (["--from", "yesterday", "--to", "2026-09-01"], "YYYY-MM-DD"),
        (["--from", "2026-09-01", "--to", "2026-09-02", "--kpi", "nope"], "No KPI nope"),
        (["--from", "2026-09-01", "--to", "2026-09-02", "--district", "999"], "No district"),
        (["--from", "2026-09-01", "--to", "2026-09-02", "--every", "0"], "at least one day"),
    ],
)
def test_backfill_refuses_bad_input_and_writes_nothing(world, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("kpi_backfill", *args)
    assert not KpiSnapshot.objects.exists()


def test_refresh_request_is_audited_reused_and_refused_for_others(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        job, reused = services.kpi_refresh_request(actor=world.coo, district=world.district)
    assert not reused and job.status == "queued"
    assert AuditEntry.objects.filter(content_type__model="kpirefresh", change="create").count() == 1
    with django_capture_on_commit_callbacks(execute=False):
        again, reused = services.kpi_refresh_request(actor=world.coo, district=world.district)
    assert reused and again.pk == job.pk
    for user in (world.principal_lincoln, world.state_analyst, world.transport_manager, world.stranger):
        with pytest.raises(PermissionDenied):
            services.kpi_refresh_request(actor=user, district=world.district)
    with pytest.raises(PermissionDenied):
        services.kpi_refresh_request(actor=world.coo, district=world.other_district)
    with pytest.raises(ValidationError):
        services.kpi_refresh_request(
            actor=world.coo, district=world.district, as_of=timezone.localdate() + datetime.timedelta(days=1)
        )
    assert KpiRefresh.objects.count() == 1


def test_refresh_execute_is_safe_to_run_twice(world):
    job = KpiRefresh.objects.create(district=world.district, as_of=data.AS_OF)
    assert services.kpi_refresh_execute(job.pk) == "succeeded"
    first = KpiSnapshot.objects.count()
    assert services.kpi_refresh_execute(job.pk) == "succeeded"
    assert KpiSnapshot.objects.count() == first
    job.refresh_from_db()
    assert "Finished" in job.log and job.progress == 100


def test_target_rules(world):
    save = services.kpi_target_save
    common = {"district": world.district, "school_year": world.year, "target": 90, "on_track_at": 85, "watch_at": 70}
    with pytest.raises(ValidationError) as err:
        save(actor=world.coo, kpi_key="building_utilization", reason="  ", **common)
    assert "reason" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        save(actor=world.coo, kpi_key="english_learner_share", reason="x", **common)
    assert "context measure" in str(err.value)
    with pytest.raises(ValidationError):
        save(actor=world.coo, kpi_key="nope", reason="x", **common)
    with pytest.raises(ValidationError) as err:
        save(actor=world.coo, kpi_key="capacity_conflicts", reason="x",
             **{**common, "target": 0, "on_track_at": 0, "watch_at": -1})  # fmt: skip
    assert "watch_at" in err.value.message_dict
    with pytest.raises(ValidationError):
        save(actor=world.coo, kpi_key="building_utilization", reason="x", **{**common, "target": "lots"})
    with pytest.raises(ValidationError):
        save(actor=world.coo, kpi_key="building_utilization", reason="x", **{**common, "school_year": world.other_year})
    for user in (world.principal_lincoln, world.state_analyst, world.transport_manager):
        with pytest.raises(PermissionDenied):
            save(actor=user, kpi_key="building_utilization", reason="x", **common)
    assert not KpiTarget.objects.exists()
    target = save(actor=world.district_admin, kpi_key="capacity_conflicts", reason="Zero conflicts",
                  **{**common, "target": 0, "on_track_at": 0, "watch_at": 3})  # fmt: skip
    assert target.direction == "lower"


def test_status_words_follow_direction_and_thresholds(world):
    higher = KpiTarget(target=90, on_track_at=85, watch_at=70, direction="higher")
    assert [status_of(v, higher, "higher") for v in (90, 85, 80, 70, 69.9, None)] == [
        "on_track", "on_track", "watch", "watch", "off_track", "no_data",
    ]  # fmt: skip
    lower = KpiTarget(target=0, on_track_at=0, watch_at=3, direction="lower")
    assert [status_of(v, lower, "lower") for v in (0, 2, 3, 4)] == ["on_track", "watch", "watch", "off_track"]
    assert status_of(12.0, None, "higher") == "no_target"
    assert status_of(12.0, higher, "context") == "context"
    assert status_of(12.0, None, "context") == "context" and status_of(None, None, "context") == "no_data"
