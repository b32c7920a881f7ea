from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import policy
from core.forms import RecordForm

from .choices import GRADE_CODES
from .models import District, RoleAssignment, SchoolProfile, default_time_zone, time_zone_names


class DistrictForm(RecordForm):
    """A district's settings; its time zone is picked from the zones the server knows."""

    class Meta:
        model = District
        fields = ["name", "state_lea_id", "nces_id", "state", "fips_code", "access_grace_days", "time_zone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "time_zone" in self.fields:
            zones = sorted(time_zone_names() | {self.instance.time_zone} - {""})
            self.fields["time_zone"].widget = forms.Select(choices=[(z, z.replace("_", " ")) for z in zones])
            # A submission that leaves the zone out altogether (an older form, a script) keeps it unchanged;
            # one that sends it blank (an import's empty cell) is refused like any required value.
            self._zone_left_out = self.is_bound and self.add_prefix("time_zone") not in self.data
            if self._zone_left_out:
                self.fields["time_zone"].required = False

    def clean_time_zone(self):
        if self._zone_left_out:
            return self.instance.time_zone or default_time_zone()
        return self.cleaned_data.get("time_zone")


class RoleAssignmentForm(RecordForm):
    class Meta:
        model = RoleAssignment
        fields = ["user", "role", "district", "department", "schools", "title", "is_active"]
        widgets = {"schools": forms.SelectMultiple(attrs={"size": 8})}

    def clean(self):
        data = super().clean()
        department = data.get("department")
        problems = policy.assignment_problems(
            data.get("role"),
            getattr(data.get("district"), "pk", None),
            department.code if department else None,
            [s.pk for s in data.get("schools") or []],
        )
        schools = data.get("schools") or []
        district = data.get("district")
        if district and any(s.district_id != district.pk for s in schools):
            problems["schools"] = _("Every school must belong to the assignment's district.")
        for name, message in problems.items():
            self.add_error(name, message)
        return data


class SchoolProfileForm(RecordForm):
    class Meta:
        model = SchoolProfile
        fields = [
            "school",
            "school_year",
            "grades_offered",
            "title_i_status",
            "nslp_status",
            "virtual_status",
            "shared_time",
        ]
        help_texts = {"grades_offered": format_lazy("{} {}", gettext_lazy("Codes:"), " ".join(GRADE_CODES))}
