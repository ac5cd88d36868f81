"""Overview in a real browser: render, drill province → city → district → cell, back up."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser.conftest import api_get, click_area, kpi_values, settle, shot

pytestmark = pytest.mark.browser
DAY = "2026-11-25"


def scope_of(page) -> str:
    return parse_qs(urlparse(page.url).query).get("scope", ["320000"])[0]


def crumbs(page) -> list[str]:
    return page.locator(".breadcrumb [data-scope]").evaluate_all(
        "els => els.map(e => e.dataset.scope)"
    )


def wait_scope(page, code: str) -> None:
    page.wait_for_selector(f'.overview[data-scope="{code}"]', timeout=20_000)
    page.wait_for_selector("path[data-area]", timeout=20_000)
    settle(page)


def test_ov001_overview_renders_province_map_and_kpis(page, server):
    page.goto(f"{server}/?date={DAY}")
    wait_scope(page, "320000")
    assert page.locator("path[data-area]").count() == 13
    enabled = page.locator('path[data-area][data-enabled="1"]').evaluate_all(
        "els => els.map(e => e.dataset.area).sort()"
    )
    assert enabled == ["320100", "320200", "320500", "320600", "321300"]
    values = kpi_values(page)
    assert len(values) == 14
    api = api_get(f"{server}/api/v1/kpis?scope=320000&date={DAY}").json()["kpis"]
    for name, raw in values.items():
        expected = api[name]
        assert (raw == "") == (expected is None), name
        if expected is not None:
            assert float(raw) == pytest.approx(expected), name
    assert page.locator(".breadcrumb").inner_text().strip() == "江苏省"
    assert page.get_by_text("南京市").first.is_visible()
    shot(page, "ov001-province")


def test_ov002_drill_city_district_cell_and_back(page, server):
    page.goto(f"{server}/?date={DAY}")
    wait_scope(page, "320000")

    click_area(page, "320100")
    wait_scope(page, "320100")
    assert scope_of(page) == "320100"
    assert crumbs(page) == ["320000", "320100"]
    assert page.locator("path[data-area]").count() == 11  # 南京's 11 districts
    shot(page, "ov002-city-nanjing")

    click_area(page, "320102")
    wait_scope(page, "320102")
    assert crumbs(page) == ["320000", "320100", "320102"]
    assert page.locator("path[data-area]").count() > 80  # 玄武's grid cells
    assert "玄武区" in page.locator(".breadcrumb").inner_text()
    shot(page, "ov002-district-xuanwu")

    cell = page.locator("path[data-area]").nth(40).get_attribute("data-area")
    click_area(page, cell)
    wait_scope(page, cell)
    assert crumbs(page) == ["320000", "320100", "320102", cell]
    assert re.search(r"网格 [0-9a-f]{7}…", page.locator(".breadcrumb").inner_text())
    shot(page, "ov002-cell")

    page.go_back()
    wait_scope(page, "320102")
    assert scope_of(page) == "320102"
    page.go_back()
    wait_scope(page, "320100")
    assert crumbs(page) == ["320000", "320100"]
    page.locator('.breadcrumb [data-scope="320000"] a').click()
    wait_scope(page, "320000")
    assert scope_of(page) == "320000"


def test_ov003_url_reproduces_a_drill_state(page, server):
    page.goto(f"{server}/?scope=320508&date={DAY}&kpi=rentals_suspected")
    wait_scope(page, "320508")
    assert crumbs(page) == ["320000", "320500", "320508"]
    assert "疑似群租" in page.locator("#ov-map-title").inner_text()
    values = kpi_values(page)
    api = api_get(f"{server}/api/v1/kpis?scope=320508&date={DAY}").json()["kpis"]
    assert int(values["rentals_suspected"]) == api["rentals_suspected"]


def test_ov004_changing_the_map_kpi_restyles_in_the_browser_without_a_request(page, server):
    page.goto(f"{server}/?scope=320100&date={DAY}")
    wait_scope(page, "320100")
    page.evaluate("window.__marker = 1")
    fills = "els => els.map(e => e.getAttribute('fill'))"
    before = page.locator("path[data-area]").evaluate_all(fills)
    legend_before = page.locator("#ov-legend").inner_text()
    shot(page, "ov004-kpi-online-rate")
    calls = []
    page.on("request", lambda r: calls.append(r.url) if "_dash-update-component" in r.url else None)
    page.locator("#ov-kpi-select").click()
    page.get_by_role("option", name="在途吨位").click()
    page.wait_for_function("document.querySelector('#ov-map-title').innerText.includes('在途吨位')")
    settle(page)
    assert page.evaluate("window.__marker") == 1  # same page, no reload
    assert "kpi=tonnage_in_transit" in page.url
    assert not calls, f"the KPI switch asked the server: {calls}"
    after = page.locator("path[data-area]").evaluate_all(fills)
    assert after != before  # the areas took the new KPI's colours
    legend = page.locator("#ov-legend").inner_text()
    assert "吨" in legend and legend != legend_before
    assert page.locator("#ov-legend .map-legend:visible").count() == 1
    assert "在线率" not in page.locator("#ov-map-title").inner_text()
    shot(page, "ov004-kpi-tonnage")
    # a drill keeps the KPI the map shows now
    click_area(page, "320102")
    wait_scope(page, "320102")
    assert "kpi=tonnage_in_transit" in page.url
    assert "在途吨位" in page.locator("#ov-map-title").inner_text()


def test_ov005_english_toggle_is_remembered(page, server):
    page.goto(f"{server}/?date={DAY}")
    wait_scope(page, "320000")
    page.locator("#lang-toggle").click()
    page.wait_for_selector("text=City Operations Centre", timeout=20_000)
    wait_scope(page, "320000")
    assert page.locator('[data-kpi="cameras_total"] .kpi-label').inner_text() == "Cameras"
    shot(page, "ov005-english")
    page.goto(f"{server}/?scope=320100&date={DAY}")
    wait_scope(page, "320100")
    assert page.get_by_text("City Operations Centre").is_visible()
    page.locator("#lang-toggle").click()
    page.wait_for_selector("text=城市运行一网统管", timeout=20_000)


def test_ov006_bad_scope_shows_a_message_not_a_trace(page, server):
    page.goto(f"{server}/?scope=999999")
    page.wait_for_selector(".message-panel", timeout=20_000)
    text = page.locator(".message-panel").inner_text()
    assert "999999" in text and "Traceback" not in text
