"""Celery tasks for enrollment: fetch by id, call a service; safe to run twice."""

from celery import shared_task

from core import context
from core.choices import Source

from .choice import offers_expire


@shared_task(bind=True, acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def offers_expire_task(self) -> int:
    """Expire school-choice offers past their answer date and move the waitlists (run daily)."""
    with context.acting(via=Source.SYSTEM, rid=f"task-{self.request.id}" if self.request.id else None):
        return offers_expire(actor=None)
