"""Enrollment and school-choice KPIs, registered with the dashboard.

Every figure is an SQL aggregate over membership on the as-of date (primary
enrollments active that day), dated program participation, capacity, and the
final lottery runs with their offers and waitlists. Student groups come from
the student record (race/ethnicity, sex) and participation on the as-of date
(English learners, students with disabilities under IDEA, meal eligibility):
aggregates only; the dashboard suppresses small cells when it stores them.
"""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django.db.models import BooleanField, Case, Count, Exists, Max, OuterRef, Q, Sum, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dashboard.choices import Dimension, Direction, Priority, Unit
from dashboard.registry import ComputeContext, Figure, Kpi, KpiResult, register

from . import choices as c
from .models import (
    ApplicationChoice,
    Enrollment,
    LotteryRun,
    Offer,
    ProgramParticipation,
    SchoolCapacity,
    Student,
    WaitlistEntry,
)
from .projection import GRADES, project_next_year

DEPARTMENT = "enrollment"
STALE_AFTER_DAYS = 45
PROGRAM_OF = {
    Dimension.ENGLISH_LEARNER: c.Program.ENGLISH_LEARNER,
    Dimension.DISABILITY: c.Program.IDEA,
    Dimension.MEAL_ELIGIBLE: c.Program.MEALS,
}


# -- shared reads ----------------------------------------------------------------------------------


def count_day(ctx: ComputeContext) -> datetime.date:
    """The day membership is counted: the as-of date, kept within its school year's days."""
    year = ctx.school_year
    if year is None:
        return ctx.as_of
    last = year.end_date - datetime.timedelta(days=1)
    return max(year.start_date, min(ctx.as_of, last))


def membership(ctx: ComputeContext, day: datetime.date | None = None):
    """The district's primary enrollments active on the day."""
    return (
        Enrollment.objects.filter(school__district=ctx.district)
        .active_on(day or count_day(ctx))
        .filter(is_primary=True)
    )


def program_students(day: datetime.date, program: str, district=None):
    """Ids of the students in ``program`` on ``day`` (of the district, when given), as a subquery."""
    spells = ProgramParticipation.objects.active_on(day).filter(program=program)
    if district is not None:
        spells = spells.filter(student__district=district)
    return spells.values("student_id")


def in_program(day: datetime.date, program: str, student_ref: str = "pk", district=None) -> Q:
    """Whether the row's student is in ``program`` on ``day``: ``IN`` a subquery PostgreSQL hashes once."""
    return Q(**{f"{student_ref}__in": program_students(day, program, district)})


def flag(condition: Q) -> Case:
    return Case(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())


def group_figures(
    rows, *, day: datetime.date, numerator: Q, student: str = "", exclude: tuple[str, ...] = (), district=None
) -> dict[tuple[str, str], Figure]:
    """Numerator and denominator of ``rows`` by student group, one GROUP BY per dimension.

    ``student`` is the path from a row to its student ("" when the rows are
    students, "application__student" for offers). Program groups are
    "yes"/"no" from participation active on ``day``.
    """
    prefix = f"{student}__" if student else ""
    student_ref = f"{student}_id" if student else "id"
    out: dict[tuple[str, str], Figure] = {}
    for dim in Dimension.values:
        if dim in exclude:
            continue
        if dim in (Dimension.RACE_ETHNICITY, Dimension.SEX):
            column = f"{prefix}{dim}"
            grouped = rows.values(column)
        else:
            column = "_in_group"
            grouped = rows.annotate(_in_group=flag(in_program(day, PROGRAM_OF[dim], student_ref, district))).values(
                column
            )
        for r in grouped.annotate(den=Count("pk"), num=Count("pk", filter=numerator)).order_by():
            raw = r[column]
            if isinstance(raw, bool):
                value = "yes" if raw else "no"
            else:
                value = raw or "unknown"
            key = (dim, value)
            previous = out.get(key)
            if previous is not None:  # "" and None both read as unknown
                previous.numerator += r["num"]
                previous.denominator += r["den"]
            else:
                out[key] = Figure(r["num"], r["den"])
    return out


def stale_note(queryset, label: str, as_of: datetime.date) -> list[str]:
    """A note when the source records have not changed for a long time before a recent as-of date."""
    if (timezone.localdate() - as_of).days > 2:
        return []
    latest = queryset.aggregate(latest=Max("updated_at"))["latest"]
    if latest is None:
        return [_("No %(records)s are recorded.") % {"records": label}]
    age = (timezone.localdate() - timezone.localdate(latest)).days
    if age > STALE_AFTER_DAYS:
        return [_("%(records)s last changed %(days)s days ago.") % {"records": label.capitalize(), "days": age}]
    return []


def _url(name: str, **params) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return f"{reverse(name)}?{query}" if query else reverse(name)


# -- building utilization and capacity conflicts ------------------------------------------------------


def _seats_by_school(ctx: ComputeContext) -> dict[int, int]:
    if ctx.school_year is None:
        return {}
    rows = (
        SchoolCapacity.objects.filter(school__district=ctx.district, school_year=ctx.school_year)
        .values("school_id")
        .annotate(seats=Sum("seats"))
        .order_by()
    )
    return {r["school_id"]: r["seats"] for r in rows}


def compute_utilization(ctx: ComputeContext) -> KpiResult:
    result = KpiResult()
    if ctx.school_year is None:
        result.notes.append(_("No school year covers this date."))
        return result
    seats = _seats_by_school(ctx)
    enrolled = {
        r["school_id"]: r["n"]
        for r in membership(ctx).values("school_id").annotate(n=Count("student_id", distinct=True)).order_by()
    }
    for school_id, n in seats.items():
        result.schools[school_id] = Figure(enrolled.get(school_id, 0), n)
    missing = [s for s in enrolled if s not in seats]
    if missing:
        result.notes.append(
            _("%(n)s school(s) have students but no capacity recorded for %(year)s; they are left out.")
            % {"n": len(missing), "year": ctx.school_year}
        )
    if seats:
        result.district = Figure(sum(enrolled.get(s, 0) for s in seats), sum(seats.values()))
    else:
        result.notes.append(_("No capacity is recorded for %(year)s.") % {"year": ctx.school_year})
    result.notes += stale_note(
        SchoolCapacity.objects.filter(school__district=ctx.district), _("capacity records"), ctx.as_of
    )
    return result


def _by_school_grade(queryset) -> dict[tuple[int, str], int]:
    rows = queryset.values("school_id", "grade_level").annotate(n=Count("student_id", distinct=True)).order_by()
    return {(r["school_id"], r["grade_level"]): r["n"] for r in rows}


def compute_capacity_conflicts(ctx: ComputeContext) -> KpiResult:
    """School grades whose projected enrollment next year exceeds this year's seats (the utilization page's rule)."""
    result = KpiResult()
    if ctx.school_year is None:
        result.notes.append(_("No school year covers this date."))
        return result
    day = count_day(ctx)
    seats = {
        (r["school_id"], r["grade_level"]): r["seats"]
        for r in SchoolCapacity.objects.filter(school__district=ctx.district, school_year=ctx.school_year).values(
            "school_id", "grade_level", "seats"
        )
    }
    counts = _by_school_grade(membership(ctx, day))
    try:
        year_before = day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        year_before = day - datetime.timedelta(days=365)
    previous = _by_school_grade(membership(ctx, year_before))
    if not previous:
        result.notes.append(_("No membership a year earlier: projections carry this year's counts forward."))
    schools = {s for s, _g in seats}
    for school_id in schools:
        grades = sorted(
            {g for s, g in seats if s == school_id} | {g for s, g in counts if s == school_id},
            key=lambda g: GRADES.index(g) if g in GRADES else 99,
        )
        history = [
            {g: previous.get((school_id, g), 0) for g in grades},
            {g: counts.get((school_id, g), 0) for g in grades},
        ]
        if not any(history[0].values()):
            history = history[1:]
        projected = project_next_year(history, grades)
        conflicts = sum(
            1
            for g in grades
            if (school_id, g) in seats and projected.get(g) is not None and projected[g] > seats[(school_id, g)]
        )
        result.schools[school_id] = Figure(conflicts)
    if not seats:
        result.notes.append(_("No capacity is recorded for %(year)s.") % {"year": ctx.school_year})
        return result
    result.district = Figure(sum(f.numerator for f in result.schools.values()))
    return result


def utilization_records(district, as_of, school_id):
    return _url("enrollment:utilization", on=as_of.isoformat())


def capacity_records(district, as_of, school_id):
    return _url("enrollment:schoolcapacity_list", school=school_id)


# -- context measures: English learners and students with disabilities ----------------------------------


def _program_share(ctx: ComputeContext, program: str, dimension: str) -> KpiResult:
    result = KpiResult()
    day = count_day(ctx)
    members = membership(ctx, day)
    total = {
        r["school_id"]: r["n"]
        for r in members.values("school_id").annotate(n=Count("student_id", distinct=True)).order_by()
    }
    inside = {
        r["school_id"]: r["n"]
        for r in members.filter(in_program(day, program, "student_id", ctx.district))
        .values("school_id")
        .annotate(n=Count("student_id", distinct=True))
        .order_by()
    }
    for school_id, n in total.items():
        result.schools[school_id] = Figure(inside.get(school_id, 0), n)
    if not total:
        result.notes.append(_("No students are in membership on %(day)s.") % {"day": day})
        return result
    students = Student.objects.filter(district=ctx.district, pk__in=members.values("student_id"))
    result.district = Figure(sum(inside.values()), sum(total.values()))
    result.groups = group_figures(
        students,
        day=day,
        numerator=in_program(day, program, "id", ctx.district),
        exclude=(dimension,),
        district=ctx.district,
    )
    result.notes += stale_note(
        ProgramParticipation.objects.filter(student__district=ctx.district, program=program),
        _("program participation records"),
        ctx.as_of,
    )
    return result


def compute_english_learner_share(ctx: ComputeContext) -> KpiResult:
    return _program_share(ctx, c.Program.ENGLISH_LEARNER, Dimension.ENGLISH_LEARNER)


def compute_disability_share(ctx: ComputeContext) -> KpiResult:
    return _program_share(ctx, c.Program.IDEA, Dimension.DISABILITY)


def membership_records(district, as_of, school_id):
    return _url("enrollment:enrollment_list", school=school_id, active_on=as_of.isoformat())


def english_learner_records(district, as_of, school_id):
    return _url("enrollment:programparticipation_list", program=c.Program.ENGLISH_LEARNER, active_on=as_of.isoformat())


# -- school choice -----------------------------------------------------------------------------------


def season_runs(ctx: ComputeContext) -> list[LotteryRun]:
    """The final lottery runs of the latest placement year with a final run by the as-of date."""
    runs = list(
        LotteryRun.objects.filter(
            window__district=ctx.district, kind=c.RunKind.FINAL, ran_at__date__lte=ctx.as_of
        ).select_related("window__school_year")
    )
    if not runs:
        return []
    latest = max(r.window.school_year.end_year for r in runs)
    return [r for r in runs if r.window.school_year.end_year == latest]


def _no_run(result: KpiResult) -> KpiResult:
    result.notes.append(_("No final lottery has run by this date."))
    return result


def initial_offers(runs):
    """The lottery's own placements: offers with no waitlist entry behind them (waitlist offers have one)."""
    from_waitlist = WaitlistEntry.objects.filter(
        run_id=OuterRef("run_id"), program_id=OuterRef("program_id"), application_id=OuterRef("application_id")
    )
    return Offer.objects.filter(run__in=runs).exclude(Exists(from_waitlist))


def _summary_groups(runs, numerator: str, denominator: str) -> dict[tuple[str, str], Figure]:
    """Group figures summed over the runs' summaries; a group withheld in any run stays withheld."""
    out: dict[tuple[str, str], Figure] = {}
    for run in runs:
        for dimension in run.summary.get("groups", []):
            for g in dimension.get("groups", []):
                key = (dimension["dimension"], str(g["value"]))
                figure = out.setdefault(key, Figure(0, 0))
                if g.get("suppressed") or numerator not in g:
                    figure.suppressed = True
                    figure.numerator = figure.denominator = None
                elif not figure.suppressed:
                    figure.numerator += g[numerator]
                    figure.denominator += g[denominator]
    return out


def _choice_rate(ctx: ComputeContext, numerator: str, denominator: str, rank_q: Q | None) -> KpiResult:
    result = KpiResult()
    runs = season_runs(ctx)
    if not runs:
        return _no_run(result)
    num = sum(r.summary.get(numerator, 0) for r in runs)
    den = sum(r.summary.get(denominator, 0) for r in runs)
    result.district = Figure(num, den)
    result.groups = _summary_groups(runs, numerator, denominator)
    if rank_q is None:
        # Match rate by the school of the applicant's first choice.
        placed = initial_offers(runs).filter(application_id=OuterRef("application_id"))
        rows = (
            ApplicationChoice.objects.filter(
                rank=1,
                application__window__in=[r.window_id for r in runs],
                application__status=c.ApplicationStatus.SUBMITTED,
            )
            .annotate(_placed=Exists(placed))
            .values("program__school_id")
            .annotate(den=Count("pk"), num=Count("pk", filter=Q(_placed=True)))
            .order_by()
        )
    else:
        # Of the applicants placed at a school, the share placed at their first (or top three) choice.
        rows = (
            initial_offers(runs)
            .values("program__school_id")
            .annotate(den=Count("pk"), num=Count("pk", filter=rank_q))
            .order_by()
        )
    for r in rows:
        result.schools[r["program__school_id"]] = Figure(r["num"], r["den"])
    return result


def compute_match_rate(ctx):
    return _choice_rate(ctx, "matched", "applicants", None)


def compute_first_choice_rate(ctx):
    return _choice_rate(ctx, "first_choice", "matched", Q(rank=1))


def compute_top3_rate(ctx):
    return _choice_rate(ctx, "top3", "matched", Q(rank__lte=3))


def _current_state_note(ctx, result):
    if ctx.as_of < timezone.localdate():
        result.notes.append(_("Offer statuses are today's: an earlier date shows today's answers."))


def compute_offer_yield(ctx: ComputeContext) -> KpiResult:
    """Accepted ÷ answered (accepted, declined or expired); pending and superseded offers are left out."""
    result = KpiResult()
    runs = season_runs(ctx)
    if not runs:
        return _no_run(result)
    answered = Offer.objects.filter(
        run__in=runs, status__in=[c.OfferStatus.ACCEPTED, c.OfferStatus.DECLINED, c.OfferStatus.EXPIRED]
    )
    accepted = Q(status=c.OfferStatus.ACCEPTED)
    totals = answered.aggregate(den=Count("pk"), num=Count("pk", filter=accepted))
    if not totals["den"]:
        result.notes.append(_("No offer has been answered yet."))
    else:
        result.district = Figure(totals["num"], totals["den"])
    for r in (
        answered.values("program__school_id").annotate(den=Count("pk"), num=Count("pk", filter=accepted)).order_by()
    ):
        result.schools[r["program__school_id"]] = Figure(r["num"], r["den"])
    result.groups = group_figures(
        answered, day=ctx.as_of, numerator=accepted, student="application__student", district=ctx.district
    )
    _current_state_note(ctx, result)
    return result


def compute_waitlist_fill(ctx: ComputeContext) -> KpiResult:
    """Seats offered from a waitlist ÷ seats given back (declined, expired or superseded offers)."""
    result = KpiResult()
    runs = season_runs(ctx)
    if not runs:
        return _no_run(result)
    offers = Offer.objects.filter(run__in=runs)
    released = {
        r["program__school_id"]: r["n"]
        for r in offers.filter(status__in=[c.OfferStatus.DECLINED, c.OfferStatus.EXPIRED, c.OfferStatus.SUPERSEDED])
        .values("program__school_id")
        .annotate(n=Count("pk"))
        .order_by()
    }
    from_waitlist = WaitlistEntry.objects.filter(
        run_id=OuterRef("run_id"), program_id=OuterRef("program_id"), application_id=OuterRef("application_id")
    )
    filled = {
        r["program__school_id"]: r["n"]
        for r in offers.filter(Exists(from_waitlist)).values("program__school_id").annotate(n=Count("pk")).order_by()
    }
    for school_id in released.keys() | filled.keys():
        result.schools[school_id] = Figure(filled.get(school_id, 0), released.get(school_id, 0))
    if not released:
        result.notes.append(_("No seat has been given back yet."))
    else:
        result.district = Figure(sum(filled.values()), sum(released.values()))
    _current_state_note(ctx, result)
    return result


def _final_run_filter(district, as_of):
    run = (
        LotteryRun.objects.filter(window__district=district, kind=c.RunKind.FINAL, ran_at__date__lte=as_of)
        .order_by("-ran_at")
        .values_list("pk", flat=True)
        .first()
    )
    return run


def offer_records(district, as_of, school_id):
    return _url("enrollment:offer_list", run=_final_run_filter(district, as_of))


def waitlist_records(district, as_of, school_id):
    return _url("enrollment:waitlistentry_list", run=_final_run_filter(district, as_of))


def lottery_records(district, as_of, school_id):
    return _url("enrollment:lotteryrun_list", kind=c.RunKind.FINAL)


# -- the declarations --------------------------------------------------------------------------------

register(
    Kpi(
        key="building_utilization",
        name=gettext_lazy("Building utilization"),
        department=DEPARTMENT,
        priority=Priority.OPERATIONAL,
        unit=Unit.PERCENT,
        direction=Direction.HIGHER,
        definition=gettext_lazy(
            "How full the buildings are: students in membership on the date against the seats recorded for the "
            "school year (classrooms times program class size). Under-used buildings cost money; crowding is "
            "tracked by projected capacity conflicts."
        ),
        formula=gettext_lazy("students in membership (primary enrollments) ÷ seats, by school and grade, × 100"),
        source=gettext_lazy("Enrollment (membership on the date) and school capacity for the school year"),
        version=1,
        compute=compute_utilization,
        records=utilization_records,
        suppress=False,
    )
)
register(
    Kpi(
        key="capacity_conflicts",
        name=gettext_lazy("Projected capacity conflicts"),
        department=DEPARTMENT,
        priority=Priority.OPERATIONAL,
        unit=Unit.COUNT,
        direction=Direction.LOWER,
        definition=gettext_lazy(
            "School grades whose enrollment projected for next year exceeds their seats, by cohort survival "
            "from membership on the date and a year earlier."
        ),
        formula=gettext_lazy("count of (school, grade) where projected enrollment next year > seats this year"),
        source=gettext_lazy("Enrollment (membership this year and last), school capacity, cohort-survival projection"),
        version=1,
        compute=compute_capacity_conflicts,
        records=capacity_records,
        suppress=False,
    )
)
register(
    Kpi(
        key="english_learner_share",
        name=gettext_lazy("English learners"),
        department=DEPARTMENT,
        priority=Priority.FAMILY_COMMUNITY,
        unit=Unit.PERCENT,
        direction=Direction.CONTEXT,
        definition=gettext_lazy(
            "A context measure: the share of students in membership who are English learners on the date, "
            "by school, to read the other measures against."
        ),
        formula=gettext_lazy(
            "students in membership in the English learner program on the date ÷ students in membership × 100"
        ),
        source=gettext_lazy("Enrollment and dated program participation (English learner)"),
        version=1,
        compute=compute_english_learner_share,
        records=english_learner_records,
        has_groups=True,
    )
)
register(
    Kpi(
        key="disability_share",
        name=gettext_lazy("Students with disabilities"),
        department=DEPARTMENT,
        priority=Priority.FAMILY_COMMUNITY,
        unit=Unit.PERCENT,
        direction=Direction.CONTEXT,
        definition=gettext_lazy(
            "A context measure: the share of students in membership served under IDEA on the date, by school. "
            "Counts only; small numbers are withheld."
        ),
        formula=gettext_lazy("students in membership with an IDEA spell on the date ÷ students in membership × 100"),
        source=gettext_lazy("Enrollment and dated program participation (IDEA)"),
        version=1,
        compute=compute_disability_share,
        records=membership_records,
        sensitive=True,
        has_groups=True,
    )
)
register(
    Kpi(
        key="choice_match_rate",
        name=gettext_lazy("Choice match rate"),
        department=DEPARTMENT,
        priority=Priority.FAMILY_COMMUNITY,
        unit=Unit.PERCENT,
        direction=Direction.HIGHER,
        definition=gettext_lazy(
            "Of the applicants in the latest placement year's final lotteries, the share the lottery placed in "
            "one of their ranked programs. By school: applicants whose first choice was at the school."
        ),
        formula=gettext_lazy("applicants matched ÷ applicants × 100"),
        source=gettext_lazy("Final lottery runs (their stored summaries) and their offers"),
        version=1,
        compute=compute_match_rate,
        records=lottery_records,
        has_groups=True,
    )
)
register(
    Kpi(
        key="choice_first_choice_rate",
        name=gettext_lazy("First-choice rate"),
        department=DEPARTMENT,
        priority=Priority.FAMILY_COMMUNITY,
        unit=Unit.PERCENT,
        direction=Direction.HIGHER,
        definition=gettext_lazy(
            "Of the applicants the lottery placed, the share placed in their first choice. By school: of those "
            "placed at the school."
        ),
        formula=gettext_lazy("applicants matched to rank 1 ÷ applicants matched × 100"),
        source=gettext_lazy("Final lottery runs (their stored summaries) and their offers"),
        version=1,
        compute=compute_first_choice_rate,
        records=offer_records,
        has_groups=True,
    )
)
register(
    Kpi(
        key="choice_top3_rate",
        name=gettext_lazy("Top-three choice rate"),
        department=DEPARTMENT,
        priority=Priority.FAMILY_COMMUNITY,
        unit=Unit.PERCENT,
        direction=Direction.HIGHER,
        definition=gettext_lazy(
            "Of the applicants the lottery placed, the share placed in one of their first three choices."
        ),
        formula=gettext_lazy("applicants matched to rank 1, 2 or 3 ÷ applicants matched × 100"),
        source=gettext_lazy("Final lottery runs (their stored summaries) and their offers"),
        version=1,
        compute=compute_top3_rate,
        records=offer_records,
        has_groups=True,
    )
)
register(
    Kpi(
        key="offer_yield",
        name=gettext_lazy("Offer yield"),
        department=DEPARTMENT,
        priority=Priority.FAMILY_COMMUNITY,
        unit=Unit.PERCENT,
        direction=Direction.HIGHER,
        definition=gettext_lazy(
            "Of the offers families answered (or let expire), the share accepted. Offers still pending and offers "
            "replaced by a better one are left out."
        ),
        formula=gettext_lazy("offers accepted ÷ offers accepted, declined or expired × 100"),
        source=gettext_lazy("Offers of the latest placement year's final lottery runs"),
        version=1,
        compute=compute_offer_yield,
        records=offer_records,
        has_groups=True,
    )
)
register(
    Kpi(
        key="waitlist_fill",
        name=gettext_lazy("Waitlist fill"),
        department=DEPARTMENT,
        priority=Priority.FAMILY_COMMUNITY,
        unit=Unit.PERCENT,
        direction=Direction.HIGHER,
        definition=gettext_lazy(
            "Of the seats families gave back (declined, expired or replaced offers), the share offered again to "
            "an applicant on the waitlist."
        ),
        formula=gettext_lazy("offers made from a waitlist ÷ offers declined, expired or superseded × 100"),
        source=gettext_lazy("Offers and waitlist entries of the latest placement year's final lottery runs"),
        version=1,
        compute=compute_waitlist_fill,
        records=waitlist_records,
        suppress=False,
    )
)
