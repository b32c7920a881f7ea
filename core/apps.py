from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self):
        # Each app registers its pages in pages.py; load them all so navigation
        # and the home page know every registered record.
        autodiscover_modules("pages")
        # Each app declares its student-page panels in panels.py (see core.panels).
        autodiscover_modules("panels")
        # Each department declares its workspace (queues, actions, blocks) in workspace.py (see core.workspace).
        autodiscover_modules("workspace")
        # Each department declares which students it serves and which field groups it reads in access.py
        # (see core.access); the policy reads the declarations.
        autodiscover_modules("access")
        from .api import schema  # noqa: F401 - registers the token scheme with drf-spectacular
