"""Reporting pages: catalogue, run form, run page with live progress, downloads, certification, calendar."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core import audit, policy
from core.choices import Action
from core.views import RecordDetailView

from . import registry, selectors, services
from .forms import RunForm
from .models import Collection, ReportArtifact, ReportRun, RunStatus, Severity


def _require(user, model, action):
    if getattr(user, "is_integration", False) or not policy.can(user, model, action):
        raise PermissionDenied


@login_required
def catalogue(request):
    """The reports the user may read (every report for the reporting office, a manager's own department's)."""
    _require(request.user, ReportRun, Action.VIEW)
    rows = [
        {
            "report": r,
            "can_run": services.may_run(request.user, r),
            "department": selectors.department_label(r.department),
            "levels": ", ".join(selectors.level_label(level) for level in r.levels),
            "formats": ", ".join(fmt.upper() for fmt in r.formats),
        }
        for r in registry.all_reports()
        if services.may_read(request.user, r)
    ]
    return render(request, "reporting/catalogue.html", {"rows": rows})


@login_required
def run_form(request, key):
    report = registry.get(key)
    if report is None:
        raise Http404
    if getattr(request.user, "is_integration", False) or not services.may_run(request.user, report):
        raise PermissionDenied
    form = RunForm(request.POST or None, report=report, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            raw = {
                "school_year": form.cleaned_data["school_year"].pk,
                "as_of": form.cleaned_data["as_of"],
                "level": form.cleaned_data["level"],
                "fmt": form.cleaned_data["fmt"],
            }
            try:
                run, reused = services.report_request(
                    actor=request.user, report_key=key, district=form.cleaned_data["district"], raw_params=raw
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                if reused:
                    messages.info(request, _("The same report on the same data already exists; here it is."))
                return HttpResponseRedirect(reverse("reporting:reportrun_detail", args=[run.pk]))
        status = 400
    return render(request, "reporting/run_form.html", {"report": report, "form": form}, status=status)


class RunDetailView(RecordDetailView):
    def get(self, request, pk):
        run = get_object_or_404(
            ReportRun.objects.restrict(request.user).select_related(
                "district", "school_year", "requested_by", "schedule"
            ),
            pk=pk,
        )
        findings = list(run.findings.all())
        fatal = sum(1 for f in findings if f.severity == Severity.FATAL)
        context = {
            "run": run,
            "parameters": selectors.parameter_rows(run),
            "totals": _totals(run),
            "artifacts": list(run.artifacts.all()),
            "findings": selectors.finding_rows(request.user, findings),
            "fatal_count": fatal,
            "can_change": ReportRun.objects.restrict(request.user, Action.CHANGE).filter(pk=pk).exists(),
            "may_certify": services.is_reporting_manager(request.user, run.district_id),
            "active": run.status in (RunStatus.QUEUED, RunStatus.RUNNING),
            "history": selectors.history_rows(request.user, run, audit.history(request.user, ReportRun, run.pk)),
        }
        template = "reporting/_run_status.html" if request.htmx else "reporting/run_detail.html"
        return render(request, template, {**self.base_context(), **context, "object": run})


TOTAL_LABELS = {
    "membership": gettext_lazy("Students in membership on the count date"),
    "reported": gettext_lazy("Students in the file"),
    "left_out": gettext_lazy("Students left out (listed in the findings)"),
    "counted": gettext_lazy("Students counted"),
    "not_counted": gettext_lazy("Enrollments not counted (the file's “Left out” sheet)"),
    "not_in_fs052": gettext_lazy("Counted students the FS052 file leaves out (the file's “Not in FS052” sheet)"),
}


def _totals(run) -> list[tuple[str, int]]:
    return [(str(TOTAL_LABELS.get(key, key)), value) for key, value in (run.totals or {}).items()]


@login_required
def artifact_download(request, pk):
    _require(request.user, ReportRun, Action.VIEW)
    artifact = get_object_or_404(
        ReportArtifact.objects.select_related("run"), pk=pk, run__in=ReportRun.objects.restrict(request.user)
    )
    content = services.artifact_download(actor=request.user, artifact=artifact)
    types = {
        "csv": "text/csv",
        "tab": "text/tab-separated-values",
        "txt": "text/plain",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    response = HttpResponse(content, content_type=types.get(artifact.fmt, "application/octet-stream"))
    response["Content-Disposition"] = f'attachment; filename="{artifact.name}"'
    return response


@login_required
@require_POST
def run_transition(request, pk, step):
    run = get_object_or_404(ReportRun.objects.restrict(request.user), pk=pk)
    action = {
        "validate": services.report_run_validate,
        "certify": services.report_run_certify,
        "amend": services.report_run_amend,
    }.get(step)
    if action is None:
        raise Http404
    try:
        result = action(actor=request.user, run=run)
    except ReportRun.DoesNotExist:
        raise PermissionDenied from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(reverse("reporting:reportrun_detail", args=[run.pk]))
    messages.success(request, _("Done: %(state)s.") % {"state": result.get_certification_display()})
    return HttpResponseRedirect(reverse("reporting:reportrun_detail", args=[result.pk]))


@login_required
def calendar(request):
    """Each collection with its due date, the state of its latest run, and a warning as the date nears."""
    _require(request.user, Collection, Action.VIEW)
    today = timezone.localdate()
    collections = list(Collection.objects.restrict(request.user).select_related("school_year", "district"))
    runs = {}
    for run in (
        ReportRun.objects.restrict(request.user)
        .filter(report_key__in={c.report_key for c in collections})
        .exclude(certification="amended")
        .order_by("queued_at")
    ):
        runs[(run.district_id, run.report_key, run.parameters.get("school_year"))] = run
    rows = []
    for c in collections:
        run = runs.get((c.district_id, c.report_key, c.school_year_id))
        certified = run is not None and run.certification == "certified"
        days_left = (c.due_date - today).days
        if certified:
            state = _("Certified")
        elif days_left < 0:
            state = _("Overdue")
        elif days_left <= c.warn_days:
            state = _("Due soon")
        else:
            state = _("Open")
        rows.append(
            {
                "collection": c,
                "run": run,
                "state": state,
                "days_left": days_left,
                "warn": not certified and days_left <= c.warn_days,
            }
        )
    return render(request, "reporting/calendar.html", {"rows": rows, "today": today})


def default_october_first(year) -> datetime.date:
    return datetime.date(year.end_year - 1, 10, 1)
