"""Department files → loaders → /api/v1/kpis, against counts made by hand.

The canonical fixture rows (tests/loader_fixtures.py) sit in 玄武区 (南京), 姑苏区 (苏州)
and 宿城区 (宿迁); every expected number below is counted from them.
"""

from __future__ import annotations

import pytest

from cityops.queries.context import Context, current, install
from loaders.load import load_file
from tests.loader_fixtures import canonical
from tests.unit.test_loaders import write_variant

DAY = "2026-11-25"
ORDER = ["cameras", "video_events", "hazmat_waybills", "hazmat_tracks", "hazmat_alarms",
         "rentals", "scenic_spots", "bookings", "feedback"]  # fmt: skip


@pytest.fixture()
def hand_api(fresh_store, tmp_path, client):
    settings, storage, geo = fresh_store
    variants = ["csv-gbk-zh-title", "parquet-en", "xlsx-zh-title", "csv-utf8-en", "geojson-en",
                "xlsx-bd09-zh", "csv-gcj02", "parquet-en", "xlsx-en"]  # fmt: skip
    with storage.writer() as engine:
        for dataset, variant in zip(ORDER, variants, strict=True):
            plan = write_variant(canonical()[dataset], dataset, variant, tmp_path)
            report = load_file(engine, geo, dataset, tmp_path / plan.name, crs=plan.crs)
            assert report.quarantined == 0, (dataset, report)
    previous = current()
    install(Context(settings))
    yield lambda scope: client.get(f"/api/v1/kpis?scope={scope}&date={DAY}").get_json()["kpis"]
    install(previous)


def test_province(hand_api):
    assert hand_api("320000") == pytest.approx({
        "cameras_total": 3, "cameras_online_rate": 1 / 3, "cameras_ai": 2, "video_events_open": 2,
        "waybills_in_transit": 1, "tonnage_in_transit": 20.5, "hazmat_alarms_open": 2,
        "rentals_registered": 3, "rentals_suspected": 1, "rentals_rectify_rate": 0.5,
        "bookings_visitors": 6, "bookings_checkin_rate": 2 / 6, "peak_slot_load": 4 / 7500,
        "complaints_open": 1,
    })  # fmt: skip


def test_city_suzhou(hand_api):
    # W1 left 玄武区 but its last fix is in 姑苏区: it is counted where it is now
    assert hand_api("320500") == pytest.approx({
        "cameras_total": 1, "cameras_online_rate": 0.0, "cameras_ai": 0, "video_events_open": 0,
        "waybills_in_transit": 1, "tonnage_in_transit": 20.5, "hazmat_alarms_open": 1,
        "rentals_registered": 1, "rentals_suspected": 1, "rentals_rectify_rate": 0.0,
        "bookings_visitors": 4, "bookings_checkin_rate": 0.0, "peak_slot_load": 4 / 7500,
        "complaints_open": 1,
    })  # fmt: skip


def test_district_xuanwu(hand_api):
    assert hand_api("320102") == pytest.approx({
        "cameras_total": 1, "cameras_online_rate": 1.0, "cameras_ai": 1, "video_events_open": 1,
        "waybills_in_transit": 0, "tonnage_in_transit": 0.0, "hazmat_alarms_open": 1,
        "rentals_registered": 1, "rentals_suspected": 0, "rentals_rectify_rate": None,
        "bookings_visitors": 2, "bookings_checkin_rate": 1.0, "peak_slot_load": 2 / 8000,
        "complaints_open": 0,
    })  # fmt: skip
