"""Bad-input properties of the roster imports: random bad rows write nothing and are reported, exactly.

The OneRoster package and the plain enrollment file are valid to begin with;
hypothesis corrupts random cells of random student rows with values the
import must refuse (a value a column cannot take, a null character, a cell
longer than a CSV cell may be), and the problems must name exactly the
corrupted (file, line) pairs. Columns that name other rows (sourcedIds) are
left alone: breaking one is reported where it is used, which is tested in
``test_roster_bad_input.py``.
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.models import AuditEntry
from core.spreadsheets import MAX_CELL
from core.testing.badinput import OVERSIZED, PROPERTY
from enrollment import models as m
from enrollment.roster import testing
from enrollment.roster.enrollment_csv import read_enrollment_file
from enrollment.roster.oneroster import read_package
from enrollment.roster.services import RosterRejected, roster_import
from enrollment.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db

TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Zs", "Zl", "Zp"]), max_size=6)
UNREADABLE = st.one_of(st.just(OVERSIZED), TEXT.map(lambda s: f"{s}\x00{s}"))
DATES = st.sampled_from(["2026-02-30", "2026-13-01", "26-08-27", "not a date"])
FLAGS = st.sampled_from(["maybe", "yes", "1", "TRUE"])
TOO_LONG = st.integers(min_value=1, max_value=20).map(lambda n: "y" * (200 + n))

# file -> column -> values the import must refuse (beyond UNREADABLE, which every column refuses)
BAD = {
    "users.csv": {
        "status": st.sampled_from(["zzz", "deleted"]),
        "givenName": st.one_of(st.just(""), TOO_LONG),
        "familyName": st.one_of(st.just(""), TOO_LONG),
        "middleName": TOO_LONG,
        "preferredGivenName": TOO_LONG,
        "identifier": st.sampled_from(["12345", "abcdefghij", "12345678901"]),
        "grades": st.sampled_from(["TK", "04 05", "14", "grade four"]),
        "userIds": st.sampled_from(["{nope", "{SIS:}", "SIS:5001"]),
        "primaryOrgSourcedId": TEXT.map(lambda s: f"no such org {s}"),
        "email": st.nothing(),
        "phone": st.nothing(),
        "username": st.nothing(),
    },
    "roles.csv": {
        "status": st.sampled_from(["zzz", "deleted"]),
        "roleType": st.sampled_from(["boss", "Primary", ""]),
        "role": st.sampled_from(["boss", "Student"]),
        "beginDate": DATES,
        "endDate": DATES,
        "orgSourcedId": TEXT.map(lambda s: f"no such org {s}"),
        "dateLastModified": st.nothing(),
    },
    "demographics.csv": {
        "birthDate": DATES,
        "sex": st.sampled_from(["robot", "M", "f"]),
        "asian": FLAGS,
        "white": FLAGS,
        "demographicRaceTwoOrMoreRaces": FLAGS,
        "hispanicOrLatinoEthnicity": FLAGS,
        "cityOfBirth": st.nothing(),
    },
}
# The student rows (not the teacher's), by file, with the student each belongs to.
OWNER = {
    "users.csv": ["stu-1", "stu-2", "stu-3"],
    "roles.csv": ["stu-1", "stu-2", "stu-2", "stu-3"],
    "demographics.csv": ["stu-1", "stu-2", "stu-3"],
}


def unreadable(value: str) -> bool:
    return len(value) > MAX_CELL or "\x00" in value


def expected_lines(corrupted: dict[tuple[str, int], set[str]], unread: set[tuple[str, int]]) -> set[tuple[str, int]]:
    """The (file, line) pairs the import must report, given the corrupted columns of each row.

    A cell that cannot be read is reported wherever it is. Otherwise: a role whose role or status is
    refused is dropped, and a user with no student role left is not a student: its rows are ignored
    like a teacher's. A user whose status is refused is skipped: its demographics and its roles' dates,
    types and orgs are not read.
    """

    def bad(file, index, *columns):
        return bool(corrupted.get((file, index), set()) & set(columns)) if columns else (file, index) in corrupted

    roles = OWNER["roles.csv"]
    student = {
        sid: any(not bad("roles.csv", i, "role", "status") for i, s in enumerate(roles) if s == sid) for sid in roles
    }
    live = {sid: student[sid] and not bad("users.csv", OWNER["users.csv"].index(sid), "status") for sid in student}
    expected = set()
    for (file, index), columns in corrupted.items():
        sid = OWNER[file][index]
        if file == "users.csv":
            keep = student[sid]
        elif file == "demographics.csv":
            keep = live[sid]
        else:
            keep = bool(columns & {"role", "status"}) or live[sid]
        if keep or (file, index) in unread:
            expected.add((file, index + 2))
    return expected


def counts():
    return (
        m.Student.objects.count(),
        m.Enrollment.objects.count(),
        m.StudentExternalId.objects.count(),
        (AuditEntry.objects.count()),
    )


def test_oneroster_package_with_bad_rows_writes_nothing_and_reports_exactly_them(world):
    manager = testing.enrollment_manager(world)
    assert not read_package(testing.package()).problems
    before = counts()

    @PROPERTY
    @given(data=st.data())
    def bad_rows_are_reported(data):
        parts = testing.files()
        rows = data.draw(
            st.sets(st.sampled_from([(f, i) for f, owners in OWNER.items() for i in range(len(owners))]), max_size=4),
            label="rows",
        )
        corrupted, unread = {}, set()
        for file, index in sorted(rows):
            columns = data.draw(st.sets(st.sampled_from(sorted(BAD[file])), min_size=1, max_size=2), label="columns")
            for column in sorted(columns):
                value = data.draw(st.one_of(BAD[file][column], UNREADABLE), label=f"{file}:{index + 2} {column}")
                parts[file][1][index][column] = value
                if unreadable(value):
                    unread.add((file, index))
            corrupted[(file, index)] = columns
        expected = expected_lines(corrupted, unread)
        if not expected:
            return
        with pytest.raises(RosterRejected) as caught:
            roster_import(actor=manager, batch=read_package(testing.zip_files(parts), "package.zip"))
        reported = {(p.file, p.line) for p in caught.value.plan.problems}
        assert reported == expected, [str(p) for p in caught.value.plan.problems]
        assert counts() == before

    bad_rows_are_reported()


ENROLLMENT_COLUMNS = ["state_id", "school", "school_year", "grade_level", "entry_date", "exit_date", "exit_code"]
ENROLLMENT_BAD = {
    "state_id": st.sampled_from(["", "0000000009", "12345"]),
    "school": st.sampled_from(["", "9999999", "6410011"]),  # unknown; another district's
    "school_year": st.sampled_from(["", "20x7", "27", "99999999999999999999"]),
    "grade_level": st.sampled_from(["", "14", "TK"]),
    "entry_date": st.one_of(st.just(""), DATES),
    "exit_date": DATES,
    "exit_code": st.sampled_from(["ZZ", "E1"]),
}


def test_enrollment_file_with_bad_rows_writes_nothing_and_reports_exactly_them(world):
    manager = testing.enrollment_manager(world)
    students = [StudentFactory(district=world.district, state_id=f"300000000{i}") for i in range(4)]
    good = [[s.state_id, "6400011", "2027", "04", "2026-08-27", "", ""] for s in students]

    def file(rows):
        return ("\n".join(",".join(f'"{c}"' for c in row) for row in [ENROLLMENT_COLUMNS, *rows]) + "\n").encode()

    assert not read_enrollment_file(file(good), "e.csv").problems
    before = counts()

    @PROPERTY
    @given(data=st.data())
    def bad_rows_are_reported(data):
        rows = [list(r) for r in good]
        chosen = data.draw(st.sets(st.integers(min_value=0, max_value=len(rows) - 1), min_size=1), label="rows")
        for index in chosen:
            column = data.draw(st.sampled_from(ENROLLMENT_COLUMNS), label="column")
            value = data.draw(st.one_of(ENROLLMENT_BAD[column], UNREADABLE), label=column)
            rows[index][ENROLLMENT_COLUMNS.index(column)] = value.replace('"', "")
        with pytest.raises(RosterRejected) as caught:
            roster_import(actor=manager, batch=read_enrollment_file(file(rows), "e.csv"))
        reported = {p.line for p in caught.value.plan.problems}
        assert reported == {index + 2 for index in chosen}, [str(p) for p in caught.value.plan.problems]
        assert counts() == before

    bad_rows_are_reported()
