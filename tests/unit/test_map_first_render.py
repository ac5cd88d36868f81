"""What the maps send with the page, so the first paint is quick and a KPI switch is local.

- the overview's map carries every KPI's classes (the same colours the one-KPI hideout
  gives), every KPI's legend and title, and no server callback answers its KPI switch;
"""

from __future__ import annotations

import pandas as pd
import pytest

from cityops import ids
from cityops.queries.kpis import KPI_NAMES
from components.choropleth import all_kpis_hideout, choropleth_hideout, kpi_legends
from tests.walk import DAY, View, render, server_callbacks


def colour_in_browser(hideout: dict, code: str) -> str:
    """Return the colour ``cityops.map.colour`` gives an area of a one-KPI hideout."""
    v = hideout["values"].get(code)
    if v is None:
        return hideout["nodata"]
    return next((c for b, c in zip(hideout["breaks"], hideout["colors"], strict=True) if v <= b),
                hideout["colors"][-1])  # fmt: skip


def test_mf001_every_kpi_hideout_colours_and_labels_as_the_one_kpi_hideout():
    frame = pd.DataFrame(
        {
            "cameras_online_rate": [0.99, 0.5, None, 0.91],
            "cameras_total": [10, 0, 0, 3],
            "tonnage_in_transit": [12.5, None, 0.0, 40000.0],
            "peak_slot_load": [1.2, 0.7, None, 0.0],
        },
        index=["320102", "320104", "320105", "320106"],
    )
    names = {"320102": "玄武区", "320104": "秦淮区", "320105": "建邺区", "320106": "鼓楼区"}
    every = all_kpis_hideout(frame, kpi="cameras_total", names=names, lang="zh")
    assert every["kpi"] == "cameras_total" and sorted(every["kpis"]) == sorted(frame.columns)
    assert every["codes"] == list(frame.index)
    for kpi in frame.columns:
        one = choropleth_hideout(frame[kpi], kpi=kpi, names=names, lang="zh")
        shown = every["kpis"][kpi]
        assert shown["colors"] == one["colors"], kpi
        for i, code in enumerate(every["codes"]):
            cls = shown["classes"][i]
            got = shown["colors"][cls] if cls >= 0 else every["nodata"]
            assert got == colour_in_browser(one, code), (kpi, code)
            text = shown["texts"][i] if shown["texts"][i] is not None else every["missing"]
            assert f"{every['names'][i]}\n{text}" == one["labels"][code], (kpi, code)
    legends = kpi_legends(frame, "zh")
    assert sorted(legends) == sorted(frame.columns)


def _hideout(view: View) -> dict:
    return next(
        n["props"]["hideout"] for n, _ in view.nodes if n["props"].get("id") == ids.OV_AREAS
    )


@pytest.mark.parametrize("scope", ["320000", "320100", "320102"])
def test_mf003_the_overview_map_carries_every_kpi_with_its_legend_and_title(dash_app, scope):
    view = render(dash_app, "/", scope=scope, date=DAY, kpi="rentals_suspected")
    hideout = _hideout(view)
    assert hideout["kpi"] == "rentals_suspected"
    assert sorted(hideout["kpis"]) == sorted(KPI_NAMES)
    n = len(hideout["codes"])
    assert all(len(k["classes"]) == len(k["texts"]) == n for k in hideout["kpis"].values())
    for kind in ("ov-legend-kpi", "ov-title-kpi"):
        shown = {n["props"]["id"]["kpi"]: n["props"].get("hidden") for n, _ in view.nodes
                 if isinstance(n["props"].get("id"), dict) and n["props"]["id"]["type"] == kind}  # fmt: skip
        assert sorted(shown) == sorted(KPI_NAMES), kind
        assert [k for k, hidden in shown.items() if not hidden] == ["rentals_suspected"], kind


def test_mf004_no_server_callback_answers_the_kpi_switch(dash_app):
    deps = dash_app.server.test_client().get("/_dash-dependencies").get_json()
    assert not [n for n in server_callbacks(dash_app) if n.startswith(f"{ids.OV_KPI_SELECT}.")]
    switch = [d for d in deps if any(i["id"] == ids.OV_KPI_SELECT for i in d["inputs"])]
    assert [d.get("clientside_function") for d in switch] == [
        {"namespace": "cityops", "function_name": "switchKpi"}
    ]
