"""Celery tasks: thin wrappers that fetch by id and call a service."""

import logging

from celery import shared_task
from celery.signals import worker_ready

from core import context
from core.choices import Source


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
)
def report_run_task(self, run_id: int) -> str:
    from .services import report_run_execute

    with context.acting(via=Source.SYSTEM, rid=f"task-{self.request.id}" if self.request.id else None):
        return report_run_execute(run_id)


@shared_task
def report_runs_requeue_task() -> int:
    from .services import report_runs_requeue

    return report_runs_requeue()


@shared_task
def scheduled_report_task(schedule_id: int):
    from .services import scheduled_run

    with context.acting(via=Source.SYSTEM):
        run = scheduled_run(schedule_id)
    return run.pk if run else None


@worker_ready.connect
def _requeue_on_start(**kwargs):
    """A worker that starts sends again the runs that waited while no broker or worker was there."""
    from .services import report_runs_requeue

    try:
        report_runs_requeue()
    except Exception:  # never stop a worker from starting
        logging.getLogger(__name__).exception("could not requeue waiting report runs")
