from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = _("Operations dashboard")

    def ready(self):
        # Each app declares its KPIs in kpis.py; the dashboard imports no department.
        autodiscover_modules("kpis")
        from core.registry import NavLink, nav_links

        from . import checks  # noqa: F401 - registers the system checks
        from .models import KpiSnapshot

        nav_links.append(NavLink(self.verbose_name, _("Dashboard"), "dashboard:overview", KpiSnapshot))
