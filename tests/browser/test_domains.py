"""Hazmat, rentals and tourism pages in a real browser; KPI cards of every page vs the API."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest

from tests.browser.conftest import api_get, click_area, click_shape, kpi_values, settle, shot

pytestmark = pytest.mark.browser
DAY = "2026-11-25"


def params(page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def wait_view(page, name: str, scope: str, entity: str = "") -> None:
    page.wait_for_selector(f'.{name}-page[data-scope="{scope}"][data-entity="{entity}"]',
                           timeout=20_000)  # fmt: skip
    settle(page)


def cards_match_api(page, server, scope) -> int:
    api = api_get(f"{server}/api/v1/kpis?scope={scope}&date={DAY}").json()["kpis"]
    cards = kpi_values(page)
    for name, raw in cards.items():
        assert (raw == "") == (api[name] is None), name
        if raw:
            assert float(raw) == pytest.approx(api[name]), name
    return len(cards)


def click_bar(page, graph_id: str, index: int = 0) -> None:
    bar = page.locator(f"#{graph_id} g.point path").nth(index)
    bar.wait_for()
    box = bar.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def download(page, tmp_path, table: str, label: str = "下载 Excel"):
    with page.expect_download() as info:
        page.locator(f'[data-table="{table}"]').get_by_role("button", name=label).click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    return path


@pytest.mark.parametrize("path", ["/", "/video", "/hazmat", "/rentals", "/tourism"])
@pytest.mark.parametrize("scope", ["320000", "320100", "320102", "321300"])
def test_dm001_every_kpi_card_equals_the_api(page, server, path, scope):
    page.goto(f"{server}{path}?scope={scope}&date={DAY}")
    page.wait_for_selector(f'[data-scope="{scope}"][data-kpi], [data-scope="{scope}"] [data-kpi]',
                           timeout=20_000)  # fmt: skip
    assert cards_match_api(page, server, scope) >= 3


def test_hz001_drill_filter_download_and_track_playback(page, server, tmp_path):
    page.goto(f"{server}/hazmat?date={DAY}")
    wait_view(page, "hazmat", "320000")
    shot(page, "hz001-province")
    click_area(page, "320500")
    wait_view(page, "hazmat", "320500")
    assert page.locator(".breadcrumb").inner_text().strip().endswith("苏州市")
    # cross-filter: a hazard class bar filters the alarms and waybills tables
    click_bar(page, "hazmat-by-class")
    page.wait_for_function("location.search.includes('hazard_class=')", timeout=20_000)
    wait_view(page, "hazmat", "320500")
    chosen = params(page)["hazard_class"]
    classes = page.locator('[data-table="hazmat-in-transit"] [col-id="hazard_class"].ag-cell')
    assert set(classes.all_inner_texts()) == {chosen}
    shot(page, "hz001-filtered")
    excel = pd.read_excel(download(page, tmp_path, "hazmat-in-transit"))
    assert set(excel["危险类别"].astype(str)) == {chosen}
    assert all(re.fullmatch(r"苏.·.\*+", p) for p in excel["车牌"]), "plates must be masked"
    # a single vehicle: open the first waybill in transit, replay its track
    page.locator('[data-table="hazmat-in-transit"] .ag-row').first.click()
    page.wait_for_function("location.search.includes('waybill=')", timeout=20_000)
    waybill = params(page)["waybill"]
    wait_view(page, "hazmat", params(page)["scope"], waybill)
    page.wait_for_selector("#hazmat-playback")
    before = page.locator("#hazmat-now").inner_text()
    slider = page.locator("#hazmat-slider .rc-slider-rail, #hazmat-slider [role='slider']").first
    box = page.locator("#hazmat-slider").bounding_box()
    page.mouse.click(box["x"] + 12, box["y"] + box["height"] / 2)
    page.wait_for_function(
        "(before) => document.querySelector('#hazmat-now').innerText !== before", arg=before
    )
    assert slider and page.locator("#hazmat-now").inner_text() != before
    shot(page, "hz001-waybill-track")
    page.go_back()  # back to the filtered city view
    wait_view(page, "hazmat", "320500")
    assert params(page)["hazard_class"] == chosen


def test_hz002_playback_shows_a_waybills_alarms_once_the_slider_has_passed_them(page, server):
    page.goto(f"{server}/hazmat?scope=320100&date={DAY}")
    wait_view(page, "hazmat", "320100")
    page.locator('[data-table="hazmat-open-alarms"] .ag-row').first.click()
    page.wait_for_function("location.search.includes('waybill=')", timeout=20_000)
    waybill = params(page)["waybill"]
    wait_view(page, "hazmat", params(page)["scope"], waybill)
    page.wait_for_selector("#hazmat-playback")
    alarms = set(
        page.locator(
            '[data-table="hazmat-waybill-alarms"] [col-id="alarm_id"].ag-cell'
        ).all_inner_texts()
    )
    assert alarms, "an open alarm's waybill lists it"
    shown = (
        "() => Array.from(document.querySelectorAll('path[data-entity^=\"AL\"]'))"
        ".map(e => e.dataset.entity)"
    )
    # the slider starts at the last fix: every alarm raised on the way is on the map
    page.wait_for_function(f"(n) => ({shown})().length === n", arg=len(alarms))
    assert set(page.evaluate(shown)) == alarms
    shot(page, "hz002-playback-end")
    # back near the departure: only alarms raised by then stay
    before = page.locator("#hazmat-now").inner_text()
    box = page.locator("#hazmat-slider").bounding_box()
    page.mouse.click(box["x"] + 2, box["y"] + box["height"] / 2)
    page.wait_for_function(
        "(before) => document.querySelector('#hazmat-now').innerText !== before", arg=before
    )
    settle(page)
    assert set(page.evaluate(shown)) <= alarms


def test_rt001_drill_open_a_flat_masked_and_download(page, server, tmp_path):
    page.goto(f"{server}/rentals?date={DAY}")
    wait_view(page, "rentals", "320000")
    click_area(page, "320100")
    wait_view(page, "rentals", "320100")
    shot(page, "rt001-city")
    click_area(page, "320115")  # 江宁区
    wait_view(page, "rentals", "320115")
    text = page.locator('[data-table="rentals-suspected"]').inner_text()
    assert re.search(r"1\d\d\*\*\*\*\d{4}", text), "phones are masked"
    csv = pd.read_csv(download(page, tmp_path, "rentals-suspected", "下载 CSV"))
    assert csv.shape[0] > 0 and csv["房东电话"].astype(str).str.contains(r"\*\*\*\*").all()
    page.locator('[data-table="rentals-suspected"] .ag-row').first.click()
    page.wait_for_function("location.search.includes('unit=')", timeout=20_000)
    unit = params(page)["unit"]
    wait_view(page, "rentals", params(page)["scope"], unit)
    card = page.locator("#rentals-unit").inner_text()
    assert unit in card and "****" in card and "*" in card
    shot(page, "rt001-unit")
    page.go_back()
    wait_view(page, "rentals", "320115")


def test_tr001_drill_filter_by_spot_open_its_slots(page, server, tmp_path):
    page.goto(f"{server}/tourism?date={DAY}")
    wait_view(page, "tourism", "320000")
    click_area(page, "320500")
    wait_view(page, "tourism", "320500")
    shot(page, "tr001-suzhou")
    page.locator("#tourism-spot").click()
    page.get_by_role("option", name="拙政园").click()
    page.wait_for_function("location.search.includes('spot=SZ001')", timeout=20_000)
    assert len(params(page)["scope"]) == 15  # a spot opens at its own grid cell
    wait_view(page, "tourism", params(page)["scope"], "SZ001")
    assert "拙政园" in page.locator("#tourism-spot-card").inner_text()
    slots = page.locator(
        '[data-table="tourism-slots"] [col-id="slot_start"].ag-cell'
    ).all_inner_texts()
    assert slots and all(re.fullmatch(r"\d\d:00", s) for s in slots)
    excel = pd.read_excel(download(page, tmp_path, "tourism-slots"))
    assert len(excel) == len(slots)
    shot(page, "tr001-spot")
    # a spot clicked on the map opens at its grid cell (the last step of the drill path)
    page.goto(f"{server}/tourism?scope=320500&date={DAY}")
    wait_view(page, "tourism", "320500")
    click_shape(page, 'path[data-entity="SZ006"]')  # 周庄古镇, away from the old town's spots
    page.wait_for_function("location.search.includes('spot=SZ006')", timeout=20_000)
    assert len(params(page)["scope"]) == 15  # its grid cell
    page.go_back()
    wait_view(page, "tourism", "320500")
