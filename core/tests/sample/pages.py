import django_filters

from core.filtersets import RestrictedFilterSet
from core.registry import Pages, pages

from .models import Widget


class WidgetFilterSet(RestrictedFilterSet):
    search_fields = ("name",)
    meal_status = django_filters.CharFilter()

    class Meta:
        model = Widget
        fields = ["school", "meal_status"]


pages.register(
    Pages(
        model=Widget,
        filterset=WidgetFilterSet,
        section="Sample",
        fields=["school", "name", "meal_status", "count"],
        list_columns=["name", "school", "meal_status", "count"],
        import_key="name",
        related_keys={"school": "state_school_id"},
    )
)
