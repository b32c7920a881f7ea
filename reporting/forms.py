from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import DateInput, RecordForm
from district.models import District, SchoolYear

from . import registry, selectors
from .models import SEX_CODES, Collection, ReportSchedule, SexValueSetting
from .selectors import FORMAT_LABELS, LEVEL_LABELS


def report_choices():
    return [(r.key, r.title) for r in registry.all_reports()]


class RunForm(forms.Form):
    """The parameters of a run; the service checks them again (the API takes the same path)."""

    district = forms.ModelChoiceField(queryset=District.objects.none(), label=_("District"))
    school_year = forms.ModelChoiceField(queryset=SchoolYear.objects.none(), label=_("School year"))
    as_of = forms.DateField(
        label=_("As of"),
        required=False,
        widget=DateInput,
        help_text=_("Leave empty for the report's usual count date (October 1 for membership)."),
    )
    level = forms.ChoiceField(label=_("Level"))
    fmt = forms.ChoiceField(label=_("Format"))

    def __init__(self, *args, report: registry.Report, user, **kwargs):
        super().__init__(*args, **kwargs)
        districts = District.objects.restrict(user)
        self.fields["district"].queryset = districts
        years = self.fields["school_year"]
        years.queryset = SchoolYear.objects.restrict(user).select_related("district").order_by("-end_year", "district")
        if len({y.district_id for y in years.queryset}) > 1:
            years.label_from_instance = lambda year: f"{year} · {year.district}"
        self.fields["level"].choices = [(lv, LEVEL_LABELS.get(lv, lv)) for lv in report.levels]
        self.fields["fmt"].choices = [(f, FORMAT_LABELS.get(f, f)) for f in report.formats]
        if not self.is_bound:
            district = selectors.user_district(user, districts)
            if district is not None:
                self.initial.setdefault("district", district.pk)
                year = selectors.current_collection_year(report, district)
                if year is not None:
                    self.initial.setdefault("school_year", year.pk)


class ReportScheduleForm(RecordForm):
    report_key = forms.ChoiceField(label=_("report"), choices=report_choices)
    level = forms.ChoiceField(label=_("level"), required=False, choices=[("", "—"), *LEVEL_LABELS.items()])
    fmt = forms.ChoiceField(label=_("format"), required=False, choices=[("", "—"), *FORMAT_LABELS.items()])

    class Meta:
        model = ReportSchedule
        fields = [
            "district",
            "name",
            "report_key",
            "minute",
            "hour",
            "day_of_month",
            "month_of_year",
            "day_of_week",
            "copy_to_export_folder",
            "enabled",
        ]
        help_texts = {
            "month_of_year": _("Cron fields: for every October 2 at 06:00 use minute 0, hour 6, day 2, month 10.")
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        params = self.instance.parameters or {}
        self.fields["level"].initial = params.get("level", "")
        self.fields["fmt"].initial = params.get("fmt", "")

    def save(self, commit=True):
        schedule = super().save(commit=False)
        schedule.parameters = {
            k: v for k, v in (("level", self.cleaned_data.get("level")), ("fmt", self.cleaned_data.get("fmt"))) if v
        }
        if commit:
            schedule.save()
        return schedule


class CollectionForm(RecordForm):
    report_key = forms.ChoiceField(label=_("report"), choices=report_choices)

    class Meta:
        model = Collection
        fields = ["district", "name", "report_key", "school_year", "due_date", "warn_days", "notes"]
        widgets = {"due_date": DateInput}


def sex_report_choices():
    return [(r.key, r.title) for r in registry.all_reports() if r.sex_values is not None]


def spec_version_choices():
    versions = sorted({r.spec_version for r in registry.all_reports() if r.sex_values is not None and r.spec_version})
    return [(v, v) for v in versions]


class CodesField(forms.MultipleChoiceField):
    """Codes ticked one by one, or given as one value separated by spaces ("M F X")."""

    def to_python(self, value):
        return [code for item in super().to_python(value) for code in item.upper().replace(",", " ").split()]


class SexValueSettingForm(RecordForm):
    """Which sex values a file may carry: checkboxes over the codes, stored as "M F X"."""

    report_key = forms.ChoiceField(label=_("Report"), choices=sex_report_choices)
    spec_version = forms.ChoiceField(
        label=_("Specification version"),
        choices=spec_version_choices,
        help_text=_("The version of the file specification a run follows; the setting applies to it."),
    )
    values = CodesField(
        label=_("Sex values the file may carry"),
        choices=list(SEX_CODES.items()),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Permit X only where the state's version of the specification allows it."),
    )

    class Meta:
        model = SexValueSetting
        fields = ["district", "report_key", "spec_version", "values", "others", "basis"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            if not self.is_bound:
                self.initial["values"] = self.instance.codes
            versions = self.fields["spec_version"].choices
            if self.instance.spec_version not in dict(versions):  # a version the reports no longer follow
                self.fields["spec_version"].choices = [*versions, (self.instance.spec_version,) * 2]

    def clean_values(self):
        return " ".join(self.cleaned_data["values"])
