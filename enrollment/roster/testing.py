"""A small hand-made OneRoster package, for tests and for trying the import by hand.

``package()`` returns zip bytes; every file can be replaced or edited row by
row, so a test states only what it breaks. The package fits the ``world``
fixture: Lincoln (6400011) and Washington (6400012) in district 640, school
year 2026-2027.
"""

from __future__ import annotations

import copy
import csv
import io
import zipfile

from .oneroster import DEMOGRAPHICS, MANIFEST, ORGS, ROLES, SESSIONS, USERS, USERS_WITHOUT_RESOURCES

MANIFEST_ROWS = [
    {"propertyName": "manifest.version", "value": "1.0"},
    {"propertyName": "oneroster.version", "value": "1.2"},
    {"propertyName": "file.academicSessions", "value": "bulk"},
    {"propertyName": "file.classes", "value": "absent"},
    {"propertyName": "file.courses", "value": "absent"},
    {"propertyName": "file.demographics", "value": "bulk"},
    {"propertyName": "file.enrollments", "value": "absent"},
    {"propertyName": "file.orgs", "value": "bulk"},
    {"propertyName": "file.roles", "value": "bulk"},
    {"propertyName": "file.users", "value": "bulk"},
    {"propertyName": "source.systemName", "value": "Test SIS"},
]
ORG_ROWS = [
    {"sourcedId": "lea-640", "name": "Capitol City Public Schools", "type": "district", "identifier": "640"},
    {
        "sourcedId": "sch-lin",
        "name": "Lincoln Elementary School",
        "type": "school",
        "identifier": "6400011",
        "parentSourcedId": "lea-640",
    },
    {
        "sourcedId": "sch-wash",
        "name": "Washington Middle School",
        "type": "school",
        "identifier": "6400012",
        "parentSourcedId": "lea-640",
    },
]
SESSION_ROWS = [
    {
        "sourcedId": "sy-2027",
        "title": "2026-2027",
        "type": "schoolYear",
        "startDate": "2026-08-27",
        "endDate": "2027-06-11",
        "schoolYear": "2027",
    },
    {
        "sourcedId": "t-fall",
        "title": "Fall",
        "type": "term",
        "startDate": "2026-08-27",
        "endDate": "2027-01-20",
        "parentSourcedId": "sy-2027",
        "schoolYear": "2027",
    },
]
USER_ROWS = [
    {
        "sourcedId": "stu-1",
        "enabledUser": "true",
        "username": "adiaz",
        "userIds": "{SIS:5001}",
        "givenName": "Ana",
        "familyName": "Diaz",
        "middleName": "Rosa",
        "identifier": "1234567890",
        "grades": "04",
        "primaryOrgSourcedId": "sch-lin",
    },
    {
        "sourcedId": "stu-2",
        "enabledUser": "true",
        "username": "blee",
        "userIds": "{SIS:5002}",
        "givenName": "Ben",
        "familyName": "Lee",
        "identifier": "1234567891",
        "grades": "07",
        "preferredGivenName": "Benny",
        "primaryOrgSourcedId": "sch-lin",
    },
    {
        "sourcedId": "stu-3",
        "enabledUser": "true",
        "username": "cmoss",
        "userIds": "{lottery:L-77}",
        "givenName": "Cara",
        "familyName": "Moss",
        "grades": "KG",
        "primaryOrgSourcedId": "sch-lin",
    },
    {
        "sourcedId": "tch-1",
        "enabledUser": "true",
        "username": "teacher",
        "givenName": "Tess",
        "familyName": "Park",
        "identifier": "T-9",
        "primaryOrgSourcedId": "sch-lin",
    },
]
ROLE_ROWS = [
    {
        "sourcedId": "r-1",
        "userSourcedId": "stu-1",
        "roleType": "primary",
        "role": "student",
        "beginDate": "2026-08-27",
        "orgSourcedId": "sch-lin",
    },
    {
        "sourcedId": "r-2",
        "userSourcedId": "stu-2",
        "roleType": "primary",
        "role": "student",
        "beginDate": "2026-08-27",
        "endDate": "2027-01-15",
        "orgSourcedId": "sch-wash",
    },
    {
        "sourcedId": "r-3",
        "userSourcedId": "stu-2",
        "roleType": "primary",
        "role": "student",
        "beginDate": "2027-01-16",
        "orgSourcedId": "sch-lin",
    },
    {
        "sourcedId": "r-4",
        "userSourcedId": "stu-3",
        "roleType": "primary",
        "role": "student",
        "beginDate": "2026-09-02",
        "orgSourcedId": "sch-lin",
    },
    {
        "sourcedId": "r-5",
        "userSourcedId": "tch-1",
        "roleType": "primary",
        "role": "teacher",
        "beginDate": "2026-08-27",
        "orgSourcedId": "sch-lin",
    },
]
DEMOGRAPHIC_ROWS = [
    {
        "sourcedId": "stu-1",
        "birthDate": "2016-05-01",
        "sex": "female",
        "blackOrAfricanAmerican": "true",
        "hispanicOrLatinoEthnicity": "false",
    },
    {
        "sourcedId": "stu-2",
        "birthDate": "2013-02-11",
        "sex": "male",
        "asian": "true",
        "white": "true",
        "demographicRaceTwoOrMoreRaces": "true",
        "hispanicOrLatinoEthnicity": "false",
    },
    {
        "sourcedId": "stu-3",
        "birthDate": "2021-07-30",
        "sex": "other",
        "white": "true",
        "hispanicOrLatinoEthnicity": "true",
    },
]


def table(columns: list[str], rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(col, "") for col in columns])
    return buffer.getvalue().encode()


def files(*, with_resources: bool = True) -> dict[str, tuple[list[str], list[dict]]]:
    """The package's files as (columns, rows), to edit before ``zip_files``."""
    return copy.deepcopy(
        {
            "manifest.csv": (MANIFEST, MANIFEST_ROWS),
            "orgs.csv": (ORGS, ORG_ROWS),
            "academicSessions.csv": (SESSIONS, SESSION_ROWS),
            "users.csv": (USERS if with_resources else USERS_WITHOUT_RESOURCES, USER_ROWS),
            "roles.csv": (ROLES, ROLE_ROWS),
            "demographics.csv": (DEMOGRAPHICS, DEMOGRAPHIC_ROWS),
        }
    )


def zip_files(parts: dict[str, tuple[list[str], list[dict]] | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content if isinstance(content, bytes) else table(*content))
    return buffer.getvalue()


def package(*, with_resources: bool = True) -> bytes:
    return zip_files(files(with_resources=with_resources))


def enrollment_manager(world, username: str = "enrollment_manager"):
    """An enrollment department manager of the world's district (writes students everywhere in it)."""
    from core.choices import Role
    from district.tests.factories import RoleAssignmentFactory, UserFactory

    user = UserFactory(username=username)
    RoleAssignmentFactory(
        user=user, role=Role.DEPT_MANAGER, district=world.district, department=world.dept["enrollment"]
    )
    return user


def enrollment_staff(world, school, username: str = "enrollment_staff"):
    """Enrollment department staff at one school."""
    from core.choices import Role
    from district.tests.factories import RoleAssignmentFactory, UserFactory

    user = UserFactory(username=username)
    RoleAssignmentFactory(
        user=user, role=Role.DEPT_STAFF, district=world.district, department=world.dept["enrollment"], schools=[school]
    )
    return user
