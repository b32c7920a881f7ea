from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DistrictConfig(AppConfig):
    name = "district"
    verbose_name = _("District")

    def ready(self):
        from core.context_processors import ADMINISTRATION
        from core.models import AuditEntry
        from core.registry import NavLink, nav_links

        # The published student-access table, next to the audit logs it answers for.
        nav_links.append(
            NavLink(ADMINISTRATION, _("Student access by department"), "district:student_access", AuditEntry)
        )
