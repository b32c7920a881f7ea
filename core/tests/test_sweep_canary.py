"""The canary sweep (``core.testing.canary``): sensitive classes never show, nor change an answer."""

import pytest

from core.testing import canary

pytestmark = pytest.mark.django_db


def test_no_page_export_api_log_or_validation_discloses_a_sensitive_class(sweep_world):
    result = canary.run(sweep_world)
    assert result.requests > 300
    assert not result.leaks and not result.differences, "\n".join(result.leaks[:40] + result.differences[:40])


def test_the_class_administrator_does_see_the_marker(sweep_world, login, api):
    """The sweep can fail: the meal program's administrator reads the canary's meal spell and its marker."""
    result = canary.Canary(sweep_world, ["nutrition_director"])
    result.seed()
    result.seed_classes()
    (spell,) = result.records["meals"]
    markers = canary.marker_texts(canary.MARKERS["meals"])
    page = login(sweep_world.nutrition_director).get(f"/enrollment/programparticipation/{spell.pk}/")
    assert page.status_code == 200
    assert any(m in page.content.decode() for m in markers)
    body = api(sweep_world.nutrition_director).get(f"/api/enrollment/program-participations/{spell.pk}/").json()
    assert body["start_date"] in markers and body["meal_status"] == "reduced"
    # and the same check reports it as a leak for this persona
    result.leaks.clear()
    result.text_leak("nutrition_director", "detail", page, None, ["meals"])
    assert result.leaks
