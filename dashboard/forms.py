from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import DateInput
from district.choices import DepartmentCode
from district.models import District, SchoolYear

PACKET_FORMATS = [("pdf", _("PDF (with charts)")), ("xlsx", _("Spreadsheet (XLSX)"))]


class OverviewForm(forms.Form):
    """What the COO view shows: which district (state role), which department, as of which date."""

    # The district is checked against the user's districts by the view (a 404 when out of reach).
    district = forms.IntegerField(required=False, label=_("District"))
    department = forms.ChoiceField(required=False, label=_("Department"))
    as_of = forms.DateField(required=False, label=_("As of"), widget=DateInput)

    def __init__(self, *args, districts=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [("", _("All departments")), *DepartmentCode.choices]

    def clean_as_of(self):
        value = self.cleaned_data.get("as_of")
        if value and value > timezone.localdate():
            raise forms.ValidationError(_("The date is in the future."))
        return value


class PacketForm(forms.Form):
    as_of = forms.DateField(label=_("Board packet as of"), widget=DateInput)
    fmt = forms.ChoiceField(label=_("Format"), choices=PACKET_FORMATS)

    def clean_as_of(self):
        value = self.cleaned_data["as_of"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("The date is in the future."))
        return value


class TargetForm(forms.Form):
    school_year = forms.ModelChoiceField(queryset=SchoolYear.objects.none(), label=_("School year"))
    target = forms.DecimalField(label=_("Target"), max_digits=12, decimal_places=2)
    on_track_at = forms.DecimalField(
        label=_("On track from"), max_digits=12, decimal_places=2, help_text=_("The value from which it is on track.")
    )
    watch_at = forms.DecimalField(
        label=_("Watch from"),
        max_digits=12,
        decimal_places=2,
        help_text=_("The value from which it is to watch; beyond it, off track."),
    )
    reason = forms.CharField(
        label=_("Reason for this change"), max_length=300, help_text=_("Kept in the history with the values changed.")
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, district, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school_year"].queryset = SchoolYear.objects.filter(district=district).order_by("-end_year")


class RefreshForm(forms.Form):
    district = forms.ModelChoiceField(queryset=District.objects.none(), label=_("District"))
    as_of = forms.DateField(required=False, label=_("As of"), widget=DateInput)

    def __init__(self, *args, districts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = districts
