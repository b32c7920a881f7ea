"""Reports from enrollment data, registered with the reporting app.

Counts come from SQL aggregation over membership on the as-of date (primary
enrollments active that day). The public version of a summary suppresses
cells under the small-cell threshold (settings.OPS_SMALL_CELL).
"""

from __future__ import annotations

import datetime
import io
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy

from core.spreadsheets import csv_bytes, xlsx_append
from district.models import School, SchoolProfile
from reporting import edfacts
from reporting.registry import LEFT_OUT, BuildResult, Context, Finding, Output, Report, register

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


STUDENT = "enrollment.student"
SCHOOL = "district.school"
MAX_IDS = 200  # records one finding names (its link opens them); more records make more findings


def student_findings(
    groups: dict[tuple, list[int]], message, *, severity: str, code: str, field: str = ""
) -> list[Finding]:
    """One finding per group of students (a problem at a school), in parts of at most MAX_IDS students.

    ``groups`` maps (school name, state school id, ...) to student ids;
    ``message(key, n)`` says what the n students of the part have in common.
    """
    findings = []
    for key, ids in groups.items():
        parts = [ids[i : i + MAX_IDS] for i in range(0, len(ids), MAX_IDS)]
        for number, part in enumerate(parts, start=1):
            text = message(key, len(part))
            if len(parts) > 1:
                text += f" (part {number} of {len(parts)})"
            findings.append(
                Finding(
                    severity,
                    text,
                    record=str(key[1]),
                    field=field,
                    code=code,
                    model=STUDENT,
                    ids=tuple(part),
                    students=len(part),
                )
            )
    return findings


def _students(n: int, verb: str = "") -> str:
    """ "1 student has", "3 students have" (verb "have", "are" or "is"; none for the bare count)."""
    if n == 1:
        return f"1 student {({'have': 'has', 'are': 'is'}).get(verb, verb)}".rstrip()
    return f"{n} students {verb}".rstrip()


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
    """The October 1 worksheet: counts by school and grade, the students counted, and those left out and why.

    Its "Not in FS052" sheet lists the counted students the FS052 file leaves
    out under the district's setting for it, and why, so the two totals
    reconcile: counted here = FS052 total + those listed.
    """
    base = membership(ctx).select_related("student", "school")
    ctx.progress(10, "Reading enrollments around the count date.")
    year_rows = base.filter(school_year=ctx.school_year).order_by(
        "school__name", "grade_level", "student__legal_last_name"
    )
    counted, left_out = [], []
    counts: dict[tuple[str, str], int] = {}
    no_sasid: dict[tuple, list[int]] = defaultdict(list)
    no_race: dict[tuple, list[int]] = defaultdict(list)
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
                no_sasid[(e.school.name, e.school.state_school_id)].append(s.pk)
            if not s.race_ethnicity:
                no_race[(e.school.name, e.school.state_school_id)].append(s.pk)
    findings = student_findings(
        no_sasid,
        lambda key, n: f"{_students(n)} counted at {key[0]} without a state id (SASID).",
        severity="warning",
        code="required",
        field="state_id",
    ) + student_findings(
        no_race,
        lambda key, n: f"{_students(n)} counted at {key[0]} without race/ethnicity.",
        severity="warning",
        code="required",
        field="race_ethnicity",
    )
    ctx.progress(70, "Listing the counted students the FS052 file leaves out.")
    rule = ctx.sex_rules.get("fs052") or {}
    sex_values = (rule.get("sex_values") or "M F").split()
    not_in_fs052 = [
        [row.school_name, row.grade, row.state_id, row.last_name, row.first_name, row.why]
        for row in fs052_left_out(ctx, sex_values, "SCH", school_year=ctx.school_year)
    ]
    ctx.progress(80, f"{len(counted)} students counted, {len(left_out)} left out.")
    summary = [["School", "Grade", "Students"], *[[k[0], k[1], v] for k, v in sorted(counts.items())]]
    content = _xlsx(
        {
            "Counts": summary,
            "Counted": [["School", "Grade", "SASID", "Last name", "First name", "Race/ethnicity", "Sex"], *counted],
            "Left out": [["School", "Grade", "SASID", "Last name", "First name", "Why"], *left_out],
            "Not in FS052": [["School", "Grade", "SASID", "Last name", "First name", "Why"], *not_in_fs052],
        }
    )
    name = f"october-membership-{ctx.district.state_lea_id}-{ctx.as_of:%Y%m%d}.xlsx"
    return BuildResult(
        outputs=[Output(name, "xlsx", content, student_level=True)],
        findings=findings,
        totals={"counted": len(counted), "not_counted": len(left_out), "not_in_fs052": len(not_in_fs052)},
    )


register(
    Report(
        key="enrollment_summary",
        title=gettext_lazy("Enrollment summary"),
        department="enrollment",
        build=build_summary,
        formats=("xlsx", "csv"),
        levels=("district",),
        sources=SOURCES,
        default_as_of=october_first,
        description=gettext_lazy(
            "Membership by school, grade, race/ethnicity, sex and program; public version hides small cells."
        ),
    )
)
register(
    Report(
        key="october_worksheet",
        title=gettext_lazy("October 1 membership worksheet"),
        department="enrollment",
        build=build_worksheet,
        formats=("xlsx",),
        levels=("district",),
        sources=SOURCES,
        default_as_of=october_first,
        student_level=True,
        description=gettext_lazy("Students counted by school and grade, and those left out and why."),
    )
)


# EDFacts files -------------------------------------------------------------

EDFACTS_LEVELS = {"state": "SEA", "district": "LEA", "school": "SCH"}


def _edfacts_findings(findings, schools: dict[str, tuple[int, int]] | None = None) -> list[Finding]:
    """The EDFacts module's findings; those about a school name it, with the students it has on the count date."""
    schools = schools or {}
    result = []
    for f in findings:
        school = schools.get(f.unit or "")
        result.append(
            Finding(
                f.severity,
                f.message,
                record=str(f.record if f.record is not None else (f.unit or "")),
                field=f.field or "",
                code=f.code,
                model=SCHOOL if school else "",
                ids=(school[0],) if school else (),
                students=school[1] if school else None,
            )
        )
    return result


def _schools_by_state_id(ctx: Context) -> dict[str, tuple[int, int]]:
    """State school id -> (school id, students in membership on the count date), for the run's scope."""
    schools = School.objects.all() if _state_wide(ctx) else School.objects.filter(district=ctx.district)
    students = {r["school"]: r["students"] for r in _membership_scope(ctx).membership(ctx.as_of, by=("school",))}
    return {sid: (pk, students.get(pk, 0)) for pk, sid in schools.values_list("pk", "state_school_id")}


def _write_edfacts(ctx: Context, number: str, level: str, built, previous_totals=None, sex_x=False) -> BuildResult:
    from django.utils import timezone

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
    findings = list(built.findings) + edfacts.validate(
        spec, data, ctx.fmt, sex_x=sex_x, previous_totals=previous_totals
    )
    schools = _schools_by_state_id(ctx) if level == "SCH" and any(f.unit for f in findings) else {}
    return BuildResult(outputs=[Output(header.file_name, ctx.fmt, data)], findings=_edfacts_findings(findings, schools))


def _state_wide(ctx: Context) -> bool:
    return ctx.level == "state" or ctx.params.get("scope") == "state"


def _membership_scope(ctx: Context):
    """Membership of the run's district, or of every district for a state-wide run (state level or scope)."""
    qs = Enrollment.objects.all()
    if _state_wide(ctx):
        return qs
    return qs.filter(school__district=ctx.district)


def _unreportable(level: str, sex_values) -> Q:
    """Membership rows FS052 cannot carry at ``level``: codes outside its permitted values, or no ids."""
    bad = (
        ~Q(grade_level__in=edfacts.permitted("grade"))
        | ~Q(student__race_ethnicity__in=edfacts.permitted("race"))
        | ~Q(student__sex__in=list(sex_values))
    )
    if level in ("LEA", "SCH"):
        bad |= Q(school__district__state_lea_id="")
    if level == "SCH":
        bad |= Q(school__state_school_id="")
    return bad


def _membership_rows(ctx: Context, day: datetime.date) -> list[tuple]:
    """Membership on ``day`` by school, grade, race/ethnicity and sex: (lea id, school id, grade, race, sex, count)."""
    by = (
        "school__district__state_lea_id",
        "school__state_school_id",
        "grade_level",
        "student__race_ethnicity",
        "student__sex",
    )
    return [
        (
            r["school__district__state_lea_id"],
            r["school__state_school_id"],
            r["grade_level"],
            r["student__race_ethnicity"],
            r["student__sex"],
            r["students"],
        )
        for r in _membership_scope(ctx).membership(day, by=by)
    ]


def _reportable(rows: list[tuple], level: str, sex_values) -> list[tuple]:
    """The rows FS052 can carry at ``level``: the complement of :func:`_unreportable`, on the counted rows."""
    grades, races, sexes = set(edfacts.permitted("grade")), set(edfacts.permitted("race")), set(sex_values)
    return [
        r
        for r in rows
        if r[2] in grades and r[3] in races and r[4] in sexes and (level == "SEA" or r[0]) and (level != "SCH" or r[1])
    ]


@dataclass(frozen=True, slots=True)
class LeftOutRow:
    """A student in membership on the count date whom the FS052 file leaves out, and why."""

    student_id: int
    school_name: str
    school_id: str
    grade: str
    state_id: str
    last_name: str
    first_name: str
    reason: str  # "lea_id", "school_id", "grade", "race" or "sex:<value>"
    why: str


def _left_out_row(row, level: str, sex_values) -> LeftOutRow:
    student_id, school_name, school_id, lea_id, grade, race, sex, state_id, last_name, first_name = row
    if level in ("LEA", "SCH") and not lea_id:
        reason, why = "lea_id", "The district has no state LEA id"
    elif level == "SCH" and not school_id:
        reason, why = "school_id", "The school has no state school id (school-level file)"
    elif grade not in edfacts.permitted("grade"):
        reason, why = "grade", f"Grade level {grade!r} is not a value the file carries"
    elif race not in edfacts.permitted("race"):
        reason, why = "race", "No race/ethnicity"
    else:
        reason, why = f"sex:{sex}", f"Sex {sex}: the file carries {', '.join(sex_values)} only"
    return LeftOutRow(student_id, school_name, school_id, grade, state_id or "", last_name, first_name, reason, why)


def fs052_left_out(ctx: Context, sex_values, level: str, school_year=None) -> list[LeftOutRow]:
    """The students in membership on the count date the FS052 file at ``level`` leaves out, and why."""
    rows = _membership_scope(ctx).active_on(ctx.as_of).filter(is_primary=True).filter(_unreportable(level, sex_values))
    if school_year is not None:
        rows = rows.filter(school_year=school_year)
    rows = rows.order_by("school__name", "student__legal_last_name", "student_id").values_list(
        "student_id",
        "school__name",
        "school__state_school_id",
        "school__district__state_lea_id",
        "grade_level",
        "student__race_ethnicity",
        "student__sex",
        "student__state_id",
        "student__legal_last_name",
        "student__legal_first_name",
    )
    return [_left_out_row(row, level, sex_values) for row in rows]


def _left_out_findings(left_out: list[LeftOutRow], rule: dict) -> list[Finding]:
    """The students FS052 leaves out, as findings naming every one of them.

    Records to fix (no race/ethnicity, a grade, ids) by school; students whose
    sex the file does not carry, a matter of the setting rather than of their
    records, in one finding for the district (in parts of MAX_IDS students).
    """
    groups: dict[tuple, list[int]] = defaultdict(list)
    for row in left_out:
        if row.reason.startswith("sex:"):
            groups[("", "", row.reason)].append(row.student_id)
        else:
            groups[(row.school_name, row.school_id, row.reason)].append(row.student_id)
    values = rule.get("sex_values", "M F").split()
    blocking = rule.get("other_sex", "block") == "block"
    version = rule.get("spec_version") or "this specification version"
    findings = []
    for key, ids in groups.items():
        reason = key[2]
        one = {key: ids}
        if reason == "race":
            findings += student_findings(
                one,
                lambda k, n: f"Left out: {_students(n)} at {k[0]} with no race/ethnicity; fix their records.",
                severity="fatal",
                code=LEFT_OUT,
                field="race_ethnicity",
            )
        elif reason == "grade":
            findings += student_findings(
                one,
                lambda k, n: (
                    f"Left out: {_students(n)} at {k[0]} with a grade level the file does not carry; "
                    "fix their enrollments."
                ),
                severity="fatal",
                code=LEFT_OUT,
                field="grade_level",
            )
        elif reason in ("school_id", "lea_id"):
            findings += student_findings(
                one,
                lambda k, n: (
                    f"Left out: {_students(n)} at {k[0]}, as the "
                    + ("school has no state school id." if k[2] == "school_id" else "district has no state LEA id.")
                ),
                severity="fatal",
                code=LEFT_OUT,
                field="school_id" if reason == "school_id" else "lea_id",
            )
        else:
            sex = reason.split(":", 1)[1]
            if blocking:
                findings += student_findings(
                    one,
                    lambda k, n, sex=sex: (
                        f"Left out: {_students(n)} with sex {sex}, which the file does not carry "
                        f"under {version} (it carries {', '.join(values)}). A reporting manager "
                        "decides under File sex values settings: permit the value where the state's specification "
                        "allows it, or leave these students out and list them."
                    ),
                    severity="fatal",
                    code=LEFT_OUT,
                    field="sex",
                )
            else:
                findings += student_findings(
                    one,
                    lambda k, n, sex=sex: (
                        f"Left out: {_students(n)} with sex {sex}, which the file does not carry "
                        f"under {version} (the district's setting: {', '.join(values)}); left out as the setting says."
                    ),
                    severity="warning",
                    code=LEFT_OUT,
                    field="sex",
                )
    return findings


def build_fs052(ctx: Context) -> BuildResult:
    """FS052 Membership: grade x race/ethnicity x sex detail rows, subtotals and totals.

    Students the file cannot carry (no race/ethnicity, a sex value the
    district's setting does not permit, no school id at school level) are
    left out and listed in findings, each naming its students, so that
    membership = the file's total + the students listed.
    """
    from reporting.edfacts import fs052, unit_totals

    level = EDFACTS_LEVELS[ctx.level]
    rule = ctx.sex_rules.get("fs052") or ctx.params
    sex_values = (rule.get("sex_values") or " ".join(EDFACTS_SEX_VALUES)).split()
    sex_x = "X" in sex_values
    ctx.progress(10, "Counting membership on the count date.")
    rows = _membership_rows(ctx, ctx.as_of)
    reportable = _reportable(rows, level, sex_values)
    built = fs052.build(reportable, level, fips_code=ctx.district.fips_code, sex_x=sex_x)
    membership_count = sum(r[5] for r in rows)
    left_out = []
    if len(reportable) < len(rows):
        ctx.progress(40, "Listing the students the file leaves out.")
        left_out = fs052_left_out(ctx, sex_values, level)
    ctx.progress(50, "Counting last year's membership for the year-over-year check.")
    last_year = ctx.as_of.replace(year=ctx.as_of.year - 1)
    previous = fs052.build(
        _reportable(_membership_rows(ctx, last_year), level, sex_values),
        level,
        fips_code=ctx.district.fips_code,
        sex_x=sex_x,
    )
    previous_totals = unit_totals(fs052.spec(level), previous.records) or None
    result = _write_edfacts(ctx, "052", level, built, previous_totals, sex_x=sex_x)
    reported = sum(unit_totals(fs052.spec(level), built.records).values())
    result.findings = _left_out_findings(left_out, rule) + result.findings
    unexplained = membership_count - reported - len(left_out)
    if unexplained:
        result.findings.insert(
            0,
            Finding(
                "fatal",
                f"{_students(unexplained, 'are')} in membership but neither in the file nor listed as left out.",
                code="unexplained",
            ),
        )
    result.totals = {"membership": membership_count, "reported": reported, "left_out": len(left_out)}
    return result


def _students_by_school(ctx: Context) -> dict[int, int]:
    """Students in membership on the count date, by school id."""
    return {r["school"]: r["students"] for r in membership(ctx).membership(ctx.as_of, by=("school",))}


def build_fs039(ctx: Context) -> BuildResult:
    """FS039 Grades Offered, from each school's profile for the year."""
    from reporting.edfacts import fs039

    level = EDFACTS_LEVELS[ctx.level]
    schools = School.objects.filter(district=ctx.district, is_active=True).order_by("state_school_id")
    profiles = {p.school_id: p for p in SchoolProfile.objects.filter(school__in=schools, school_year=ctx.school_year)}
    students = _students_by_school(ctx)
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
                    code="not_entered",
                    model=SCHOOL,
                    ids=(school.pk,),
                    students=students.get(school.pk, 0),
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
    students = _students_by_school(ctx)
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
                    code="not_entered",
                    model=SCHOOL,
                    ids=(school.pk,),
                    students=students.get(school.pk, 0),
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
EDFACTS_SPEC_VERSION = edfacts.spec_version()  # the version of the layouts the files follow
EDFACTS_SEX_VALUES = edfacts.permitted("sex")  # the sex values that version permits
register(
    Report(
        key="fs052",
        title=gettext_lazy("EDFacts FS052 Membership"),
        department="enrollment",
        build=build_fs052,
        formats=EDFACTS_FORMATS,
        levels=("school", "district", "state"),
        sources=SOURCES,
        default_as_of=october_first,
        certifiable=True,
        description=gettext_lazy("Membership on the count date by grade, race/ethnicity and sex, with totals."),
        spec_version=EDFACTS_SPEC_VERSION,
        sex_values=EDFACTS_SEX_VALUES,
    )
)
register(
    Report(
        key="fs039",
        title=gettext_lazy("EDFacts FS039 Grades Offered"),
        department="enrollment",
        build=build_fs039,
        formats=EDFACTS_FORMATS,
        levels=("school", "district"),
        sources=SOURCES,
        default_as_of=october_first,
        certifiable=True,
        description=gettext_lazy("The grades each school offers in the year."),
    )
)
register(
    Report(
        key="fs129",
        title=gettext_lazy("EDFacts FS129 CCD School"),
        department="enrollment",
        build=build_fs129,
        formats=EDFACTS_FORMATS,
        levels=("school",),
        sources=SOURCES,
        default_as_of=october_first,
        certifiable=True,
        description=gettext_lazy("School-meals status, virtual status and shared time for each school."),
    )
)
