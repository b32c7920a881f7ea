"""Benchmark the whole ``lottery_run`` service on PostgreSQL.

Run from the repository root with ``DATABASE_URL`` pointing at a PostgreSQL
server (the script makes its own database there, ``ops_bench_lottery`` by default,
through Django's test database machinery, and drops it at the end)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ops_portal python -m bench.lottery_service
    ... python -m bench.lottery_service --quick          # 10,000 x 100, to try it out
    ... python -m bench.lottery_service --keep           # keep the database and its data for the next run

It generates a window of 71,000 applications over 700 programs with lists up
to 12 (the shape of ``enrollment.lottery.synthetic_market``: skewed
popularity, zone and sibling priorities, staff-child and resident set-asides,
a resident share of applicants and their dated program participation),
written with ``bulk_create``. Then it times ``lottery_run(kind="final")``:
reading the applications, choices, priorities and seat categories, running
the lottery, the summary by program and student group, and writing every
offer and waitlist entry with its audit row, in one transaction. A dry run is
timed first for comparison.

Target (issue 3): the final run under 15 s at 71,000 x 700 x 12.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import sys
import time
from pathlib import Path

TARGET_S = 15.0
SEED = 20260301


def _setup_django(database: str):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ops_portal.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = database
    return connection


def _generate(n_applicants: int, n_programs: int, *, seed: int) -> dict:
    """Write the district, programs, students, applications, priorities and participation; returns ids."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django.utils import timezone

    from core.choices import Role
    from core.models import User
    from district.choices import DepartmentCode
    from district.models import Department, District, RoleAssignment, School, SchoolYear
    from enrollment import choices as c
    from enrollment import models as m
    from enrollment.lottery import synthetic_market

    rng = random.Random(seed)
    applicants, programs = synthetic_market(n_applicants, n_programs, seed=seed, set_asides=True)
    district = District.objects.create(name="Bench Regional District", state_lea_id="BENCH1", nces_id="0999999")
    other = District.objects.create(name="Bench Neighbor District", state_lea_id="BENCH2", nces_id="0999998")
    dept = Department.objects.create(district=district, code=DepartmentCode.ENROLLMENT)
    year = SchoolYear.objects.create(
        district=district, end_year=2028, start_date=datetime.date(2027, 8, 26), end_date=datetime.date(2028, 6, 9)
    )
    actor = User.objects.create(username="bench_enrollment_manager", password=make_password(None))
    RoleAssignment.objects.create(user=actor, role=Role.DEPT_MANAGER, district=district, department=dept)
    now = timezone.now()
    window = m.ApplicationWindow.objects.create(
        district=district,
        name="Bench choice round",
        school_year=year,
        opens_at=now - datetime.timedelta(days=60),
        closes_at=now - datetime.timedelta(days=1),
    )
    n_schools = max(1, n_programs // 2)
    schools = School.objects.bulk_create(
        [School(district=district, name=f"Bench School {i:04d}", state_school_id=f"B{i:07d}") for i in range(n_schools)]
    )
    grades = ("06", "09")
    choice_programs = m.ChoiceProgram.objects.bulk_create(
        [
            m.ChoiceProgram(
                window=window,
                school=schools[i % n_schools],
                grade_level=grades[(i // n_schools) % 2],
                code=p.id,
                name=f"Program {p.id}",
                seats=p.seats,
            )
            for i, p in enumerate(programs)
        ]
    )
    program_id = {p.code: p.pk for p in choice_programs}
    eligibility = {"staff_child": c.PriorityKind.STAFF_CHILD, "resident": c.PriorityKind.RESIDENT}
    m.SeatCategory.objects.bulk_create(
        [
            m.SeatCategory(
                program_id=program_id[p.id],
                name=cat.name,
                seats=cat.seats,
                fill_order=k + 1,
                eligibility=eligibility[cat.name],
            )
            for p in programs
            for k, cat in enumerate(p.categories)
        ]
    )
    races = ["BL7", "WH7", "AS7", "MU7", "AM7", "PI7"]
    students = m.Student.objects.bulk_create(
        [
            m.Student(
                district=district if "resident" in a.flags else other,
                legal_first_name=f"First{k}",
                legal_last_name=f"Last{k}",
                birth_date=datetime.date(2015, 1, 1),
                sex=rng.choice("MMMFFFX" if k % 97 == 0 else "MF"),
                hispanic=(hispanic := rng.random() < 0.45),
                races=(race := races[min(int(rng.expovariate(1.2)), 5)]),
                race_ethnicity=c.RaceEthnicity.HISPANIC if hispanic else race,
                grade_level="05",
            )
            for k, a in enumerate(applicants)
        ],
        batch_size=10000,
    )
    applications = m.Application.objects.bulk_create(
        [m.Application(window=window, student=s, submitted_at=now - datetime.timedelta(days=10)) for s in students],
        batch_size=10000,
    )
    m.ApplicationChoice.objects.bulk_create(
        [
            m.ApplicationChoice(application_id=app.pk, program_id=program_id[code], rank=rank)
            for app, a in zip(applications, applicants)
            for rank, code in enumerate(a.choices, start=1)
        ],
        batch_size=20000,
    )
    priorities = []
    for app, a in zip(applications, applicants):
        for code in a.choices:
            pid = program_id[code]
            given = a.priorities.get(code, 0)
            if given == 2:
                priorities.append(m.ApplicantPriority(application_id=app.pk, program_id=pid, kind="sibling"))
            elif given == 1:
                priorities.append(
                    m.ApplicantPriority(
                        application_id=app.pk,
                        program_id=pid,
                        kind="zone",
                        is_override=True,
                        reason="Zone map of the regional office",
                    )
                )
            if "resident" in a.flags:
                priorities.append(m.ApplicantPriority(application_id=app.pk, program_id=pid, kind="resident"))
            if "staff_child" in a.flags:
                priorities.append(
                    m.ApplicantPriority(
                        application_id=app.pk,
                        program_id=pid,
                        kind="staff_child",
                        is_override=True,
                        reason="Parent on district staff",
                    )
                )
    m.ApplicantPriority.objects.bulk_create(priorities, batch_size=20000)
    start = datetime.date(2026, 8, 27)
    participations = []
    for s in students:
        draw = rng.random()
        if draw < 0.12:
            participations.append(m.ProgramParticipation(student=s, program="el", start_date=start))
        if rng.random() < 0.13:
            participations.append(
                m.ProgramParticipation(student=s, program="idea", data_class="disability", start_date=start)
            )
        if rng.random() < 0.55:
            participations.append(
                m.ProgramParticipation(
                    student=s,
                    program="meals",
                    data_class="meals",
                    meal_status="free",
                    meal_source="direct_cert",
                    start_date=start,
                )
            )
    m.ProgramParticipation.objects.bulk_create(participations, batch_size=20000)
    with connection.cursor() as cursor:  # planner statistics, as autovacuum would gather after a bulk load
        cursor.execute("ANALYZE")
    return {
        "window": window.pk,
        "actor": actor.pk,
        "applications": len(applications),
        "programs": len(choice_programs),
        "choices": sum(len(a.choices) for a in applicants),
        "priorities": len(priorities),
        "participations": len(participations),
        "seats": sum(p.seats for p in programs),
    }


def _reset_runs(window_id: int) -> None:
    """Remove the window's runs, offers and waitlists so the final run can be timed again (audit rows stay)."""
    from django.db import connection

    with connection.cursor() as cursor:
        run_ids = "SELECT id FROM enrollment_lotteryrun WHERE window_id = %s"
        cursor.execute(f"DELETE FROM enrollment_waitlistentry WHERE run_id IN ({run_ids})", [window_id])
        cursor.execute(f"DELETE FROM enrollment_offer WHERE run_id IN ({run_ids})", [window_id])
        cursor.execute("DELETE FROM enrollment_lotteryrun WHERE window_id = %s", [window_id])
        cursor.execute("VACUUM ANALYZE enrollment_offer, enrollment_waitlistentry, enrollment_lotteryrun")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 applicants x 100 programs")
    parser.add_argument("--applicants", type=int, default=None)
    parser.add_argument("--programs", type=int, default=None)
    parser.add_argument("--database", default="ops_bench_lottery", help="database made (and dropped) for the run")
    parser.add_argument("--keep", action="store_true", help="keep the database and its data for the next run")
    parser.add_argument("--skip-dry", action="store_true", help="time only the final run")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    n_applicants = args.applicants or (10_000 if args.quick else 71_000)
    n_programs = args.programs or (100 if args.quick else 700)

    connection = _setup_django(args.database)
    if connection is None:
        print(
            "bench.lottery_service needs PostgreSQL: set DATABASE_URL=postgres://user@host:5432/name", file=sys.stderr
        )
        return 2
    old_name = connection.settings_dict["NAME"]
    started = time.perf_counter()
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False, keepdb=args.keep)
    print(f"database {args.database}: ready in {time.perf_counter() - started:.1f} s")
    try:
        from core.models import AuditEntry, User
        from enrollment.choice import lottery_run
        from enrollment.models import ApplicationWindow

        window = ApplicationWindow.objects.filter(name="Bench choice round").first()
        if window is not None and window.applications.count() != n_applicants:
            sys.exit(f"{args.database} holds another data set; run without --keep once to rebuild it")
        if window is None:
            started = time.perf_counter()
            made = _generate(n_applicants, n_programs, seed=SEED)
            print(
                f"generated {made['applications']:,} applications, {made['programs']:,} programs "
                f"({made['seats']:,} seats), {made['choices']:,} ranked choices, {made['priorities']:,} priorities, "
                f"{made['participations']:,} program spells in {time.perf_counter() - started:.1f} s"
            )
            window = ApplicationWindow.objects.get(pk=made["window"])
        else:
            _reset_runs(window.pk)
            print(f"reusing the data in {args.database}")
        actor = User.objects.get(username="bench_enrollment_manager")
        figures: dict = {"applicants": n_applicants, "programs": n_programs}
        if not args.skip_dry:
            started = time.perf_counter()
            dry = lottery_run(actor=actor, window=window, kind="dry", seed=SEED)
            figures["dry_s"] = time.perf_counter() - started
            print(f"dry run:   {figures['dry_s']:.2f} s  stages {dry.summary['durations']}")
        audit_before = AuditEntry.objects.count()
        started = time.perf_counter()
        final = lottery_run(actor=actor, window=window, kind="final", seed=SEED)
        figures["final_s"] = time.perf_counter() - started
        s = final.summary
        figures.update(
            {
                "stages": s["durations"],
                "offers": s["offers"],
                "waitlist_entries": s["waitlist_entries"],
                "audit_rows": AuditEntry.objects.count() - audit_before,
                "match_rate": s["match_rate"],
                "first_choice_rate": s["first_choice_rate"],
                "top3_rate": s["top3_rate"],
                "input_hash": s["input_hash"],
            }
        )
        figures["load_average"] = os.getloadavg()[0]
        print(
            f"final run: {figures['final_s']:.2f} s  stages {s['durations']}  "
            f"(load average {figures['load_average']:.2f})"
        )
        print(
            f"  {s['offers']:,} offers, {s['waitlist_entries']:,} waitlist entries, "
            f"{figures['audit_rows']:,} audit rows; matched {s['match_rate']:.1%}, first choice "
            f"{s['first_choice_rate']:.1%}, top 3 {s['top3_rate']:.1%}; input SHA-256 {s['input_hash'][:16]}…"
        )
        verdict = "met" if figures["final_s"] < TARGET_S else "MISSED"
        print(
            f"lottery_run final at {n_applicants:,} x {n_programs:,}: {figures['final_s']:.2f} s "
            f"(target < {TARGET_S:.0f} s: {verdict})"
        )
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(figures, indent=2))
    finally:
        if args.keep:
            connection.close()
            connection.settings_dict["NAME"] = old_name
        else:
            connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
