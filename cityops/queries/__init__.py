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

from cityops.context import Context
from cityops.geo import Level, Scope, ScopeDenied
from cityops.kpis import Filters, compute_kpis


def scope_kpis(
    ctx: Context,
    *,
    scope: Scope,
    day: dt.date,
    allowed: Scope,
    filters: Filters | None = None,
) -> pd.DataFrame:
    """Return the 14 KPIs of ``scope`` on ``day``: one row indexed by the scope's code."""
    return compute_kpis(
        ctx.engine,
        geo=ctx.geo,
        scope=scope,
        day=day,
        allowed=allowed,
        rules=ctx.rules,
        filters=filters,
    )


def child_kpis(
    ctx: Context,
    *,
    scope: Scope,
    day: dt.date,
    allowed: Scope,
    filters: Filters | None = None,
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
    )
    return container, level, frame


# --------------------------------------------------------------------- reading
def _dtype_of(column_type: sa.types.TypeEngine) -> str | None:
    """Return the pandas dtype a column of this SQL type is read as (None: leave it)."""
    if isinstance(column_type, sa.DateTime):
        return "datetime64[ns]"
    if isinstance(column_type, sa.Boolean):
        return "boolean"
    if isinstance(column_type, sa.Integer):
        return "Int64"
    if isinstance(column_type, sa.Float | sa.Numeric):
        return "float64"
    if isinstance(column_type, sa.String | sa.Text | sa.Date | sa.Time):
        return "object"
    return None


def typed(frame: pd.DataFrame, query) -> pd.DataFrame:
    """Return ``frame`` with each column cast to the type its SELECT declares.

    Empty results come back from the driver as object columns; after this, a
    timestamp column is ``datetime64`` and a count ``Int64`` whether or not
    there are rows, so ``.dt`` and arithmetic never fail on an empty area.
    """
    columns = getattr(query, "selected_columns", None)
    if columns is None:
        return frame
    for col in columns:
        name = col.key
        if name not in frame:
            continue
        dtype = _dtype_of(col.type)
        if dtype is None:
            continue
        if dtype == "datetime64[ns]":
            frame[name] = pd.to_datetime(frame[name], errors="coerce")
        elif dtype == "Int64":  # int64 when complete, float64 (NaN) when a value is missing
            values = pd.to_numeric(frame[name], errors="coerce").astype(float)
            frame[name] = values if values.isna().any() else values.astype("int64")
        elif dtype == "float64":
            frame[name] = pd.to_numeric(frame[name], errors="coerce").astype(float)
        elif dtype == "boolean":  # bool when complete, else object with None
            col = frame[name]
            frame[name] = col.astype(bool) if col.notna().all() else col.astype(object)
        else:
            frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    return frame


def mask_personal(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with every personal column (declared in the dataset specs) masked."""
    from loaders.specs import mask, personal_columns

    for column, kind in personal_columns().items():
        if column in frame:
            frame[column] = [mask(kind, v) if v is not None and v == v else None
                             for v in frame[column]]  # fmt: skip
    return frame


def read(ctx: Context, query) -> pd.DataFrame:
    """Run a SELECT on the store as published now; return its rows, typed and masked."""
    with ctx.engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    return mask_personal(typed(frame, query))


def read_unmasked(ctx: Context, query) -> pd.DataFrame:
    """Run a SELECT whose personal columns are needed as keys, never shown; return it typed."""
    with ctx.engine.connect() as conn:
        return typed(pd.read_sql(query, conn), query)


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
        cell = hazmat.current_cell(ctx, waybill_id=key) or row["origin_grid_cell"]
    else:
        cell = row["grid_cell"]
    return Found(kind, key, "found", row, cell if isinstance(cell, str) and cell else None)


def hours_since(now: dt.datetime, stamps: pd.Series) -> pd.Series:
    """Return the hours from each timestamp to ``now``, one decimal (typed, empty-safe)."""
    stamps = pd.to_datetime(stamps, errors="coerce")
    return ((pd.Timestamp(now) - stamps).dt.total_seconds() / 3600).round(1).astype(float)


__all__ = [
    "Found",
    "child_kpis",
    "entity",
    "find_entity",
    "hours_since",
    "mask_personal",
    "read",
    "read_unmasked",
    "scope_kpis",
    "typed",
]
