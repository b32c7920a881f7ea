"""The parser reads all three formats back and reports what it cannot read instead of raising."""

import pytest

from reporting.edfacts import FORMATS, get_spec, parse

from .data import golden

SCH = get_spec("052", "SCH")


def codes(parsed):
    return [(f.code, f.record) for f in parsed.findings]


@pytest.mark.parametrize("fmt", FORMATS)
def test_reads_header_and_records(fmt):
    parsed = parse(SCH, golden("fs052_sch", fmt), fmt)
    assert parsed.findings == []
    assert parsed.header == {
        "file_type": "SCHOOL MEMBERSHIP TABLE",
        "total_records": "41",
        "file_name": f"CTSCHMEMBERv0001.{fmt}",
        "file_identifier": "c052-10022025-0615",
        "reporting_period": "2025-2026",
    }
    assert len(parsed.records) == 41
    assert parsed.records[19] == {
        "record_number": "20", "fips_code": "09", "agency_number": "01", "lea_id": "0640011",
        "school_id": "0646411", "table_name": "MEMBER", "grade": "", "race": "", "sex": "",
        "total_indicator": "Y", "explanation": "", "student_count": "12",
    }  # fmt: skip


def test_csv_quotes_are_read_back():
    parsed = parse(get_spec("129", "SCH"), golden("fs129_sch", "csv"), "csv")
    assert parsed.records[1]["explanation"] == 'Shares staff with "Central" campus, part time'


@pytest.mark.parametrize("fmt", FORMATS)
def test_lf_only_and_missing_final_terminator_are_findings(fmt):
    data = golden("fs052_sch", fmt)
    parsed = parse(SCH, data.replace(b"\r\n", b"\n"), fmt)
    assert {c for c, _ in codes(parsed)} == {"terminator"}
    assert len(parsed.records) == 41
    parsed = parse(SCH, data[:-2], fmt)
    assert codes(parsed) == [("terminator", 41)]
    assert len(parsed.records) == 41


def test_wrong_fixed_record_length_is_a_finding():
    lines = golden("fs052_sch", "txt").split(b"\r\n")
    lines[3] = lines[3][:-1]
    parsed = parse(SCH, b"\r\n".join(lines), "txt")
    assert codes(parsed) == [("length", 3)]


def test_value_not_left_justified_is_a_finding():
    lines = golden("fs052_sch", "txt").split(b"\r\n")
    lines[2] = lines[2][:68] + b" KG" + lines[2][71:]
    parsed = parse(SCH, b"\r\n".join(lines), "txt")
    assert codes(parsed) == [("justification", 2)]
    assert parsed.records[1]["grade"] == "KG"


@pytest.mark.parametrize("fmt", ["csv", "tab"])
def test_wrong_column_count_is_a_finding(fmt):
    sep = b"," if fmt == "csv" else b"\t"
    lines = golden("fs052_sch", fmt).split(b"\r\n")
    lines[5] += sep
    parsed = parse(SCH, b"\r\n".join(lines), fmt)
    assert codes(parsed) == [("length", 5)]


def test_non_ascii_bytes_are_a_finding():
    data = golden("fs052_sch", "csv").replace(b",MEMBER,", b",MEMB\xc9R,", 1)
    parsed = parse(SCH, data, "csv")
    assert codes(parsed) == [("encoding", 1)]


def test_empty_file_has_no_header():
    parsed = parse(SCH, b"", "csv")
    assert parsed.header is None and parsed.records == []
    assert codes(parsed) == [("header", 0)]


def test_fixed_header_not_padded_is_a_warning_and_too_short_is_fatal():
    lines = golden("fs052_sch", "txt").split(b"\r\n")
    short = b"\r\n".join([lines[0][:126], *lines[1:]])
    parsed = parse(SCH, short, "txt")
    assert [(f.severity, f.code) for f in parsed.findings] == [("warning", "length")]
    shorter = b"\r\n".join([lines[0][:100], *lines[1:]])
    assert [(f.severity, f.code) for f in parse(SCH, shorter, "txt").findings] == [("fatal", "length")]


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="Unknown format"):
        parse(SCH, b"", "xlsx")
