"""The store: schema and engine, in portable SQLAlchemy Core.

The same tables run on the embedded DuckDB file (default) and on PostgreSQL.
Times are stored as naive timestamps in Asia/Shanghai local time, as the data
contract defines them. Every located row carries ``city_code``,
``district_code`` and ``grid_cell`` (H3), assigned when it is written, so a
scope filter is a plain equality on an indexed column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

metadata = sa.MetaData()


def _located(prefix: str = "") -> list[sa.Column]:
    """Return the area columns that place a row in a city, district and grid cell."""
    return [
        sa.Column(f"{prefix}city_code", sa.String(6), index=True),
        sa.Column(f"{prefix}district_code", sa.String(6), index=True),
        sa.Column(f"{prefix}grid_cell", sa.String(16), index=True),
    ]


areas = sa.Table(
    "areas",
    metadata,
    sa.Column("code", sa.String(6), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("level", sa.String(10), nullable=False),  # province / city / district
    sa.Column("parent_code", sa.String(6)),
    sa.Column("centroid_lon", sa.Double, nullable=False),
    sa.Column("centroid_lat", sa.Double, nullable=False),
    sa.Column("min_lon", sa.Double, nullable=False),
    sa.Column("min_lat", sa.Double, nullable=False),
    sa.Column("max_lon", sa.Double, nullable=False),
    sa.Column("max_lat", sa.Double, nullable=False),
    sa.Column("geometry", sa.Text, nullable=False),  # GeoJSON, WGS84, full detail
    sa.Column("geometry_simple", sa.Text, nullable=False),  # GeoJSON for the browser
    sa.Column("source", sa.Text, nullable=False),
)

cameras = sa.Table(
    "cameras",
    metadata,
    sa.Column("camera_id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text),
    sa.Column("department", sa.Text),
    sa.Column("kind", sa.Text),
    sa.Column("lon", sa.Double, nullable=False),
    sa.Column("lat", sa.Double, nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("last_seen", sa.DateTime),
    sa.Column("ai_enabled", sa.Boolean, nullable=False),
    *_located(),
)

#: Status changes of cameras, recorded by the loader from successive exports.
camera_status_history = sa.Table(
    "camera_status_history",
    metadata,
    sa.Column("camera_id", sa.Text, nullable=False, index=True),
    sa.Column("changed_at", sa.DateTime, nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("load_id", sa.String(32), nullable=False),
)

video_events = sa.Table(
    "video_events",
    metadata,
    sa.Column("event_id", sa.Text, primary_key=True),
    sa.Column("camera_id", sa.Text, nullable=False, index=True),
    sa.Column("ts", sa.DateTime, nullable=False),
    sa.Column("event_type", sa.Text),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("closed_at", sa.DateTime),
)

hazmat_waybills = sa.Table(
    "hazmat_waybills",
    metadata,
    sa.Column("waybill_id", sa.Text, primary_key=True),
    sa.Column("vehicle_plate", sa.Text, nullable=False, index=True),
    sa.Column("carrier", sa.Text),
    sa.Column("un_number", sa.String(4)),
    sa.Column("hazard_class", sa.String(4)),
    sa.Column("cargo_name", sa.Text),
    sa.Column("tonnage", sa.Double, nullable=False),
    sa.Column("origin_name", sa.Text),
    sa.Column("origin_lon", sa.Double, nullable=False),
    sa.Column("origin_lat", sa.Double, nullable=False),
    sa.Column("dest_name", sa.Text),
    sa.Column("dest_lon", sa.Double),
    sa.Column("dest_lat", sa.Double),
    sa.Column("depart_at", sa.DateTime, nullable=False),
    sa.Column("arrive_at", sa.DateTime),
    sa.Column("status", sa.String(12), nullable=False),
    *_located("origin_"),
)

hazmat_tracks = sa.Table(
    "hazmat_tracks",
    metadata,
    sa.Column("vehicle_plate", sa.Text, primary_key=True),
    sa.Column("ts", sa.DateTime, primary_key=True),
    sa.Column("lon", sa.Double, nullable=False),
    sa.Column("lat", sa.Double, nullable=False),
    sa.Column("speed_kmh", sa.Double),
    *_located(),
)

#: Derived at load time (cityops.store.derived): each waybill in transit at its current
#: position — the vehicle's last fix since departure, else its origin. Rebuilt after
#: every load of waybills or tracks, so no read scans the GPS history (5M+ fixes).
hazmat_positions = sa.Table(
    "hazmat_positions",
    metadata,
    sa.Column("waybill_id", sa.Text, primary_key=True),
    sa.Column("vehicle_plate", sa.Text, nullable=False),
    sa.Column("hazard_class", sa.String(8), nullable=False),
    sa.Column("tonnage", sa.Double, nullable=False),
    sa.Column("lon", sa.Double),
    sa.Column("lat", sa.Double),
    sa.Column("ts", sa.DateTime),
    *_located(),
)

hazmat_alarms = sa.Table(
    "hazmat_alarms",
    metadata,
    sa.Column("alarm_id", sa.Text, primary_key=True),
    sa.Column("vehicle_plate", sa.Text, nullable=False, index=True),
    sa.Column("waybill_id", sa.Text),
    sa.Column("ts", sa.DateTime, nullable=False),
    sa.Column("alarm_type", sa.String(20), nullable=False),
    sa.Column("severity", sa.Integer, nullable=False),
    sa.Column("lon", sa.Double, nullable=False),
    sa.Column("lat", sa.Double, nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("closed_at", sa.DateTime),
    *_located(),
)

rentals = sa.Table(
    "rentals",
    metadata,
    sa.Column("unit_id", sa.Text, primary_key=True),
    sa.Column("address", sa.Text),
    sa.Column("lon", sa.Double, nullable=False),
    sa.Column("lat", sa.Double, nullable=False),
    sa.Column("floor_area_m2", sa.Double, nullable=False),
    sa.Column("rooms", sa.Integer, nullable=False),
    sa.Column("occupants", sa.Integer, nullable=False),
    sa.Column("landlord_name", sa.Text),
    sa.Column("landlord_phone", sa.Text),
    sa.Column("registered_at", sa.DateTime),
    sa.Column("inspection_status", sa.String(10), nullable=False),
    sa.Column("inspected_at", sa.DateTime),
    *_located(),
)

scenic_spots = sa.Table(
    "scenic_spots",
    metadata,
    sa.Column("spot_id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("lon", sa.Double, nullable=False),
    sa.Column("lat", sa.Double, nullable=False),
    sa.Column("grade", sa.String(4)),
    sa.Column("daily_capacity", sa.Integer),
    sa.Column("instant_capacity", sa.Integer),
    *_located(),
)

bookings = sa.Table(
    "bookings",
    metadata,
    sa.Column("booking_id", sa.Text, primary_key=True),
    sa.Column("spot_id", sa.Text, nullable=False, index=True),
    sa.Column("visit_date", sa.Date, nullable=False, index=True),
    sa.Column("slot_start", sa.String(5), nullable=False),
    sa.Column("slot_end", sa.String(5), nullable=False),
    sa.Column("party_size", sa.Integer, nullable=False),
    sa.Column("visitor_origin", sa.Text),
    sa.Column("channel", sa.Text),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("booked_at", sa.DateTime),
)

#: Derived: cameras and their open algorithm events per grid cell and owning department
#: (department '' when none) — the video KPIs read this (tens of thousands of rows)
#: instead of joining every event to every camera. Rebuilt after loads of either.
camera_cells = sa.Table(
    "camera_cells",
    metadata,
    *_located(),
    sa.Column("department", sa.Text, nullable=False),
    sa.Column("cameras_total", sa.BigInteger, nullable=False),
    sa.Column("cameras_online", sa.BigInteger, nullable=False),
    sa.Column("cameras_ai", sa.BigInteger, nullable=False),
    sa.Column("video_events_open", sa.BigInteger, nullable=False),
)

#: Derived: algorithm events per district, owning department, day and type — the video
#: page's event trend for a city or district reads this instead of joining events to
#: cameras. Rebuilt after loads of cameras or events.
video_event_days = sa.Table(
    "video_event_days",
    metadata,
    sa.Column("city_code", sa.String(6), index=True),
    sa.Column("district_code", sa.String(6), index=True),
    sa.Column("department", sa.Text, nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("event_type", sa.Text),
    sa.Column("events", sa.BigInteger, nullable=False),
)

#: Derived: party sizes and bookings per spot, day, slot and status — the tourism KPIs
#: and charts read this (thousands of rows) instead of every booking (millions).
#: Rebuilt after every load of bookings.
booking_slots = sa.Table(
    "booking_slots",
    metadata,
    sa.Column("spot_id", sa.Text, primary_key=True),
    sa.Column("visit_date", sa.Date, primary_key=True),
    sa.Column("slot_start", sa.String(5), primary_key=True),
    sa.Column("status", sa.String(12), primary_key=True),
    sa.Column("party", sa.BigInteger, nullable=False),
    sa.Column("bookings", sa.BigInteger, nullable=False),
)

feedback = sa.Table(
    "feedback",
    metadata,
    sa.Column("feedback_id", sa.Text, primary_key=True),
    sa.Column("spot_id", sa.Text, nullable=False, index=True),
    sa.Column("ts", sa.DateTime, nullable=False),
    sa.Column("kind", sa.String(12), nullable=False),
    sa.Column("rating", sa.Integer),
    sa.Column("category", sa.Text),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("resolved_at", sa.DateTime),
)

district_population = sa.Table(
    "district_population",
    metadata,
    sa.Column("district_code", sa.String(6), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("population", sa.Integer, nullable=False),
)

#: The status KPIs of the province, each enabled city and each district, recorded at the
#: end of writer sessions (at most one snapshot an hour, 14 days kept), so the wall can
#: show a status KPI's trend against yesterday (cityops.queries.snapshots).
kpi_snapshots = sa.Table(
    "kpi_snapshots",
    metadata,
    sa.Column("taken_at", sa.DateTime, primary_key=True),  # naive, Asia/Shanghai
    sa.Column("code", sa.String(6), primary_key=True),  # area code
    sa.Column("kpi", sa.String(40), primary_key=True),
    sa.Column("value", sa.Double),  # null: a rate with nothing to divide by
)

meta = sa.Table(
    "meta",
    metadata,
    sa.Column("key", sa.String(40), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

#: One row per load attempt: ``status`` accepted (the file's rows were applied) or
#: refused (nothing applied; ``refusal`` says why, the counts are 0).
loads = sa.Table(
    "loads",
    metadata,
    sa.Column("load_id", sa.String(32), primary_key=True),
    sa.Column("dataset", sa.String(40), nullable=False, index=True),
    sa.Column("file", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("format", sa.String(10), nullable=False),
    sa.Column("encoding", sa.String(20)),
    sa.Column("crs", sa.String(10), nullable=False),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime, nullable=False),
    sa.Column("rows_read", sa.Integer, nullable=False),
    sa.Column("inserted", sa.Integer, nullable=False),
    sa.Column("updated", sa.Integer, nullable=False),
    sa.Column("quarantined", sa.Integer, nullable=False),
    sa.Column("flagged", sa.Integer, nullable=False),
    sa.Column("collapsed", sa.Integer, nullable=False),
    sa.Column("ignored_columns", sa.Text, nullable=False),  # JSON list
    # added after the first release: see MIGRATIONS
    sa.Column("status", sa.String(10), server_default="accepted"),  # accepted / refused
    sa.Column("refusal", sa.Text),  # the one-line reason of a refused file (English)
    sa.Column("refusal_key", sa.String(60)),  # i18n key of the reason, for the page
    sa.Column("refusal_args", sa.Text),  # JSON object of its parameters
    sa.Column("warnings", sa.Text),  # JSON list of the load report's warnings
)

#: Quarantined and flagged rows of every load, with the reason and the raw row.
load_issues = sa.Table(
    "load_issues",
    metadata,
    sa.Column("load_id", sa.String(32), nullable=False, index=True),
    sa.Column("dataset", sa.String(40), nullable=False, index=True),
    sa.Column("row_number", sa.Integer, nullable=False),
    sa.Column("severity", sa.String(12), nullable=False),  # quarantined / flagged
    sa.Column("reason", sa.String(20), nullable=False),  # missing, type, range, ...
    sa.Column("column_name", sa.Text),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("raw", sa.Text, nullable=False),  # JSON object of the row as read
    # added after the first release: see MIGRATIONS
    sa.Column("message_key", sa.String(60)),  # i18n key of the message, for the page
    sa.Column("message_args", sa.Text),  # JSON object of its parameters
)

#: Columns added to existing tables since the first release, added by
#: :func:`create_schema` to stores created before them (idempotent).
MIGRATIONS: tuple[tuple[sa.Table, str], ...] = (
    (loads, "status"),
    (loads, "refusal"),
    (loads, "refusal_key"),
    (loads, "refusal_args"),
    (loads, "warnings"),
    (load_issues, "message_key"),
    (load_issues, "message_args"),
)

#: The city datasets, in the order they must be loaded (references first).
DATASET_TABLES: tuple[sa.Table, ...] = (
    cameras,
    video_events,
    hazmat_waybills,
    hazmat_tracks,
    hazmat_alarms,
    rentals,
    scenic_spots,
    bookings,
    feedback,
    district_population,
)


def make_engine(url: str, *, read_only: bool = False) -> Engine:
    """Create an engine for ``url``.

    A DuckDB file allows one read-write process, or any number of read-only
    ones; the web server opens it read-only so several workers can share it.

    Every engine hides the parameters of a failed statement
    (``hide_parameters=True``): they are the rows' values — landlords' names
    and phones — and must appear in no error text, log or trace.

    Returns
    -------
    sqlalchemy.engine.Engine
    """
    kwargs: dict = {"hide_parameters": True}
    duckdb_file = url.startswith("duckdb")
    if duckdb_file:
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        if read_only:
            kwargs["connect_args"] = {"read_only": True}
        kwargs["pool_reset_on_return"] = None  # rolled back by the listener below
    engine = sa.create_engine(url, **kwargs)
    if duckdb_file:
        dialect = engine.dialect

        @sa.event.listens_for(engine, "reset")
        def _quiet_rollback(dbapi_connection, _record, _state) -> None:
            """Roll back a connection returned to the pool; a dead database stays quiet.

            After a fatal error (the disk filled up during a checkpoint) DuckDB
            refuses every call, the rollback too, and the pool would print that
            second error with a trace after the real one, which the caller has.
            """
            try:
                dialect.do_rollback(dbapi_connection)
            except Exception as exc:
                if "FATAL" not in str(exc):
                    raise

    return engine


def create_schema(engine: Engine) -> None:
    """Create every table that does not exist yet and add the columns it lacks (idempotent).

    The columns are those of :data:`MIGRATIONS`, added to a store created before
    them, on DuckDB and PostgreSQL alike.
    """
    metadata.create_all(engine)
    migrate(engine)


def migrate(engine: Engine) -> list[str]:
    """Add the columns of :data:`MIGRATIONS` missing from the store; return those added.

    ``ALTER TABLE … ADD COLUMN IF NOT EXISTS`` (both engines), issued only for a
    column the inspector does not see, so an up-to-date store takes no lock.
    """
    added: list[str] = []
    with engine.begin() as conn:
        present = {t.name: table_columns(conn, t) for t in {t for t, _ in MIGRATIONS}}
        for table, name in MIGRATIONS:
            if name in present[table.name]:
                continue
            column = table.c[name]
            ddl = f'ALTER TABLE "{table.name}" ADD COLUMN IF NOT EXISTS "{name}" '
            ddl += column.type.compile(dialect=conn.dialect)
            if column.server_default is not None:
                ddl += f" DEFAULT '{column.server_default.arg}'"
            conn.exec_driver_sql(ddl)
            added.append(f"{table.name}.{name}")
    return added


def table_columns(conn: Connection, table: sa.Table) -> set[str]:
    """Return the names of the columns ``table`` has in the store (older stores lack some).

    Read from ``information_schema`` (DuckDB and PostgreSQL both have it; the
    SQLAlchemy inspector's PostgreSQL catalogue query does not run on DuckDB).
    """
    return set(conn.execute(columns_query(table, conn.dialect.name)).scalars())


def columns_query(table: sa.Table, dialect: str) -> sa.Select:
    """Return the SELECT of ``column_name`` for ``table``'s columns in ``information_schema``."""
    cols = sa.table("columns", sa.column("table_name"), sa.column("column_name"),
                    schema="information_schema")  # fmt: skip
    query = sa.select(cols.c.column_name).where(cols.c.table_name == table.name)
    if dialect == "postgresql":
        query = query.where(sa.text("table_schema = current_schema()"))
    return query


def is_duckdb(conn: Connection | Engine) -> bool:
    """Return True when the connection is to DuckDB."""
    return conn.dialect.name == "duckdb"


def bulk_insert(conn: Connection, table: sa.Table, frame: pd.DataFrame) -> int:
    """Insert every row of ``frame`` into ``table`` inside the caller's transaction.

    Columns of ``frame`` must be columns of ``table``. DuckDB reads the frame
    directly (columnar, fast); other engines get one parameterised
    ``executemany``.

    Returns
    -------
    int
        The number of rows inserted.
    """
    if frame.empty:
        return 0
    unknown = set(frame.columns) - set(table.c.keys())
    if unknown:
        raise ValueError(f"{table.name}: not columns of the table: {sorted(unknown)}")
    if is_duckdb(conn):
        raw = conn.connection.driver_connection
        view = f"_cityops_insert_{table.name}"
        raw.register(view, frame)
        try:
            cols = ", ".join(f'"{c}"' for c in frame.columns)
            raw.execute(f'INSERT INTO "{table.name}" ({cols}) SELECT {cols} FROM "{view}"')
        finally:
            raw.unregister(view)
    else:
        records = frame.astype(object).where(frame.notna(), None).to_dict("records")
        conn.execute(table.insert(), records)
    return len(frame)


def truncate(conn: Connection, tables: Iterable[sa.Table]) -> None:
    """Delete every row of ``tables`` inside the caller's transaction."""
    for table in tables:
        conn.execute(table.delete())


# ------------------------------------------------------------ database errors
class RowsRefused(RuntimeError):
    """The database refused the rows of a file; the message names no value.

    ``"database refused the rows of <file> (<dataset>): <reason>"``, where the
    reason is the driver's error made safe by :func:`safe_error` and names the
    column or constraint when the driver tells it. Nothing was written.
    """

    def __init__(self, file: str, dataset: str, reason: str, column: str | None = None):
        self.file, self.dataset, self.reason, self.column = file, dataset, reason, column
        super().__init__(f"database refused the rows of {file} ({dataset}): {reason}")


#: Where the part of an error text that may hold statements or row values starts.
_CUT = re.compile(
    r"\[SQL:|\[parameters:|\[SQL parameters hidden|\(Background on this error"
    r"|\b(?:DETAIL|HINT|CONTEXT|QUERY|LINE \d+):|\bFailing row contains"
)
#: A quoted text, or a long number (a phone, an ID number) outside quotes.
_VALUE = re.compile(r"\"([^\"]*)\"|'([^']*)'|\d{7,}")
#: A quoted token that is safe to keep: a lower-case SQL name (table, column, constraint, type).
_NAME = re.compile(r"[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?")
_MAX_LENGTH = 300


def _driver_error(exc: BaseException) -> BaseException:
    """Return the driver's own exception behind a SQLAlchemy one, else ``exc``."""
    orig = getattr(exc, "orig", None)
    return orig if isinstance(orig, BaseException) else exc


def is_database_error(exc: BaseException) -> bool:
    """Return True when ``exc`` comes from SQLAlchemy or a database driver."""
    module = type(_driver_error(exc)).__module__ or ""
    return isinstance(exc, sa.exc.SQLAlchemyError) or module.split(".")[0].lstrip("_") in {
        "duckdb",
        "psycopg",
        "psycopg2",
        "sqlite3",
    }


def safe_error(exc: BaseException) -> str:
    """Return ``"<Type>: <message>"`` for ``exc`` on one line, with no statement and no value.

    The message is cut at the SQL statement, ``[parameters: …]`` and the
    driver's ``DETAIL``/``LINE`` parts (PostgreSQL's DETAIL lists the failing
    row), made one line of at most 300 characters; quoted texts become ``'…'``
    (quoted lower-case SQL names and absolute paths stay) and long numbers
    (phones, ID numbers) ``…``. For a database error, the driver's own type and
    message are used, not SQLAlchemy's wrapper.
    """
    err = _driver_error(exc) if is_database_error(exc) else exc
    diag = getattr(err, "diag", None)  # psycopg: the primary message, without DETAIL
    text = getattr(diag, "message_primary", None) or str(err)
    text = " ".join(_CUT.split(text, maxsplit=1)[0].split())
    text = _VALUE.sub(_redact, text)
    if len(text) > _MAX_LENGTH:
        text = text[: _MAX_LENGTH - 1] + "…"
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _redact(match: re.Match) -> str:
    quote = match.group(0)[0]
    if quote not in "'\"":
        return "…"  # a long number
    inner = match.group(1) if match.group(1) is not None else match.group(2)
    if _NAME.fullmatch(inner) or (inner.startswith("/") and "\n" not in inner):
        return match.group(0)
    return f"{quote}…{quote}"


_COLUMN_IN_TEXT = (
    re.compile(r'column "?([a-z_][a-z0-9_]*)"?'),  # PostgreSQL, DuckDB "source column x"
    re.compile(r"constraint failed: [a-z_][a-z0-9_]*\.([a-z_][a-z0-9_]*)"),  # DuckDB NOT NULL
)


def error_column(exc: BaseException) -> str | None:
    """Return the column (or else the constraint) the driver names in ``exc``, if it does."""
    err = _driver_error(exc)
    diag = getattr(err, "diag", None)
    if diag is not None:
        if getattr(diag, "column_name", None):
            return diag.column_name
        if getattr(diag, "constraint_name", None):
            return f"constraint {diag.constraint_name}"
    text = _CUT.split(str(err), maxsplit=1)[0]
    for pattern in _COLUMN_IN_TEXT:
        found = pattern.search(text)
        if found:
            return found.group(1)
    return None


_CATEGORY = re.compile(r"[A-Z][A-Za-z ]* Error: ")
#: Driver error classes (DB-API names) meaning the rows were refused, not the connection lost.
_REFUSING = ("DataError", "IntegrityError", "ProgrammingError", "NotSupportedError")


def refused_rows(exc: BaseException, file: str, dataset: str) -> RowsRefused | None:
    """Return :class:`RowsRefused` when ``exc`` is the database refusing rows, else None.

    Refusing: a DB-API ``DataError``, ``IntegrityError``, ``ProgrammingError``
    or ``NotSupportedError`` (SQLAlchemy's or the driver's own, DuckDB raising
    them unwrapped), or a statement SQLAlchemy could not bind. A lost connection
    or a full disk (``OperationalError``) is not the rows' fault and is left alone.
    """
    if not is_database_error(exc):
        return None
    names = {c.__name__ for c in type(exc).__mro__} | {
        c.__name__ for c in type(_driver_error(exc)).__mro__
    }
    unbound = isinstance(exc, sa.exc.StatementError) and not isinstance(exc, sa.exc.DBAPIError)
    if not (names & set(_REFUSING) or unbound) or "OperationalError" in names:
        return None
    reason = safe_error(exc)
    message = reason.partition(": ")[2]
    if _CATEGORY.match(message):  # DuckDB's "Conversion Error: …" says it better than the type
        reason = message
    column = error_column(exc)
    if column and column.removeprefix("constraint ") not in reason:
        reason += f" ({column})" if column.startswith("constraint ") else f" (column {column})"
    return RowsRefused(file, dataset, reason, column)


@contextmanager
def refusing_rows(file: str, dataset: str) -> Iterator[None]:
    """Turn the database refusing rows inside the block into :class:`RowsRefused`.

    The loader's write runs in it: the error then names the file, the dataset
    and (when the driver tells) the column, never a value. Other errors pass.
    """
    try:
        yield
    except Exception as exc:
        refused = refused_rows(exc, file, dataset)
        if refused is None:
            raise
        raise refused from exc
