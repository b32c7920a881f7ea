"""Reports from enrollment data, registered with the reporting app.

Counts come from SQL aggregation over membership on the as-of date (primary
enrollments active that day). The public version of a summary suppresses
cells under the small-cell threshold (settings.OPS_SMALL_CELL).
"""

from __future__ import annotations

import datetime
import io

from django.conf import settings

from core.spreadsheets import csv_bytes, xlsx_append
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
            xlsx_append(ws, row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _csv(rows: list[list]) -> bytes:
    return csv_bytes(rows)


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


# EDFacts files -------------------------------------------------------------

EDFACTS_LEVELS = {"state": "SEA", "district": "LEA", "school": "SCH"}
MAX_NAMED = 50  # records named in one finding list, beyond which a count is given


def _edfacts_findings(findings) -> list[Finding]:
    return [
        Finding(
            f.severity, f.message, record=str(f.record if f.record is not None else (f.unit or "")), field=f.field or ""
        )
        for f in findings
    ]


def _write_edfacts(ctx: Context, number: str, level: str, built, previous_totals=None) -> BuildResult:
    from django.utils import timezone

    from reporting import edfacts

    spec = edfacts.get_spec(number, level)
    header = edfacts.header_for(
        spec,
        fmt=ctx.fmt,
        school_year=ctx.school_year.end_year,
        created=timezone.localtime(),
        state=ctx.district.state or "CT",
    )
    data = edfacts.write(spec, built.records, ctx.fmt, header)
    ctx.progress(85, f"Wrote {len(built.records)} records; validating.")
    findings = list(built.findings) + edfacts.validate(spec, data, ctx.fmt, previous_totals=previous_totals)
    return BuildResult(outputs=[Output(header.file_name, ctx.fmt, data)], findings=_edfacts_findings(findings))


def _membership_scope(ctx: Context):
    """Membership of the run's district, or of every district for a state-wide run (state level or scope)."""
    qs = Enrollment.objects.all()
    if ctx.level == "state" or ctx.params.get("scope") == "state":
        return qs
    return qs.filter(school__district=ctx.district)


def _membership_rows(ctx: Context, day: datetime.date):
    by = (
        "school__district__state_lea_id",
        "school__state_school_id",
        "grade_level",
        "student__race_ethnicity",
        "student__sex",
    )
    for r in _membership_scope(ctx).membership(day, by=by):
        yield (
            r["school__district__state_lea_id"],
            r["school__state_school_id"],
            r["grade_level"],
            r["student__race_ethnicity"],
            r["student__sex"],
            r["students"],
        )


def _unreportable_students(ctx: Context) -> list[Finding]:
    """Counted students who cannot be reported (no race/ethnicity), named so staff can fix them."""
    missing = (
        _membership_scope(ctx)
        .active_on(ctx.as_of)
        .filter(is_primary=True, student__race_ethnicity="")
        .values_list("student_id", "student__state_id", "school__name")
    )
    rows = list(missing[: MAX_NAMED + 1])
    findings = [
        Finding(
            "fatal",
            f"Student {state_id or '(no SASID)'} at {school} has no race/ethnicity; fix the record.",
            record=f"student {student_id}",
            field="race_ethnicity",
        )
        for student_id, state_id, school in rows[:MAX_NAMED]
    ]
    if len(rows) > MAX_NAMED:
        findings.append(
            Finding(
                "fatal",
                "More students have no race/ethnicity; filter the student list to see them.",
                field="race_ethnicity",
            )
        )
    return findings


def build_fs052(ctx: Context) -> BuildResult:
    """FS052 Membership: grade x race/ethnicity x sex detail rows, subtotals and totals."""
    from reporting.edfacts import fs052, unit_totals

    level = EDFACTS_LEVELS[ctx.level]
    ctx.progress(10, "Counting membership on the count date.")
    built = fs052.build(_membership_rows(ctx, ctx.as_of), level, fips_code=ctx.district.fips_code)
    ctx.progress(50, "Counting last year's membership for the year-over-year check.")
    last_year = ctx.as_of.replace(year=ctx.as_of.year - 1)
    previous = fs052.build(_membership_rows(ctx, last_year), level, fips_code=ctx.district.fips_code)
    previous_totals = unit_totals(fs052.spec(level), previous.records) or None
    result = _write_edfacts(ctx, "052", level, built, previous_totals)
    result.findings = _unreportable_students(ctx) + [
        f for f in result.findings if "race" not in (f.field or "").lower() or f.severity != "fatal"
    ]
    return result


def build_fs039(ctx: Context) -> BuildResult:
    """FS039 Grades Offered, from each school's profile for the year."""
    from reporting.edfacts import fs039

    level = EDFACTS_LEVELS[ctx.level]
    schools = School.objects.filter(district=ctx.district, is_active=True).order_by("state_school_id")
    profiles = {p.school_id: p for p in SchoolProfile.objects.filter(school__in=schools, school_year=ctx.school_year)}
    rows, findings = [], []
    for school in schools:
        profile = profiles.get(school.pk)
        if profile is None or not profile.grades_offered:
            findings.append(
                Finding(
                    "fatal",
                    f"{school.name} has no grades offered entered for {ctx.school_year}.",
                    record=school.state_school_id,
                    field="grades_offered",
                )
            )
            continue
        rows.append((ctx.district.state_lea_id, school.state_school_id, profile.grades_offered))
    ctx.progress(40, f"{len(rows)} schools with grades offered.")
    result = _write_edfacts(ctx, "039", level, fs039.build(rows, level, fips_code=ctx.district.fips_code))
    result.findings = findings + result.findings
    return result


def build_fs129(ctx: Context) -> BuildResult:
    """FS129 CCD School: school-meals (NSLP) status, virtual status, shared time; blanks are findings."""
    from reporting.edfacts import fs129

    schools = School.objects.filter(district=ctx.district, is_active=True).order_by("state_school_id")
    profiles = {p.school_id: p for p in SchoolProfile.objects.filter(school__in=schools, school_year=ctx.school_year)}
    rows, findings = [], []
    for school in schools:
        profile = profiles.get(school.pk)
        missing = [
            label
            for label, value in (
                ("NSLP status", profile and profile.nslp_status),
                ("virtual status", profile and profile.virtual_status),
            )
            if not value
        ]
        if missing:
            findings.append(
                Finding(
                    "fatal",
                    f"{school.name}: {', '.join(missing)} not entered for {ctx.school_year}; "
                    "it is not reported until it is.",
                    record=school.state_school_id,
                )
            )
            continue
        rows.append(
            (
                ctx.district.state_lea_id,
                school.state_school_id,
                profile.nslp_status,
                profile.virtual_status,
                profile.shared_time,
            )
        )
    result = _write_edfacts(ctx, "129", "SCH", fs129.build(rows, "SCH", fips_code=ctx.district.fips_code))
    result.findings = findings + result.findings
    return result


EDFACTS_FORMATS = ("txt", "csv", "tab")
register(
    Report(
        key="fs052",
        title="EDFacts FS052 Membership",
        department="enrollment",
        build=build_fs052,
        formats=EDFACTS_FORMATS,
        levels=("school", "district", "state"),
        sources=SOURCES,
        default_as_of=october_first,
        certifiable=True,
        description="Membership on the count date by grade, race/ethnicity and sex, with totals.",
    )
)
register(
    Report(
        key="fs039",
        title="EDFacts FS039 Grades Offered",
        department="enrollment",
        build=build_fs039,
        formats=EDFACTS_FORMATS,
        levels=("school", "district"),
        sources=SOURCES,
        default_as_of=october_first,
        certifiable=True,
        description="The grades each school offers in the year.",
    )
)
register(
    Report(
        key="fs129",
        title="EDFacts FS129 CCD School",
        department="enrollment",
        build=build_fs129,
        formats=EDFACTS_FORMATS,
        levels=("school",),
        sources=SOURCES,
        default_as_of=october_first,
        certifiable=True,
        description="School-meals status, virtual status and shared time for each school.",
    )
)
