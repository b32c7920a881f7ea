"""Celery tasks: thin wrappers that call a service.

Beat runs ``kpi_snapshots_nightly_task`` at 02:30 every night: the entry is
a django-celery-beat periodic task added by migration 0002 (database
scheduler), so no settings file carries it. It can equally be declared in
settings' ``CELERY_BEAT_SCHEDULE``:

    "dashboard-kpi-snapshots-nightly": {
        "task": "dashboard.tasks.kpi_snapshots_nightly_task",
        "schedule": crontab(hour=2, minute=30),
    },
"""

from celery import shared_task

from core import context
from core.choices import Source


def job_task(*, max_retries: int):
    """A dashboard job: acknowledged late, requeued on worker loss, retried with backoff while the broker is away."""
    return shared_task(
        bind=True,
        acks_late=True,
        reject_on_worker_lost=True,
        autoretry_for=(ConnectionError,),
        retry_backoff=True,
        retry_backoff_max=300,
        max_retries=max_retries,
    )


@job_task(max_retries=3)
def kpi_snapshots_nightly_task(self, today: str | None = None) -> int:
    """Every KPI for every district and scope, as of today (or the ISO date given); idempotent."""
    import datetime

    from .services import kpi_refreshes_requeue, kpi_snapshots_nightly

    with context.acting(via=Source.SYSTEM, rid=f"task-{self.request.id}" if self.request.id else None):
        day = datetime.date.fromisoformat(today) if today else None
        written = kpi_snapshots_nightly(today=day)
        kpi_refreshes_requeue()
    return written


@job_task(max_retries=5)
def kpi_refresh_task(self, job_id: int) -> str:
    from .services import kpi_refresh_execute

    with context.acting(via=Source.SYSTEM, rid=f"task-{self.request.id}" if self.request.id else None):
        return kpi_refresh_execute(job_id)


@job_task(max_retries=3)
def kpi_snapshots_refresh_task(self, district_id: int, keys: list[str]) -> int:
    """Recompute the given KPIs for the district as of today (their data just changed); idempotent."""
    from district.models import District

    from .services import kpi_snapshots_refresh

    district = District.objects.filter(pk=district_id).first()
    if district is None:
        return 0
    with context.acting(via=Source.SYSTEM, rid=f"task-{self.request.id}" if self.request.id else None):
        return kpi_snapshots_refresh(district=district, keys=keys)
