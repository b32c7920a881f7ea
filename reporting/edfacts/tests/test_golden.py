"""Golden files: the hand-checked data set written in every format and level, compared byte for byte.

The golden files were written by hand as CSV (each count and subtotal added
up by hand from ``data.MEMBERSHIP``), then converted to tab and fixed width
by padding to the widths of the shared layout reference, not by this
package. So a match checks the builders, the writer and the layout data.
"""

import pytest

from reporting.edfacts import FORMATS, fs039, fs052, fs129, get_spec, parse, validate, write

from .data import CCD_SCHOOLS, GRADES_OFFERED, MEMBERSHIP, golden, header

CASES = [
    ("fs052_sch", "052", "SCH", lambda: fs052.build(MEMBERSHIP, "SCH")),
    ("fs052_lea", "052", "LEA", lambda: fs052.build(MEMBERSHIP, "LEA")),
    ("fs052_sea", "052", "SEA", lambda: fs052.build(MEMBERSHIP, "SEA")),
    ("fs039_sch", "039", "SCH", lambda: fs039.build(GRADES_OFFERED, "SCH")),
    ("fs039_lea", "039", "LEA", lambda: fs039.build(GRADES_OFFERED, "LEA")),
    ("fs129_sch", "129", "SCH", lambda: fs129.build(CCD_SCHOOLS)),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("name", "number", "level", "build"), CASES, ids=[c[0] for c in CASES])
def test_written_file_matches_golden_bytes(name, number, level, build, fmt):
    spec = get_spec(number, level)
    built = build()
    assert built.findings == []
    assert write(spec, built.records, fmt, header(spec, fmt)) == golden(name, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("name", "number", "level", "build"), CASES, ids=[c[0] for c in CASES])
def test_golden_file_validates_clean_and_reads_back(name, number, level, build, fmt):
    spec = get_spec(number, level)
    data = golden(name, fmt)
    assert validate(spec, data, fmt) == []
    parsed = parse(spec, data, fmt)
    assert parsed.findings == []
    assert parsed.header["file_type"] == spec.file_type
    assert parsed.header["file_name"].endswith("." + fmt)
    expected = [
        {"record_number": str(i), **{k: str(v) for k, v in r.items()}} for i, r in enumerate(build().records, 1)
    ]
    assert [{k: v for k, v in rec.items() if v} for rec in parsed.records] == [
        {k: v for k, v in rec.items() if v} for rec in expected
    ]


def test_every_record_ends_in_crlf_and_fixed_records_have_layout_length():
    for name, number, level, _build in CASES:
        spec = get_spec(number, level)
        data = golden(name, "txt")
        assert data.endswith(b"\r\n")
        lines = data.split(b"\r\n")[:-1]
        assert b"\n" not in b"".join(lines) and b"\r" not in b"".join(lines)
        assert {len(line) for line in lines} == {spec.record_length}


def test_record_lengths_match_the_spec_text():
    # specs.md 1.4, 1.6, 1.7: data characters before the terminator.
    assert get_spec("052", "SCH").record_length == 324
    assert get_spec("039", "LEA").record_length == 282
    assert get_spec("129", "SCH").record_length == 323


def test_spec_worked_example_record_is_reproduced():
    # The FS052 worked example of specs.md 1.4, field by field.
    spec = get_spec("052", "SCH")
    built = fs052.build([("0640011", "0646411", "09", "HI7", "F", 123)], "SCH")
    data = write(spec, built.records[:1], "txt", header(spec, "txt"))
    record = data.split(b"\r\n")[1].decode()
    expected = (
        "1".ljust(10) + "09" + "01" + "0640011".ljust(14) + "0646411".ljust(20) + "MEMBER".ljust(20)
        + "09".ljust(15) + "HI7".ljust(15) + "F".ljust(15) + "N" + " " * 200 + "123".ljust(10)
    )  # fmt: skip
    assert record == expected
    assert len(record) == 324
