import django_filters
from django.utils.translation import gettext_lazy as _

from core.filtersets import RestrictedFilterSet

from .models import Certification, Collection, ReportRun, ReportSchedule, RunStatus, SexValueSetting


class ReportRunFilterSet(RestrictedFilterSet):
    search_fields = ("title", "report_key")
    since = django_filters.DateFilter(field_name="queued_at", lookup_expr="date__gte", label=_("Queued since"))
    status = django_filters.ChoiceFilter(choices=RunStatus.choices)
    certification = django_filters.ChoiceFilter(choices=Certification.choices)

    class Meta:
        model = ReportRun
        fields = ["district", "school_year", "report_key", "department", "status", "certification", "schedule"]


class ReportScheduleFilterSet(RestrictedFilterSet):
    search_fields = ("name", "report_key")

    class Meta:
        model = ReportSchedule
        fields = ["district", "report_key", "enabled"]


class CollectionFilterSet(RestrictedFilterSet):
    search_fields = ("name", "report_key")

    class Meta:
        model = Collection
        fields = ["district", "school_year", "report_key"]


class SexValueSettingFilterSet(RestrictedFilterSet):
    search_fields = ("report_key", "spec_version", "basis")

    class Meta:
        model = SexValueSetting
        fields = ["district", "report_key", "spec_version", "others"]
