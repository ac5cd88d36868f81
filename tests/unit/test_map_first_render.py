"""What the maps send with the page, so the first paint is quick and a KPI switch is local.

- the overview's map carries every KPI's classes (the same colours the one-KPI hideout
  gives), every KPI's legend and title, and no server callback answers its KPI switch;
- the video page's first layout holds the frame, the cards and the map, no chart and
  no table (plotly.js and the grid stay off the first paint); one callback draws them;
- the index HTML names the data a page's map will fetch (``<link rel=preload>``), the
  same URLs the layout asks for.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import plotly.utils
import pytest

from cityops import ids, theme
from cityops.queries.kpis import KPI_NAMES
from components.choropleth import all_kpis_hideout, choropleth_hideout, kpi_legends
from tests.conftest import REPO, request_as, signed_client
from tests.walk import DAY, View, render, server_callbacks, walk


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
        assert shown["breaks"] == one["breaks"], kpi
    legends = kpi_legends(every, "zh")
    assert sorted(legends) == sorted(frame.columns)


def test_mf002_every_colour_the_maps_use_comes_from_the_theme():
    """The browser's style functions hold no colour: the hideouts bring them all."""
    every = all_kpis_hideout(
        pd.DataFrame({"cameras_total": [1]}, index=["320102"]), kpi="cameras_total", names={},
        lang="zh",
    )  # fmt: skip
    for key in ("nodata", "disabled", "disabledBorder", "outlineFill", "border", "selectedBorder"):
        assert re.fullmatch(r"#[0-9a-f]{6}", every[key]), key
    from components.video import camera_hideout

    cameras = camera_hideout(None, "zh")
    assert cameras["colors"] == theme.STATUS and cameras["clusterColors"] == theme.CLUSTER_COLOURS
    script = (REPO / "assets" / "cityops.js").read_text(encoding="utf-8")
    assert not re.findall(r"#[0-9a-fA-F]{3,8}\b", script), "a colour written in cityops.js"


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
    deps = signed_client(dash_app).get("/_dash-dependencies").get_json()
    assert not [n for n in server_callbacks(dash_app) if n.startswith(f"{ids.OV_KPI_SELECT}.")]
    switch = [d for d in deps if any(i["id"] == ids.OV_KPI_SELECT for i in d["inputs"])]
    assert [d.get("clientside_function") for d in switch] == [
        {"namespace": "cityops", "function_name": "switchKpi"}
    ]


def _types(tree) -> set[str]:
    return {node["type"] for node, _ in walk(tree)}


@pytest.mark.parametrize("scope", ["320100", "320102"])
def test_mf005_the_video_layout_is_the_map_and_cards_and_one_callback_brings_the_rest(
    dash_app, client, scope
):
    view = render(dash_app, "/video", scope=scope, date=DAY)
    assert "Graph" not in _types(view.tree) and "AgGrid" not in _types(view.tree)
    assert view.cards and any(n["type"] == "GeoJSON" for n, _ in view.nodes)
    state = next(n["props"]["data"] for n, _ in view.nodes if n["props"].get("id") == "video-state")
    drawn = next(n["props"] for n, _ in view.nodes if n["props"].get("id") == "video-drawn")
    assert drawn.get("data") is None  # the panels wait for the map's cameras
    body = {
        "output": "video-panel-data.data",
        "outputs": {"id": "video-panel-data", "property": "data"},
        "inputs": [{"id": "video-state", "property": "data", "value": state}],
        "changedPropIds": ["video-state.data"],
        "state": [],
    }
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    out = response.get_json()["response"]["video-panel-data"]["data"]
    panels = View("/video", {}, {"type": "Div", "namespace": "dash_html_components",
                                  "props": {"children": [out["side"], out["events"]]}})  # fmt: skip
    assert not panels.problems(), panels.problems()
    assert "Graph" in _types(panels.tree) and "AgGrid" in _types(panels.tree)
    assert "video-by-department" in json.dumps(panels.tree)


def test_mf009_a_view_without_cameras_on_its_map_shows_its_panels_at_once(dash_app):
    for params in ({}, {"scope": "320100", "department": "no-such-department"}):
        view = render(dash_app, "/video", date=DAY, **params)
        drawn = next(n["props"] for n, _ in view.nodes if n["props"].get("id") == "video-drawn")
        assert drawn.get("data") == "no-points", params


def test_mf006_a_camera_view_draws_its_card_in_the_layout(dash_app, demo_ctx):
    from tests.walk import rows

    camera = rows(demo_ctx, "select camera_id from cameras order by 1")[0][0]
    view = render(dash_app, "/video", scope="320100", date=DAY, camera=camera)
    assert view.entity == camera
    assert not view.problems(), view.problems()
    assert not [
        n for n, _ in view.nodes if n["props"].get("id") in ("video-panels", "video-events")
    ]


def _preloads(client, url: str) -> list[str]:
    page = client.get(url).get_data(as_text=True)
    return re.findall(r'<link rel="preload" href="([^"]+)" as="fetch"', page)


def test_mf007_the_page_preloads_what_its_map_fetches(dash_app, client):
    links = _preloads(client, "/video?scope=320100&department=%E6%B0%B4%E5%8A%A1")
    view = render(dash_app, "/video", scope="320100", department="水务", date=DAY)
    urls = {n["props"].get("url") for n, _ in view.nodes if n["type"] == "GeoJSON"}
    assert [u.replace("&amp;", "&") for u in links] == [
        "/api/v1/geo/320100/children.geojson",
        next(u for u in urls if u and "cameras.pbf" in u),
    ]
    assert _preloads(client, "/?scope=320102") == ["/api/v1/geo/320102/children.geojson"]
    for bad in ("/video?scope=999999", "/video?scope=320100&scope=320200", "/?scope=abc"):
        assert _preloads(client, bad) == [], bad
    tree = json.dumps(view.tree, cls=plotly.utils.PlotlyJSONEncoder)
    assert "cameras.pbf" in tree


def test_mf008_the_panels_wait_marked_loading_and_a_failure_says_so(dash_app, monkeypatch):
    """Placeholders carry ``data-dash-is-loading`` (whoever waits for the page waits for
    the panels); a failing query gives an error state with a retry, not a trace."""
    import pages.video as page
    from cityops.queries import video as vq

    view = render(dash_app, "/video", scope="320100", date=DAY)
    pending = [n for n, _ in view.nodes if n["props"].get("data-dash-is-loading") == "true"]
    assert len(pending) == 5  # four charts beside the map, the events below

    def broken(*args, **kwargs):
        raise RuntimeError("the store went away")

    monkeypatch.setattr(vq, "online_by_department", broken)
    state = {"scope": "320100", "date": DAY, "lang": "zh", "department": None, "camera": None}
    with request_as(dash_app, "/"):
        out = page.panels(state)  # the decorator returns the function itself
    tree = json.loads(json.dumps(out["side"], cls=plotly.utils.PlotlyJSONEncoder))
    states = [n["props"].get("data-state") for n, _ in walk(tree)]
    assert "error" in states and out["events"] == []
    assert "320100" in json.dumps(tree)  # the retry link names the view
