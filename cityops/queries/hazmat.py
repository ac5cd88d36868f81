"""Questions of the hazmat page (危化品全流程监管): waybills, positions, tracks, alarms.

A waybill in transit is placed where its vehicle's last fix since departure is
(else at its origin): the same rule as the KPIs (:func:`cityops.queries.kpis.waybill_positions`).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from cityops import store
from cityops.geo import Scope, ensure_allowed
from cityops.queries import entity, hours_since, read
from cityops.queries.context import Context
from cityops.queries.kpis import scope_clause, waybill_positions

w, trk, al = store.hazmat_waybills, store.hazmat_tracks, store.hazmat_alarms


def vehicles_in_transit(
    ctx: Context, *, scope: Scope, allowed: Scope, hazard_class: str | None = None
) -> pd.DataFrame:
    """Return waybills in transit at their current position.

    Columns: ``waybill_id, vehicle_plate, hazard_class, cargo_name, tonnage, lon, lat,
    ts, district_code, grid_cell``.
    """
    ensure_allowed(scope, allowed)
    pos = waybill_positions()
    query = (
        sa.select(
            pos.c.waybill_id,
            pos.c.vehicle_plate,
            pos.c.hazard_class,
            w.c.cargo_name,
            pos.c.tonnage,
            pos.c.lon,
            pos.c.lat,
            pos.c.ts,
            pos.c.district_code,
            pos.c.grid_cell,
        )
        .select_from(pos.join(w, w.c.waybill_id == pos.c.waybill_id))
        .where(scope_clause(pos.c, scope, ctx.geo.enabled_cities, allowed))
        .order_by(pos.c.waybill_id)
    )
    if hazard_class:
        query = query.where(pos.c.hazard_class == hazard_class)
    return read(ctx, query)


def current_cell(ctx: Context, *, waybill_id: str, allowed: Scope) -> str | None:
    """Return the grid cell where a waybill in transit is now (None when not in transit).

    Raises ScopeDenied when the waybill lies outside ``allowed``.
    """
    waybill(ctx, waybill_id=waybill_id, allowed=allowed)
    pos = waybill_positions()
    frame = read(ctx, sa.select(pos.c.grid_cell).where(pos.c.waybill_id == waybill_id))
    return None if frame.empty else frame["grid_cell"].iloc[0]


def tonnage_by_class(ctx: Context, *, scope: Scope, allowed: Scope) -> pd.DataFrame:
    """Return ``hazard_class, waybills, tonnage`` of waybills in transit, by class."""
    ensure_allowed(scope, allowed)
    pos = waybill_positions()
    query = (
        sa.select(
            pos.c.hazard_class,
            sa.func.count().label("waybills"),
            sa.func.sum(pos.c.tonnage).label("tonnage"),
        )
        .where(scope_clause(pos.c, scope, ctx.geo.enabled_cities, allowed))
        .group_by(pos.c.hazard_class)
        .order_by(pos.c.hazard_class)
    )
    return read(ctx, query)


def _alarm_where(ctx: Context, scope: Scope, allowed: Scope, hazard_class: str | None):
    ensure_allowed(scope, allowed)
    clauses = [scope_clause(al.c, scope, ctx.geo.enabled_cities, allowed)]
    if hazard_class:
        clauses.append(
            al.c.waybill_id.in_(sa.select(w.c.waybill_id).where(w.c.hazard_class == hazard_class))
        )
    return sa.and_(*clauses)


def alarm_counts(
    ctx: Context,
    *,
    scope: Scope,
    allowed: Scope,
    since: dt.datetime,
    hazard_class: str | None = None,
    until: dt.datetime | None = None,
) -> pd.DataFrame:
    """Return alarms counted by ``alarm_type, severity, status`` (``alarms``).

    Alarms raised from ``since`` (to before ``until``, if given).
    """
    window = [al.c.ts >= since] + ([al.c.ts < until] if until is not None else [])
    query = (
        sa.select(al.c.alarm_type, al.c.severity, al.c.status, sa.func.count().label("alarms"))
        .where(_alarm_where(ctx, scope, allowed, hazard_class), *window)
        .group_by(al.c.alarm_type, al.c.severity, al.c.status)
    )
    return read(ctx, query)


def alarms_by_day(
    ctx: Context, *, scope: Scope, allowed: Scope, day: dt.date, days: int = 14
) -> pd.DataFrame:
    """Return alarms raised per day for the ``days`` days up to ``day``: ``day, alarms``."""
    start = dt.datetime.combine(day - dt.timedelta(days=days - 1), dt.time())
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time())
    day_col = sa.cast(al.c.ts, sa.Date)
    query = (
        sa.select(day_col.label("day"), sa.func.count().label("alarms"))
        .where(_alarm_where(ctx, scope, allowed, None), al.c.ts >= start, al.c.ts < end)
        .group_by(day_col)
        .order_by(day_col)
    )
    return read(ctx, query)


def open_alarms(
    ctx: Context,
    *,
    scope: Scope,
    allowed: Scope,
    now: dt.datetime,
    hazard_class: str | None = None,
    limit: int = 2000,
) -> pd.DataFrame:
    """Return open and acknowledged alarms, most severe and oldest first.

    Columns: ``alarm_id, ts, open_hours, alarm_type, severity, status, vehicle_plate,
    waybill_id, district_code``.
    """
    query = (
        sa.select(
            al.c.alarm_id,
            al.c.ts,
            al.c.alarm_type,
            al.c.severity,
            al.c.status,
            al.c.vehicle_plate,
            al.c.waybill_id,
            al.c.district_code,
        )
        .where(
            _alarm_where(ctx, scope, allowed, hazard_class),
            al.c.status.in_(("open", "acknowledged")),
        )
        .order_by(al.c.severity.desc(), al.c.ts)
        .limit(limit)
    )
    frame = read(ctx, query)
    frame.insert(2, "open_hours", hours_since(now, frame["ts"]))
    return frame


def waybill(ctx: Context, *, waybill_id: str, allowed: Scope) -> pd.Series | None:
    """Return one waybill, or None; ScopeDenied when its origin is outside the permitted area."""
    return entity(
        ctx,
        w,
        "waybill_id",
        waybill_id,
        allowed=allowed,
        district_column="origin_district_code",
        what="waybill",
    )


def waybill_track(ctx: Context, *, waybill_id: str, allowed: Scope) -> pd.DataFrame:
    """Return the fixes of a waybill's vehicle from departure to arrival (or now).

    Columns: ``ts, lon, lat, speed_kmh``. The plate joins the two tables in SQL and
    never leaves the store unmasked. Raises ScopeDenied outside ``allowed``.
    """
    waybill(ctx, waybill_id=waybill_id, allowed=allowed)
    arrived = sa.and_(w.c.status == "arrived", w.c.arrive_at.is_not(None))
    query = (
        sa.select(trk.c.ts, trk.c.lon, trk.c.lat, trk.c.speed_kmh)
        .select_from(trk.join(w, w.c.vehicle_plate == trk.c.vehicle_plate))
        .where(
            w.c.waybill_id == waybill_id,
            trk.c.ts >= w.c.depart_at,
            sa.or_(sa.not_(arrived), trk.c.ts <= w.c.arrive_at),
        )
        .order_by(trk.c.ts)
    )
    return read(ctx, query)


def waybill_alarms(ctx: Context, *, waybill_id: str, allowed: Scope) -> pd.DataFrame:
    """Return a waybill's alarms in time order (ScopeDenied outside ``allowed``).

    Columns: ``alarm_id, ts, alarm_type, severity, status, lon, lat``.
    """
    waybill(ctx, waybill_id=waybill_id, allowed=allowed)
    query = (
        sa.select(
            al.c.alarm_id, al.c.ts, al.c.alarm_type, al.c.severity, al.c.status, al.c.lon, al.c.lat
        )
        .where(al.c.waybill_id == waybill_id)
        .order_by(al.c.ts)
    )
    return read(ctx, query)
