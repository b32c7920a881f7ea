"""Roster import of a state-sized OneRoster package on PostgreSQL, against raw COPY of the same rows.

Run from the repository root, with DATABASE_URL pointing at a PostgreSQL
server (the script makes, migrates and drops its own database,
``ops_bench_roster``, on that server)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ops_portal python -m bench.roster
    python -m bench.roster --students 20000        # a quick run while developing
    python -m bench.roster --json bench/out/roster.json --keep-db

What is measured, in one run:

1. ``import``: a OneRoster 1.2 bulk package of ``--students`` students (about
   4% with a mid-year transfer, so two enrollments, and each with an SIS id),
   across ``--schools`` schools in ``--districts`` districts, imported by the
   roster service as an enrollment manager of every district: reading the zip,
   matching, validation through the models' rules, scope, COPY of students,
   external ids and enrollments, COPY of one audit row per record, and the
   final scope check, committed. Counted: rows written to the three tables.
2. ``copy``: the very rows the import wrote, read back, the tables emptied,
   and written again with raw ``COPY`` into the same (now empty) tables, with
   their indexes, constraints (the one-primary-enrollment exclusion included)
   and foreign keys checked, committed. This is the floor for any import into
   these tables.
3. ``copy into a bare table``: the same rows into unindexed temporary tables,
   for reference.
4. ``re-import``: the same package again, which must change nothing.

Target (issue 3): the import's rows per second at least 40% of ``copy``'s.
Generated data is deterministic for a given ``--seed``.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import platform
import random
import sys
import time
import zipfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCH_DB = "ops_bench_roster"
TARGET = 0.40
END_YEAR = 2027
YEAR_START = datetime.date(2026, 8, 27)
YEAR_END = datetime.date(2027, 6, 11)
GRADES = ["KG", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"]
FIRST = [
    "Ana",
    "Ben",
    "Carla",
    "Dev",
    "Elena",
    "Femi",
    "Grace",
    "Hugo",
    "Ines",
    "Jamal",
    "Kai",
    "Lena",
    "Mateo",
    "Nia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sami",
    "Tariq",
    "Uma",
    "Victor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoe",
]
LAST = [
    "Garcia",
    "Smith",
    "Nguyen",
    "Johnson",
    "Rodriguez",
    "Brown",
    "Lee",
    "Martinez",
    "Davis",
    "Lopez",
    "Wilson",
    "Perez",
    "Taylor",
    "Thomas",
    "Moore",
    "Jackson",
    "Martin",
    "Rivera",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Torres",
    "Walker",
    "Hall",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Green",
    "Baker",
    "Adams",
    "Nelson",
]
RACES = [
    "blackOrAfricanAmerican",
    "white",
    "asian",
    "americanIndianOrAlaskaNative",
    "nativeHawaiianOrOtherPacificIslander",
]
RACE_WEIGHTS = [30, 50, 12, 4, 4]
TABLES = ("enrollment_student", "enrollment_studentexternalid", "enrollment_enrollment")


def bench_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{BENCH_DB}")), urlunsplit(parts._replace(path="/postgres"))


def recreate_database(admin_url: str, drop_only: bool = False) -> None:
    import psycopg2

    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        if not drop_only:
            cursor.execute(f"CREATE DATABASE {BENCH_DB}")
    conn.close()


# -- the data set ------------------------------------------------------------------


def build_package(*, students: int, schools: int, districts: int, seed: int) -> tuple[bytes, int]:
    """A OneRoster package (stored zip) and the number of enrollments in it."""
    from enrollment.roster import oneroster as o
    from enrollment.roster.testing import MANIFEST_ROWS, table

    rng = random.Random(seed)
    per_district = max(1, schools // districts)
    orgs = [
        {"sourcedId": f"lea-{d}", "name": f"District {d}", "type": "district", "identifier": f"{700 + d}"}
        for d in range(districts)
    ]
    orgs += [
        {
            "sourcedId": f"sch-{s}",
            "name": f"School {s}",
            "type": "school",
            "identifier": f"{8000000 + s}",
            "parentSourcedId": f"lea-{min(s // per_district, districts - 1)}",
        }
        for s in range(schools)
    ]
    sessions = [
        {
            "sourcedId": "sy",
            "title": "2026-2027",
            "type": "schoolYear",
            "startDate": YEAR_START.isoformat(),
            "endDate": YEAR_END.isoformat(),
            "schoolYear": str(END_YEAR),
        }
    ]
    users, roles, demographics = [], [], []
    ids = rng.sample(range(10**9, 10**10), students)
    transfer_day = datetime.date(2027, 1, 19)
    for i in range(students):
        grade_index = rng.randrange(len(GRADES))
        sid = f"u{i}"
        school = rng.randrange(schools)
        district = min(school // per_district, districts - 1)
        users.append(
            {
                "sourcedId": sid,
                "enabledUser": "true",
                "username": sid,
                "userIds": f"{{SIS:{district}-{i}}}",
                "givenName": rng.choice(FIRST),
                "familyName": rng.choice(LAST),
                "middleName": rng.choice(FIRST) if rng.random() < 0.3 else "",
                "identifier": str(ids[i]),
                "grades": GRADES[grade_index],
                "primaryOrgSourcedId": f"sch-{school}",
            }
        )
        born = datetime.date(2021 - grade_index, 1, 1) + datetime.timedelta(days=rng.randrange(365))
        races = set(rng.choices(RACES, RACE_WEIGHTS, k=2 if rng.random() < 0.08 else 1))
        demographics.append(
            {
                "sourcedId": sid,
                "birthDate": born.isoformat(),
                "sex": rng.choice(["male", "female", "male", "female", "other"]),
                **{r: ("true" if r in races else "false") for r in RACES},
                "demographicRaceTwoOrMoreRaces": "true" if len(races) > 1 else "false",
                "hispanicOrLatinoEthnicity": "true" if rng.random() < 0.35 else "false",
            }
        )
        if rng.random() < 0.04:
            before = district * per_district + rng.randrange(per_district)
            if before == school:
                before = district * per_district + (school + 1 - district * per_district) % per_district
            roles.append(
                {
                    "sourcedId": f"r{i}a",
                    "userSourcedId": sid,
                    "roleType": "primary",
                    "role": "student",
                    "beginDate": YEAR_START.isoformat(),
                    "endDate": (transfer_day - datetime.timedelta(days=1)).isoformat(),
                    "orgSourcedId": f"sch-{before}",
                }
            )
            begin = transfer_day
        else:
            begin = YEAR_START
        roles.append(
            {
                "sourcedId": f"r{i}",
                "userSourcedId": sid,
                "roleType": "primary",
                "role": "student",
                "beginDate": begin.isoformat(),
                "orgSourcedId": f"sch-{school}",
            }
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("manifest.csv", table(o.MANIFEST, MANIFEST_ROWS))
        archive.writestr("orgs.csv", table(o.ORGS, orgs))
        archive.writestr("academicSessions.csv", table(o.SESSIONS, sessions))
        archive.writestr("users.csv", table(o.USERS, users))
        archive.writestr("roles.csv", table(o.ROLES, roles))
        archive.writestr("demographics.csv", table(o.DEMOGRAPHICS, demographics))
    return buffer.getvalue(), len(roles)


def make_district_data(*, schools: int, districts: int):
    """Districts, schools, school years, enrollment departments, and the importing manager."""
    from core.choices import Role
    from core.models import User
    from district.choices import DepartmentCode
    from district.models import Department, District, RoleAssignment, School, SchoolYear

    per_district = max(1, schools // districts)
    lea = District.objects.bulk_create(
        [District(name=f"District {d}", state_lea_id=f"{700 + d}") for d in range(districts)]
    )
    School.objects.bulk_create(
        [
            School(
                district=lea[min(s // per_district, districts - 1)],
                name=f"School {s}",
                state_school_id=f"{8000000 + s}",
            )
            for s in range(schools)
        ]
    )
    SchoolYear.objects.bulk_create(
        [SchoolYear(district=d, end_year=END_YEAR, start_date=YEAR_START, end_date=YEAR_END) for d in lea]
    )
    departments = Department.objects.bulk_create([Department(district=d, code=DepartmentCode.ENROLLMENT) for d in lea])
    actor = User.objects.create(username="bench_roster_manager")
    RoleAssignment.objects.bulk_create(
        [
            RoleAssignment(user=actor, role=Role.DEPT_MANAGER, district=d, department=dept)
            for d, dept in zip(lea, departments, strict=True)
        ]
    )
    return actor


# -- measuring ---------------------------------------------------------------------


def reset_peak_memory() -> bool:
    """Start a new peak-memory reading for this process (Linux); False where that cannot be done."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_memory_mb() -> float | None:
    """This process's peak resident memory since the last reset, in MB (Linux)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def checkpoint() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")


def dump_rows() -> dict[str, bytes]:
    """The rows the import wrote, as COPY text, table by table."""
    from django.db import connection

    out = {}
    with connection.cursor() as cursor:
        for table in TABLES:
            buffer = io.BytesIO()
            cursor.cursor.copy_expert(f"COPY {table} TO STDOUT", buffer)
            out[table] = buffer.getvalue()
    return out


def timed_copy(rows: dict[str, bytes], *, bare: bool) -> float:
    """COPY the rows into the emptied tables (or bare copies of them), constraints checked, committed."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        if not bare:
            cursor.execute(f"TRUNCATE {', '.join(TABLES)} CASCADE")
    checkpoint()
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for table in TABLES:
            target = table
            if bare:
                target = f"bare_{table}"
                cursor.execute(f"CREATE TEMP TABLE {target} (LIKE {table}) ON COMMIT DROP")
            cursor.cursor.copy_expert(f"COPY {target} FROM STDIN", io.BytesIO(rows[table]))
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    return time.perf_counter() - start


def run(args) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from core.models import AuditEntry
    from enrollment.models import Enrollment, Student, StudentExternalId
    from enrollment.roster.oneroster import read_package
    from enrollment.roster.services import roster_import

    if connection.vendor != "postgresql":
        sys.exit("bench.roster needs PostgreSQL: set DATABASE_URL=postgres://...")
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrated {BENCH_DB} in {time.perf_counter() - t:.1f} s", flush=True)
    actor = make_district_data(schools=args.schools, districts=args.districts)
    t = time.perf_counter()
    data, enrollment_count = build_package(
        students=args.students, schools=args.schools, districts=args.districts, seed=args.seed
    )
    print(
        f"package: {args.students:,} students, {enrollment_count:,} enrollments, {len(data) / 1e6:.0f} MB "
        f"(built in {time.perf_counter() - t:.1f} s)",
        flush=True,
    )

    checkpoint()
    measured_peak = reset_peak_memory()
    start = time.perf_counter()
    batch = read_package(data, "bench.zip")
    read_s = time.perf_counter() - start
    plan = roster_import(actor=actor, batch=batch)
    import_s = time.perf_counter() - start
    rows = Student.objects.count() + StudentExternalId.objects.count() + Enrollment.objects.count()
    audits = AuditEntry.objects.count()
    counts = plan.counts()
    peak_mb = peak_memory_mb() if measured_peak else None
    print(f"import: {rows:,} rows and {audits:,} audit rows in {import_s:.1f} s (reading the zip {read_s:.1f} s)")
    if peak_mb is not None:
        print(f"peak resident memory of the import (package bytes included): {peak_mb:,.0f} MB")

    start = time.perf_counter()
    again = roster_import(actor=actor, batch=read_package(data, "bench.zip"))
    reimport_s = time.perf_counter() - start
    changed = sum(v["created"] + v["updated"] for v in again.counts().values())
    if changed or AuditEntry.objects.count() != audits:
        sys.exit(f"re-importing the same package changed {changed} records")
    print(f"re-import of the same package: nothing changed, {reimport_s:.1f} s")

    dumped = dump_rows()
    copy_s = timed_copy(dumped, bare=False)
    bare_s = timed_copy(dumped, bare=True)
    import_rate, copy_rate, bare_rate = rows / import_s, rows / copy_s, rows / bare_s
    ratio = import_rate / copy_rate
    print(f"copy into the same empty tables: {copy_s:.1f} s")
    print(f"copy into bare tables (no indexes or constraints): {bare_s:.1f} s")
    print()
    print(f"{'':34}{'rows/s':>12}")
    print(f"{'roster import (validated, audited)':34}{import_rate:>12,.0f}")
    print(f"{'raw COPY, same tables':34}{copy_rate:>12,.0f}")
    print(f"{'raw COPY, bare tables':34}{bare_rate:>12,.0f}")
    print(f"ratio import / COPY: {ratio:.0%} (target at least {TARGET:.0%}): {'met' if ratio >= TARGET else 'NOT met'}")
    print(f"ratio import / COPY into bare tables: {import_rate / bare_rate:.0%}")
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs")
    return {
        "students": args.students,
        "enrollments": enrollment_count,
        "schools": args.schools,
        "districts": args.districts,
        "rows": rows,
        "audit_rows": audits,
        "counts": counts,
        "import_s": import_s,
        "read_s": read_s,
        "reimport_s": reimport_s,
        "import_peak_memory_mb": peak_mb,
        "copy_s": copy_s,
        "bare_copy_s": bare_s,
        "import_rows_per_s": import_rate,
        "copy_rows_per_s": copy_rate,
        "bare_copy_rows_per_s": bare_rate,
        "ratio": ratio,
        "target": TARGET,
        "met": ratio >= TARGET,
        "python": platform.python_version(),
        "load_average": os.getloadavg(),
        "cpus": os.cpu_count(),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=510_000)
    parser.add_argument("--schools", type=int, default=1000)
    parser.add_argument("--districts", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20260301)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--keep-db", action="store_true", help=f"leave {BENCH_DB} in place afterwards")
    args = parser.parse_args(argv)

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("bench.roster needs PostgreSQL: set DATABASE_URL=postgres://user@host:5432/name", file=sys.stderr)
        return 2
    database_url, admin_url = bench_url(url)
    recreate_database(admin_url)
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ops_portal.settings")
    try:
        figures = run(args)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep_db:
            recreate_database(admin_url, drop_only=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2, default=str))
    return 0 if figures["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
