"""Enrollment workflow and report pages, and the student page (plain records use the chassis's pages)."""

import datetime

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import panels, policy
from core.choices import Action
from core.display import display
from core.forms import DateInput
from core.views import RecordDetailView
from district.models import SchoolYear

from .models import Enrollment, SchoolCapacity, Student
from .selectors import utilization


class UtilizationForm(forms.Form):
    school_year = forms.ModelChoiceField(queryset=SchoolYear.objects.none(), label=_("School year"))
    on = forms.DateField(label=_("Membership as of"), widget=DateInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school_year"].queryset = SchoolYear.objects.restrict(user).select_related("district")

    def clean(self):
        data = super().clean()
        year, on = data.get("school_year"), data.get("on")
        if year and on and not (year.start_date <= on <= year.end_date):
            self.add_error("on", _("The date falls outside the school year."))
        return data


@login_required
def utilization_page(request):
    """Seats, membership and next year's projection by school and grade; conflicts flagged."""
    if not policy.can(request.user, SchoolCapacity, Action.VIEW):
        raise PermissionDenied
    years = SchoolYear.objects.restrict(request.user).order_by("-end_year")
    default_year = years.first()
    initial = {}
    if default_year:
        initial = {"school_year": default_year.pk, "on": datetime.date(default_year.end_year - 1, 10, 1)}
    form = UtilizationForm(request.GET or initial, user=request.user)
    rows = []
    status = 200
    if form.is_valid():
        rows = utilization(user=request.user, school_year=form.cleaned_data["school_year"], on=form.cleaned_data["on"])
    elif request.GET:
        status = 400
    conflicts = sum(1 for r in rows if r.conflict)
    context = {"form": form, "rows": rows, "conflicts": conflicts}
    return render(request, "enrollment/utilization.html", context, status=status)


# The student's own fields the page shows, in two groups; a field the viewer
# may not see (policy.hidden_fields) is left out, and so are the coordinates.
IDENTITY_FIELDS = [
    "legal_first_name",
    "legal_middle_name",
    "legal_last_name",
    "preferred_name",
    "state_id",
    "local_id",
    "birth_date",
    "sex",
    "hispanic",
    "races",
    "race_ethnicity",
    "grade_level",
    "home_language",
    "directory_opt_out",
]
ADDRESS_FIELDS = ["street", "resident_town"]


class StudentDetailView(RecordDetailView):
    """One student whole: where they are enrolled now, who they are, and each serving department's panels.

    What the viewer may see decides every part: the student through
    ``restrict()`` (404 otherwise), the student's fields through
    ``policy.hidden_fields``, and each department's panel through the
    models it reads (see ``core.panels``).
    """

    def restricted(self, action=None):
        return super().restricted(action).select_related("household")

    def extra_context(self, obj) -> dict:
        user = self.request.user
        today = timezone.localdate()
        return {
            "identity": self.field_group(obj, IDENTITY_FIELDS),
            "address": self.field_group(obj, ADDRESS_FIELDS),
            "current": self.current_enrollments(obj, today),
            "panel_sections": panels.sections_for(user, obj, today),
        }

    def field_group(self, obj, names) -> list[tuple]:
        hidden = policy.hidden_fields(self.request.user, Student) | self.pages.detail_exclude
        return [(Student._meta.get_field(n).verbose_name, display(obj, n)) for n in names if n not in hidden]

    def current_enrollments(self, obj, today) -> dict | None:
        """The student's enrollments now and to come that the viewer may see; None when they may see none."""
        if not policy.can(self.request.user, Enrollment, Action.VIEW):
            return None
        open_ = (
            Enrollment.objects.restrict(self.request.user)
            .filter(student=obj)
            .filter(Q(exit_date__isnull=True) | Q(exit_date__gt=today))
            .select_related("school", "school_year")
            .order_by("-is_primary", "entry_date", "pk")
        )
        rows = list(open_)
        return {
            "now": [e for e in rows if e.entry_date <= today],
            "upcoming": [e for e in rows if e.entry_date > today],
        }
