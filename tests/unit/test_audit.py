"""The audit log (issue 12, part 1): recorded, queried, and append-only on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from cityops.auth import accounts, audit
from cityops.auth.schema import (
    SQLITE_NAME,
    audit_log,
    auth_url,
    create_schema,
    make_auth_engine,
)
from cityops.settings import get_settings
from tests.pg import pg_schema

T0 = dt.datetime(2026, 11, 25, 8, 0)


@pytest.fixture()
def engine(tmp_path):
    engine = make_auth_engine(f"sqlite:///{tmp_path / SQLITE_NAME}")
    yield engine
    engine.dispose()


@pytest.fixture()
def pg_auth():
    url, drop = pg_schema()
    engine = make_auth_engine(url)
    yield engine
    engine.dispose()
    drop()


def fill(engine) -> None:
    """Write five rows over three days by two actors."""
    for day, actor, action, outcome in [
        (0, "cli:ops", "account.add", "ok"),
        (1, "alice", "login.failed", "failed"),
        (1, "alice", "login.ok", "ok"),
        (2, "alice", "download", "ok"),
        (2, "cli:ops", "load", "refused"),
    ]:
        audit.record(
            engine,
            actor,
            action,
            outcome,
            remote="10.1.2.3",
            scope_code="320100",
            now=T0 + dt.timedelta(days=day),
            page="video",
        )


def test_record_and_query(engine):
    fill(engine)
    rows = audit.query(engine)
    assert [r["seq"] for r in rows] == [5, 4, 3, 2, 1]  # newest first
    assert rows[0]["detail"] == {"page": "video"}
    assert rows[0]["remote"] == "10.1.2.3" and rows[0]["scope_code"] == "320100"
    assert len(audit.query(engine, since=(T0 + dt.timedelta(days=1)).date())) == 4
    assert len(audit.query(engine, since=T0 + dt.timedelta(days=2))) == 2
    assert {r["action"] for r in audit.query(engine, actor="alice")} == {
        "login.failed",
        "login.ok",
        "download",
    }
    assert [r["seq"] for r in audit.query(engine, limit=2)] == [5, 4]
    assert [r["action"] for r in audit.query(engine, action="login.")] == [
        "login.ok",
        "login.failed",
    ]
    assert audit.query(engine, actor="nobody") == []


def test_unknown_actions_and_outcomes_are_refused(engine):
    with pytest.raises(ValueError, match="action"):
        audit.record(engine, "cli:ops", "acount.add")
    with pytest.raises(ValueError, match="outcome"):
        audit.record(engine, "cli:ops", "load", "maybe")
    assert audit.query(engine) == []
    assert {"login.ok", "login.failed", "download", "report", "load"} <= set(audit.ACTIONS)


def test_detail_from_a_data_file_stays_text(engine):
    name = '<img src=x onerror=alert(1)>=cmd|"/c calc"!A1.csv'
    audit.record(engine, "cli:ops", "load", "refused", dataset="cameras", file=name)
    (row,) = audit.query(engine)
    assert row["detail"]["file"] == name
    with engine.connect() as conn:
        raw = conn.execute(sa.select(audit_log.c.detail)).scalar()
    assert name.replace('"', '\\"') in raw  # JSON text, not markup


def test_a_change_and_its_audit_row_commit_together(engine, monkeypatch):
    """A failing audit write leaves no account behind (one transaction)."""

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "write", broken)
    with pytest.raises(RuntimeError):
        accounts.add_account(engine, "alice", "admin", None, "a-long-password", None)
    assert accounts.list_accounts(engine) == []


def _assert_append_only(engine) -> None:
    fill(engine)
    for statement in (
        audit_log.update().values(actor="someone else"),
        audit_log.update().where(audit_log.c.seq == 1).values(outcome="ok"),
        audit_log.delete(),
        audit_log.delete().where(audit_log.c.seq == 5),
    ):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(statement)
    rows = audit.query(engine)
    assert len(rows) == 5 and {r["actor"] for r in rows} == {"cli:ops", "alice"}
    audit.record(engine, "cli:ops", "account.add", account="bob")  # appending still works
    assert len(audit.query(engine)) == 6


def test_the_log_is_append_only_on_sqlite(engine):
    _assert_append_only(engine)
    create_schema(engine)  # creating again keeps the triggers (idempotent)
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(audit_log.delete())


@pytest.mark.postgres
def test_the_log_is_append_only_on_postgresql(pg_auth):
    _assert_append_only(pg_auth)
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), pg_auth.begin() as conn:
        conn.execute(sa.text("TRUNCATE audit_log"))
    create_schema(pg_auth)
    assert len(audit.query(pg_auth)) == 6


@pytest.mark.postgres
def test_accounts_and_tokens_work_on_postgresql(pg_auth):
    accounts.add_account(pg_auth, "alice", "centre", None, "a-long-password", None, now=T0)
    for _ in range(5):
        accounts.verify_password(pg_auth, "alice", "wrong", T0)
    assert accounts.verify_password(pg_auth, "alice", "a-long-password", T0).reason == "locked"
    token_id, secret = accounts.create_token(pg_auth, "alice", "wall", 1, now=T0)
    assert accounts.verify_token(pg_auth, secret, T0).token_id == token_id
    assert accounts.verify_token(pg_auth, secret, T0 + dt.timedelta(days=1)) is None
    assert [r["action"] for r in audit.query(pg_auth)] == ["token.create", "account.add"]


def test_the_auth_database_follows_the_store_setting(tmp_path):
    embedded = get_settings(data_dir=str(tmp_path), database_url="")
    assert auth_url(embedded) == f"sqlite:///{tmp_path.resolve() / SQLITE_NAME}"
    server = get_settings(data_dir=str(tmp_path), database_url="postgresql+psycopg://u@h/db")
    assert auth_url(server) == "postgresql+psycopg://u@h/db"


def test_ipv6_failures_count_for_the_whole_64(tmp_path):
    """One host holds a /64: rotating addresses inside it does not reset the address limit."""
    from cityops.auth.schema import make_auth_engine

    engine = make_auth_engine(f"sqlite:///{tmp_path / 'a.sqlite'}")
    since = dt.datetime(2026, 11, 26, 0, 0)
    at = since + dt.timedelta(minutes=1)
    for i in range(3):
        audit.record(engine, f"g{i}", "login.failed", "failed", f"2001:db8:1:2::{i + 1}", now=at)
    audit.record(engine, "g", "login.failed", "failed", "2001:db8:1:3::1", now=at)  # other /64
    audit.record(engine, "g", "login.failed", "refused", "2001:db8:1:2::9", now=at)  # not counted
    audit.record(engine, "g", "login.failed", "failed", "10.0.0.1", now=at)
    assert audit.failures_from(engine, "2001:db8:1:2:ffff::1", since) == 3
    assert audit.failures_from(engine, "2001:db8:1:3::7", since) == 1
    assert audit.failures_from(engine, "10.0.0.1", since) == 1
    assert audit.failures_from(engine, "10.0.0.2", since) == 0
    assert audit.failures_from(engine, "2001:db8:1:2::1", at + dt.timedelta(minutes=1)) == 0
    audit.record(engine, "g", "login.failed", "failed", "::ffff:10.0.0.1", now=at)
    assert audit.failures_from(engine, "::ffff:10.0.0.2", since) == 0  # not ::/64 as one
    assert audit.failures_from(engine, "::ffff:10.0.0.1", since) == 1
