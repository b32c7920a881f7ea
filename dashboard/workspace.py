"""The dashboard in the workspaces: each department's KPI tiles; where executives, the state and principals land."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from core import workspace
from core.choices import Role

from . import registry, selectors
from .models import KpiSnapshot


def department_tiles(ctx) -> dict | None:
    """The tiles of the department's KPIs in the viewer's first district, as the dashboard draws them."""
    user = ctx.user
    if not selectors.can_read(user) or not selectors.reads_district_scope(user):
        return None
    if not any(k.department == ctx.department for k in registry.all_kpis()):
        return None
    district = selectors.dashboard_districts(user).first()
    if district is None:
        return None
    from .views import _priorities  # the dashboard's own tile decoration (status colour, sparkline)

    data = selectors.district_overview(user, district, ctx.today, ctx.department)
    priorities = [p for p in _priorities(data.priorities, ctx.department) if p["tiles"]]
    html = render_to_string(
        "dashboard/_tiles.html", {"priorities": priorities, "kpi_links": True, "district": district}
    )
    return {"tiles": mark_safe(html), "district": district}  # rendered and escaped by the tiles template


workspace.register_block(
    workspace.Block(
        key="kpi-tiles",
        title=gettext_lazy("Key figures"),
        template="dashboard/_workspace_tiles.html",
        build=department_tiles,
        model=KpiSnapshot,
        order=100,
    )
)


def _dashboard(user) -> str | None:
    return reverse("dashboard:overview") if selectors.can_read(user) else None


def _school(user) -> str | None:
    schools = selectors.principal_school_ids(user)
    if schools and selectors.can_read(user):
        return reverse("dashboard:school", args=[schools[0]])
    return None


workspace.register_landing(Role.EXECUTIVE, _dashboard)
workspace.register_landing(Role.STATE, _dashboard)  # with its district picker
workspace.register_landing(Role.PRINCIPAL, _school)
