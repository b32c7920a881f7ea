"""Form helpers for the generic pages."""

from __future__ import annotations

import copy
import datetime
import re

from django import forms
from django.db import connection, models
from django.forms import modelform_factory
from django.forms.models import construct_instance
from django.utils.translation import gettext_lazy as _

from . import policy
from .choices import Action
from .services import out_of_reach

_WHOLE_NUMBER = re.compile(r"\s*[-+]?\d+\s*")
_INT64 = (-(2**63), 2**63 - 1)


def integer_range(model_field) -> tuple[int, int] | None:
    """The smallest and largest value an integer column (or the key a relation points at) holds; None if not integer."""
    if model_field is None:
        return None
    if model_field.is_relation:
        model_field = getattr(model_field, "target_field", None)
        if model_field is None:
            return None
    if not isinstance(model_field, models.IntegerField):
        return None
    low, high = connection.ops.integer_field_range(model_field.get_internal_type())
    return (_INT64[0] if low is None else low, _INT64[1] if high is None else high)


def representable_in_utc(value) -> None:
    """A validator: a date and time the database can store, one that stays within years 1 to 9999 in UTC."""
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        try:
            value.astimezone(datetime.UTC)
        except OverflowError:
            raise forms.ValidationError(
                _("Enter a date and time between the years 1 and 9999."), code="invalid"
            ) from None


class IdChoicesMixin:
    """For a ModelChoiceField or ModelMultipleChoiceField: a key that is not a whole number the column can
    hold is an invalid choice, answered before any query (the database would fail on it)."""

    def _key_fits(self, value) -> bool:
        meta = self.queryset.model._meta
        bounds = integer_range(meta.get_field(self.to_field_name) if self.to_field_name else meta.pk)
        if bounds is None or value in self.empty_values or getattr(value, "_meta", None) is not None:
            return True
        text = str(value)
        return bool(_WHOLE_NUMBER.fullmatch(text)) and bounds[0] <= int(text) <= bounds[1]

    def _refuse(self, value):
        raise forms.ValidationError(
            self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
        )

    def to_python(self, value):
        null_value = getattr(self, "null_value", None)
        if not (null_value is not None and value == null_value) and not self._key_fits(value):
            self._refuse(value)
        return super().to_python(value)

    def _check_values(self, value):
        null_value = getattr(self, "null_value", None)
        if isinstance(value, (list, tuple)):
            for key in value:
                if not (null_value is not None and key == null_value) and not self._key_fits(key):
                    self._refuse(key)
        return super()._check_values(value)


class IdModelChoiceField(IdChoicesMixin, forms.ModelChoiceField):
    pass


class IdModelMultipleChoiceField(IdChoicesMixin, forms.ModelMultipleChoiceField):
    pass


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
    """Base form: limits related choices to the user's scope, carries the version, and keeps dates and times
    within what the database stores."""

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
            if isinstance(form_field, forms.DateTimeField):
                form_field.validators.append(representable_in_utc)
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


def formfield(model_field, **kwargs):
    """A model field's form field, related records checked as ids before any query."""
    if isinstance(model_field, models.ManyToManyField):
        kwargs.setdefault("form_class", IdModelMultipleChoiceField)
    elif isinstance(model_field, models.ForeignKey):
        kwargs.setdefault("form_class", IdModelChoiceField)
    return model_field.formfield(**kwargs)


def form_for(pages, user) -> type[forms.ModelForm]:
    """The model's form with the fields this user may not see removed."""
    hidden = policy.hidden_fields(user, pages.model)
    base = pages.form or RecordForm
    fields = [f for f in (pages.fields or base._meta.fields or []) if f not in hidden]
    return modelform_factory(pages.model, form=base, fields=fields, formfield_callback=formfield)


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
