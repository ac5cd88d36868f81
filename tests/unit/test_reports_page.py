"""The Reports page (/reports) in-process: its builders, its job and its input rules.

The job (:func:`pages.reports.produce`) is run here with a stand-in for
``cityops.reports.make`` (the real one is covered by the report tests and the
browser test), so every outcome — a file, a refusal, a renderer that cannot
run, a crash — is checked without Chromium.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import re

import plotly.utils
import pytest

from cityops import ids
from cityops.geo import ScopeDenied
from cityops.periods import KINDS, MAX_DAYS, Period
from cityops.queries.context import Context
from cityops.queries.kpis import KPI_NAMES
from cityops.reports import FORMATS
from cityops.settings import Settings
from cityops.store.executor import QueryTimeout
from cityops.text.i18n import TABLE, t
from cityops.web import BadInput
from components import reports as rp
from tests.conftest import request_as, signed_client

CJK = re.compile(r"[\u3400-\u9fff]")


def as_json(component) -> dict:
    """Return a component tree as plain JSON (what the browser receives)."""
    return json.loads(json.dumps(component.to_plotly_json(), cls=plotly.utils.PlotlyJSONEncoder))


def walk(node):
    """Yield ``(type, props)`` of every component in a JSON tree."""
    if isinstance(node, list):
        for child in node:
            yield from walk(child)
    elif isinstance(node, dict) and "props" in node:
        yield node["type"], node["props"]
        yield from walk(node["props"].get("children"))


def texts(tree, *, skip_ids: tuple[str, ...] = ()) -> list[str]:
    """Return every text a person reads in ``tree``: children, labels of options, placeholders."""
    out = []
    for _, props in walk(tree):
        if props.get("id") in skip_ids:
            continue
        children = props.get("children")
        for child in children if isinstance(children, list) else [children]:
            if isinstance(child, str):
                out.append(child)
        out += [o["label"] for o in props.get("options") or [] if isinstance(o, dict)]
        if isinstance(props.get("placeholder"), str):
            out.append(props["placeholder"])
    return [s for s in out if s.strip()]


def by_id(tree, id_: str) -> dict:
    return next(props for _, props in walk(tree) if props.get("id") == id_)


def form(lang: str, geo, kind="monthly", **kw):
    options = rp.scope_options(geo, geo.scope(None))
    day = dt.date(2026, 11, 26)
    return as_json(rp.report_form(lang=lang, scopes=options, scope="320100", kind=kind, day=day,
                                  start=dt.date(2026, 11, 1), end=day, **kw))  # fmt: skip


# ----------------------------------------------------------------- builders
def test_rp001_scope_options_are_the_permitted_areas_only(demo_ctx):
    geo = demo_ctx.geo
    everything = rp.scope_options(geo, geo.scope(None))
    codes = [o["value"] for o in everything]
    assert codes[0] == "320000" and everything[0]["label"] == "江苏省"
    assert codes[1] == geo.enabled_cities[0]  # each city, then its districts
    assert set(geo.enabled_cities) <= set(codes)
    assert {"320102", "320508"} <= set(codes) and len(codes) == len(set(codes))
    assert next(o["label"] for o in everything if o["value"] == "320102") == "南京市 › 玄武区"
    assert "320300" not in codes  # 徐州市 is not switched on

    nanjing = rp.scope_options(geo, geo.scope("320100"))
    assert [o["value"] for o in nanjing] == ["320100", *[d.code for d in geo.districts("320100")]]
    assert rp.scope_options(geo, geo.scope("320106")) == [
        {"label": "南京市 › 鼓楼区", "value": "320106"}
    ]


def test_rp002_the_default_scope_is_the_urls_when_permitted_else_the_broadest():
    options = [{"label": "南京市", "value": "320100"}, {"label": "玄武区", "value": "320102"}]
    assert rp.default_scope("320102", options) == "320102"
    assert rp.default_scope("320500", options) == "320100"
    assert rp.default_scope(None, options) == "320100"
    assert rp.default_scope("320102", []) == ""


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_rp003_every_label_of_the_form_is_in_the_page_language(demo_ctx, lang):
    tree = form(lang, demo_ctx.geo)
    shown = texts(tree, skip_ids=(ids.REPORTS_SCOPE,))  # area names stay Chinese
    wanted = [t(k, lang) for k in ("reports.form", "reports.scope", "reports.kind", "reports.day",
              "reports.range", "reports.map_kpi", "reports.lang", "reports.format",
              "reports.make", "reports.cancel", "reports.period")]  # fmt: skip
    wanted += [t(f"reports.kind.{k}", lang) for k in KINDS]
    wanted += [t(f"kpi.{k}", lang) for k in KPI_NAMES]
    wanted += [t(f"reports.format.{f}", lang) for f in FORMATS]
    for label in wanted:
        assert label in shown, label
    if lang == "en":
        assert not [s for s in shown if CJK.search(s)], [s for s in shown if CJK.search(s)]
    else:
        assert "生成并下载" in shown and "月报" in shown
    assert by_id(tree, ids.REPORTS_STATE)["data"] == {
        "lang": lang,
        "cancelled": t("reports.cancelled", lang),
    }


def test_rp004_every_reports_label_has_both_languages():
    keys = [k for k in TABLE if k.startswith("reports.")] + ["nav.reports", "title.reports"]
    assert len(keys) > 40
    for key in keys:
        zh, en = TABLE[key]
        assert zh.strip() and en.strip(), key
        assert not CJK.search(en), key
    for key in ("reports.make", "reports.kind.monthly", "reports.done", "reports.error.failed"):
        assert CJK.search(TABLE[key][0]), key


def test_rp005_the_form_preselects_what_it_is_given(demo_ctx):
    tree = form("zh", demo_ctx.geo, kind="monthly", map_kpi="tonnage_in_transit", fmt="xlsx",
                report_lang="en")  # fmt: skip
    assert by_id(tree, ids.REPORTS_SCOPE)["value"] == "320100"
    assert by_id(tree, ids.REPORTS_KIND)["value"] == "monthly"
    assert by_id(tree, ids.REPORTS_DAY)["date"] == "2026-11-26"
    assert by_id(tree, ids.REPORTS_KPI)["value"] == "tonnage_in_transit"
    assert by_id(tree, ids.REPORTS_FORMAT)["value"] == "xlsx"
    assert by_id(tree, ids.REPORTS_LANG)["value"] == "en"
    period = by_id(tree, ids.REPORTS_PERIOD)
    assert "2026-11-01 至 2026-11-30，共 30 天" in texts({"type": "Div", "props": period})
    assert by_id(tree, ids.REPORTS_MAKE)["children"] == "生成并下载"
    # the day picker for a monthly report, the range for a custom one
    assert by_id(tree, ids.REPORTS_DAY_FIELD)["style"].get("display") != "none"
    assert by_id(tree, ids.REPORTS_RANGE_FIELD)["style"]["display"] == "none"
    custom = form("zh", demo_ctx.geo, kind="custom")
    assert by_id(custom, ids.REPORTS_DAY_FIELD)["style"]["display"] == "none"
    assert by_id(custom, ids.REPORTS_RANGE_FIELD)["style"].get("display") != "none"
    assert "2026-11-01 至 2026-11-26，共 26 天" in texts(
        {"type": "Div", "props": by_id(custom, ids.REPORTS_PERIOD)}
    )
    # progress and cancel wait for a job
    assert by_id(tree, ids.REPORTS_PROGRESS_WRAP)["style"]["display"] == "none"
    assert by_id(tree, ids.REPORTS_CANCEL)["style"]["display"] == "none"


@pytest.mark.parametrize(
    ("kind", "day", "start", "end", "first", "last"),
    [
        ("daily", "2026-11-26", None, None, "2026-11-26", "2026-11-26"),
        ("weekly", "2026-11-26", None, None, "2026-11-23", "2026-11-29"),
        ("monthly", "2026-11-26T00:00:00", None, None, "2026-11-01", "2026-11-30"),
        ("monthly", "2024-02-10", None, None, "2024-02-01", "2024-02-29"),
        ("custom", None, "2026-11-01", "2026-11-07", "2026-11-01", "2026-11-07"),
        ("custom", None, "2025-11-26", "2026-11-26", "2025-11-26", "2026-11-26"),  # 366 days
    ],
)
def test_rp006_the_form_resolves_its_period(kind, day, start, end, first, last):
    choice = rp.choose_period(kind, day, start, end, "zh")
    assert choice.error == ""
    assert choice.period == Period(dt.date.fromisoformat(first), dt.date.fromisoformat(last))


@pytest.mark.parametrize(
    ("kind", "day", "start", "end", "zh", "en"),
    [
        ("custom", None, "2026-11-20", "2026-11-01", "早于开始日期", "before the first"),
        ("custom", None, "2025-01-01", "2026-11-26", f"最长 {MAX_DAYS} 天", f"at most {MAX_DAYS}"),
        ("custom", None, None, "2026-11-01", "开始和结束日期", "first and the last day"),
        ("custom", None, "2026-11-01", "not a date", "开始和结束日期", "first and the last day"),
        ("daily", None, None, None, "请选择日期", "Choose a date"),
        ("monthly", "2026-02-30", None, None, "请选择日期", "Choose a date"),
        ("weekly", "0001-01-01", None, None, "请选择日期", "Choose a date"),
        ("yearly", "2026-11-26", None, None, "报表类型", "report type"),
    ],
)
def test_rp007_bad_dates_are_a_clear_message_not_a_crash(kind, day, start, end, zh, en):
    for lang, expected in (("zh", zh), ("en", en)):
        choice = rp.choose_period(kind, day, start, end, lang)
        assert choice.period is None and expected in choice.error, choice.error
        line = as_json(rp.period_line(choice, lang)[0])
        assert line["props"]["data-state"] == "error"
    too_long = rp.choose_period("custom", None, "2025-01-01", "2026-11-26", "zh").error
    assert "695 天" in too_long


def test_rp008_period_and_progress_in_words():
    november = Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert rp.period_text(november, "zh") == "2026-11-01 至 2026-11-30，共 30 天"
    assert rp.period_text(november, "en") == "2026-11-01 to 2026-11-30, 30 days"
    one = Period(dt.date(2026, 11, 25), dt.date(2026, 11, 25))
    assert rp.period_text(one, "zh") == "2026-11-25，共 1 天"
    assert rp.progress_values(3, 5, "no-such-step", "zh") == (3, 5, "正在生成… 3/5 步")
    assert rp.progress_values(9, 5, "", "en") == (5, 5, "Making… step 5 of 5")
    assert rp.progress_values(-1, 0, "", "zh")[:2] == (0, 1)
    if "report.step.layout" in TABLE:  # a step with a label is named after the count
        assert rp.progress_values(6, 6, "layout", "zh")[2].endswith(t("report.step.layout", "zh"))
    assert rp.size_text(2_000, "zh") == "2 KB" and rp.size_text(3 * 1024 * 1024, "en") == "3.0 MB"


# ----------------------------------------------------------------- the job
GOOD = {"scope": "320100", "kind": "monthly", "day": "2026-11-26", "start": None, "end": None,
        "map_kpi": "cameras_online_rate", "report_lang": "zh", "fmt": "pdf"}  # fmt: skip


def run(settings, make, lang="zh", **changes):
    """Run the job with a stand-in ``make``; return (download, message JSON, progress told)."""
    from pages.reports import produce

    told = []
    download, message = produce(settings, **{**GOOD, **changes}, lang=lang, tell=told.append,
                                make=make)  # fmt: skip
    return download, as_json(message), told


def test_rp009_the_job_makes_the_file_in_a_fresh_context_and_names_it(dash_app, demo_settings,
                                                                       demo_ctx):  # fmt: skip
    calls = []

    def make(ctx, *, scope, period, fmt, allowed, lang, map_kpi, progress):
        calls.append((ctx, scope, period, fmt, allowed, lang, map_kpi))
        for done in range(1, 6):
            progress(done, 5, "done" if done == 5 else "x")
        return b"%PDF-1.7 fake", f"cityops_{scope.code}_{period.slug()}_{lang}.{fmt}"

    download, message, told = run(demo_settings, make)
    ctx, scope, period, fmt, allowed, lang, kpi = calls[0]
    assert isinstance(ctx, Context) and ctx is not demo_ctx  # never the server's connections
    assert scope.code == "320100" and allowed.code == "320000"
    assert period == Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert (fmt, lang, kpi) == ("pdf", "zh", "cameras_online_rate")
    assert download["filename"] == "cityops_320100_2026-11_zh.pdf"
    assert download["base64"] and base64.b64decode(download["content"]) == b"%PDF-1.7 fake"
    assert download["type"] == "application/pdf"
    assert message["props"]["data-filename"] == "cityops_320100_2026-11_zh.pdf"
    assert "已生成 cityops_320100_2026-11_zh.pdf" in message["props"]["children"]["props"][
        "children"]  # fmt: skip
    assert [v[0] for v in told] == [0, 1, 2, 3, 4, 5] and told[3][2].startswith("正在生成… 3/5 步")


def _raises(exc):
    def make(*_, **__):
        raise exc

    return make


@pytest.mark.parametrize(
    ("exc", "fmt", "key", "level"),
    [
        (ScopeDenied("scope 320100 is outside the permitted area 320106"), "pdf", "denied",
         logging.WARNING),
        (QueryTimeout("a read ran past 20 s"), "xlsx", "timeout", logging.ERROR),
        (RuntimeError("Chromium not found at /usr/bin/chromium"), "pdf", "chromium",
         logging.ERROR),
        (RuntimeError("Chromium not found at /usr/bin/chromium"), "html", "chromium",
         logging.ERROR),
        (RuntimeError("something else"), "xlsx", "failed", logging.ERROR),
        (KeyError("cameras_total"), "pdf", "failed", logging.ERROR),
    ],
)  # fmt: skip
def test_rp010_a_failure_is_one_translated_line_and_one_log_line(
    dash_app, demo_settings, caplog, exc, fmt, key, level
):
    caplog.set_level(logging.INFO, logger="pages.reports")
    for lang in ("zh", "en"):
        caplog.clear()
        download, message, _ = run(demo_settings, _raises(exc), lang=lang, fmt=fmt)
        assert download is None
        assert message["props"]["data-state"] == "error"
        text = message["props"]["children"][0]["props"]["children"]
        assert text == t(f"reports.error.{key}", lang, code="320100")
        assert "Traceback" not in text and "Error" not in text
        records = [
            r for r in caplog.records if r.name == "pages.reports" and r.levelno >= logging.INFO
        ]
        assert [r.levelno for r in records] == [level], caplog.text
        assert not records[0].exc_info


def test_rp011_bad_choices_never_reach_the_maker(dash_app, demo_settings):
    def make(*_, **__):
        raise AssertionError("make was called")

    _, message, told = run(demo_settings, make, kind="custom", start="2026-11-20", end="2026-11-01")
    assert message["props"]["data-state"] == "error" and not told
    for change in ({"fmt": "docx"}, {"map_kpi": "nope"}, {"report_lang": "fr"}):
        download, message, _ = run(demo_settings, make, **change)
        assert download is None
        assert t("reports.error.bad_choice", "zh") in json.dumps(message, ensure_ascii=False)
    _, message, _ = run(demo_settings, make, scope="999999")
    assert t("reports.error.scope", "zh", code="999999") in json.dumps(message, ensure_ascii=False)


# ----------------------------------------------------------------- the page
def render(dash_app, **params) -> dict:
    import dash

    layout = next(p["layout"] for p in dash.page_registry.values() if p["path"] == "/reports")
    with request_as(dash_app, "/reports"):
        return as_json(layout(**params))


def test_rp012_the_page_preselects_the_urls_area_and_says_why_it_cannot(dash_app, demo_ctx):
    tree = render(dash_app, scope="320100", kind="monthly", date="2026-11-26")
    assert by_id(tree, ids.REPORTS_SCOPE)["value"] == "320100"
    assert "2026-11-01 至 2026-11-30，共 30 天" in texts(
        {"type": "Div", "props": by_id(tree, ids.REPORTS_PERIOD)}
    )
    assert len(by_id(tree, ids.REPORTS_SCOPE)["options"]) > 40

    plain = render(dash_app)
    assert by_id(plain, ids.REPORTS_SCOPE)["value"] == "320000"
    assert by_id(plain, ids.REPORTS_KIND)["value"] == "daily"

    cell = demo_ctx.geo.grid_cells("320102")[0]  # a grid cell reports as its district
    assert by_id(render(dash_app, scope=cell), ids.REPORTS_SCOPE)["value"] == "320102"

    for bad in ({"scope": "999999"}, {"scope": ["320100", "320200"]}, {"date": "2026-13-40"}):
        states = [p.get("data-state") for _, p in walk(render(dash_app, **bad))]
        assert "not-found" in states, bad


def test_rp013_the_page_shows_only_the_permitted_areas(dash_app, demo_ctx, monkeypatch):
    gulou = demo_ctx.geo.scope("320106")
    monkeypatch.setattr(Context, "allowed_scope", lambda self: gulou)
    tree = render(dash_app, scope="320106")
    assert [o["value"] for o in by_id(tree, ids.REPORTS_SCOPE)["options"]] == ["320106"]
    states = [p.get("data-state") for _, p in walk(render(dash_app, scope="320100"))]
    assert "denied" in states


def test_rp014_the_button_is_a_background_callback_with_progress_and_cancel(dash_app,
                                                                            demo_settings):  # fmt: skip
    from dash import DiskcacheManager

    import pages.reports as page

    deps = signed_client(dash_app).get("/_dash-dependencies").get_json()
    spec = next(cb for cb in deps if [i["id"] for i in cb["inputs"]] == [ids.REPORTS_MAKE])
    assert spec["background"]["interval"] == 500
    running = json.dumps(spec["running"])
    for id_ in (ids.REPORTS_MAKE, ids.REPORTS_CANCEL, ids.REPORTS_PROGRESS_WRAP):
        assert id_ in running
    server_side = next(cb for cb in dash_app.callback_map.values()
                       if [i["id"] for i in cb["inputs"]] == [ids.REPORTS_MAKE])  # fmt: skip
    background = server_side["background"]
    assert isinstance(background["manager"], DiskcacheManager)
    # the cache of the app's own store (another app made later in this test process re-runs
    # the page module for its store; the callbacks stay the first app's)
    assert background["manager"].handle.directory == str(page.cache_dir(demo_settings))
    progress = [(o.component_id, o.component_property) for o in background["progress"]]
    assert (ids.REPORTS_PROGRESS_LABEL, "children") in progress
    assert [c["id"] for c in background["cancel"]] == [ids.REPORTS_CANCEL]
    assert page.cache_dir(demo_settings).is_dir()
    assert page.cache_dir(demo_settings).is_relative_to(demo_settings.data_dir)


def test_rp015_the_forms_inputs_are_checked_before_any_job(dash_app, demo_ctx, monkeypatch):
    import pages.reports  # noqa: F401 -- declares the rules
    from cityops.web import _RULES

    def check(id_: str, prop: str, value) -> None:
        _RULES[(id_, prop)](value)

    with request_as(dash_app, "/"):
        check(ids.REPORTS_SCOPE, "value", "320102")
        check(ids.REPORTS_MAKE, "n_clicks", 1)
        check(ids.REPORTS_FORMAT, "value", "xlsx")
        # Dash polls a running job with every input and state sent empty
        for id_, prop in [(ids.REPORTS_SCOPE, "value"), (ids.REPORTS_MAKE, "n_clicks"),
                          (ids.REPORTS_KIND, "value"), (ids.REPORTS_DAY, "date"),
                          (ids.REPORTS_KPI, "value"), (ids.REPORTS_LANG, "value"),
                          (ids.REPORTS_FORMAT, "value"), (ids.REPORTS_STATE, "data")]:  # fmt: skip
            check(id_, prop, None)
        for id_, prop, value in [
            (ids.REPORTS_SCOPE, "value", "999999"),
            (ids.REPORTS_SCOPE, "value", ""),
            (ids.REPORTS_SCOPE, "value", {"a": 1}),
            (ids.REPORTS_MAKE, "n_clicks", -1),
            (ids.REPORTS_MAKE, "n_clicks", "1"),
            (ids.REPORTS_KIND, "value", "yearly"),
            (ids.REPORTS_KPI, "value", "no_such_kpi"),
            (ids.REPORTS_LANG, "value", "fr"),
            (ids.REPORTS_FORMAT, "value", ["pdf"]),
            (ids.REPORTS_STATE, "data", {"lang": "de"}),
            (ids.REPORTS_DAY, "date", "x" * 1000),
            (ids.REPORTS_FROM, "date", "no_such_kpi"),
            (ids.REPORTS_TO, "date", "2026-02-30"),
        ]:
            with pytest.raises(BadInput):
                check(id_, prop, value)
        gulou = demo_ctx.geo.scope("320106")
        monkeypatch.setattr(Context, "allowed_scope", lambda self: gulou)
        with pytest.raises(ScopeDenied):
            check(ids.REPORTS_SCOPE, "value", "320100")


def test_rp016_the_real_maker_writes_excel_and_says_when_chromium_is_missing(
    dash_app, demo_settings, monkeypatch, caplog
):
    import io
    import zipfile

    def real(settings=demo_settings, **changes):
        from pages.reports import produce

        told = []
        download, message = produce(settings, **{**GOOD, "scope": "320102", "kind": "weekly",
                                                      "day": "2026-11-25", **changes},
                                    lang="zh", tell=told.append)  # fmt: skip
        return download, as_json(message), told

    download, message, told = real(fmt="xlsx", report_lang="en")
    assert download["filename"] == "cityops_320102_2026-11-23_2026-11-29_en.xlsx"
    book = zipfile.ZipFile(io.BytesIO(base64.b64decode(download["content"])))
    assert "xl/workbook.xml" in book.namelist()
    assert message["props"]["data-state"] == "done" and told[-1][:2] == (6, 6)

    # the job's own settings name Chromium (not the environment's)
    missing = Settings({**demo_settings.values, "chromium_path": "/nonexistent/chromium"})
    caplog.set_level(logging.INFO, logger="pages.reports")
    download, message, _ = real(missing, fmt="pdf")
    assert download is None
    assert message["props"]["children"][0]["props"]["children"] == t("reports.error.chromium")
    assert [r.levelno for r in caplog.records if r.name == "pages.reports"] == [logging.ERROR]


def test_rp020_report_slots_limit_the_jobs_at_once(tmp_path):
    from cityops.reports.slots import Busy, report_slot

    with report_slot(tmp_path, 2) as first, report_slot(tmp_path, 2) as second:
        assert {first, second} == {0, 1}
        with pytest.raises(Busy), report_slot(tmp_path, 2):
            pass
    with report_slot(tmp_path, 2) as again:  # freed when the jobs ended
        assert again == 0


def test_rp021_a_click_beyond_the_limit_is_asked_to_wait(dash_app, demo_settings):
    from cityops.reports.slots import report_slot
    from pages.reports import produce

    settings = Settings({**demo_settings.values, "report_max_jobs": 1})
    told = []
    with report_slot(settings.data_dir, 1):
        download, message = produce(settings, **{**GOOD, "scope": "320102", "kind": "weekly",
                                                 "day": "2026-11-25", "fmt": "xlsx"},
                                    lang="zh", tell=told.append)  # fmt: skip
    assert download is None
    assert as_json(message)["props"]["children"][0]["props"]["children"] == t(
        "reports.error.busy", n=1
    )


# ------------------------------------------------------------------ every area, every link
def _chosen_scope(view) -> list:
    return [n["props"].get("value") for n, _ in view.nodes
            if n["props"].get("id") == ids.REPORTS_SCOPE]  # fmt: skip


def _areas():
    from tests.walk import enabled_cities, enabled_districts

    return [None, *enabled_cities(), *[d for _, d in enabled_districts()]]


@pytest.mark.parametrize("scope", _areas(), ids=lambda s: s or "province")
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_rp030_the_page_opens_for_every_area_with_it_chosen(dash_app, scope, lang):
    from tests.walk import render

    view = render(dash_app, "/reports", lang=lang, **({"scope": scope} if scope else {}))
    assert not view.problems(), view.problems()
    assert not [m for m in view.messages() if not m.startswith("empty:")]
    assert _chosen_scope(view) == [scope or "320000"]


def test_rp031_a_grid_cell_chooses_its_district(dash_app, demo_ctx):
    from tests.walk import render

    for district in ("320102", "321302"):
        cell = demo_ctx.geo.grid_cells(district)[0]
        view = render(dash_app, "/reports", scope=cell)
        assert not view.problems()
        assert _chosen_scope(view) == [demo_ctx.geo.scope(cell).district_code]


@pytest.mark.parametrize(
    ("name", "value"),
    [("scope", "999999"), ("scope", "abc"), ("scope", "320300"), ("date", "2026-13-40")],
)
def test_rp032_a_malformed_link_is_a_clear_message(dash_app, name, value):
    from tests.walk import render

    view = render(dash_app, "/reports", **{name: value})
    assert not view.problems(), view.problems()
    said = view.messages()
    assert said and set(view.states) == {"not-found"}, said
    assert any(value in m for m in said) or name == "date", said


def test_rp033_an_area_outside_the_permitted_one_is_denied(dash_app, demo_ctx, monkeypatch):
    from tests.walk import render

    gulou = demo_ctx.geo.scope("320106")
    monkeypatch.setattr(Context, "allowed_scope", lambda self: gulou)
    view = render(dash_app, "/reports", scope="320500")
    assert not view.problems()
    assert set(view.states) <= {"denied", "not-found"} and view.states
    # inside it, the form offers 鼓楼区 only
    view = render(dash_app, "/reports", scope="320106")
    options = next(n["props"].get("options") for n, _ in view.nodes
               if n["props"].get("id") == ids.REPORTS_SCOPE)  # fmt: skip
    assert [o["value"] for o in options] == ["320106"]


def test_rp020_every_report_job_has_a_cache_key_of_its_own(dash_app):
    """Two users sending the same form must never share a job's result (review F2)."""
    from pages.reports import JobManager, _manager

    manager = _manager()
    assert isinstance(manager, JobManager)
    args = ["320100", "monthly", "2026-11-26", None, None, "cameras_online_rate", "zh", "xlsx"]
    keys = {manager.build_cache_key(lambda: None, args, [], None) for _ in range(3)}
    assert len(keys) == 3 and all(len(k) == 64 for k in keys)
