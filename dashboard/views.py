"""Dashboard pages: the COO view, a KPI, a school, targets, "refresh now" and the board packet.

Every page reads snapshots through the selectors (``restrict()`` inside);
none computes a KPI. Writes go through the services.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import audit, policy
from core.choices import Action
from core.services import StaleVersion
from district.choices import DepartmentCode
from district.models import School

from . import charts, packet, registry, selectors, services
from .choices import Dimension, Priority, priority_without_kpis
from .forms import PACKET_FORMATS, OverviewForm, PacketForm, RefreshForm, TargetForm
from .models import KpiRefresh, KpiTarget

log = logging.getLogger(__name__)


def _require_reader(user):
    if not selectors.can_read(user):
        raise PermissionDenied(_("You may not read the operations dashboard."))


def _require_target_reader(user):
    """Targets are district reference data: readable by the district's users, kept by its leaders."""
    if getattr(user, "is_integration", False) or not policy.can(user, KpiTarget, Action.VIEW):
        raise PermissionDenied(_("You may not read KPI targets."))


def _district(request, districts):
    """The district asked for (?district=), else the user's first one."""
    wanted = request.GET.get("district")
    if wanted and wanted.isdigit():
        found = next((d for d in districts if d.pk == int(wanted)), None)
        if found is None:
            raise Http404
        return found
    if not districts:
        raise PermissionDenied(_("You have no district."))
    return districts[0]


def _on(form) -> object:
    return (form.cleaned_data.get("as_of") if form.is_valid() else None) or timezone.localdate()


def _decorate(tiles):
    for tile in tiles:
        tile.colour = charts.STATUS_COLOURS[tile.status]
        tile.spark = charts.sparkline(
            [v for _d, v in tile.history], title=_("Trend of %(kpi)s") % {"kpi": tile.kpi.name}, colour=tile.colour
        )
        tile.display = charts.fmt(tile.value, tile.kpi.unit)
        tile.target_display = charts.fmt(tile.target_value, tile.kpi.unit) if tile.target else None
    return tiles


def _priorities(groups, department: str = ""):
    return [
        {
            "key": p,
            "label": Priority(p).label,
            "tiles": _decorate(tiles),
            "empty": "" if tiles else priority_without_kpis(p, department),
        }
        for p, tiles in groups
    ]


@login_required
def overview(request):
    """The COO view: the four priorities with their KPI tiles, a department filter, the board packet."""
    user = request.user
    _require_reader(user)
    if not selectors.reads_district_scope(user):
        schools = selectors.principal_school_ids(user)
        if schools:
            return HttpResponseRedirect(reverse("dashboard:school", args=[schools[0]]))
    districts = list(selectors.dashboard_districts(user))
    form = OverviewForm(request.GET or None, districts=selectors.dashboard_districts(user))
    if request.GET and not form.is_valid():
        status = 400
    else:
        status = 200
    district = _district(request, districts)
    department = (form.cleaned_data.get("department") if form.is_valid() else None) or ""
    on = _on(form)
    # The tiles depend only on the snapshots, the targets and the user's scope: a rendering is
    # reused for a minute, and at once replaced when the district's snapshots or targets change.
    key = ":".join(
        str(part)
        for part in (
            "dashboard:overview", district.pk, on, department, get_language(),
            selectors.generation(district.pk), selectors.scope_signature(user),
        )
    )  # fmt: skip
    block = cache.get(key)
    if block is None:
        data = selectors.district_overview(user, district, on, department or None)
        tiles = render_to_string(
            "dashboard/_tiles.html",
            {"priorities": _priorities(data.priorities, department), "kpi_links": True, "district": district},
            request=request,
        )
        block = {"as_of": data.as_of, "year": str(data.year or ""), "tiles": str(tiles)}
        cache.set(key, block, selectors.CACHE_SECONDS)
    manage = services.may_manage(user, district)
    context = {
        "form": form,
        "district": district,
        "districts": districts,
        "as_of": block["as_of"],
        "year": block["year"],
        "tiles": mark_safe(block["tiles"]),  # rendered (and escaped) by the template above
        "department": department,
        "may_manage": manage,
        # The small forms are written out in the template (cheaper than widget rendering on the busiest page).
        "departments": [("", _("All departments")), *DepartmentCode.choices],
        "as_of_value": request.GET.get("as_of", ""),
        "packet_as_of": block["as_of"] or timezone.localdate(),
        "packet_formats": PACKET_FORMATS,
    }
    return render(request, "dashboard/overview.html", context, status=status)


def _kpi(key):
    kpi = registry.get(key)
    if kpi is None:
        raise Http404
    return kpi


def _group_rows(groups):
    out = []
    for dimension, rows in groups:
        label = Dimension(dimension).label if dimension in Dimension.values else dimension
        items = []
        for r in rows:
            items.append({"label": packet.group_label(dimension, r.group), "snapshot": r})
        out.append({"dimension": dimension, "label": label, "rows": items})
    return out


@login_required
def kpi_page(request, key):
    """One KPI: trend, by school (chart and table), by student group, definition, data quality, records."""
    user = request.user
    _require_reader(user)
    kpi = _kpi(key)
    if not selectors.reads_district_scope(user):
        raise PermissionDenied(_("District-wide figures are for executives and the state role."))
    if not selectors.reads_kpi(user, kpi):
        raise PermissionDenied(_("A department's managers read their own department's KPIs."))
    districts = list(selectors.dashboard_districts(user))
    district = _district(request, districts)
    form = OverviewForm(request.GET or None, districts=selectors.dashboard_districts(user))
    on = _on(form)
    body = _cached(
        user, district, ("kpi", kpi.key, on),
        lambda: render_to_string("dashboard/_kpi_body.html", _kpi_context(user, kpi, district, on), request=request),
    )  # fmt: skip
    return render(request, "dashboard/kpi.html", {"kpi": kpi, "district": district, "body": body})


def _cached(user, district, parts, build):
    """A rendered fragment of snapshot figures, reused for a minute and retired when the district's data change.

    The key holds the user's scope signature: users who reach the same rows share it.
    """
    key = ":".join(
        str(p)
        for p in (
            "dashboard", *parts, district.pk, get_language(), selectors.generation(district.pk),
            selectors.scope_signature(user),
        )
    )  # fmt: skip
    html = cache.get(key)
    if html is None:
        html = str(build())
        cache.set(key, html, selectors.CACHE_SECONDS)
    return mark_safe(html)  # rendered and escaped by a template


def _kpi_context(user, kpi, district, on):
    detail = selectors.kpi_detail(user, kpi, district, on)
    target = detail.tile.target_value
    _decorate([detail.tile])
    bars = [(s["school"].name, s["snapshot"].value, s["status"]) for s in detail.schools]
    for s in detail.schools:
        s["display"] = charts.fmt(s["snapshot"].value, kpi.unit)
        s["colour"] = charts.STATUS_COLOURS[s["status"]]
    return {
        "kpi": kpi,
        "district": district,
        "detail": detail,
        "tile": detail.tile,
        "priority_label": Priority(kpi.priority).label,
        "department_label": packet.department_name(kpi.department),
        "trend_chart": charts.trend_chart(
            detail.trend,
            title=_("%(kpi)s over time") % {"kpi": kpi.name},
            unit=kpi.unit,
            target=target,
            target_label=_("Target"),
        ),
        "trend_rows": [(d, charts.fmt(v, kpi.unit)) for d, v in detail.trend],
        "bar_chart": charts.bar_chart(
            bars,
            title=_("%(kpi)s by school") % {"kpi": kpi.name},
            unit=kpi.unit,
            target=target,
            target_label=_("Target"),
        )
        if bars
        else None,
        "groups": _group_rows(detail.groups),
        # Notes are stored in English when computed; those without figures in them read in the viewer's language.
        "notes": [_(n) for n in (detail.tile.note or "").split("\n") if n],
        "small_cell": registry_small_cell(),
    }


def registry_small_cell() -> int:
    from django.conf import settings

    return settings.OPS_SMALL_CELL


@login_required
def school_page(request, pk):
    """A school's KPIs: the principal's view of their school, and the COO's drill-down."""
    user = request.user
    _require_reader(user)
    school = get_object_or_404(School.objects.restrict(user).select_related("district"), pk=pk)
    if not selectors.reads_district_scope(user) and school.pk not in selectors.principal_school_ids(user):
        raise Http404
    form = OverviewForm(request.GET or None, districts=selectors.dashboard_districts(user))
    data = selectors.school_overview(user, school, _on(form))
    context = {
        "school": school,
        "view": data,
        "priorities": _priorities(data.priorities),
        "district_view": selectors.reads_district_scope(user),
    }
    return render(request, "dashboard/school.html", context)


# -- targets ------------------------------------------------------------------------------------------


@login_required
def targets(request):
    user = request.user
    _require_target_reader(user)
    districts = list(selectors.dashboard_districts(user))
    district = _district(request, districts)
    rows = list(KpiTarget.objects.restrict(user).filter(district=district).select_related("school_year"))
    by_key = {}
    for t in rows:
        by_key.setdefault(t.kpi_key, []).append(t)
    kpis = [{"kpi": k, "targets": by_key.get(k.key, [])} for k in registry.all_kpis()]
    context = {"district": district, "kpis": kpis, "may_manage": services.may_manage(user, district)}
    return render(request, "dashboard/targets.html", context)


@login_required
def target_edit(request, key):
    user = request.user
    _require_target_reader(user)
    kpi = _kpi(key)
    districts = list(selectors.dashboard_districts(user))
    district = _district(request, districts)
    if not services.may_manage(user, district):
        raise PermissionDenied(_("Only the district's executives and administrators set targets."))
    if kpi.direction not in ("higher", "lower"):
        raise Http404
    year = selectors.school_year_on(district, timezone.localdate())
    chosen = request.POST.get("school_year") or request.GET.get("school_year") or (year.pk if year else None)
    current = (
        KpiTarget.objects.restrict(user).filter(district=district, kpi_key=key, school_year_id=chosen).first()
        if str(chosen or "").isdigit()
        else None
    )
    initial = {"school_year": chosen}
    if current:
        initial.update(
            target=current.target, on_track_at=current.on_track_at, watch_at=current.watch_at, version=current.version
        )
    form = TargetForm(request.POST or None, initial=initial, district=district)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.kpi_target_save(
                    actor=user,
                    district=district,
                    kpi_key=key,
                    school_year=data["school_year"],
                    target=data["target"],
                    on_track_at=data["on_track_at"],
                    watch_at=data["watch_at"],
                    reason=data["reason"],
                    expected_version=data.get("version"),
                )
            except StaleVersion:
                form.add_error(None, _("Someone else changed this target while you were editing it. Reload it."))
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                messages.success(request, _("Target saved for %(kpi)s.") % {"kpi": kpi.name})
                return HttpResponseRedirect(f"{reverse('dashboard:targets')}?district={district.pk}")
        status = 400
    history = audit.history(user, KpiTarget, current.pk) if current is not None else []
    context = {"kpi": kpi, "district": district, "form": form, "current": current, "history": history}
    return render(request, "dashboard/target_form.html", context, status=status)


# -- refresh now ---------------------------------------------------------------------------------------


@login_required
@require_POST
def refresh(request):
    user = request.user
    _require_reader(user)
    form = RefreshForm(request.POST, districts=selectors.dashboard_districts(user))
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return HttpResponseRedirect(reverse("dashboard:overview"))
    try:
        job, reused = services.kpi_refresh_request(
            actor=user, district=form.cleaned_data["district"], as_of=form.cleaned_data.get("as_of")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(reverse("dashboard:overview"))
    if reused:
        messages.info(request, _("A refresh for that date is already under way; here it is."))
    return HttpResponseRedirect(reverse("dashboard:refresh_status", args=[job.pk]))


@login_required
def refresh_status(request, pk):
    user = request.user
    _require_reader(user)
    job = get_object_or_404(KpiRefresh.objects.restrict(user).select_related("district", "requested_by"), pk=pk)
    context = {"job": job, "active": job.status in ("queued", "running")}
    template = "dashboard/_refresh_status.html" if request.htmx else "dashboard/refresh.html"
    return render(request, template, context)


# -- the board packet --------------------------------------------------------------------------------


@login_required
def board_packet(request):
    user = request.user
    _require_reader(user)
    if not selectors.reads_district_scope(user):
        raise PermissionDenied(_("The board packet holds district-wide figures."))
    districts = list(selectors.dashboard_districts(user))
    district = _district(request, districts)
    form = PacketForm(request.GET)
    if not form.is_valid():
        return render(request, "dashboard/packet_form.html", {"form": form, "district": district}, status=400)
    data = packet.packet_data(user, district, form.cleaned_data["as_of"])
    fmt = form.cleaned_data["fmt"]
    stamp = (data.overview.as_of or form.cleaned_data["as_of"]).isoformat()
    name = f"board-packet-{district.state_lea_id}-{stamp}.{fmt}"
    if fmt == "xlsx":
        body = packet.xlsx(data)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        try:
            body = packet.pdf(data)
        except packet.PdfFontMissing as exc:
            log.error("%s", exc)
            form.add_error(
                "fmt",
                _(
                    "The PDF cannot be made on this server: its fonts are not installed. Download the "
                    "spreadsheet, and ask the system administrator to install the fonts."
                ),
            )
            return render(request, "dashboard/packet_form.html", {"form": form, "district": district}, status=503)
        content_type = "application/pdf"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
