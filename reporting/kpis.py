"""Reporting KPIs, registered with the dashboard: state collections certified on time, open fatal findings."""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django.db.models import Count, Exists, IntegerField, OuterRef, Q
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dashboard.choices import Direction, Priority, Unit
from dashboard.registry import ComputeContext, Figure, Kpi, KpiResult, kpis_changed, register

from .models import Certification, Collection, ReportFinding, ReportRun, RunStatus
from .registry import on_run_event

DEPARTMENT = "reporting"
LOOKBACK_DAYS = 365
RUN_KPIS = ("collections_on_time", "open_fatal_findings")


def _runs_with_year():
    return ReportRun.objects.annotate(
        year_param=Cast(KeyTextTransform("school_year", "parameters"), output_field=IntegerField())
    )


def compute_on_time(ctx: ComputeContext) -> KpiResult:
    """Collections due in the twelve months up to the date, and how many were certified by their due date."""
    result = KpiResult()
    due = Collection.objects.filter(
        district=ctx.district,
        due_date__lte=ctx.as_of,
        due_date__gt=ctx.as_of - datetime.timedelta(days=LOOKBACK_DAYS),
    )
    certified_in_time = _runs_with_year().filter(
        district_id=OuterRef("district_id"),
        report_key=OuterRef("report_key"),
        year_param=OuterRef("school_year_id"),
        certified_at__isnull=False,
        certified_at__date__lte=OuterRef("due_date"),
    )
    totals = due.aggregate(den=Count("pk"), num=Count("pk", filter=Q(Exists(certified_in_time))))
    if not totals["den"]:
        result.notes.append(_("No collection fell due in the twelve months up to this date."))
        return result
    result.district = Figure(totals["num"], totals["den"])
    return result


def compute_open_fatal(ctx: ComputeContext) -> KpiResult:
    """Fatal findings on the latest finished run of each report and school year that is not yet certified."""
    result = KpiResult()
    end = timezone.make_aware(datetime.datetime.combine(ctx.as_of + datetime.timedelta(days=1), datetime.time.min))
    finished = (
        _runs_with_year()
        .filter(district=ctx.district, status=RunStatus.SUCCEEDED, finished_at__lt=end)
        .exclude(certification=Certification.AMENDED)
    )
    newer = finished.filter(
        report_key=OuterRef("report_key"), year_param=OuterRef("year_param"), queued_at__gt=OuterRef("queued_at")
    )
    latest_open = (
        finished.filter(certification__in=[Certification.DRAFT, Certification.VALIDATED])
        .exclude(Exists(newer))
        .values("pk")
    )
    count = ReportFinding.objects.filter(run__in=latest_open, severity="fatal").count()
    if not finished.exists():
        result.notes.append(_("No report run had finished by this date."))
    result.district = Figure(count)
    return result


def calendar_records(district, as_of, school_id):
    return reverse("reporting:calendar")


def open_run_records(district, as_of, school_id):
    query = urlencode({"district": district.pk, "status": RunStatus.SUCCEEDED, "certification": Certification.DRAFT})
    return f"{reverse('reporting:reportrun_list')}?{query}"


register(
    Kpi(
        key="collections_on_time",
        name=gettext_lazy("Collections certified on time"),
        department=DEPARTMENT,
        priority=Priority.OPERATIONAL,
        unit=Unit.PERCENT,
        direction=Direction.HIGHER,
        definition=gettext_lazy(
            "Of the state and federal collections due in the twelve months up to the date, the share whose "
            "report was certified on or before its due date."
        ),
        formula=gettext_lazy("collections with a run certified by the due date ÷ collections due × 100"),
        source=gettext_lazy("Submission calendar (collections) and report runs with their certification"),
        version=1,
        compute=compute_on_time,
        records=calendar_records,
        suppress=False,
        has_schools=False,
    )
)
register(
    Kpi(
        key="open_fatal_findings",
        name=gettext_lazy("Open fatal findings"),
        department=DEPARTMENT,
        priority=Priority.OPERATIONAL,
        unit=Unit.COUNT,
        direction=Direction.LOWER,
        definition=gettext_lazy(
            "Fatal validation findings still open: those on the latest finished run of each report and school "
            "year that is not yet certified. A fatal finding blocks certification until the data are fixed."
        ),
        formula=gettext_lazy("count of fatal findings on the latest uncertified run of each report and school year"),
        source=gettext_lazy("Report runs and their validation findings"),
        version=1,
        compute=compute_open_fatal,
        records=open_run_records,
        suppress=False,
        has_schools=False,
    )
)


@on_run_event
def refresh_run_kpis(run_id: int, district_id: int, event: str) -> None:
    """A run finished (new findings) or was certified (findings closed, a collection filed): recompute at once."""
    kpis_changed(district_id=district_id, keys=RUN_KPIS)
