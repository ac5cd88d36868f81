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
import logging
import threading
from collections import OrderedDict
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
        run=lambda query: execute(ctx, query),
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
        run=lambda query: execute(ctx, query),
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


class QueryTimeout(RuntimeError):
    """A read ran past ``CITYOPS_QUERY_TIMEOUT_S`` and was stopped."""


_CACHE: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
_CACHE_LOCK = threading.Lock()
log = logging.getLogger(__name__)


def _cache_key(ctx: Context, query) -> tuple:
    compiled = query.compile(dialect=ctx.engine.dialect)
    params = tuple(sorted((k, repr(v)) for k, v in compiled.params.items()))
    return (ctx.storage.data_revision(), str(compiled), params)


def execute(ctx: Context, query) -> pd.DataFrame:
    """Run one SELECT through the read door; return its rows typed (not masked).

    Every read of the store goes through here: it caps the rows
    (``CITYOPS_QUERY_ROW_CAP``), stops a statement that runs too long
    (``CITYOPS_QUERY_TIMEOUT_S``, raising :class:`QueryTimeout`) and keeps answers
    per store version, query and parameters (``CITYOPS_QUERY_CACHE_ENTRIES``): a
    published version never changes, so a cached answer is exact, and a load
    publishes a new version that the next request reads afresh. The permitted
    scope is part of every query's WHERE clause, hence of the key.
    """
    values = ctx.settings.values
    cap = int(values.get("query_row_cap", 200_000))
    size = int(values.get("query_cache_entries", 0))
    if isinstance(query, sa.Select) and query._limit_clause is None:
        query = query.limit(cap + 1)
    key = _cache_key(ctx, query) if size else None
    if key is not None:
        with _CACHE_LOCK:
            hit = _CACHE.get(key)
            if hit is not None:
                _CACHE.move_to_end(key)
                return hit.copy()
    frame = typed(_run(ctx, query, float(values.get("query_timeout_s", 20.0))), query)
    if len(frame) > cap:
        log.warning("a read returned more than %d rows; cut there", cap)
        frame = frame.iloc[:cap].copy()
        frame.attrs["truncated"] = True
    if key is not None:
        with _CACHE_LOCK:
            _CACHE[key] = frame.copy()
            while len(_CACHE) > size:
                _CACHE.popitem(last=False)
    return frame


def _run(ctx: Context, query, timeout: float) -> pd.DataFrame:
    """Run ``query`` on one connection, interrupting it after ``timeout`` seconds."""
    with ctx.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SET statement_timeout = {int(timeout * 1000)}")
            try:
                return pd.read_sql(query, conn)
            except sa.exc.OperationalError as exc:
                if "statement timeout" in str(exc):
                    raise QueryTimeout(f"a read ran past {timeout:g} s") from None
                raise
        raw = conn.connection.driver_connection
        timer = threading.Timer(timeout, raw.interrupt)
        timer.start()
        try:
            return pd.read_sql(query, conn)
        except Exception as exc:
            if not timer.is_alive() and "interrupt" in str(exc).lower():
                raise QueryTimeout(f"a read ran past {timeout:g} s") from None
            raise
        finally:
            timer.cancel()


def read(ctx: Context, query) -> pd.DataFrame:
    """Run a SELECT through the read door; return its rows, typed and masked."""
    return mask_personal(execute(ctx, query))


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
