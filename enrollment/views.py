"""Enrollment workflow and report pages (plain records use the chassis's pages)."""

import datetime

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from core import policy
from core.choices import Action
from core.forms import DateInput
from district.models import SchoolYear

from .models import SchoolCapacity
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
