"""Reusable filters and aggregations for membership, computed in SQL.

Dates follow one convention: an enrollment or program spell covers
``start <= day < end`` (the end, or exit date, is the first day no longer
covered; empty while it lasts). So a transfer closes one enrollment and opens
the next on the same date with no overlap and no gap.
"""

from __future__ import annotations

import datetime

from django.db.models import Count, Q

from core.models import RestrictedQuerySet


def _overlap_q(start_field: str, end_field: str, start: datetime.date, end: datetime.date | None) -> Q:
    q = Q(**{f"{end_field}__isnull": True}) | Q(**{f"{end_field}__gt": start})
    if end is not None:
        q &= Q(**{f"{start_field}__lt": end})
    return q


def _active_q(start_field: str, end_field: str, day: datetime.date) -> Q:
    return Q(**{f"{start_field}__lte": day}) & (Q(**{f"{end_field}__isnull": True}) | Q(**{f"{end_field}__gt": day}))


class StudentQuerySet(RestrictedQuerySet):
    @staticmethod
    def served_q(path: str, school_ids, *, since: datetime.date) -> Q:
        """Records whose student (at ``path``; ``"pk"`` for a student) one of ``school_ids`` serves.

        The access policy's "a school serves a student" (see ``core.policy``):
        an enrollment there that has not ended, or ended after ``since``
        (today less the district's grace period; an upcoming enrollment has
        not ended), or an accepted offer of a seat there in a placement year
        that ended no earlier than ``since``. Two subqueries of student ids,
        answered from the enrollment and offer indexes.
        """
        from . import choices as c
        from .models import Enrollment, Offer

        enrolled = (
            Enrollment.objects.filter(school_id__in=school_ids)
            .filter(Q(exit_date__isnull=True) | Q(exit_date__gt=since))
            .values("student_id")
        )
        placed = Offer.objects.filter(
            status=c.OfferStatus.ACCEPTED,
            program__school_id__in=school_ids,
            application__window__school_year__end_date__gte=since,
        ).values("application__student_id")
        return Q(**{f"{path}__in": enrolled}) | Q(**{f"{path}__in": placed})

    @staticmethod
    def in_grades_q(path: str, grades) -> Q:
        """Records whose student (at ``path``; ``"pk"`` for a student) is now in one of ``grades``."""
        prefix = "" if path == "pk" else f"{path}__"
        return Q(**{f"{prefix}grade_level__in": sorted(grades)})

    def served_at(self, school_ids, *, since: datetime.date):
        """Students one of ``school_ids`` serves (see ``served_q``)."""
        return self.filter(self.served_q("pk", school_ids, since=since))

    def enrolled_on(self, day: datetime.date):
        from .models import Enrollment

        return self.filter(pk__in=Enrollment.objects.active_on(day).values("student_id"))

    def applicants(self):
        """Prospective students: records with no enrollment at all."""
        return self.filter(enrollments__isnull=True)


class EnrollmentQuerySet(RestrictedQuerySet):
    def overlapping(self, start: datetime.date, end: datetime.date | None):
        return self.filter(_overlap_q("entry_date", "exit_date", start, end))

    def active_on(self, day: datetime.date):
        return self.filter(_active_q("entry_date", "exit_date", day))

    def membership(self, day: datetime.date, by: tuple[str, ...] = ("school", "grade_level")):
        """Students counted in membership on ``day`` (primary enrollments), grouped in SQL.

        ``by`` names enrollment fields or student fields through ``student__``:
        for example ``("school", "grade_level", "student__race_ethnicity", "student__sex")``.
        """
        return (
            self.active_on(day)
            .filter(is_primary=True)
            .values(*by)
            .annotate(students=Count("student_id", distinct=True))
            .order_by(*by)
        )

    def membership_in_program(self, day: datetime.date, program: str, by: tuple[str, ...] = ("school",)):
        """Membership on ``day`` of students in ``program`` on that day (aggregates only)."""
        from .models import ProgramParticipation

        in_program = ProgramParticipation.objects.active_on(day).filter(program=program).values("student_id")
        return self.filter(student_id__in=in_program).membership(day, by)


class ParticipationQuerySet(RestrictedQuerySet):
    def overlapping(self, start: datetime.date, end: datetime.date | None):
        return self.filter(_overlap_q("start_date", "end_date", start, end))

    def active_on(self, day: datetime.date):
        return self.filter(_active_q("start_date", "end_date", day))
