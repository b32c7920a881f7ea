"""Server-drawn charts: text alternatives, escaping, withheld values, and the PDF drawing them."""

import datetime
import io

from dashboard import charts


def test_charts_carry_a_title_and_description_and_escape_labels():
    bars = charts.bar_chart(
        [("<script>alert(1)</script>", 40.0, "on_track"), ("Withheld school", None, "no_data")],
        title="Utilization by school",
        unit="percent",
        target=85,
    )
    assert 'role="img"' in bars and "<title" in bars and "<desc" in bars
    assert "<script>" not in bars and "&lt;script&gt;" in bars
    assert "withheld or no data" in bars and "Target 85.0%" in bars
    trend = charts.trend_chart(
        [(datetime.date(2026, 9, 1), 10.0), (datetime.date(2026, 9, 8), None), (datetime.date(2026, 9, 15), 30.0)],
        title="Trend",
        unit="count",
    )
    assert "3 values" not in trend and "2 values from 2026-09-01 (10) to 2026-09-15 (30)" in trend
    assert "<polyline" not in trend  # a withheld value breaks the line; single points are dots
    assert trend.count("<circle") == 2
    assert "No values yet" in charts.trend_chart([], title="Empty", unit="count")
    spark = charts.sparkline([1, 2, 3], title="t")
    assert "from 1 to 3" in spark and "<polyline" in spark


def test_the_pdf_writer_draws_the_charts_in_the_packet_font():
    from pypdf import PdfReader

    from dashboard.packet import _bars, _document, _svg

    doc = _document()
    doc.add_page()
    fill, draw = doc.fill_color, doc.draw_color
    trend = charts.trend_chart(
        [(datetime.date(2026, 9, 1), 10.0), (datetime.date(2026, 9, 15), 30.0)],
        title="t", unit="percent", target=25.0, target_label="Objetivo",
    )  # fmt: skip
    _svg(doc, trend, 180)
    _bars(
        doc,
        [("Lincoln", 50.0, "watch"), ("Escuela " * 12, None, "no_data")]
        + [(f"School {n}", 40.0, "on_track") for n in range(60)],
        unit="percent",
        target=60.0,
        title="By school",
    )
    assert (doc.fill_color, doc.draw_color) == (fill, draw)  # the bars' colours do not paint the tables after them
    out = bytes(doc.output())
    pages = PdfReader(io.BytesIO(out)).pages
    assert len(pages) == 2  # 62 bars run over a page
    for page in pages:  # every graphics state saved on a page is restored on that page
        ops = page.get_contents().get_data().split()
        assert ops.count(b"q") == ops.count(b"Q") > 0
    text = pages[0].extract_text()
    assert "School 59" in pages[1].extract_text()
    assert "2026-09-15" in text and "Objetivo 25.0%" in text  # the trend chart's labels
    assert "Lincoln" in text and "50.0%" in text and "withheld or no data" in text
    assert "Escuela Escuela" in text and "…" in text and "Escuela " * 12 not in text  # shortened to fit
