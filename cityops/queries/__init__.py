"""Named questions the pages and the API ask; each returns a DataFrame.

Domain questions live in the submodules (video, hazmat, rentals, tourism).

Every function takes the caller's permitted scope (``allowed``) and refuses a
scope outside it, so a hand-made request cannot read another area.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from cityops.context import Context
from cityops.geo import Level, Scope, ScopeDenied
from cityops.kpis import compute_kpis


def scope_kpis(ctx: Context, *, scope: Scope, day: dt.date, allowed: Scope) -> pd.DataFrame:
    """Return the 14 KPIs of ``scope`` on ``day``: one row indexed by the scope's code."""
    return compute_kpis(
        ctx.engine, geo=ctx.geo, scope=scope, day=day, allowed=allowed, rules=ctx.rules
    )


def child_kpis(
    ctx: Context, *, scope: Scope, day: dt.date, allowed: Scope
) -> tuple[Scope, Level, pd.DataFrame]:
    """Return the KPIs of the areas the map shows for ``scope``.

    Returns
    -------
    tuple
        ``(container, level, frame)``: the scope whose children are shown, their
        level, and one row per child area code (every child, rows of 0 where
        there is no data).
    """
    container, level = ctx.geo.map_container(scope)
    frame = compute_kpis(
        ctx.engine,
        geo=ctx.geo,
        scope=container,
        day=day,
        allowed=allowed,
        rules=ctx.rules,
        by=level,
        areas=ctx.geo.child_codes(container),
    )
    return container, level, frame


def read(ctx: Context, query) -> pd.DataFrame:
    """Run a SELECT on the store as published now; return its rows."""
    with ctx.engine.connect() as conn:
        return pd.read_sql(query, conn)


def entity(
    ctx: Context,
    table: sa.Table,
    key: str,
    value: str,
    *,
    allowed: Scope,
    district_column: str = "district_code",
    what: str = "row",
) -> pd.Series | None:
    """Return the row of ``table`` whose ``key`` is ``value``, or None.

    Raises ScopeDenied when the row's district lies outside the permitted area, so
    a hand-made URL cannot open another district's camera, waybill, flat or spot.
    """
    frame = read(ctx, sa.select(table).where(table.c[key] == value))
    if frame.empty:
        return None
    row = frame.iloc[0]
    district = row[district_column]
    if district and not allowed.contains(ctx.geo.scope(district)):
        raise ScopeDenied(f"{what} {value} is outside the permitted area")
    return row
