"""The tables of accounts, tokens and the audit log, and the engine that holds them.

Embedded mode (no ``CITYOPS_DATABASE_URL``): a SQLite file ``<data_dir>/auth.sqlite``
in WAL mode, created on first use with permissions 0600. With a database server,
the same tables in that database. Either way the audit log refuses UPDATE and
DELETE (and, on PostgreSQL, TRUNCATE) by trigger: it is append-only for every
client; only the store's owner, dropping the triggers by hand, could change it.

Times are stored as naive UTC datetimes.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cityops.settings import Settings

#: The file name of the embedded auth database, under ``CITYOPS_DATA_DIR``.
SQLITE_NAME = "auth.sqlite"

meta = sa.MetaData()

#: One row per person (or service) that may log in.
accounts = sa.Table(
    "accounts",
    meta,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("role", sa.String(16), nullable=False),
    # a city or district code; NULL: the whole province
    sa.Column("scope_code", sa.String(20), nullable=True),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    # password failures in a row since the last success or lock
    sa.Column("failed_logins", sa.Integer, nullable=False, default=0),
    sa.Column("locked_until", sa.DateTime, nullable=True),
    sa.Column("password_changed_at", sa.DateTime, nullable=False),
)

#: Bearer tokens (wall screens, scripts); only the SHA-256 of the secret is kept.
tokens = sa.Table(
    "tokens",
    meta,
    sa.Column("token_id", sa.String(32), primary_key=True),
    sa.Column(
        "account",
        sa.String(64),
        sa.ForeignKey("accounts.name", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("label", sa.String(200), nullable=False, default=""),
    # narrower than the account's scope, or NULL: the account's own
    sa.Column("scope_code", sa.String(20), nullable=True),
    sa.Column("secret_sha256", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=True),
    sa.Column("revoked_at", sa.DateTime, nullable=True),
    sa.Column("last_used_at", sa.DateTime, nullable=True),
)

#: Who did what, when, from where and in which scope. Append-only.
audit_log = sa.Table(
    "audit_log",
    meta,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ts", sa.DateTime, nullable=False, index=True),
    sa.Column("actor", sa.String(100), nullable=False, index=True),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("remote", sa.String(100), nullable=True),
    sa.Column("scope_code", sa.String(20), nullable=True),
    sa.Column("detail", sa.Text, nullable=False, default="{}"),
)

#: The per-address login limit counts recent failures from one address.
_INDEXES = ("CREATE INDEX IF NOT EXISTS audit_log_remote_ts ON audit_log (remote, ts)",)

_SQLITE_TRIGGERS = (
    """CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
)

_PG_TRIGGERS = (
    """CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger
       LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$""",
    """CREATE OR REPLACE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
       FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
    """CREATE OR REPLACE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
       FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()""",
)

_ENGINES: dict[str, Engine] = {}
_LOCK = threading.Lock()


def utcnow() -> dt.datetime:
    """Return the current time as a naive UTC datetime (how the tables store time)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def auth_url(settings: Settings) -> str:
    """Return the SQLAlchemy URL of the auth database for ``settings``.

    ``CITYOPS_DATABASE_URL`` when set, else ``sqlite:///<data_dir>/auth.sqlite``.
    """
    if settings.values.get("database_url"):
        return settings.values["database_url"]
    path = Path(settings.values["data_dir"]).resolve() / SQLITE_NAME
    return f"sqlite:///{path}"


def _create_sqlite_file(path: Path) -> None:
    """Create an empty database file readable by its owner only (0600), if missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def create_schema(engine: Engine) -> None:
    """Create the tables and the audit log's append-only triggers if missing (idempotent)."""
    meta.create_all(engine)
    statements = _SQLITE_TRIGGERS if engine.dialect.name == "sqlite" else _PG_TRIGGERS
    if engine.dialect.name not in ("sqlite", "postgresql"):
        raise RuntimeError(f"the auth tables need SQLite or PostgreSQL, not {engine.dialect.name}")
    with engine.begin() as conn:
        for statement in (*_INDEXES, *statements):
            conn.execute(sa.text(statement))


def make_auth_engine(url: str) -> Engine:
    """Return a new engine on ``url`` with the auth tables created (not cached)."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        _create_sqlite_file(path)
        engine = sa.create_engine(url, hide_parameters=True)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = sa.create_engine(url, hide_parameters=True, pool_pre_ping=True)
    try:
        create_schema(engine)
    except sa.exc.OperationalError:  # another process created it at the same moment
        create_schema(engine)
    return engine


def auth_engine(settings: Settings) -> Engine:
    """Return the engine of the auth database for ``settings``, created on first use.

    One engine per URL and process (the web server's threads share it). The
    SQLite file is created 0600 in WAL mode; the tables and triggers are
    created when missing.
    """
    url = auth_url(settings)
    with _LOCK:
        engine = _ENGINES.get(url)
        if engine is None:
            engine = _ENGINES[url] = make_auth_engine(url)
        return engine


def dispose_engines() -> None:
    """Close and forget every cached auth engine (tests; a process about to fork)."""
    with _LOCK:
        for engine in _ENGINES.values():
            engine.dispose()
        _ENGINES.clear()
