"""Dashboard pages: who may open what, what they show, flat query counts, targets, refresh and the packet."""

import datetime
import io

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEntry
from core.testing.contracts import count_queries
from dashboard import registry, services
from dashboard.models import KpiRefresh, KpiSnapshot, KpiTarget
from district.models import School

from . import data

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def snapshots_for(world, schools, days=(0, 7, 14), value=50.0):
    """District rows for every KPI on three dates, and a school row per school on each."""
    now = timezone.now()
    rows = []
    for back in days:
        day = TODAY - datetime.timedelta(days=back)
        for kpi in registry.all_kpis():
            rows.append(
                KpiSnapshot(kpi_key=kpi.key, version=kpi.version, district=world.district, scope="district",
                            value=value + back, numerator=1, denominator=2, as_of=day, computed_at=now)
            )  # fmt: skip
            for school in schools:
                rows.append(
                    KpiSnapshot(kpi_key=kpi.key, version=kpi.version, district=world.district, scope="school",
                                school=school, value=value, numerator=5, denominator=10, as_of=day, computed_at=now)
                )  # fmt: skip
            rows.append(
                KpiSnapshot(kpi_key=kpi.key, version=kpi.version, district=world.district, scope="group",
                            dimension="meal_eligible", group="yes", value=40.0, numerator=8, denominator=20,
                            as_of=day, computed_at=now)
            )  # fmt: skip
    KpiSnapshot.objects.bulk_create(rows, batch_size=2000)


def more_schools(world, n):
    School.objects.bulk_create(
        [School(district=world.district, name=f"School {i:03d}", state_school_id=f"77{i:05d}") for i in range(n)]
    )
    return list(School.objects.filter(district=world.district))


# -- access ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,args",
    [
        ("dashboard:overview", []),
        ("dashboard:kpi", ["building_utilization"]),
        ("dashboard:targets", []),
        ("dashboard:packet", []),
    ],
)
def test_anonymous_is_sent_to_sign_in_and_stranger_refused(client, world, name, args):
    url = reverse(name, args=args)
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(world.stranger)
    assert client.get(url).status_code == 403


def test_department_staff_of_another_department_are_refused(login, world):
    client = login(world.transport_manager)
    assert client.get(reverse("dashboard:overview")).status_code == 403
    assert client.get(reverse("dashboard:school", args=[world.lincoln.pk])).status_code == 403


def test_principal_sees_only_their_own_school(login, world):
    snapshots_for(world, [world.lincoln, world.washington])
    client = login(world.principal_lincoln)
    response = client.get(reverse("dashboard:overview"))
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:school", args=[world.lincoln.pk])
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Lincoln Elementary School" in page.content.decode()
    assert "50.0%" in page.content.decode()
    assert client.get(reverse("dashboard:school", args=[world.washington.pk])).status_code == 404
    assert client.get(reverse("dashboard:school", args=[world.other_school.pk])).status_code == 404
    assert client.get(reverse("dashboard:kpi", args=["building_utilization"])).status_code == 403
    assert client.get(reverse("dashboard:packet"), {"as_of": TODAY, "fmt": "xlsx"}).status_code == 403
    # The district-wide rows are out of the principal's reach altogether.
    assert not KpiSnapshot.objects.restrict(world.principal_lincoln).filter(school__isnull=True).exists()
    assert set(KpiSnapshot.objects.restrict(world.principal_lincoln).values_list("school", flat=True)) == {
        world.lincoln.pk
    }


def test_other_district_is_not_found(login, world):
    client = login(world.coo)
    assert client.get(reverse("dashboard:overview"), {"district": world.other_district.pk}).status_code == 404


# -- what the pages show ------------------------------------------------------------------------------


def test_coo_view_shows_every_priority_tiles_and_says_when_a_priority_has_none(login, world):
    snapshots_for(world, [world.lincoln])
    year = world.year
    services.kpi_target_save(
        actor=world.coo, district=world.district, kpi_key="building_utilization", school_year=year,
        target=85, on_track_at=80, watch_at=60, reason="Board goal",
    )  # fmt: skip
    body = login(world.coo).get(reverse("dashboard:overview")).content.decode()
    for priority in ("Teaching &amp; Learning", "Family &amp; Community Partnerships", "Operational Effectiveness"):
        assert priority in body
    # Teaching & learning and culture & climate have no KPI yet: each names the departments that will feed it.
    assert body.count("No KPI yet. The departments that will feed this priority:") == 2
    assert (
        "The departments that will feed this priority: Transportation, Food and Child Nutrition Services, Facilities."
        in body
    )
    assert "The departments that will feed this priority: Athletics, Facilities, Transportation." in body
    assert "Building utilization" in body and "target 85.0%" in body
    assert "Off track" in body  # 50 against an on-track threshold of 80 and a watch threshold of 60
    assert "<svg" in body and 'role="img"' in body and "<title" in body
    assert "computed" in body and "ago" in body


def test_department_filter(login, world):
    snapshots_for(world, [world.lincoln])
    body = login(world.coo).get(reverse("dashboard:overview"), {"department": "reporting"}).content.decode()
    assert "Collections certified on time" in body
    assert "Building utilization" not in body
    assert body.count("Reporting and Accountability has no KPI for this priority yet.") == 3
    assert "will feed this priority" not in body


def test_the_empty_priority_text_names_the_departments_in_the_reader_s_language(login, world):
    snapshots_for(world, [world.lincoln])
    body = login(world.coo).get(reverse("dashboard:overview"), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Deportes, Instalaciones, Transporte" in body  # culture & climate, in Spanish department names
    assert "Athletics" not in body


def test_bad_filters_are_refused_with_field_errors(login, world):
    client = login(world.coo)
    future = (TODAY + datetime.timedelta(days=3)).isoformat()
    response = client.get(reverse("dashboard:overview"), {"as_of": future})
    assert response.status_code == 400 and "The date is in the future." in response.content.decode()
    response = client.get(reverse("dashboard:packet"), {"as_of": "yesterday", "fmt": "pdf"})
    assert response.status_code == 400
    assert client.get(reverse("dashboard:kpi", args=["no_such_kpi"])).status_code == 404


def test_kpi_page_real_figures_groups_suppressed_and_records_link(login, world):
    data.membership_world(world)
    services.kpi_snapshots_compute(district=world.district, as_of=data.AS_OF)
    response = login(world.coo).get(
        reverse("dashboard:kpi", args=["english_learner_share"]), {"as_of": data.AS_OF.isoformat()}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "28.2%" in body  # 11 of 39
    assert "33.3%" in body and "25.0%" in body  # Lincoln, Washington
    assert body.count("Withheld (small group)") == 2  # female and male
    assert "Eligible for free or reduced-price meals" in body and "55.0%" in body
    assert "/enrollment/programparticipation/?program=el" in body
    assert "students in membership in the English learner program" in body
    # Aggregates only: no student's name is anywhere on the page.
    student = data.m.Student.objects.first()
    assert student.legal_last_name not in body


def test_data_quality_note_names_missing_inputs(login, world):
    data.membership_world(world)
    School.objects.create(district=world.district, name="Annex", state_school_id="6400099")
    annex = School.objects.get(name="Annex")
    from enrollment.tests.factories import EnrollmentFactory

    EnrollmentFactory(school=annex, school_year=world.year, entry_date=data.START)
    services.kpi_snapshots_compute(district=world.district, as_of=data.AS_OF)
    body = login(world.coo).get(reverse("dashboard:kpi", args=["building_utilization"]), {"as_of": "2026-10-01"})
    assert "1 school(s) have students but no capacity recorded" in body.content.decode()


def test_query_counts_are_flat_from_3_to_300_schools(login, world):
    client = login(world.coo)
    snapshots_for(world, [world.lincoln, world.washington])
    urls = [
        reverse("dashboard:overview"),
        reverse("dashboard:kpi", args=["building_utilization"]),
        reverse("dashboard:school", args=[world.lincoln.pk]),
        reverse("dashboard-api:values") + "?scope=school",
    ]
    cache.clear()  # measure the rendering, not the cached copy
    small = {url: count_queries(lambda u=url: client.get(u)) for url in urls}
    KpiSnapshot.objects.all().delete()
    cache.clear()
    schools = more_schools(world, 298)
    assert len(schools) == 300
    snapshots_for(world, schools)
    large = {url: count_queries(lambda u=url: client.get(u)) for url in urls}
    assert small == large
    assert small[reverse("dashboard:overview")] <= 15


def test_the_cached_view_is_replaced_when_snapshots_or_targets_change(login, world):
    data.membership_world(world)
    client = login(world.coo)
    services.kpi_snapshots_compute(district=world.district, as_of=TODAY)
    first = client.get(reverse("dashboard:overview")).content.decode()
    assert "55.7%" in first
    again = count_queries(lambda: client.get(reverse("dashboard:overview")))
    assert again < count_queries(lambda: (cache.clear(), client.get(reverse("dashboard:overview"))))
    services.kpi_target_save(
        actor=world.coo, district=world.district, kpi_key="building_utilization", school_year=world.year,
        target=50, on_track_at=50, watch_at=40, reason="Board goal",
    )  # fmt: skip
    assert "target 50.0%" in client.get(reverse("dashboard:overview")).content.decode()
    data.m.Enrollment.objects.filter(school=world.washington).delete()
    services.kpi_snapshots_compute(district=world.district, as_of=TODAY)
    assert "50.0%" in client.get(reverse("dashboard:overview")).content.decode()  # Lincoln alone: 15 / 30


# -- targets -------------------------------------------------------------------------------------------


def test_coo_sets_a_target_with_a_reason_and_the_history_keeps_it(login, world):
    client = login(world.coo)
    url = reverse("dashboard:target_edit", args=["building_utilization"])
    assert client.get(url).status_code == 200
    response = client.post(url, {"school_year": world.year.pk, "target": "90", "on_track_at": "85",
                                 "watch_at": "70", "reason": ""})  # fmt: skip
    assert response.status_code == 400 and not KpiTarget.objects.exists()
    response = client.post(url, {"school_year": world.year.pk, "target": "90", "on_track_at": "60",
                                 "watch_at": "70", "reason": "Board goal"})  # fmt: skip
    assert response.status_code == 400 and "watch threshold cannot exceed" in response.content.decode()
    assert not KpiTarget.objects.exists()
    response = client.post(url, {"school_year": world.year.pk, "target": "90", "on_track_at": "85",
                                 "watch_at": "70", "reason": "Board goal for 2026-27"})  # fmt: skip
    assert response.status_code == 302
    target = KpiTarget.objects.get()
    response = client.post(url, {"school_year": world.year.pk, "target": "88", "on_track_at": "85", "watch_at": "70",
                                 "reason": "Two schools consolidated", "version": target.version})  # fmt: skip
    assert response.status_code == 302
    entries = AuditEntry.objects.filter(content_type__model="kpitarget").order_by("timestamp", "id")
    assert [e.change for e in entries] == ["create", "update"]
    assert entries[1].changes["reason"] == ["Board goal for 2026-27", "Two schools consolidated"]
    assert entries[1].changes["target"] == ["90.00", "88.00"]
    page = client.get(url + f"?school_year={world.year.pk}").content.decode()
    assert "Two schools consolidated" in page


def test_stale_target_version_is_refused(login, world):
    client = login(world.coo)
    services.kpi_target_save(
        actor=world.coo, district=world.district, kpi_key="offer_yield", school_year=world.year,
        target=80, on_track_at=75, watch_at=60, reason="First",
    )  # fmt: skip
    url = reverse("dashboard:target_edit", args=["offer_yield"])
    response = client.post(url, {"school_year": world.year.pk, "target": "70", "on_track_at": "65", "watch_at": "50",
                                 "reason": "Second", "version": 99})  # fmt: skip
    assert response.status_code == 400 and "Someone else changed" in response.content.decode()
    assert KpiTarget.objects.get().target == 80


def test_only_executives_and_administrators_set_targets(login, world):
    url = reverse("dashboard:target_edit", args=["building_utilization"])
    assert login(world.state_analyst).get(url).status_code == 403
    assert login(world.principal_lincoln).get(url).status_code == 403
    assert login(world.district_admin).get(url).status_code == 200
    assert login(world.coo).get(reverse("dashboard:target_edit", args=["english_learner_share"])).status_code == 404


# -- refresh now ----------------------------------------------------------------------------------------


def test_refresh_now_queues_the_job_which_then_shows_progress(login, world, django_capture_on_commit_callbacks):
    from dashboard.tasks import kpi_refresh_task

    data.membership_world(world)
    client = login(world.coo)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("dashboard:refresh"), {"district": world.district.pk})
    job = KpiRefresh.objects.get()
    assert len(callbacks) == 1  # the task is sent after commit
    assert response["Location"] == reverse("dashboard:refresh_status", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Queued" in page and 'hx-trigger="every 2s"' in page
    # Asked again while it waits: the same job.
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("dashboard:refresh"), {"district": world.district.pk})
    assert KpiRefresh.objects.count() == 1
    kpi_refresh_task.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == "succeeded" and job.progress == 100 and job.snapshots > 0
    page = client.get(response["Location"]).content.decode()
    assert "<progress" in page and "Succeeded" in page and "every 2s" not in page
    assert KpiSnapshot.objects.filter(as_of=TODAY, kpi_key="building_utilization", scope="district").exists()
    # Principals and the state role may not refresh.
    login(world.principal_lincoln).post(reverse("dashboard:refresh"), {"district": world.district.pk})
    login(world.state_analyst).post(reverse("dashboard:refresh"), {"district": world.district.pk})
    assert KpiRefresh.objects.count() == 1


# -- the board packet ----------------------------------------------------------------------------------


def test_board_packet_pdf_and_xlsx(login, world):
    data.membership_world(world)
    services.kpi_snapshots_compute(district=world.district, as_of=data.AS_OF)
    client = login(world.coo)
    pdf = client.get(reverse("dashboard:packet"), {"as_of": "2026-10-01", "fmt": "pdf"})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and len(pdf.content) > 5000
    assert 'filename="board-packet-640-2026-10-01.pdf"' in pdf["Content-Disposition"]
    xlsx = client.get(reverse("dashboard:packet"), {"as_of": "2026-10-01", "fmt": "xlsx"})
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(xlsx.content))
    assert {"Summary", "Schools", "Student groups", "Trend", "Definitions"} <= set(book.sheetnames)
    summary = list(book["Summary"].iter_rows(values_only=True))
    assert any(row[1] == "Building utilization" and row[3] == 55.71 for row in summary)
    groups = list(book["Student groups"].iter_rows(values_only=True))
    withheld = [row for row in groups if row[0] == "english_learner_share" and row[1] == "Sex"]
    assert withheld and all(row[3] is None and row[-1] == "yes" for row in withheld)
    names = set(data.m.Student.objects.values_list("legal_last_name", flat=True))
    cells = {str(c) for sheet in book for row in sheet.iter_rows(values_only=True) for c in row if c is not None}
    assert not names & cells


def test_board_packet_xlsx_carries_no_live_formulas(login, world):
    """A school named like a formula appears as text: every text cell is a string cell, formula text neutralised."""
    from openpyxl import load_workbook

    world.washington.name = '=HYPERLINK("http://x.example")'
    world.washington.save()
    data.membership_world(world)
    services.kpi_snapshots_compute(district=world.district, as_of=data.AS_OF)
    xlsx = login(world.coo).get(reverse("dashboard:packet"), {"as_of": "2026-10-01", "fmt": "xlsx"})
    cells = [c for sheet in load_workbook(io.BytesIO(xlsx.content)) for row in sheet.iter_rows() for c in row]
    assert not [c for c in cells if c.data_type == "f"]
    assert '\'=HYPERLINK("http://x.example")' in {c.value for c in cells if c.data_type == "s"}
