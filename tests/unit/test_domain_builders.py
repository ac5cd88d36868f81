"""Pure builders of the domain pages: charts, tables, colours, crowding."""

import io

import numpy as np
import pandas as pd
import pytest

from cityops import theme
from components.charts import bars, funnel, load_heatmap, rate_bars, stacked_days
from components.tables import data_table, rows_to_xlsx


def test_rate_bars_show_percent_and_carry_keys():
    fig = rate_bars(["玄武区", "鼓楼区"], [0.5, None], ["320102", "320106"], "#0369a1",
                    selected="320106")  # fmt: skip
    bar = fig.data[0]
    assert list(bar.x) == [50.0, None]
    assert list(bar.customdata) == ["320102", "320106"]
    assert list(bar.text) == ["50.0%", "—"]
    assert bar.marker.color[1] == theme.SELECTED_BORDER


def test_bars_fade_what_a_filter_leaves_out():
    fig = bars(["3", "8"], [10, 5], ["3", "8"], ["#dc2626", "#111827"], selected="8")
    assert list(fig.data[0].marker.opacity) == [0.35, 1.0]


def test_load_heatmap_colours_by_thresholds_and_labels_real_loads():
    frame = pd.DataFrame({"name": ["A", "A", "B"], "slot": ["09:00", "10:00", "09:00"],
                          "load": [0.5, 1.3, 0.85]})  # fmt: skip
    fig = load_heatmap(frame, rows="name", cols="slot", load="load", thresholds=(0.6, 0.8),
                       accent="#4338ca", amber="#f59e0b", red="#dc2626")  # fmt: skip
    heat = fig.data[0]
    assert np.nanmax(heat.z) == 1.0  # capped for colour
    assert heat.text[0][1] == "130%"  # the label says the truth
    colours = [c for _, c in heat.colorscale]
    assert "#f59e0b" in colours and "#dc2626" in colours


def test_stacked_days_shades_weekends_and_holidays():
    # Thu 24 Sep – Tue 29 Sep 2026: 中秋节 on 25–27 (yellow); and a plain weekend in November
    days = [
        *pd.date_range("2026-09-24", "2026-09-29").date,
        *pd.date_range("2026-11-20", "2026-11-23").date,
    ]
    frame = pd.DataFrame({"day": days * 2, "kind": ["a"] * 10 + ["b"] * 10, "n": range(20)})
    fig = stacked_days(frame, x="day", y="n", colour="kind", palette=["#111", "#222"])
    shaded = {(str(s.x0)[:10], s.fillcolor) for s in fig.layout.shapes}
    assert shaded == {("2026-09-24", "#fde68a"), ("2026-09-25", "#fde68a"), ("2026-09-26", "#fde68a"),
                      ("2026-11-20", "#e5e7eb"), ("2026-11-21", "#e5e7eb")}  # fmt: skip


def test_funnel_shows_counts():
    fig = funnel(["登记", "疑似"], [100, 8], "#0f766e", ["100", "8"])
    assert list(fig.data[0].x) == [100, 8]


def test_xlsx_export_keeps_rows_as_shown_with_header_names():
    defs = [{"field": "a", "headerName": "甲"}, {"field": "b", "headerName": "乙"}]
    data = rows_to_xlsx([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}], defs)
    frame = pd.read_excel(io.BytesIO(data))
    assert list(frame.columns) == ["甲", "乙"] and list(frame["甲"]) == [1, 2]
    assert pd.read_excel(io.BytesIO(rows_to_xlsx([], defs))).empty


def test_data_table_holds_only_the_listed_columns():
    frame = pd.DataFrame({"unit_id": ["R1"], "landlord_phone": ["139****1234"], "secret": ["x"]})
    table = data_table("t", frame, ["unit_id", "landlord_phone"], "zh")
    grid = table.children[0]
    assert grid.rowData == [{"unit_id": "R1", "landlord_phone": "139****1234"}]


@pytest.mark.parametrize(("cls", "colour"), [("3", "#dc2626"), ("2.2", "#16a34a"), ("1.4", "#f97316"),
                                             ("8", "#111827"), ("x", "#94a3b8")])  # fmt: skip
def test_hazard_colours_follow_the_placards(cls, colour):
    assert theme.hazard_colour(cls) == colour


def test_crowding_thresholds():
    from cityops.theme import crowding

    assert [crowding(v) for v in (None, 0.59, 0.6, 0.79, 0.8, 1.3)] == [
        "ok", "ok", "busy", "busy", "full", "full"]  # fmt: skip


OWN_COLOURS = [
    "pages/hazmat.py",
    "pages/rentals.py",
    "pages/tourism.py",
    "components/charts.py",
    "components/tables.py",
    "components/kpi.py",
    "components/domain.py",
    "components/hazmat.py",
    "components/hazmat_layers.py",
    "components/playback.py",
    "components/rentals.py",
    "components/tourism.py",
]


@pytest.mark.parametrize("path", OWN_COLOURS)
def test_colours_live_in_the_theme(path):
    """Pages and builders name colours from cityops.theme; none writes one of its own."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / path).read_text(encoding="utf-8")
    literal = re.compile(r"#[0-9a-fA-F]{3,8}\b|\brgba?\(|\b(?:white|black)\b(?=[\"'])")
    assert not literal.findall(text), f"{path} writes colours itself; name them in cityops/theme.py"
