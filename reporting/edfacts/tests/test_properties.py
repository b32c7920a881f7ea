"""Properties on random membership data: totals are the sums of the details, and the files validate."""

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from reporting.edfacts import FORMATS, LEVELS, check_rollup, fs052, get_spec, parse, permitted, validate, write

from .data import header

SCHOOLS = [("0640011", "0646411"), ("0640011", "0646412"), ("0650011", "0656511"), ("0650011", "0656512")]

rows = st.lists(
    st.tuples(
        st.sampled_from(SCHOOLS),
        st.sampled_from(permitted("grade")),
        st.sampled_from(permitted("race")),
        st.sampled_from(permitted("sex", sex_x=True)),
        st.integers(min_value=0, max_value=500),
    ).map(lambda t: (*t[0], *t[1:])),
    max_size=60,
)


def sums(records, keep):
    """Counts of the CSA records, projected on the ``keep`` categories, computed here independently."""
    total = Counter()
    for r in records:
        if r["total_indicator"] == "N":
            total[tuple(r.get(k) or "" for k in keep)] += int(r["student_count"])
    return total


@settings(max_examples=60, deadline=None)
@given(rows=rows, fmt=st.sampled_from(FORMATS), sex_x=st.booleans())
def test_totals_equal_sum_of_details_and_file_validates(rows, fmt, sex_x):
    usable = [r for r in rows if sex_x or r[4] != "X"]
    by_level = {}
    for level in LEVELS:
        spec = get_spec("052", level)
        built = fs052.build(rows, level, sex_x=sex_x)
        assert {f.code for f in built.findings} == (set() if len(usable) == len(rows) else {"unknown_code"})
        data = write(spec, built.records, fmt, header(spec, fmt))
        findings = validate(spec, data, fmt, sex_x=sex_x)
        assert [f for f in findings if f.severity == "fatal"] == []
        records = parse(spec, data, fmt).records
        by_level[level] = records
        unit_key = {"SEA": None, "LEA": "lea_id", "SCH": "school_id"}[level]
        units = {r.get(unit_key, "") if unit_key else "" for r in records}
        for unit in units:
            mine = [r for r in records if (r.get(unit_key, "") if unit_key else "") == unit]
            subtotals = {
                ("grade", "race"): "Y", ("grade", "sex"): "Y", ("race", "sex"): "Y", ("grade",): "Y", (): "Y",
            }  # fmt: skip
            for keep in subtotals:
                expected = sums(mine, keep)
                written = Counter()
                for r in mine:
                    filled = tuple(k for k in ("grade", "race", "sex") if r.get(k))
                    if r["total_indicator"] == "Y" and filled == keep:
                        key = tuple(r[k] for k in keep)
                        assert key not in written, "a subtotal is written twice"
                        written[key] = int(r["student_count"])
                assert +written == +expected
        # The state total is every usable input count.
        if level == "SEA" and records:
            assert int(records[-1]["student_count"]) == sum(r[5] for r in usable)
    assert check_rollup(get_spec("052", "SCH"), by_level["SCH"], get_spec("052", "LEA"), by_level["LEA"]) == []
    assert check_rollup(get_spec("052", "LEA"), by_level["LEA"], get_spec("052", "SEA"), by_level["SEA"]) == []


@settings(max_examples=40, deadline=None)
@given(rows=rows, sex_x=st.booleans())
def test_one_pass_over_all_levels_equals_one_build_per_level(rows, sex_x):
    together = fs052.build_levels(rows, sex_x=sex_x)
    assert list(together) == ["SEA", "LEA", "SCH"]
    for level, built in together.items():
        alone = fs052.build(rows, level, sex_x=sex_x)
        assert built.records == alone.records
        assert built.findings == alone.findings


@settings(max_examples=40, deadline=None)
@given(rows=rows, fmt=st.sampled_from(FORMATS), data=st.data())
def test_changing_any_count_is_caught(rows, fmt, data):
    spec = get_spec("052", "SCH")
    built = fs052.build(rows, "SCH", sex_x=True)
    if not built.records:
        return
    index = data.draw(st.integers(min_value=0, max_value=len(built.records) - 1))
    records = [dict(r) for r in built.records]
    records[index]["student_count"] += data.draw(st.integers(min_value=1, max_value=9))
    findings = validate(spec, write(spec, records, fmt, header(spec, fmt)), fmt, sex_x=True)
    assert {f.code for f in findings} == {"subtotal"}
