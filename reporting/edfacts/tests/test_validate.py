"""Each validator catches what it should, on files tampered with byte by byte."""

import pytest

from reporting.edfacts import (
    FORMATS,
    check_records,
    check_rollup,
    fs052,
    get_spec,
    parse,
    unit_totals,
    validate,
    write,
    year_over_year,
)

from .data import MEMBERSHIP, drop_record, golden, header, tamper

SCH = get_spec("052", "SCH")
LEA = get_spec("052", "LEA")
SEA = get_spec("052", "SEA")
G039 = get_spec("039", "SCH")
CCD = get_spec("129", "SCH")


def found(findings):
    return [(f.severity, f.code, f.record, f.field) for f in findings]


def fatal_codes(findings):
    return {f.code for f in findings if f.severity == "fatal"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_wrong_count_in_header(fmt):
    data = tamper(golden("fs052_sch", fmt), fmt, SCH, 0, "total_records", "40")
    assert found(validate(SCH, data, fmt)) == [("fatal", "header_count", 0, "total_records")]
    data = tamper(golden("fs052_sch", fmt), fmt, SCH, 0, "total_records", "4O")
    assert found(validate(SCH, data, fmt)) == [("fatal", "header_count", 0, "total_records")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_dropped_record_breaks_count_numbering_and_totals(fmt):
    data = drop_record(golden("fs052_sch", fmt), 4)  # detail 01 BL7 M 4 of school 0646411
    findings = validate(SCH, data, fmt)
    assert fatal_codes(findings) == {"header_count", "record_number", "subtotal"}
    numbering = next(f for f in findings if f.code == "record_number")
    assert numbering.record == 4
    assert "'5', expected 4 (36 more records out of sequence)" in numbering.message
    # ST1 01/BL7, ST2 01/M, ST3 BL7/M, ST4 01 and TOT no longer match their details.
    assert sorted(f.record for f in findings if f.code == "subtotal") == [7, 11, 13, 18, 19]


@pytest.mark.parametrize("fmt", FORMATS)
def test_broken_subtotal(fmt):
    data = tamper(golden("fs052_sch", fmt), fmt, SCH, 6, "student_count", "6")  # ST1 KG HI7 is 5
    findings = validate(SCH, data, fmt)
    assert found(findings) == [("fatal", "subtotal", 6, "student_count")]
    assert findings[0].message == "ST1 (Grade Level KG, Race/Ethnicity HI7) is 6, the detail records add up to 5"
    assert findings[0].unit == "0646411"


@pytest.mark.parametrize("fmt", FORMATS)
def test_broken_total_and_detail(fmt):
    data = tamper(golden("fs052_sea", fmt), fmt, SEA, 33, "student_count", "28")
    assert found(validate(SEA, data, fmt)) == [("fatal", "subtotal", 33, "student_count")]
    data = tamper(golden("fs052_sea", fmt), fmt, SEA, 1, "student_count", "3")  # a detail: every sum above it breaks
    assert [f.record for f in validate(SEA, data, fmt)] == [9, 16, 28, 29, 33]


@pytest.mark.parametrize("fmt", FORMATS)
def test_missing_subtotal_and_total(fmt):
    data = drop_record(golden("fs052_lea", fmt), 34)  # TOT of LEA 0650011
    data = tamper(data, fmt, LEA, 0, "total_records", "33")
    findings = validate(LEA, data, fmt)
    assert found(findings) == [("fatal", "missing_subtotal", None, None)]
    assert findings[0].message == "no TOT record; the detail records add up to 9"
    assert findings[0].unit == "0650011"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("record", "key", "value"),
    [
        (1, "grade", "14"),
        (1, "race", "MISSING"),
        (1, "sex", "U"),
        (1, "sex", "X"),
        (1, "table_name", "MEMBERS"),
        (1, "total_indicator", "Q"),
        (1, "fips_code", "9"),
        (1, "agency_number", "AB"),
    ],
)
def test_bad_code(fmt, record, key, value):
    data = tamper(golden("fs052_sch", fmt), fmt, SCH, record, key, value)
    findings = validate(SCH, data, fmt)
    assert ("fatal", "unknown_code", record, key) in found(findings)
    bad = next(f for f in findings if f.code == "unknown_code")
    assert repr(value) in bad.message


def test_sex_x_is_accepted_only_when_enabled():
    built = fs052.build([("L1", "S1", "KG", "WH7", "X", 2), ("L1", "S1", "KG", "WH7", "F", 1)], "SCH", sex_x=True)
    data = write(SCH, built.records, "csv", header(SCH, "csv"))
    assert validate(SCH, data, "csv", sex_x=True) == []
    assert fatal_codes(validate(SCH, data, "csv")) == {"unknown_code"}


@pytest.mark.parametrize("fmt", ["csv", "tab"])
def test_too_long_value_in_delimited_file(fmt):
    data = tamper(golden("fs052_sch", fmt), fmt, SCH, 2, "school_id", "0" * 21)
    findings = validate(SCH, data, fmt)
    assert ("fatal", "width", 2, "school_id") in found(findings)
    data = tamper(golden("fs052_sch", fmt), fmt, SCH, 0, "file_name", "CTSCHMEMBERv0001234567.csv")
    assert ("fatal", "width", 0, "file_name") in found(validate(SCH, data, fmt))


def test_too_long_value_in_fixed_file_shifts_the_record():
    data = tamper(golden("fs052_sch", "txt"), "txt", SCH, 2, "school_id", "0" * 21)
    assert ("fatal", "length", 2, None) in found(validate(SCH, data, "txt"))


@pytest.mark.parametrize("fmt", FORMATS)
def test_missing_school_id(fmt):
    data = tamper(golden("fs052_sch", fmt), fmt, SCH, 3, "school_id", "")
    findings = validate(SCH, data, fmt)
    missing = [f for f in findings if f.code == "required"]
    assert found(missing) == [("fatal", "required", 3, "school_id")]
    assert missing[0].message == "a school in LEA 0640011 has no State School Identifier"


@pytest.mark.parametrize("fmt", FORMATS)
def test_missing_lea_id_in_lea_file(fmt):
    data = tamper(golden("fs052_lea", fmt), fmt, LEA, 1, "lea_id", "")
    assert ("fatal", "required", 1, "lea_id") in found(validate(LEA, data, fmt))


@pytest.mark.parametrize("fmt", FORMATS)
def test_negative_or_non_integer_count(fmt):
    for bad in ("-2", "2.0", ""):
        data = tamper(golden("fs052_sch", fmt), fmt, SCH, 1, "student_count", bad)
        findings = validate(SCH, data, fmt)
        code = "required" if bad == "" else "count"
        assert ("fatal", code, 1, "student_count") in found(findings)


@pytest.mark.parametrize("fmt", FORMATS)
def test_duplicate_record(fmt):
    lines = golden("fs052_sch", fmt).split(b"\r\n")
    data = b"\r\n".join([lines[0], *lines[1:3], lines[2], *lines[3:]])
    data = tamper(data, fmt, SCH, 0, "total_records", "42")
    # Renumber so that only the duplicate (and the sums it doubles) remain.
    for number in range(1, 43):
        data = tamper(data, fmt, SCH, number, "record_number", str(number))
    findings = validate(SCH, data, fmt)
    assert ("fatal", "duplicate", 3, None) in found(findings)
    assert next(f for f in findings if f.code == "duplicate").message == "same unit and categories as record 2"


@pytest.mark.parametrize("fmt", FORMATS)
def test_filler_must_be_blank(fmt):
    data = tamper(golden("fs052_lea", fmt), fmt, LEA, 1, "filler_2", "0646411")
    assert found(validate(LEA, data, fmt)) == [("fatal", "filler", 1, "filler_2")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_category_set_and_total_indicator(fmt):
    data = tamper(golden("fs052_sch", fmt), fmt, SCH, 20, "race", "HI7")  # TOT with a race: no such set
    findings = validate(SCH, data, fmt)
    assert ("fatal", "category_set", 20, None) in found(findings)
    assert next(f for f in findings if f.code == "category_set").message == (
        "no category set has these categories: Race/Ethnicity"
    )
    data = tamper(golden("fs052_sch", fmt), fmt, SCH, 14, "grade", "01")  # ST3 with a grade reads as a detail
    assert ("fatal", "total_indicator", 14, "total_indicator") in found(validate(SCH, data, fmt))
    data = tamper(golden("fs052_sch", fmt), fmt, SCH, 1, "total_indicator", "Y")
    assert found(validate(SCH, data, fmt)) == [("fatal", "total_indicator", 1, "total_indicator")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_header_fields(fmt):
    data = golden("fs052_sch", fmt)
    assert found(validate(SCH, tamper(data, fmt, SCH, 0, "file_type", "LEA MEMBERSHIP TABLE"), fmt)) == [
        ("fatal", "header", 0, "file_type")
    ]
    assert found(validate(SCH, tamper(data, fmt, SCH, 0, "reporting_period", "2025-2027"), fmt)) == [
        ("fatal", "header", 0, "reporting_period")
    ]
    assert found(validate(SCH, tamper(data, fmt, SCH, 0, "file_identifier", ""), fmt)) == [
        ("fatal", "header", 0, "file_identifier")
    ]
    assert found(validate(SCH, tamper(data, fmt, SCH, 0, "file_name", "membership.csv"), fmt)) == [
        ("warning", "header", 0, "file_name")
    ]


def test_validating_with_the_wrong_layout_fails():
    assert "header" in fatal_codes(validate(LEA, golden("fs052_sch", "csv"), "csv"))
    assert "length" in fatal_codes(validate(SCH, golden("fs052_sch", "csv"), "tab"))


@pytest.mark.parametrize("fmt", FORMATS)
def test_fs039_bad_grade_missing_id_duplicate(fmt):
    data = golden("fs039_sch", fmt)
    assert found(validate(G039, tamper(data, fmt, G039, 2, "grade", "K"), fmt)) == [
        ("fatal", "unknown_code", 2, "grade")
    ]
    assert ("fatal", "required", 5, "school_id") in found(
        validate(G039, tamper(data, fmt, G039, 5, "school_id", ""), fmt)
    )
    assert found(validate(G039, tamper(data, fmt, G039, 2, "grade", "KG"), fmt)) == [("fatal", "duplicate", 2, None)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_fs129_values_not_entered_and_unknown(fmt):
    data = golden("fs129_sch", fmt)
    findings = validate(CCD, tamper(data, fmt, CCD, 2, "nslp_status", ""), fmt)
    assert found(findings) == [("fatal", "not_entered", 2, "nslp_status")]
    assert findings[0].message == "NSLP Status has not been entered for school 0646412"
    findings = validate(CCD, tamper(data, fmt, CCD, 1, "nslp_status", "NSLPPRO1"), fmt)
    assert found(findings) == [("fatal", "unknown_code", 1, "nslp_status")]
    assert found(validate(CCD, tamper(data, fmt, CCD, 3, "shared_time", "Y"), fmt)) == [
        ("fatal", "unknown_code", 3, "shared_time")
    ]
    assert found(validate(CCD, tamper(data, fmt, CCD, 3, "school_id", "0646411"), fmt)) == [
        ("fatal", "duplicate", 3, None)
    ]


def test_year_over_year_threshold():
    records = parse(SCH, golden("fs052_sch", "csv"), "csv").records
    assert unit_totals(SCH, records) == {"0646411": 12, "0646412": 6, "0656511": 9}
    # 12 vs 10 is +20% exactly: not above the threshold. 6 vs 8 is -25%. 9 vs 9 unchanged.
    findings = year_over_year(SCH, records, {"0646411": 10, "0646412": 8, "0656511": 9})
    assert [(f.severity, f.unit) for f in findings] == [("warning", "0646412")]
    assert findings[0].message == "0646412 went from 8 last year to 6 (-25.0%)"
    assert year_over_year(SCH, records, {"0646411": 10, "0646412": 8, "0656511": 9}, threshold=0.3) == []
    assert [f.unit for f in year_over_year(SCH, records, {"0646411": 10}, threshold=0.1)] == [
        "0646411", "0646412", "0656511"
    ]  # fmt: skip
    gone = year_over_year(SCH, records, {"0646411": 12, "0646412": 6, "0656511": 9, "0699999": 40})
    assert [f.message for f in gone] == ["0699999 had a total of 40 last year and has none this year"]
    with pytest.raises(ValueError):
        year_over_year(SCH, records, {}, threshold=-1)


def test_year_over_year_runs_inside_validate_as_warnings_only():
    findings = validate(SEA, golden("fs052_sea", "txt"), "txt", previous_totals={"09": 40})
    assert found(findings) == [("warning", "year_over_year", None, "student_count")]
    assert findings[0].message == "09 went from 40 last year to 27 (-32.5%)"
    assert validate(SEA, golden("fs052_sea", "txt"), "txt", previous_totals={"09": 30}) == []


def test_rollup_across_levels():
    sch = parse(SCH, golden("fs052_sch", "csv"), "csv").records
    lea = parse(LEA, golden("fs052_lea", "csv"), "csv").records
    sea = parse(SEA, golden("fs052_sea", "csv"), "csv").records
    assert check_rollup(SCH, sch, LEA, lea) == []
    assert check_rollup(LEA, lea, SEA, sea) == []
    assert check_rollup(SCH, sch, SEA, sea) == []
    lea[0] = {**lea[0], "student_count": "3"}  # LEA 0640011 KG HI7 M: schools say 2
    findings = check_rollup(SCH, sch, LEA, lea)
    assert [(f.code, f.unit) for f in findings] == [("rollup", "0640011")]
    assert findings[0].message == "LEA 0640011, grade KG, race HI7, sex M: 3 in the LEA file, 2 in the SCH file"
    with pytest.raises(ValueError):
        check_rollup(SEA, sea, LEA, lea)


def test_findings_are_capped_with_a_summary():
    data = golden("fs052_sch", "csv").replace(b",MEMBER,", b",MEMBERS,")
    findings = validate(SCH, data, "csv", max_findings=5)
    assert len(findings) == 6
    assert findings[-1].code == "truncated" and findings[-1].severity == "fatal"
    assert findings[-1].message == "36 more findings not listed (36 fatal)"
    assert len(validate(SCH, data, "csv", max_findings=None)) == 41


def test_builder_rows_validate_like_the_written_file():
    built = fs052.build(MEMBERSHIP, "SCH")
    assert unit_totals(SCH, built.records) == {"0646411": 12, "0646412": 6, "0656511": 9}


def test_a_missing_zero_subtotal_is_tolerated_but_a_missing_nonzero_one_is_not():
    rows = [("L1", "S1", "KG", "WH7", "F", 0), ("L1", "S1", "KG", "BL7", "M", 2)]
    records = fs052.build(rows, "SCH").records
    zero_st3 = next(i for i, r in enumerate(records) if r["race"] == "WH7" and r["sex"] == "F" and not r["grade"])
    kept = records[:zero_st3] + records[zero_st3 + 1 :]
    assert check_records(SCH, kept) == []
    nonzero_st3 = next(i for i, r in enumerate(kept) if r["race"] == "BL7" and r["sex"] == "M" and not r["grade"])
    findings = check_records(SCH, kept[:nonzero_st3] + kept[nonzero_st3 + 1 :])
    assert [(f.code, f.message) for f in findings] == [
        ("missing_subtotal", "no ST3 (Race/Ethnicity BL7, Sex M) record; the detail records add up to 2")
    ]


def test_findings_serialize_for_storage():
    finding = validate(SCH, tamper(golden("fs052_sch", "csv"), "csv", SCH, 6, "student_count", "6"), "csv")[0]
    assert finding.as_dict() == {
        "severity": "fatal",
        "code": "subtotal",
        "message": "ST1 (Grade Level KG, Race/Ethnicity HI7) is 6, the detail records add up to 5",
        "record": 6,
        "field": "student_count",
        "unit": "0646411",
        "refs": [],
    }
    assert str(finding).startswith("fatal subtotal: record 6: ST1")
