"""Video page in a real browser: render, drill to a camera, cross-filter, download."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser.conftest import api_get, click_area, click_shape, kpi_values, settle, shot

pytestmark = pytest.mark.browser
DAY = "2026-11-25"


def params(page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def wait_view(page, scope: str, entity: str = "") -> None:
    """Wait for the view and for its panels (drawn by one callback after the map)."""
    page.wait_for_selector(f'.video-page[data-scope="{scope}"][data-entity="{entity}"]',
                           timeout=20_000)  # fmt: skip
    page.wait_for_selector(".video-page .panel-pending", state="detached", timeout=20_000)
    settle(page)


def assert_cards_match_api(page, server, scope, **filters):
    query = "".join(f"&{k}={v}" for k, v in filters.items())
    api = api_get(f"{server}/api/v1/kpis?scope={scope}&date={DAY}{query}").json()["kpis"]
    cards = kpi_values(page)
    assert cards, "no KPI cards"
    for name, raw in cards.items():
        assert (raw == "") == (api[name] is None), name
        if raw:
            assert float(raw) == pytest.approx(api[name]), name


def test_vi001_renders_and_drills_from_province_to_a_camera(page, server):
    page.goto(f"{server}/video?date={DAY}")
    wait_view(page, "320000")
    assert_cards_match_api(page, server, "320000")
    shot(page, "vi001-province")
    click_area(page, "321300")  # 宿迁市
    wait_view(page, "321300")
    page.wait_for_selector(".cluster-icon", timeout=20_000)
    click_area(page, "321302")  # 宿城区
    wait_view(page, "321302")
    assert_cards_match_api(page, server, "321302")
    page.wait_for_selector(".cluster-icon, path[data-entity]", timeout=20_000)
    # zoom into the map by clicking clusters until single cameras show, then open one
    for _ in range(8):
        if page.locator("path[data-entity]").count():
            break
        page.locator(".cluster-icon").first.click()
        settle(page)
    settle(page)  # the zoom animation has ended
    camera_id = page.locator("path[data-entity]").first.get_attribute("data-entity")
    click_shape(page, f'path[data-entity="{camera_id}"]')
    page.wait_for_selector(f'.video-page[data-entity="{camera_id}"]', timeout=20_000)
    assert params(page)["camera"] == camera_id
    assert len(params(page)["scope"]) == 15  # the camera's grid cell
    crumbs = page.locator(".breadcrumb [data-scope]").evaluate_all(
        "e => e.map(x => x.dataset.scope)"
    )
    assert crumbs[:3] == ["320000", "321300", "321302"] and crumbs[-1] == camera_id
    page.wait_for_selector("#video-camera")
    assert camera_id in page.locator("#video-camera").inner_text()
    shot(page, "vi001-camera")
    page.go_back()
    wait_view(page, "321302")


def test_vi002_department_filter_and_download(page, server, tmp_path):
    page.goto(f"{server}/video?scope=320100&date={DAY}")
    wait_view(page, "320100")
    before = page.locator(".ag-paging-row-summary-panel").inner_text()
    bar = page.locator("#video-by-department g.point path").first
    bar.wait_for()
    box = bar.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("location.search.includes('department=')", timeout=20_000)
    wait_view(page, "320100")
    department = params(page)["department"]
    assert department in page.locator(".chip").first.inner_text()
    after = page.locator(".ag-paging-row-summary-panel").inner_text()
    assert after != before  # the events table is filtered too
    # the cards follow the filter, and equal the API given the same filter
    assert_cards_match_api(page, server, "320100", department=department)
    assert department in page.locator(".kpi-note").inner_text()
    shot(page, "vi002-department")
    with page.expect_download() as download:
        page.get_by_role("button", name="下载 Excel").first.click()
    path = tmp_path / "events.xlsx"
    download.value.save_as(path)
    import pandas as pd

    frame = pd.read_excel(path)
    assert len(frame) > 0 and set(frame["部门"]) == {department}
    with page.expect_download() as csv:
        page.get_by_role("button", name="下载 CSV").first.click()
    assert csv.value.suggested_filename.endswith(".csv")


def test_vi003_the_map_comes_before_plotly_and_its_layer_is_preloaded(page, server):
    """The first paint is the map and the cards: plotly.js and the grid come once the
    cameras are drawn. The camera layer is named in the page's HTML (preload): fetched
    once, with the scripts."""
    page.add_init_script(
        """window.__first = {};
        performance.setResourceTimingBufferSize(2000);
        new MutationObserver(() => {
            for (const [k, sel] of [['map', '.leaflet-container'], ['chart', '.js-plotly-plot'],
                                    ['cameras', '.cluster-icon, path[data-entity]']]) {
                if (!(k in window.__first) && document.querySelector(sel)) {
                    window.__first[k] = performance.now();
                }
            }
        }).observe(document, {childList: true, subtree: true});"""
    )
    page.goto(f"{server}/video?scope=320100&date={DAY}")
    wait_view(page, "320100")
    page.wait_for_selector(".cluster-icon", timeout=20_000)
    page.wait_for_selector("#video-by-department .main-svg", timeout=20_000)
    first = page.evaluate("window.__first")
    resources = page.evaluate(
        "() => performance.getEntriesByType('resource').map(e => [e.name, e.startTime])"
    )
    plotly = [start for url, start in resources if "plotly.min.js" in url]
    # the charts wait until the cameras are on the map: plotly.js is asked for after
    assert plotly and plotly[0] > first["cameras"] > first["map"], (first, plotly)
    assert first["chart"] > first["cameras"]
    assert (
        page.locator(
            "#video-by-department.js-plotly-plot, #video-by-department .js-plotly-plot"
        ).count()
        == 1
    )
    assert page.locator("#video-events .ag-root").count() == 1
    pbf = [(url, start) for url, start in resources if "cameras.pbf" in url]
    assert len(pbf) == 1 and pbf[0][1] < first["map"], (pbf, first)
