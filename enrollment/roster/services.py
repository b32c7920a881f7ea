"""Roster sync services: import a batch of rows (all or nothing) and export a OneRoster package."""

from __future__ import annotations

from collections import Counter
from contextlib import nullcontext

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core import audit, context
from core.choices import Action, Source
from core.models import Disclosure
from district.models import District, SchoolYear

from ..models import Enrollment, Student, StudentExternalId
from . import bulk
from .instances import gc_paused
from .oneroster import write_package
from .plan import RosterPlan, roster_plan
from .rows import RosterBatch


class RosterRejected(ValidationError):
    """The batch has problems (every one listed in ``plan.problems``); nothing was written."""

    def __init__(self, plan: RosterPlan):
        self.plan = plan
        super().__init__(
            _("%(count)s problems; nothing was written.") % {"count": len(plan.problems)}, code="roster_rejected"
        )


@gc_paused
def roster_preview(*, actor, batch: RosterBatch) -> RosterPlan:
    """What importing ``batch`` would do, with every problem and finding; writes nothing."""
    return roster_plan(actor=actor, batch=batch)


@gc_paused
def roster_import(*, actor, batch: RosterBatch, via: str | None = Source.IMPORT) -> RosterPlan:
    """Import ``batch`` as ``actor``: every row or none, in one transaction, audited.

    Rows that change nothing are not written (no audit row, no new version),
    so importing the same file twice changes nothing the second time. Raises
    ``RosterRejected`` listing every problem, or ``ValidationError`` when the
    database refuses the rows (a record changed meanwhile).
    """
    acting = context.acting(via=via) if via else nullcontext()
    try:
        with acting, transaction.atomic():
            try:
                plan = bulk.import_batch(actor, batch)
            except bulk.RosterOutOfScope as exc:
                raise RosterRejected(RosterPlan(problems=exc.problems, findings=batch.findings)) from exc
            if not plan.ok:
                raise RosterRejected(plan)
    except bulk.RosterConflict as exc:
        raise ValidationError(str(exc)) from exc
    except IntegrityError as exc:
        raise ValidationError(
            _("The database refused the import, so nothing was written: %(error)s") % {"error": exc}
        ) from exc
    return plan


def roster_export(*, actor, end_year: int) -> tuple[bytes, int]:
    """A OneRoster 1.2 package of the enrollments in the ``end_year`` school year the actor may see.

    Returns the zip bytes and the number of students; the download is logged
    as a disclosure.
    """
    enrollments = list(
        Enrollment.objects.restrict(actor, Action.VIEW)
        .filter(school_year__end_year=end_year)
        .select_related("school", "school_year")
        .order_by("student_id", "entry_date", "pk")
    )
    student_ids = sorted({e.student_id for e in enrollments})
    students = list(Student.objects.restrict(actor, Action.VIEW).filter(pk__in=student_ids).order_by("pk"))
    visible = {s.pk for s in students}
    enrollments = [e for e in enrollments if e.student_id in visible]
    external: dict[int, dict[str, str]] = {}
    for student_id, source, value in (
        StudentExternalId.objects.restrict(actor, Action.VIEW)
        .filter(student_id__in=student_ids)
        .order_by("pk")
        .values_list("student_id", "source", "external_id")
    ):
        external.setdefault(student_id, {}).setdefault(source, value)
    schools = sorted({e.school for e in enrollments}, key=lambda s: s.state_school_id)
    years = sorted({e.school_year for e in enrollments}, key=lambda y: (y.district_id, y.end_year))
    districts = list(District.objects.filter(pk__in={s.district_id for s in schools}).order_by("state_lea_id"))
    data = write_package(
        districts=districts,
        schools=schools,
        years=years,
        students=students,
        external_ids=external,
        enrollments=enrollments,
    )
    audit.log_disclosures(  # one row per district of the students in the package
        actor=actor,
        channel=Disclosure.Channel.DOWNLOAD,
        what=_("OneRoster package, %(start)s-%(end)s school year") % {"start": end_year - 1, "end": end_year},
        categories=["names", "state id", "external ids", "grade", "birth date", "sex", "race/ethnicity", "enrollments"],
        counts=Counter(s.district_id for s in students),
    )
    return data, len(students)


def export_years(actor) -> list[int]:
    """Ending years the actor could export, newest first."""
    return sorted(set(SchoolYear.objects.restrict(actor).values_list("end_year", flat=True)), reverse=True)
