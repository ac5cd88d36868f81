"""The KPI API over the demo store, and its agreement with the KPI layer."""

from cityops.clock import today
from cityops.queries.kpis import KPI_NAMES, compute_kpis, kpi_record
from tests.conftest import DEMO_NOW


def test_kpis_api_returns_all_fourteen(client):
    r = client.get("/api/v1/kpis?scope=320100&date=2026-11-25")
    assert r.status_code == 200
    body = r.get_json()
    assert body["scope"] == "320100"
    assert body["scope_name"] == "南京市"
    assert body["scope_level"] == "city"
    assert body["date"] == "2026-11-25"
    assert set(body["kpis"]) == set(KPI_NAMES)
    assert body["kpis"]["cameras_total"] > 0
    assert 0 <= body["kpis"]["cameras_online_rate"] <= 1


def test_api_equals_kpi_layer_for_district_city_province(client, demo_ctx):
    geo = demo_ctx.geo
    for code in ("320102", "320100", "320000"):
        body = client.get(f"/api/v1/kpis?scope={code}&date={DEMO_NOW.date()}").get_json()
        scope = geo.scope(code)
        frame = compute_kpis(demo_ctx.engine, geo=geo, scope=scope, day=DEMO_NOW.date(),
                             allowed=geo.scope(None), rules=demo_ctx.rules)  # fmt: skip
        assert body["kpis"] == kpi_record(frame, code)


def test_default_scope_and_date(client):
    body = client.get("/api/v1/kpis").get_json()
    assert body["scope"] == "320000"
    assert body["date"] == today().isoformat()


def test_grid_cell_scope(client, demo_ctx):
    cell = demo_ctx.geo.grid_cells("320102")[0]
    body = client.get(f"/api/v1/kpis?scope={cell}").get_json()
    assert body["scope_level"] == "grid"


def test_undefined_rates_are_null(client):
    body = client.get("/api/v1/kpis?scope=320102&date=2020-01-01").get_json()
    assert body["kpis"]["bookings_visitors"] == 0
    assert body["kpis"]["bookings_checkin_rate"] is None
    assert body["kpis"]["peak_slot_load"] is None


def test_bad_requests_get_a_clear_400(client):
    r = client.get("/api/v1/kpis?scope=999999")
    assert r.status_code == 400
    assert "999999" in r.get_json()["error"]
    r = client.get("/api/v1/kpis?scope=320300")
    assert r.status_code == 400 and "not switched on" in r.get_json()["error"]
    r = client.get("/api/v1/kpis?date=25/11/2026")
    assert r.status_code == 400 and "YYYY-MM-DD" in r.get_json()["error"]


def test_children_geojson_is_cacheable(client):
    r = client.get("/api/v1/geo/320100/children.geojson")
    assert r.status_code == 200
    assert r.mimetype == "application/geo+json"
    assert {f["id"] for f in r.get_json()["features"]} >= {"320102", "320104"}
    etag = r.headers["ETag"]
    assert client.get("/api/v1/geo/320100/children.geojson",
                      headers={"If-None-Match": etag}).status_code == 304  # fmt: skip


def test_geometry_is_sent_compressed(client):
    r = client.get("/api/v1/geo/321322/children.geojson", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers.get("Content-Encoding") == "gzip"


def test_the_rentals_heat_cells_are_closed_h3_polygons_of_the_suspected_cells(client, demo_ctx):
    import geobuf

    from cityops.queries import rentals

    geo = demo_ctx.geo
    for code in ("320000", "320100"):
        scope = geo.scope(code)
        response = client.get(f"/api/v1/layers/rentals-heat.pbf?scope={code}")
        assert response.status_code == 200
        assert response.mimetype == "application/x-protobuf"
        features = geobuf.decode(response.data)["features"]
        want = rentals.suspected_cells(
            demo_ctx, scope=scope, allowed=geo.scope(None),
            resolution=rentals.HEAT_RESOLUTION[scope.level],
        )  # fmt: skip
        assert sorted(f["properties"]["code"] for f in features) == sorted(want["grid_cell"])
        ring = features[0]["geometry"]["coordinates"][0]
        assert ring[0] == ring[-1] and len(ring) == 7
    district = client.get("/api/v1/layers/rentals-heat.pbf?scope=320102")
    assert district.status_code == 200  # a district has no heat map: no cells
    assert not (geobuf.decode(district.data) or {}).get("features")
    assert client.get("/api/v1/layers/rentals-heat.pbf?scope=x1").status_code == 400
