"""Pure builders of the hazmat page: map layers, the track playback, charts, tables, card.

Hand-made frames in, components out: no store, no context, no app.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import plotly
import pytest

from cityops import theme
from components import hazmat as hz
from components.hazmat_layers import alarm_layer, track_layers, vehicle_features, vehicle_layer
from components.playback import PlaybackIds, playback, playback_data, slider_marks, track_focus

IDS = PlaybackIds.of("hazmat")


def tree(component) -> dict:
    """Return a component as the JSON the browser gets."""
    return json.loads(json.dumps(component.to_plotly_json(), cls=plotly.utils.PlotlyJSONEncoder))


def walk(node):
    """Yield the props of every component in a JSON tree."""
    if isinstance(node, list):
        for child in node:
            yield from walk(child)
    elif isinstance(node, dict) and "props" in node:
        yield node["props"]
        yield from walk(node["props"].get("children"))


def texts(node) -> list[str]:
    """Return every text child in a JSON tree, in order."""
    out: list[str] = []
    if isinstance(node, str):
        out.append(node)
    elif isinstance(node, list):
        for child in node:
            out += texts(child)
    elif isinstance(node, dict) and "props" in node:
        out += texts(node["props"].get("children"))
    return out


def states(node) -> list[str]:
    return [p["data-state"] for p in walk(tree(node)) if "data-state" in p]


VEHICLES = pd.DataFrame(
    {
        "waybill_id": ["WB1", "WB2", "WB3"],
        "vehicle_plate": ["苏A·1****", "苏E·2****", "苏N·3****"],
        "hazard_class": ["3", "8", "3"],
        "cargo_name": ["汽油", "硫酸", "<b>柴油</b>"],
        "tonnage": [20.0, 12.5, 8.25],
        "lon": [118.8, 120.6, 118.3],
        "lat": [32.0, 31.3, 33.9],
        "ts": pd.to_datetime(["2026-11-25 09:00", "2026-11-25 09:30", "2026-11-25 10:00"]),
        "district_code": ["320102", "320505", "321302"],
        "grid_cell": ["c1", "c2", "c3"],
    }
)
TRACK = pd.DataFrame(
    {
        "ts": pd.date_range("2026-11-25 09:00", periods=4, freq="min"),
        "lon": [118.70, 118.72, 118.74, 118.76],
        "lat": [32.10, 32.11, 32.12, 32.13],
        "speed_kmh": [40.0, None, 61.4, 55.0],
    }
)
ALARMS = pd.DataFrame(
    {
        "alarm_id": ["AL1", "AL2"],
        "ts": pd.to_datetime(["2026-11-25 09:01:20", "2026-11-25 09:02:20"]),
        "alarm_type": ["speeding", "speeding"],
        "severity": [3, 1],
        "status": ["open", "closed"],
        "lon": [118.72, 118.75],
        "lat": [32.11, 32.125],
    }
)


# ------------------------------------------------------------------ map layers
def test_hl001_vehicles_are_points_at_lon_lat_labelled_by_class_cargo_and_masked_plate():
    features = vehicle_features(VEHICLES)
    assert [f["geometry"]["coordinates"] for f in features] == [[118.8, 32.0], [120.6, 31.3],
                                                                [118.3, 33.9]]  # fmt: skip
    assert features[0]["properties"] == {"id": "WB1", "hazard_class": "3",
                                         "label": "3 · 汽油 · 苏A·1****"}  # fmt: skip
    # data text stays text: the browser draws the label as a text node
    assert features[2]["properties"]["label"] == "3 · <b>柴油</b> · 苏N·3****"


def test_hl002_vehicle_layer_colours_come_from_the_theme_through_hideout():
    layer = vehicle_layer(VEHICLES, selected="WB2", layer_id="hazmat-vehicles")
    assert layer.id == "hazmat-vehicles"
    assert layer.pointToLayer == {"variable": "cityops.points.point"}
    h = layer.hideout
    assert h["colorBy"] == "hazard_class"
    assert h["colors"] == {"3": theme.HAZARD_CLASS["3"], "8": theme.HAZARD_CLASS["8"]}
    assert h["selected"] == "WB2"
    assert h["border"] == theme.VEHICLE_BORDER
    assert h["selectedBorder"] == theme.SELECTED_BORDER
    assert h["pane"] == "entities"
    assert len(layer.data["features"]) == 3


def test_hl003_no_vehicles_is_an_empty_layer():
    layer = vehicle_layer(VEHICLES.iloc[0:0], selected=None, layer_id="v")
    assert layer.data == {"type": "FeatureCollection", "features": []}
    assert layer.hideout["colors"] == {}


def test_hl004_alarm_layer_colours_by_severity_as_text_keys():
    layer = alarm_layer("hazmat-passed")
    assert layer.data["features"] == []
    assert layer.hideout["colorBy"] == "severity"
    assert layer.hideout["border"] == theme.POINT_BORDER  # white rim: the JS draws none unasked
    assert layer.hideout["colors"] == {"1": theme.SEVERITY[1], "2": theme.SEVERITY[2],
                                       "3": theme.SEVERITY[3]}  # fmt: skip


def test_hl005_track_layers_route_grey_driven_part_in_placard_colour_vehicle_at_the_end():
    points = [[32.1, 118.7], [32.2, 118.8]]
    route, done, here, passed = track_layers(
        points, hazard_class="8", done_id="d", here_id="h", passed_id="p"
    )
    assert route.color == theme.TRACK_ROUTE and route.positions == points
    assert done.id == "d" and done.color == theme.HAZARD_CLASS["8"] and done.positions == points
    assert here.id == "h" and here.center == [32.2, 118.8]
    assert here.color == theme.TRACK_VEHICLE_EDGE and here.fillColor == theme.TRACK_VEHICLE_FILL
    assert passed.id == "p" and passed.data["features"] == []


# -------------------------------------------------------------------- playback
def test_pb001_ids_keep_the_page_prefix():
    assert PlaybackIds("hazmat-slider", "hazmat-track", "hazmat-done", "hazmat-here",
                              "hazmat-passed", "hazmat-now", "hazmat-playback") == IDS  # fmt: skip


def test_pb002_playback_data_points_are_lat_lon_times_epoch_labels_with_speed():
    data = playback_data(TRACK, ALARMS, "zh")
    assert data["points"] == [[32.10, 118.70], [32.11, 118.72], [32.12, 118.74], [32.13, 118.76]]
    start = int(dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC).timestamp())
    assert data["times"] == [start, start + 60, start + 120, start + 180]
    assert data["labels"] == ["11-25 09:00:00  40 km/h", "11-25 09:01:00  0 km/h",
                              "11-25 09:02:00  61 km/h", "11-25 09:03:00  55 km/h"]  # fmt: skip
    assert data["alarms"][0] == {"id": "AL1", "t": start + 80, "pos": [32.11, 118.72],
                                 "severity": 3, "text": "超速 (高)"}  # fmt: skip
    assert playback_data(TRACK, ALARMS, "en")["alarms"][1]["text"] == "speeding (Low)"


def test_pb003_slider_marks_show_both_ends_and_each_alarm_at_its_nearest_fix():
    marks = slider_marks(playback_data(TRACK, ALARMS, "zh"))
    assert marks[0] == "09:00" and marks[3] == "09:03"
    # AL1 at 09:01:20 is nearest the fix of 09:01; AL2 at 09:02:20 nearest 09:02
    assert marks[1] == {"label": "!", "style": {"color": theme.SEVERITY[3], "fontWeight": 700}}
    assert marks[2] == {"label": "!", "style": {"color": theme.SEVERITY[1], "fontWeight": 700}}
    # an alarm at the last fix takes its mark
    late = ALARMS.assign(ts=pd.to_datetime(["2026-11-25 09:01:20", "2026-11-25 09:02:59"]))
    assert slider_marks(playback_data(TRACK, late, "zh"))[3]["label"] == "!"


def test_pb004_playback_starts_at_the_last_fix_with_the_map_fitted_to_the_track():
    out = playback(TRACK, ALARMS, hazard_class="3", ids=IDS, lang="zh")
    assert [getattr(o, "id", None) for o in out.overlays] == [None, "hazmat-done", "hazmat-here",
                                                              "hazmat-passed"]  # fmt: skip
    props = {p.get("id"): p for p in walk(tree(out.panel)) if p.get("id")}
    assert set(props) >= {"hazmat-playback", "hazmat-track", "hazmat-slider", "hazmat-now"}
    slider = props["hazmat-slider"]
    assert (slider["min"], slider["max"], slider["value"], slider["step"]) == (0, 3, 3, 1)
    assert props["hazmat-track"]["data"]["labels"][-1] == "11-25 09:03:00  55 km/h"
    assert out.focus == pytest.approx((118.69, 32.09, 118.77, 32.14))
    assert track_focus(TRACK, pad=0) == pytest.approx((118.70, 32.10, 118.76, 32.13))


def test_pb005_a_waybill_without_fixes_says_so_and_adds_nothing_to_the_map():
    out = playback(TRACK.iloc[0:0], ALARMS, hazard_class="3", ids=IDS, lang="en")
    assert out.overlays == [] and out.focus is None
    assert states(out.panel) == ["empty"]
    assert "No GPS fixes for this waybill yet" in texts(tree(out.panel))


def test_pb006_one_fix_is_a_track_too():
    out = playback(TRACK.iloc[:1], ALARMS.iloc[0:0], hazard_class="2.1", ids=IDS, lang="zh")
    slider = next(p for p in walk(tree(out.panel)) if p.get("id") == "hazmat-slider")
    assert slider["max"] == 0 and slider["marks"] == {"0": "09:00"}


# ------------------------------------------------------------- selector, charts
def test_hz001_class_selector_lists_all_then_classes_in_numeric_order():
    options = hz.class_selector("c", "3", "zh").options
    assert options[0] == {"label": "全部", "value": ""}
    values = [o["value"] for o in options[1:]]
    assert values == sorted(theme.HAZARD_CLASS, key=hz.class_order)
    assert values[:3] == ["1", "2.1", "2.2"] and values[-1] == "9"
    assert hz.class_chip(None, "zh") is None
    assert hz.class_chip("3", "en").children.startswith("3 ")


def test_hz002_tonnage_bars_in_placard_colours_and_a_click_names_the_class():
    tonnage = pd.DataFrame({"hazard_class": ["3", "8"], "waybills": [2, 1],
                            "tonnage": [28.25, 12.5]})  # fmt: skip
    graph = hz.tonnage_chart(tonnage, selected="8", lang="zh", graph_id="hazmat-by-class")
    assert graph.id == "hazmat-by-class"
    bar = graph.figure.data[0]
    assert list(bar.customdata) == ["3", "8"]
    assert list(bar.marker.color) == [theme.HAZARD_CLASS["3"], theme.HAZARD_CLASS["8"]]
    assert list(bar.marker.opacity) == [0.35, 1.0]
    empty = hz.tonnage_chart(tonnage.iloc[0:0], selected=None, lang="zh", graph_id="g")
    assert states(empty) == ["empty"]


COUNTS = pd.DataFrame(
    {
        "alarm_type": ["speeding", "speeding", "fatigue", "route_deviation"],
        "severity": [3, 3, 2, 1],
        "status": ["open", "closed", "acknowledged", "open"],
        "alarms": [4, 2, 5, 1],
    }
)


def test_hz003_alarms_by_type_sum_over_severity_and_status_fewest_first():
    bar = hz.alarm_type_chart(COUNTS, "zh").figure.data[0]
    assert list(bar.customdata) == ["route_deviation", "fatigue", "speeding"]
    assert list(bar.x) == [1, 5, 6]
    assert set(bar.marker.color) == {theme.ALARM_TYPE_BAR}
    assert states(hz.alarm_type_chart(COUNTS.iloc[0:0], "zh")) == ["empty"]


def test_hz004_alarms_by_severity_red_amber_blue_while_open_grey_once_closed():
    bar = hz.alarm_severity_chart(COUNTS, "zh").figure.data[0]
    keys = list(bar.customdata)
    colours = dict(zip(keys, bar.marker.color, strict=True))
    assert colours == {"1-open": theme.SEVERITY[1], "2-acknowledged": theme.SEVERITY[2],
                       "3-closed": theme.STATUS["offline"], "3-open": theme.SEVERITY[3]}  # fmt: skip
    assert "高 · 未处理" in list(bar.y)


# ---------------------------------------------------------------------- tables
OPEN = pd.DataFrame(
    {
        "alarm_id": ["AL9"],
        "ts": pd.to_datetime(["2026-11-25 08:15"]),
        "open_hours": [2.3],
        "alarm_type": ["speeding"],
        "severity": [3],
        "status": ["acknowledged"],
        "vehicle_plate": ["苏A·1****"],
        "waybill_id": ["WB1"],
        "district_code": ["320102"],
    }
)


def test_hz005_open_alarms_table_in_words_with_district_names_input_untouched():
    before = OPEN.copy()
    table = hz.open_alarms_table(OPEN, name="hazmat-open-alarms", lang="zh",
                                 name_of={"320102": "玄武区"}.get)  # fmt: skip
    pd.testing.assert_frame_equal(OPEN, before)
    grid = table.children[0]
    assert [c["field"] for c in grid.columnDefs] == hz.OPEN_ALARM_COLUMNS
    assert grid.rowData == [{"severity": "高", "ts": "2026-11-25 08:15", "open_hours": 2.3,
                             "alarm_type": "超速", "status": "已确认", "vehicle_plate": "苏A·1****",
                             "waybill_id": "WB1", "district_code": "玄武区",
                             "alarm_id": "AL9"}]  # fmt: skip
    assert grid.getRowId == "params.data.alarm_id"
    assert grid.dashGridOptions["rowSelection"]["mode"] == "singleRow"
    assert states(hz.open_alarms_table(OPEN.iloc[0:0], name="t", lang="zh", name_of=str)) == [
        "empty"
    ]


def test_hz006_transit_table_shows_position_time_and_district_names():
    table = hz.transit_table(VEHICLES, name="hazmat-in-transit", lang="en",
                             name_of=lambda c: f"<{c}>")  # fmt: skip
    grid = table.children[0]
    assert [c["field"] for c in grid.columnDefs] == hz.TRANSIT_COLUMNS
    assert grid.rowData[0]["position_at"] == "2026-11-25 09:00"
    assert grid.rowData[1]["district_code"] == "<320505>"
    assert "position_at" not in VEHICLES  # the input frame is left as it was
    assert table.to_plotly_json()["props"]["data-table"] == "hazmat-in-transit"


WAYBILL = pd.Series(
    {
        "waybill_id": "WB1",
        "status": "in_transit",
        "hazard_class": "2.3",
        "un_number": "1017",
        "cargo_name": "氯",
        "tonnage": 24.9,
        "vehicle_plate": "苏A·3****",
        "carrier": "南京危运物流有限公司",
        "origin_name": "南京江北新材料科技园",
        "dest_name": "南京市客户11",
        "depart_at": pd.Timestamp("2026-11-25 09:00"),
        "arrive_at": pd.NaT,
    }
)


def test_hz007_waybill_card_has_a_placard_dot_outlined_so_white_placards_show():
    card = tree(hz.waybill_card(WAYBILL, lang="zh", panel_id="hazmat-waybill"))
    assert card["props"]["id"] == "hazmat-waybill"
    dot = next(p for p in walk(card) if p.get("className") == "status-dot")
    assert dot["style"] == {"background": theme.HAZARD_CLASS["2.3"],
                            "border": f"1px solid {theme.PLACARD_EDGE}"}  # fmt: skip
    words = texts(card)
    assert "运单 WB1" in words and "在途" in words and "24.9 吨" in words
    assert "2026-11-25 09:00" in words and "—" in words  # not arrived yet


def test_hz008_waybill_alarms_panel_in_time_order_or_empty():
    panel = tree(hz.waybill_alarms_panel(ALARMS, name="hazmat-waybill-alarms", lang="zh"))
    grid = next(p for p in walk(panel) if "rowData" in p)
    assert [r["alarm_id"] for r in grid["rowData"]] == ["AL1", "AL2"]
    assert [r["status"] for r in grid["rowData"]] == ["未处理", "已关闭"]
    assert states(hz.waybill_alarms_panel(ALARMS.iloc[0:0], name="x", lang="zh")) == ["empty"]


def test_hz009_tables_ask_each_district_name_once():
    asked: list[str] = []

    def name_of(code):
        asked.append(code)
        return f"区{code}"

    many = pd.concat([OPEN] * 50, ignore_index=True).assign(
        alarm_id=[f"AL{i}" for i in range(50)], district_code=["320102", "320104"] * 25
    )
    table = hz.open_alarms_table(many, name="t", lang="zh", name_of=name_of)
    assert sorted(asked) == ["320102", "320104"]
    assert [r["district_code"] for r in table.children[0].rowData[:3]] == [
        "区320102", "区320104", "区320102"]  # fmt: skip
