"""The demo district's dashboard works on day one: targets for every KPI, the lottery's figures, the packet."""

import io

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.models import User
from dashboard import registry
from dashboard.choices import Direction, Status
from dashboard.demo import goal
from dashboard.models import KpiSnapshot, KpiTarget
from dashboard.services import school_year_for
from district.models import District, SchoolYear
from enrollment.models import LotteryRun
from enrollment.tests.test_demo import seed_demo

from .test_packet import pdf_text

CHOICE_KPIS = ("choice_match_rate", "choice_first_choice_rate", "choice_top3_rate", "offer_yield")


@pytest.fixture(scope="class")
def demo(django_db_setup, django_db_blocker):
    """One small build (two districts) shared by the class, rolled back afterwards."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield seed_demo()
        transaction.set_rollback(True)


@pytest.mark.django_db
@pytest.mark.usefixtures("demo")
class TestDemoDashboard:
    def test_every_kpi_with_a_direction_has_a_target_with_its_reason_for_each_year_begun(self, demo):
        today = timezone.localdate()
        directed = {k.key for k in registry.all_kpis() if k.direction != Direction.CONTEXT}
        assert directed and "dashboard:" in demo and "KPI targets" in demo
        for district in District.objects.all():
            for year in SchoolYear.objects.filter(district=district, start_date__lte=today):
                rows = KpiTarget.objects.filter(district=district, school_year=year)
                assert set(rows.values_list("kpi_key", flat=True)) == directed, (district, year)
                assert all(r.reason.startswith("Board goal for") for r in rows)
            assert not KpiTarget.objects.filter(district=district, school_year__start_date__gt=today).exists()
        contexts = {k.key for k in registry.all_kpis() if k.direction == Direction.CONTEXT}
        assert not KpiTarget.objects.filter(kpi_key__in=contexts).exists()

    def test_the_final_lottery_gives_the_choice_kpis_their_values(self):
        today = timezone.localdate()
        for district in District.objects.all():
            assert LotteryRun.objects.filter(window__district=district, kind="final").count() == 1
        first = District.objects.order_by("pk").first()
        for key in CHOICE_KPIS:
            row = KpiSnapshot.objects.get(district=first, kpi_key=key, scope="district", as_of=today)
            assert row.value is not None and not row.suppressed and not row.note, (key, row.note)

    def test_the_coo_sees_a_status_in_words_on_every_tile_with_a_value(self, client):
        coo = User.objects.get(username="coo")
        client.force_login(coo)
        body = client.get(reverse("dashboard:overview")).content.decode()
        assert str(Status.NO_TARGET.label) not in body
        words = [str(s.label) for s in (Status.ON_TRACK, Status.WATCH, Status.OFF_TRACK)]
        assert sum(body.count(f'">{w}</span>') for w in words) >= 6
        assert f'class="status context">{Status.CONTEXT.label}</span>' in body

    def test_the_board_packet_downloads_on_the_demo_data(self, client):
        client.force_login(User.objects.get(username="coo"))
        today = timezone.localdate().isoformat()
        pdf = client.get(reverse("dashboard:packet"), {"as_of": today, "fmt": "pdf"})
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        text = pdf_text(pdf.content)
        district = District.objects.order_by("pk").first()
        assert district.name in text and "Choice match rate" in text
        year = school_year_for(district, timezone.localdate())
        target = KpiTarget.objects.get(district=district, school_year=year, kpi_key="choice_match_rate")
        assert f"{target.target:.1f}%" in text
        xlsx = client.get(reverse("dashboard:packet"), {"as_of": today, "fmt": "xlsx"})
        assert xlsx.status_code == 200
        assert "Summary" in load_workbook(io.BytesIO(xlsx.content)).sheetnames


@pytest.mark.parametrize(
    ("direction", "unit", "value", "expected"),
    [
        ("higher", "percent", 89.7, ("95.00", "90.00", "80.00")),  # a little better than today, rounded
        ("higher", "percent", 99.0, ("100.00", "95.00", "85.00")),  # a share cannot pass 100
        ("higher", "percent", None, ("90.00", "85.00", "75.00")),
        ("lower", "count", 84.0, ("60.00", "60.00", "75.00")),
        ("lower", "count", 0.0, ("0.00", "0.00", "5.00")),
    ],
)
def test_demo_goals(direction, unit, value, expected):
    kpi = registry.Kpi(
        key="k", name="k", department="reporting", priority="operational", unit=unit, direction=direction,
        definition="", formula="", source="", version=1, compute=lambda ctx: None,
    )  # fmt: skip
    assert tuple(str(v) for v in goal(kpi, value)) == expected
