"""Dashboard workflows: computing snapshots, the refresh job, and setting targets.

Snapshots are computed for one district and one as-of date at a time, every
registered KPI in turn, and replace that district's rows for that date in
one transaction, so a page never sees half a night's figures. Small cells
are suppressed here, the same way for every KPI, before anything is stored.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import audit, policy
from core.choices import Role
from core.models import AuditEntry
from district.models import District, SchoolYear

from . import registry, selectors
from .choices import JobStatus, Scope
from .models import KpiRefresh, KpiSnapshot, KpiTarget

log = logging.getLogger(__name__)
Progress = Callable[[int, str], None]
MANAGING_ROLES = (Role.EXECUTIVE, Role.DISTRICT_ADMIN)


# -- who may set targets and refresh ----------------------------------------------------------------


def may_manage(user, district: District) -> bool:
    """Executives (the COO and cabinet) and district administrators of the district set targets and refresh.

    The policy table lets district administrators write targets (district
    reference data) but has no rule for executives writing anything; this
    check says so in one place until the policy has such a rule.
    """
    if user is None or not user.is_authenticated or getattr(user, "is_integration", False):
        return False
    scope = policy.scope_for(user)
    if scope.is_superuser:
        return True
    return any(a.role in MANAGING_ROLES and a.district_id == district.pk for a in scope.assignments)


# -- computing snapshots ------------------------------------------------------------------------------


def school_year_for(district: District, as_of: datetime.date) -> SchoolYear | None:
    """The school year the date falls in, or (in the summer) the one that last began before it."""
    return SchoolYear.objects.filter(district=district, start_date__lte=as_of).order_by("-start_date").first()


def _rows_for(kpi: registry.Kpi, result: registry.KpiResult, *, district, as_of, now, small) -> list[KpiSnapshot]:
    def row(scope, figure, hidden, school_id=None, dimension="", group=""):
        return KpiSnapshot(
            kpi_key=kpi.key,
            department=kpi.department,
            version=kpi.version,
            district=district,
            scope=scope,
            school_id=school_id,
            dimension=dimension,
            group=group,
            value=None if hidden else figure.value(kpi.unit),
            numerator=None if hidden else figure.numerator,
            denominator=None if hidden else figure.denominator,
            suppressed=hidden,
            as_of=as_of,
            computed_at=now,
        )

    rows = []
    district_figure = result.district or registry.Figure(None)
    hidden = (
        kpi.suppress
        and result.district is not None
        and registry.suppress_one(district_figure, small, sensitive=kpi.sensitive)
    )
    head = row(Scope.DISTRICT, district_figure, hidden or district_figure.suppressed)
    head.note = "\n".join(str(n) for n in result.notes)
    rows.append(head)
    withheld = registry.suppress_cells(result.schools, small, sensitive=kpi.sensitive) if kpi.suppress else set()
    for school_id, figure in sorted(result.schools.items()):
        rows.append(row(Scope.SCHOOL, figure, school_id in withheld or figure.suppressed, school_id=school_id))
    by_dimension: dict[str, dict] = defaultdict(dict)
    for (dimension, group), figure in result.groups.items():
        by_dimension[dimension][group] = figure
    for dimension, cells in sorted(by_dimension.items()):
        withheld = registry.suppress_cells(cells, small, sensitive=kpi.sensitive) if kpi.suppress else set()
        withheld |= {g for g, f in cells.items() if f.suppressed}
        for group, figure in sorted(cells.items()):
            rows.append(row(Scope.GROUP, figure, group in withheld, dimension=dimension, group=group))
    return rows


def _changed(district: District) -> None:
    """Retire cached renderings of the district now, and again once the change is committed
    (a page rendered between the two would otherwise keep the old figures)."""
    selectors.bump_generation(district.pk)
    transaction.on_commit(lambda: selectors.bump_generation(district.pk))


def kpi_snapshots_compute(
    *,
    district: District,
    as_of: datetime.date,
    keys: Iterable[str] | None = None,
    progress: Progress | None = None,
) -> int:
    """Compute the KPIs (all, or ``keys``) for the district on ``as_of`` and store them; returns rows written.

    A KPI whose computation fails is stored with no value and the failure as
    its data-quality note; the others are still computed.
    """
    kpis = [k for k in registry.all_kpis() if keys is None or k.key in set(keys)]
    ctx = registry.ComputeContext(
        district=district,
        as_of=as_of,
        school_year=school_year_for(district, as_of),
        small_cell=settings.OPS_SMALL_CELL,
    )
    rows: list[KpiSnapshot] = []
    now = timezone.now()
    for n, kpi in enumerate(kpis, start=1):
        try:
            # Notes are stored in English whoever asked for the refresh; pages translate them.
            with translation.override(None):
                result = kpi.compute(ctx)
        except Exception as exc:
            log.exception("KPI %s failed for district %s on %s", kpi.key, district.pk, as_of)
            result = registry.KpiResult(notes=[_("Could not be computed: %(error)s") % {"error": exc}])
        rows += _rows_for(kpi, result, district=district, as_of=as_of, now=now, small=ctx.small_cell)
        if progress:
            progress(int(100 * n / len(kpis)), _("Computed %(kpi)s.") % {"kpi": kpi.name})
    with transaction.atomic():
        # One writer of a district's snapshots at a time (the nightly run, "refresh now", a run finishing).
        District.objects.select_for_update().filter(pk=district.pk).values_list("pk", flat=True).first()
        KpiSnapshot.objects.filter(district=district, as_of=as_of, kpi_key__in=[k.key for k in kpis]).delete()
        KpiSnapshot.objects.bulk_create(rows, batch_size=2000)
        _changed(district)
    return len(rows)


def kpi_snapshots_refresh(*, district: District, keys: Iterable[str], today: datetime.date | None = None) -> int:
    """Recompute, as of today, KPIs whose data just changed (a report run finished); returns rows written.

    When today holds no snapshot of the other KPIs yet (the nightly run has
    not come), every KPI is computed, so a date always holds the whole set.
    """
    today = today or timezone.localdate()
    keys = sorted(k for k in set(keys) if registry.get(k) is not None)
    if not keys:
        return 0
    others_today = (
        KpiSnapshot.objects.filter(district=district, as_of=today, scope=Scope.DISTRICT)
        .exclude(kpi_key__in=keys)
        .exists()
    )
    return kpi_snapshots_compute(district=district, as_of=today, keys=keys if others_today else None)


def kpi_snapshots_refresh_enqueue(district_id: int, keys: list[str]) -> bool:
    """Send the refresh task; when it cannot be sent (or fails in-process), the nightly run catches up."""
    from .tasks import kpi_snapshots_refresh_task

    try:
        kpi_snapshots_refresh_task.apply_async(args=[district_id, list(keys)], retry=False)
    except Exception:  # broker down, or the in-process run failed: never fail what triggered it
        log.exception("KPIs %s of district %s not refreshed; the nightly run will compute them", keys, district_id)
        return False
    return True


def kpi_snapshots_nightly(*, today: datetime.date | None = None, progress: Progress | None = None) -> int:
    """What beat runs every night: every KPI for every district as of today; returns rows written."""
    today = today or timezone.localdate()
    districts = list(District.objects.order_by("pk"))
    written = 0
    for n, district in enumerate(districts, start=1):
        written += kpi_snapshots_compute(district=district, as_of=today)
        if progress:
            progress(int(100 * n / len(districts)), str(district))
    return written


def kpi_snapshots_backfill(
    *,
    start: datetime.date,
    end: datetime.date,
    every_days: int = 7,
    districts: Iterable[District] | None = None,
    keys: Iterable[str] | None = None,
) -> tuple[int, int]:
    """Compute history: every ``every_days`` from ``start`` to ``end`` (both included); returns (dates, rows)."""
    if end < start:
        raise ValidationError({"end": _("The end comes before the start.")})
    if end > timezone.localdate():
        raise ValidationError({"end": _("History cannot be computed for a future date.")})
    if every_days < 1:
        raise ValidationError({"every": _("Give a step of at least one day.")})
    districts = list(districts if districts is not None else District.objects.order_by("pk"))
    keys = list(keys) if keys is not None else None
    unknown = [k for k in keys or () if registry.get(k) is None]
    if unknown:
        raise ValidationError({"kpi": _("No KPI %(keys)s.") % {"keys": ", ".join(unknown)}})
    days = []
    day = start
    while day <= end:
        days.append(day)
        day += datetime.timedelta(days=every_days)
    if days[-1] != end:
        days.append(end)
    rows = 0
    for day in days:
        for district in districts:
            rows += kpi_snapshots_compute(district=district, as_of=day, keys=keys)
    return len(days), rows


# -- "refresh now" ------------------------------------------------------------------------------------


@transaction.atomic
def kpi_refresh_request(*, actor, district: District, as_of: datetime.date | None = None) -> tuple[KpiRefresh, bool]:
    """Queue a recomputation of the district's snapshots; returns (job, reused).

    A refresh already waiting or running for the same district and date is
    returned instead of a second one. The task is sent after commit.
    """
    if not may_manage(actor, district):
        raise PermissionDenied(_("Only the district's executives and administrators may refresh the dashboard."))
    as_of = as_of or timezone.localdate()
    if as_of > timezone.localdate():
        raise ValidationError({"as_of": _("The as-of date is in the future.")})
    existing = (
        KpiRefresh.objects.select_for_update()
        .filter(district=district, as_of=as_of, status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
        .first()
    )
    if existing is not None:
        return existing, True
    job = KpiRefresh(district=district, as_of=as_of, requested_by=actor, created_by=actor)
    job.full_clean()
    job.save()
    audit.log_change(actor=actor, change=AuditEntry.Change.CREATE, instance=job, before=None, after=audit.snapshot(job))
    transaction.on_commit(lambda: enqueue_refresh(job.pk))
    return job, False


def enqueue_refresh(job_id: int) -> bool:
    from .tasks import kpi_refresh_task

    try:
        kpi_refresh_task.apply_async(args=[job_id], retry=False)
    except Exception as exc:  # noqa: BLE001 - broker down: the job stays queued and says so
        _job_log(job_id, f"Could not reach the job queue ({exc.__class__.__name__}); the nightly run will pick it up.")
        log.warning("KPI refresh %s not sent: %s", job_id, exc)
        return False
    return True


def _job_log(job_id: int, line: str, progress: int | None = None) -> None:
    job = KpiRefresh.objects.filter(pk=job_id).only("log").first()
    if job is None:
        return
    updates = {"log": f"{job.log}{timezone.localtime():%H:%M:%S} {line}\n"}
    if progress is not None:
        updates["progress"] = max(0, min(100, progress))
    KpiRefresh.objects.filter(pk=job_id).update(**updates)


def kpi_refresh_execute(job_id: int) -> str:
    """The work of the refresh task: recompute, with progress. Safe to run twice."""
    with transaction.atomic():
        job = KpiRefresh.objects.select_for_update().filter(pk=job_id).select_related("district").first()
        if job is None:
            return "missing"
        if job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
            return job.status
        KpiRefresh.objects.filter(pk=job_id).update(status=JobStatus.RUNNING, started_at=timezone.now(), progress=1)
    _job_log(job_id, "Started.")
    try:
        written = kpi_snapshots_compute(
            district=job.district, as_of=job.as_of, progress=lambda pct, line: _job_log(job_id, line, max(1, pct - 1))
        )
    except Exception as exc:
        KpiRefresh.objects.filter(pk=job_id).update(
            status=JobStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        _job_log(job_id, f"Failed: {exc}")
        raise
    KpiRefresh.objects.filter(pk=job_id).update(
        status=JobStatus.SUCCEEDED, progress=100, snapshots=written, finished_at=timezone.now()
    )
    _job_log(job_id, f"Finished: {written} snapshot(s).")
    return JobStatus.SUCCEEDED


def kpi_refreshes_requeue() -> int:
    """Send again the refreshes that never reached a worker (the broker was down when they were asked for)."""
    stale = timezone.now() - datetime.timedelta(seconds=settings.CELERY_BROKER_VISIBILITY_TIMEOUT)
    ids = list(KpiRefresh.objects.filter(status=JobStatus.QUEUED, created_at__lt=stale).values_list("pk", flat=True))
    return sum(1 for pk in ids if enqueue_refresh(pk))


# -- targets ------------------------------------------------------------------------------------------


def _amount(value, name: str) -> Decimal:
    """A threshold as stored: two decimal places (so the audit log reads 88.00 before and after)."""
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({name: _("Give a number.")}) from None
    if not amount.is_finite():
        raise ValidationError({name: _("Give a number.")})
    return amount


@transaction.atomic
def kpi_target_save(
    *,
    actor,
    district: District,
    kpi_key: str,
    school_year: SchoolYear,
    target,
    on_track_at,
    watch_at,
    reason: str,
    direction: str | None = None,
    expected_version: int | None = None,
) -> KpiTarget:
    """Set or change a KPI's target and thresholds for a school year, with the reason kept in the audit log."""
    from core.services import StaleVersion

    if not may_manage(actor, district):
        raise PermissionDenied(_("Only the district's executives and administrators set targets."))
    kpi = registry.get(kpi_key)
    if kpi is None:
        raise ValidationError({"kpi_key": _("No KPI %(key)s.") % {"key": kpi_key}})
    if kpi.direction not in ("higher", "lower"):
        raise ValidationError({"kpi_key": _("%(kpi)s is a context measure: it has no target.") % {"kpi": kpi.name}})
    if school_year.district_id != district.pk:
        raise ValidationError({"school_year": _("The school year belongs to another district.")})
    row = (
        KpiTarget.objects.select_for_update()
        .filter(district=district, kpi_key=kpi_key, school_year=school_year)
        .first()
    )
    creating = row is None
    if creating:
        row = KpiTarget(district=district, kpi_key=kpi_key, school_year=school_year, created_by=actor)
        before = None
    else:
        if expected_version is not None and row.version != expected_version:
            raise StaleVersion(row.version)
        before = audit.snapshot(row)
        row.version += 1
    row.target = _amount(target, "target")
    row.on_track_at = _amount(on_track_at, "on_track_at")
    row.watch_at = _amount(watch_at, "watch_at")
    row.direction = direction or kpi.direction
    row.reason = (reason or "").strip()
    row.full_clean()
    row.save()
    _changed(district)
    audit.log_change(
        actor=actor,
        change=AuditEntry.Change.CREATE if creating else AuditEntry.Change.UPDATE,
        instance=row,
        before=before,
        after=audit.snapshot(row),
    )
    return row
