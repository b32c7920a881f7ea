import django_filters
from django.utils.translation import gettext_lazy as _

from core.filtersets import RestrictedFilterSet

from .models import KpiRefresh, KpiSnapshot, KpiTarget


class KpiSnapshotFilterSet(RestrictedFilterSet):
    since = django_filters.DateFilter(field_name="as_of", lookup_expr="gte", label=_("As of from"))
    until = django_filters.DateFilter(field_name="as_of", lookup_expr="lte", label=_("As of until"))

    class Meta:
        model = KpiSnapshot
        fields = ["district", "kpi_key", "scope", "school", "dimension", "group", "as_of", "suppressed"]


class KpiTargetFilterSet(RestrictedFilterSet):
    class Meta:
        model = KpiTarget
        fields = ["district", "kpi_key", "school_year"]


class KpiRefreshFilterSet(RestrictedFilterSet):
    class Meta:
        model = KpiRefresh
        fields = ["district", "status", "as_of"]
