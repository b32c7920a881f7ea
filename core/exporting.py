"""CSV and XLSX export of a list page's rows, with field protection, disclosure and formulas neutralised.

Date-times are written in the time zone active for the request (the
district's, see ``core.middleware``), which the column heading names: as ISO
8601 with the zone's offset in CSV, and as the local date and time in XLSX
(a spreadsheet cell holds no zone).
"""

from __future__ import annotations

import datetime
import io

from django.db import models
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

from . import audit, policy, spreadsheets
from .display import display
from .models import Disclosure

EXCLUDED = {"created_by", "version"}


def export_columns(pages, user) -> list[models.Field]:
    """The id, then the page's fields and list columns, less what the user may not see."""
    hidden = policy.hidden_fields(user, pages.model) | set(getattr(pages.model, "audit_exclude", ()))
    concrete = {f.name: f for f in pages.model._meta.concrete_fields}
    names = ["id", *pages.fields, *pages.list_columns]
    seen, columns = set(), []
    for name in names:
        if name in concrete and name not in seen and name not in hidden and name not in EXCLUDED:
            seen.add(name)
            columns.append(concrete[name])
    return columns


def _value(obj, f: models.Field, zone, fmt: str):
    if f.is_relation:
        related = getattr(obj, f.name)
        return "" if related is None else str(related)
    value = getattr(obj, f.attname)
    if value not in (None, "") and callable(getattr(obj, f"get_{f.name}_display", None)):
        return str(display(obj, f.name))  # a code by its label
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(zone)
            if fmt == "xlsx":
                return value.replace(tzinfo=None)
        return value.isoformat(timespec="seconds")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _heading(f: models.Field, zone_name: str) -> str:
    """A column's heading: its name, and for a date-time the zone its values are in."""
    name = str(f.verbose_name)
    if isinstance(f, models.DateTimeField):
        return f"{name} ({zone_name})"
    return name


class _Echo:
    def write(self, value):
        return value


def export_response(pages, user, queryset, fmt: str):
    """An HTTP response with the rows in ``fmt`` (csv or xlsx); logs disclosures."""
    columns = export_columns(pages, user)
    related = [f.name for f in columns if f.is_relation]
    queryset = queryset.select_related(*related)
    # Taken now: a CSV is written after the request's time zone is no longer active.
    zone = timezone.get_current_timezone()
    zone_name = timezone.get_current_timezone_name()
    stamp = timezone.localtime(timezone=zone).strftime("%Y%m%d-%H%M")
    filename = f"{pages.model_name}-{stamp}.{fmt}"
    if getattr(pages.model, "student_level", False):
        # One disclosure per district of the records exported, counted in one grouped query.
        audit.log_disclosures(
            actor=user,
            channel=Disclosure.Channel.EXPORT,
            what=f"{pages.model._meta.verbose_name_plural} ({fmt})",
            categories=[f.name for f in columns],
            counts=audit.district_counts(queryset),
        )
    header = [_heading(f, zone_name) for f in columns]
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet(str(pages.model._meta.verbose_name_plural)[:31])
        spreadsheets.xlsx_append(ws, header)
        for obj in queryset.iterator(chunk_size=2000):
            spreadsheets.xlsx_append(ws, [_value(obj, f, zone, fmt) for f in columns])
        buf = io.BytesIO()
        wb.save(buf)
        response = HttpResponse(
            buf.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    else:
        writer = spreadsheets.csv_writer(_Echo())

        def rows():
            yield "\ufeff" + writer.writerow(header)
            for obj in queryset.iterator(chunk_size=2000):
                yield writer.writerow([_value(obj, f, zone, fmt) for f in columns])

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
