"""FS052 at state scale on PostgreSQL: the whole job against its floor, measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python -m bench reporting [--students 510000]

Uses (and keeps, for the next run) a database ``ops_bench_state`` on the same
server, filled by ``seed_demo --districts 30 --schools 1000`` when empty. The
job is the report service run for FS052 at the state, district and school
levels over every district (SQL aggregation, EDFacts writer, validation and
the year-over-year check). The floor is the raw GROUP BY queries the job rests
on (this year's and last year's membership at the finest grain) plus writing
their result rows with Python's csv module. Target: the job within 2 times its
floor.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import time
from urllib.parse import urlparse, urlunparse

BENCH_DB = "ops_bench_state"


def _setup(students: int, schools: int, districts: int) -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print("reporting bench: set DATABASE_URL to a PostgreSQL server (skipped)")
        raise SystemExit(0)
    import psycopg2

    parsed = urlparse(url)
    admin = psycopg2.connect(
        host=parsed.hostname,
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        dbname="postgres",
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE DATABASE {BENCH_DB}")
    admin.close()
    os.environ["DATABASE_URL"] = urlunparse(parsed._replace(path=f"/{BENCH_DB}"))
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ops_portal.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from enrollment.models import Student

    if not Student.objects.exists():
        started = time.perf_counter()
        call_command("seed_demo", districts=districts, schools=schools, students=students, seed=2026)
        print(f"built the state data set in {time.perf_counter() - started:.1f} s")


FLOOR_SQL = """
SELECT d.state_lea_id, s.state_school_id, e.grade_level, st.race_ethnicity, st.sex, COUNT(DISTINCT e.student_id)
FROM enrollment_enrollment e
JOIN district_school s ON s.id = e.school_id
JOIN district_district d ON d.id = s.district_id
JOIN enrollment_student st ON st.id = e.student_id
WHERE e.is_primary AND e.entry_date <= %s AND (e.exit_date IS NULL OR e.exit_date > %s)
GROUP BY d.state_lea_id, s.state_school_id, e.grade_level, st.race_ethnicity, st.sex
"""


def floor(as_of, levels: int = 3) -> float:
    """The raw GROUP BY (this year and last) for each level, and csv-writing the rows."""
    from django.db import connection

    started = time.perf_counter()
    for _level in range(levels):
        for day in (as_of, as_of.replace(year=as_of.year - 1)):
            with connection.cursor() as cursor:
                cursor.execute(FLOOR_SQL, [day, day])
                rows = cursor.fetchall()
            buf = io.StringIO()
            csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return time.perf_counter() - started


def job(district, year, levels=("state", "district", "school")) -> tuple[float, int]:
    from reporting import registry
    from reporting.services import clean_parameters

    report = registry.get("fs052")
    started = time.perf_counter()
    records = 0
    for level in levels:
        params = clean_parameters(
            report, district, {"school_year": year.pk, "level": level, "fmt": "csv", "scope": "state"}
        )
        ctx = registry.Context(
            district=district,
            school_year=year,
            as_of=__import__("datetime").date.fromisoformat(params["as_of"]),
            level=level,
            fmt="csv",
            params=params,
        )
        result = report.build(ctx)
        records += sum(o.content.count(b"\r\n") for o in result.outputs)
    return time.perf_counter() - started, records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench reporting", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--students", type=int, default=510_000)
    parser.add_argument("--schools", type=int, default=1000)
    parser.add_argument("--districts", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    _setup(args.students, args.schools, args.districts)
    from district.models import District, SchoolYear
    from enrollment.models import Enrollment, Student

    district = District.objects.order_by("pk").first()
    year = SchoolYear.objects.filter(district=district, end_year=2027).first()
    as_of = __import__("datetime").date(2026, 10, 1)
    print(
        f"data: {Student.objects.count():,} students, {Enrollment.objects.count():,} enrollments, "
        f"{District.objects.count()} districts"
    )
    floors, jobs = [], []
    for _ in range(args.repeat):
        floors.append(floor(as_of))
        elapsed, records = job(district, year)
        jobs.append(elapsed)
    best_floor, best_job = min(floors), min(jobs)
    print(f"FS052, three levels, {records:,} records written")
    print(f"floor (raw GROUP BY x2 per level + csv): {best_floor:.2f} s")
    print(f"job (report build, write, validate):    {best_job:.2f} s")
    ratio = best_job / best_floor
    print(f"ratio job/floor: {ratio:.2f} (target <= 2.0) {'OK' if ratio <= 2.0 else 'OVER'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
