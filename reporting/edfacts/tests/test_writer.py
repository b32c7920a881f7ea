"""The writer: padding, quoting, record numbers, the header, and values it refuses."""

import datetime

import pytest

from reporting.edfacts import WriteError, file_name, fs052, get_spec, header_for, reporting_period, write
from reporting.edfacts.writer import Header

from .data import header

SCH = get_spec("052", "SCH")
CCD = get_spec("129", "SCH")


def record(**values):
    base = {"fips_code": "09", "agency_number": "01", "lea_id": "0640011", "school_id": "0646411"}
    base.update({"table_name": "MEMBER", "total_indicator": "Y", "student_count": 5})
    base.update(values)
    return base


def lines(data: bytes) -> list[str]:
    text = data.decode("ascii")
    assert text.endswith("\r\n")
    return text.split("\r\n")[:-1]


def test_value_that_fills_its_field_gets_no_extra_padding():
    # The reference implementation adds two blanks after a value that fills its field; we do not.
    data = write(SCH, [record(school_id="S" * 20, lea_id="L" * 14)], "txt", header(SCH, "txt"))
    line = lines(data)[1]
    assert len(line) == 324
    assert line[14:28] == "L" * 14
    assert line[28:48] == "S" * 20
    assert line[48:68] == "MEMBER".ljust(20)


@pytest.mark.parametrize("fmt", ["txt", "csv", "tab"])
def test_value_longer_than_its_field_is_an_error_not_truncated(fmt):
    with pytest.raises(WriteError) as exc:
        write(SCH, [record(), record(school_id="X" * 21)], fmt, header(SCH, fmt))
    assert exc.value.problems == [(2, "school_id", f"{'X' * 21!r} is 21 characters, the field holds 20")]


def test_every_problem_is_reported_at_once():
    records = [record(explanation="x" * 201), record(grade="TOOLONGGRADECODE1"), record(student_count=10**10)]
    with pytest.raises(WriteError) as exc:
        write(SCH, records, "csv", header(SCH, "csv"))
    assert [(r, f) for r, f, _ in exc.value.problems] == [(1, "explanation"), (2, "grade"), (3, "student_count")]


@pytest.mark.parametrize("bad", ["line\nbreak", "carriage\rreturn", "tab\there", "caf\u00e9"])
def test_control_characters_and_non_ascii_are_refused(bad):
    with pytest.raises(WriteError, match="control character"):
        write(SCH, [record(explanation=bad)], "csv", header(SCH, "csv"))


def test_unknown_field_keys_and_bools_are_refused():
    with pytest.raises(WriteError, match="not in the SCH layout: nslp_status"):
        write(SCH, [record(nslp_status="NSLPNO")], "txt", header(SCH, "txt"))
    with pytest.raises(WriteError, match="a bool is not a field value"):
        write(CCD, [{"lea_id": "1", "school_id": "2", "shared_time": True}], "txt", header(CCD, "txt"))


def test_header_values_are_checked_too():
    long_name = Header(file_name="X" * 26, file_identifier="id", reporting_period="2025-2026")
    with pytest.raises(WriteError) as exc:
        write(SCH, [record()], "csv", long_name)
    assert exc.value.problems[0][:2] == (0, "file_name")


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="Unknown format"):
        write(SCH, [record()], "xml", header(SCH, "csv"))


def test_record_numbers_are_assigned_from_one_whatever_the_input_says():
    data = write(SCH, [record(record_number="77"), record(), record()], "csv", header(SCH, "csv"))
    assert [line.split(",")[0] for line in lines(data)[1:]] == ["1", "2", "3"]


def test_csv_quotes_only_where_needed_and_keeps_filler_columns():
    lea = get_spec("052", "LEA")
    data = write(
        lea,
        [{"fips_code": "09", "agency_number": "01", "lea_id": "0640011", "table_name": "MEMBER",
          "total_indicator": "Y", "explanation": 'A "quoted", comma', "student_count": 3}],
        "csv",
        header(lea, "csv"),
    )  # fmt: skip
    assert lines(data)[1] == '1,09,01,0640011,,MEMBER,,,,Y,"A ""quoted"", comma",3'


def test_tab_format_has_one_column_per_field_including_fillers():
    sea = get_spec("052", "SEA")
    built = fs052.build([("L", "S", "KG", "WH7", "F", 1)], "SEA")
    data = write(sea, built.records, "tab", header(sea, "tab"))
    assert all(line.count("\t") == len(sea.fields) - 1 for line in lines(data)[1:])
    assert lines(data)[1] == "1\t09\t01\t\t\tMEMBER\tKG\tWH7\tF\tN\t\t1"


def test_header_record_in_each_format():
    data = write(SCH, [record(), record()], "csv", header(SCH, "csv"))
    assert lines(data)[0] == "SCHOOL MEMBERSHIP TABLE,2,CTSCHMEMBERv0001.csv,c052-10022025-0615,2025-2026"
    data = write(SCH, [record()], "tab", header(SCH, "tab"))
    assert lines(data)[0] == "SCHOOL MEMBERSHIP TABLE\t1\tCTSCHMEMBERv0001.tab\tc052-10022025-0615\t2025-2026"
    head = lines(write(SCH, [record()], "txt", header(SCH, "txt")))[0]
    assert head[:50].rstrip() == "SCHOOL MEMBERSHIP TABLE"
    assert head[50:60] == "1".ljust(10)
    assert head[60:85] == "CTSCHMEMBERv0001.txt".ljust(25)
    assert head[85:117] == "c052-10022025-0615".ljust(32)
    assert head[117:126] == "2025-2026"
    assert head[126:] == " " * (324 - 126)  # padded to the data-record length (inferred rule)


def test_an_empty_file_has_a_header_saying_zero():
    data = write(SCH, [], "csv", header(SCH, "csv"))
    assert data == b"SCHOOL MEMBERSHIP TABLE,0,CTSCHMEMBERv0001.csv,c052-10022025-0615,2025-2026\r\n"


def test_file_name_convention():
    assert file_name(SCH, fmt="csv") == "CTSCHMEMBERv0001.csv"
    assert file_name(get_spec("052", "SEA"), fmt="txt", version="v000001") == "CTSEAMEMBERv000001.txt"
    assert file_name(get_spec("039", "LEA"), fmt="tab", state="MA", version="2") == "MALEAGRADEOFF2.tab"
    with pytest.raises(ValueError, match="two capital letters"):
        file_name(SCH, fmt="csv", state="Ct")
    with pytest.raises(ValueError, match="1 to 7 letters or digits"):
        file_name(SCH, fmt="csv", version="v00000001")
    with pytest.raises(ValueError, match="1 to 7 letters or digits"):
        file_name(SCH, fmt="csv", version="v-1")
    with pytest.raises(ValueError, match="Unknown format"):
        file_name(SCH, fmt="xls")


def test_header_for_builds_identifier_and_period():
    made = header_for(CCD, fmt="txt", school_year=2027, created=datetime.datetime(2026, 1, 9, 17, 5), version="A1")
    assert made == Header("CTSCHCCDSCHA1.txt", "c129-01092026-1705", "2026-2027")
    assert reporting_period(2026) == "2025-2026"
