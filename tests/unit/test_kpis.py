"""KPIs against values computed by hand, on DuckDB and on PostgreSQL.

The fixture places a few rows in 玄武区 (A), 秦淮区 (B) — both 南京市 — and
姑苏区 (C, 苏州市); every expected number below is counted from those rows.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from cityops import store
from cityops.geo import Geography, ScopeDenied
from cityops.queries.kpis import KPI_NAMES, RentalRule, RentalRules, compute_kpis, kpi_record
from cityops.store import derived
from tests.pg import pg_engine

DAY = dt.date(2026, 11, 25)
T0 = dt.datetime(2026, 11, 25, 9, 0)
XUANWU, QINHUAI, GUSU = "320102", "320104", "320508"


@pytest.fixture(
    scope="module", params=["duckdb", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def hand(request, tmp_path_factory, areas_frame):
    """A store with the hand-made rows; yields (engine, geo, point of each district)."""
    if request.param == "duckdb":
        path = tmp_path_factory.mktemp("kpi") / "kpi.duckdb"
        engine = store.make_engine(f"duckdb:///{path}")
        cleanup = engine.dispose
    else:
        engine, cleanup = pg_engine()
    store.create_schema(engine)
    geo = Geography(areas_frame, ("320100", "320500"), 8)
    at = {
        code: tuple(areas_frame.set_index("code").loc[code, ["centroid_lon", "centroid_lat"]])
        for code in (XUANWU, QINHUAI, GUSU)
    }
    with engine.begin() as conn:
        store.bulk_insert(conn, store.areas, areas_frame)
        for table, rows in _rows(at).items():
            frame = pd.DataFrame(rows)
            lon, lat = (
                ("origin_lon", "origin_lat") if table == "hazmat_waybills" else ("lon", "lat")
            )
            if lon in frame:
                placed = geo.locate(frame[lon].to_numpy(), frame[lat].to_numpy())
                prefix = "origin_" if table == "hazmat_waybills" else ""
                for col in placed:
                    frame[prefix + col] = placed[col].to_numpy()
            store.bulk_insert(conn, store.metadata.tables[table], frame)
        derived.refresh(conn, tuple(derived.REBUILD))  # as the loads of their sources do
    yield engine, geo, at
    cleanup()


def _cam(i, p, status, ai, department="公安"):
    return dict(
        camera_id=f"c{i}",
        name=f"c{i}",
        department=department,
        kind="枪机",
        lon=p[0],
        lat=p[1],
        status=status,
        last_seen=T0,
        ai_enabled=ai,
    )


def _wb(i, p, plate, status, t, depart):
    return dict(
        waybill_id=f"w{i}",
        vehicle_plate=plate,
        carrier="x",
        un_number="1203",
        hazard_class="3",
        cargo_name="汽油",
        tonnage=t,
        origin_name="o",
        origin_lon=p[0],
        origin_lat=p[1],
        dest_name="d",
        dest_lon=p[0],
        dest_lat=p[1],
        depart_at=depart,
        arrive_at=None,
        status=status,
    )


def _trk(plate, ts, p):
    return dict(vehicle_plate=plate, ts=ts, lon=p[0], lat=p[1], speed_kmh=50.0)


def _alarm(i, p, status):
    return dict(
        alarm_id=f"a{i}",
        vehicle_plate="P1",
        waybill_id="w1",
        ts=T0,
        alarm_type="speeding",
        severity=2,
        lon=p[0],
        lat=p[1],
        status=status,
        closed_at=None,
    )


def _rent(i, p, area, occ, rooms, insp):
    return dict(
        unit_id=f"r{i}",
        address="x",
        lon=p[0],
        lat=p[1],
        floor_area_m2=area,
        rooms=rooms,
        occupants=occ,
        landlord_name="张三",
        landlord_phone="13912341234",
        registered_at=T0,
        inspection_status=insp,
        inspected_at=None,
    )


def _book(i, spot, day, slot, party, status):
    return dict(
        booking_id=f"b{i}",
        spot_id=spot,
        visit_date=day,
        slot_start=slot,
        slot_end=f"{int(slot[:2]) + 1:02d}:00",
        party_size=party,
        visitor_origin="上海",
        channel="app",
        status=status,
        booked_at=T0 - dt.timedelta(days=1),
    )


def _fb(i, spot, kind, status):
    return dict(
        feedback_id=f"f{i}",
        spot_id=spot,
        ts=T0,
        kind=kind,
        rating=None,
        category="x",
        status=status,
        resolved_at=None,
    )


def _rows(at):
    A, B, C = at[XUANWU], at[QINHUAI], at[GUSU]
    h = dt.timedelta(hours=1)
    return {
        "cameras": [_cam(1, A, "online", True), _cam(2, A, "offline", False, "水务"), _cam(3, A, "online", True),
                    _cam(4, B, "fault", False), _cam(5, C, "online", True)],
        "video_events": [
            dict(event_id="e1", camera_id="c1", ts=T0, event_type="烟火", status="open", closed_at=None),
            dict(event_id="e2", camera_id="c1", ts=T0, event_type="烟火", status="closed", closed_at=T0),
            dict(event_id="e3", camera_id="c4", ts=T0, event_type="烟火", status="open", closed_at=None),
            dict(event_id="e4", camera_id="c5", ts=T0, event_type="烟火", status="open", closed_at=None),
        ],
        # w1 left 姑苏 and its last fix is in 玄武; w2 has no track (origin 秦淮);
        # w3's only fix predates its departure, so it stays at its origin (玄武).
        "hazmat_waybills": [_wb(1, C, "P1", "in_transit", 10.0, T0), _wb(2, B, "P2", "in_transit", 5.5, T0),
                            _wb(3, A, "P3", "in_transit", 2.0, T0), _wb(4, A, "P4", "arrived", 30.0, T0 - 5 * h)],
        "hazmat_tracks": [_trk("P1", T0 - h, C), _trk("P1", T0 + h / 6, B), _trk("P1", T0 + h / 3, A),
                          _trk("P3", T0 - 2 * h, C), _trk("P4", T0 - 4 * h, B)],
        "hazmat_alarms": [_alarm(1, A, "open"), _alarm(2, A, "acknowledged"), _alarm(3, B, "closed"),
                          _alarm(4, C, "open")],
        "rentals": [_rent(1, A, 20.0, 5, 2, "rectify"),  # 4 m²/person: suspected
                    _rent(2, A, 100.0, 3, 1, "rectified"),  # 3 per room: suspected
                    _rent(3, A, 60.0, 2, 2, "ok"),
                    _rent(4, B, 50.0, 0, 1, "none"),
                    _rent(5, C, 40.0, 5, 3, "rectified")],  # 8 m²/person: fine at 5, not at 10
        "scenic_spots": [dict(spot_id="s1", name="A景区", lon=A[0], lat=A[1], grade="5A",
                              daily_capacity=500, instant_capacity=100),
                         dict(spot_id="s2", name="C景区", lon=C[0], lat=C[1], grade="4A",
                              daily_capacity=200, instant_capacity=50)],
        "bookings": [_book(1, "s1", DAY, "09:00", 10, "checked_in"), _book(2, "s1", DAY, "09:00", 20, "booked"),
                     _book(3, "s1", DAY, "10:00", 5, "no_show"), _book(4, "s1", DAY, "10:00", 50, "cancelled"),
                     _book(5, "s2", DAY, "09:00", 40, "checked_in"),
                     _book(6, "s1", DAY + dt.timedelta(days=1), "09:00", 7, "booked")],
        "feedback": [_fb(1, "s1", "complaint", "open"), _fb(2, "s1", "complaint", "resolved"),
                     _fb(3, "s1", "evaluation", "open"), _fb(4, "s2", "complaint", "open")],
    }  # fmt: skip


def kpis(hand, code, day=DAY, rules=None):
    engine, geo, _ = hand
    scope = geo.scope(code)
    frame = compute_kpis(
        engine, geo=geo, scope=scope, day=day, allowed=geo.scope(None), rules=rules
    )
    return kpi_record(frame, scope.code)


def test_district_kpis_match_hand_count(hand):
    assert kpis(hand, XUANWU) == pytest.approx(
        {
            "cameras_total": 3, "cameras_online_rate": 2 / 3, "cameras_ai": 2, "video_events_open": 1,
            "waybills_in_transit": 2, "tonnage_in_transit": 12.0, "hazmat_alarms_open": 2,
            "rentals_registered": 3, "rentals_suspected": 2, "rentals_rectify_rate": 0.5,
            "bookings_visitors": 35, "bookings_checkin_rate": 10 / 35, "peak_slot_load": 0.3,
            "complaints_open": 1,
        }
    )  # fmt: skip


def test_city_kpis_match_hand_count(hand):
    assert kpis(hand, "320100") == pytest.approx(
        {
            "cameras_total": 4, "cameras_online_rate": 0.5, "cameras_ai": 2, "video_events_open": 2,
            "waybills_in_transit": 3, "tonnage_in_transit": 17.5, "hazmat_alarms_open": 2,
            "rentals_registered": 4, "rentals_suspected": 2, "rentals_rectify_rate": 0.5,
            "bookings_visitors": 35, "bookings_checkin_rate": 10 / 35, "peak_slot_load": 0.3,
            "complaints_open": 1,
        }
    )  # fmt: skip


def test_province_kpis_match_hand_count(hand):
    assert kpis(hand, None) == pytest.approx(
        {
            "cameras_total": 5, "cameras_online_rate": 0.6, "cameras_ai": 3, "video_events_open": 3,
            "waybills_in_transit": 3, "tonnage_in_transit": 17.5, "hazmat_alarms_open": 3,
            "rentals_registered": 5, "rentals_suspected": 2, "rentals_rectify_rate": 2 / 3,
            "bookings_visitors": 75, "bookings_checkin_rate": 50 / 75, "peak_slot_load": 0.8,
            "complaints_open": 2,
        }
    )  # fmt: skip


def test_rates_with_nothing_to_divide_by_are_null_not_zero(hand):
    got = kpis(hand, QINHUAI)
    assert got["rentals_rectify_rate"] is None
    assert got["bookings_checkin_rate"] is None
    assert got["peak_slot_load"] is None
    assert got["bookings_visitors"] == 0
    assert got["cameras_online_rate"] == 0.0  # one camera, in fault: a real zero


def test_day_kpis_follow_the_day(hand):
    got = kpis(hand, None, day=DAY + dt.timedelta(days=1))
    assert got["bookings_visitors"] == 7
    assert got["bookings_checkin_rate"] == 0.0
    assert got["peak_slot_load"] == pytest.approx(0.07)
    assert got["cameras_total"] == 5  # status KPIs do not depend on the day


def test_grid_cell_kpis(hand):
    _, geo, at = hand
    cell = geo.locate([at[XUANWU][0]], [at[XUANWU][1]])["grid_cell"][0]
    got = kpis(hand, cell)
    assert got["cameras_total"] == 3
    assert got["waybills_in_transit"] == 2
    assert got["rentals_suspected"] == 2


def test_per_city_rental_threshold(hand):
    rules = RentalRules(RentalRule(5, 2), (("320500", RentalRule(10, 2)),))
    assert kpis(hand, None, rules=rules)["rentals_suspected"] == 3
    assert kpis(hand, GUSU, rules=rules)["rentals_suspected"] == 1
    assert kpis(hand, XUANWU, rules=rules)["rentals_suspected"] == 2


def test_by_area_rows_equal_single_scope_rows(hand):
    engine, geo, _ = hand
    city = geo.scope("320100")
    codes = [a.code for a in geo.districts("320100")]
    frame = compute_kpis(
        engine, geo=geo, scope=city, day=DAY, allowed=city, by="district", areas=codes
    )
    assert list(frame.index) == codes
    assert list(frame.columns) == list(KPI_NAMES)
    assert kpi_record(frame, XUANWU) == pytest.approx(kpis(hand, XUANWU))
    assert kpi_record(frame, QINHUAI) == kpis(hand, QINHUAI)
    assert frame.loc["320111", "cameras_total"] == 0  # 浦口区: no rows, a count of 0
    assert frame.loc["320111", "cameras_online_rate"] is None
    provinces = compute_kpis(
        engine,
        geo=geo,
        scope=geo.scope(None),
        day=DAY,
        allowed=geo.scope(None),
        by="city",
        areas=["320100", "320500"],
    )
    assert provinces["cameras_total"].sum() == 5


def test_a_scope_outside_the_allowed_one_is_refused(hand):
    engine, geo, _ = hand
    with pytest.raises(ScopeDenied):
        compute_kpis(engine, geo=geo, scope=geo.scope(GUSU), day=DAY, allowed=geo.scope("320100"))


def test_every_kpi_belongs_to_a_declared_domain_and_every_domain_has_kpis():
    from cityops.domains import DOMAIN_NAMES
    from cityops.queries.kpis import KPIS, kpi_group

    assert {k.domain for k in KPIS} == set(DOMAIN_NAMES)
    assert sum(len(kpi_group(d)) for d in DOMAIN_NAMES) == len(KPIS)
