"""Bulk import of plain records from CSV or XLSX: all rows or none.

``plan_import`` reads a file and validates every row through the model's form
(the same validation as a page), within the importing user's scope. Each
problem is reported with its line, column and reason. ``commit_import`` writes
a plan with no problems in one transaction, with an audit row per record; if
anything fails, nothing is written.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.forms import modelform_factory
from django.utils.translation import gettext as _

from . import audit, policy
from .choices import Action
from .forms import KeyedChoiceField, RecordForm, formfield
from .models import AuditEntry
from .spreadsheets import CsvRecord, read_csv, restore


@dataclass
class Problem:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.column or '-'}: {self.message}"


@dataclass
class ImportPlan:
    model: type[models.Model]
    columns: list[str]
    rows: list[tuple[int, models.Model, dict, bool]] = field(default_factory=list)  # line, instance, m2m, is_new
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def new_count(self) -> int:
        return sum(1 for r in self.rows if r[3])

    @property
    def update_count(self) -> int:
        return sum(1 for r in self.rows if not r[3])


@dataclass
class RefusedRow:
    """A row refused as it was read (a cell too long, a null character): reported, never planned."""

    message: str
    column: str = ""


def read_table(data: bytes, filename: str) -> tuple[list[str], list[dict[str, str] | RefusedRow | None]]:
    """Column names and rows (as strings) of a CSV or XLSX file.

    A blank row is None; a row refused as it was read is a ``RefusedRow``.
    Cells written by ``core.spreadsheets.neutralise`` read back as the values
    they stand for.
    """
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
            values = [
                [restore(v) if isinstance(v, str) else ("" if v is None else str(v)) for v in row]
                for row in sheet.iter_rows(values_only=True)
            ]
        except Exception as exc:
            raise ValidationError(_("The workbook could not be read: %(error)s") % {"error": exc}) from exc
        if not values:
            raise ValidationError(_("The file is empty."))
        header, body = values[0], values[1:]
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationError(_("The file is not UTF-8 text.")) from exc
        records = list(read_csv(text))
        if not records:
            raise ValidationError(_("The file is empty."))
        if records[0].problem:
            raise ValidationError(records[0].problem)
        header, body = records[0].values, records[1:]
    header = [h.strip() for h in header]
    rows = []
    for values in body:
        if isinstance(values, CsvRecord):
            if values.problem:
                column = header[values.column] if values.column is not None and values.column < len(header) else ""
                rows.append(RefusedRow(values.problem, column))
                continue
            values = values.values
        if not any(v.strip() for v in values):
            rows.append(None)
            continue
        rows.append({h: (values[i].strip() if i < len(values) else "") for i, h in enumerate(header)})
    return header, rows


def _import_form(pages, user, columns: list[str]) -> type[forms.ModelForm]:
    """The model form for one row, related records named by natural key."""
    overrides = {}
    for name in columns:
        model_field = pages.model._meta.get_field(name)
        key = pages.related_keys.get(name)
        if key and model_field.is_relation:
            related = model_field.related_model
            choices = {str(getattr(obj, key)): obj for obj in related.objects.restrict(user)}
            if model_field.many_to_many:
                overrides[name] = _KeyedMultipleField(
                    choices=choices, model=related, key=key, required=not model_field.blank
                )
            else:
                overrides[name] = KeyedChoiceField(
                    choices=choices,
                    model=related,
                    key=key,
                    required=not model_field.blank,
                    label=model_field.verbose_name,
                )
    base = pages.form or RecordForm
    return modelform_factory(pages.model, form=base, fields=columns, formfield_callback=formfield), overrides


class _KeyedMultipleField(KeyedChoiceField):
    def clean(self, value):
        keys = [k for k in (value or "").replace(",", " ").split() if k]
        if self.required and not keys:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return [KeyedChoiceField.clean(self, k) for k in keys]


def key_scope(model, key: str) -> tuple[str, ...]:
    """The other fields of ``key``'s unique key (``("district",)`` for a state id); none when it is unique alone."""
    if model._meta.get_field(key).unique:
        return ()
    for constraint in model._meta.total_unique_constraints:
        if key in constraint.fields:
            return tuple(name for name in constraint.fields if name != key)
    return ()


def plan_import(pages, user, data: bytes, filename: str) -> ImportPlan:
    model = pages.model
    allowed = [c for c in pages.columns_for_import if c not in policy.hidden_fields(user, model)]
    plan = ImportPlan(model=model, columns=allowed)
    try:
        header, rows = read_table(data, filename)
    except ValidationError as exc:
        plan.problems.append(Problem(1, "", " ".join(exc.messages)))
        return plan
    unknown = [h for h in header if h not in allowed]
    required = [
        c
        for c in allowed
        if not model._meta.get_field(c).blank and not model._meta.get_field(c).has_default() and c not in header
    ]
    if pages.import_key and pages.import_key not in header and pages.import_key not in required:
        required.append(pages.import_key)
    for h in unknown:
        plan.problems.append(
            Problem(1, h, _("Unknown column. Columns you may import: %(cols)s.") % {"cols": ", ".join(allowed)})
        )
    for c in required:
        plan.problems.append(Problem(1, c, _("Required column is missing.")))
    if len(set(header)) != len(header):
        plan.problems.append(Problem(1, "", _("A column name appears twice.")))
    if plan.problems:
        return plan
    columns = [h for h in header if h in allowed]
    plan.columns = columns
    form_class, overrides = _import_form(pages, user, columns)

    # The import key is matched with the rest of its unique key (a state id within its district).
    within = key_scope(model, pages.import_key) if pages.import_key else ()
    existing: dict[str, dict[tuple, models.Model]] = {}
    if pages.import_key:
        keys = [r[pages.import_key] for r in rows if isinstance(r, dict) and r.get(pages.import_key)]
        in_scope = model.objects.restrict(user, Action.CHANGE).filter(**{f"{pages.import_key}__in": keys})
        for obj in in_scope:
            scope_key = tuple(str(getattr(obj, model._meta.get_field(name).attname)) for name in within)
            existing.setdefault(str(getattr(obj, pages.import_key)), {})[scope_key] = obj
    seen: dict[tuple, int] = {}
    m2m_names = {f.name for f in model._meta.many_to_many}
    for index, row in enumerate(rows):
        line = index + 2
        if row is None:
            continue
        if isinstance(row, RefusedRow):
            plan.problems.append(Problem(line, row.column, row.message))
            continue
        instance = None
        data_row = {}
        cleaned_related = {}
        row_problems = []
        for name in columns:
            if name in overrides:
                try:
                    cleaned_related[name] = overrides[name].clean(row.get(name, ""))
                except forms.ValidationError as exc:
                    row_problems.extend(Problem(line, name, m) for m in exc.messages)
            else:
                data_row[name] = row.get(name, "")
        if pages.import_key:
            key_value = row.get(pages.import_key, "")
            scope_key = tuple(_scope_value(name, row, cleaned_related, overrides) for name in within)
            if (scope_key, key_value) in seen:
                plan.problems.append(
                    Problem(
                        line,
                        pages.import_key,
                        _("Duplicate of line %(line)s.") % {"line": seen[(scope_key, key_value)]},
                    )
                )
                continue
            seen[(scope_key, key_value)] = line
            matches = existing.get(key_value, {})
            instance = matches.get(scope_key)
            if instance is None and len(matches) == 1 and None in scope_key:  # the file does not say: the one match
                instance = next(iter(matches.values()))
        form = form_class(data=_as_form_data(model, data_row), instance=instance or model(), user=user)
        for name, value in cleaned_related.items():
            form.fields.pop(name, None)
            if name not in m2m_names:
                setattr(form.instance, name, value)
        if instance is not None:
            form.fields["version"].required = False
        if not form.is_valid():
            for name, errors in form.errors.items():
                row_problems.extend(Problem(line, "" if name == "__all__" else name, e) for e in errors)
        if row_problems:
            plan.problems.extend(row_problems)
            continue
        obj = form.save(commit=False)
        m2m = {name: value for name, value in cleaned_related.items() if name in m2m_names}
        plan.rows.append((line, obj, m2m, instance is None))
    return plan


def _scope_value(name: str, row: dict, cleaned_related: dict, overrides: dict) -> str | None:
    """A row's value of a field of its key's scope, as text (None when the row does not give it)."""
    if name in cleaned_related:
        value = cleaned_related[name]
        return None if value is None else str(value.pk)
    if name in overrides:
        return None  # not readable: the row's problem says why
    raw = row.get(name)
    return str(raw) if raw not in (None, "") else None


def _as_form_data(model, row: dict[str, str]) -> dict:
    data = {}
    for name, value in row.items():
        f = model._meta.get_field(name)
        if isinstance(f, models.BooleanField):
            data[name] = "on" if value.strip().lower() in {"1", "true", "yes", "y", "t", "x"} else ""
        else:
            data[name] = value
    return data


@transaction.atomic
def commit_import(plan: ImportPlan, user) -> tuple[int, int]:
    """Write every row of a clean plan, or nothing; returns (added, updated)."""
    if not plan.ok:
        raise ValidationError(_("The file has problems; nothing was written."))
    model = plan.model
    before = {}
    if any(not is_new for *_, is_new in plan.rows):
        ids = [obj.pk for _line, obj, _m2m, is_new in plan.rows if not is_new]
        before = {o.pk: audit.snapshot(o) for o in model.objects.select_for_update().filter(pk__in=ids)}
    log_rows = []
    for _line, obj, m2m, is_new in plan.rows:
        if is_new:
            obj.created_by = user if user and user.pk else None
        elif hasattr(obj, "version"):  # accounts carry no version
            obj.version += 1
        obj.save()
        for name, values in m2m.items():
            getattr(obj, name).set(values)
        log_rows.append(
            (
                AuditEntry.Change.CREATE if is_new else AuditEntry.Change.UPDATE,
                obj,
                before.get(obj.pk),
                audit.snapshot(obj),
            )
        )
    ids = [obj.pk for _line, obj, _m2m, _new in plan.rows]
    for action in (Action.ADD, Action.CHANGE):
        wanted = [obj.pk for _l, obj, _m, is_new in plan.rows if is_new == (action == Action.ADD)]
        if wanted and model.objects.restrict(user, action).filter(pk__in=wanted).count() != len(wanted):
            raise PermissionDenied(
                _("Some rows would fall outside what you may %(action)s.") % {"action": Action(action).label}
            )
    audit.log_bulk(actor=user, rows=log_rows)
    return plan.new_count, len(ids) - plan.new_count
