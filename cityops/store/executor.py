"""The read door: every SELECT of the store runs through :func:`execute`.

It caps the rows, stops a statement that runs too long, returns frames typed by
the SELECT's declared column types (even when empty) and keeps answers per
(store version, SQL, parameters). Query functions (``cityops.queries``) build
the SELECTs, with the caller's permitted scope in their WHERE clauses, and
mask personal columns on top.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cityops.settings import get_settings
from cityops.store.versions import Storage


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


class QueryTimeout(RuntimeError):
    """A read ran past ``CITYOPS_QUERY_TIMEOUT_S`` and was stopped."""


_CACHE: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
_CACHE_LOCK = threading.Lock()
log = logging.getLogger(__name__)


def _cache_key(storage: Storage, engine: Engine, query) -> tuple:
    compiled = query.compile(dialect=engine.dialect)
    params = tuple(sorted((k, repr(v)) for k, v in compiled.params.items()))
    return (storage.data_revision(), str(compiled), params)


def execute(source: Storage | Engine, query) -> pd.DataFrame:
    """Run one SELECT through the read door; return its rows typed (not masked).

    ``source`` is the published store (a :class:`Storage`: capped, timed, cached)
    or, for a writer reading inside its own unpublished version (a load reading
    the boundaries), that version's engine: capped and timed, never cached.

    Every read of the store goes through here: it caps the rows
    (``CITYOPS_QUERY_ROW_CAP``), stops a statement that runs too long
    (``CITYOPS_QUERY_TIMEOUT_S``, raising :class:`QueryTimeout`) and keeps answers
    per store version, query and parameters (``CITYOPS_QUERY_CACHE_ENTRIES``): a
    published version never changes, so a cached answer is exact, and a load
    publishes a new version that the next request reads afresh. The permitted
    scope is part of every query's WHERE clause, hence of the key.
    """
    if hasattr(source, "reader_engine"):  # a Storage (or a stand-in with its interface)
        storage, engine = source, source.reader_engine()
        values = storage.settings.values
        size = int(values.get("query_cache_entries", 0))
    else:
        storage, engine, values, size = None, source, get_settings().values, 0
    cap = int(values.get("query_row_cap", 200_000))
    if isinstance(query, sa.Select) and query._limit_clause is None:
        query = query.limit(cap + 1)
    key = _cache_key(storage, engine, query) if size else None
    if key is not None:
        with _CACHE_LOCK:
            hit = _CACHE.get(key)
            if hit is not None:
                _CACHE.move_to_end(key)
                return hit.copy()
    frame = typed(_run(engine, query, float(values.get("query_timeout_s", 20.0))), query)
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


def _run(engine: Engine, query, timeout: float) -> pd.DataFrame:
    """Run ``query`` on one connection, interrupting it after ``timeout`` seconds."""
    with engine.connect() as conn:
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


def clear_cache() -> None:
    """Forget every cached answer (benchmarks measure cold reads with this)."""
    with _CACHE_LOCK:
        _CACHE.clear()
