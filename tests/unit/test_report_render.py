"""The report's HTML and PDF (cityops.reports.browser): escaped, offline, printed well.

A hand-made report carries hostile strings (markup, spreadsheet formulas, a
2,000-character cell, Chinese and emoji), an empty problem table, a chart with
no figure and a 200-row appendix table. The browser tests draw it in Chromium
and read the PDF back with poppler (pdftotext, pdffonts, pdfimages); page
images go to tests/screenshots/reports/ to be looked at.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest

from cityops.geo import Scope
from cityops.periods import Period, period_of
from cityops.queries.periods import StatusBasis
from cityops.reports.browser import (
    CHART_WIDTH_PX,
    FONT_FAMILY,
    cell_text,
    footer_template,
    header_template,
    page_html,
    print_figure,
    render_html,
    render_pdf,
)
from cityops.reports.model import Chart, Column, KpiLine, Report, Section, Table

SHOTS = Path(__file__).resolve().parents[1] / "screenshots" / "reports"
SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://x","y")'
LONG = "长" * 1000 + "x" * 1000
HOSTILE = (SCRIPT, FORMULA, "+1", "@SUM(A1)", "-2", LONG, "玄武区 🚓 警情")
LONG_ROWS = 200
LONG_HEAD = ("序号列", "说明列", "数值列")


def _table(key: str, title: str, columns: tuple[Column, ...], frame: pd.DataFrame, **kw) -> Table:
    return Table(key=key, title=title, columns=columns, frame=frame, **kw)


def _bar(names: list[str], values: list[float]) -> go.Figure:
    figure = go.Figure(go.Bar(x=values, y=names, orientation="h", text=values))
    figure.update_layout(height=260, margin={"l": 8, "r": 8, "t": 8, "b": 8})
    return figure


def _map() -> go.Figure:
    figure = go.Figure()
    for i, (name, colour) in enumerate((("玄武区", "#0369a1"), ("秦淮区", "#7dd3fc"))):
        x0 = i * 1.2
        figure.add_trace(
            go.Scatter(
                x=[x0, x0 + 1, x0 + 1, x0, x0],
                y=[0, 0, 1, 1, 0],
                fill="toself",
                fillcolor=colour,
                line={"color": "#475569"},
                mode="lines",
                name=name,
            )
        )
    figure.update_layout(height=420, yaxis={"scaleanchor": "x"})
    return figure


def _kpi(name: str, label: str, domain: str, unit: str, kind: str, value, previous) -> KpiLine:
    delta = None if previous is None else value - previous
    texts = {"count": "{:,}", "rate": "{:.1%}", "tonnes": "{:.1f} 吨"}[unit]
    return KpiLine(
        name=name,
        label=label,
        domain=domain,
        unit=unit,
        kind=kind,
        value=value,
        previous=previous,
        delta=delta,
        value_text=texts.format(value),
        previous_text="—" if previous is None else texts.format(previous),
        delta_text="—" if delta is None else f"{delta:+,}",
    )


def make_report(lang: str = "zh") -> Report:
    """Return a small report by hand: every part of the model, hostile text in its cells."""
    period = Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    kpis = (
        _kpi("cameras_total", "视频点位", "video", "count", "status", 12345, None),
        _kpi("cameras_online_rate", "在线率", "video", "rate", "status", 0.875, None),
        _kpi("alarms_total", "运输报警", "hazmat", "count", "period", 321, 300),
        _kpi("tonnage", "在途吨位", "hazmat", "tonnes", "status", 53.5, None),
    )
    hostile_frame = pd.DataFrame(
        {
            "name": list(HOSTILE),
            "count": [1, 2, None, 4, 5, 6, 7],
            "rate": [0.875, None, 0.5, 0.25, 1.0, 0.0, 0.333],
            "tonnes": [1.25, 2.5, None, 12345.0, 0.0, 3.0, 4.0],
            "when": pd.to_datetime(["2026-11-25 08:05"] * 6 + [None]),
            "day": pd.to_datetime(["2026-11-25"] * 6 + [None]),
            "hours": [1.25, 2.0, None, 3.5, 0.0, 10.0, 99.9],
        }
    )
    hostile_columns = (
        Column("name", "名称", "text"),
        Column("count", "数量", "count"),
        Column("rate", "比率", "rate"),
        Column("tonnes", "吨位", "tonnes"),
        Column("when", "时间", "datetime"),
        Column("day", "日期", "date"),
        Column("hours", "时长", "hours"),
    )
    bars = Chart(
        key="video.by_area",
        title="各区域视频在线率",
        figure=_bar(["玄武区", "秦淮区", "&lt;script&gt;"], [93.9, 95.1, 50.0]),
        table=_table("video.by_area", "各区域视频在线率", hostile_columns, hostile_frame),
        note="状态截至 2026-11-26 16:56。",
    )
    nothing = Chart(
        key="video.events",
        title="每日智能事件",
        figure=None,
        table=_table("video.events", "每日智能事件", (), pd.DataFrame(), empty="本期无智能事件"),
    )
    sections = (
        Section(
            domain="video",
            title="视频感知",
            kpis=kpis[:2],
            charts=(bars, nothing),
            tables=(
                _table(
                    "video.hostile",
                    "各部门 " + SCRIPT,
                    hostile_columns,
                    hostile_frame,
                    note="说明 " + FORMULA,
                ),
            ),
        ),
        Section(
            domain="hazmat",
            title="危化品运输",
            kpis=kpis[2:],
            charts=(
                Chart(
                    key="hazmat.alarm_types",
                    title="报警类型",
                    figure=_bar(["超速", "疲劳驾驶"], [17, 11]),
                    table=_table("hazmat.alarm_types", "报警类型", (), pd.DataFrame()),
                    note="统计报告期内各日。",
                ),
            ),
        ),
    )
    problems = (
        _table("top.hostile", "未关闭时间最长的报警", hostile_columns, hostile_frame),
        _table(
            "top.complaints",
            "最久未处理的投诉",
            (Column("feedback_id", "投诉编号"),),
            pd.DataFrame({"feedback_id": pd.Series([], dtype="string")}),
            empty="本期无未处理的投诉",
        ),
    )
    long_frame = pd.DataFrame(
        {
            "n": range(1, LONG_ROWS + 1),
            "text": [f"第{i}行 row {i}" for i in range(1, LONG_ROWS + 1)],
            "value": [i * 0.5 for i in range(1, LONG_ROWS + 1)],
        }
    )
    appendix = (
        _table(
            "appendix.long",
            "数据集与加载",
            (
                Column("n", LONG_HEAD[0], "count"),
                Column("text", LONG_HEAD[1], "text"),
                Column("value", LONG_HEAD[2], "number"),
            ),
            long_frame,
            note="行数为本报告范围内的记录。",
        ),
    )
    labels = {
        "kpi_summary": "指标摘要",
        "kpi": "指标",
        "value": "本期",
        "previous": "上期",
        "change": "变化",
        "kind": "口径",
        "period_kpi": "期间",
        "status_kpi": "期末状态",
        "map": "区域分布",
        "problems": "重点问题",
        "appendix": "附录：数据来源与新鲜度",
        "contents": "目录",
        "page": "第 {page} 页 / 共 {pages} 页",
        "generated_at": "生成时间",
        "data_as_of": "数据截至",
        "no_chart": "无可绘制的数据",
    }
    return Report(
        lang=lang,
        scope=Scope(level="city", code="320100", city_code="320100"),
        scope_name="南京市",
        scope_path="江苏省 › 南京市",
        period=period,
        previous=period.previous(),
        kind_label="月报",
        title="南京市城市运行月报",
        subtitle="2026年11月",
        generated_at=dt.datetime(2026, 11, 26, 16, 56),
        data_as_of=dt.datetime(2026, 11, 26, 16, 50),
        status=StatusBasis(basis="current", as_of=dt.datetime(2026, 11, 26, 16, 56)),
        status_note="状态类指标为当前状态，截至 2026-11-26 16:56。",
        cover=(("范围", "江苏省 › 南京市"), ("筛选与设置", "备注 " + SCRIPT)),
        kpis=kpis,
        kpi_note="期间类指标统计报告期内各日。",
        map_kpi="cameras_online_rate",
        map=Chart(
            key="map",
            title="在线率分布",
            figure=_map(),
            table=_table("map", "各区域指标", (), pd.DataFrame()),
            note="按区县着色：在线率。",
        ),
        sections=sections,
        problems=problems,
        appendix=appendix,
        labels=labels,
    )


# ------------------------------------------------------------- without a browser


def test_cells_print_by_kind():
    assert cell_text(0.875, "rate") == "87.5%"
    assert cell_text(1234, "count") == "1,234"
    assert cell_text(None, "count") == "—"
    assert cell_text(float("nan"), "rate") == "—"
    assert cell_text(pd.NaT, "datetime") == "—"
    assert cell_text(pd.Timestamp("2026-11-25 08:05:59"), "datetime") == "2026-11-25 08:05"
    assert cell_text(pd.Timestamp("2026-11-25"), "date") == "2026年11月25日"
    assert cell_text(dt.date(2026, 11, 25), "date", "en") == "25 Nov 2026"
    assert cell_text(1.26, "hours") == "1.3"
    assert cell_text(2.0, "number") == "2.0"
    assert cell_text(53.5, "tonnes") == "53.5 吨"
    assert cell_text(FORMULA, "text") == FORMULA


def test_page_escapes_every_hostile_string():
    page = page_html(make_report())
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "=HYPERLINK(&#34;http://x&#34;,&#34;y&#34;)" in page
    assert LONG in page and "玄武区 🚓 警情" in page
    # nothing is loaded from anywhere: no http(s) in src, href or url()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*https?:""", page, re.I)
    assert not re.search(r"url\(\s*['\"]?https?:", page, re.I)
    assert "@font-face" not in page and "@import" not in page
    assert "default-src 'none'; img-src data:" in page  # the page's own policy says so too


def test_page_prints_empty_states_and_every_part():
    page = page_html(make_report())
    assert "本期无未处理的投诉" in page  # an empty problem table says why
    assert "本期无智能事件" in page  # a chart without a figure prints its table's empty text
    assert page.count("<section") == 1 + 1 + 1 + 2 + 1 + 1  # cover kpis map 2 sections …
    assert "第200行 row 200" in page
    assert "thead" in page and "display: table-header-group" in page
    assert '"Noto Sans CJK SC"' in page  # the CSS is the project's own, not escaped


def test_page_without_labels_does_not_crash():
    report = make_report()
    page = page_html(
        Report(**{**{f: getattr(report, f) for f in report.__dataclass_fields__}, "labels": {}})
    )
    assert "kpi_summary" in page  # the key itself stands in for a missing label


def test_header_and_footer_escape_and_number_pages():
    report = make_report()
    hostile = Report(
        **{
            **{f: getattr(report, f) for f in report.__dataclass_fields__},
            "scope_name": SCRIPT,
        }
    )
    header = header_template(hostile)
    assert "<script" not in header and "&lt;script&gt;" in header
    assert "font-size" in header and "Noto Sans CJK SC" in header
    footer = footer_template(report)
    assert '第 <span class="pageNumber"></span> 页' in footer
    assert '<span class="totalPages"></span>' in footer


def test_figures_are_laid_out_for_print():
    chart = make_report().sections[0].charts[0]
    before = chart.figure.to_plotly_json()
    figure = print_figure(chart)
    assert figure["layout"]["width"] == CHART_WIDTH_PX
    assert figure["layout"]["font"]["family"] == FONT_FAMILY
    assert figure["layout"]["paper_bgcolor"] == "#ffffff"
    assert chart.figure.to_plotly_json() == before  # the report's figure is untouched
    assert print_figure(make_report().sections[0].charts[1]) is None


def test_missing_chromium_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("CITYOPS_CHROMIUM_PATH", "/nowhere/chromium")
    with pytest.raises(RuntimeError, match=r"/nowhere/chromium.*scripts/system-deps\.sh"):
        render_html(make_report())


# ------------------------------------------------------------- in Chromium


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} missing: install poppler-utils (scripts/system-deps.sh)")
    return path


def _run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict:
    """The hand-made report as HTML and as PDF (one Chromium launch each)."""
    report = make_report()
    folder = tmp_path_factory.mktemp("report")
    html = render_html(report)
    pdf = render_pdf(report)
    (folder / "report.html").write_text(html, encoding="utf-8")
    (folder / "report.pdf").write_bytes(pdf)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("hand-*.png"):
        old.unlink()
    _run(_poppler("pdftoppm"), "-r", "80", "-png", str(folder / "report.pdf"), str(SHOTS / "hand"))
    (SHOTS / "hand.html").write_text(html, encoding="utf-8")
    return {"report": report, "html": html, "pdf": pdf, "path": folder / "report.pdf"}


def _pages(path: Path) -> list[str]:
    """Return the PDF's text, one string per page (pdftotext separates pages by form feeds)."""
    return _run(_poppler("pdftotext"), "-layout", str(path), "-").split("\f")


@pytest.mark.browser
def test_rnd001_html_has_no_script_and_charts_as_svg(rendered):
    html = rendered["html"]
    assert "<script" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*https?:""", html, re.I)
    assert not re.search(r"url\(\s*['\"]?https?:", html, re.I)
    images = re.findall(r'<img class="chart-image" src="data:image/svg\+xml;base64,', html)
    assert len(images) == 3  # map, two bar charts; the chart without a figure says so
    assert "本期无智能事件" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.browser
def test_rnd002_opening_the_html_asks_nothing_of_the_network(rendered):
    from playwright.sync_api import sync_playwright

    from cityops.reports.browser import CHROMIUM_ARGS
    from cityops.settings import get_settings

    asked: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=get_settings().chromium_path, args=list(CHROMIUM_ARGS)
        )
        try:
            page = browser.new_page()
            page.on("request", lambda request: asked.append(request.url))
            page.route(
                "**/*",
                lambda route: (
                    route.abort()
                    if not route.request.url.startswith(("data:", "about:"))
                    else route.continue_()
                ),
            )
            page.set_content(rendered["html"], wait_until="load")
            page.wait_for_timeout(300)
            shown = page.evaluate(
                "Array.from(document.images).filter(i => i.complete && i.naturalWidth > 0).length"
            )
            assert page.evaluate("document.scripts.length") == 0
        finally:
            browser.close()
    assert all(url.startswith("data:") for url in asked), asked
    assert shown == 3  # every chart image decodes


@pytest.mark.browser
def test_rnd003_pdf_reads_back_as_text(rendered):
    assert rendered["pdf"].startswith(b"%PDF")
    text = "\n".join(_pages(rendered["path"]))
    assert "南京市" in text  # the scope name (cover, header)
    assert "12,345" in text and "87.5%" in text  # KPI values as printed
    assert SCRIPT in text and FORMULA in text  # hostile strings are literal text
    assert "@SUM(A1)" in text and "玄武区" in text
    assert "第 1 页 / 共" in text  # the footer's page numbers


@pytest.mark.browser
def test_rnd004_pdf_embeds_its_fonts_and_draws_charts_as_vectors(rendered):
    fonts = _run(_poppler("pdffonts"), str(rendered["path"])).splitlines()[2:]
    assert fonts
    for line in fonts:
        assert " yes " in line[60:], line  # every font embedded
    # Chromium embeds the CFF-outlined Noto Sans CJK as Type 3 fonts (named by nothing)
    # and TrueType CJK fonts as CID TrueType; either way the Chinese text reads back.
    assert any("Type 3" in line or re.search(r"CJK|Noto|Han|WenQuanYi", line) for line in fonts), (
        fonts
    )
    assert "视频感知" in _run(_poppler("pdftotext"), str(rendered["path"]), "-")
    images = _run(_poppler("pdfimages"), "-list", str(rendered["path"])).splitlines()[2:]
    # charts are vectors, not pictures (a colour-emoji glyph may be a small bitmap)
    assert not [line for line in images if int(line.split()[3]) >= 200], images


@pytest.mark.browser
def test_rnd005_long_table_repeats_its_header_on_each_page(rendered):
    pages = _pages(rendered["path"])
    with_rows = [i for i, page in enumerate(pages) if re.search(r"第\d+行 row \d+", page)]
    assert len(with_rows) >= 3  # 200 rows take several pages
    for i in with_rows:
        for head in LONG_HEAD:
            assert head in pages[i], f"page {i + 1} lacks the header {head}"
    assert "第200行 row 200" in pages[with_rows[-1]]


@pytest.mark.browser
def test_rnd006_sections_start_on_new_pages(rendered):
    pages = _pages(rendered["path"])
    assert "目录" in pages[0]  # the cover, with its contents
    for title in ("指标摘要", "区域分布", "视频感知", "危化品运输", "重点问题"):
        # the running header, then the section's heading at the top of a page of its own
        lines = [[line.strip() for line in page.splitlines() if line.strip()] for page in pages]
        assert any(len(page) > 1 and page[1] == title for page in lines[1:]), title


@pytest.mark.browser
def test_rnd007_a_real_city_report(demo_ctx):
    """A city's monthly report from the demo store, in both languages, printed and imaged."""
    from cityops.reports.content import build

    geo = demo_ctx.geo
    for lang in ("zh", "en"):
        report = build(
            demo_ctx,
            scope=geo.scope("320100"),
            period=period_of("monthly", dt.date(2026, 11, 25)),
            allowed=geo.scope(None),
            lang=lang,
            now=dt.datetime(2026, 11, 25, 10, 30),
        )
        pdf = render_pdf(report)
        assert pdf.startswith(b"%PDF")
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"city-{lang}.pdf"
        path.write_bytes(pdf)
        for old in SHOTS.glob(f"city-{lang}-*.png"):
            old.unlink()
        _run(_poppler("pdftoppm"), "-r", "80", "-png", str(path), str(SHOTS / f"city-{lang}"))
        pages = _pages(path)
        text = "\n".join(pages)
        assert report.scope_name in text
        assert report.kpis[0].value_text in text
        assert len(pages) >= 6


@pytest.mark.browser
def test_rnd008_a_report_past_its_time_limit_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("CITYOPS_REPORT_TIMEOUT_S", "0")
    with pytest.raises(RuntimeError, match=r"report_timeout_s.*charts not drawn in 0 ms"):
        render_html(make_report())
