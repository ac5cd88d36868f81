"""Named questions the pages and the API ask; each returns a DataFrame.

Domain questions live in the submodules (video, hazmat, rentals, tourism).

Every function takes the caller's permitted scope (``allowed``) and refuses a
scope outside it, so a hand-made request cannot read another area. Every
SELECT goes through :func:`read`, which returns *typed* frames (typed even when
empty: a timestamp column of no rows is still ``datetime64``) and masks
personal columns at the read boundary, so no page ever holds an unmasked
landlord's phone or a plate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import pandas as pd
import sqlalchemy as sa

from cityops.datasets import mask, personal_columns
from cityops.geo import Level, Scope, ScopeDenied
from cityops.queries.context import Context
from cityops.queries.kpis import Filters, compute_kpis
from cityops.store.executor import QueryTimeout, execute, typed


def scope_kpis(
    ctx: Context,
    *,
    scope: Scope,
    day: dt.date,
    allowed: Scope,
    filters: Filters | None = None,
    until: dt.date | None = None,
) -> pd.DataFrame:
    """Return the 14 KPIs of ``scope`` on ``day``: one row indexed by the scope's code.

    With ``until``, the day KPIs cover ``day`` to ``until`` (see :func:`compute_kpis`).
    """
    return compute_kpis(
        ctx.engine,
        geo=ctx.geo,
        scope=scope,
        day=day,
        allowed=allowed,
        rules=ctx.rules,
        filters=filters,
        until=until,
        run=lambda query: execute(ctx.storage, query),
    )


def child_kpis(
    ctx: Context,
    *,
    scope: Scope,
    day: dt.date,
    allowed: Scope,
    filters: Filters | None = None,
    until: dt.date | None = None,
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
        filters=(filters or Filters()).without_entities(),
        until=until,
        run=lambda query: execute(ctx.storage, query),
    )
    return container, level, frame


# --------------------------------------------------------------------- reading
def mask_personal(frame: pd.DataFrame, columns: dict[str, str] | None = None) -> pd.DataFrame:
    """Return ``frame`` with its personal columns masked.

    ``columns`` (column → kind) are the ones to mask, by default every personal
    column the dataset specs declare; ``{}`` masks nothing.
    """
    for column, kind in (personal_columns() if columns is None else columns).items():
        if column in frame:
            frame[column] = [mask(kind, v) if v is not None and v == v else None
                             for v in frame[column]]  # fmt: skip
    return frame


def read(ctx: Context, query) -> pd.DataFrame:
    """Run a SELECT through the read door (:func:`cityops.store.executor.execute`).

    Returns its rows typed and with personal columns masked unless the current
    user's role may see them (:meth:`Context.masked_columns`).
    """
    return mask_personal(execute(ctx.storage, query), ctx.masked_columns())


# --------------------------------------------------------------------- entities
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


EntityKind = Literal["camera", "waybill", "unit", "spot"]


@dataclass(frozen=True)
class Found:
    """What looking up an entity by id gave.

    ``state`` is ``found``, ``not-found`` or ``denied``; ``row`` the entity's row
    (personal data masked) and ``cell`` the grid cell the entity is at now
    (where the page opens it), both None unless found.
    """

    kind: EntityKind
    key: str
    state: Literal["found", "not-found", "denied"]
    row: pd.Series | None = None
    cell: str | None = None


def find_entity(ctx: Context, kind: EntityKind, key: str, *, allowed: Scope) -> Found:
    """Look up a camera, waybill, rental unit or scenic spot by id for a caller.

    Returns
    -------
    Found
        ``not-found`` for an unknown id, ``denied`` for one outside ``allowed``
        (the caller learns nothing more about it), else the row and its cell.
    """
    from cityops.queries import hazmat, rentals, tourism, video

    lookups = {
        "camera": lambda: video.camera(ctx, camera_id=key, allowed=allowed),
        "waybill": lambda: hazmat.waybill(ctx, waybill_id=key, allowed=allowed),
        "unit": lambda: rentals.unit(ctx, unit_id=key, allowed=allowed),
        "spot": lambda: tourism.spot(ctx, spot_id=key, allowed=allowed),
    }
    try:
        row = lookups[kind]()
    except ScopeDenied:
        return Found(kind, key, "denied")
    if row is None:
        return Found(kind, key, "not-found")
    if kind == "waybill":
        cell = hazmat.current_cell(ctx, waybill_id=key, allowed=allowed) or row["origin_grid_cell"]
    else:
        cell = row["grid_cell"]
    return Found(kind, key, "found", row, cell if isinstance(cell, str) and cell else None)


def hours_since(now: dt.datetime, stamps: pd.Series) -> pd.Series:
    """Return the hours from each timestamp to ``now``, one decimal (typed, empty-safe)."""
    stamps = pd.to_datetime(stamps, errors="coerce")
    return ((pd.Timestamp(now) - stamps).dt.total_seconds() / 3600).round(1).astype(float)


__all__ = [
    "Found",
    "QueryTimeout",
    "child_kpis",
    "entity",
    "execute",
    "find_entity",
    "hours_since",
    "mask_personal",
    "read",
    "scope_kpis",
    "typed",
]
