"""What a report says equals what the API and the pages say (issue 11)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from cityops.geo import ScopeDenied
from cityops.periods import Period
from cityops.queries.kpis import KPI_NAMES, kpi_value
from cityops.queries.periods import period_child_kpis
from cityops.reports.content import STEPS, build

NOVEMBER = Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
WEEK = Period(dt.date(2026, 11, 16), dt.date(2026, 11, 22))
NOW = dt.datetime(2026, 11, 26, 9, 0)
SCOPES = ("320102", "320100", "320000")


@pytest.fixture(scope="module")
def reports(demo_ctx):
    geo = demo_ctx.geo
    return {
        (code, lang): build(demo_ctx, scope=geo.scope(code), period=NOVEMBER,
                            allowed=geo.scope(None), lang=lang, now=NOW)
        for code in SCOPES
        for lang in ("zh", "en")
    }  # fmt: skip


@pytest.mark.parametrize("code", SCOPES)
def test_every_kpi_of_the_report_equals_the_api(client, reports, code):
    body = client.get(f"/api/v1/kpis?scope={code}&from=2026-11-01&to=2026-11-30").get_json()
    report = reports[(code, "zh")]
    assert [line.name for line in report.kpis] == list(KPI_NAMES)
    for line in report.kpis:
        assert line.value == body["kpis"][line.name], line.name
        assert line.previous == body["previous"]["kpis"][line.name], line.name
        assert line.delta == body["delta"][line.name], line.name
    # each section repeats its domain's lines, the same numbers
    for section in report.sections:
        for line in section.kpis:
            assert line.domain == section.domain
            assert line.value == body["kpis"][line.name]


@pytest.mark.parametrize("code", SCOPES)
def test_the_map_and_its_table_are_the_period_kpis_of_the_areas(demo_ctx, reports, code):
    geo = demo_ctx.geo
    report = reports[(code, "zh")]
    _, _, children, _ = period_child_kpis(demo_ctx, scope=geo.scope(code), period=NOVEMBER,
                                          allowed=geo.scope(None), now=NOW)  # fmt: skip
    table = report.map.table.frame.set_index("area")
    assert list(table.index) == list(children.index)
    for name in KPI_NAMES:
        for area in children.index:
            assert kpi_value(name, table.at[area, name]) == kpi_value(name, children.at[area, name])
    assert report.map.figure is not None


def test_cover_names_scope_period_times_and_basis(reports):
    zh = reports[("320100", "zh")]
    assert zh.title == "南京市城市运行月报"
    assert zh.subtitle == "2026年11月"
    cover = dict(zh.cover)
    assert cover["范围"] == "江苏省 › 南京市"
    assert "2026-11-01 至 2026-11-30" in cover["报告期"]
    assert "2026-10-01 至 2026-10-31" in cover["对比期"]
    assert cover["生成时间"] == "2026-11-26 09:00"
    assert "当前状态" in cover["状态指标口径"]
    en = reports[("320100", "en")]
    assert en.title == "南京市 city operations monthly report"  # area names stay Chinese
    assert "Status KPIs are the current state" in dict(en.cover)["Status KPIs"]
    assert zh.filename("pdf") == "cityops_320100_2026-11_zh.pdf"


def test_a_past_period_says_its_status_is_unrecorded(demo_ctx):
    geo = demo_ctx.geo
    report = build(demo_ctx, scope=geo.scope("320100"), period=WEEK, allowed=geo.scope(None),
                   now=NOW)  # fmt: skip
    assert report.status.basis == "unrecorded"
    assert "未被记录" in report.status_note
    assert report.kind_label == "周报"
    online = next(line for line in report.kpis if line.name == "cameras_online_rate")
    assert online.value is None and online.value_text == "—"
    # breakdowns known only as of now say so
    dept = report.sections[0].tables[0]
    assert "并非报告期末" in dept.note


@pytest.mark.parametrize("code", SCOPES)
def test_problems_are_at_most_ten_and_personal_data_is_masked(reports, code):
    report = reports[(code, "zh")]
    keys = [t.key for t in report.problems]
    assert keys == ["top.alarms", "top.online", "top.rentals", "top.slots", "top.complaints"]
    for table in report.problems:
        assert len(table.frame) <= 10, table.key
        assert table.empty  # an empty table says so
    plates = report.problems[0].frame["vehicle_plate"].dropna()
    assert all("*" in p for p in plates)  # masked at the read boundary
    online = report.problems[1].frame["cameras_online_rate"].dropna()
    assert list(online) == sorted(online)  # the worst first
    slots = report.problems[3].frame["load"]
    assert list(slots) == sorted(slots, reverse=True)
    days = report.problems[3].frame["visit_date"].map(lambda d: pd.Timestamp(d).date())
    assert days.map(lambda d: NOVEMBER.start <= d <= NOVEMBER.end).all()


def test_tables_are_typed_and_every_text_is_translated(reports):
    for (_code, lang), report in reports.items():
        tables = [report.map.table, *report.problems, *report.appendix]
        for section in report.sections:
            tables += [c.table for c in section.charts] + list(section.tables)
        for table in tables:
            assert table.title and not table.title.startswith("report."), table.key
            for column in table.columns:
                assert not column.label.startswith(("report.", "kpi.")), column.label
                values = table.frame[column.key]
                if column.kind in ("count", "number", "rate", "tonnes", "hours") and len(values):
                    assert (
                        pd.api.types.is_numeric_dtype(values)
                        or values.isna().all()
                        or (values.map(lambda v: v is None or isinstance(v, int | float)).all())
                    ), (table.key, column.key)
                if column.kind == "datetime" and len(values.dropna()):
                    assert pd.api.types.is_datetime64_any_dtype(values), (table.key, column.key)
        for key, text in report.labels.items():
            assert text and not text.startswith("report."), key
        if lang == "en":
            assert "月" not in report.subtitle


def test_progress_is_told_each_step(demo_ctx):
    geo = demo_ctx.geo
    told = []
    build(demo_ctx, scope=geo.scope("320102"), period=NOVEMBER, allowed=geo.scope(None),
          now=NOW, progress=lambda done, step: told.append((done, step)))  # fmt: skip
    assert told == list(enumerate(STEPS, start=1))


def test_a_report_outside_the_permitted_area_is_refused(demo_ctx):
    geo = demo_ctx.geo
    with pytest.raises(ScopeDenied):
        build(demo_ctx, scope=geo.scope("320100"), period=NOVEMBER, allowed=geo.scope("320500"))


def test_an_unknown_map_kpi_is_refused(demo_ctx):
    geo = demo_ctx.geo
    with pytest.raises(ValueError, match="unknown KPI"):
        build(demo_ctx, scope=geo.scope("320100"), period=NOVEMBER, allowed=geo.scope(None),
              map_kpi="nope")  # fmt: skip


@pytest.mark.parametrize("kpi", list(KPI_NAMES))
def test_the_map_can_be_coloured_by_every_kpi(demo_ctx, kpi):
    geo = demo_ctx.geo
    report = build(demo_ctx, scope=geo.scope("320100"), period=NOVEMBER, allowed=geo.scope(None),
                   map_kpi=kpi, now=NOW)  # fmt: skip
    assert report.map_kpi == kpi and report.map.figure is not None


def test_a_district_account_s_report_names_no_area_above_its_own(demo_ctx):
    geo = demo_ctx.geo
    xuanwu = geo.scope("320102")
    report = build(demo_ctx, scope=xuanwu, period=NOVEMBER, allowed=xuanwu, now=NOW)
    assert report.scope_path == "玄武区"
    assert dict(report.cover)["范围"] == "玄武区"


def test_breadcrumbs_start_at_the_user_s_own_area(demo_ctx, monkeypatch):
    from cityops.queries.context import Context
    from pages._shared import crumbs

    geo = demo_ctx.geo
    cell = geo.grid_cells("320102")[0]
    assert [s.code for s in geo.lineage(geo.scope(cell))] == ["320000", "320100", "320102", cell]
    monkeypatch.setattr(Context, "allowed_scope", lambda self: geo.scope("320102"))
    assert [c[1] for c in crumbs(demo_ctx, geo.scope(cell))] == ["320102", cell]
    monkeypatch.setattr(Context, "allowed_scope", lambda self: geo.scope("320100"))
    assert [c[2] for c in crumbs(demo_ctx, geo.scope("320102"))] == ["南京市", "玄武区"]
