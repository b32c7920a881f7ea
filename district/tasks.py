"""Celery tasks: fetch by id, call a service; safe to run twice."""

import datetime

from celery import shared_task

from core import context
from core.choices import Source
from core.models import User

from .models import SchoolYear
from .services import school_year_calendar_build


@shared_task(bind=True, acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def school_year_calendar_build_task(
    self, school_year_id: int, actor_id: int | None = None, closed_dates: list[str] = ()
):
    school_year = SchoolYear.objects.get(pk=school_year_id)
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    with context.acting(via=Source.SYSTEM, rid=f"task-{self.request.id}" if self.request.id else None):
        return school_year_calendar_build(
            actor=actor, school_year=school_year, closed_dates=[datetime.date.fromisoformat(d) for d in closed_dates]
        )
