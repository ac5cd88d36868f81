"""The wall (大屏): its rotation state machine, its pure builders and what its pages read.

The browser side (fit, sizes, live refresh, interrupt, freshness, banners) is in
``tests/browser/test_wall.py``; here every rule is checked without a browser.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from dash import html

from cityops import rotation, theme
from cityops.queries import scope_kpis
from cityops.queries import wall as wq
from cityops.queries.kpis import KPI_BY_NAME
from cityops.web import BadInput
from components import wall as w
from tests.conftest import request_as
from tests.unit.test_hazmat_components import texts, tree, walk

T = dt.datetime(2026, 11, 25, 10, 0, 0)
PAGES = ["overview", "video", "hazmat", "tourism"]


def alarm(key: str, severity: int = 3, kind: str = "hazmat_alarm", **extra) -> dict:
    return {"key": key, "kind": kind, "severity": severity, "ts": T.isoformat(), "lon": 118.8,
            "lat": 32.05, "label": "speeding", "subject": "苏A·1****",
            "district_code": "320102", **extra}  # fmt: skip


# --------------------------------------------------------------------- rotation
def test_wl001_rotation_waits_its_time_then_turns_in_order_and_wraps():
    s = rotation.start(PAGES, [], T)
    assert rotation.page(s) == "overview"
    s = rotation.step(s, [], T + dt.timedelta(seconds=10), rotate_s=30, hold_s=20)
    assert rotation.page(s) == "overview"  # not due yet
    order = []
    for i in range(1, 6):
        s = rotation.step(s, [], T + dt.timedelta(seconds=30 * i), rotate_s=30, hold_s=20)
        order.append(rotation.page(s))
    assert order == ["video", "hazmat", "tourism", "overview", "video"]


def test_wl002_alarms_present_at_start_are_seen_and_never_interrupt():
    s = rotation.start(PAGES, [alarm("hazmat:A1")], T)
    s = rotation.step(s, [alarm("hazmat:A1")], T + dt.timedelta(seconds=5), rotate_s=30, hold_s=20)
    assert s["alert"] is None and s["queue"] == []


def test_wl003_a_new_severity_3_alarm_holds_its_page_then_rotation_resumes():
    s = rotation.start(PAGES, [], T)
    now = T + dt.timedelta(seconds=5)
    s = rotation.step(s, [alarm("hazmat:A2")], now, rotate_s=30, hold_s=20)
    assert s["alert"]["key"] == "hazmat:A2" and rotation.page(s) == "hazmat"
    # held: no rotation however long the page was due
    held = rotation.step(s, [alarm("hazmat:A2")], now + dt.timedelta(seconds=19), rotate_s=5,
                         hold_s=20)  # fmt: skip
    assert rotation.page(held) == "hazmat" and held["alert"]
    after = rotation.step(held, [], now + dt.timedelta(seconds=31), rotate_s=30, hold_s=20)
    assert after["alert"] is None and rotation.page(after) == "tourism"


def test_wl004_severity_2_reaches_the_ticker_only_and_video_events_turn_to_video():
    s = rotation.start(PAGES, [], T)
    s = rotation.step(s, [alarm("hazmat:B", 2)], T + dt.timedelta(seconds=2), rotate_s=30,
                      hold_s=20)  # fmt: skip
    assert s["alert"] is None and rotation.page(s) == "overview"
    s = rotation.step(s, [alarm("video:E", 3, "video_event")], T + dt.timedelta(seconds=4),
                      rotate_s=30, hold_s=20)  # fmt: skip
    assert rotation.page(s) == "video"


def test_wl005_nothing_is_missed_two_alarms_queue_oldest_first_and_show_in_turn():
    s = rotation.start(PAGES, [], T)
    newest_first = [alarm("hazmat:N2"), alarm("hazmat:N1")]
    s = rotation.step(s, newest_first, T + dt.timedelta(seconds=1), rotate_s=30, hold_s=10)
    assert s["alert"]["key"] == "hazmat:N1" and [q["key"] for q in s["queue"]] == ["hazmat:N2"]
    s = rotation.step(s, newest_first, T + dt.timedelta(seconds=12), rotate_s=30, hold_s=10)
    assert s["alert"]["key"] == "hazmat:N2" and s["queue"] == []


def test_wl006_an_alarm_whose_page_is_not_rotated_is_held_where_the_wall_is():
    s = rotation.start(["overview", "rentals"], [], T)
    s = rotation.step(s, [alarm("hazmat:C")], T + dt.timedelta(seconds=1), rotate_s=30, hold_s=9)
    assert s["alert"]["key"] == "hazmat:C" and rotation.page(s) == "overview"


def test_wl007_the_seen_list_is_bounded():
    s = rotation.start(PAGES, [], T)
    items = [alarm(f"hazmat:{i}", 1) for i in range(rotation.SEEN_LIMIT + 50)]
    s = rotation.step(s, items, T + dt.timedelta(seconds=1), rotate_s=30, hold_s=9)
    assert len(s["seen"]) == rotation.SEEN_LIMIT


# --------------------------------------------------------------------- builders
def test_wl010_ages_and_durations_read_coarsely_in_both_languages():
    assert w.fmt_age(3, "zh") == "刚刚" and w.fmt_age(190, "zh") == "3 分钟前"
    assert w.fmt_age(7300, "en") == "2 h ago" and w.fmt_age(None, "en") == "No data yet"
    assert w.fmt_duration(3 * 3600 + 5 * 60, "zh") == "3 小时 5 分"
    assert w.fmt_delta(21, "count", "zh") == "+21" and w.fmt_delta(-0.013, "rate", "zh") == "−1.3%"
    assert w.fmt_delta(None, "count", "zh") == ""


def card(kpi="hazmat_alarms_open", value=9, delta=2, basis="yesterday"):
    return {"kpi": kpi, "domain": KPI_BY_NAME[kpi].domain, "unit": KPI_BY_NAME[kpi].unit,
            "value": value, "previous": None if delta is None else value - delta,
            "previous_at": None, "basis": basis, "delta": delta}  # fmt: skip


FRESH = {"age_s": 190, "last_write": "2026-11-25T09:57:00", "stale": False}


def test_wl011_a_card_carries_its_kpi_value_and_big_number_and_reads_the_change_by_its_sense():
    node = tree(w.kpi_card(card(), FRESH, "zh", T))
    props = node["props"]
    assert props["data-kpi"] == "hazmat_alarms_open" and props["data-value"] == "9"
    numbers = [p for p in walk(node) if "data-kpi-number" in p]
    assert len(numbers) == 1 and numbers[0]["children"] == "9"
    classes = " ".join(p.get("className", "") for p in walk(node))
    assert "is-worse" in classes  # more open alarms than yesterday
    assert "较昨日" in texts(node) and "+2" in texts(node) and "更新于 3 分钟前" in texts(node)
    better = tree(w.kpi_card(card("cameras_online_rate", 0.95, 0.01), FRESH, "en", T))
    assert "is-better" in " ".join(p.get("className", "") for p in walk(better))


def test_wl012_no_comparison_is_said_not_drawn_as_zero():
    node = tree(w.kpi_card(card(delta=None, basis="none"), FRESH, "zh", T))
    assert "暂无对比" in texts(node) and "▲" not in texts(node) and "▼" not in texts(node)


def test_wl013_a_stale_panel_greys_and_says_when_it_was_last_good():
    stale = {"age_s": 4000, "last_write": "2026-11-25T08:53:00", "stale": True}
    node = tree(w.kpi_card(card(), stale, "zh", T))
    assert "is-stale" in node["props"]["className"]
    line = [p for p in walk(node) if p.get("data-stale") == "1"]
    assert line and "08:53" in line[0]["children"]


def test_wl014_a_panel_is_as_stale_as_its_stalest_source():
    fresh = [
        {"dataset": "hazmat_tracks", "age_s": 30, "last_write": "x", "stale": False},
        {"dataset": "hazmat_alarms", "age_s": 900, "last_write": "y", "stale": True},
        {"dataset": "cameras", "age_s": 9999, "last_write": "z", "stale": True},
    ]
    got = w.page_freshness(fresh, ("hazmat_tracks", "hazmat_alarms"))
    assert got == {"age_s": 900, "last_write": "y", "stale": True}
    assert w.page_freshness(fresh, ("rentals",))["stale"] is False
    fresh[1]["stale"] = False  # all fresh: as recent as the newest source
    assert w.page_freshness(fresh, ("hazmat_tracks", "hazmat_alarms"))["age_s"] == 30
    from cityops.queries.kpis import KPI_SOURCES, KPIS

    assert set(KPI_SOURCES) == {k.name for k in KPIS}


def test_wl015_ticker_and_alert_show_data_as_text_with_stable_keys():
    hostile = alarm("hazmat:X", subject="<img src=x onerror=alert(1)>")
    node = tree(html.Div(w.ticker([hostile], {"320102": "玄武区"}, "zh")))
    items = [p for p in walk(node) if "data-alarm-key" in p]
    assert items[0]["data-alarm-key"] == "hazmat:X" and items[0]["data-severity"] == "3"
    assert any("<img src=x onerror=alert(1)>" in t for t in texts(node))  # a string: React text
    assert "dangerouslySetInnerHTML" not in json.dumps(node)
    assert texts(tree(w.ticker([], {}, "en")[0])) == ["No new high-severity alarms"]
    assert w.alert_card(None, 0, {}, "zh", T) == []
    held = tree(w.alert_card(hostile, 2, {"320102": "玄武区"}, "zh", T)[0])
    assert held["props"]["data-alarm-key"] == "hazmat:X" and "另有 2 条严重告警待显示" in texts(
        held
    )


def test_wl016_the_map_labels_every_area_and_only_the_worst_grid_cells():
    districts = {"container": "320100", "level": "district", "kpi": "hazmat_alarms_open",
                 "values": {"320102": 2.0, "320104": 0.0}}  # fmt: skip
    h = w.area_hideout(districts, page="hazmat", names={"320102": "玄武区"}, lang="zh")
    assert h["allLabels"] is True and h["labelCodes"] is None
    assert set(h["colors"]) <= set(theme.wall_ramp("hazmat")) | {theme.WALL_RAMP_START}
    cells = {f"88309{i:03d}fffff": float(i % 3) for i in range(40)}
    h = w.area_hideout({"container": "320102", "level": "grid", "kpi": "rentals_suspected",
                        "values": cells}, page="rentals", names={}, lang="zh")  # fmt: skip
    assert len(h["labelCodes"]) == 10 and all(cells[c] > 0 for c in h["labelCodes"])


def test_wl017_the_held_alarm_is_drawn_on_the_map_in_severity_red():
    points = w.points_geojson(w.alert_point(alarm("hazmat:Z")))
    assert points["features"][0]["properties"] == {"id": "hazmat:Z", "group": "alert"}
    assert w.points_hideout("hazmat")["colors"]["alert"] == theme.SEVERITY[3]
    assert w.fly_to(alarm("hazmat:Z"), (118, 31, 119, 33))["transition"] == "flyTo"
    assert "bounds" in w.fly_to(None, (118, 31, 119, 33))


# --------------------------------------------------------------------- the page's rules
@pytest.fixture()
def pw(dash_app):
    """The wall's page module (Dash pages register once the app exists)."""
    from pages import wall

    return wall


def test_wl020_only_changed_panels_are_sent(pw):
    panels = {"cards": ["a"], "ticker": ["b"]}
    send, sigs = pw.changed(panels, {})
    assert set(send) == {"cards", "ticker"}
    send, _ = pw.changed({"cards": ["a"], "ticker": ["c"]}, sigs)
    assert set(send) == {"ticker"}


@pytest.mark.parametrize(
    "config",
    [
        None,
        {"pages": ["overview"], "rotate": 30, "refresh": 5, "scope": "320100"},
        {"pages": ["evil"], "rotate": 30, "refresh": 5, "scope": "320100", "lang": "zh"},
        {"pages": [], "rotate": 30, "refresh": 5, "scope": "320100", "lang": "zh"},
        {"pages": ["overview"], "rotate": "30", "refresh": 5, "scope": "320100", "lang": "zh"},
        {"pages": ["overview"], "rotate": 30, "refresh": 5, "scope": "x" * 50, "lang": "zh"},
    ],
)
def test_wl021_a_tampered_configuration_is_refused_before_the_callback(pw, config):
    with pytest.raises(BadInput):
        pw.check_config(config)


def test_wl022_a_tampered_state_is_refused(pw):
    good = rotation.start(PAGES, [], T)
    pw.check_state(good)
    for bad in ({**good, "index": 9}, {**good, "pages": ["x"]}, {**good, "seen": "x"}, []):
        with pytest.raises(BadInput):
            pw.check_state(bad)


# --------------------------------------------------------------------- what the pages read
@pytest.fixture()
def wall_ctx(demo_ctx):
    return demo_ctx


@pytest.mark.parametrize("page", list(wq.WALL_PAGES))
@pytest.mark.parametrize("code", [None, "320100", "320102", "321302"])
def test_wl030_every_page_reads_for_the_province_a_city_and_districts(wall_ctx, page, code):
    ctx = wall_ctx
    scope, allowed = ctx.geo.scope(code), ctx.allowed_scope()
    day, now = dt.date(2026, 11, 25), dt.datetime(2026, 11, 25, 10, 30)
    cards = wq.page_cards(ctx, page=page, scope=scope, allowed=allowed, day=day, now=now)
    truth = scope_kpis(ctx, scope=scope, day=day, allowed=allowed).iloc[0]
    for c in cards:  # one KPI definition: the wall's number is the analyst page's
        expected = truth[c["kpi"]]
        assert (c["value"] is None and pd.isna(expected)) or c["value"] == pytest.approx(expected)
    areas = wq.page_areas(ctx, page=page, scope=scope, allowed=allowed, day=day)
    assert set(areas["values"]) == set(ctx.geo.child_codes(ctx.geo.map_container(scope)[0]))
    problems = wq.page_problems(ctx, page=page, scope=scope, allowed=allowed, day=day, areas=areas)
    assert len(problems) <= wq.PROBLEM_ROWS
    trend = wq.page_trend(ctx, page=page, scope=scope, allowed=allowed, day=day, areas=areas)
    assert all(len(v) == len(trend["x"]) for v in trend["series"].values())
    points = wq.page_points(ctx, page=page, scope=scope, allowed=allowed, day=day, now=now)
    json.dumps([cards, areas, problems, trend, points])  # plain values only


def test_wl031_the_ticker_holds_high_severity_items_of_the_scope_only(wall_ctx):
    ctx = wall_ctx
    now = dt.datetime(2026, 11, 25, 10, 30)
    allowed = ctx.allowed_scope()
    everything = wq.ticker_items(ctx, scope=ctx.geo.scope(None), allowed=allowed,
                                 day=now.date(), now=now)  # fmt: skip
    assert all(i["severity"] >= wq.TICKER_SEVERITY for i in everything)
    assert len({i["key"] for i in everything}) == len(everything)
    nanjing = wq.ticker_items(ctx, scope=ctx.geo.scope("320100"), allowed=allowed,
                              day=now.date(), now=now)  # fmt: skip
    located = [i for i in nanjing if i.get("district_code")]
    assert all(i["district_code"].startswith("3201") for i in located)
    assert {i["key"] for i in nanjing} <= {i["key"] for i in everything}


def test_wl032_freshness_names_every_dataset_with_its_cadence(wall_ctx):
    rows = wq.freshness(wall_ctx, allowed=wall_ctx.allowed_scope(), now=dt.datetime.now())
    from cityops.datasets import DATASETS

    assert {r["dataset"] for r in rows} == set(DATASETS)
    assert all(r["cadence_s"] == wall_ctx.settings.cadence(r["dataset"]) for r in rows)


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"pages": "nope"}, "不存在"),
        ({"rotate": "abc"}, "rotate"),
        ({"rotate": "1"}, "rotate"),
        ({"refresh": "9999"}, "refresh"),
        ({"scope": "999999"}, "999999"),
        ({"scope": ["320100", "320500"]}, "scope"),
    ],
)
def test_wl040_a_bad_link_gets_a_message_not_a_wall(pw, dash_app, params, says):
    with request_as(dash_app, "/wall"):
        node = tree(pw.layout(**params))
    assert "wall-message" in node["props"]["className"]
    assert any(says in t for t in texts(node)), texts(node)


def test_wl041_the_wall_comes_up_for_its_scope_and_a_tick_sends_only_what_changed(pw, dash_app):
    with request_as(dash_app, "/wall"):
        root = pw.layout(scope="320100", refresh="5", rotate="30", lang="en")
        node = tree(root)
        assert node["props"]["data-wall-page"] == "overview"
        assert node["props"]["data-scope"] == "320100"
        config = next(p["data"] for p in walk(node) if p.get("id") == "wall-config")
        state = next(p["data"] for p in walk(node) if p.get("id") == "wall-state")
        out = pw.tick(1, state, config)
    assert len(out) == len(pw.PANELS) + 4
    sent = dict(zip(pw.PANELS, out[: len(pw.PANELS)], strict=True))
    from dash import no_update

    # nothing changed in the store between the layout and the tick: the panels stay
    # (cards and lists say their age in minutes, so a minute boundary may resend them)
    unchanged = [k for k, v in sent.items() if v is no_update]
    assert {"areas", "trend", "page", "title", "dots", "legend", "viewport"} <= set(unchanged)
    assert out[-4] == "" and out[-3] == "wall-banner"  # no banner
    assert out[-1]["last_ok"]


def test_wl042_a_store_that_stops_answering_keeps_the_panels_under_a_banner(
    pw, dash_app, monkeypatch
):
    with request_as(dash_app, "/wall"):
        node = tree(pw.layout(scope="320100"))
        config = next(p["data"] for p in walk(node) if p.get("id") == "wall-config")
        state = next(p["data"] for p in walk(node) if p.get("id") == "wall-state")

        def down(*_a, **_k):
            raise ConnectionError("store at 10.0.0.5 is gone")

        monkeypatch.setattr(pw.wq, "ticker_items", down)
        out = pw.tick(2, state, config)
    from dash import no_update

    assert all(v is no_update for v in out[: len(pw.PANELS)])
    assert "数据源无响应" in out[-4] and "is-on" in out[-3]
    assert "10.0.0.5" not in out[-4]  # the reason is logged, not shown
    assert out[-1] is no_update  # the last good state is kept


# --------------------------------------------------------------------- every area
from tests.walk import cells_with_rows, enabled_cities, enabled_districts  # noqa: E402

WALL_PAGE_NAMES = list(wq.WALL_PAGES)
#: Every area once, each district on one page in turn (every page sees a fifth of them),
#: the province and each city on every page.
WALL_AREAS = (
    [(p, None) for p in WALL_PAGE_NAMES]
    + [(p, c) for c in enabled_cities() for p in WALL_PAGE_NAMES]
    + [
        (WALL_PAGE_NAMES[i % len(WALL_PAGE_NAMES)], d)
        for i, (_, d) in enumerate(enabled_districts())
    ]
)


def _wall(pw, dash_app, **params) -> dict:
    with request_as(dash_app, "/wall"):
        return tree(pw.layout(**params))


@pytest.mark.parametrize(("page", "scope"), WALL_AREAS, ids=lambda v: str(v))
def test_wl050_every_wall_page_comes_up_for_every_area(pw, dash_app, page, scope):
    node = _wall(pw, dash_app, pages=page, scope=scope, lang="en")
    props = node["props"]
    assert "wall-message" not in props["className"], texts(node)
    assert props["data-wall-page"] == page and props["data-scope"] == (scope or "320000")
    numbers = [p for p in walk(node) if "data-kpi-number" in p]
    assert len(numbers) == len(wq.WALL_PAGES[page].cards)


def test_wl051_grid_cells_with_and_without_rows_and_unknown_ids(pw, dash_app, demo_ctx):
    with_rows = cells_with_rows(demo_ctx)["video"]
    district, cells = next(iter(sorted(with_rows.items())))
    empty = sorted(set(demo_ctx.geo.grid_cells(district)) - set(cells))[0]
    for i, cell in enumerate((cells[0], empty)):
        node = _wall(pw, dash_app, pages=WALL_PAGE_NAMES[i * 2], scope=cell)
        assert node["props"]["data-scope"] == cell, texts(node)
    import h3

    beijing = h3.latlng_to_cell(39.9, 116.4, 8)  # a grid cell, but not of Jiangsu
    for bad in (beijing, "320199", "<script>", "3201O2", "310000"):
        node = _wall(pw, dash_app, scope=bad)
        assert "wall-message" in node["props"]["className"]
        assert not any("Traceback" in t for t in texts(node))


def test_wl023_a_configuration_naming_an_area_outside_the_users_is_refused(
    pw, demo_ctx, monkeypatch
):
    from cityops.geo import ScopeDenied
    from cityops.queries.context import Context

    config = {"pages": ["overview"], "rotate": 30, "refresh": 5, "scope": "320100", "lang": "zh"}
    pw.check_config(config)
    gulou = demo_ctx.geo.scope("320106")
    monkeypatch.setattr(Context, "allowed_scope", lambda self: gulou)
    with pytest.raises(ScopeDenied):
        pw.check_config(config)
    with pytest.raises(BadInput):
        pw.check_config({**config, "scope": "999999"})


def test_wl024_every_panel_names_the_datasets_it_reads():
    from cityops.datasets import DATASETS

    for spec in wq.WALL_PAGES.values():
        for sources in (wq.PROBLEM_SOURCES[spec.problems], wq.TREND_SOURCES[spec.trend]):
            assert sources and set(sources) <= set(DATASETS)
