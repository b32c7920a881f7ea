"""The dashboard's entry in the navigation: its refresh jobs, with links to the dashboard and the targets."""

from django.utils.translation import gettext_lazy as _

from core.registry import Pages, pages

from .filtersets import KpiRefreshFilterSet
from .models import KpiRefresh

SECTION = _("Operations dashboard")

pages.register(
    Pages(
        model=KpiRefresh,
        section=SECTION,
        filterset=KpiRefreshFilterSet,
        actions=frozenset({"list"}),
        list_columns=["district", "as_of", "status", "progress", "snapshots", "created_at", "finished_at"],
        links=[(_("Operations dashboard"), "dashboard:overview"), (_("KPI targets"), "dashboard:targets")],
    )
)
