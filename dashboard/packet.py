"""The board packet: every KPI by priority as of a date, as a PDF with the charts and as a spreadsheet.

Both are built from snapshots (as the pages are) and hold aggregates only:
suppressed cells stay withheld. The PDF is written by fpdf2 in Unicode
TrueType fonts found by the settings (``OPS_PDF_FONT`` and its fallbacks), so
names in any script print: Spanish, Vietnamese, Arabic (shaped right to left
by HarfBuzz), Chinese. It draws the pages' SVG trend chart, and the bars by
school with its own text so that school names are laid out like any other.
"""

from __future__ import annotations

import datetime
import io
import os
import re
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Max
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from core.spreadsheets import xlsx_append
from district.choices import DepartmentCode

from . import charts, selectors
from .choices import YES_NO, Dimension, Priority, Scope, priority_without_kpis
from .models import KpiSnapshot


def department_name(code: str) -> str:
    """A department's name in the reader's language (its code when no longer known)."""
    return str(DepartmentCode(code).label) if code in DepartmentCode.values else code


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
        _("Computed (%(zone)s)") % {"zone": timezone.get_current_timezone_name()},
        _("Definition version"),
    ]
    xlsx_append(ws, header)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for priority, tiles in o.priorities:
        if not tiles:
            xlsx_append(ws, [str(Priority(priority).label), priority_without_kpis(priority)])
        for t in tiles:
            xlsx_append(
                ws,
                [
                    str(Priority(priority).label),
                    str(t.kpi.name),
                    department_name(t.kpi.department),
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
FAMILY = "packet"  # the PDF's name for the configured Unicode font (regular and bold)


class PdfFontMissing(ImproperlyConfigured):
    """A font file the PDF needs is not installed where the settings say."""


def _font_file(setting: str, name: str) -> str:
    """The configured font's path: ``name`` itself when it is a file, else the first folder holding it."""
    if os.path.isfile(name):
        return name
    folders = [d for d in settings.OPS_PDF_FONT_DIRS if d]
    for folder in folders:
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return path
    raise PdfFontMissing(
        f"The board packet's PDF needs the TrueType font {name!r} (setting {setting}), found in none of: "
        f"{', '.join(folders) or '(no folder in OPS_PDF_FONT_DIRS)'}. Install Debian's fonts-dejavu-core and "
        "fonts-droid-fallback, or set OPS_PDF_FONT, OPS_PDF_FONT_BOLD and OPS_PDF_FALLBACK_FONTS to font files."
    )


def font_files() -> dict[str, object]:
    """The font files the PDF draws with, found on disk; raises :class:`PdfFontMissing` naming what is absent."""
    return {
        "regular": _font_file("OPS_PDF_FONT", settings.OPS_PDF_FONT),
        "bold": _font_file("OPS_PDF_FONT_BOLD", settings.OPS_PDF_FONT_BOLD),
        "fallback": [_font_file("OPS_PDF_FALLBACK_FONTS", f) for f in settings.OPS_PDF_FALLBACK_FONTS if f],
    }


def _document():
    """A Letter page document drawing any script: the configured Unicode fonts, fallbacks and text shaping."""
    from fpdf import FPDF

    files = font_files()
    doc = FPDF(orientation="P", unit="mm", format="Letter")
    doc.add_font(FAMILY, "", files["regular"])
    doc.add_font(FAMILY, "B", files["bold"])
    fallbacks = []
    for n, path in enumerate(files["fallback"]):
        doc.add_font(f"{FAMILY}-fallback-{n}", "", path)
        fallbacks.append(f"{FAMILY}-fallback-{n}")
    if fallbacks:
        doc.set_fallback_fonts(fallbacks, exact_match=False)
    # Joined and right-to-left scripts (Arabic) are laid out by HarfBuzz, in logical order in the file.
    doc.set_text_shaping(True)
    doc.set_auto_page_break(auto=True, margin=15)
    return doc


def _svg(doc, svg: str, width: float) -> None:
    """Draw a chart of the pages; its labels (numbers, dates) in the packet's font rather than a core font."""
    markup = _SVG_META.sub("", str(svg)).replace(charts.FONT, f'font-family="{FAMILY}"')
    doc.image(io.BytesIO(markup.encode()), w=width)


def _fit(doc, text: str, width: float) -> str:
    """The text, shortened with an ellipsis to fit ``width`` in the current font."""
    if doc.get_string_width(text) <= width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # the longest prefix that fits with the ellipsis
        mid = (lo + hi + 1) // 2
        if doc.get_string_width(text[:mid].rstrip() + "…") <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + "…"


def _bars(doc, rows, *, unit: str, target: float | None, title: str) -> None:
    """Horizontal bars by school drawn with the PDF's own text, so names in any script are laid out and kept.

    The same figure as the pages' SVG bar chart: a bar per school in its status colour, the value
    beside it, a dashed mark at the target; a withheld value draws no bar and says so.
    """
    row_h, label_w, value_w = 4.6, 62.0, 18.0
    left = doc.l_margin
    plot_w = doc.epw - label_w - value_w
    shown = [v for _l, v, _s in rows if v is not None]
    hi = max([*shown, *([target] if target is not None else [])] or [1.0])
    if unit == "percent":
        hi = max(hi, 100.0)
    hi = hi or 1.0
    doc.set_font(FAMILY, "B", 11)
    doc.multi_cell(0, 6, title, new_x="LMARGIN", new_y="NEXT")
    doc.set_font(FAMILY, "", 8)
    for label, value, status in rows:
        if doc.will_page_break(row_h):
            doc.add_page()
        y = doc.get_y()
        # Each row in a graphics state of its own (a state must not span pages): its colours and
        # dashes stay off the tables that follow.
        with doc.local_context(draw_color=charts.INK):
            doc.set_xy(left, y)
            doc.cell(label_w - 2, row_h, _fit(doc, str(label), label_w - 3), align="R")
            x0 = left + label_w
            if value is None:
                doc.set_xy(x0, y)
                doc.cell(plot_w, row_h, _("withheld or no data"))
            else:
                w = max(0.3, plot_w * max(0.0, value) / hi)
                doc.set_fill_color(charts.STATUS_COLOURS.get(status, charts.LINE))
                doc.rect(x0, y + 0.6, w, row_h - 1.2, style="F")
                doc.set_xy(x0 + w + 1, y)
                doc.cell(value_w, row_h, charts.fmt(value, unit))
            if target is not None:
                x = x0 + plot_w * max(0.0, target) / hi
                doc.set_dash_pattern(dash=0.8, gap=0.6)
                doc.line(x, y, x, y + row_h)
        doc.set_y(y + row_h)
    if target is not None:
        doc.multi_cell(
            0,
            5,
            _("Dashed line: the target, %(target)s.") % {"target": charts.fmt(target, unit)},
            new_x="LMARGIN",
            new_y="NEXT",
        )


def pdf(packet: Packet) -> bytes:
    o = packet.overview
    doc = _document()
    doc.set_title(_("Board packet: %(district)s") % {"district": o.district})
    doc.add_page()
    doc.set_font(FAMILY, "B", 18)
    doc.multi_cell(0, 9, _("Operations dashboard: board packet"), new_x="LMARGIN", new_y="NEXT")
    doc.set_font(FAMILY, "", 12)
    as_of = formats.date_format(o.as_of) if o.as_of else _("no snapshots yet")
    doc.multi_cell(0, 7, f"{o.district} · {_('as of')} {as_of}", new_x="LMARGIN", new_y="NEXT")
    doc.ln(4)
    width = doc.epw
    for priority, tiles in o.priorities:
        doc.set_font(FAMILY, "B", 14)
        doc.multi_cell(0, 8, str(Priority(priority).label), new_x="LMARGIN", new_y="NEXT")
        doc.set_font(FAMILY, "", 10)
        if not tiles:
            doc.multi_cell(0, 6, priority_without_kpis(priority), new_x="LMARGIN", new_y="NEXT")
            doc.ln(2)
            continue
        doc.set_font(FAMILY, "", 9)
        with doc.table(col_widths=(62, 22, 22, 35, 54), text_align=("LEFT", "RIGHT", "RIGHT", "LEFT", "LEFT")) as table:
            head = table.row()
            computed_head = _("As of / computed (%(zone)s)") % {"zone": timezone.get_current_timezone_name()}
            for title in (_("KPI"), _("Value"), _("Target"), _("Status"), computed_head):
                head.cell(title)
            for t in tiles:
                row = table.row()
                row.cell(str(t.kpi.name))
                row.cell(_("withheld") if t.suppressed else charts.fmt(t.value, t.kpi.unit))
                row.cell(charts.fmt(t.target_value, t.kpi.unit) if t.target else "-")
                row.cell(t.status_label)
                computed = (
                    formats.date_format(timezone.localtime(t.computed_at), "SHORT_DATETIME_FORMAT")
                    if t.computed_at
                    else "-"
                )
                as_of = formats.date_format(t.as_of, "SHORT_DATE_FORMAT") if t.as_of else "-"
                row.cell(f"{as_of} / {computed}")
        doc.ln(3)
    for priority, tiles in o.priorities:
        for t in tiles:
            k = t.kpi
            doc.add_page()
            doc.set_font(FAMILY, "B", 14)
            doc.multi_cell(0, 8, str(k.name), new_x="LMARGIN", new_y="NEXT")
            doc.set_font(FAMILY, "", 10)
            doc.multi_cell(
                0,
                5,
                f"{Priority(priority).label} · {t.status_label} · "
                f"{_('value')} {charts.fmt(t.value, k.unit)} · {_('target')} "
                f"{charts.fmt(t.target_value, k.unit) if t.target else '-'}",
                new_x="LMARGIN",
                new_y="NEXT",
            )
            doc.multi_cell(
                0,
                5,
                f"{k.definition} ({_('Formula')}: {k.formula}. {_('Source')}: {k.source}.)",
                new_x="LMARGIN",
                new_y="NEXT",
            )
            if t.note:
                doc.multi_cell(0, 5, f"{_('Data quality')}: {t.note}", new_x="LMARGIN", new_y="NEXT")
            doc.ln(2)
            _svg(
                doc,
                charts.trend_chart(
                    packet.trends.get(k.key, []),
                    title=str(k.name),
                    unit=k.unit,
                    target=t.target_value,
                    target_label=_("Target"),
                ),
                width,
            )
            rows = packet.schools.get(k.key, [])
            if rows:
                doc.ln(2)
                bars = [
                    (r.school.name, r.value, selectors.status_of(r.value, t.target, k.direction)) for r in rows[:40]
                ]
                _bars(doc, bars, unit=k.unit, target=t.target_value, title=_("By school"))
                if len(rows) > 40:
                    doc.multi_cell(
                        0,
                        5,
                        _("First 40 schools of %(n)s; the spreadsheet lists them all.") % {"n": len(rows)},
                        new_x="LMARGIN",
                        new_y="NEXT",
                    )
            groups = packet.groups.get(k.key, [])
            if groups:
                doc.ln(2)
                doc.set_font(FAMILY, "B", 11)
                doc.multi_cell(0, 6, _("By student group"), new_x="LMARGIN", new_y="NEXT")
                doc.set_font(FAMILY, "", 9)
                with doc.table(col_widths=(60, 50, 30), text_align=("LEFT", "LEFT", "RIGHT")) as table:
                    head = table.row()
                    for title in (_("Student group"), _("Group"), _("Value")):
                        head.cell(title)
                    for r in groups:
                        row = table.row()
                        row.cell(str(Dimension(r.dimension).label) if r.dimension in Dimension.values else r.dimension)
                        row.cell(group_label(r.dimension, r.group))
                        row.cell(_("withheld") if r.suppressed else charts.fmt(r.value, k.unit))
    return bytes(doc.output())
