"""The OneRoster 1.2 CSV binding: read a bulk package into roster rows, and write one.

A package is a zip with CSV files at its root (UTF-8). We read
``manifest.csv``, ``orgs.csv``, ``academicSessions.csv``, ``users.csv``,
``roles.csv`` and ``demographics.csv``; class rosters (``enrollments.csv``,
``classes.csv``, ...) are not membership and are ignored. Column order is part
of the binding, so each file's header must start with its columns in order
(extension columns after them are allowed); ``users.csv`` is accepted with and
without the ``resourceSourcedIds`` column, which the published sources
disagree on, and written with it.

Mapping:

- ``orgs.csv`` rows of type ``school``: the school whose state school id is
  the org's ``identifier``;
- ``academicSessions.csv`` rows of type ``schoolYear``: the school year whose
  ending year is ``schoolYear``;
- users with a ``student`` role in ``roles.csv`` are students: ``identifier``
  is the state id (SASID), ``userIds`` such as ``{SIS:123}`` are external ids,
  ``sourcedId`` is kept as the ``oneroster`` id of a student with no other id,
  names, ``grades`` (one EDFacts grade code), ``primaryOrgSourcedId`` (the
  school whose district a new student joins);
- each ``student`` role is an enrollment: ``orgSourcedId`` the school,
  ``roleType`` primary or secondary, ``beginDate`` the entry date and
  ``endDate`` the last day enrolled (our exit date is the day after: the first
  day no longer enrolled), in the school year whose session holds the begin
  date;
- ``demographics.csv``: ``birthDate``, ``sex`` (male, female, other to M, F,
  X; ``unspecified`` is a finding and the record keeps its value), the race
  flags to the federal race codes, ``hispanicOrLatinoEthnicity``.

OneRoster does not carry entry and exit codes, nor programs: existing records
keep theirs; a new enrollment gets entry code E1, an ended one without an exit
code gets P1 (when it runs to the end of the year) or M1, each with a finding.
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from dataclasses import dataclass

from django.utils.translation import gettext as _

from core.spreadsheets import csv_bytes, read_csv

from .. import choices as c
from .instances import gc_paused
from .rows import EnrollmentRow, RosterBatch, RosterProblem, StudentRow

ORGS = ["sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId"]
SESSIONS = [
    "sourcedId",
    "status",
    "dateLastModified",
    "title",
    "type",
    "startDate",
    "endDate",
    "parentSourcedId",
    "schoolYear",
]
_USERS_HEAD = [
    "sourcedId",
    "status",
    "dateLastModified",
    "enabledUser",
    "username",
    "userIds",
    "givenName",
    "familyName",
    "middleName",
    "identifier",
    "email",
    "sms",
    "phone",
    "agentSourcedIds",
    "grades",
    "password",
    "userMasterIdentifier",
]
_USERS_TAIL = [
    "preferredGivenName",
    "preferredMiddleName",
    "preferredFamilyName",
    "primaryOrgSourcedId",
    "pronouns",
]
USERS = [*_USERS_HEAD, "resourceSourcedIds", *_USERS_TAIL]
USERS_WITHOUT_RESOURCES = [*_USERS_HEAD, *_USERS_TAIL]
ROLES = [
    "sourcedId",
    "status",
    "dateLastModified",
    "userSourcedId",
    "roleType",
    "role",
    "beginDate",
    "endDate",
    "orgSourcedId",
    "userProfileSourcedId",
]
DEMOGRAPHICS = [
    "sourcedId",
    "status",
    "dateLastModified",
    "birthDate",
    "sex",
    "americanIndianOrAlaskaNative",
    "asian",
    "blackOrAfricanAmerican",
    "nativeHawaiianOrOtherPacificIslander",
    "white",
    "demographicRaceTwoOrMoreRaces",
    "hispanicOrLatinoEthnicity",
    "countryOfBirthCode",
    "stateOfBirthAbbreviation",
    "cityOfBirth",
    "publicSchoolResidenceStatus",
]
MANIFEST = ["propertyName", "value"]

# file name -> accepted headers (the first is the one we write)
FILES = {
    "orgs.csv": [ORGS],
    "academicSessions.csv": [SESSIONS],
    "users.csv": [USERS, USERS_WITHOUT_RESOURCES],
    "roles.csv": [ROLES],
    "demographics.csv": [DEMOGRAPHICS],
}
REQUIRED_FILES = ("orgs", "academicSessions", "users", "roles")
ALL_MANIFEST_FILES = (
    "academicSessions",
    "categories",
    "classes",
    "classResources",
    "courses",
    "courseResources",
    "demographics",
    "enrollments",
    "lineItemLearningObjectiveIds",
    "lineItems",
    "lineItemScoreScales",
    "orgs",
    "resources",
    "resultLearningObjectiveIds",
    "results",
    "resultScoreScales",
    "roles",
    "scoreScales",
    "userProfiles",
    "userResources",
    "users",
)
ORG_TYPES = {"department", "school", "district", "local", "state", "national"}
SESSION_TYPES = {"gradingPeriod", "semester", "schoolYear", "term"}
ROLE_TYPES = {"primary", "secondary"}
ROLES_ENUM = {
    "aide",
    "counselor",
    "districtAdministrator",
    "guardian",
    "parent",
    "principal",
    "proctor",
    "relative",
    "siteAdministrator",
    "student",
    "systemAdministrator",
    "teacher",
}
STATUSES = {"", "active", "tobedeleted"}
SEX_IN = {"male": c.Sex.MALE, "female": c.Sex.FEMALE, "other": c.Sex.NONBINARY}
SEX_OUT = {code: word for word, code in SEX_IN.items()}
RACE_FLAGS = [
    ("americanIndianOrAlaskaNative", c.Race.AMERICAN_INDIAN),
    ("asian", c.Race.ASIAN),
    ("blackOrAfricanAmerican", c.Race.BLACK),
    ("nativeHawaiianOrOtherPacificIslander", c.Race.PACIFIC_ISLANDER),
    ("white", c.Race.WHITE),
]
FLAGS = {"true": True, "false": False, "": None}
ONEROSTER_SOURCE = c.ExternalSource.ONEROSTER.value
EXTERNAL_SOURCES = frozenset(c.ExternalSource.values)
EXT_PATTERN = re.compile(r"\{([^{}:]+):([^{}]*)\}")
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ONE_DAY = datetime.timedelta(days=1)
SOURCE_SYSTEM = "District Ops Portal"
# Where each field comes from, for problems (users.csv and demographics.csv; roles.csv).
STUDENT_COLUMNS = {
    "state_id": "identifier",
    "legal_first_name": "givenName",
    "legal_last_name": "familyName",
    "legal_middle_name": "middleName",
    "preferred_name": "preferredGivenName",
    "grade_level": "grades",
    "external_ids": "userIds",
    "district": "primaryOrgSourcedId",
    "birth_date": "birthDate",
    "sex": "sex",
    "races": "race flags",
    "hispanic": "hispanicOrLatinoEthnicity",
}
ROLE_COLUMNS = {
    "school": "orgSourcedId",
    "school_year": "beginDate",
    "entry_date": "beginDate",
    "exit_date": "endDate",
    "is_primary": "roleType",
    "grade_level": "grades (users.csv)",
    "entry_code": "entry code (not in OneRoster)",
    "exit_code": "exit code (not in OneRoster)",
    "state_id": "userSourcedId",
}


def _column(header: list[str], index: int | None) -> str:
    return header[index] if index is not None and index < len(header) else ""


def _is_extension(column: str) -> bool:
    return column.startswith("metadata.") or column.startswith("ext:")


@dataclass
class Table:
    file: str
    columns: list[str]
    rows: list[tuple[int, dict[str, str]]]


class PackageReader:
    def __init__(self, data: bytes, name: str = ""):
        self.data = data
        self.name = name or "package"
        self.batch = RosterBatch(source_label=self.name)
        self._dates: dict[str, datetime.date] = {}  # a package repeats a few dates many times

    def problem(self, file: str, line: int, column: str, message: str) -> None:
        self.batch.problems.append(RosterProblem(line=line, column=column, message=str(message), file=file))

    def finding(self, file: str, line: int, column: str, message: str) -> None:
        self.batch.findings.add(file, line, column, message)

    # -- files -----------------------------------------------------------------

    def _text(self, archive: zipfile.ZipFile, file: str) -> str | None:
        try:
            raw = archive.read(file)
        except KeyError:
            return None
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            self.problem(file, 1, "", _("The file is not UTF-8 text."))
            return ""

    def check_header(self, file: str, header: list[str], forms: list[list[str]]) -> list[str] | None:
        """The header form the file uses, or None after reporting what is wrong with it."""
        for form in forms:
            if header[: len(form)] == form and not [h for h in header[len(form) :] if not _is_extension(h)]:
                if len(set(header)) != len(header):
                    break
                return form
        if len(set(header)) != len(header):
            twice = sorted({h for h in header if header.count(h) > 1})
            self.problem(file, 1, ", ".join(twice), _("A column name appears twice."))
            return None
        form = forms[0]
        if len(forms) > 1 and "resourceSourcedIds" not in header:
            form = forms[1]
        missing = [col for col in form if col not in header]
        for col in missing:
            self.problem(file, 1, col, _("Required column is missing."))
        known = set().union(*map(set, forms))
        for col in header:
            if col not in known and not _is_extension(col):
                self.problem(file, 1, col, _("Unknown column (extension columns start with metadata.)."))
        if not missing:
            present = [h for h in header if h in form]
            for position, (found, expected) in enumerate(zip(present, form, strict=False), start=1):
                if found != expected:
                    self.problem(
                        file,
                        1,
                        found,
                        _(
                            "Columns are out of order: column %(position)s should be “%(expected)s”. "
                            "The order is: %(order)s."
                        )
                        % {"position": position, "expected": expected, "order": ", ".join(form)},
                    )
                    break
            else:
                if header[: len(form)] != form:
                    self.problem(
                        file,
                        1,
                        "",
                        _("Extension columns go after the standard columns: %(order)s.") % {"order": ", ".join(form)},
                    )
        return None

    def read_table(self, archive: zipfile.ZipFile, file: str) -> Table | None:
        text = self._text(archive, file)
        if text is None:
            self.problem(file, 1, "", _("The manifest lists this file but the package does not contain it."))
            return None
        records = read_csv(text)
        first = next(records, None)
        if first is not None and first.problem:
            self.problem(file, 1, _column(first.values, first.column), first.problem)
            return None
        header = [h.strip() for h in first.values] if first is not None else []
        if not header:
            self.problem(file, 1, "", _("The file is empty; it needs at least its header row."))
            return None
        form = self.check_header(file, header, FILES[file])
        if form is None:
            return None
        rows = []
        width = len(header)
        for record in records:
            line, values = record.line, record.values
            if record.problem:  # reported; the row is still read, so rows naming it find it
                self.problem(file, line, _column(header, record.column), record.problem)
                if not record.values:
                    continue
            if not any(values):
                continue
            if len(values) != width:
                self.problem(
                    file,
                    line,
                    "",
                    _("This row has %(found)s fields; the header has %(expected)s.")
                    % {"found": len(values), "expected": width},
                )
                continue
            rows.append((line, dict(zip(form, map(str.strip, values)))))
        return Table(file=file, columns=form, rows=rows)

    def read_manifest(self, archive: zipfile.ZipFile) -> dict[str, str] | None:
        text = self._text(archive, "manifest.csv")
        if text is None:
            self.problem("manifest.csv", 1, "", _("A OneRoster package must contain manifest.csv."))
            return None
        records = read_csv(text)
        first = next(records, None)
        header = [h.strip() for h in first.values] if first is not None else []
        if header[:2] != MANIFEST:
            self.problem("manifest.csv", 1, "", _("The manifest's columns must be: propertyName, value."))
            return None
        properties: dict[str, str] = {}
        lines: dict[str, int] = {}
        for record in records:
            line, values = record.line, record.values
            if record.problem:
                self.problem("manifest.csv", line, _column(header, record.column), record.problem)
                continue
            if not values or not values[0].strip():
                continue
            key, value = values[0].strip(), (values[1].strip() if len(values) > 1 else "")
            if key in properties:
                self.problem("manifest.csv", line, key, _("Duplicate of line %(line)s.") % {"line": lines[key]})
            properties[key], lines[key] = value, line
        version = properties.get("oneroster.version", "")
        if not (version == "1.2" or version.startswith("1.2.")):
            self.problem(
                "manifest.csv",
                lines.get("oneroster.version", 1),
                "oneroster.version",
                _("This is a OneRoster 1.2 import; the manifest says version “%(version)s”.") % {"version": version},
            )
        for name in ALL_MANIFEST_FILES:
            value = properties.get(f"file.{name}", "absent")
            line = lines.get(f"file.{name}", 1)
            if value not in ("bulk", "delta", "absent"):
                self.problem("manifest.csv", line, f"file.{name}", _("Use bulk, delta or absent."))
            elif name in REQUIRED_FILES and value != "bulk":
                self.problem(
                    "manifest.csv",
                    line,
                    f"file.{name}",
                    _("%(file)s.csv must be sent as bulk (delta packages are not supported).") % {"file": name},
                )
            elif name == "demographics" and value == "delta":
                self.problem("manifest.csv", line, f"file.{name}", _("Delta packages are not supported; send bulk."))
        return properties

    # -- values ----------------------------------------------------------------

    def date(self, file: str, line: int, column: str, value: str) -> tuple[datetime.date | None, bool]:
        """A YYYY-MM-DD date; (None, True) when blank, (None, False) after reporting a bad one."""
        if not value:
            return None, True
        known = self._dates.get(value)
        if known is not None:
            return known, True
        try:
            if not DATE_PATTERN.match(value):
                raise ValueError
            known = self._dates[value] = datetime.date.fromisoformat(value)
            return known, True
        except ValueError:
            self.problem(file, line, column, _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": value})
            return None, False

    def flag(self, file: str, line: int, column: str, value: str) -> bool | None:
        """True or False from "true" or "false"; None when blank or after reporting anything else."""
        flag = FLAGS.get(value, self)
        if flag is self:
            self.problem(file, line, column, _("Use true or false."))
            return None
        return flag

    def status(self, table: Table, line: int, row: dict) -> bool:
        """Whether a row is live; rows marked tobedeleted are skipped with a finding."""
        value = row["status"]
        if value not in STATUSES:
            self.problem(table.file, line, "status", _("Use active or tobedeleted."))
            return False
        if value == "tobedeleted":
            self.finding(
                table.file, line, "status", _("Marked tobedeleted: skipped (a roster import deletes nothing).")
            )
            return False
        return True

    def unique(self, table: Table) -> dict[str, tuple[int, dict]]:
        by_id: dict[str, tuple[int, dict]] = {}
        for line, row in table.rows:
            sid = row["sourcedId"]
            if not sid:
                self.problem(table.file, line, "sourcedId", _("This field is required."))
                continue
            if sid in by_id:
                self.problem(table.file, line, "sourcedId", _("Duplicate of line %(line)s.") % {"line": by_id[sid][0]})
                continue
            by_id[sid] = (line, row)
        return by_id

    def external_ids(self, line: int, value: str) -> list[tuple[str, str]] | None:
        if not value:
            return []
        items = EXT_PATTERN.findall(value)
        if not items or EXT_PATTERN.sub("", value).replace(",", "").strip():
            self.problem("users.csv", line, "userIds", _("Write ids as {type:id}, separated by commas."))
            return None
        ids = []
        for kind, ident in items:
            source = kind.strip().lower()
            ident = ident.strip()
            if source not in EXTERNAL_SOURCES:
                self.finding(
                    "users.csv",
                    line,
                    "userIds",
                    _("Ids of type “%(type)s” are not kept (known types: %(known)s).")
                    % {"type": kind, "known": ", ".join(c.ExternalSource.values)},
                )
                continue
            if not ident:
                self.problem("users.csv", line, "userIds", _("The %(type)s id is empty.") % {"type": kind})
                return None
            ids.append((source, ident))
        return ids

    # -- the package -----------------------------------------------------------

    def read(self) -> RosterBatch:
        try:
            archive = zipfile.ZipFile(io.BytesIO(self.data))
        except zipfile.BadZipFile:
            self.problem(self.name, 1, "", _("This is not a zip file; a OneRoster package is a zip of CSV files."))
            return self.batch
        with archive:
            manifest = self.read_manifest(archive)
            if manifest is None:
                return self.batch
            tables = {
                name: self.read_table(archive, f"{name}.csv")
                for name in ("orgs", "academicSessions", "users", "roles")
                if manifest.get(f"file.{name}") == "bulk"
            }
            if manifest.get("file.demographics") == "bulk":
                tables["demographics"] = self.read_table(archive, "demographics.csv")
            else:
                tables["demographics"] = None
                self.finding(
                    "manifest.csv",
                    1,
                    "file.demographics",
                    _("No demographics: birth dates, sex and races are left as they are."),
                )
        if any(tables.get(name) is None for name in REQUIRED_FILES):
            return self.batch
        self.map(tables)
        return self.batch

    def map(self, tables: dict[str, Table | None]) -> None:
        orgs = self.unique(tables["orgs"])
        schools: dict[str, tuple[int, str]] = {}  # org sourcedId -> (line, state school id)
        for sid, (line, row) in orgs.items():
            if not self.status(tables["orgs"], line, row):
                continue
            kind = row["type"]
            if kind not in ORG_TYPES and not kind.startswith("ext:"):
                self.problem("orgs.csv", line, "type", _("Unknown org type “%(value)s”.") % {"value": kind})
            elif kind == "school":
                if not row["identifier"]:
                    self.problem("orgs.csv", line, "identifier", _("A school needs its state school id as identifier."))
                else:
                    schools[sid] = (line, row["identifier"])

        sessions: list[tuple[int, datetime.date, datetime.date, int]] = []
        for line, row in self.unique(tables["academicSessions"]).values():
            if not self.status(tables["academicSessions"], line, row):
                continue
            kind = row["type"]
            if kind not in SESSION_TYPES and not kind.startswith("ext:"):
                self.problem(
                    "academicSessions.csv", line, "type", _("Unknown session type “%(value)s”.") % {"value": kind}
                )
                continue
            if kind != "schoolYear":
                continue
            start, ok1 = self.date("academicSessions.csv", line, "startDate", row["startDate"])
            end, ok2 = self.date("academicSessions.csv", line, "endDate", row["endDate"])
            year = row["schoolYear"]
            if not (year.isdigit() and len(year) == 4):
                self.problem("academicSessions.csv", line, "schoolYear", _("Give the ending year, such as 2027."))
                continue
            if not (ok1 and ok2) or start is None or end is None:
                if ok1 and ok2:
                    self.problem(
                        "academicSessions.csv", line, "startDate", _("A school year needs its start and end dates.")
                    )
                continue
            if end < start:
                self.problem("academicSessions.csv", line, "endDate", _("The end date comes before the start date."))
                continue
            sessions.append((line, start, end, int(year)))
        if not sessions:
            self.problem("academicSessions.csv", 1, "type", _("The package has no schoolYear session."))

        users = self.unique(tables["users"])
        demographics = self.unique(tables["demographics"]) if tables["demographics"] else {}
        role_rows: dict[str, list[tuple[int, dict]]] = {}
        seen_roles: dict[str, int] = {}
        for line, row in tables["roles"].rows:
            sid = row["sourcedId"]
            if sid in seen_roles:
                self.problem(
                    "roles.csv", line, "sourcedId", _("Duplicate of line %(line)s.") % {"line": seen_roles[sid]}
                )
                continue
            seen_roles[sid] = line
            if not sid:
                self.problem("roles.csv", line, "sourcedId", _("This field is required."))
                continue
            if row["role"] not in ROLES_ENUM and not row["role"].startswith("ext:"):
                self.problem("roles.csv", line, "role", _("Unknown role “%(value)s”.") % {"value": row["role"]})
                continue
            if row["role"] != "student" or not self.status(tables["roles"], line, row):
                continue
            if row["userSourcedId"] not in users:
                self.problem("roles.csv", line, "userSourcedId", _("No user with this sourcedId in users.csv."))
                continue
            role_rows.setdefault(row["userSourcedId"], []).append((line, row))

        for sid, (line, row) in users.items():
            roles = role_rows.get(sid)
            if not roles or not self.status(tables["users"], line, row):
                continue  # not a student (teachers, guardians) or skipped
            student = self.student(line, row, demographics.get(sid), orgs, schools)
            if not student.school_key:  # a new student joins the district of its first school
                student.school_key = next(
                    (schools[r["orgSourcedId"]][1] for _l, r in roles if r["orgSourcedId"] in schools), ""
                )
            self.batch.students.append(student)
            for role_line, role in roles:
                enrollment = self.enrollment(role_line, role, student, row, orgs, schools, sessions)
                if enrollment is not None:
                    self.batch.enrollments.append(enrollment)

    def student(self, line, row, demographic, orgs, schools) -> StudentRow:
        """The student of a users.csv row and its demographics row, problems reported.

        A row with problems still goes on to the planner, so the model's own checks report the rest of
        what is wrong with it (the batch is refused either way).
        """
        values: dict[str, object] = {
            "legal_first_name": row["givenName"],
            "legal_last_name": row["familyName"],
            "legal_middle_name": row["middleName"],
            "preferred_name": row["preferredGivenName"],
        }
        if row["identifier"]:
            values["state_id"] = row["identifier"]
        grades = row["grades"].replace(",", " ").split()
        refused = set()
        if len(grades) > 1:
            self.problem(
                "users.csv", line, "grades", _("A student has one grade; this row gives %(n)s.") % {"n": len(grades)}
            )
            refused.add("grade_level")
        elif grades:
            values["grade_level"] = grades[0]
        ids = self.external_ids(line, row["userIds"])
        if ids is None:
            refused.add("external_ids")
        student = StudentRow(
            file="users.csv",
            line=line,
            values=values,
            external_ids=ids or [],
            fallback_ids=[(ONEROSTER_SOURCE, row["sourcedId"])],
            ref=row["sourcedId"],
            columns=STUDENT_COLUMNS,
            refused=refused,
        )
        primary = row["primaryOrgSourcedId"]
        if primary:
            if primary not in orgs:
                self.problem("users.csv", line, "primaryOrgSourcedId", _("No org with this sourcedId in orgs.csv."))
                refused.add("district")
            elif primary in schools:
                student.school_key = schools[primary][1]
        if demographic is not None:
            self.demographics(student, *demographic)
        return student

    def demographics(self, student: StudentRow, line: int, row: dict) -> bool:
        file = "demographics.csv"
        if row["status"] == "tobedeleted":
            self.finding(file, line, "status", _("Marked tobedeleted: skipped (a roster import deletes nothing)."))
            return True
        errors = len(self.batch.problems)
        for name in ("birth_date", "sex", "races", "hispanic"):
            student.origins[name] = (file, line)
        birth_date, ok = self.date(file, line, "birthDate", row["birthDate"])
        if not ok:
            student.refused.add("birth_date")
        elif birth_date is not None:
            student.values["birth_date"] = birth_date
        sex = row["sex"]
        if sex in SEX_IN:
            student.values["sex"] = SEX_IN[sex]
        elif sex == "unspecified":
            student.unspecified["sex"] = _("Sex is “unspecified” in the package.")
        elif sex:
            self.problem(file, line, "sex", _("Use male, female, other or unspecified."))
            student.refused.add("sex")
        flags = {column: self.flag(file, line, column, row[column]) for column, _code in RACE_FLAGS}
        several = self.flag(file, line, "demographicRaceTwoOrMoreRaces", row["demographicRaceTwoOrMoreRaces"])
        hispanic = self.flag(file, line, "hispanicOrLatinoEthnicity", row["hispanicOrLatinoEthnicity"])
        if any(v is not None for v in flags.values()):
            codes = [code for column, code in RACE_FLAGS if flags[column]]
            student.values["races"] = " ".join(codes)
            if several and len(codes) < 2:
                self.finding(
                    file,
                    line,
                    "demographicRaceTwoOrMoreRaces",
                    _("Says two or more races but marks fewer than two; the races marked are kept."),
                )
        if hispanic is not None:
            student.values["hispanic"] = hispanic
        if len(self.batch.problems) > errors:
            student.refused.add("races")  # whichever it was: the row is refused
        return len(self.batch.problems) == errors

    def enrollment(self, line, role, student: StudentRow, user, orgs, schools, sessions) -> EnrollmentRow | None:
        file = "roles.csv"
        errors = len(self.batch.problems)
        org = role["orgSourcedId"]
        if org not in orgs:
            self.problem(file, line, "orgSourcedId", _("No org with this sourcedId in orgs.csv."))
        elif org not in schools:
            self.problem(file, line, "orgSourcedId", _("A student's role must be at an org of type school."))
        if role["roleType"] not in ROLE_TYPES:
            self.problem(file, line, "roleType", _("Use primary or secondary."))
        begin, _ok = self.date(file, line, "beginDate", role["beginDate"])
        end, _ok = self.date(file, line, "endDate", role["endDate"])
        if len(self.batch.problems) > errors:
            return None
        if begin is not None:
            session = next((s for s in sessions if s[1] <= begin <= s[2]), None)
        else:
            session = sessions[0] if len(sessions) == 1 else None
        if session is None:
            if sessions:
                self.problem(
                    file, line, "beginDate", _("The begin date falls in no schoolYear session of academicSessions.csv.")
                )
            return None
        school_line, school_key = schools[org]
        current = end is None and role["roleType"] == "primary"
        if current and user["primaryOrgSourcedId"] and user["primaryOrgSourcedId"] != org:
            self.finding(
                file, line, "orgSourcedId", _("The primary role is at another org than the user's primaryOrgSourcedId.")
            )
        values: dict[str, object] = {
            "entry_date": begin,
            "exit_date": end + ONE_DAY if end is not None else None,
            "is_primary": role["roleType"] == "primary",
        }
        if "grade_level" in student.values:
            values["grade_level"] = student.values["grade_level"]
        return EnrollmentRow(
            file=file,
            line=line,
            values=values,
            student_ref=student.ref,
            school_key=school_key,
            year_end=session[3],
            school_where=("orgs.csv", school_line, "identifier"),
            year_where=("academicSessions.csv", session[0], "schoolYear"),
            columns=ROLE_COLUMNS,
            entry_defaults_to_year_start=True,
            exit_code_not_carried=True,
        )


@gc_paused
def read_package(data: bytes, name: str = "") -> RosterBatch:
    """Read a OneRoster 1.2 bulk package (zip bytes) into roster rows, with every problem found."""
    return PackageReader(data, name).read()


# -- writing -------------------------------------------------------------------------


def _csv(columns: list[str], rows) -> bytes:
    return csv_bytes([columns, *rows], lineterminator="\n")


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _stamp(value) -> str:
    if value is None:
        return ""
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def student_sourced_id(student, external: dict[str, str]) -> str:
    return external.get(c.ExternalSource.ONEROSTER) or f"student-{student.pk}"


def write_package(*, districts, schools, years, students, external_ids, enrollments) -> bytes:
    """A OneRoster 1.2 bulk package (zip bytes) of these records.

    ``external_ids`` maps a student id to its {source: id}. ``enrollments``
    carry their student, school and school year.
    """
    district_ids = {d.pk: f"lea-{d.state_lea_id}" for d in districts}
    school_ids = {s.pk: f"school-{s.state_school_id}" for s in schools}
    year_ids = {y.pk: f"year-{y.district_id}-{y.end_year}" for y in years}
    orgs = [
        [sid, "active", _stamp(d.updated_at), d.name, "district", d.state_lea_id, ""]
        for d in districts
        for sid in [district_ids[d.pk]]
    ]
    orgs += [
        [
            school_ids[s.pk],
            "active",
            _stamp(s.updated_at),
            s.name,
            "school",
            s.state_school_id,
            district_ids.get(s.district_id, ""),
        ]
        for s in schools
    ]
    sessions = [
        [
            year_ids[y.pk],
            "active",
            _stamp(y.updated_at),
            str(y),
            "schoolYear",
            y.start_date.isoformat(),
            y.end_date.isoformat(),
            "",
            str(y.end_year),
        ]
        for y in years
    ]
    sourced = {s.pk: student_sourced_id(s, external_ids.get(s.pk, {})) for s in students}
    primary_school: dict[int, int] = {}
    for e in sorted(enrollments, key=lambda e: (e.entry_date, e.pk)):
        if e.is_primary:
            primary_school[e.student_id] = e.school_id
    users, demographics = [], []
    for s in students:
        ids = external_ids.get(s.pk, {})
        user_ids = ",".join(
            f"{{{source}:{value}}}" for source, value in sorted(ids.items()) if source != c.ExternalSource.ONEROSTER
        )
        sid = sourced[s.pk]
        users.append(
            [
                sid,
                "active",
                _stamp(s.updated_at),
                "true",
                sid,
                user_ids,
                s.legal_first_name,
                s.legal_last_name,
                s.legal_middle_name,
                s.state_id or "",
                "",
                "",
                "",
                "",
                s.grade_level,
                "",
                "",
                "",
                s.preferred_name,
                "",
                "",
                school_ids.get(primary_school.get(s.pk), ""),
                "",
            ]
        )
        races = set(s.race_codes())
        demographics.append(
            [
                sid,
                "active",
                _stamp(s.updated_at),
                s.birth_date.isoformat(),
                SEX_OUT.get(s.sex, "unspecified"),
                *[_flag(code in races) for _column, code in RACE_FLAGS],
                _flag(len(races) > 1),
                _flag(s.hispanic),
                "",
                "",
                "",
                "",
            ]
        )
    roles = [
        [
            f"role-{e.pk}",
            "active",
            _stamp(e.updated_at),
            sourced[e.student_id],
            "primary" if e.is_primary else "secondary",
            "student",
            e.entry_date.isoformat(),
            (e.exit_date - ONE_DAY).isoformat() if e.exit_date else "",
            school_ids[e.school_id],
            "",
        ]
        for e in enrollments
    ]
    manifest = [
        ["manifest.version", "1.0"],
        ["oneroster.version", "1.2"],
        *[
            [
                f"file.{name}",
                "bulk" if name in ("academicSessions", "demographics", "orgs", "roles", "users") else "absent",
            ]
            for name in ALL_MANIFEST_FILES
        ],
        ["source.systemName", SOURCE_SYSTEM],
        ["source.systemCode", "ops-portal"],
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.csv", _csv(MANIFEST, manifest))
        archive.writestr("orgs.csv", _csv(ORGS, orgs))
        archive.writestr("academicSessions.csv", _csv(SESSIONS, sessions))
        archive.writestr("users.csv", _csv(USERS, users))
        archive.writestr("roles.csv", _csv(ROLES, roles))
        archive.writestr("demographics.csv", _csv(DEMOGRAPHICS, demographics))
    return buffer.getvalue()
