"""The models' own validation (``full_clean``), made affordable for half a million rows.

``RowValidator.errors(instance)`` does what ``Model.full_clean`` does for the
listed fields: each field's ``clean`` (conversion, choices, blank and null,
validators), then the model's ``clean()``. The rules stay in the models; two
things differ, both for speed:

- a field's check depends only on the field and the value, so its result is
  remembered by value (a grade code or a birth date is checked once, not once
  per student);
- relations are not checked one query per row: the planner has already
  resolved every related record through ``restrict()``, and uniqueness and
  the one-primary-enrollment rule are checked for the whole batch at once
  (see ``plan.py``), with the database constraints as the last word.

``test_roster_validation.py`` holds this to the same answers as ``full_clean``.
"""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models


class RowValidator:
    def __init__(self, model: type[models.Model], field_names):
        self.model = model
        self.fields = [model._meta.get_field(name) for name in field_names]
        # Per field: its attribute, whether blank values skip the check, and remembered results.
        self._plan = [(f, f.attname, f.blank, f.empty_values, {}) for f in self.fields]

    @staticmethod
    def _check(f, raw, instance, memo):
        # Text is the common case; other values are keyed with their type (True and 1 are equal keys).
        key = raw if type(raw) is str else (type(raw), raw)
        try:
            hit = memo.get(key)
        except TypeError:  # an unhashable value: check it every time
            key, hit = None, None
        if hit is None:
            try:
                hit = (True, f.clean(raw, instance))
            except ValidationError as exc:
                hit = (False, exc.messages)
            if key is not None:
                memo[key] = hit
        return hit

    def errors(self, instance: models.Model) -> dict[str, list[str]]:
        """Clean ``instance`` in place; return its errors by field name (``__all__`` for the whole record)."""
        errors: dict[str, list[str]] = {}
        values = instance.__dict__
        check = self._check
        for f, attname, blank, empty_values, memo in self._plan:
            raw = values[attname]
            if blank and raw in empty_values:
                continue
            ok, value = check(f, raw, instance, memo)
            if ok:
                values[attname] = value
            else:
                errors[f.name] = list(value)
        try:
            instance.clean()
        except ValidationError as exc:
            found = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
            for name, messages in found.items():
                target = errors.setdefault("__all__" if name == NON_FIELD_ERRORS else name, [])
                target.extend(m for m in messages if m not in target)
        return errors
