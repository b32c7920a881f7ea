"""Reporting's workspace: runs with fatal findings, collections due within 30 days, main actions."""

from __future__ import annotations

import datetime

from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy

from core import workspace
from core.choices import Action
from district.choices import DepartmentCode

from .models import Certification, Collection, ReportRun, RunStatus, Severity

DEPARTMENT = DepartmentCode.REPORTING.value
COLLECTION_WINDOW_DAYS = 30  # collections due within this many days are listed

workspace.register_department(
    workspace.Department(code=DEPARTMENT, label=DepartmentCode.REPORTING.label, apps=("reporting",), order=70)
)


def runs_with_fatal_findings(ctx, rows):
    """Finished runs, not yet certified or replaced, with at least one fatal finding (most recent first)."""
    return (
        rows.filter(status=RunStatus.SUCCEEDED, certification__in=[Certification.DRAFT, Certification.VALIDATED])
        .filter(findings__severity=Severity.FATAL)
        .annotate(fatal=Count("findings", filter=Q(findings__severity=Severity.FATAL)))
        .select_related("school_year")
        .order_by("-queued_at", "-pk")
    )


def collections_due(ctx, rows):
    """Collections due from today to 30 days on, whose report has no certified run for their year yet."""
    certified = ReportRun.objects.filter(
        district=OuterRef("district"),
        report_key=OuterRef("report_key"),
        school_year=OuterRef("school_year"),
        certification=Certification.CERTIFIED,
    )
    return (
        rows.filter(due_date__gte=ctx.today, due_date__lte=ctx.today + datetime.timedelta(days=COLLECTION_WINDOW_DAYS))
        .filter(~Exists(certified))
        .select_related("school_year")
        .order_by("due_date", "name", "pk")
    )


workspace.register_queue(
    workspace.Queue(
        key="runs-fatal-findings",
        department=DEPARTMENT,
        title=gettext_lazy("Runs with fatal findings"),
        description=gettext_lazy("Fatal findings block certification: open the run and fix the records it names."),
        model=ReportRun,
        action=Action.CHANGE,
        select=runs_with_fatal_findings,
        columns=(
            (gettext_lazy("Report"), lambda r: r.title),
            (gettext_lazy("School year"), lambda r: r.school_year),
            (gettext_lazy("Fatal findings"), lambda r: r.fatal),
            (gettext_lazy("Queued"), lambda r: r.queued_at),
        ),
        url=lambda r: reverse("reporting:reportrun_detail", args=[r.pk]),
        more_url=lambda ctx: reverse("reporting:reportrun_list"),
        more_label=gettext_lazy("All report runs"),
        empty=gettext_lazy("No run has a fatal finding open."),
        order=10,
    )
)
workspace.register_queue(
    workspace.Queue(
        key="collections-due",
        department=DEPARTMENT,
        title=gettext_lazy("Collections due within 30 days"),
        description=gettext_lazy("Collections not yet certified whose due date is near."),
        model=Collection,
        action=Action.CHANGE,
        select=collections_due,
        columns=(
            (gettext_lazy("Collection"), lambda c: c.name),
            (gettext_lazy("School year"), lambda c: c.school_year),
            (gettext_lazy("Due date"), lambda c: c.due_date),
        ),
        url=lambda c: reverse("reporting:collection_detail", args=[c.pk]),
        more_url=lambda ctx: reverse("reporting:calendar"),
        more_label=gettext_lazy("The submission calendar"),
        empty=gettext_lazy("No collection is due within 30 days."),
        order=20,
    )
)
workspace.register_action(
    workspace.WorkAction(
        key="reporting-catalogue",
        department=DEPARTMENT,
        label=gettext_lazy("Run a report"),
        url_name="reporting:catalogue",
        model=ReportRun,
        action=Action.ADD,
        order=10,
    )
)
workspace.register_action(
    workspace.WorkAction(
        key="reporting-calendar",
        department=DEPARTMENT,
        label=gettext_lazy("Submission calendar"),
        url_name="reporting:calendar",
        model=Collection,
        action=Action.CHANGE,
        order=20,
    )
)
