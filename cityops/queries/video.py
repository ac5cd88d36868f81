"""Questions of the video page (视频感知): cameras, their status and algorithm events.

Every function takes the caller's permitted scope (``allowed``) and an optional
``department`` cross-filter; all SQL binds its parameters.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from cityops import store
from cityops.geo import Level, Scope, ensure_allowed
from cityops.queries import entity, hours_since, read
from cityops.queries.context import Context
from cityops.queries.kpis import GROUP_COLUMN, derive, ratio, scope_clause
from cityops.store.measures import camera_measures

cam, ev = store.cameras, store.video_events


def _where(ctx: Context, scope: Scope, allowed: Scope, department: str | None):
    ensure_allowed(scope, allowed)
    clauses = [scope_clause(cam.c, scope, ctx.geo.enabled_cities, allowed)]
    if department:
        clauses.append(cam.c.department == department)
    return sa.and_(*clauses)


def camera_points(
    ctx: Context, *, scope: Scope, allowed: Scope, department: str | None = None
) -> pd.DataFrame:
    """Return the cameras in scope.

    Columns: ``camera_id, name, lon, lat, status, ai_enabled, department``.
    """
    query = sa.select(
        cam.c.camera_id,
        cam.c.name,
        cam.c.lon,
        cam.c.lat,
        cam.c.status,
        cam.c.ai_enabled,
        cam.c.department,
    ).where(_where(ctx, scope, allowed, department))
    return read(ctx, query)


def online_by_area(
    ctx: Context, *, scope: Scope, level: Level, allowed: Scope, department: str | None = None
) -> pd.DataFrame:
    """Return per area one level below: ``area, cameras, online, ai, online_rate, ai_share``.

    ``online_rate`` is the KPI ``cameras_online_rate`` (same measures, same rule);
    rates are None where an area has no camera.
    """
    key = getattr(cam.c, GROUP_COLUMN[level])
    query = (
        sa.select(key.label("area"), *camera_measures())
        .where(_where(ctx, scope, allowed, department))
        .group_by(key)
    )
    return _with_rates(read(ctx, query))


def online_by_department(ctx: Context, *, scope: Scope, allowed: Scope) -> pd.DataFrame:
    """Return per owning department: ``department, cameras, online, ai, online_rate, ai_share``."""
    department = sa.func.coalesce(cam.c.department, sa.literal_column("''"))
    query = (
        sa.select(department.label("department"), *camera_measures())
        .where(_where(ctx, scope, allowed, None))
        .group_by(department)
        .order_by(sa.func.count().desc())
    )
    return _with_rates(read(ctx, query))


def _with_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """Name the camera measures for the panels and derive the rates from the KPI definitions."""
    kpis = derive(frame, ("cameras_online_rate",))
    frame = frame.rename(
        columns={"cameras_total": "cameras", "cameras_online": "online", "cameras_ai": "ai"}
    )
    for col in ("cameras", "online", "ai"):
        frame[col] = frame[col].fillna(0).astype("int64")
    frame["online_rate"] = kpis["cameras_online_rate"]
    # the AI share is the card pair cameras_ai / cameras_total, under the same rate rule
    frame["ai_share"] = ratio(frame["ai"], frame["cameras"])
    return frame


def events_by_day(
    ctx: Context,
    *,
    scope: Scope,
    allowed: Scope,
    day: dt.date,
    days: int = 30,
    department: str | None = None,
) -> pd.DataFrame:
    """Return algorithm events per day and type for the ``days`` days up to ``day``.

    Columns: ``day, event_type, events``.
    """
    if scope.level != "grid":  # a city or district: the load-time sums per district and day
        ensure_allowed(scope, allowed)
        vd = store.video_event_days
        where = [scope_clause(vd.c, scope, ctx.geo.enabled_cities, allowed),
                 vd.c.day.between(day - dt.timedelta(days=days - 1), day)]  # fmt: skip
        if department:
            where.append(vd.c.department == department)
        query = (
            sa.select(vd.c.day, vd.c.event_type, sa.func.sum(vd.c.events).label("events"))
            .where(*where)
            .group_by(vd.c.day, vd.c.event_type)
            .order_by(vd.c.day)
        )
        return read(ctx, query)
    start = dt.datetime.combine(day - dt.timedelta(days=days - 1), dt.time())
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time())
    day_col = sa.cast(ev.c.ts, sa.Date)
    query = (
        sa.select(day_col.label("day"), ev.c.event_type, sa.func.count().label("events"))
        .select_from(ev.join(cam, cam.c.camera_id == ev.c.camera_id))
        .where(_where(ctx, scope, allowed, department), ev.c.ts >= start, ev.c.ts < end)
        .group_by(day_col, ev.c.event_type)
        .order_by(day_col)
    )
    return read(ctx, query)


def open_events(
    ctx: Context,
    *,
    scope: Scope,
    allowed: Scope,
    now: dt.datetime,
    department: str | None = None,
    limit: int = 2000,
) -> pd.DataFrame:
    """Return open algorithm events, oldest first.

    Columns: ``event_id, ts, open_hours, event_type, camera_id, camera_name,
    department, district_code``.
    """
    query = (
        sa.select(
            ev.c.event_id,
            ev.c.ts,
            ev.c.event_type,
            ev.c.camera_id,
            cam.c.name.label("camera_name"),
            cam.c.department,
            cam.c.district_code,
        )
        .select_from(ev.join(cam, cam.c.camera_id == ev.c.camera_id))
        .where(_where(ctx, scope, allowed, department), ev.c.status == "open")
        .order_by(ev.c.ts)
        .limit(limit)
    )
    frame = read(ctx, query)
    frame.insert(2, "open_hours", hours_since(now, frame["ts"]))
    return frame


def departments(ctx: Context, *, allowed: Scope) -> set[str]:
    """Return the owning departments of the cameras inside ``allowed`` (for checking filters)."""
    query = (
        sa.select(cam.c.department)
        .where(cam.c.department.is_not(None), scope_clause(cam.c, allowed, ctx.geo.enabled_cities))
        .distinct()
    )
    return set(read(ctx, query)["department"])


def camera(ctx: Context, *, camera_id: str, allowed: Scope) -> pd.Series | None:
    """Return one camera's row, or None; raise ScopeDenied outside the permitted area."""
    return entity(ctx, cam, "camera_id", camera_id, allowed=allowed, what="camera")


def camera_history(ctx: Context, *, camera_id: str, allowed: Scope) -> pd.DataFrame:
    """Return a camera's status changes, newest first: ``changed_at, status``.

    Raises ScopeDenied when the camera lies outside ``allowed``.
    """
    camera(ctx, camera_id=camera_id, allowed=allowed)
    h = store.camera_status_history
    query = (
        sa.select(h.c.changed_at, h.c.status)
        .where(h.c.camera_id == camera_id)
        .order_by(h.c.changed_at.desc())
    )
    return read(ctx, query)


def camera_events(
    ctx: Context, *, camera_id: str, allowed: Scope, limit: int = 200
) -> pd.DataFrame:
    """Return a camera's algorithm events, newest first (ScopeDenied outside ``allowed``)."""
    camera(ctx, camera_id=camera_id, allowed=allowed)
    query = (
        sa.select(ev.c.event_id, ev.c.ts, ev.c.event_type, ev.c.status, ev.c.closed_at)
        .where(ev.c.camera_id == camera_id)
        .order_by(ev.c.ts.desc())
        .limit(limit)
    )
    return read(ctx, query)
