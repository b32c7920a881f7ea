"""Reads for the reporting pages: the run form's defaults, a run's parameters and history by name, findings."""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django.apps import apps
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import policy
from core.registry import pages
from district.models import District, SchoolYear

from . import registry
from .models import Collection, OtherSex, ReportRun

FORMAT_LABELS = {
    "txt": gettext_lazy("Fixed width (.txt)"),
    "csv": gettext_lazy("Comma separated (.csv)"),
    "tab": gettext_lazy("Tab separated (.tab)"),
    "xlsx": gettext_lazy("Excel workbook (.xlsx)"),
}
LEVEL_LABELS = {
    "state": gettext_lazy("State (SEA)"),
    "district": gettext_lazy("District (LEA)"),
    "school": gettext_lazy("School"),
}


def format_label(fmt: str) -> str:
    return str(FORMAT_LABELS.get(fmt, fmt))


def level_label(level: str) -> str:
    return str(LEVEL_LABELS.get(level, level))


def user_district(user, districts) -> District | None:
    """The district the user works in: that of their assignments, or the only one they may see."""
    ids = policy.scope_for(user).district_ids
    mine = [d for d in districts if d.pk in ids]
    if len(mine) == 1:
        return mine[0]
    visible = list(districts[:2])
    return visible[0] if len(visible) == 1 else None


def current_collection_year(
    report: registry.Report, district: District, today: datetime.date | None = None
) -> SchoolYear | None:
    """The school year a run of ``report`` is for now.

    The year of the collection on the submission calendar due next, once its
    count date has passed; otherwise the latest year whose count date has
    passed (the October 1 count of the year under way from October on, last
    year's before).
    """
    today = today or timezone.localdate()

    def counted(year: SchoolYear) -> bool:
        as_of = report.default_as_of(year) if report.default_as_of else year.start_date
        return year.start_date <= today and as_of <= today

    collection = (
        Collection.objects.filter(district=district, report_key=report.key, due_date__gte=today)
        .select_related("school_year")
        .order_by("due_date")
        .first()
    )
    if collection is not None and counted(collection.school_year):
        return collection.school_year
    for year in SchoolYear.objects.filter(district=district, start_date__lte=today).order_by("-end_year"):
        if counted(year):
            return year
    return None


def _date(value) -> str:
    try:
        return formats.date_format(datetime.date.fromisoformat(str(value)), "DATE_FORMAT")
    except ValueError:
        return str(value)


def parameter_rows(run: ReportRun, year_names: dict[int, str] | None = None) -> list[tuple[str, str]]:
    """A run's parameters as (label, value) by name: district, school year, date, level, format, settings."""
    params = run.parameters or {}
    year_id = params.get("school_year")
    if year_names is not None and year_id in year_names:
        year = year_names[year_id]
    elif run.school_year_id == year_id and run.school_year_id is not None:
        year = str(run.school_year)
    else:
        year = str(SchoolYear.objects.filter(pk=year_id).first() or year_id or "—")
    rows = [(_("District"), str(run.district)), (_("School year"), year)]
    if params.get("as_of"):
        rows.append((_("As of"), _date(params["as_of"])))
    if params.get("level"):
        rows.append((_("Level"), level_label(params["level"])))
    if params.get("fmt"):
        rows.append((_("Format"), format_label(params["fmt"])))
    if params.get("scope") == "state":
        rows.append((_("Scope"), _("Every district")))
    if params.get("spec_version"):
        rows.append((_("Specification version"), params["spec_version"]))
    if params.get("sex_values"):
        rows.append((_("Sex values in the file"), ", ".join(params["sex_values"].split())))
    if params.get("other_sex"):
        try:
            rows.append((_("Students with another sex value"), str(OtherSex(params["other_sex"]).label)))
        except ValueError:
            rows.append((_("Students with another sex value"), params["other_sex"]))
    return rows


# Audit values of a run's relations, shown by name.
_RELATIONS = {
    "district": ("district", "District"),
    "school_year": ("district", "SchoolYear"),
    "requested_by": ("core", "User"),
    "certified_by": ("core", "User"),
    "created_by": ("core", "User"),
    "schedule": ("reporting", "ReportSchedule"),
    "amends": ("reporting", "ReportRun"),
}


def history_rows(user, run: ReportRun, changes) -> list[tuple[object, dict]]:
    """The run's audit entries, as (entry, visible values) pairs, with field labels and values by name
    (districts, years, people), not ids."""
    wanted: dict[str, set] = {}
    for _entry, values in changes:
        for name, pair in values.items():
            if name in _RELATIONS:
                wanted.setdefault(name, set()).update(v for v in pair if isinstance(v, int))
            elif name == "parameters":
                wanted.setdefault("school_year", set()).update(
                    v.get("school_year") for v in pair if isinstance(v, dict) and v.get("school_year")
                )
    names: dict[str, dict] = {}
    for name, ids in wanted.items():
        model = apps.get_model(*_RELATIONS[name])
        names[name] = {o.pk: str(o) for o in model._base_manager.filter(pk__in=ids)}
    rows = []
    for entry, values in changes:
        shown = {}
        for name, pair in values.items():
            label = _label(name)
            shown[label] = [_value(run, name, v, names) for v in pair]
        rows.append((entry, shown))
    return rows


def _label(name: str) -> str:
    try:
        return str(ReportRun._meta.get_field(name).verbose_name).capitalize()
    except Exception:  # noqa: BLE001 - a name no longer a field
        return name


def _value(run, name: str, value, names: dict):
    if value is None or value == "" or value == {} or value == []:
        return None
    if name in _RELATIONS and isinstance(value, int):
        return names.get(name, {}).get(value, value)
    if name == "parameters" and isinstance(value, dict):
        probe = ReportRun(district=run.district, parameters=value)
        return "; ".join(f"{label}: {v}" for label, v in parameter_rows(probe, names.get("school_year", {})))
    if name == "department":
        return department_label(value)
    field = ReportRun._meta.get_field(name) if name in {f.name for f in ReportRun._meta.concrete_fields} else None
    if field is not None and field.choices:
        return str(dict(field.choices).get(value, value))
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        moment = parse_datetime(value)
        if moment is not None:
            return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")
    return value


def department_label(code: str) -> str:
    """A department's name from its code (reports of a department the district has not named keep the code)."""
    from district.choices import DepartmentCode

    try:
        return str(DepartmentCode(code).label)
    except ValueError:
        return code


def finding_rows(user, findings) -> list[dict]:
    """Each finding with its link to the records to fix, the students it covers, and names the user may see."""
    by_model: dict[str, set[int]] = {}
    for f in findings:
        if f.record_model and f.record_ids:
            by_model.setdefault(f.record_model, set()).update(f.record_ids)
    visible: dict[str, dict[int, tuple[str, str | None]]] = {}
    lists: dict[str, str | None] = {}
    for label, ids in by_model.items():
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            continue
        page = pages.for_model(model)
        lists[label] = _list_url(page)
        detail = page.url_name("detail") if page and "detail" in page.actions else None
        visible[label] = {
            obj.pk: (str(obj), reverse(detail, args=[obj.pk]) if detail else None)
            for obj in model.objects.restrict(user).filter(pk__in=sorted(ids))
        }
    rows = []
    for f in findings:
        link = None
        if f.record_model in lists and lists[f.record_model] and f.record_ids:
            link = f"{lists[f.record_model]}?{urlencode({'id': ','.join(map(str, f.record_ids))})}"
        seen = visible.get(f.record_model, {})
        rows.append(
            {
                "finding": f,
                "link": link,
                "kind": _kind(f.record_model, len(f.record_ids)),
                "names": [seen[pk] for pk in f.record_ids if pk in seen],
                "hidden": sum(1 for pk in f.record_ids if pk not in seen),
            }
        )
    return rows


def _list_url(page) -> str | None:
    if page is None or "list" not in page.actions or page.filterset is None or "id" not in page.filterset.base_filters:
        return None
    try:
        return reverse(page.url_name("list"))
    except NoReverseMatch:
        return None


def _kind(label: str, n: int) -> str:
    try:
        opts = apps.get_model(label)._meta
    except (LookupError, ValueError):
        return ""
    return str(opts.verbose_name if n == 1 else opts.verbose_name_plural)
