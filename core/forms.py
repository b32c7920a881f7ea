"""Form helpers for the generic pages."""

from __future__ import annotations

import copy

from django import forms
from django.db import models
from django.forms import modelform_factory
from django.forms.models import construct_instance
from django.utils.translation import gettext_lazy as _

from . import policy
from .choices import Action
from .services import out_of_reach

ISO_DATE = "%Y-%m-%d"
ISO_DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class DateInput(forms.DateInput):
    """The browser's date picker. Its value is ISO 8601 in every language (the picker shows it the
    viewer's way); a page language's own format (01/10/2026) would leave it empty."""

    input_type = "date"

    def __init__(self, attrs=None, format=None):
        super().__init__(attrs, format or ISO_DATE)


class DateTimeInput(forms.DateTimeInput):
    """The browser's date-and-time picker, in the request's (the district's) time zone."""

    input_type = "datetime-local"

    def __init__(self, attrs=None, format=None):
        super().__init__(attrs, format or ISO_DATETIME_LOCAL)


class RecordForm(forms.ModelForm):
    """Base form: limits related choices to the user's scope, carries the version."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if self.instance and self.instance.pk and hasattr(self.instance, "version"):
            self.fields["version"].initial = self.instance.version
        for _name, form_field in self.fields.items():
            queryset = getattr(form_field, "queryset", None)
            if queryset is not None and hasattr(queryset, "restrict"):
                form_field.queryset = queryset.restrict(user)
            if isinstance(form_field.widget, (forms.DateInput,)) and not isinstance(
                form_field.widget, forms.HiddenInput
            ):
                form_field.widget.input_type = "date"
                form_field.widget.format = ISO_DATE

    def _post_clean(self):
        """Refuse a record of a sensitive class the user may not hold before the model's own checks.

        The model's checks read other rows (an overlapping spell); run first,
        their answer would tell whether a hidden row exists. The refusal is
        the one ``record_save`` gives for any record out of reach.
        """
        rule = getattr(self._meta.model, "access", None)
        if self.user is not None and getattr(rule, "row_class_field", None):
            probe = construct_instance(self, copy.copy(self.instance), self._meta.fields, self._meta.exclude)
            if not policy.may_hold(self.user, probe):
                action = Action.ADD if self.instance._state.adding else Action.CHANGE
                self.add_error(None, out_of_reach(action).args[0])
                return
        super()._post_clean()


def form_for(pages, user) -> type[forms.ModelForm]:
    """The model's form with the fields this user may not see removed."""
    hidden = policy.hidden_fields(user, pages.model)
    base = pages.form or RecordForm
    fields = [f for f in (pages.fields or base._meta.fields or []) if f not in hidden]
    return modelform_factory(pages.model, form=base, fields=fields)


class KeyedChoiceField(forms.Field):
    """A related record named by its natural key in an imported file.

    The choices (restricted to the importing user's scope) are loaded once per
    import, not once per row.
    """

    default_error_messages = {"unknown": _("No %(model)s with %(key)s “%(value)s” that you may use.")}

    def __init__(self, *, choices: dict[str, models.Model], model, key: str, **kwargs):
        super().__init__(**kwargs)
        self.lookup = choices
        self.model = model
        self.key = key

    def clean(self, value):
        value = (value or "").strip()
        if not value:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return None
        try:
            return self.lookup[value]
        except KeyError:
            raise forms.ValidationError(
                self.error_messages["unknown"],
                code="unknown",
                params={"model": self.model._meta.verbose_name, "key": self.key, "value": value},
            ) from None


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=_("CSV or XLSX file"), help_text=_("The first row names the columns."))

    MAX_BYTES = 50 * 1024 * 1024

    def clean_file(self):
        f = self.cleaned_data["file"]
        name = f.name.lower()
        if not (name.endswith(".csv") or name.endswith(".xlsx")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        if f.size > self.MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 50 MB; split it."))
        return f
