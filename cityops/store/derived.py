"""Tables derived from the datasets at load time, so reads never scan raw history.

A dataset spec names the derived tables its loads change (``DatasetSpec.derived``);
the loader rebuilds them in the same transaction as the load, so readers of a
published store version always see them consistent with the rows they derive
from. :func:`ensure` fills them in a store written before they existed.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from cityops import store
from cityops.store.measures import camera_measures


def live_positions() -> sa.Subquery:
    """Return a subquery of waybills in transit placed at their current position.

    The position is the vehicle's last track point since departure, or else the
    waybill's origin. Columns: ``waybill_id, vehicle_plate, hazard_class,
    tonnage, lon, lat, ts, city_code, district_code, grid_cell``. Scans the
    tracks: used to rebuild :data:`cityops.store.hazmat_positions`, not to read.
    """
    w, t = store.hazmat_waybills, store.hazmat_tracks
    in_transit = w.c.status == "in_transit"
    last = (
        sa.select(w.c.waybill_id, sa.func.max(t.c.ts).label("ts"))
        .select_from(
            w.join(t, sa.and_(t.c.vehicle_plate == w.c.vehicle_plate, t.c.ts >= w.c.depart_at))
        )
        .where(in_transit)
        .group_by(w.c.waybill_id)
        .subquery("last_fix")
    )
    tracked = last.c.ts.is_not(None)

    def pick(track_col, origin_col, name):
        return sa.case((tracked, track_col), else_=origin_col).label(name)

    return (
        sa.select(
            w.c.waybill_id,
            w.c.vehicle_plate,
            w.c.hazard_class,
            w.c.tonnage,
            pick(t.c.lon, w.c.origin_lon, "lon"),
            pick(t.c.lat, w.c.origin_lat, "lat"),
            last.c.ts,
            pick(t.c.city_code, w.c.origin_city_code, "city_code"),
            pick(t.c.district_code, w.c.origin_district_code, "district_code"),
            pick(t.c.grid_cell, w.c.origin_grid_cell, "grid_cell"),
        )
        .select_from(
            w.outerjoin(last, last.c.waybill_id == w.c.waybill_id).outerjoin(
                t, sa.and_(t.c.vehicle_plate == w.c.vehicle_plate, t.c.ts == last.c.ts)
            )
        )
        .where(in_transit)
        .subquery("positions")
    )


def _replace(conn: Connection, table: sa.Table, rows: sa.Select) -> int:
    """Replace every row of ``table`` by ``rows`` (its columns, in order); return the count."""
    conn.execute(table.delete()).close()
    conn.execute(table.insert().from_select([c.name for c in table.columns], rows)).close()
    # every result consumed: DuckDB refuses raw work on a connection with an open one
    return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() or 0


def _department(cam: sa.Table):
    """Return a camera's owning department, '' when it names none (a grouping key)."""
    return sa.func.coalesce(cam.c.department, sa.literal_column("''"))


def _rebuild_positions(conn: Connection) -> int:
    """Rebuild ``hazmat_positions`` from waybills and tracks; return its rows."""
    table, live = store.hazmat_positions, live_positions()
    return _replace(conn, table, sa.select(*[live.c[c.name] for c in table.columns]))


def _rebuild_booking_slots(conn: Connection) -> int:
    """Rebuild ``booking_slots`` (sums per spot, day, slot and status); return its rows."""
    b = store.bookings
    keys = (b.c.spot_id, b.c.visit_date, b.c.slot_start, b.c.status)
    sums = sa.select(
        *keys, sa.func.sum(b.c.party_size).label("party"), sa.func.count().label("bookings")
    ).group_by(*keys)
    return _replace(conn, store.booking_slots, sums)


def _rebuild_camera_cells(conn: Connection) -> int:
    """Rebuild ``camera_cells`` (cameras and open events per cell and department)."""
    cam, ev = store.cameras, store.video_events
    open_events = (
        sa.select(ev.c.camera_id, sa.func.count().label("n"))
        .where(ev.c.status == "open")
        .group_by(ev.c.camera_id)
        .subquery("open_events")
    )
    department = _department(cam)
    keys = (cam.c.city_code, cam.c.district_code, cam.c.grid_cell, department)
    sums = (
        sa.select(
            *keys[:3],
            department.label("department"),
            *camera_measures(),
            sa.func.coalesce(sa.func.sum(open_events.c.n), 0).label("video_events_open"),
        )
        .select_from(cam.outerjoin(open_events, open_events.c.camera_id == cam.c.camera_id))
        .group_by(*keys)
    )
    return _replace(conn, store.camera_cells, sums)


def _rebuild_video_event_days(conn: Connection) -> int:
    """Rebuild ``video_event_days`` (events per district, department, day and type)."""
    cam, ev = store.cameras, store.video_events
    day = sa.cast(ev.c.ts, sa.Date)
    keys = (cam.c.city_code, cam.c.district_code, _department(cam), day, ev.c.event_type)
    sums = (
        sa.select(*keys, sa.func.count())
        .select_from(ev.join(cam, cam.c.camera_id == ev.c.camera_id))
        .group_by(*keys)
    )
    return _replace(conn, store.video_event_days, sums)


#: Derived table name → the function that rebuilds it on a connection.
REBUILD = {
    "hazmat_positions": _rebuild_positions,
    "booking_slots": _rebuild_booking_slots,
    "camera_cells": _rebuild_camera_cells,
    "video_event_days": _rebuild_video_event_days,
}
#: Derived table name → the tables it is derived from (to tell whether it is due).
SOURCES = {
    "hazmat_positions": (store.hazmat_waybills, store.hazmat_tracks),
    "booking_slots": (store.bookings,),
    "camera_cells": (store.cameras,),
    "video_event_days": (store.video_events,),
}


def refresh(conn: Connection, names: tuple[str, ...]) -> dict[str, int]:
    """Rebuild the derived tables ``names`` inside the caller's transaction.

    Returns ``{name: rows}``.
    """
    return {name: REBUILD[name](conn) for name in names}


def ensure(engine: Engine) -> list[str]:
    """Fill every derived table that is empty while its sources have rows.

    A store written before a derived table existed gets it on its next write
    (or at ``cityops serve``); returns the names rebuilt.
    """
    done = []
    with engine.begin() as conn:
        for name, sources in SOURCES.items():
            table = store.metadata.tables[name]
            if conn.execute(sa.select(sa.func.count()).select_from(table)).scalar():
                continue
            if any(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar()
                   for t in sources):  # fmt: skip
                REBUILD[name](conn)
                done.append(name)
    return done
