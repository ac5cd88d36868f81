"""The report's Excel workbook: sheets, typed cells, styled frozen headers, text never a formula."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import openpyxl
import pandas as pd
import plotly.graph_objects as go
import pytest

from cityops import theme
from cityops.geo import Scope
from cityops.periods import Period
from cityops.queries.periods import StatusBasis
from cityops.reports.excel import SheetNames, display_width, render_xlsx
from cityops.reports.model import Chart, Column, KpiLine, Report, Section, Table

LONG = "长" * 1000 + "x" * 1000  # 2000 characters
HUGE = "y" * 40000  # beyond Excel's 32,767 characters a cell
HOSTILE = [
    "<script>alert(1)</script>",
    '=HYPERLINK("http://x","y")',
    "+1",
    "@SUM(A1)",
    "-2",
    LONG,
    "玄武区 🚨",
    "http://example.com/x",
    "＝1+1",
]
GENERATED = dt.datetime(2026, 11, 26, 9, 30)
AS_OF = dt.datetime(2026, 11, 26, 9, 15)
LABELS = {
    "kpi_summary": "指标摘要",
    "kpi": "指标",
    "value": "本期",
    "previous": "上期",
    "change": "变化",
    "kind": "口径",
    "unit": "单位",
    "period_kpi": "期间",
    "status_kpi": "期末状态",
    "map": "区域分布",
    "problems": "重点问题",
    "appendix": "附录",
    "contents": "目录",
    "page": "第 {page} 页 / 共 {pages} 页",
    "cover": "封面",
    "generated_at": "生成时间",
    "data_as_of": "数据截至",
    "no_chart": "无可绘制的数据",
    "sheet_cover": "封面",
    "sheet_kpis": "指标摘要",
    "sheet_map": "区域分布",
    "sheet_problems": "重点问题",
    "sheet_appendix": "数据来源",
    "unit_count": "个",
    "unit_rate": "比率",
    "unit_tonnes": "吨",
}


def kpi(name, unit, kind, value, previous, domain="video") -> KpiLine:
    delta = None if value is None or previous is None else value - previous
    return KpiLine(name, f"KPI {name}", domain, unit, kind, value, previous, delta, "", "", "")


def hostile_table(key="hostile", title="恶意文本") -> Table:
    n = len(HOSTILE)
    frame = pd.DataFrame(
        {
            "text": HOSTILE,
            "count": [1200, None, 3, 4, 5, 6, 7, 8, 9],
            "rate": [0.875, None, 0.5, 0.1, 0.2, 0.3, 0.4, 1.0, 0.0],
            "tonnes": [53.46] * n,
            "hours": [1.25] * n,
            "number": [3.14159] * n,
            "day": [dt.date(2026, 11, 1)] * (n - 1) + [None],
            "ts": pd.to_datetime(["2026-11-25 10:30"] * (n - 1) + [None]),
        }
    )
    cols = (
        Column("text", "文本"),
        Column("count", "数量", "count"),
        Column("rate", "比率", "rate"),
        Column("tonnes", "吨位", "tonnes"),
        Column("hours", "小时", "hours"),
        Column("number", "数值", "number"),
        Column("day", "日期", "date"),
        Column("ts", "时间", "datetime"),
    )
    return Table(key, title, cols, frame, note="说明 <b>note</b>", empty="无数据")


def empty_table(key="empty", title="空表") -> Table:
    frame = pd.DataFrame({"a": pd.Series(dtype=object), "n": pd.Series(dtype="int64")})
    cols = (Column("a", "名称"), Column("n", "数量", "count"))
    return Table(key, title, cols, frame, note="", empty="该区县今日无预约数据")


def day_table() -> Table:
    frame = pd.DataFrame({"day": pd.date_range("2026-11-01", periods=3).date, "events": [3, 0, 12]})
    return Table(
        "video.events",
        "每日智能事件",
        (Column("day", "日期", "date"), Column("events", "事件", "count")),
        frame,
    )


def make_report(*, section_titles=("视频感知", "危化品运输"), lang="zh", labels=LABELS) -> Report:
    """A small report by hand: KPIs, a map, sections with charts and tables, problems."""
    bar = go.Figure(go.Bar(x=["a", "b"], y=[1, 2]))
    kpis = (
        kpi("cameras_total", "count", "status", 1200, None),
        kpi("cameras_online_rate", "rate", "status", 0.9417, 0.95),
        kpi("tonnage_in_transit", "tonnes", "status", 53.5, 50.0, "hazmat"),
        kpi("bookings_visitors", "count", "period", 118931, 18197, "tourism"),
    )
    map_frame = pd.DataFrame(
        {"area": ["320102", "320104"], "name": ["玄武区", "=1+1"], "rate": [0.9, None]}
    )
    map_table = Table(
        "map",
        "地图",
        (Column("area", "代码"), Column("name", "区域"), Column("rate", "在线率", "rate")),
        map_frame,
    )
    sections = tuple(
        Section(
            domain=f"d{i}",
            title=title,
            kpis=kpis[:2] if i == 0 else (),
            charts=(
                Chart("video.events", "每日智能事件", bar, day_table(), note="期间"),
                Chart("none", "无图", None, empty_table("none", "无图表")),
            ),
            tables=(hostile_table(f"hostile{i}"),),
        )
        for i, title in enumerate(section_titles)
    )
    period = Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    return Report(
        lang=lang,
        scope=Scope("city", "320100", "320100"),
        scope_name="南京市",
        scope_path="江苏省 › 南京市",
        period=period,
        previous=period.previous(),
        kind_label="月报",
        title="南京市城市运行月报",
        subtitle="2026年11月",
        generated_at=GENERATED,
        data_as_of=AS_OF,
        status=StatusBasis("current", GENERATED),
        status_note="状态类指标为当前状态",
        cover=(
            ("范围", "江苏省 › 南京市"),
            ("报告期", "2026年11月"),
            ("生成时间", "2026-11-26 09:30"),
            ("数据截至", "2026-11-26 09:15"),
            ("筛选与设置", "=cmd|' /C calc'!A0"),
        ),
        kpis=kpis,
        kpi_note="与上期比较",
        map_kpi="cameras_online_rate",
        map=Chart("map", "区域分布：在线率", None, map_table, note="按区县"),
        sections=sections,
        problems=(
            hostile_table("top.alarms", "未关闭时间最长的报警"),
            empty_table("top.none", "无"),
        ),
        appendix=(hostile_table("appendix.datasets", "数据集"),),
        labels=dict(labels),
    )


def load(report: Report) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(render_xlsx(report)))


def header_row(ws) -> int:
    """The 1-based row of a table sheet's header: the row above the frozen panes."""
    return int(re.sub(r"[A-Z]+", "", ws.freeze_panes)) - 1


def column_of(ws, label: str) -> int:
    row = header_row(ws)
    for cell in ws[row]:
        if cell.value == label:
            return cell.column
    raise AssertionError(f"no column {label!r} in {ws.title}")


@pytest.fixture(scope="module")
def book():
    return load(make_report())


def test_rxl001_sheets_in_order(book):
    assert book.sheetnames == [
        "封面",
        "指标摘要",
        "视频感知",
        "视频感知 - 每日智能事件",
        "视频感知 - 无图",
        "视频感知 - 恶意文本",
        "危化品运输",
        "危化品运输 - 每日智能事件",
        "危化品运输 - 无图",
        "危化品运输 - 恶意文本",
        "区域分布",
        "重点问题 - 未关闭时间最长的报警",
        "重点问题 - 无",
        "数据来源",  # a group of one table takes the group's name
    ]


def test_rxl002_every_table_sheet_has_a_styled_frozen_header_and_autofilter(book):
    for name in book.sheetnames[1:]:
        ws = book[name]
        if name in ("视频感知", "危化品运输") and not ws.auto_filter.ref:
            continue  # a section without KPI lines: its title and links only
        assert ws.freeze_panes, name
        row = header_row(ws)
        first = ws.cell(row=row, column=1)
        assert first.font.b, name
        assert first.fill.fgColor.rgb.endswith(theme.EXPORT_HEADER_FILL.lstrip("#").upper()), name
        assert first.border.bottom.style == "thin", name
        last_col = openpyxl.utils.get_column_letter(ws.max_column)
        assert ws.auto_filter.ref.startswith(f"A{row}:{last_col}"), (name, ws.auto_filter.ref)


def test_rxl003_hostile_table_freeze_filter_and_types(book):
    ws = book["视频感知 - 恶意文本"]
    assert ws["A1"].value == "恶意文本"
    assert ws["A2"].value == "说明 <b>note</b>"
    assert ws.freeze_panes == "A5"
    assert ws.auto_filter.ref == f"A4:H{4 + len(HOSTILE)}"
    assert [c.value for c in ws[4]] == [
        "文本",
        "数量",
        "比率",
        "吨位",
        "小时",
        "数值",
        "日期",
        "时间",
    ]
    rate = ws.cell(row=5, column=column_of(ws, "比率"))
    assert isinstance(rate.value, float) and rate.value == 0.875
    assert "%" in rate.number_format and rate.number_format == "0.0%"
    count = ws.cell(row=5, column=column_of(ws, "数量"))
    assert count.value == 1200 and count.number_format == "#,##0"
    assert ws.cell(row=5, column=column_of(ws, "吨位")).number_format == "0.0"
    assert ws.cell(row=5, column=column_of(ws, "小时")).number_format == "0.0"
    assert ws.cell(row=5, column=column_of(ws, "数值")).number_format == "0.00"
    day = ws.cell(row=5, column=column_of(ws, "日期"))
    assert isinstance(day.value, dt.datetime) and day.value == dt.datetime(2026, 11, 1)
    assert day.number_format == "yyyy-mm-dd"
    ts = ws.cell(row=5, column=column_of(ws, "时间"))
    assert isinstance(ts.value, dt.datetime) and ts.value == dt.datetime(2026, 11, 25, 10, 30)
    assert ts.number_format == "yyyy-mm-dd hh:mm"


def test_rxl004_missing_values_are_empty_cells(book):
    ws = book["视频感知 - 恶意文本"]
    assert ws.cell(row=6, column=column_of(ws, "数量")).value is None  # None in a count column
    assert ws.cell(row=6, column=column_of(ws, "比率")).value is None  # None in a rate column
    last = 4 + len(HOSTILE)
    assert ws.cell(row=last, column=column_of(ws, "日期")).value is None
    assert ws.cell(row=last, column=column_of(ws, "时间")).value is None  # NaT
    assert book["区域分布"].cell(row=6, column=3).value is None


def test_rxl005_hostile_strings_stay_plain_text(book):
    ws = book["视频感知 - 恶意文本"]
    cells = [ws.cell(row=5 + i, column=1) for i in range(len(HOSTILE))]
    assert [c.value for c in cells] == HOSTILE
    assert all(c.data_type == "s" for c in cells)
    assert all(c.hyperlink is None for c in cells)
    # text Excel would read as a formula once edited carries the quote prefix
    quoted = {c.value for c in cells if c.quotePrefix}
    assert quoted == {'=HYPERLINK("http://x","y")', "+1", "@SUM(A1)", "-2", "＝1+1"}
    assert book["区域分布"]["B6"].value == "=1+1" and book["区域分布"]["B6"].data_type == "s"


def test_rxl006_no_formula_anywhere_in_the_file():
    data = render_xlsx(make_report())
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets
        for name in sheets:
            assert "<f>" not in z.read(name).decode("utf-8"), name
            assert "<f " not in z.read(name).decode("utf-8"), name
    for ws in openpyxl.load_workbook(io.BytesIO(data)).worksheets:
        for row in ws.iter_rows():
            assert all(c.data_type != "f" for c in row), ws.title


def test_rxl007_a_cell_longer_than_excel_allows_is_cut():
    report = make_report()
    table = Table("huge", "超长", (Column("t", "文本"),), pd.DataFrame({"t": [HUGE]}))
    ws = load(
        Report(**{**report.__dict__, "appendix": (table,)})  # type: ignore[arg-type]
    )["数据来源"]
    assert ws["A4"].value == HUGE[:32767]


def test_rxl008_empty_table_keeps_its_header_and_says_why(book):
    ws = book["重点问题 - 无"]  # no note: the header comes right after the title
    assert [c.value for c in ws[3]] == ["名称", "数量"]
    assert ws["A4"].value == "该区县今日无预约数据"
    assert ws.freeze_panes == "A4"
    assert ws.auto_filter.ref == "A3:B4"


def test_rxl009_cover_lines_and_times(book):
    ws = book["封面"]
    assert ws["A1"].value == "南京市城市运行月报"
    assert ws["A2"].value == "2026年11月"
    lines = {
        ws.cell(row=r, column=1).value: ws.cell(row=r, column=2) for r in range(4, ws.max_row + 1)
    }
    assert lines["范围"].value == "江苏省 › 南京市"
    assert lines["生成时间"].value == GENERATED
    assert lines["数据截至"].value == AS_OF
    assert lines["生成时间"].number_format == "yyyy-mm-dd hh:mm"
    assert lines["筛选与设置"].data_type == "s" and lines["筛选与设置"].quotePrefix
    # the contents link every other sheet
    links = [c.hyperlink.location for row in ws.iter_rows() for c in row if c.hyperlink]
    assert len(links) == len(book.sheetnames) - 1
    assert links[0] == "'指标摘要'!A1"


def test_rxl010_kpi_sheet(book):
    ws = book["指标摘要"]
    assert [c.value for c in ws[3]] == ["指标", "口径", "本期", "上期", "变化", "单位"]
    assert ws.freeze_panes == "A4" and ws.auto_filter.ref == "A3:F7"
    rows = list(ws.iter_rows(min_row=4, max_row=7))
    assert [r[0].value for r in rows] == [f"KPI {n}" for n in (
        "cameras_total", "cameras_online_rate", "tonnage_in_transit", "bookings_visitors")]  # fmt: skip
    assert [r[1].value for r in rows] == ["期末状态", "期末状态", "期末状态", "期间"]
    assert [r[5].value for r in rows] == ["个", "比率", "吨", "个"]
    total, rate, tonnes, visitors = rows
    assert total[2].value == 1200 and total[2].number_format == "#,##0"
    assert total[3].value is None and total[4].value is None
    assert rate[2].value == 0.9417 and rate[2].number_format == "0.0%"
    assert rate[4].value == pytest.approx(0.9417 - 0.95)
    assert rate[4].number_format == "+0.0%;-0.0%;0.0%"
    assert tonnes[2].number_format == "0.0"
    assert visitors[4].value == 118931 - 18197
    assert ws["A9"].value == "与上期比较"  # the KPI note below the table


def test_rxl011_section_sheet_has_its_kpis_and_links(book):
    ws = book["视频感知"]
    assert ws["A1"].value == "视频感知"
    assert [c.value for c in ws[3]][:3] == ["指标", "口径", "本期"]
    assert ws.auto_filter.ref == "A3:F5"
    links = [c.hyperlink.location for row in ws.iter_rows() for c in row if c.hyperlink]
    assert links == [
        "'视频感知 - 每日智能事件'!A1",
        "'视频感知 - 无图'!A1",
        "'视频感知 - 恶意文本'!A1",
    ]


def test_rxl012_long_section_titles_do_not_collide():
    long = "很长的章节标题" * 6
    titles = (long + "甲", long + "乙", "A" * 40, "a" * 40, "History", "[一]:*?/\\'引'")
    book = load(make_report(section_titles=titles))
    names = book.sheetnames
    assert len(names) == len({n.casefold() for n in names})
    assert all(len(n) <= 31 for n in names)
    assert not any(set(n) & set("[]:*?/\\") for n in names)
    assert all(not n.startswith("'") and not n.endswith("'") for n in names)
    assert "History" not in names


def test_rxl013_sheet_names_cut_english_at_a_word():
    names = SheetNames()
    assert (
        names.take("Video sensing - Camera online rate by area") == "Video sensing - Camera online"
    )
    assert (
        names.take("Video sensing - Camera online rate by day") == "Video sensing - Camera onli (2)"
    )
    assert (
        names.take("视频感知 - " + "各区域视频在线率" * 4)
        == ("视频感知 - " + "各区域视频在线率" * 4)[:31]
    )
    assert names.take("") == "Sheet"


def test_rxl014_workbook_properties(book):
    props = book.properties
    assert props.title == "南京市城市运行月报"
    assert props.subject == "南京市 · 2026年11月"
    assert props.creator == "cityops"
    assert props.created == GENERATED


def test_rxl015_column_widths_fit_content_with_cjk_double(book):
    assert display_width("玄武区") == 6 and display_width("abc") == 3
    assert display_width("🚨") == 2
    ws = book["视频感知 - 恶意文本"]
    # XlsxWriter stores a width in characters plus its own pixel padding (< 1)
    assert 62 <= ws.column_dimensions["A"].width < 63  # capped at 60, plus 2
    assert 10 <= ws.column_dimensions["B"].width < 11  # at least 8, plus 2


def test_rxl016_missing_labels_do_not_crash():
    book = load(make_report(labels={}, lang="en"))
    assert book.sheetnames[:2] == ["Cover", "KPI summary"]
    assert {"Map", "Problems - 未关闭时间最长的报警", "Appendix"} <= set(book.sheetnames)


def test_rxl017_demo_report_kpis_equal_the_report(demo_ctx):
    from cityops.periods import period_of
    from cityops.reports.content import build

    geo = demo_ctx.geo
    report = build(
        demo_ctx,
        scope=geo.scope("320100"),
        period=period_of("monthly", dt.date(2026, 11, 25)),
        allowed=geo.scope(None),
        lang="zh",
        now=dt.datetime(2026, 11, 25, 10, 30),
    )
    book = load(report)
    assert book.sheetnames[:2] == [report.labels["sheet_cover"], report.labels["sheet_kpis"]]
    ws = book[report.labels["sheet_kpis"]]
    rows = list(ws.iter_rows(min_row=header_row(ws) + 1, max_row=header_row(ws) + len(report.kpis)))
    for line, row in zip(report.kpis, rows, strict=True):
        assert row[0].value == line.label
        for cell, value in ((row[2], line.value), (row[3], line.previous), (row[4], line.delta)):
            if value is None:
                assert cell.value is None
            else:
                assert cell.value == pytest.approx(value)
    for section in report.sections:
        assert section.title in book.sheetnames
    # every table of the report is on a sheet, typed, with its header
    tables = [c.table for s in report.sections for c in s.charts]
    tables += [t for s in report.sections for t in s.tables] + [report.map.table]
    tables += list(report.problems) + list(report.appendix)
    headers = {
        tuple(c.value for c in ws[header_row(ws)]) for ws in book.worksheets[1:] if ws.freeze_panes
    }
    for table in tables:
        assert tuple(c.label for c in table.columns) in headers, table.key
    cover = book[report.labels["sheet_cover"]]
    stamps = [c.value for row in cover.iter_rows() for c in row if isinstance(c.value, dt.datetime)]
    assert report.generated_at in stamps
