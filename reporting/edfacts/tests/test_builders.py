"""Builders: rows that cannot be reported become findings naming them; nothing is invented."""

import pytest

from reporting.edfacts import fs039, fs052, fs129, get_spec, validate, write
from reporting.edfacts.fs052 import MembershipRow

from .data import header


def test_fs052_accepts_named_rows_and_one_row_per_student():
    rows = [MembershipRow("L1", "S1", "KG", "WH7", "F", ref="stu-1"), MembershipRow("L1", "S1", "KG", "WH7", "F")]
    built = fs052.build(rows, "SCH")
    assert built.ok and built.findings == []
    assert built.records[0]["student_count"] == 2
    assert built.records[-1] == {
        "fips_code": "09", "agency_number": "01", "lea_id": "L1", "school_id": "S1", "table_name": "MEMBER",
        "grade": "", "race": "", "sex": "", "total_indicator": "Y", "explanation": "", "student_count": 2,
    }  # fmt: skip


def test_fs052_student_with_no_race_is_a_fatal_finding_naming_the_rows():
    rows = [
        ("L1", "S1", "KG", "WH7", "F", 1, "stu-1"),
        ("L1", "S1", "KG", "", "F", 1, "stu-2"),
        ("L1", "S1", "01", None, "M", 1, "stu-3"),
        ("L1", "S1", "01", "ZZ7", "M", 1, "stu-4"),
    ]
    built = fs052.build(rows, "SCH")
    assert not built.ok
    assert [(f.severity, f.code, f.field, f.unit, f.refs) for f in built.findings] == [
        ("fatal", "required", "race", "S1", ("stu-2", "stu-3")),
        ("fatal", "unknown_code", "race", "S1", ("stu-4",)),
    ]
    assert built.findings[0].message == "no Race/Ethnicity; not counted (2 rows)"
    # The rows left out are not in any total.
    assert built.records[-1]["student_count"] == 1


def test_fs052_school_with_no_state_id_at_school_level_only():
    rows = [("L1", "", "KG", "WH7", "F", 3, "stu-9"), ("L1", "S1", "KG", "WH7", "F", 1, "stu-1")]
    built = fs052.build(rows, "SCH")
    assert [(f.code, f.field, f.message, f.refs) for f in built.findings] == [
        ("required", "school_id", "a school in LEA L1 has no State School Identifier; not counted", ("stu-9",))
    ]
    # At district and state level the students still count: those files need no school id.
    assert fs052.build(rows, "LEA").records[-1]["student_count"] == 4
    assert fs052.build(rows, "SEA").findings == []
    missing_lea = fs052.build([(" ", "S1", "KG", "WH7", "F", 1, "stu-1")], "LEA")
    assert [(f.code, f.field) for f in missing_lea.findings] == [("required", "lea_id")]
    long_id = fs052.build([("L" * 15, "S1", "KG", "WH7", "F", 1)], "LEA")
    assert long_id.findings[0].message == f"State LEA Identifier {'L' * 15!r} is longer than 14 characters; not counted"


def test_fs052_sex_x_needs_the_switch():
    rows = [("L1", "S1", "KG", "WH7", "X", 1, "stu-1")]
    built = fs052.build(rows, "SCH")
    assert [(f.code, f.field) for f in built.findings] == [("unknown_code", "sex")]
    assert "sex_x" in built.findings[0].message
    built = fs052.build(rows, "SCH", sex_x=True)
    assert built.findings == []
    assert [r["sex"] for r in built.records] == ["X", "", "X", "X", "", ""]


@pytest.mark.parametrize("count", [-1, 1.5, "3", True, None])
def test_fs052_bad_counts(count):
    built = fs052.build([("L1", "S1", "KG", "WH7", "F", count, "r")], "SCH")
    assert [(f.code, f.refs) for f in built.findings] == [("count", ("r",))]
    assert built.records == []


def test_fs052_zero_rows_are_kept_and_unmentioned_cells_are_not_invented():
    built = fs052.build([("L1", "S1", "KG", "WH7", "F", 0)], "SCH")
    assert [(r["grade"], r["race"], r["sex"], r["student_count"]) for r in built.records] == [
        ("KG", "WH7", "F", 0), ("KG", "WH7", "", 0), ("KG", "", "F", 0), ("", "WH7", "F", 0),
        ("KG", "", "", 0), ("", "", "", 0),
    ]  # fmt: skip
    assert fs052.build([], "SEA").records == []


def test_fs052_state_codes_are_checked():
    with pytest.raises(ValueError, match="FIPS state code"):
        fs052.build([], "SCH", fips_code="9")
    with pytest.raises(KeyError):
        fs052.build([], "STATE")
    built = fs052.build([("L1", "S1", "KG", "WH7", "F", 1)], "SEA", fips_code="25", agency_number="02")
    assert {(r["fips_code"], r["agency_number"]) for r in built.records} == {("25", "02")}


def test_fs039_levels_and_findings():
    rows = [
        ("L1", "S1", "KG 01", "", "a"),
        ("L1", "S2", ["02", "01"], "", "b"),
        ("L1", "S3", "", "", "c"),
        ("L1", "S4", "05 5", "", "d"),
        ("L1", "", "KG", "", "e"),
    ]
    built = fs039.build(rows, "SCH")
    assert [(r["school_id"], r["grade"]) for r in built.records] == [
        ("S1", "KG"), ("S1", "01"), ("S2", "01"), ("S2", "02"), ("S4", "05"),
    ]  # fmt: skip
    assert [(f.code, f.unit, f.refs) for f in built.findings] == [
        ("not_entered", "S3", ("c",)),
        ("unknown_code", "S4", ("d",)),
        ("required", "L1", ("e",)),
    ]
    lea = fs039.build(rows, "LEA")
    assert [(r["lea_id"], r["grade"]) for r in lea.records] == [("L1", "KG"), ("L1", "01"), ("L1", "02"), ("L1", "05")]
    assert "school_id" not in lea.records[0] and lea.records[0]["filler_3"] == ""
    with pytest.raises(KeyError):
        fs039.build(rows, "SEA")


def test_fs039_explanation_too_long_is_a_finding():
    built = fs039.build([("L1", "S1", "KG", "x" * 201, "a")], "SCH")
    assert [(f.code, f.field) for f in built.findings] == [("width", "explanation")]
    assert built.records == []


def test_fs129_writes_blanks_as_given_and_the_validator_names_them():
    rows = [("L1", "S1", None, "NOTVIRTUAL", None, "", "a"), ("L1", "S2", "NSLPPRO1", "NOTVIRTUAL", False)]
    built = fs129.build(rows)
    assert built.findings == []
    assert built.records[0]["nslp_status"] == "" and built.records[0]["shared_time"] == ""
    spec = get_spec("129", "SCH")
    findings = validate(spec, write(spec, built.records, "csv", header(spec, "csv")), "csv")
    assert [(f.code, f.record, f.field, f.unit) for f in findings] == [
        ("not_entered", 1, "shared_time", "S1"),
        ("not_entered", 1, "nslp_status", "S1"),
        ("unknown_code", 2, "nslp_status", "S2"),
    ]


def test_fs129_rows_that_cannot_be_records():
    rows = [
        ("L1", "S1", "NSLPNO", "NOTVIRTUAL", False, "", "a"),
        ("L1", "S1", "NSLPNO", "NOTVIRTUAL", True, "", "b"),
        ("L1", None, "NSLPNO", "NOTVIRTUAL", True, "", "c"),
        ("L1", "S3", "NSLPNO", "NOTVIRTUAL", True, "caf\u00e9", "d"),
    ]
    built = fs129.build(rows)
    assert [r["school_id"] for r in built.records] == ["S1"]
    assert [(f.code, f.refs) for f in built.findings] == [
        ("duplicate", ("b",)), ("required", ("c",)), ("encoding", ("d",)),
    ]  # fmt: skip
    with pytest.raises(ValueError, match="only a school level"):
        fs129.build(rows, "LEA")
