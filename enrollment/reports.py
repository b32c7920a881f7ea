"""Reports from enrollment data, registered with the reporting app.

Counts come from SQL aggregation over membership on the as-of date (primary
enrollments active that day). The public version of a summary suppresses
cells under the small-cell threshold (settings.OPS_SMALL_CELL).
"""

from __future__ import annotations

import csv
import datetime
import io

from django.conf import settings

from district.models import School, SchoolProfile
from reporting.registry import BuildResult, Context, Finding, Output, Report, register

from .choices import Program
from .models import Enrollment, ProgramParticipation, Student

SOURCES = (Enrollment, Student, ProgramParticipation, School, SchoolProfile)


def october_first(year) -> datetime.date:
    return datetime.date(year.end_year - 1, 10, 1)


def _xlsx(sheets: dict[str, list[list]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title[:31])
        for row in rows:
            ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _csv(rows: list[list]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode("utf-8")


def suppress(count: int, threshold: int | None = None) -> int | str:
    threshold = settings.OPS_SMALL_CELL if threshold is None else threshold
    return f"<{threshold}" if 0 < count < threshold else count


def membership(ctx: Context):
    return Enrollment.objects.filter(school__district=ctx.district)


def build_summary(ctx: Context) -> BuildResult:
    """Membership by school, grade, race/ethnicity, sex and program; a full and a public (suppressed) version."""
    base = membership(ctx)
    ctx.progress(10, "Counting membership by school, grade, race/ethnicity and sex.")
    rows = list(
        base.membership(ctx.as_of, by=("school__name", "grade_level", "student__race_ethnicity", "student__sex"))
    )
    ctx.progress(50, "Counting program participation.")
    programs = {}
    for program in Program:
        for r in base.membership_in_program(ctx.as_of, program, by=("school__name", "grade_level")):
            programs[(r["school__name"], r["grade_level"], program.value)] = r["students"]
    header = ["School", "Grade", "Race/ethnicity", "Sex", "Students"]
    detail = [
        [r["school__name"], r["grade_level"], r["student__race_ethnicity"] or "", r["student__sex"], r["students"]]
        for r in rows
    ]
    by_unit: dict[tuple[str, str], int] = {}
    for r in rows:
        key = (r["school__name"], r["grade_level"])
        by_unit[key] = by_unit.get(key, 0) + r["students"]
    program_header = ["School", "Grade", "Students", *[str(p.label) for p in Program]]
    program_rows = [
        [school, grade, total, *[programs.get((school, grade, p.value), 0) for p in Program]]
        for (school, grade), total in sorted(by_unit.items())
    ]
    public_detail = [[*row[:-1], suppress(row[-1])] for row in detail]
    public_programs = [[*row[:2], *[suppress(v) for v in row[2:]]] for row in program_rows]
    stamp = ctx.as_of.strftime("%Y%m%d")
    outputs = []
    if ctx.fmt == "xlsx":
        outputs.append(
            Output(
                f"enrollment-summary-{stamp}.xlsx",
                "xlsx",
                _xlsx({"By group": [header, *detail], "By program": [program_header, *program_rows]}),
            )
        )
        outputs.append(
            Output(
                f"enrollment-summary-{stamp}-public.xlsx",
                "xlsx",
                _xlsx({"By group": [header, *public_detail], "By program": [program_header, *public_programs]}),
            )
        )
    else:
        outputs.append(Output(f"enrollment-summary-{stamp}.csv", "csv", _csv([header, *detail])))
        outputs.append(Output(f"enrollment-summary-{stamp}-programs.csv", "csv", _csv([program_header, *program_rows])))
        outputs.append(Output(f"enrollment-summary-{stamp}-public.csv", "csv", _csv([header, *public_detail])))
        outputs.append(
            Output(f"enrollment-summary-{stamp}-programs-public.csv", "csv", _csv([program_header, *public_programs]))
        )
    ctx.progress(90, f"Wrote {len(outputs)} files.")
    return BuildResult(outputs=outputs, findings=[])


def build_worksheet(ctx: Context) -> BuildResult:
    """The October 1 worksheet: counts by school and grade, the students counted, and those left out and why."""
    base = membership(ctx).select_related("student", "school")
    ctx.progress(10, "Reading enrollments around the count date.")
    year_rows = base.filter(school_year=ctx.school_year).order_by(
        "school__name", "grade_level", "student__legal_last_name"
    )
    counted, left_out, findings = [], [], []
    counts: dict[tuple[str, str], int] = {}
    for e in year_rows.iterator(chunk_size=2000):
        s = e.student
        person = [e.school.name, e.grade_level, s.state_id or "", s.legal_last_name, s.legal_first_name]
        active = e.entry_date <= ctx.as_of and (e.exit_date is None or e.exit_date > ctx.as_of)
        if not e.is_primary:
            left_out.append([*person, "Secondary enrollment (counted at the primary school)"])
        elif e.entry_date > ctx.as_of:
            left_out.append([*person, f"Entered after the count date ({e.entry_date.isoformat()})"])
        elif not active:
            left_out.append([*person, f"Left before the count date ({e.exit_date.isoformat()}, {e.exit_code})"])
        else:
            counted.append([*person, s.race_ethnicity, s.sex])
            counts[(e.school.name, e.grade_level)] = counts.get((e.school.name, e.grade_level), 0) + 1
            if not s.state_id:
                findings.append(
                    Finding("warning", "Counted student has no state id (SASID).", record=str(s.pk), field="state_id")
                )
            if not s.race_ethnicity:
                findings.append(
                    Finding(
                        "warning", "Counted student has no race/ethnicity.", record=str(s.pk), field="race_ethnicity"
                    )
                )
    ctx.progress(80, f"{len(counted)} students counted, {len(left_out)} left out.")
    summary = [["School", "Grade", "Students"], *[[k[0], k[1], v] for k, v in sorted(counts.items())]]
    content = _xlsx(
        {
            "Counts": summary,
            "Counted": [["School", "Grade", "SASID", "Last name", "First name", "Race/ethnicity", "Sex"], *counted],
            "Left out": [["School", "Grade", "SASID", "Last name", "First name", "Why"], *left_out],
        }
    )
    name = f"october-membership-{ctx.district.state_lea_id}-{ctx.as_of:%Y%m%d}.xlsx"
    return BuildResult(outputs=[Output(name, "xlsx", content, student_level=True)], findings=findings)


register(
    Report(
        key="enrollment_summary",
        title="Enrollment summary",
        department="enrollment",
        build=build_summary,
        formats=("xlsx", "csv"),
        levels=("district",),
        sources=SOURCES,
        default_as_of=october_first,
        description="Membership by school, grade, race/ethnicity, sex and program; public version hides small cells.",
    )
)
register(
    Report(
        key="october_worksheet",
        title="October 1 membership worksheet",
        department="enrollment",
        build=build_worksheet,
        formats=("xlsx",),
        levels=("district",),
        sources=SOURCES,
        default_as_of=october_first,
        student_level=True,
        description="Students counted by school and grade, and those left out and why.",
    )
)
