"""The read door: every SELECT of the store runs through :func:`execute`.

It caps the rows, stops a statement that runs too long, returns frames typed by
the SELECT's declared column types (even when empty) and keeps answers per
(store version, SQL, parameters). Query functions (``cityops.queries``) build
the SELECTs, with the caller's permitted scope in their WHERE clauses, and
mask personal columns on top.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from collections import OrderedDict
from contextlib import suppress

import numpy as np
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
    if isinstance(column_type, sa.Date) and not isinstance(column_type, sa.DateTime):
        return "date"
    if isinstance(column_type, sa.String | sa.Text | sa.Time):
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
        current = frame[name].dtype
        if (dtype == "float64" and current == np.float64) or (
            dtype == "datetime64[ns]" and current.kind == "M"
        ):
            continue  # the driver gave it typed already
        if dtype == "datetime64[ns]":
            frame[name] = pd.to_datetime(frame[name], errors="coerce")
        elif dtype == "Int64":  # int64 when complete, float64 (NaN) when a value is missing
            values = pd.to_numeric(frame[name], errors="coerce").astype(float)
            frame[name] = values if values.isna().any() else values.astype("int64")
        elif dtype == "float64":
            frame[name] = pd.to_numeric(frame[name], errors="coerce").astype(float)
        elif dtype == "date":  # datetime.date objects (None where missing)
            values = pd.to_datetime(frame[name], errors="coerce")
            frame[name] = pd.Series(
                [v.date() if v is not pd.NaT else None for v in values],
                index=frame.index, dtype=object,
            )  # fmt: skip
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
    """Return the answer's key: store revision, the statement's shape, its parameter values.

    SQLAlchemy's own cache key (the shape it caches compiled SQL under, with the
    bound values apart) is used rather than compiling the statement a second time.
    """
    key = query._generate_cache_key() if hasattr(query, "_generate_cache_key") else None
    if key is None:  # not cacheable by shape: the compiled text and parameters
        compiled = query.compile(dialect=engine.dialect)
        params = tuple(sorted((k, repr(v)) for k, v in compiled.params.items()))
        return (storage.data_revision(), str(compiled), params)
    values = tuple(repr(b.effective_value) for b in key.bindparams)
    return (storage.data_revision(), key.key, values)


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


class _Watchdog:
    """One thread that interrupts DuckDB statements past their deadline.

    A thread per statement (``threading.Timer``) costs more than a small query
    itself on a busy machine; this one sleeps until the nearest deadline.
    """

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._due: dict[int, tuple[float, object]] = {}
        self._fired: set[int] = set()
        self._next = 0
        self._thread: threading.Thread | None = None

    def watch(self, timeout: float, raw) -> int:
        """Interrupt ``raw`` (a DuckDB connection) after ``timeout`` s; return a ticket."""
        with self._lock:
            self._next += 1
            self._due[self._next] = (time.monotonic() + timeout, raw)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="query-watchdog",
                                                daemon=True)  # fmt: skip
                self._thread.start()
            self._lock.notify()
            return self._next

    def done(self, ticket: int) -> bool:
        """Stop watching ``ticket``; return True when it was interrupted."""
        with self._lock:
            self._due.pop(ticket, None)
            if ticket in self._fired:
                self._fired.discard(ticket)
                return True
            return False

    def _loop(self) -> None:
        with self._lock:
            while True:
                now = time.monotonic()
                for ticket, (deadline, raw) in list(self._due.items()):
                    if deadline <= now:
                        self._due.pop(ticket)
                        self._fired.add(ticket)
                        with suppress(Exception):
                            raw.interrupt()
                nearest = min((d for d, _ in self._due.values()), default=now + 60)
                self._lock.wait(max(0.001, nearest - now))


_WATCHDOG = _Watchdog()


def _after_fork_in_child() -> None:
    """Give a forked process (a report job of the Reports page) its own locks and watchdog.

    The server is multi-threaded; a fork copies a lock another thread held at that
    moment as held forever, and no thread of the parent's watchdog exists in the child.
    The cached answers are exact (versions never change), so they are kept.
    """
    global _CACHE_LOCK, _WATCHDOG
    _CACHE_LOCK = threading.Lock()
    _WATCHDOG = _Watchdog()


# The objects alive at a fork stay out of the child's garbage collector (``gc.freeze``):
# a report job once crashed (SIGSEGV, "Garbage-collecting" under a SQLAlchemy compile)
# collecting a cycle it inherited — native objects (database connections, Arrow buffers)
# of the parent whose finalizers are not safe in a forked copy. The parent unfreezes at
# once; the child never frees what it inherited, only what it makes.
os.register_at_fork(before=gc.freeze, after_in_parent=gc.unfreeze,
                    after_in_child=_after_fork_in_child)  # fmt: skip


def _frame(result) -> pd.DataFrame:
    """Return a result's rows as a frame (DuckDB hands it over column-wise)."""
    cursor = getattr(result, "cursor", None)
    if cursor is not None and hasattr(cursor, "df"):
        return cursor.df()
    return pd.DataFrame.from_records(result.fetchall(), columns=list(result.keys()),
                                     coerce_float=True)  # fmt: skip


_COMPILED: OrderedDict[tuple, object] = OrderedDict()
_COMPILED_ENTRIES = 2048


def _statement(conn, query):
    """Return ``query`` run on ``conn`` as a result.

    A driver that SQLAlchemy does not cache compiled statements for (DuckDB's)
    would compile every SELECT on every run — for a KPI statement that costs more
    than the database's answer — so compiled statements are kept here by their
    shape and run with this run's parameter values.
    """
    dialect = conn.dialect
    key = None
    if not dialect.supports_statement_cache and hasattr(query, "_generate_cache_key"):
        key = query._generate_cache_key()
    if key is None:
        return conn.execute(query)
    slot = (dialect.name, key.key)
    with _CACHE_LOCK:
        compiled = _COMPILED.get(slot)
    if compiled is None:
        compiled = query.compile(dialect=dialect, cache_key=key)
        with _CACHE_LOCK:
            _COMPILED[slot] = compiled
            while len(_COMPILED) > _COMPILED_ENTRIES:
                _COMPILED.popitem(last=False)
    # this run's values on the kept statement, IN lists expanded (as SQLAlchemy does)
    params = compiled.construct_params(extracted_parameters=key.bindparams, _no_postcompile=True)
    state = compiled._process_parameters_for_postcompile(params)
    values = state.parameters
    for name, process in state.processors.items():
        if name in values:
            values[name] = process(values[name])
    if state.positiontup is not None:
        return conn.exec_driver_sql(state.statement, tuple(values[n] for n in state.positiontup))
    return conn.exec_driver_sql(state.statement, values)


def _run(engine: Engine, query, timeout: float) -> pd.DataFrame:
    """Run ``query`` on one connection, interrupting it after ``timeout`` seconds."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SET statement_timeout = {int(timeout * 1000)}")
            try:
                return _frame(conn.execute(query))
            except sa.exc.OperationalError as exc:
                if "statement timeout" in str(exc):
                    raise QueryTimeout(f"a read ran past {timeout:g} s") from None
                raise
        ticket = _WATCHDOG.watch(timeout, conn.connection.driver_connection)
        try:
            frame = _frame(_statement(conn, query))
        except Exception as exc:
            if _WATCHDOG.done(ticket) and "interrupt" in str(exc).lower():
                raise QueryTimeout(f"a read ran past {timeout:g} s") from None
            raise
        _WATCHDOG.done(ticket)
        return frame


def clear_cache() -> None:
    """Forget every cached answer (benchmarks measure cold reads with this)."""
    with _CACHE_LOCK:
        _CACHE.clear()
