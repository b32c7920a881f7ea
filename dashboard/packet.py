"""The board packet: every KPI by priority as of a date, as a PDF with the charts and as a spreadsheet.

Both are built from snapshots (as the pages are) and hold aggregates only:
suppressed cells stay withheld. The PDF draws the same SVG charts the pages
show, through fpdf2 (pure Python, no system libraries).
"""

from __future__ import annotations

import datetime
import io
import re
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core.spreadsheets import xlsx_append

from . import charts, selectors
from .choices import YES_NO, Dimension, Priority, Scope
from .models import KpiSnapshot


@dataclass
class Packet:
    overview: selectors.Overview
    trends: dict[str, list[tuple[datetime.date, float | None]]]
    schools: dict[str, list[KpiSnapshot]]
    groups: dict[str, list[KpiSnapshot]]


def packet_data(user, district, on: datetime.date) -> Packet:
    """Three queries beyond the overview's: trends, school rows and group rows for every KPI."""
    overview = selectors.district_overview(user, district, on)
    trends: dict[str, list] = defaultdict(list)
    schools: dict[str, list] = defaultdict(list)
    groups: dict[str, list] = defaultdict(list)
    as_of = overview.as_of
    if as_of is not None:
        base = selectors.snapshots(user).filter(district=district)
        for r in (
            base.filter(
                scope=Scope.DISTRICT,
                as_of__lte=as_of,
                as_of__gt=as_of - datetime.timedelta(days=selectors.TREND_DAYS),
            )
            .only("kpi_key", "as_of", "value")
            .order_by("as_of")
        ):
            trends[r.kpi_key].append((r.as_of, r.value))
        latest_school = base.filter(scope=Scope.SCHOOL, as_of__lte=as_of).aggregate(d=Max("as_of"))["d"]
        for r in base.filter(scope=Scope.SCHOOL, as_of=latest_school).select_related("school").order_by("school__name"):
            schools[r.kpi_key].append(r)
        for r in base.filter(scope=Scope.GROUP, as_of=as_of).order_by("dimension", "group"):
            groups[r.kpi_key].append(r)
    return Packet(overview, dict(trends), dict(schools), dict(groups))


def group_label(dimension: str, group: str) -> str:
    if dimension in (Dimension.ENGLISH_LEARNER, Dimension.DISABILITY, Dimension.MEAL_ELIGIBLE):
        return str(YES_NO.get(group, group))
    if dimension == Dimension.RACE_ETHNICITY:
        from enrollment.choices import RaceEthnicity  # labels only; the dashboard computes nothing here

        return str(dict(RaceEthnicity.choices).get(group, group))
    if dimension == Dimension.SEX:
        from enrollment.choices import Sex

        return str(dict(Sex.choices).get(group, group))
    return group


def _num(v):
    return None if v is None else round(v, 2)


def xlsx(packet: Packet) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    o = packet.overview
    wb = Workbook()
    ws = wb.active
    ws.title = _("Summary")[:31]
    xlsx_append(ws, [_("Board packet: %(district)s") % {"district": o.district}])
    ws["A1"].font = Font(bold=True, size=14)
    xlsx_append(ws, [_("As of"), o.as_of.isoformat() if o.as_of else _("no snapshots")])
    xlsx_append(ws, [])
    header = [
        _("Priority"),
        _("KPI"),
        _("Department"),
        _("Value"),
        _("Unit"),
        _("Target"),
        _("Status"),
        _("As of"),
        _("Computed"),
        _("Definition version"),
    ]
    xlsx_append(ws, header)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for priority, tiles in o.priorities:
        if not tiles:
            xlsx_append(ws, [str(Priority(priority).label), str(_("No KPI is registered for this priority yet."))])
        for t in tiles:
            xlsx_append(
                ws,
                [
                    str(Priority(priority).label),
                    str(t.kpi.name),
                    t.kpi.department,
                    _num(t.value),
                    str(t.kpi.unit),
                    t.target_value,
                    t.status_label if not t.suppressed else str(_("Withheld (small group)")),
                    t.as_of.isoformat() if t.as_of else "",
                    timezone.localtime(t.computed_at).strftime("%Y-%m-%d %H:%M") if t.computed_at else "",
                    t.kpi.version,
                ],
            )
    schools = wb.create_sheet(_("Schools")[:31])
    xlsx_append(schools, [_("KPI"), _("School"), _("Value"), _("Numerator"), _("Denominator"), _("Withheld")])
    for key, rows in packet.schools.items():
        for r in rows:
            xlsx_append(
                schools,
                [key, r.school.name, _num(r.value), r.numerator, r.denominator, _("yes") if r.suppressed else ""],
            )
    groups = wb.create_sheet(_("Student groups")[:31])
    xlsx_append(
        groups, [_("KPI"), _("Student group"), _("Group"), _("Value"), _("Numerator"), _("Denominator"), _("Withheld")]
    )
    for key, rows in packet.groups.items():
        for r in rows:
            xlsx_append(
                groups,
                [
                    key,
                    str(Dimension(r.dimension).label) if r.dimension in Dimension.values else r.dimension,
                    group_label(r.dimension, r.group),
                    _num(r.value),
                    r.numerator,
                    r.denominator,
                    _("yes") if r.suppressed else "",
                ],
            )
    trend = wb.create_sheet(_("Trend")[:31])
    xlsx_append(trend, [_("KPI"), _("As of"), _("Value")])
    for key, points in packet.trends.items():
        for day, value in points:
            xlsx_append(trend, [key, day.isoformat(), _num(value)])
    definitions = wb.create_sheet(_("Definitions")[:31])
    xlsx_append(definitions, [_("KPI"), _("Definition"), _("Formula"), _("Source"), _("Version")])
    for _p, tiles in o.priorities:
        for t in tiles:
            k = t.kpi
            xlsx_append(definitions, [str(k.name), str(k.definition), str(k.formula), str(k.source), k.version])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


_SVG_META = re.compile(r"<(title|desc)[^>]*>.*?</\1>", re.S)


def _latin1(text) -> str:
    """The PDF's core fonts cover Latin-1: other characters are replaced by their nearest plain form."""
    text = str(text).replace("÷", "/").replace("×", "x").replace("–", "-").replace("—", "-").replace("…", "...")
    text = text.replace("≤", "<=").replace("≥", ">=").replace("’", "'").replace("“", '"').replace("”", '"')
    return text.encode("latin-1", "replace").decode("latin-1")


def _svg(pdf, svg: str, width: float) -> None:
    pdf.image(io.BytesIO(_SVG_META.sub("", str(svg)).encode()), w=width)


def pdf(packet: Packet) -> bytes:
    from fpdf import FPDF

    o = packet.overview
    doc = FPDF(orientation="P", unit="mm", format="Letter")
    doc.set_auto_page_break(auto=True, margin=15)
    doc.set_title(_latin1(_("Board packet: %(district)s") % {"district": o.district}))
    doc.add_page()
    doc.set_font("Helvetica", "B", 18)
    doc.multi_cell(0, 9, _latin1(_("Operations dashboard: board packet")), new_x="LMARGIN", new_y="NEXT")
    doc.set_font("Helvetica", "", 12)
    as_of = o.as_of.isoformat() if o.as_of else _("no snapshots yet")
    doc.multi_cell(0, 7, _latin1(f"{o.district} · {_('as of')} {as_of}"), new_x="LMARGIN", new_y="NEXT")
    doc.ln(4)
    width = doc.epw
    for priority, tiles in o.priorities:
        doc.set_font("Helvetica", "B", 14)
        doc.multi_cell(0, 8, _latin1(Priority(priority).label), new_x="LMARGIN", new_y="NEXT")
        doc.set_font("Helvetica", "", 10)
        if not tiles:
            doc.multi_cell(
                0, 6, _latin1(_("No KPI is registered for this priority yet.")), new_x="LMARGIN", new_y="NEXT"
            )
            doc.ln(2)
            continue
        with doc.table(col_widths=(60, 25, 25, 35, 40), text_align=("LEFT", "RIGHT", "RIGHT", "LEFT", "LEFT")) as table:
            head = table.row()
            for title in (_("KPI"), _("Value"), _("Target"), _("Status"), _("As of / computed")):
                head.cell(_latin1(title))
            for t in tiles:
                row = table.row()
                row.cell(_latin1(t.kpi.name))
                row.cell(_latin1(_("withheld") if t.suppressed else charts.fmt(t.value, t.kpi.unit)))
                row.cell(_latin1(charts.fmt(t.target_value, t.kpi.unit) if t.target else "-"))
                row.cell(_latin1(t.status_label))
                computed = timezone.localtime(t.computed_at).strftime("%Y-%m-%d %H:%M") if t.computed_at else "-"
                row.cell(_latin1(f"{t.as_of or '-'} / {computed}"))
        doc.ln(3)
    for priority, tiles in o.priorities:
        for t in tiles:
            k = t.kpi
            doc.add_page()
            doc.set_font("Helvetica", "B", 14)
            doc.multi_cell(0, 8, _latin1(k.name), new_x="LMARGIN", new_y="NEXT")
            doc.set_font("Helvetica", "", 10)
            doc.multi_cell(
                0,
                5,
                _latin1(
                    f"{Priority(priority).label} · {t.status_label} · "
                    f"{_('value')} {charts.fmt(t.value, k.unit)} · {_('target')} "
                    f"{charts.fmt(t.target_value, k.unit) if t.target else '-'}"
                ),
                new_x="LMARGIN",
                new_y="NEXT",
            )
            doc.multi_cell(
                0,
                5,
                _latin1(f"{k.definition} ({_('Formula')}: {k.formula}. {_('Source')}: {k.source}.)"),
                new_x="LMARGIN",
                new_y="NEXT",
            )
            if t.note:
                doc.multi_cell(0, 5, _latin1(f"{_('Data quality')}: {t.note}"), new_x="LMARGIN", new_y="NEXT")
            doc.ln(2)
            _svg(
                doc,
                charts.trend_chart(packet.trends.get(k.key, []), title=str(k.name), unit=k.unit, target=t.target_value),
                width,
            )
            rows = packet.schools.get(k.key, [])
            if rows:
                doc.ln(2)
                bars = [
                    (r.school.name, r.value, selectors.status_of(r.value, t.target, k.direction)) for r in rows[:40]
                ]
                _svg(doc, charts.bar_chart(bars, title=_("By school"), unit=k.unit, target=t.target_value), width)
                if len(rows) > 40:
                    doc.multi_cell(
                        0,
                        5,
                        _latin1(_("First 40 schools of %(n)s; the spreadsheet lists them all.") % {"n": len(rows)}),
                        new_x="LMARGIN",
                        new_y="NEXT",
                    )
            groups = packet.groups.get(k.key, [])
            if groups:
                doc.ln(2)
                doc.set_font("Helvetica", "B", 11)
                doc.multi_cell(0, 6, _latin1(_("By student group")), new_x="LMARGIN", new_y="NEXT")
                doc.set_font("Helvetica", "", 9)
                with doc.table(col_widths=(60, 50, 30), text_align=("LEFT", "LEFT", "RIGHT")) as table:
                    for r in groups:
                        row = table.row()
                        row.cell(
                            _latin1(Dimension(r.dimension).label if r.dimension in Dimension.values else r.dimension)
                        )
                        row.cell(_latin1(group_label(r.dimension, r.group)))
                        row.cell(_latin1(_("withheld") if r.suppressed else charts.fmt(r.value, k.unit)))
    return bytes(doc.output())
