"""Questions of the tourism page (文旅分时预约): spots, slots, bookings, feedback.

Day figures follow the KPI definitions: visitors are booked + checked-in + no-show
party sizes; a slot's load is booked + checked-in party size over the spot's
instant capacity.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from cityops import store
from cityops.geo import Scope, ensure_allowed
from cityops.queries import entity, hours_since, read
from cityops.queries.context import Context
from cityops.queries.kpis import COUNTED, PRESENT, ratio, scope_clause

sp, bk, fb = store.scenic_spots, store.bookings, store.feedback
#: the load-time sums of the bookings per spot, day, slot and status (``party``)
slots = store.booking_slots


def _where(ctx: Context, scope: Scope, allowed: Scope, spot: str | None):
    ensure_allowed(scope, allowed)
    clauses = [scope_clause(sp.c, scope, ctx.geo.enabled_cities, allowed)]
    if spot:
        clauses.append(sp.c.spot_id == spot)
    return sa.and_(*clauses)


def _sum_if(cond):
    return sa.func.coalesce(sa.func.sum(sa.case((cond, slots.c.party), else_=0)), 0)


def spots_day(ctx: Context, *, scope: Scope, allowed: Scope, day: dt.date) -> pd.DataFrame:
    """Return the spots in scope with the day's figures.

    Columns: ``spot_id, name, grade, lon, lat, daily_capacity, instant_capacity,
    district_code, grid_cell, visitors, checked_in``.
    """
    on_day = sa.and_(slots.c.spot_id == sp.c.spot_id, slots.c.visit_date == day)
    query = (
        sa.select(
            sp.c.spot_id,
            sp.c.name,
            sp.c.grade,
            sp.c.lon,
            sp.c.lat,
            sp.c.daily_capacity,
            sp.c.instant_capacity,
            sp.c.district_code,
            sp.c.grid_cell,
            _sum_if(slots.c.status.in_(COUNTED)).label("visitors"),
            _sum_if(slots.c.status == "checked_in").label("checked_in"),
        )
        .select_from(sp.outerjoin(slots, on_day))
        .where(_where(ctx, scope, allowed, None))
        .group_by(*[c for c in sp.c if c.name not in ("city_code",)])
        .order_by(sp.c.spot_id)
    )
    return read(ctx, query)


def slot_load(
    ctx: Context, *, scope: Scope, allowed: Scope, day: dt.date, spot: str | None = None
) -> pd.DataFrame:
    """Return each spot's slots on ``day``.

    Columns: ``spot_id, name, slot_start, party, instant_capacity, load``; ``load``
    is a fraction of instant capacity (None without a capacity).
    """
    query = (
        sa.select(
            sp.c.spot_id,
            sp.c.name,
            slots.c.slot_start,
            sa.func.sum(slots.c.party).label("party"),
            sp.c.instant_capacity,
        )
        .select_from(slots.join(sp, sp.c.spot_id == slots.c.spot_id))
        .where(
            _where(ctx, scope, allowed, spot),
            slots.c.visit_date == day,
            slots.c.status.in_(PRESENT),
        )
        .group_by(sp.c.spot_id, sp.c.name, slots.c.slot_start, sp.c.instant_capacity)
        .order_by(sp.c.spot_id, slots.c.slot_start)
    )
    frame = read(ctx, query)
    # the rule of the KPI peak_slot_load: party present / instant capacity, None without one
    frame["load"] = ratio(frame["party"], frame["instant_capacity"]).to_numpy()
    return frame


def bookings_trend(
    ctx: Context,
    *,
    scope: Scope,
    allowed: Scope,
    day: dt.date,
    back: int = 30,
    ahead: int = 7,
    spot: str | None = None,
) -> pd.DataFrame:
    """Return party sizes per visit day and status around ``day``: ``visit_date, status, party``."""
    query = (
        sa.select(slots.c.visit_date, slots.c.status, sa.func.sum(slots.c.party).label("party"))
        .select_from(slots.join(sp, sp.c.spot_id == slots.c.spot_id))
        .where(
            _where(ctx, scope, allowed, spot),
            slots.c.visit_date.between(
                day - dt.timedelta(days=back), day + dt.timedelta(days=ahead)
            ),
        )
        .group_by(slots.c.visit_date, slots.c.status)
        .order_by(slots.c.visit_date)
    )
    return read(ctx, query)


def origins(
    ctx: Context,
    *,
    scope: Scope,
    allowed: Scope,
    day: dt.date,
    back: int = 30,
    spot: str | None = None,
) -> pd.DataFrame:
    """Return visitors (counted statuses) by origin over ``back`` days up to ``day``.

    Columns: ``visitor_origin, party``.
    """
    origin = sa.func.coalesce(bk.c.visitor_origin, sa.literal_column("''"))
    query = (
        sa.select(origin.label("visitor_origin"), sa.func.sum(bk.c.party_size).label("party"))
        .select_from(bk.join(sp, sp.c.spot_id == bk.c.spot_id))
        .where(
            _where(ctx, scope, allowed, spot),
            bk.c.status.in_(COUNTED),
            bk.c.visit_date.between(day - dt.timedelta(days=back), day),
        )
        .group_by(origin)
        .order_by(sa.func.sum(bk.c.party_size).desc())
    )
    return read(ctx, query)


def feedback_summary(
    ctx: Context,
    *,
    scope: Scope,
    allowed: Scope,
    since: dt.datetime,
    spot: str | None = None,
    until: dt.datetime | None = None,
) -> pd.DataFrame:
    """Return feedback counted by ``kind, status, rating`` (``items``).

    Feedback from ``since`` (to before ``until``, if given).
    """
    window = [fb.c.ts >= since] + ([fb.c.ts < until] if until is not None else [])
    query = (
        sa.select(fb.c.kind, fb.c.status, fb.c.rating, sa.func.count().label("items"))
        .select_from(fb.join(sp, sp.c.spot_id == fb.c.spot_id))
        .where(_where(ctx, scope, allowed, spot), *window)
        .group_by(fb.c.kind, fb.c.status, fb.c.rating)
    )
    return read(ctx, query)


def crowded_slots(
    ctx: Context,
    *,
    scope: Scope,
    allowed: Scope,
    start: dt.date,
    end: dt.date,
    limit: int = 10,
) -> pd.DataFrame:
    """Return the ``limit`` most loaded slots of any spot on any day from ``start`` to ``end``.

    A slot's load is the KPI ``peak_slot_load``'s: booked + checked-in party over
    the spot's instant capacity (slots of a spot without one are left out).
    Columns: ``spot_id, name, district_code, visit_date, slot_start, party,
    instant_capacity, load`` — the highest load first.
    """
    party = sa.func.sum(slots.c.party)
    load = sa.cast(party, sa.Double) / sa.func.nullif(sp.c.instant_capacity, 0)
    query = (
        sa.select(
            sp.c.spot_id,
            sp.c.name,
            sp.c.district_code,
            slots.c.visit_date,
            slots.c.slot_start,
            party.label("party"),
            sp.c.instant_capacity,
            load.label("load"),
        )
        .select_from(slots.join(sp, sp.c.spot_id == slots.c.spot_id))
        .where(
            _where(ctx, scope, allowed, None),
            slots.c.visit_date.between(start, end),
            slots.c.status.in_(PRESENT),
            sp.c.instant_capacity > 0,
        )
        .group_by(sp.c.spot_id, sp.c.name, sp.c.district_code, sp.c.instant_capacity,
                  slots.c.visit_date, slots.c.slot_start)
        .order_by(load.desc(), slots.c.visit_date, sp.c.spot_id, slots.c.slot_start)
        .limit(limit)
    )  # fmt: skip
    return read(ctx, query)


def open_complaints(
    ctx: Context, *, scope: Scope, allowed: Scope, now: dt.datetime, limit: int = 10
) -> pd.DataFrame:
    """Return the ``limit`` oldest complaints still open (the KPI ``complaints_open``'s rows).

    Columns: ``feedback_id, spot_id, name, district_code, ts, open_hours, category``.
    """
    query = (
        sa.select(fb.c.feedback_id, sp.c.spot_id, sp.c.name, sp.c.district_code, fb.c.ts,
                  fb.c.category)
        .select_from(fb.join(sp, sp.c.spot_id == fb.c.spot_id))
        .where(_where(ctx, scope, allowed, None), fb.c.kind == "complaint",
               fb.c.status == "open")
        .order_by(fb.c.ts, fb.c.feedback_id)
        .limit(limit)
    )  # fmt: skip
    frame = read(ctx, query)
    frame.insert(5, "open_hours", hours_since(now, frame["ts"]))
    return frame


def spot(ctx: Context, *, spot_id: str, allowed: Scope) -> pd.Series | None:
    """Return one scenic spot, or None."""
    return entity(ctx, sp, "spot_id", spot_id, allowed=allowed, what="spot")
