"""Membership workflows: enroll, transfer and withdraw, each in one transaction."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import formats
from django.utils.translation import gettext as _

from core.choices import Action
from core.services import record_save

from .choices import EntryCode, ExitCode
from .models import Enrollment, Student


@transaction.atomic
def enrollment_create(
    *,
    actor,
    student: Student,
    school,
    school_year,
    grade_level: str,
    entry_date: datetime.date,
    entry_code: str = EntryCode.NEW,
    is_primary: bool = True,
) -> Enrollment:
    """Enroll a student. A second primary enrollment overlapping the first is refused."""
    enrollment = Enrollment(
        student=student,
        school=school,
        school_year=school_year,
        grade_level=grade_level,
        entry_date=entry_date,
        entry_code=entry_code,
        is_primary=is_primary,
    )
    return record_save(actor=actor, instance=enrollment)


def _lock_open(actor, enrollment: Enrollment) -> Enrollment:
    current = Enrollment.objects.restrict(actor, Action.CHANGE).select_for_update().filter(pk=enrollment.pk).first()
    if current is None:
        raise PermissionDenied(_("You may not change this enrollment."))
    if current.exit_date is not None:
        raise ValidationError(
            {
                "exit_date": _("This enrollment already ended on %(date)s.")
                % {"date": formats.date_format(current.exit_date)}
            }
        )
    return current


@transaction.atomic
def enrollment_withdraw(*, actor, enrollment: Enrollment, on_date: datetime.date, exit_code: str) -> Enrollment:
    """End an enrollment: ``on_date`` is the first day the student is no longer enrolled."""
    if exit_code not in ExitCode.values:
        raise ValidationError({"exit_code": _("Unknown exit code %(code)s.") % {"code": exit_code}})
    current = _lock_open(actor, enrollment)
    if on_date < current.entry_date:
        raise ValidationError({"exit_date": _("The exit date comes before the entry date.")})
    current.exit_date = on_date
    current.exit_code = exit_code
    return record_save(actor=actor, instance=current)


@transaction.atomic
def enrollment_transfer(
    *,
    actor,
    enrollment: Enrollment,
    to_school,
    on_date: datetime.date,
    grade_level: str | None = None,
) -> Enrollment:
    """Move a student to another school on ``on_date``: close one enrollment, open the next.

    Both happen or neither does. A move within the district is coded T1/E2.
    """
    current = _lock_open(actor, enrollment)
    if to_school.pk == current.school_id:
        raise ValidationError({"school": _("The student is already enrolled at that school.")})
    if to_school.district_id != current.school.district_id:
        raise ValidationError({"school": _("A transfer stays within the district; withdraw with T2 instead.")})
    enrollment_withdraw(actor=actor, enrollment=current, on_date=on_date, exit_code=ExitCode.TRANSFER_IN_DISTRICT)
    return enrollment_create(
        actor=actor,
        student=current.student,
        school=to_school,
        school_year=current.school_year,
        grade_level=grade_level or current.grade_level,
        entry_date=on_date,
        entry_code=EntryCode.TRANSFER_IN_DISTRICT,
        is_primary=current.is_primary,
    )
