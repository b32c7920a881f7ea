"""One FilterSet per model, shared by the pages and the API."""

import django_filters
from django.utils.translation import gettext_lazy as _

from core.filtersets import IdsFilter, RestrictedFilterSet

from .models import Department, District, RoleAssignment, School, SchoolDay, SchoolProfile, SchoolYear


class DistrictFilterSet(RestrictedFilterSet):
    search_fields = ("name", "state_lea_id", "nces_id")

    class Meta:
        model = District
        fields = ["state"]


class SchoolFilterSet(RestrictedFilterSet):
    search_fields = ("name", "state_school_id", "nces_id", "city")
    id = IdsFilter(field_name="pk", label=_("School ids"))

    class Meta:
        model = School
        fields = ["district", "school_type", "is_active", "city"]


class SchoolYearFilterSet(RestrictedFilterSet):
    class Meta:
        model = SchoolYear
        fields = ["district", "end_year"]


class SchoolDayFilterSet(RestrictedFilterSet):
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte", label=_("From"))
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte", label=_("To"))

    class Meta:
        model = SchoolDay
        fields = ["school_year", "is_instructional"]


class SchoolProfileFilterSet(RestrictedFilterSet):
    grade = django_filters.CharFilter(field_name="grades_offered", lookup_expr="icontains", label=_("Offers grade"))

    class Meta:
        model = SchoolProfile
        fields = ["school", "school_year", "title_i_status", "nslp_status", "virtual_status"]


class DepartmentFilterSet(RestrictedFilterSet):
    class Meta:
        model = Department
        fields = ["district", "code"]


class RoleAssignmentFilterSet(RestrictedFilterSet):
    search_fields = ("user__username", "user__last_name", "title")

    class Meta:
        model = RoleAssignment
        fields = ["role", "district", "department", "schools", "is_active"]
