"""Pure builders of the rentals and tourism pages: hand-made frames in, components out."""

from __future__ import annotations

import datetime as dt

import h3
import pandas as pd

from cityops import theme
from cityops.queries.kpis import RentalRule, RentalRules
from components import rentals as rc
from components import tourism as tc
from tests.unit.test_hazmat_components import states, texts, tree, walk

# --------------------------------------------------------------------- rentals
CELL = h3.latlng_to_cell(32.05, 118.78, 7)


def test_rc001_heat_layer_reads_its_cells_by_url_coloured_by_the_kpi_classes():
    cells = pd.DataFrame({"grid_cell": [CELL], "suspected": [7]})
    url = rc.heat_layer_url("320100")
    layer = rc.heat_layer(cells, url=url, layer_id="rentals-heat", lang="zh")
    assert layer.id == "rentals-heat" and layer.interactive is False
    assert layer.url == "/api/v1/layers/rentals-heat.pbf?scope=320100"
    assert layer.format == "geobuf" and not getattr(layer, "data", None)
    assert layer.hideout["kpi"] == "rentals_suspected"
    assert layer.hideout["values"] == {CELL: 7.0}
    assert set(layer.hideout["colors"]) <= set(theme.ramp(theme.DOMAIN_ACCENT["rentals"]))


def test_rc002_rule_names_the_default_and_the_cities_that_differ():
    rules = RentalRules(RentalRule(5.0, 2.0), (("320500", RentalRule(6.0, 2.5)),))
    names = {"320500": "苏州市"}.get
    province = texts(tree_list(rc.rule_text(rules, city_code=None, lang="zh", name_of=names)))
    assert len(province) == 2 and "苏州市" in province[1] and "6" in province[1]
    nanjing = rc.rule_text(rules, city_code="320100", lang="zh", name_of=names)
    assert len(nanjing) == 1 and "5" in texts(tree_list(nanjing))[0]


def tree_list(components):
    return [tree(c) for c in components]


def test_rc003_funnel_in_the_rentals_accent_or_empty_without_units():
    stages = {"registered": 100, "suspected": 8, "ordered": 5, "rectified": 2}
    graph = rc.funnel_chart(stages, lang="zh", graph_id="rentals-funnel")
    assert graph.id == "rentals-funnel"
    assert list(graph.figure.data[0].x) == [100, 8, 5, 2]
    assert graph.figure.data[0].marker.color == theme.DOMAIN_ACCENT["rentals"]
    empty = rc.funnel_chart(dict.fromkeys(stages, 0), lang="zh", graph_id="f")
    assert states(empty) == ["empty"]


UNITS = pd.DataFrame(
    {
        "unit_id": ["R1"],
        "address": ["<img src=x onerror=alert(1)> 1号"],
        "floor_area_m2": [40.0],
        "rooms": [2],
        "occupants": [9],
        "area_per_person": [4.4],
        "per_room": [4.5],
        "inspection_status": ["rectify"],
        "district_code": ["320115"],
        "grid_cell": ["c"],
        "landlord_name": ["张*明"],
        "landlord_phone": ["139****1234"],
        "registered_at": [pd.Timestamp("2026-01-02 10:00")],
        "inspected_at": [pd.NaT],
    }
)


def test_rc004_units_table_words_and_names_without_touching_the_frame():
    before = UNITS.copy()
    table = rc.units_table(
        UNITS, name="rentals-suspected", lang="zh", name_of={"320115": "江宁区"}.get
    )
    pd.testing.assert_frame_equal(UNITS, before)
    row = table.children[0].rowData[0]
    assert row["district_code"] == "江宁区" and row["landlord_phone"] == "139****1234"
    assert row["inspection_status"] != "rectify"  # in words
    assert list(row) == rc.UNIT_COLUMNS
    assert states(rc.units_table(UNITS.iloc[0:0], name="t", lang="zh", name_of=str)) == ["empty"]


def test_rc005_unit_card_computes_area_per_person_and_names_the_district():
    card = tree(rc.unit_card(UNITS.iloc[0], lang="zh", district="江宁区", panel_id="rentals-unit"))
    words = texts(card)
    assert card["props"]["id"] == "rentals-unit"
    assert "江宁区" in words and "139****1234" in words and "—" in words  # never inspected
    dd = [p["children"] for p in walk(card) if p.get("children") in (4.4, 4.5)]
    assert dd == [4.4, 4.5]


# --------------------------------------------------------------------- tourism
SPOTS = pd.DataFrame(
    {
        "spot_id": ["S1", "S2", "S3"],
        "name": ["拙政园", "虎丘", "周庄"],
        "grade": ["5A", "5A", "5A"],
        "lon": [120.63, 120.58, 120.85],
        "lat": [31.32, 31.34, 31.11],
        "daily_capacity": [20000, 15000, 30000],
        "instant_capacity": [6000, 4000, 8000],
        "district_code": ["320508", "320508", "320583"],
        "grid_cell": ["a", "b", "c"],
        "visitors": [100, 900, 0],
        "checked_in": [80, 700, 0],
    }
)
SLOTS = pd.DataFrame(
    {
        "spot_id": ["S1", "S1", "S2"],
        "name": ["拙政园", "拙政园", "虎丘"],
        "slot_start": ["09:00", "10:00", "09:00"],
        "party": [3000, 5100, 1000],
        "instant_capacity": [6000, 6000, 4000],
        "load": [0.5, 0.85, 0.25],
    }
)


def test_tc001_crowding_from_each_spots_peak_slot_none_is_ok():
    assert tc.crowding(SPOTS, SLOTS) == ["full", "ok", "ok"]
    assert tc.crowding(SPOTS, SLOTS.iloc[0:0]) == ["ok", "ok", "ok"]


def test_tc002_spot_layer_busiest_first_coloured_by_crowding_through_hideout():
    layer = tc.spot_layer(SPOTS, SLOTS, selected="S1", layer_id="tourism-spots")
    props = [f["properties"] for f in layer.data["features"]]
    assert [p["id"] for p in props] == ["S2", "S1", "S3"]
    assert props[1] == {"id": "S1", "crowding": "full", "visitors": 100, "label": "拙政园 · 100"}
    h = layer.hideout
    assert h["colors"] == theme.CROWDING and h["border"] == theme.SPOT_BORDER
    assert h["selected"] == "S1" and h["sizeBy"] == "visitors"
    assert "crowding" not in SPOTS  # the input frame is left as it was


def test_tc003_selector_lists_all_then_spots():
    options = tc.spot_selector("tourism-spot", SPOTS, None, "en").options
    assert options[0]["value"] == "" and [o["value"] for o in options[1:]] == ["S1", "S2", "S3"]


def test_tc004_slot_heatmap_amber_and_red_from_the_theme_or_empty():
    graph = tc.slot_heatmap(SLOTS, lang="zh", graph_id="tourism-heatmap")
    colours = [c for _, c in graph.figure.data[0].colorscale]
    assert colours[0] == theme.LOAD_EMPTY
    assert theme.CROWDING["busy"] in colours and theme.CROWDING["full"] in colours
    assert states(tc.slot_heatmap(SLOTS.iloc[0:0], lang="zh", graph_id="h")) == ["empty"]


TREND = pd.DataFrame(
    {
        "visit_date": [dt.date(2026, 11, 24)] * 4 + [dt.date(2026, 11, 25)] * 4,
        "status": ["booked", "checked_in", "no_show", "cancelled"] * 2,
        "party": [10, 20, 3, 4, 11, 21, 2, 5],
    }
)


def test_tc005_trend_leaves_out_cancellations_and_keeps_status_colours_in_every_language():
    for lang in ("zh", "en"):
        fig = tc.trend_chart(TREND, lang).figure
        by_name = {trace.name: trace.marker.color for trace in fig.data}
        from cityops.text.i18n import t

        assert by_name == {t(f"booking.{s}", lang): theme.BOOKING_STATUS[s]
                           for s in ("checked_in", "booked", "no_show")}, lang  # fmt: skip
    assert states(tc.trend_chart(TREND.iloc[0:0], "zh")) == ["empty"]


def test_tc006_feedback_open_complaints_red_resolved_grey_ratings_in_the_accent():
    feedback = pd.DataFrame(
        {
            "kind": ["complaint", "complaint", "evaluation", "evaluation"],
            "status": ["open", "resolved", "resolved", "resolved"],
            "rating": [None, None, 5, 4],
            "items": [2, 3, 10, 4],
        }
    )
    bar = tc.feedback_chart(feedback, "zh").figure.data[0]
    assert list(bar.x) == [2, 3, 4, 10]
    assert list(bar.marker.color) == [theme.STATUS["fault"], theme.STATUS["offline"],
                                      tc.ACCENT, tc.ACCENT]  # fmt: skip
    assert states(tc.feedback_chart(feedback.iloc[0:0], "zh")) == ["empty"]


def test_tc007_origins_bars_in_the_accent():
    origins = pd.DataFrame({"visitor_origin": ["local", "province"], "party": [30000, 1200]})
    bar = tc.origins_chart(origins, "zh").figure.data[0]
    assert list(bar.customdata) == ["local", "province"] and set(bar.marker.color) == {tc.ACCENT}


def test_tc008_spot_card_and_slots_of_one_spot():
    row = SPOTS.iloc[0]
    card = texts(tree(tc.spot_card(row, SPOTS, lang="zh", district="姑苏区", panel_id="c")))
    assert "景区 拙政园" in card and "姑苏区" in card and "100" in card
    alone = texts(tree(tc.spot_card(row, SPOTS.iloc[1:], lang="zh", district="x", panel_id="c")))
    assert alone.count("—") == 2  # no figures for a spot absent that day
    slots = tree(tc.slots_panel(SLOTS, "S1", lang="zh", name="tourism-slots", panel_id="p"))
    grid = next(p for p in walk(slots) if "rowData" in p)
    assert [r["slot_start"] for r in grid["rowData"]] == ["09:00", "10:00"]
    assert [r["load"] for r in grid["rowData"]] == ["50.0%", "85.0%"]
    assert states(tc.slots_panel(SLOTS, "S3", lang="zh", name="t", panel_id="p")) == ["empty"]
