"""Everything the user reads, in both languages: grid chrome, date picker, data values,
<html lang>, numbers on axes and in cells; header links that keep scope and date;
downloads that cannot smuggle a formula into a spreadsheet."""

import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from cityops.datasets import HAZARD_CLASSES
from cityops.text.i18n import LANG_COOKIE, TABLE, VOCABULARIES, t, t_value
from components.charts import bars, stacked_days, value_axis
from components.datepicker import date_picker
from components.grid_locale import LOCALE_FILE, locale_text, source
from components.tables import column_kind, data_table, is_formula_like, rows_to_xlsx
from loaders import demo
from tests.conftest import signed_client

REPO = Path(__file__).resolve().parents[2]
ASSET = REPO / "assets" / "cityops-i18n.js"
CJK = re.compile(r"[\u4e00-\u9fff]")


# ---- the translation table -------------------------------------------------


@pytest.mark.parametrize("kind", VOCABULARIES)
def test_every_vocabulary_has_labels_in_both_languages(kind):
    keys = [k for k in TABLE if k.startswith(f"{kind}.")]
    assert keys, kind
    for key in keys:
        zh, en = TABLE[key]
        assert CJK.search(zh) and en.strip(), key


@pytest.mark.parametrize(
    ("kind", "values"),
    [
        ("hazard", sorted(set(HAZARD_CLASSES.values()))),
        ("department", list(demo.DEPARTMENTS)),
        ("event_type", list(demo.EVENT_TYPES)),
        ("camera_kind", list(demo.CAMERA_KINDS)),
        ("channel", list(demo.CHANNELS)),
        ("origin", list(demo.ORIGINS)),
        ("alarm", list(demo.ALARM_TYPES)),
        ("event_status", ["open", "closed"]),
        ("severity", [1, 2, 3]),
    ],
)
def test_every_value_the_data_can_hold_is_translated(kind, values):
    for value in values:
        zh, en = t_value(kind, value, "zh"), t_value(kind, value, "en")
        assert CJK.search(zh), (kind, value, zh)
        assert en != zh, (kind, value)


def test_t_value_reads_codes_and_labels_and_leaves_unknown_values_alone():
    assert t_value("hazard", "2.1", "zh") == "易燃气体"
    assert t_value("hazard", "2.1", "en") == "Flammable gas"
    assert t_value("severity", 3, "zh") == "高"
    assert t_value("severity", 1.0, "en") == "Low"
    assert t_value("event_status", "closed", "zh") == "已处置"
    assert t_value("event_status", "已处置", "en") == "closed"
    assert t_value("department", "公安", "en") == "Public security"
    assert t_value("department", "Public Security", "zh") == "公安"
    assert t_value("department", "市场监管局", "en") == "市场监管局"
    assert t_value("event_type", "烟火", "en") == "smoke or fire"
    assert t_value("origin", None, "en") == "—"
    with pytest.raises(KeyError):
        t_value("no-such-kind", "x", "zh")


def test_severities_read_high_medium_low():
    assert [t(f"severity.{n}", "zh") for n in (3, 2, 1)] == ["高", "中", "低"]
    assert [t(f"severity.{n}", "en") for n in (3, 2, 1)] == ["High", "Medium", "Low"]


def test_every_page_has_a_tab_title():
    for page in ("overview", "video", "hazmat", "rentals", "tourism", "data"):
        assert t(f"title.{page}", "zh").startswith(t(f"nav.{page}", "zh")[:2])
        assert t("app.title", "en") in t(f"title.{page}", "en")


# ---- AG Grid's own words ---------------------------------------------------


def test_grid_locale_is_agrids_chinese_with_its_source():
    raw = json.loads(LOCALE_FILE.read_text(encoding="utf-8"))
    assert len(raw["localeText"]) > 100
    src = source()
    assert src["package"] == "@ag-grid-community/locale" and src["license"] == "MIT"
    # the same version as the AG Grid that dash-ag-grid bundles
    info = json.loads(
        (Path(__import__("dash_ag_grid").__file__).parent / "package-info.json").read_text()
    )
    assert src["version"] == info["dependencies"]["ag-grid-community"]
    zh = locale_text("zh")
    assert zh["contains"] == "包含" and zh["equals"] == "等于" and zh["page"] == "页"
    assert CJK.search(zh["noRowsToShow"]) and CJK.search(zh["filterOoo"])
    assert locale_text("en") is None


def test_data_table_speaks_the_grid_in_the_users_language():
    frame = pd.DataFrame({"event_id": ["E1"], "rows": [12345], "tonnage": [3.25]})
    zh = data_table("t", frame, ["event_id", "rows", "tonnage"], "zh").children[0]
    en = data_table("t", frame, ["event_id", "rows", "tonnage"], "en").children[0]
    assert len(zh.dashGridOptions["localeText"]) > 100
    assert "localeText" not in en.dashGridOptions
    defs = {d["field"]: d for d in zh.columnDefs}
    assert defs["rows"]["valueFormatter"] == {"function": "cityopsNumber(params, 0)"}
    assert defs["tonnage"]["valueFormatter"] == {"function": "cityopsNumber(params, 1)"}
    assert defs["rows"]["filter"] == "agNumberColumnFilter"
    assert "valueFormatter" not in defs["event_id"]
    assert zh.csvExportParams["processCellCallback"] == {"function": "cityopsCsvCell(params)"}


def test_column_kinds():
    assert column_kind(pd.Series([1, 2])) == "count"
    assert column_kind(pd.Series([1.5, None])) == "number"
    assert column_kind(pd.Series(pd.to_datetime(["2026-11-25 08:00"]))) == "time"
    assert column_kind(pd.Series(["2026-11-25 08:00", None])) == "time"
    assert column_kind(pd.Series(["-3.5", "abc"])) == "text"
    assert column_kind(pd.Series([True, False])) == "text"


# ---- the date picker -------------------------------------------------------


def test_date_picker_builder():
    import datetime as dt

    zh = date_picker("d", dt.date(2026, 11, 25), "zh", min_day=dt.date(2026, 1, 1))
    en = date_picker({"type": "day", "page": "video"}, "2026-11-25", "en")
    assert zh.date == "2026-11-25" and zh.min_date_allowed == "2026-01-01"
    assert zh.first_day_of_week == 1 and zh.display_format == "YYYY-MM-DD"
    assert "lang-zh" in zh.className and "lang-en" in en.className
    assert zh.placeholder == t("date.placeholder", "zh")
    assert en.placeholder == t("date.placeholder", "en")
    assert "max_date_allowed" not in en.to_plotly_json()["props"]


def test_chinese_date_names_are_served_locally():
    vendored = list((REPO / "assets" / "vendor").glob("date-fns-*-zh-CN.min.js"))
    assert len(vendored) == 1
    text = vendored[0].read_text(encoding="utf-8")
    assert "MIT License" in text and "zhCN" in text and "sourceMappingURL" not in text
    assert "http" not in text.split("*/", 1)[1]  # nothing fetched at run time


# ---- <html lang> -----------------------------------------------------------


@pytest.mark.parametrize(("cookie", "code", "title"), [("en", "en", "City Operations Centre"),
                                                        ("zh", "zh-CN", "城市运行一网统管"),
                                                        ("xx", "zh-CN", "城市运行一网统管")])  # fmt: skip
def test_html_lang_follows_the_language_cookie(client, cookie, code, title):
    client.set_cookie(LANG_COOKIE, cookie)
    page = client.get("/video").get_data(as_text=True)
    assert f'<html lang="{code}">' in page
    assert f"<title>{title}</title>" in page


def test_html_lang_without_a_cookie_is_the_default(dash_app):
    page = signed_client(dash_app).get("/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "加载中" in page


def test_the_i18n_scripts_are_served_by_the_app(client):
    page = client.get("/").get_data(as_text=True)
    for asset in ("cityops-i18n.js", "date-fns-4.1.0-zh-CN.min.js"):
        src = re.search(rf'src="([^"]*{re.escape(asset)}[^"]*)"', page)
        assert src, asset
        assert src.group(1).startswith("/")
        assert client.get(src.group(1)).status_code == 200


# ---- spreadsheets: formula injection and typed cells -------------------------

INJECTIONS = ['=HYPERLINK("http://evil.example","x")', "+1", "-1+2", "@SUM(A1:A2)",
              "\t=1", "\r=1", "＝1+1"]  # fmt: skip


@pytest.mark.parametrize("text", INJECTIONS)
def test_xlsx_writes_formula_like_text_as_text(text):
    defs = [{"field": "v", "headerName": "值"}]
    book = openpyxl.load_workbook(io.BytesIO(rows_to_xlsx([{"v": text}], defs)))
    cell = book.active["A2"]
    assert is_formula_like(text)
    assert cell.data_type == "s"
    assert cell.value.strip() == text.strip()  # XML turns a CR into a LF; still text
    assert cell.quotePrefix


def test_xlsx_keeps_genuine_numbers_and_types_times():
    defs = [
        {"field": "n", "headerName": "n", "context": {"kind": "number", "digits": 1}},
        {"field": "c", "headerName": "c", "context": {"kind": "count", "digits": 0}},
        {"field": "ts", "headerName": "ts", "context": {"kind": "time"}},
        {"field": "s", "headerName": "s", "context": {"kind": "text"}},
    ]
    rows = [{"n": -3.5, "c": 12345, "ts": "2026-11-25 08:30", "s": "-3.5"},
            {"n": 2.04, "c": None, "ts": None, "s": "苏A·1****"}]  # fmt: skip
    ws = openpyxl.load_workbook(io.BytesIO(rows_to_xlsx(rows, defs))).active
    assert (ws["A2"].value, ws["A2"].data_type) == (-3.5, "n")
    assert ws["A3"].value == 2.0 and ws["A3"].number_format == "#,##0.0"
    assert (ws["B2"].value, ws["B2"].number_format) == (12345, "#,##0")
    assert ws["C2"].is_date and ws["C2"].value.isoformat() == "2026-11-25T08:30:00"
    assert (ws["D2"].value, ws["D2"].data_type) == ("-3.5", "s")  # text from data stays text
    assert ws["B3"].value is None


def test_xlsx_is_named_frozen_filtered_and_says_what_it_holds():
    frame = pd.DataFrame({"event_id": ["E1", "E2"], "rows": [3, 4]})
    table = data_table("video-open-events", frame, ["event_id", "rows"], "zh",
                       title="待处置事件", scope="320100", scope_name="南京市",
                       day="2026-11-25")  # fmt: skip
    grid, tools = table.children
    meta = tools.children[-1].data
    assert meta["file"] == "video-open-events_320100_2026-11-25"
    assert grid.csvExportParams["fileName"] == "video-open-events_320100_2026-11-25.csv"
    data = rows_to_xlsx(grid.rowData, grid.columnDefs, sheet=meta["sheet"], note=meta["note"])
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert ws.title == "待处置事件"
    assert "南京市" in ws["A1"].value and "2026-11-25" in ws["A1"].value
    assert [c.value for c in ws[3]] == [t("col.event_id", "zh"), t("col.rows", "zh")]
    assert ws["A3"].font.bold
    assert ws.freeze_panes == "A4"
    assert ws.auto_filter.ref == "A3:B5"
    # without scope or date: header first, as before
    plain = rows_to_xlsx([{"a": 1}], [{"field": "a", "headerName": "甲"}])
    assert openpyxl.load_workbook(io.BytesIO(plain)).active.freeze_panes == "A2"


def test_sheet_names_are_valid():
    data = rows_to_xlsx([], [{"field": "a"}], sheet="a/b:c*d?[e]" + "x" * 40)
    title = openpyxl.load_workbook(io.BytesIO(data)).active.title
    assert len(title) <= 31 and not re.search(r"[\[\]:*?/\\]", title)


# ---- numbers on chart axes -------------------------------------------------


def test_chinese_value_axis_reads_wan_from_ten_thousand():
    fig = bars(["a", "b"], [47_000, 9_000], ["a", "b"], ["#111", "#222"], lang="zh",
               axis_title=t("unit.tonnes", "zh"))  # fmt: skip
    text = list(fig.layout.xaxis.ticktext)
    values = list(fig.layout.xaxis.tickvals)
    assert text == ["0", "2万", "4万", "6万"] and values[-1] >= 47_000
    assert all("万" in s for v, s in zip(values, text, strict=True) if v >= 10_000)
    assert fig.layout.xaxis.title.text == "吨"
    en = bars(["a"], [47_000], ["a"], ["#111"], lang="en")
    assert list(en.layout.xaxis.ticktext) == ["0", "20k", "40k", "60k"]


def test_stacked_days_axis_counts_the_stack():
    frame = pd.DataFrame({"day": pd.to_datetime(["2026-11-20", "2026-11-20"]),
                          "kind": ["a", "b"], "n": [8_000, 7_000]})  # fmt: skip
    fig = stacked_days(frame, x="day", y="n", colour="kind", palette=["#111"], lang="zh",
                       mark_days=False)  # fmt: skip
    assert list(fig.layout.yaxis.ticktext)[-1].endswith("万")
    assert fig.layout.yaxis.tickvals[-1] >= 15_000


def test_charts_without_lang_keep_their_old_axes():
    fig = bars(["a"], [47_000], ["a"], ["#111"])
    assert fig.layout.xaxis.ticktext is None
    assert value_axis(fig, "x", [-1, 5], "zh").layout.xaxis.ticktext is None


# ---- the browser side (assets/cityops-i18n.js, run in node) -----------------

NODE = shutil.which("node")

HARNESS = """
const vm = require('vm'), fs = require('fs');
const [lang, ...scripts] = process.argv.slice(1);
const ready = [];
const ctx = {URLSearchParams, Intl, setTimeout, console};
ctx.window = ctx;
ctx.document = {
  documentElement: {getAttribute: () => lang},
  addEventListener: (name, fn) => ready.push(fn), querySelectorAll: () => [],
};
vm.createContext(ctx);
// in Dash's order: assets/ files first, then assets/vendor/; then DOMContentLoaded
scripts.forEach(path => vm.runInContext(fs.readFileSync(path, 'utf8'), ctx));
ready.forEach(fn => fn());
const input = JSON.parse(fs.readFileSync(0, 'utf8'));
const c = ctx.cityops, f = ctx.dashAgGridFunctions;
const out = {
  csv: input.csv.map(v => f.cityopsCsvCell({value: v})),
  number: input.numbers.map(([v, d]) => f.cityopsNumber({value: v}, d)),
  nav: input.nav.map(([p, s, h]) => c.nav.links(p, s, h)),
  clientside: ctx.dash_clientside.cityops.navLinks('/video', '?scope=1', ['/', '/video']),
  dateLocales: Object.keys(ctx.dateFns.locale),
};
process.stdout.write(JSON.stringify(out));
"""

HREFS = ["/", "/video", "/hazmat", "/rentals", "/tourism", "/data"]


def _run_js(lang: str, payload: dict) -> dict:
    vendored = next((REPO / "assets" / "vendor").glob("date-fns-*-zh-CN.min.js"))
    done = subprocess.run([NODE, "-e", HARNESS, lang, str(ASSET), str(vendored)],
                          input=json.dumps(payload), capture_output=True, text=True, timeout=30,
                          check=True)  # fmt: skip
    return json.loads(done.stdout)


PAYLOAD = {
    "csv": [*INJECTIONS, -3.5, 12, "plain", None, "2026-11-25 08:00"],
    "numbers": [[1234567, 0], [1234.56, 1], [None, 0], ["x", 1]],
    "nav": [
        ["/video", "?scope=320100&date=2026-11-25&camera=CAM1", HREFS],
        ["/data", "?load=7", ["/", "/video?scope=320100&date=2026-11-25", "/data"]],
        ["/", "", ["/?scope=320100", "/video?scope=320100", "/data"]],
    ],
}


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_csv_cells_are_defused_and_numbers_kept():
    out = _run_js("zh-CN", PAYLOAD)
    for text, cell in zip(INJECTIONS, out["csv"], strict=False):
        assert cell == "'" + text
    assert out["csv"][len(INJECTIONS) :] == [-3.5, 12, "plain", "", "2026-11-25 08:00"]
    assert out["number"] == ["1,234,567", "1,234.6", "", "x"]


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_nav_links_keep_scope_and_date_only():
    out = _run_js("en", PAYLOAD)
    video, data, home = out["nav"]
    kept = "?scope=320100&date=2026-11-25"
    assert video["hrefs"] == ["/" + kept, "/video" + kept, "/hazmat" + kept, "/rentals" + kept,
                              "/tourism" + kept, "/data"]  # fmt: skip
    assert video["current"] == [False, True, False, False, False, False]
    # the catalogue takes no scope: the links keep what they had, to come back to it
    assert data["hrefs"] == ["/", "/video?scope=320100&date=2026-11-25", "/data"]
    assert data["current"] == [False, False, True]
    assert home["hrefs"] == ["/", "/video", "/data"]
    assert out["clientside"] == [["/?scope=1", "/video?scope=1"], ["nav-link", "nav-link active"]]


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_date_picker_locale_follows_the_page_language():
    assert _run_js("zh-CN", PAYLOAD)["dateLocales"] == ["zhCN"]
    assert _run_js("en", PAYLOAD)["dateLocales"] == []
