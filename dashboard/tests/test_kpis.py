"""Each KPI against a small data set worked out by hand (see tests/data.py), including suppression.

The figures are checked as the snapshot service stores them: values,
numerators and denominators, and which cells are withheld.
"""

import pytest

from dashboard import registry, services
from dashboard.models import KpiSnapshot

from . import data

pytestmark = pytest.mark.django_db


def stored(world, key):
    """{(scope, school name or group): (value, numerator, denominator, suppressed)} for one KPI."""
    out = {}
    for r in KpiSnapshot.objects.filter(kpi_key=key).select_related("school"):
        where = r.school.name if r.school else (f"{r.dimension}:{r.group}" if r.dimension else "district")
        out[where] = (r.value, r.numerator, r.denominator, r.suppressed)
    return out


def compute(world, key, as_of=data.AS_OF):
    services.kpi_snapshots_compute(district=world.district, as_of=as_of, keys=[key])
    return stored(world, key)


WITHHELD = (None, None, None, True)


def test_every_first_kpi_is_registered_with_a_priority_and_definition():
    keys = {k.key for k in registry.all_kpis()}
    assert {
        "building_utilization",
        "capacity_conflicts",
        "english_learner_share",
        "disability_share",
        "choice_match_rate",
        "choice_first_choice_rate",
        "choice_top3_rate",
        "offer_yield",
        "waitlist_fill",
        "collections_on_time",
        "open_fatal_findings",
    } <= keys
    for kpi in registry.all_kpis():
        assert kpi.definition and kpi.formula and kpi.source and kpi.version >= 1


def test_building_utilization(world):
    """Lincoln 15 / 30 seats, Washington 24 / 40, district 39 / 70 = 55.71%."""
    data.membership_world(world)
    rows = compute(world, "building_utilization")
    assert rows["district"] == (55.71, 39, 70, False)
    assert rows["Lincoln Elementary School"] == (50.0, 15, 30, False)
    assert rows["Washington Middle School"] == (60.0, 24, 40, False)


def test_capacity_conflicts(world):
    """No membership a year earlier: Lincoln's grade 05 is projected at grade 04's 12 against 10 seats."""
    data.membership_world(world)
    rows = compute(world, "capacity_conflicts")
    assert rows["district"][:2] == (1.0, 1)
    assert rows["Lincoln Elementary School"][:2] == (1.0, 1)
    assert rows["Washington Middle School"][:2] == (0.0, 0)
    note = KpiSnapshot.objects.get(kpi_key="capacity_conflicts", scope="district").note
    assert "No membership a year earlier" in note


def test_english_learner_share_with_groups_and_suppression(world):
    """11 of 39; by school 5/15 and 6/24.

    Sex: male 9 < 10 is withheld, and so is female, else it would follow from the total.
    Race: BL7 5/25, HI7 6/14. Meals: yes 11/20, no 0/19. IDEA: yes 7/13, no 4/26.
    """
    data.membership_world(world)
    rows = compute(world, "english_learner_share")
    assert rows["district"] == (28.21, 11, 39, False)
    assert rows["Lincoln Elementary School"] == (33.33, 5, 15, False)
    assert rows["Washington Middle School"] == (25.0, 6, 24, False)
    assert rows["sex:M"] == WITHHELD
    assert rows["sex:F"] == WITHHELD
    assert rows["race_ethnicity:BL7"] == (20.0, 5, 25, False)
    assert rows["race_ethnicity:HI7"] == (42.86, 6, 14, False)
    assert rows["meal_eligible:yes"] == (55.0, 11, 20, False)
    assert rows["meal_eligible:no"] == (0.0, 0, 19, False)
    assert rows["disability:yes"] == (53.85, 7, 13, False)
    assert rows["disability:no"] == (15.38, 4, 26, False)
    assert "english_learner:yes" not in rows  # a group is not broken down by itself


def test_disability_share_withholds_small_numerators(world):
    """13 of 39 district-wide; Lincoln's 1 of 15 is withheld, and Washington's 12/24 with it (complement).

    Groups: BL7 1/25 (small numerator), HI7 12/14 (small complement), EL 7/11 and 4/28... all withheld.
    """
    data.membership_world(world)
    rows = compute(world, "disability_share")
    assert rows["district"] == (33.33, 13, 39, False)
    assert rows["Lincoln Elementary School"] == WITHHELD
    assert rows["Washington Middle School"] == WITHHELD
    assert rows["race_ethnicity:BL7"] == WITHHELD
    assert rows["race_ethnicity:HI7"] == WITHHELD
    assert rows["english_learner:yes"] == WITHHELD
    # Nothing withheld is stored anywhere: the rows hold no number at all.
    assert not KpiSnapshot.objects.filter(suppressed=True, numerator__isnull=False).exists()


def test_choice_rates_from_the_lottery_summary_and_offers(world, settings):
    """Summary: 30 of 40 matched, 18 first choice, 27 top three.

    Groups: F 20/25 shown; X withheld by the lottery, and M (the next smallest) with it.
    Meals: no 15/22, yes 15/18. By school of first choice (initial placements only):
    Lincoln a1, a2, a7 placed of a1, a2, a5, a7 = 3/4; Washington a3, a4, a6 of 4 = 3/4.
    First choice by school placed: Lincoln ranks 1, 1, 2, 4 → 2/4; Washington 1, 3 → 1/2.
    """
    settings.OPS_SMALL_CELL = 2
    data.choice_world(world)
    match = compute(world, "choice_match_rate")
    assert match["district"] == (75.0, 30, 40, False)
    assert match["sex:F"] == (80.0, 20, 25, False)
    assert match["sex:M"] == WITHHELD
    assert match["sex:X"] == WITHHELD
    assert match["meal_eligible:yes"] == (83.33, 15, 18, False)
    assert match["Lincoln Elementary School"] == (75.0, 3, 4, False)
    assert match["Washington Middle School"] == (75.0, 3, 4, False)
    first = compute(world, "choice_first_choice_rate")
    assert first["district"] == (60.0, 18, 30, False)
    assert first["Lincoln Elementary School"] == (50.0, 2, 4, False)
    assert first["Washington Middle School"] == (50.0, 1, 2, False)
    top3 = compute(world, "choice_top3_rate")
    assert top3["district"] == (90.0, 27, 30, False)
    assert top3["Lincoln Elementary School"] == (75.0, 3, 4, False)
    assert top3["Washington Middle School"] == (100.0, 2, 2, False)


def test_offer_yield_and_waitlist_fill(world, settings):
    """Yield: Lincoln accepted a1, a2, a5 of 5 answered (a3 declined, a4 expired); Washington 1 of 1.

    District 4/6. Washington's single answer is under 2 and withheld, and Lincoln with it.
    Sex: male 0/1 withheld, and female 4/5 with it. Waitlist fill: Lincoln gave back
    2 seats and filled 1 from its waitlist = 50%; Washington gave back none (no row).
    """
    settings.OPS_SMALL_CELL = 2
    data.choice_world(world)
    yield_ = compute(world, "offer_yield")
    assert yield_["district"] == (66.67, 4, 6, False)
    assert yield_["Lincoln Elementary School"] == WITHHELD
    assert yield_["Washington Middle School"] == WITHHELD
    assert yield_["sex:M"] == WITHHELD and yield_["sex:F"] == WITHHELD
    assert yield_["race_ethnicity:BL7"] == (66.67, 4, 6, False)
    fill = compute(world, "waitlist_fill")
    assert fill["district"] == (50.0, 1, 2, False)
    assert fill["Lincoln Elementary School"] == (50.0, 1, 2, False)
    assert "Washington Middle School" not in fill


def test_choice_kpis_before_any_final_run_say_so(world):
    data.choice_world(world)
    rows = compute(world, "choice_match_rate", as_of=data.AS_OF.replace(day=1, month=9))
    assert rows == {"district": (None, None, None, False)}
    note = KpiSnapshot.objects.get(kpi_key="choice_match_rate").note
    assert "No final lottery has run" in note


def test_small_cells_with_the_default_threshold(world):
    """At 10, the choice data's schools (4 applicants each) are withheld."""
    data.choice_world(world)
    rows = compute(world, "choice_match_rate")
    assert rows["district"] == (75.0, 30, 40, False)
    assert rows["Lincoln Elementary School"] == WITHHELD
    assert rows["Washington Middle School"] == WITHHELD


def test_collections_on_time_and_open_fatal_findings(world):
    """FS052 certified before its due date, FS039 after: 1 of 2. FS141 is not due yet.

    Open fatal findings: the latest FS129 draft's 3 (the older draft's 5 are superseded).
    """
    data.reporting_world(world)
    on_time = compute(world, "collections_on_time")
    assert on_time == {"district": (50.0, 1, 2, False)}
    fatal = compute(world, "open_fatal_findings")
    assert fatal == {"district": (3.0, 3, None, False)}


def test_a_failing_kpi_is_stored_empty_with_its_error_and_the_others_still_run(world):
    def broken(ctx):
        raise RuntimeError("source table missing")

    kpi = registry.Kpi(
        key="zz_broken", name="Broken", department="enrollment", priority="operational", unit="count",
        direction="lower", definition="d", formula="f", source="s", version=1, compute=broken,
    )  # fmt: skip
    registry.register(kpi)
    try:
        services.kpi_snapshots_compute(district=world.district, as_of=data.AS_OF)
    finally:
        registry.unregister("zz_broken")
    row = KpiSnapshot.objects.get(kpi_key="zz_broken")
    assert row.value is None and "source table missing" in row.note
    assert KpiSnapshot.objects.filter(kpi_key="building_utilization", scope="district").exists()


def test_registry_refuses_bad_declarations():
    with pytest.raises(ValueError):
        registry.Kpi(
            key="x", name="x", department="enrollment", priority="nope", unit="count", direction="lower",
            definition="d", formula="f", source="s", version=1, compute=lambda c: None,
        )  # fmt: skip
    existing = registry.get("building_utilization")
    clash = registry.Kpi(**{**existing.__dict__, "compute": lambda c: None})
    with pytest.raises(ValueError):
        registry.register(clash)


def test_suppress_cells_rules():
    F = registry.Figure
    assert registry.suppress_cells({"a": F(5, 50), "b": F(5, 40), "c": F(1, 3)}, 10) == {"c", "b"}
    assert registry.suppress_cells({"a": F(5, 50), "b": F(5, 40)}, 10) == set()
    assert registry.suppress_cells({"a": F(1, 50), "b": F(20, 40)}, 10, sensitive=True) == {"a", "b"}
    assert registry.suppress_cells({"a": F(45, 50), "b": F(20, 40)}, 10, sensitive=True) == {"a", "b"}
