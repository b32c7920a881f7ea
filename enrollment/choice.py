"""School-choice workflows: applications, priorities, the lottery run, offers and waitlists.

Every function here is a service: keyword-only arguments, one transaction,
validation before any write, an audit row for every record written, and
``ValidationError`` (naming the field at fault) or ``PermissionDenied`` when
refused. ``actor`` is the user acting, or ``None`` for a system job (the
expiry task), which the policy does not limit.

The lottery itself is the pure module :mod:`enrollment.lottery`; this module
builds its input from the database, stores what it returns, and runs the
offers and waitlists afterwards:

- an application ranks up to 12 open programs of one window, between its
  opening and its deadline;
- priorities are computed from data (sibling attending the program's school
  on the placement year's first day; district resident) or set by staff with
  a reason; in the lottery a program serves higher priority points first
  (:data:`PRIORITY_POINTS`), and a seat category takes the applicants holding
  its kind of priority at that program;
- a dry run stores only its summary; the final run (once per window, after
  the deadline) writes offers and ranked waitlists;
- accepting an offer enrolls the student for the placement year; declining
  or expiring frees the seat for the next applicant on the waitlist, which
  can cascade when that applicant gives up an offer they ranked lower.
"""

from __future__ import annotations

import datetime
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, Exists, F, OuterRef, Q, Sum, Value, When
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from core import audit, context, policy
from core.bulk import insert_rows, insert_rows_audited
from core.choices import Action
from core.models import AuditEntry
from core.services import ensure_in_scope

from . import choices as c
from .lottery import MAX_CHOICES, run_lottery, summarize
from .lottery import Applicant as LotteryApplicant
from .lottery import Program as LotteryProgram
from .lottery import SeatCategory as LotterySeatCategory
from .lottery._gc import gc_paused
from .models import (
    ApplicantPriority,
    Application,
    ApplicationChoice,
    ApplicationWindow,
    ChoiceProgram,
    Enrollment,
    LotteryRun,
    Offer,
    ProgramParticipation,
    SeatCategory,
    Student,
    WaitlistEntry,
)

# Priority points a granted priority adds at a program; a program serves more
# points first, then the lower lottery number. The weights are powers of two,
# so a sibling outranks staff child and zone together. Residency earns no
# points: it counts through a program's resident seat category.
PRIORITY_POINTS = {
    c.PriorityKind.SIBLING: 4,
    c.PriorityKind.STAFF_CHILD: 2,
    c.PriorityKind.ZONE: 1,
    c.PriorityKind.RESIDENT: 0,
}
# Kinds computed from data by applicant_priorities_compute; the others are set by staff only.
COMPUTED_KINDS = (c.PriorityKind.SIBLING, c.PriorityKind.RESIDENT)
ACTIVE_OFFER = (c.OfferStatus.PENDING, c.OfferStatus.ACCEPTED)


# -- permissions ---------------------------------------------------------------------------------


def _require(actor, model, action: str, obj=None) -> None:
    """Refuse unless ``actor`` may ``action`` the model (and ``obj``, when given); no actor is the system."""
    if actor is None:
        return
    if obj is not None:
        if not type(obj).objects.restrict(actor, action).filter(pk=obj.pk).exists():
            raise PermissionDenied(
                _("You may not %(action)s %(object)s.") % {"action": Action(action).label, "object": obj}
            )
    elif not policy.can(actor, model, action):
        raise PermissionDenied(
            _("You do not have permission to %(action)s %(things)s.")
            % {"action": Action(action).label, "things": model._meta.verbose_name_plural}
        )


def _require_every_school(actor, model) -> None:
    """Refuse a window-wide workflow to an actor who may add ``model``'s records at some schools only.

    Computing priorities and running the lottery write records at every
    school of the window; staff limited to their schools work on the
    applications naming them instead.
    """
    if actor is not None and policy.limited_to_schools(actor, model, Action.ADD):
        raise PermissionDenied(
            _("This works on every school of the window; it needs a role not limited to some schools.")
        )


def _now(at: datetime.datetime | None = None) -> datetime.datetime:
    return at or timezone.now()


def _local_date(at: datetime.datetime) -> datetime.date:
    return timezone.localdate(at)


def _actor_or_none(actor):
    return actor if actor is not None and actor.pk else None


# -- applications --------------------------------------------------------------------------------


def _resolve_programs(*, window: ApplicationWindow, program_codes=None, programs=None) -> list[ChoiceProgram]:
    """The ranked programs, checked: each once, open, of this window, at most 12.

    Raises ``ValidationError`` on the field the caller used (``program_codes``
    or ``programs``), listing every problem.
    """
    field = "program_codes" if program_codes is not None else "programs"
    problems: list[str] = []
    if program_codes is not None:
        codes = [str(code).strip() for code in program_codes]
        found = {p.code: p for p in ChoiceProgram.objects.filter(window=window, code__in=codes)}
        ranked = []
        for code in codes:
            if code not in found:
                problems.append(_("No program with code “%(code)s” in %(window)s.") % {"code": code, "window": window})
            ranked.append(found.get(code))
    else:
        ranked = list(programs or [])
    if not ranked:
        problems.append(_("Rank at least one program."))
    if len(ranked) > MAX_CHOICES:
        problems.append(
            _("At most %(max)s programs may be ranked; %(n)s were given.") % {"max": MAX_CHOICES, "n": len(ranked)}
        )
    seen: dict[int, int] = {}
    for rank, program in enumerate(ranked, start=1):
        if program is None:
            continue
        if program.window_id != window.pk:
            problems.append(_("%(program)s belongs to another application window.") % {"program": program})
            continue
        if program.pk in seen:
            problems.append(
                _("%(program)s is named twice (choices %(first)s and %(again)s).")
                % {"program": program, "first": seen[program.pk], "again": rank}
            )
            continue
        seen[program.pk] = rank
        if not program.is_open:
            problems.append(_("%(program)s is closed to applications.") % {"program": program})
    if problems:
        raise ValidationError({field: problems})
    return ranked


def _when(moment: datetime.datetime) -> str:
    """A moment as a message names it: in the request's (the district's) zone, the reader's way."""
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _check_window_open(window: ApplicationWindow, at: datetime.datetime, field: str = "submitted_at") -> None:
    if at < window.opens_at:
        raise ValidationError(
            {field: _("%(window)s opens on %(opens)s.") % {"window": window, "opens": _when(window.opens_at)}}
        )
    if at > window.closes_at:
        raise ValidationError(
            {
                field: _("The deadline for %(window)s passed on %(deadline)s.")
                % {"window": window, "deadline": _when(window.closes_at)}
            }
        )


def _final_run_exists(window: ApplicationWindow) -> bool:
    return LotteryRun.objects.filter(window=window, kind=c.RunKind.FINAL).exists()


def _choice_codes(application: Application) -> list[str]:
    return list(application.choices.order_by("rank").values_list("program__code", flat=True))


def _write_choices(application: Application, ranked: Sequence[ChoiceProgram]) -> None:
    ApplicationChoice.objects.filter(application=application).delete()
    ApplicationChoice.objects.bulk_create(
        [ApplicationChoice(application=application, program=p, rank=rank) for rank, p in enumerate(ranked, start=1)]
    )


@transaction.atomic
def application_submit(
    *,
    actor,
    window: ApplicationWindow,
    student: Student,
    program_codes: Iterable[str] | None = None,
    programs: Iterable[ChoiceProgram] | None = None,
    submitted_at: datetime.datetime | None = None,
) -> Application:
    """Submit ``student``'s ranked choices (program codes or programs) in ``window``.

    Refused: a program named twice, closed, of another window, more than 12,
    a submission before the window opens or after its deadline (a
    ``submitted_at`` given by an integration must also fall in the window and
    not in the future), a student with a submitted application in the window
    already, or a window whose final lottery has run. A withdrawn application
    is submitted again with the new choices.
    """
    _require(actor, ApplicationWindow, Action.VIEW, window)
    _require(actor, Student, Action.VIEW, student)
    _require(actor, Application, Action.ADD)
    now = timezone.now()
    at = submitted_at or now
    if at > now + datetime.timedelta(minutes=5):
        raise ValidationError({"submitted_at": _("The submission time cannot be in the future.")})
    _check_window_open(window, at)
    if _final_run_exists(window):
        raise ValidationError({"window": _("The final lottery of %(window)s has run.") % {"window": window}})
    ranked = _resolve_programs(
        window=window,
        program_codes=list(program_codes) if program_codes is not None else None,
        programs=list(programs) if programs is not None else None,
    )
    existing = Application.objects.select_for_update().filter(window=window, student=student).first()
    if existing is not None and existing.status == c.ApplicationStatus.SUBMITTED:
        raise ValidationError(
            {
                "student": _("%(student)s already has an application in this window; change its choices instead.")
                % {"student": student}
            }
        )
    if existing is not None:
        application = existing
        before = {**audit.snapshot(application), "choices": _choice_codes(application)}
        application.status = c.ApplicationStatus.SUBMITTED
        application.submitted_at = at
        application.version += 1
        change = AuditEntry.Change.UPDATE
    else:
        application = Application(window=window, student=student, submitted_at=at, created_by=_actor_or_none(actor))
        before = None
        change = AuditEntry.Change.CREATE
    application.full_clean()
    application.save()
    _write_choices(application, ranked)
    if actor is not None:
        ensure_in_scope(actor, application, Action.ADD if before is None else Action.CHANGE)
    audit.log_change(
        actor=actor,
        change=change,
        instance=application,
        before=before,
        after={**audit.snapshot(application), "choices": [p.code for p in ranked]},
    )
    return application


def _lock_application(actor, application: Application, action: str) -> Application:
    _require(actor, Application, action, application)
    return (
        Application.objects.select_for_update(of=("self",)).select_related("window", "student").get(pk=application.pk)
    )


@transaction.atomic
def application_update(
    *,
    actor,
    application: Application,
    program_codes: Iterable[str] | None = None,
    programs: Iterable[ChoiceProgram] | None = None,
    at: datetime.datetime | None = None,
) -> Application:
    """Replace a submitted application's ranked choices, before the window's deadline."""
    application = _lock_application(actor, application, Action.CHANGE)
    window = application.window
    if application.status != c.ApplicationStatus.SUBMITTED:
        raise ValidationError({"status": _("This application was withdrawn; submit it again instead.")})
    _check_window_open(window, _now(at), field="window")
    ranked = _resolve_programs(
        window=window,
        program_codes=list(program_codes) if program_codes is not None else None,
        programs=list(programs) if programs is not None else None,
    )
    before = {**audit.snapshot(application), "choices": _choice_codes(application)}
    application.version += 1
    application.full_clean()
    application.save()
    _write_choices(application, ranked)
    if actor is not None:
        ensure_in_scope(actor, application, Action.CHANGE)  # the choices must still name a school of the actor's
    audit.log_change(
        actor=actor,
        change=AuditEntry.Change.UPDATE,
        instance=application,
        before=before,
        after={**audit.snapshot(application), "choices": [p.code for p in ranked]},
    )
    return application


@transaction.atomic
def application_withdraw(*, actor, application: Application, at: datetime.datetime | None = None) -> Application:
    """Withdraw a submitted application, before the window's deadline."""
    application = _lock_application(actor, application, Action.CHANGE)
    if application.status != c.ApplicationStatus.SUBMITTED:
        raise ValidationError({"status": _("This application is already withdrawn.")})
    _check_window_open(application.window, _now(at), field="window")
    before = audit.snapshot(application)
    application.status = c.ApplicationStatus.WITHDRAWN
    application.version += 1
    application.full_clean()
    application.save()
    audit.log_change(
        actor=actor,
        change=AuditEntry.Change.UPDATE,
        instance=application,
        before=before,
        after=audit.snapshot(application),
    )
    return application


# -- priorities ----------------------------------------------------------------------------------


def _computed_priorities(window: ApplicationWindow) -> set[tuple[int, int, str]]:
    """(application, program, kind) for every priority the data grant, by SQL.

    Sibling: another student of the applicant's household is enrolled at the
    program's school on the placement year's first day. Resident: the
    student lives in the district: has ever been enrolled in one of its
    schools, or gives as resident town a town where the district has a school.
    An applicant from another district, whose record the window's district
    holds, is not a resident.
    """
    first_day = window.school_year.start_date
    ranked = ApplicationChoice.objects.filter(
        application__window=window, application__status=c.ApplicationStatus.SUBMITTED
    )
    sibling_enrolled = (
        Enrollment.objects.active_on(first_day)
        .filter(
            student__household_id=OuterRef("application__student__household_id"),
            school_id=OuterRef("program__school_id"),
        )
        .exclude(student_id=OuterRef("application__student_id"))
    )
    siblings = (
        ranked.filter(application__student__household__isnull=False)
        .filter(Exists(sibling_enrolled))
        .values_list("application_id", "program_id")
    )
    from district.models import School

    towns = School.objects.filter(district_id=window.district_id).exclude(city="").values("city")
    enrolled_here = Enrollment.objects.filter(
        student_id=OuterRef("application__student_id"), school__district_id=window.district_id
    )
    residents = (
        ranked.filter(application__student__district_id=window.district_id)
        .filter(Q(Exists(enrolled_here)) | Q(application__student__resident_town__in=towns))
        .values_list("application_id", "program_id")
    )
    wanted = {(a, p, c.PriorityKind.SIBLING.value) for a, p in siblings}
    wanted |= {(a, p, c.PriorityKind.RESIDENT.value) for a, p in residents}
    return wanted


@gc_paused
@transaction.atomic
def applicant_priorities_compute(*, actor, window: ApplicationWindow) -> dict[str, int]:
    """Compute sibling and resident priorities from data for the window's applications.

    Adds what the data now grant and removes computed priorities they no
    longer grant; priorities set by staff (overrides) are left as they are,
    and win over the data. Staff-child and zone priorities are not in the data:
    staff set them. Running it twice changes nothing the second time. Refused
    once the final lottery has run.
    """
    _require(actor, ApplicationWindow, Action.VIEW, window)
    _require(actor, ApplicantPriority, Action.ADD)
    _require(actor, ApplicantPriority, Action.DELETE)
    _require_every_school(actor, ApplicantPriority)
    window = ApplicationWindow.objects.select_for_update(of=("self",)).select_related("school_year").get(pk=window.pk)
    if _final_run_exists(window):
        raise ValidationError({"window": _("The final lottery of %(window)s has run.") % {"window": window}})
    wanted = _computed_priorities(window)
    rows = ApplicantPriority.objects.filter(application__window=window, kind__in=COMPUTED_KINDS)
    existing = {
        (a, p, k): (pk, override)
        for pk, a, p, k, override in rows.values_list("pk", "application_id", "program_id", "kind", "is_override")
    }
    stale_ids = [pk for key, (pk, override) in existing.items() if not override and key not in wanted]
    stale = list(
        ApplicantPriority.objects.filter(pk__in=stale_ids).select_related(
            "application__student", "application__window", "program__school"
        )
    )
    audit.log_bulk(actor=actor, rows=[(AuditEntry.Change.DELETE, row, audit.snapshot(row), None) for row in stale])
    ApplicantPriority.objects.filter(pk__in=stale_ids).delete()
    students = _student_names(window)
    programs = {p.pk: str(p) for p in ChoiceProgram.objects.filter(window=window).select_related("school")}
    created = sorted(wanted - existing.keys())
    kind_label = {kind: str(label) for kind, label in c.PriorityKind.choices}
    window_name = str(window)

    def describe(row):  # ApplicantPriority.__str__, from the row's values
        application_id, program_id, kind = row
        return f"{students[application_id]} · {window_name} · {programs[program_id]} · {kind_label[kind]}"

    insert_rows_audited(
        actor=actor,
        model=ApplicantPriority,
        columns=["application_id", "program_id", "kind"],
        rows=created,
        constants={"is_override": False, "granted": True, "reason": "", "created_by_id": _actor_id(actor)},
        describe=describe,
        district_id=window.district_id,
    )
    return {"created": len(created), "removed": len(stale)}


@transaction.atomic
def applicant_priority_override(
    *, actor, application: Application, program: ChoiceProgram, kind: str, granted: bool, reason: str
) -> ApplicantPriority:
    """Grant or deny ``kind`` priority to ``application`` at ``program``, with the reason on record.

    The program must be one the application ranks. An override replaces what
    the data say for that kind and is kept by later computations. Refused
    once the final lottery has run.
    """
    _require(actor, Application, Action.VIEW, application)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason for the override, for the record.")})
    if kind not in c.PriorityKind.values:
        raise ValidationError({"kind": _("Unknown priority “%(kind)s”.") % {"kind": kind}})
    if not application.choices.filter(program_id=program.pk).exists():
        raise ValidationError({"program": _("%(program)s is not ranked on this application.") % {"program": program}})
    if _final_run_exists(application.window):
        raise ValidationError({"application": _("The final lottery of this window has run.")})
    row = (
        ApplicantPriority.objects.select_for_update()
        .filter(application=application, program=program, kind=kind)
        .first()
    )
    creating = row is None
    if creating:
        _require(actor, ApplicantPriority, Action.ADD)
        row = ApplicantPriority(application=application, program=program, kind=kind, created_by=_actor_or_none(actor))
        before = None
    else:
        _require(actor, ApplicantPriority, Action.CHANGE, row)
        before = audit.snapshot(row)
        row.version += 1
    row.is_override = True
    row.granted = bool(granted)
    row.reason = reason.strip()
    row.full_clean()
    row.save()
    if actor is not None:
        ensure_in_scope(actor, row, Action.ADD if creating else Action.CHANGE)
    audit.log_change(
        actor=actor,
        change=AuditEntry.Change.CREATE if creating else AuditEntry.Change.UPDATE,
        instance=row,
        before=before,
        after=audit.snapshot(row),
    )
    return row


# -- the lottery run -----------------------------------------------------------------------------


class LotteryInput:
    """What the lottery reads from the database for one window, with the maps back to rows.

    Priority points per applicant and program are summed in SQL, and only for
    programs the applicant still ranks; eligibility for seat categories is
    read only for the (program, kind) pairs some category asks for. On
    PostgreSQL the ranked lists and eligible sets arrive as arrays, one row
    per application or category.
    """

    def __init__(self, window: ApplicationWindow):
        self.window = window
        self.programs: dict[int, ChoiceProgram] = {
            p.pk: p for p in ChoiceProgram.objects.filter(window=window).select_related("school").order_by("code")
        }
        self.code_to_id = {p.code: pk for pk, p in self.programs.items()}
        self.categories: dict[int, list[tuple[str, int, str]]] = defaultdict(list)
        for program_id, name, seats, kind in (
            SeatCategory.objects.filter(program__window=window)
            .order_by("program_id", "fill_order", "id")
            .values_list("program_id", "name", "seats", "eligibility")
        ):
            self.categories[program_id].append((name, seats, kind))
        submitted = Q(application__window=window, application__status=c.ApplicationStatus.SUBMITTED)
        still_ranked = Exists(
            ApplicationChoice.objects.filter(
                application_id=OuterRef("application_id"), program_id=OuterRef("program_id")
            )
        )
        held = ApplicantPriority.objects.filter(submitted, still_ranked, granted=True)
        choices = ApplicationChoice.objects.filter(submitted)
        self.choices: dict[int, list[int]] = {}
        self.eligible: dict[tuple[int, str], set[int]] = defaultdict(set)
        wanted = {(pk, kind) for pk, cats in self.categories.items() for _n, _s, kind in cats}
        if connection.vendor == "postgresql":
            from django.contrib.postgres.aggregates import ArrayAgg

            rows = choices.values("application_id").annotate(ranked=ArrayAgg("program_id", order_by="rank"))
            self.choices = dict(rows.values_list("application_id", "ranked").iterator(chunk_size=20000))
            granted = ApplicantPriority.objects.filter(submitted, granted=True, kind__in={k for _p, k in wanted})
            rankers: dict[int, set[int]] = {program_id: set() for program_id, _k in wanted}
            for application_id, ranked in self.choices.items():
                for program_id in ranked:
                    if program_id in rankers:
                        rankers[program_id].add(application_id)
            for program_id, kind, ids in (
                granted.values("program_id", "kind")
                .annotate(ids=ArrayAgg("application_id"))
                .values_list("program_id", "kind", "ids")
            ):
                if (program_id, kind) in wanted:  # and only applicants still ranking the program
                    self.eligible[(program_id, kind)] = rankers[program_id].intersection(ids)
        else:
            ranked: dict[int, list[int]] = defaultdict(list)
            for application_id, program_id in (
                choices.order_by("application_id", "rank").values_list("application_id", "program_id").iterator()
            ):
                ranked[application_id].append(program_id)
            self.choices = dict(ranked)
            for program_id, kind, application_id in held.values_list("program_id", "kind", "application_id"):
                if (program_id, kind) in wanted:
                    self.eligible[(program_id, kind)].add(application_id)
        scored = {kind: points for kind, points in PRIORITY_POINTS.items() if points}
        self.points: dict[int, dict[int, int]] = defaultdict(dict)
        for application_id, program_id, points in (
            held.filter(kind__in=list(scored))
            .values("application_id", "program_id")
            .annotate(
                points=Sum(Case(*[When(kind=kind, then=Value(v)) for kind, v in scored.items()], default=Value(0)))
            )
            .values_list("application_id", "program_id", "points")
            .iterator(chunk_size=20000)
        ):
            self.points[application_id][program_id] = points

    def lottery_programs(self) -> list[LotteryProgram]:
        out = []
        for pk, program in self.programs.items():
            cats = []
            reserved = 0
            for name, seats, kind in self.categories.get(pk, ()):
                reserved += seats
                ids = frozenset(self.eligible.get((pk, kind), ()))
                # A category nobody holds the priority for yet is named by a flag no applicant carries.
                flag = None if ids else f"{kind}@{program.code}"
                cats.append(LotterySeatCategory(name, seats, eligible_ids=ids, flag=flag))
            if reserved > program.seats:
                raise ValidationError(
                    {
                        "window": _("%(program)s sets aside %(reserved)s seats but has only %(seats)s.")
                        % {"program": program, "reserved": reserved, "seats": program.seats}
                    }
                )
            out.append(LotteryProgram(program.code, tuple(cats), program.seats - reserved))
        return out

    def lottery_applicants(self) -> list[LotteryApplicant]:
        code = {pk: p.code for pk, p in self.programs.items()}
        points = self.points
        out = []
        for application_id, ranked in self.choices.items():
            mine = points.get(application_id)
            out.append(
                LotteryApplicant(
                    application_id,
                    tuple(code[p] for p in ranked),
                    priorities={code[p]: v for p, v in mine.items()} if mine else {},
                )
            )
        return out


def _seed_value(seed) -> int | str:
    """The seed as the lottery reads it: digits make an integer, anything else a string."""
    if seed is None or seed == "":
        return secrets.randbelow(10**15)
    if isinstance(seed, int) and not isinstance(seed, bool):
        return seed
    text = str(seed).strip()
    if not text or len(text) > 64:
        raise ValidationError({"seed": _("Give a seed of 1 to 64 characters, or none to draw one.")})
    return int(text) if text.isdigit() else text


GROUP_DIMENSIONS = ("race_ethnicity", "sex", "english_learner", "disability", "meal_eligible")


def _group_breakdown(window: ApplicationWindow, assignments, on: datetime.date) -> list[dict]:
    """Match figures by student group: aggregates only, small groups suppressed.

    Programs come from dated participation on ``on`` (the run date). A group
    with fewer applicants than ``settings.OPS_SMALL_CELL`` is suppressed; when
    only one group of a dimension would be, the next smallest is suppressed
    too, so it cannot be worked out from the total.
    """
    small = settings.OPS_SMALL_CELL
    rows = Application.objects.filter(window=window, status=c.ApplicationStatus.SUBMITTED).values_list(
        "id", "student_id", "student__race_ethnicity", "student__sex"
    )
    student_of: dict[int, int] = {}
    members: dict[str, dict[str, list[int]]] = {dim: defaultdict(list) for dim in GROUP_DIMENSIONS}
    for application_id, student_id, race, sex in rows.iterator(chunk_size=20000):
        if application_id not in assignments:
            continue
        student_of[application_id] = student_id
        members["race_ethnicity"][race or "unknown"].append(application_id)
        members["sex"][sex or "unknown"].append(application_id)
    in_program: dict[str, set[int]] = defaultdict(set)
    applicant_students = Application.objects.filter(window=window, status=c.ApplicationStatus.SUBMITTED).values(
        "student_id"
    )
    for student_id, program in (
        ProgramParticipation.objects.active_on(on)
        .filter(
            student_id__in=applicant_students, program__in=[c.Program.ENGLISH_LEARNER, c.Program.IDEA, c.Program.MEALS]
        )
        .values_list("student_id", "program")
        .iterator(chunk_size=20000)
    ):
        in_program[program].add(student_id)
    for dim, program in (
        ("english_learner", c.Program.ENGLISH_LEARNER),
        ("disability", c.Program.IDEA),
        ("meal_eligible", c.Program.MEALS),
    ):
        inside = in_program.get(program.value, set())
        for application_id, student_id in student_of.items():
            members[dim]["yes" if student_id in inside else "no"].append(application_id)
    out = []
    for dim in GROUP_DIMENSIONS:
        groups = []
        for value in sorted(members[dim]):
            ids = members[dim][value]
            figures = summarize(assignments, ids)
            groups.append(
                {
                    "value": value,
                    "applicants": figures.applicants,
                    "matched": figures.matched,
                    "unmatched": figures.unmatched,
                    "first_choice": figures.first_choice,
                    "top3": figures.top3,
                    "match_rate": figures.match_rate,
                    "first_choice_rate": figures.first_choice_rate,
                    "top3_rate": figures.top3_rate,
                    "suppressed": figures.applicants < small,
                }
            )
        hidden = [g for g in groups if g["suppressed"]]
        shown = sorted((g for g in groups if not g["suppressed"]), key=lambda g: g["applicants"])
        if len(hidden) == 1 and shown:
            shown[0]["suppressed"] = True
        for g in groups:
            if g["suppressed"]:
                for key in list(g):
                    if key not in ("value", "suppressed"):
                        del g[key]
        out.append({"dimension": dim, "groups": groups})
    return out


def _summary(result, lottery_input: LotteryInput, *, window, run_date, seed) -> dict:
    s = result.summary
    programs = []
    for pk, program in lottery_input.programs.items():
        ps = result.programs[program.code]
        programs.append(
            {
                "id": pk,
                "code": program.code,
                "name": str(program),
                "school": str(program.school),
                "grade": program.grade_level,
                "seats": ps.seats,
                "filled": ps.filled,
                "seats_left": ps.seats_left,
                "applicants": ps.applicants,
                "first_choice_applicants": ps.first_choice_applicants,
                "waitlisted": ps.waitlisted,
                "categories": [
                    {
                        "name": name,
                        "seats": ps.filled_by_category[name] + ps.seats_left_by_category[name],
                        "filled": ps.filled_by_category[name],
                        "seats_left": ps.seats_left_by_category[name],
                    }
                    for name in ps.filled_by_category
                ],
            }
        )
    return {
        "format": "district-ops-lottery/1",
        "seed": seed,
        "input_hash": result.input_hash,
        "tie_breaking": result.tie_breaking,
        "run_date": run_date.isoformat(),
        "applicants": s.applicants,
        "matched": s.matched,
        "unmatched": s.unmatched,
        "first_choice": s.first_choice,
        "top3": s.top3,
        "match_rate": s.match_rate,
        "first_choice_rate": s.first_choice_rate,
        "top3_rate": s.top3_rate,
        "seats": sum(p["seats"] for p in programs),
        "seats_left": sum(p["seats_left"] for p in programs),
        "programs": programs,
        "groups": _group_breakdown(window, result.assignments, run_date),
        "small_cell": settings.OPS_SMALL_CELL,
    }


def _run_audit_values(run: LotteryRun) -> dict:
    """The run as audited: its fields, with the headline figures in place of the whole summary."""
    values = audit.snapshot(run)
    values["summary"] = {
        k: run.summary.get(k)
        for k in ("applicants", "matched", "unmatched", "seats_left", "offers", "waitlist_entries")
    }
    return values


@gc_paused
@transaction.atomic
def lottery_run(
    *, actor, window: ApplicationWindow, kind: str = c.RunKind.DRY, seed=None, tie_breaking: str = "single"
) -> LotteryRun:
    """Run the lottery on ``window``: a dry run (summary only) or the final run (offers and waitlists).

    The input is every submitted application's ranked choices, its priority
    points per program, and each program's seat categories in fill order.
    The seed (drawn when not given) and the SHA-256 of the input are stored
    with the summary so anyone holding the inputs can re-run it. The final
    run is refused while the window is open and when one exists already; it
    writes one pending offer per placed applicant (answer by the run date plus
    the window's days to answer) and each program's ranked waitlist.
    """
    if kind not in c.RunKind.values:
        raise ValidationError({"kind": _("Choose a dry run or the final run.")})
    if tie_breaking not in ("single", "multiple"):
        raise ValidationError({"tie_breaking": _("Tie-breaking is single or multiple.")})
    _require(actor, ApplicationWindow, Action.VIEW, window)
    _require(actor, LotteryRun, Action.ADD)
    _require_every_school(actor, LotteryRun)
    final = kind == c.RunKind.FINAL
    if final:
        _require(actor, Offer, Action.ADD)
        _require_every_school(actor, Offer)
    seed = _seed_value(seed)
    ran_at = timezone.now()
    run_date = _local_date(ran_at)
    started = time.perf_counter()
    if final:
        # One final run at a time per window: the window row is the lock.
        window = ApplicationWindow.objects.select_for_update(of=("self",)).get(pk=window.pk)
        if ran_at < window.closes_at:
            raise ValidationError(
                {
                    "kind": _("The final run must wait until the deadline, %(deadline)s.")
                    % {"deadline": _when(window.closes_at)}
                }
            )
        if _final_run_exists(window):
            raise ValidationError({"kind": _("%(window)s already has its final run.") % {"window": window}})
    lottery_input = LotteryInput(window)
    applicants = lottery_input.lottery_applicants()
    if not applicants:
        raise ValidationError({"window": _("%(window)s has no submitted applications.") % {"window": window}})
    programs = lottery_input.lottery_programs()
    read_s = time.perf_counter() - started
    try:
        result = run_lottery(applicants, programs, seed=seed, tie_breaking=tie_breaking)
    except ValueError as exc:
        raise ValidationError({"window": str(exc)}) from exc
    lottery_s = time.perf_counter() - started - read_s
    summary = _summary(result, lottery_input, window=window, run_date=run_date, seed=seed)
    run = LotteryRun(
        window=window,
        kind=kind,
        seed=str(seed),
        input_hash=result.input_hash,
        tie_breaking=tie_breaking,
        summary=summary,
        ran_at=ran_at,
        ran_by=_actor_or_none(actor),
        created_by=_actor_or_none(actor),
    )
    run.full_clean(exclude=None if run.ran_by_id else ["ran_by"])  # a system job runs as nobody
    try:
        with transaction.atomic():
            run.save()
    except IntegrityError as exc:  # the database's one-final-run constraint, under a race
        raise ValidationError({"kind": _("%(window)s already has its final run.") % {"window": window}}) from exc
    summary_s = time.perf_counter() - started - read_s - lottery_s
    if final:
        offers, entries = _write_placements(actor, run, lottery_input, result, run_date)
        summary["offers"] = offers
        summary["waitlist_entries"] = entries
    summary["durations"] = {
        "read_s": round(read_s, 3),
        "lottery_s": round(lottery_s, 3),
        "summary_s": round(summary_s, 3),
        "write_s": round(time.perf_counter() - started - read_s - lottery_s - summary_s, 3),
    }
    LotteryRun.objects.filter(pk=run.pk).update(summary=summary)
    run.summary = summary
    if actor is not None:
        ensure_in_scope(actor, run, Action.ADD)
    audit.log_change(
        actor=actor, change=AuditEntry.Change.CREATE, instance=run, before=None, after=_run_audit_values(run)
    )
    return run


def _write_placements(actor, run: LotteryRun, lottery_input: LotteryInput, result, run_date) -> tuple[int, int]:
    """Write the final run's offers and waitlists in bulk; returns their counts.

    Every offer gets its own audit row. A program's waitlist gets one audit
    row naming each entry created (id, position, application, rank), so the
    quarter of a million rows of a regional run are all on record without an
    audit row per waitlist line; later changes to an entry are audited one by
    one as they happen.
    """
    window = run.window
    # Lock the window's programs: offers are only ever created under their program's row lock.
    list(ChoiceProgram.objects.select_for_update().filter(window=window).values_list("pk", flat=True))
    programs = lottery_input.programs
    program_id = lottery_input.code_to_id
    program_name = {pk: str(p) for pk, p in programs.items()}
    students = _student_names(window)
    creator = _actor_id(actor)
    offers = [
        (application_id, program_id[placed.program], placed.category, placed.rank)
        for application_id, placed in result.assignments.items()
        if placed is not None
    ]

    def describe(row):  # Offer.__str__, from the row's values
        return f"{students[row[0]]} → {program_name[row[1]]}"

    insert_rows_audited(
        actor=actor,
        model=Offer,
        columns=["application_id", "program_id", "seat_category", "rank"],
        rows=offers,
        constants={
            "run_id": run.pk,
            "status": c.OfferStatus.PENDING.value,
            "respond_by": run_date + datetime.timedelta(days=window.offer_deadline_days),
            "responded_at": None,
            "enrollment_id": None,
            "created_by_id": creator,
        },
        describe=describe,
        district_id=window.district_id,
    )
    ranked = lottery_input.choices
    lines = []
    for code, waiting in result.waitlists.items():
        pid = program_id[code]
        lines.extend((pid, a, position, ranked[a].index(pid) + 1) for position, a in enumerate(waiting, start=1))
    ids = insert_rows(
        model=WaitlistEntry,
        columns=["program_id", "application_id", "position", "rank"],
        rows=lines,
        constants={"run_id": run.pk, "is_active": True, "created_by_id": creator},
    )
    by_program: dict[int, list] = defaultdict(list)
    for pk, (pid, application_id, position, rank) in zip(ids, lines):
        by_program[pid].append([pk, position, application_id, rank])
    content_type = ContentType.objects.get_for_model(WaitlistEntry)
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                actor_id=creator,
                actor_name=actor.get_username() if creator else "system",
                change=AuditEntry.Change.CREATE,
                content_type=content_type,
                object_id=f"run {run.pk} program {pid}",
                object_repr=f"Waitlist at {program_name[pid]}, run {run.pk}: {len(entries)} entries"[:200],
                changes={
                    "entries (id, position, application, rank)": [None, entries],
                    "run": [None, run.pk],
                    "program": [None, pid],
                    "is_active": [None, True],
                },
                request_id=context.request_id.get(),
                source=context.source.get(),
                district_key=window.district_id,
            )
            for pid, entries in by_program.items()
        ],
        batch_size=100,
    )
    return len(offers), len(lines)


def _actor_id(actor) -> int | None:
    return actor.pk if actor is not None and actor.pk else None


class _Stub:
    """Just the attributes a model's ``__str__`` reads, to name rows written without model instances."""

    def __init__(self, **values):
        self.__dict__.update(values)


def _student_names(window: ApplicationWindow) -> dict[int, str]:
    """How each submitted application's student is named (``Student.__str__``), by application id."""
    return {
        pk: Student.__str__(_Stub(legal_last_name=last, legal_first_name=first, preferred_name=preferred))
        for pk, last, first, preferred in Application.objects.filter(
            window=window, status=c.ApplicationStatus.SUBMITTED
        )
        .values_list("pk", "student__legal_last_name", "student__legal_first_name", "student__preferred_name")
        .iterator(chunk_size=20000)
    }


# -- offers and waitlists ------------------------------------------------------------------------


def _lock_offer(actor, offer: Offer) -> Offer:
    _require(actor, Offer, Action.CHANGE, offer)
    return (
        Offer.objects.select_for_update(of=("self",))
        .select_related("program__school", "application__window__school_year", "application__student", "run")
        .get(pk=offer.pk)
    )


def _save_offer(actor, offer: Offer, before: dict) -> None:
    offer.version += 1
    offer.full_clean()
    offer.save()
    audit.log_change(
        actor=actor, change=AuditEntry.Change.UPDATE, instance=offer, before=before, after=audit.snapshot(offer)
    )


@transaction.atomic
def offer_accept(*, actor, offer: Offer) -> Offer:
    """Accept a pending offer by its answer date, and enroll the student for the placement year.

    The new enrollment starts on the placement year's first day (or today,
    once the year has begun) at the program's school and grade, entry code
    C1; the student's current primary enrollment ends that day (exit code T1
    within the district, T2 from another district, P1 when continuing at the
    same school), both through the model's validation. Refused when the offer
    is not pending, its answer date has passed, or the program's seats are all
    taken by accepted offers (the program row is locked, so two accepts at
    once cannot both take the last seat).
    """
    offer = _lock_offer(actor, offer)
    now = timezone.now()
    today = _local_date(now)
    if offer.status != c.OfferStatus.PENDING:
        raise ValidationError(
            {
                "status": _("This offer is %(status)s; only a pending offer can be accepted.")
                % {"status": offer.get_status_display().lower()}
            }
        )
    if today > offer.respond_by:
        raise ValidationError(
            {"respond_by": _("The answer was due by %(date)s.") % {"date": formats.date_format(offer.respond_by)}}
        )
    program = ChoiceProgram.objects.select_for_update().select_related("school").get(pk=offer.program_id)
    taken = Offer.objects.filter(program=program, status=c.OfferStatus.ACCEPTED).count()
    if taken >= program.seats:
        raise ValidationError(
            {
                "program": _("Every seat at %(program)s is taken (%(seats)s).")
                % {"program": program, "seats": program.seats}
            }
        )
    application = offer.application
    year = application.window.school_year
    entry = max(year.start_date, today)
    _end_current_enrollment(actor, student=application.student, on=entry, school=program.school)
    enrollment = Enrollment(
        student=application.student,
        school=program.school,
        school_year=year,
        grade_level=program.grade_level,
        entry_date=entry,
        entry_code=c.EntryCode.CHOICE,
        is_primary=True,
        created_by=_actor_or_none(actor),
    )
    enrollment.full_clean()
    enrollment.save()
    audit.log_change(
        actor=actor, change=AuditEntry.Change.CREATE, instance=enrollment, before=None, after=audit.snapshot(enrollment)
    )
    before = audit.snapshot(offer)
    offer.status = c.OfferStatus.ACCEPTED
    offer.responded_at = now
    offer.enrollment = enrollment
    _save_offer(actor, offer, before)
    return offer


def _end_current_enrollment(actor, *, student: Student, on: datetime.date, school) -> None:
    """End the student's primary enrollment that runs past ``on``, on ``on``, as a transfer."""
    current = (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("school", "school_year", "student")
        .filter(student=student, is_primary=True, entry_date__lte=on)
        .filter(Q(exit_date__isnull=True) | Q(exit_date__gt=on))
    )
    for enrollment in current:
        before = audit.snapshot(enrollment)
        if enrollment.school_id == school.pk:
            code = c.ExitCode.PROMOTED
        elif enrollment.school.district_id == school.district_id:
            code = c.ExitCode.TRANSFER_IN_DISTRICT
        else:
            code = c.ExitCode.TRANSFER_OUT
        enrollment.exit_date = on
        enrollment.exit_code = code
        enrollment.version += 1
        enrollment.full_clean()
        enrollment.save()
        audit.log_change(
            actor=actor,
            change=AuditEntry.Change.UPDATE,
            instance=enrollment,
            before=before,
            after=audit.snapshot(enrollment),
        )


@transaction.atomic
def offer_decline(*, actor, offer: Offer) -> Offer:
    """Decline a pending offer; its seat goes to the program's waitlist at once."""
    offer = _lock_offer(actor, offer)
    if offer.status != c.OfferStatus.PENDING:
        raise ValidationError(
            {
                "status": _("This offer is %(status)s; only a pending offer can be declined.")
                % {"status": offer.get_status_display().lower()}
            }
        )
    _lock_window(offer.application.window_id)
    before = audit.snapshot(offer)
    offer.status = c.OfferStatus.DECLINED
    offer.responded_at = timezone.now()
    _save_offer(actor, offer, before)
    _fill_from_waitlist(actor, run=offer.run, program_ids=[offer.program_id])
    return offer


def _lock_window(window_id: int) -> ApplicationWindow:
    """Waitlist movement in a window runs one at a time: the window row is the lock."""
    return ApplicationWindow.objects.select_for_update().get(pk=window_id)


@transaction.atomic
def offers_expire(*, actor=None, today: datetime.date | None = None) -> int:
    """Expire pending offers whose answer date has passed and move the waitlists; returns how many.

    Running it twice expires nothing the second time.
    """
    today = today or timezone.localdate()
    due = Offer.objects.filter(status=c.OfferStatus.PENDING, respond_by__lt=today)
    if actor is not None:
        due = due.restrict(actor, Action.CHANGE)
    expired = 0
    for window_id in sorted(set(due.values_list("application__window_id", flat=True))):
        _lock_window(window_id)
        freed: dict[int, list[int]] = defaultdict(list)
        for offer in (
            due.filter(application__window_id=window_id)
            .select_for_update(of=("self",))
            .select_related("program__school", "application__student", "run")
            .order_by("pk")
        ):
            before = audit.snapshot(offer)
            offer.status = c.OfferStatus.EXPIRED
            _save_offer(actor, offer, before)
            freed[offer.run_id].append(offer.program_id)
            expired += 1
        for run_id, program_ids in freed.items():
            _fill_from_waitlist(actor, run=LotteryRun.objects.get(pk=run_id), program_ids=program_ids)
    return expired


@transaction.atomic
def waitlist_advance(*, actor, program: ChoiceProgram) -> list[Offer]:
    """Offer the program's free seats (after a decline, or seats added) to its waitlist; returns the new offers."""
    _require(actor, Offer, Action.ADD)
    _require(actor, ChoiceProgram, Action.VIEW, program)
    run = LotteryRun.objects.filter(window_id=program.window_id, kind=c.RunKind.FINAL).first()
    if run is None:
        raise ValidationError({"program": _("The final lottery of this window has not run.")})
    _lock_window(program.window_id)
    return _fill_from_waitlist(actor, run=run, program_ids=[program.pk])


def _fill_from_waitlist(actor, *, run: LotteryRun, program_ids: Iterable[int]) -> list[Offer]:
    """Offer free seats to the next applicants in line, cascading to the seats they give up.

    A seat is free when the program's pending and accepted offers number fewer
    than its seats (read under the program's row lock). The next active entry
    in position order gets a pending offer, unless the applicant withdrew or
    holds an offer they ranked at least as high. An offer the applicant held
    at a program they ranked lower is superseded (an enrollment it made that
    has not begun is removed) and that program's seat is offered in turn.
    """
    window = ApplicationWindow.objects.get(pk=run.window_id)
    today = timezone.localdate()
    respond_by = today + datetime.timedelta(days=window.offer_deadline_days)
    made: list[Offer] = []
    queue = deque(program_ids)
    while queue:
        program = ChoiceProgram.objects.select_for_update().select_related("school").get(pk=queue.popleft())
        free = program.seats - Offer.objects.filter(program=program, status__in=ACTIVE_OFFER).count()
        while free > 0:
            entry = (
                WaitlistEntry.objects.filter(run=run, program=program, is_active=True)
                .select_related("application__student")
                .order_by("position")
                .first()
            )
            if entry is None:
                break
            application = entry.application
            held = (
                Offer.objects.select_for_update(of=("self",))
                .select_related("program__school", "enrollment")
                .filter(application=application, status__in=ACTIVE_OFFER)
                .first()
            )
            _deactivate(actor, WaitlistEntry.objects.filter(pk=entry.pk))
            if application.status != c.ApplicationStatus.SUBMITTED or (held is not None and held.rank <= entry.rank):
                continue
            offer = Offer(
                run=run,
                application=application,
                program=program,
                seat_category="",
                rank=entry.rank,
                status=c.OfferStatus.PENDING,
                respond_by=respond_by,
                created_by=_actor_or_none(actor),
            )
            offer.full_clean()
            offer.save()
            audit.log_change(
                actor=actor, change=AuditEntry.Change.CREATE, instance=offer, before=None, after=audit.snapshot(offer)
            )
            made.append(offer)
            free -= 1
            # Lines for programs the applicant ranked below this one no longer matter to them.
            _deactivate(
                actor, WaitlistEntry.objects.filter(application=application, is_active=True, rank__gt=entry.rank)
            )
            if held is not None:
                _supersede(actor, held, today)
                queue.append(held.program_id)
    return made


def _deactivate(actor, entries) -> None:
    rows = list(entries.select_related("program__school", "application__student"))
    if not rows:
        return
    before = {row.pk: audit.snapshot(row) for row in rows}
    WaitlistEntry.objects.filter(pk__in=[row.pk for row in rows]).update(is_active=False, version=F("version") + 1)
    for row in rows:
        row.is_active = False
        row.version += 1
    audit.log_bulk(
        actor=actor,
        rows=[(AuditEntry.Change.UPDATE, row, before[row.pk], audit.snapshot(row)) for row in rows],
    )


def _supersede(actor, held: Offer, today: datetime.date) -> None:
    """Supersede an offer the applicant ranked lower; an enrollment it made that has not begun goes with it."""
    before = audit.snapshot(held)
    enrollment = held.enrollment
    remove = enrollment is not None and enrollment.entry_date > today
    held.status = c.OfferStatus.SUPERSEDED
    if remove:
        held.enrollment = None
    _save_offer(actor, held, before)
    if remove:
        audit.log_change(
            actor=actor,
            change=AuditEntry.Change.DELETE,
            instance=enrollment,
            before=audit.snapshot(enrollment),
            after=None,
        )
        enrollment.delete()
        _reopen_ended_for(actor, enrollment)


def _reopen_ended_for(actor, placement: Enrollment) -> None:
    """Reopen the enrollment that accepting ``placement``'s offer ended on its first day.

    Accepting ends the student's current primary enrollment the day the
    placement begins; when the placement is given up before it begins, the
    student stays where they were, as if the offer had never been accepted.
    """
    ended = (
        Enrollment.objects.select_for_update(of=("self",))
        .filter(student_id=placement.student_id, is_primary=True, exit_date=placement.entry_date)
        .filter(exit_code__in=(c.ExitCode.TRANSFER_IN_DISTRICT, c.ExitCode.TRANSFER_OUT, c.ExitCode.PROMOTED))
        .exclude(pk=placement.pk)
    )
    for enrollment in ended:
        before = audit.snapshot(enrollment)
        enrollment.exit_date = None
        enrollment.exit_code = ""
        enrollment.version += 1
        enrollment.full_clean()
        enrollment.save()
        audit.log_change(
            actor=actor,
            change=AuditEntry.Change.UPDATE,
            instance=enrollment,
            before=before,
            after=audit.snapshot(enrollment),
        )
