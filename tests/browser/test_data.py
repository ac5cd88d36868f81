"""Data catalogue in a real browser: datasets, loads, quarantined rows of one load."""

from __future__ import annotations

import pytest

from tests.browser.conftest import api_get, shot

pytestmark = pytest.mark.browser


def test_da001_catalogue_lists_every_dataset_and_opens_a_load(page, server):
    page.goto(f"{server}/data")
    page.wait_for_selector("#data-datasets .ag-row", timeout=20_000)
    api = api_get(f"{server}/api/v1/datasets").json()["datasets"]
    shown = page.locator("#data-datasets .ag-row [col-id='dataset']").all_inner_texts()
    assert sorted(shown) == sorted(d["dataset"] for d in api)
    rows = dict(zip(shown, page.locator("#data-datasets .ag-row [col-id='rows']").all_inner_texts(),
                    strict=True))  # fmt: skip
    for d in api:
        assert int(rows[d["dataset"]]) == d["rows"]
    shot(page, "da001-catalogue")

    row = page.locator("#data-loads .ag-row", has_text="rentals.csv").first
    row.click()
    page.wait_for_selector(".data-page[data-load]:not([data-load=''])", timeout=20_000)
    assert "load=" in page.url
    page.wait_for_selector("#data-issues .ag-row", timeout=20_000)
    reasons = set(page.locator("#data-issues .ag-row [col-id='reason']").all_inner_texts())
    assert reasons <= {"missing", "outside", "type", "enum", "reference", "duplicate", "range"}
    assert reasons
    shot(page, "da001-quarantine")
    page.go_back()
    page.wait_for_selector(".data-page[data-load='']", timeout=20_000)
