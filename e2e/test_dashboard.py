"""In a real browser: the COO opens a KPI from the dashboard, drills into a school, and sees only aggregates.

Meal eligibility appears as a district-wide group count with small groups
withheld; no student, and no student's meal status, appears on any page.
"""

import pytest
from django.utils import timezone

from dashboard import services
from dashboard.tests import data
from enrollment.models import Student

from .test_schools import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_coo_opens_a_kpi_drills_into_a_school_and_sees_only_aggregates(world, page, sign_in, live_server):
    data.membership_world(world)
    services.kpi_snapshots_compute(district=world.district, as_of=timezone.localdate())
    names = list(Student.objects.values_list("legal_last_name", flat=True))

    sign_in(world.coo)
    page.goto(f"{live_server.url}/dashboard/")
    assert page.get_by_role("heading", name="Family & Community Partnerships").is_visible()
    assert page.get_by_text("No KPI yet. The departments that will feed this priority:").first.is_visible()
    assert not axe_violations(page)

    page.get_by_role("link", name="English learners").click()
    assert page.get_by_role("heading", name="English learners", level=1).is_visible()
    assert page.get_by_role("img", name="English learners over time").is_visible()
    meals = page.get_by_role("table", name="Eligible for free or reduced-price meals")
    assert "55.0%" in meals.inner_text()  # 11 of the 20 meal-eligible students are English learners
    assert "Withheld (small group)" in page.get_by_role("table", name="Sex").inner_text()
    assert not axe_violations(page)

    page.get_by_role("link", name="Lincoln Elementary School").click()
    assert page.get_by_role("heading", name="Lincoln Elementary School", level=1).is_visible()
    text = page.inner_text("main")
    assert "33.3%" in text  # 5 of Lincoln's 15 students
    assert not any(name in text for name in names)
    assert "direct certification" not in text.lower() and "reduced price" not in text.lower()
    assert not axe_violations(page)
