from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TransportationConfig(AppConfig):
    name = "transportation"
    verbose_name = _("Transportation")
