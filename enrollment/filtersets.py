"""One FilterSet per model, shared by the pages and the API."""

import django_filters
from django.utils.translation import gettext_lazy as _

from core.filtersets import IdsFilter, RestrictedFilterSet
from district.models import School

from . import models as m


def id_filter(name, label):
    """A related record named by id: a dropdown of every student would not do."""
    return django_filters.NumberFilter(field_name=name, label=label)


class HouseholdFilterSet(RestrictedFilterSet):
    search_fields = ("name", "street", "email", "phone")

    class Meta:
        model = m.Household
        fields = ["district", "town", "preferred_language"]


class GuardianFilterSet(RestrictedFilterSet):
    household = id_filter("household", _("Household id"))
    search_fields = ("first_name", "last_name", "email", "phone")

    class Meta:
        model = m.Guardian
        fields = ["household", "preferred_language", "is_primary_contact"]


class StudentFilterSet(RestrictedFilterSet):
    search_fields = ("legal_last_name", "legal_first_name", "preferred_name", "state_id", "local_id")
    id = IdsFilter(field_name="pk", label=_("Student ids"))
    enrolled_at = django_filters.ModelChoiceFilter(
        field_name="enrollments__school",
        label=_("Enrolled at"),
        queryset=School.objects.all(),
        distinct=True,
    )

    class Meta:
        model = m.Student
        fields = ["district", "grade_level", "sex", "race_ethnicity", "hispanic", "home_language", "resident_town"]


class StudentExternalIdFilterSet(RestrictedFilterSet):
    student = id_filter("student", _("Student id"))
    search_fields = ("external_id",)

    class Meta:
        model = m.StudentExternalId
        fields = ["source", "student"]


class ProgramParticipationFilterSet(RestrictedFilterSet):
    student = id_filter("student", _("Student id"))
    active_on = django_filters.DateFilter(method="filter_active_on", label=_("Active on"))

    class Meta:
        model = m.ProgramParticipation
        fields = ["program", "meal_status", "meal_source", "student"]

    def filter_active_on(self, queryset, name, value):
        return queryset.active_on(value)


class EnrollmentFilterSet(RestrictedFilterSet):
    student = id_filter("student", _("Student id"))
    search_fields = ("student__legal_last_name", "student__state_id")
    active_on = django_filters.DateFilter(method="filter_active_on", label=_("Active on"))

    class Meta:
        model = m.Enrollment
        fields = ["school", "school_year", "grade_level", "entry_code", "exit_code", "is_primary", "student"]

    def filter_active_on(self, queryset, name, value):
        return queryset.active_on(value)


class SchoolCapacityFilterSet(RestrictedFilterSet):
    class Meta:
        model = m.SchoolCapacity
        fields = ["school", "school_year", "grade_level"]


class ApplicationWindowFilterSet(RestrictedFilterSet):
    search_fields = ("name",)

    class Meta:
        model = m.ApplicationWindow
        fields = ["district", "school_year"]


class ChoiceProgramFilterSet(RestrictedFilterSet):
    search_fields = ("code", "name")

    class Meta:
        model = m.ChoiceProgram
        fields = ["window", "school", "grade_level", "is_open"]


class SeatCategoryFilterSet(RestrictedFilterSet):
    class Meta:
        model = m.SeatCategory
        fields = ["program", "eligibility"]


class ApplicationFilterSet(RestrictedFilterSet):
    student = id_filter("student", _("Student id"))
    search_fields = ("student__legal_last_name", "student__state_id")

    class Meta:
        model = m.Application
        fields = ["window", "status", "student"]


class ApplicantPriorityFilterSet(RestrictedFilterSet):
    application = id_filter("application", _("Application id"))

    class Meta:
        model = m.ApplicantPriority
        fields = ["program", "kind", "is_override", "granted", "application"]


class LotteryRunFilterSet(RestrictedFilterSet):
    class Meta:
        model = m.LotteryRun
        fields = ["window", "kind"]


class OfferFilterSet(RestrictedFilterSet):
    search_fields = ("application__student__legal_last_name",)

    class Meta:
        model = m.Offer
        fields = ["run", "program", "status"]


class WaitlistEntryFilterSet(RestrictedFilterSet):
    class Meta:
        model = m.WaitlistEntry
        fields = ["run", "program", "is_active"]
