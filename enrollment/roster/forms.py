"""Forms of the roster sync page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .services import export_years


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=_("OneRoster package or enrollment file"),
        help_text=_("A OneRoster 1.2 bulk package (.zip), or an enrollment file (.csv or .xlsx)."),
    )

    MAX_BYTES = 200 * 1024 * 1024
    KINDS = (".zip", ".csv", ".xlsx")

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith(self.KINDS):
            raise forms.ValidationError(_("Upload a .zip OneRoster package, or a .csv or .xlsx enrollment file."))
        if f.size > self.MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 200 MB; split it."))
        return f


class RosterExportForm(forms.Form):
    year = forms.TypedChoiceField(label=_("School year"), coerce=int, choices=())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, f"{y - 1}-{y}") for y in export_years(user)]
