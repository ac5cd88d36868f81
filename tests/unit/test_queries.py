"""Every function of ``cityops/queries`` against counts made by hand.

The rows are the KPI tests' hand fixture (tests/unit/test_kpis.py): cameras c1–c5,
waybills w1–w4 with tracks, alarms a1–a4, rentals r1–r5, spots s1 (玄武) and s2
(姑苏), their bookings and feedback. Empty areas must give typed empty frames.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pandas as pd
import pytest

from cityops.datasets import personal_columns
from cityops.geo import ScopeDenied
from cityops.queries import find_entity, hours_since, scope_kpis
from cityops.queries import hazmat as hq
from cityops.queries import rentals as rq
from cityops.queries import tourism as tq
from cityops.queries import video as vq
from cityops.queries.kpis import Filters, RentalRules, kpi_record
from cityops.settings import get_settings
from tests.unit.test_kpis import DAY, GUSU, QINHUAI, T0, XUANWU, hand  # noqa: F401

NANJING = "320100"
JIANYE = "320105"  # a district of 南京 with no rows at all
NOW = T0 + dt.timedelta(hours=2)


@pytest.fixture()
def q(hand):  # noqa: F811
    """A context as the pages have one: engine, geography, rules."""
    engine, geo, at = hand
    settings = get_settings(data_dir="unused", database_url="", query_cache_entries=0)
    storage = SimpleNamespace(
        data_revision=lambda: "hand", settings=settings, reader_engine=lambda: engine
    )
    return SimpleNamespace(
        engine=engine,
        geo=geo,
        rules=RentalRules(),
        at=at,
        settings=settings,
        storage=storage,
        masked_columns=personal_columns,  # as outside a request: every personal column masked
    )


def everywhere(q):
    return q.geo.scope(None)


def s(q, code):
    return q.geo.scope(code)


# ----------------------------------------------------------------- video
def test_camera_points(q):
    frame = vq.camera_points(q, scope=s(q, XUANWU), allowed=everywhere(q))
    assert sorted(frame["camera_id"]) == ["c1", "c2", "c3"]
    water = vq.camera_points(q, scope=s(q, XUANWU), allowed=everywhere(q), department="水务")
    assert list(water["camera_id"]) == ["c2"]


def test_online_by_area_follows_the_kpi(q):
    frame = vq.online_by_area(q, scope=s(q, NANJING), level="district", allowed=everywhere(q))
    rows = frame.set_index("area")
    assert rows.loc[XUANWU, ["cameras", "online", "ai"]].tolist() == [3, 2, 2]
    assert rows.loc[XUANWU, "online_rate"] == pytest.approx(2 / 3)
    assert rows.loc[QINHUAI, "online_rate"] == 0.0
    card = kpi_record(scope_kpis(q, scope=s(q, XUANWU), day=DAY, allowed=everywhere(q)), XUANWU)[
        "cameras_online_rate"
    ]
    assert rows.loc[XUANWU, "online_rate"] == pytest.approx(card)


def test_online_by_department(q):
    rows = vq.online_by_department(q, scope=everywhere(q), allowed=everywhere(q)).set_index(
        "department"
    )
    assert rows.loc["公安", ["cameras", "online", "ai"]].tolist() == [4, 3, 3]
    assert rows.loc["公安", "online_rate"] == pytest.approx(0.75)
    assert rows.loc["水务", "online_rate"] == 0.0
    assert rows.loc["水务", "ai_share"] == 0.0


def test_events_by_day(q):
    frame = vq.events_by_day(q, scope=everywhere(q), allowed=everywhere(q), day=DAY)
    assert frame[["event_type", "events"]].values.tolist() == [["烟火", 4]]
    none = vq.events_by_day(q, scope=s(q, JIANYE), allowed=everywhere(q), day=DAY)
    assert none.empty and list(none.columns) == ["day", "event_type", "events"]


def test_events_by_day_from_the_district_sums_equal_the_raw_rows_of_a_cell(q):
    """A district's trend reads load-time sums; a grid cell's, the raw events: they agree."""
    cell = vq.camera(q, camera_id="c1", allowed=everywhere(q))["grid_cell"]  # all of 玄武's
    district = vq.events_by_day(q, scope=s(q, XUANWU), allowed=everywhere(q), day=DAY)
    raw = vq.events_by_day(q, scope=s(q, cell), allowed=everywhere(q), day=DAY)
    assert district.values.tolist() == raw.values.tolist() == [[DAY, "烟火", 2]]
    water = vq.events_by_day(q, scope=s(q, XUANWU), allowed=everywhere(q), day=DAY,
                             department="水务")  # fmt: skip
    assert water.empty and list(water.columns) == ["day", "event_type", "events"]


def test_open_events_and_an_area_without_any(q):
    frame = vq.open_events(q, scope=s(q, XUANWU), allowed=everywhere(q), now=NOW)
    assert list(frame["event_id"]) == ["e1"]
    assert frame["open_hours"].tolist() == [2.0]
    empty = vq.open_events(q, scope=s(q, JIANYE), allowed=everywhere(q), now=NOW)
    assert empty.empty
    assert pd.api.types.is_datetime64_any_dtype(empty["ts"])
    assert empty["open_hours"].dtype == float


def test_camera_history_and_events(q):
    assert vq.camera(q, camera_id="c1", allowed=everywhere(q))["status"] == "online"
    assert vq.camera(q, camera_id="nope", allowed=everywhere(q)) is None
    with pytest.raises(ScopeDenied):
        vq.camera(q, camera_id="c1", allowed=s(q, GUSU))
    history = vq.camera_history(q, camera_id="c1", allowed=everywhere(q))
    assert history.empty and pd.api.types.is_datetime64_any_dtype(history["changed_at"])
    events = vq.camera_events(q, camera_id="c1", allowed=everywhere(q))
    assert sorted(events["event_id"]) == ["e1", "e2"]


# ---------------------------------------------------------------- hazmat
def test_vehicles_in_transit_are_where_their_last_fix_is(q):
    frame = vq_ids(hq.vehicles_in_transit(q, scope=s(q, XUANWU), allowed=everywhere(q)))
    assert frame == ["w1", "w3"]
    assert vq_ids(hq.vehicles_in_transit(q, scope=s(q, QINHUAI), allowed=everywhere(q))) == ["w2"]
    assert hq.vehicles_in_transit(
        q, scope=s(q, XUANWU), allowed=everywhere(q), hazard_class="8"
    ).empty


def vq_ids(frame):
    return sorted(frame["waybill_id"])


def test_tonnage_by_class(q):
    frame = hq.tonnage_by_class(q, scope=everywhere(q), allowed=everywhere(q))
    assert frame.values.tolist() == [["3", 3, 17.5]]


def test_alarm_counts_and_open_alarms(q):
    counts = hq.alarm_counts(
        q, scope=everywhere(q), allowed=everywhere(q), since=T0 - dt.timedelta(days=1)
    )
    by_status = counts.groupby("status")["alarms"].sum().to_dict()
    assert by_status == {"open": 2, "acknowledged": 1, "closed": 1}
    frame = hq.open_alarms(q, scope=s(q, XUANWU), allowed=everywhere(q), now=NOW)
    assert sorted(frame["alarm_id"]) == ["a1", "a2"]
    assert frame["open_hours"].tolist() == [2.0, 2.0]
    empty = hq.open_alarms(q, scope=s(q, JIANYE), allowed=everywhere(q), now=NOW)
    assert empty.empty and empty["open_hours"].dtype == float
    assert hq.open_alarms(
        q, scope=s(q, XUANWU), allowed=everywhere(q), now=NOW, hazard_class="2.1"
    ).empty


def test_waybill_track_cell_and_alarms(q):
    assert hq.waybill(q, waybill_id="w1", allowed=everywhere(q))["tonnage"] == 10.0
    assert hq.waybill(q, waybill_id="nope", allowed=everywhere(q)) is None
    track = hq.waybill_track(q, waybill_id="w1", allowed=everywhere(q))
    assert len(track) == 2 and (track["ts"] >= T0).all()  # the fix before departure is not it
    cell = hq.current_cell(q, waybill_id="w1", allowed=everywhere(q))
    assert q.geo.scope(cell).district_code == XUANWU
    assert (
        hq.current_cell(q, waybill_id="w4", allowed=everywhere(q)) is None
    )  # arrived: not in transit
    assert sorted(hq.waybill_alarms(q, waybill_id="w1", allowed=everywhere(q))["alarm_id"]) == [
        "a1",
        "a2",
        "a3",
        "a4",
    ]
    assert hq.waybill_track(q, waybill_id="nope", allowed=everywhere(q)).empty


# --------------------------------------------------------------- rentals
def test_suspected_cells_funnel_and_units(q):
    cells = rq.suspected_cells(q, scope=everywhere(q), allowed=everywhere(q))
    assert cells["suspected"].sum() == 2
    coarse = rq.suspected_cells(q, scope=everywhere(q), allowed=everywhere(q), resolution=6)
    assert coarse["suspected"].sum() == 2
    assert rq.funnel(q, scope=everywhere(q), allowed=everywhere(q)) == {
        "registered": 5,
        "suspected": 2,
        "ordered": 2,
        "rectified": 1,
    }
    units = rq.suspected_units(q, scope=s(q, XUANWU), allowed=everywhere(q))
    assert sorted(units["unit_id"]) == ["r1", "r2"]
    assert set(units["landlord_name"]) == {"张*"}  # masked at the read boundary
    assert set(units["landlord_phone"]) == {"139****1234"}
    assert rq.suspected_units(q, scope=s(q, JIANYE), allowed=everywhere(q)).empty


def test_unit_is_masked(q):
    row = rq.unit(q, unit_id="r1", allowed=everywhere(q))
    assert row["landlord_name"] == "张*" and row["landlord_phone"] == "139****1234"


# --------------------------------------------------------------- tourism
def test_spots_day_and_slot_load(q):
    spots = tq.spots_day(q, scope=everywhere(q), allowed=everywhere(q), day=DAY).set_index(
        "spot_id"
    )
    assert spots.loc["s1", ["visitors", "checked_in"]].tolist() == [35, 10]
    assert spots.loc["s2", ["visitors", "checked_in"]].tolist() == [40, 40]
    slots = tq.slot_load(q, scope=everywhere(q), allowed=everywhere(q), day=DAY)
    assert slots[["spot_id", "slot_start", "party"]].values.tolist() == [
        ["s1", "09:00", 30],
        ["s2", "09:00", 40],
    ]
    assert slots["load"].tolist() == pytest.approx([0.3, 0.8])
    assert tq.slot_load(q, scope=s(q, JIANYE), allowed=everywhere(q), day=DAY).empty


def test_trend_origins_feedback(q):
    trend = tq.bookings_trend(q, scope=s(q, XUANWU), allowed=everywhere(q), day=DAY)
    by = trend.groupby("status")["party"].sum().to_dict()
    assert by == {"checked_in": 10, "booked": 27, "no_show": 5, "cancelled": 50}
    origins = tq.origins(q, scope=everywhere(q), allowed=everywhere(q), day=DAY)
    assert origins.values.tolist() == [["上海", 75]]
    feedback = tq.feedback_summary(
        q, scope=everywhere(q), allowed=everywhere(q), since=T0 - dt.timedelta(days=1)
    )
    complaints = feedback[feedback["kind"] == "complaint"].groupby("status")["items"].sum()
    assert complaints.to_dict() == {"open": 2, "resolved": 1}
    only_s1 = tq.feedback_summary(
        q, scope=everywhere(q), allowed=everywhere(q), since=T0 - dt.timedelta(days=1), spot="s1"
    )
    assert only_s1["items"].sum() == 3


# ------------------------------------------------- KPIs with filters and entities
def kpis(q, code, **filters):
    frame = scope_kpis(
        q, scope=q.geo.scope(code), day=DAY, allowed=everywhere(q), filters=Filters.of(filters)
    )
    return kpi_record(frame, q.geo.scope(code).code)


def test_a_department_filter_narrows_the_video_kpis_only(q):
    water = kpis(q, None, department="水务")
    assert (water["cameras_total"], water["cameras_online_rate"], water["cameras_ai"]) == (1, 0, 0)
    assert water["video_events_open"] == 0
    assert water["waybills_in_transit"] == kpis(q, None)["waybills_in_transit"]


def test_a_hazard_class_filter(q):
    assert kpis(q, None, hazard_class="3")["waybills_in_transit"] == 3
    eight = kpis(q, None, hazard_class="8")
    assert (eight["waybills_in_transit"], eight["tonnage_in_transit"]) == (0, 0.0)
    assert eight["hazmat_alarms_open"] == 0


def test_an_entity_makes_the_cards_describe_it(q):
    cell = hq.current_cell(q, waybill_id="w1", allowed=everywhere(q))
    one = kpis(q, cell, waybill="w1")
    # a1 and a2 lie in 玄武, a4 in 姑苏: the waybill's open alarms wherever they are
    assert (one["waybills_in_transit"], one["tonnage_in_transit"], one["hazmat_alarms_open"]) == (
        1,
        10.0,
        3,
    )
    cam = kpis(q, None, camera="c1")
    assert (cam["cameras_total"], cam["cameras_online_rate"], cam["video_events_open"]) == (
        1,
        1.0,
        1,
    )
    flat = kpis(q, None, unit="r1")
    assert (flat["rentals_registered"], flat["rentals_suspected"]) == (1, 1)
    assert flat["rentals_rectify_rate"] == 0.0
    spot = kpis(q, None, spot="s1")
    assert spot["bookings_visitors"] == 35
    assert spot["bookings_checkin_rate"] == pytest.approx(10 / 35, rel=1e-5)
    assert spot["peak_slot_load"] == pytest.approx(0.3)
    assert spot["complaints_open"] == 1


def test_an_entity_stays_inside_the_permitted_area(q):
    frame = scope_kpis(
        q,
        scope=q.geo.scope(XUANWU),
        day=DAY,
        allowed=q.geo.scope(XUANWU),
        filters=Filters(waybill="w1"),
    )
    assert kpi_record(frame, XUANWU)["hazmat_alarms_open"] == 2  # a4 (姑苏) is not counted


def test_find_entity(q):
    found = find_entity(q, "camera", "c5", allowed=everywhere(q))
    assert found.state == "found" and q.geo.scope(found.cell).district_code == GUSU
    assert find_entity(q, "camera", "zzz", allowed=everywhere(q)).state == "not-found"
    assert find_entity(q, "camera", "c5", allowed=s(q, XUANWU)).state == "denied"
    assert find_entity(q, "waybill", "w1", allowed=everywhere(q)).cell == hq.current_cell(
        q, waybill_id="w1", allowed=everywhere(q)
    )
    assert find_entity(q, "unit", "r1", allowed=everywhere(q)).row["landlord_name"] == "张*"


def test_hours_since_is_typed_when_empty():
    out = hours_since(NOW, pd.Series([], dtype=object))
    assert out.empty and out.dtype == float


def test_positions_are_a_derived_table_rebuilt_when_missing(q):
    """A store older than the derived table gets it filled on its next write (ensure)."""
    import sqlalchemy as sa

    from cityops import store
    from cityops.store import derived

    before = hq.vehicles_in_transit(q, scope=everywhere(q), allowed=everywhere(q))
    with q.engine.begin() as conn:
        conn.execute(store.hazmat_positions.delete())
    assert hq.vehicles_in_transit(q, scope=everywhere(q), allowed=everywhere(q)).empty
    assert derived.ensure(q.engine) == ["hazmat_positions"]
    after = hq.vehicles_in_transit(q, scope=everywhere(q), allowed=everywhere(q))
    pd.testing.assert_frame_equal(before, after)
    assert derived.ensure(q.engine) == []  # filled: nothing to do
    with q.engine.connect() as conn:
        live = conn.execute(sa.select(sa.func.count()).select_from(derived.live_positions()))
        assert live.scalar() == len(after)


def test_booking_slots_hold_the_sums_of_the_bookings_and_are_rebuilt_when_missing(q):
    """The tourism KPIs read load-time sums; they must equal the raw bookings' sums."""
    import sqlalchemy as sa

    from cityops import store
    from cityops.store import derived

    b, s = store.bookings, store.booking_slots
    keys = [b.c.spot_id, b.c.visit_date, b.c.slot_start, b.c.status]
    raw = sa.select(*keys, sa.func.sum(b.c.party_size).label("party"),
                    sa.func.count().label("bookings")).group_by(*keys)  # fmt: skip
    cols = ["spot_id", "visit_date", "slot_start", "status"]
    with q.engine.connect() as conn:
        want = pd.read_sql(raw, conn).sort_values(cols, ignore_index=True)
        have = pd.read_sql(sa.select(s), conn).sort_values(cols, ignore_index=True)
    assert len(want) == 6 and want["party"].sum() == 132  # the hand-made bookings
    pd.testing.assert_frame_equal(want, have, check_dtype=False)
    before = scope_kpis(q, scope=everywhere(q), day=DAY, allowed=everywhere(q))
    with q.engine.begin() as conn:
        conn.execute(s.delete())
    assert derived.ensure(q.engine) == ["booking_slots"]
    after = scope_kpis(q, scope=everywhere(q), day=DAY, allowed=everywhere(q))
    pd.testing.assert_frame_equal(before, after)


def test_camera_cells_hold_the_camera_measures_and_open_events_of_the_raw_rows(q):
    """The video KPIs read per-cell sums; the cards must equal counts over raw rows."""
    import sqlalchemy as sa

    from cityops import store
    from cityops.queries.kpis import Filters

    with q.engine.connect() as conn:
        cells = pd.read_sql(sa.select(store.camera_cells), conn)
    assert cells["cameras_total"].sum() == 5 and cells["video_events_open"].sum() == 3
    xuanwu = cells[cells["district_code"] == XUANWU].set_index("department")
    assert xuanwu.loc["公安", ["cameras_total", "cameras_online", "video_events_open"]].sum() == 5
    # an area's cards (from the sums) and one camera's card (from raw rows) agree
    area = kpi_record(scope_kpis(q, scope=s(q, XUANWU), day=DAY, allowed=everywhere(q)), XUANWU)
    assert (area["cameras_total"], area["video_events_open"]) == (3, 1)
    one = scope_kpis(q, scope=s(q, XUANWU), day=DAY, allowed=everywhere(q),
                     filters=Filters(camera="c1"))  # fmt: skip
    assert kpi_record(one, XUANWU)["video_events_open"] == 1


def test_a_store_without_a_new_table_is_migrated_by_one_write(fresh_store):
    """``cityops serve`` runs one empty write when the store lacks a table of this version."""
    _, storage, _ = fresh_store
    with storage.writer() as engine, engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE hazmat_positions")
    assert storage.needs_migration()
    with storage.writer():
        pass
    assert not storage.needs_migration()


# ------------------------------------------------------------------- the read door
def test_the_cache_serves_a_version_and_a_load_is_seen_by_the_next_request(fresh_store):
    """Answers are cached per store version: a new version is read afresh."""
    import sqlalchemy as sa

    from cityops import store
    from cityops.queries.context import Context
    from cityops.store.executor import execute

    settings, storage, _ = fresh_store
    ctx = Context(settings)
    query = sa.select(sa.func.count().label("n")).select_from(store.cameras)
    assert execute(ctx.storage, query)["n"].iloc[0] == 0
    version = storage.version_label()
    with storage.writer() as engine, engine.begin() as conn:
        conn.execute(
            store.cameras.insert().values(
                camera_id="c1", lon=118.8, lat=32.05, status="online", ai_enabled=True
            )
        )
    assert storage.version_label() != version
    assert execute(ctx.storage, query)["n"].iloc[0] == 1  # the new version, not the cached answer
    cached = execute(ctx.storage, query)
    cached.loc[0, "n"] = 99  # a caller changing its frame does not change the cache
    assert execute(ctx.storage, query)["n"].iloc[0] == 1


def test_the_row_cap_cuts_a_runaway_read(fresh_store, caplog):
    import sqlalchemy as sa

    from cityops import store
    from cityops.queries.context import Context
    from cityops.settings import get_settings
    from cityops.store.executor import execute

    settings, _, _ = fresh_store
    ctx = Context(get_settings(data_dir=settings.values["data_dir"], database_url="",
                               query_row_cap=5))  # fmt: skip
    frame = execute(ctx.storage, sa.select(store.areas.c.code))
    assert len(frame) == 5 and frame.attrs["truncated"]
    assert "cut there" in caplog.text


def test_a_read_past_its_time_out_is_stopped(fresh_store):
    import sqlalchemy as sa

    from cityops.queries.context import Context
    from cityops.settings import get_settings
    from cityops.store.executor import QueryTimeout, execute

    settings, _, _ = fresh_store
    ctx = Context(get_settings(data_dir=settings.values["data_dir"], database_url="",
                               query_timeout_s=0.2, query_cache_entries=0))  # fmt: skip
    slow = sa.select(sa.func.count().label("n")).select_from(
        sa.text("range(2000000000) a, range(1000) b")
    )
    with pytest.raises(QueryTimeout):
        execute(ctx.storage, slow)


@pytest.mark.postgres
def test_a_server_store_is_asked_its_revision_once_per_request():
    """The read cache's key needs the store's revision; a request asks a server once."""
    import sqlalchemy as sa

    from cityops import store
    from cityops.store.versions import Storage, begin_request, end_request
    from tests.pg import pg_schema

    url, drop = pg_schema()
    try:
        storage = Storage(get_settings(data_dir="unused", database_url=url))
        with storage.writer() as engine:
            store.create_schema(engine)
        asked = []
        sa.event.listen(
            storage.reader_engine(), "before_cursor_execute",
            lambda *a: asked.append(a[2]) if "loads" in a[2] else None,
        )  # fmt: skip
        storage.data_revision(), storage.data_revision()
        assert len(asked) == 2  # outside a request: every read asks
        token = begin_request()
        try:
            first = storage.data_revision()
            assert storage.data_revision() == first
        finally:
            end_request(token)
        assert len(asked) == 3  # inside one: once
        storage.reader_engine().dispose()
    finally:
        drop()
