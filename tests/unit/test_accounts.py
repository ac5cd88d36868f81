"""Accounts and tokens (issue 12, part 1): hashing, policy, lockout, disabled accounts, tokens."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import ClassVar

import argon2
import pytest
import sqlalchemy as sa

from cityops.auth import accounts, audit
from cityops.auth.accounts import AccountExists, AccountInvalid, AccountNotFound
from cityops.auth.schema import SQLITE_NAME, auth_engine, dispose_engines, make_auth_engine
from cityops.geo import Scope, ScopeError
from cityops.settings import get_settings

PASSWORD = "correct horse battery"
T0 = dt.datetime(2026, 11, 25, 8, 0)
CELL = "8831aa5ab9fffff"  # an H3 cell: never an account's scope


class FakeGeo:
    """Nanjing with two districts, Suzhou with one: what the account functions ask of geo."""

    AREAS: ClassVar[dict[str, Scope]] = {
        "320000": Scope("province", "320000"),
        "320100": Scope("city", "320100", city_code="320100"),
        "320102": Scope("district", "320102", city_code="320100", district_code="320102"),
        "320104": Scope("district", "320104", city_code="320100", district_code="320104"),
        "320500": Scope("city", "320500", city_code="320500"),
        "320508": Scope("district", "320508", city_code="320500", district_code="320508"),
    }

    def scope(self, code):
        if code in self.AREAS:
            return self.AREAS[code]
        if code == CELL:
            return Scope("grid", CELL, city_code="320100", district_code="320102")
        raise ScopeError(f"no area {code}")


GEO = FakeGeo()


@pytest.fixture()
def engine(tmp_path):
    engine = make_auth_engine(f"sqlite:///{tmp_path / SQLITE_NAME}")
    yield engine
    engine.dispose()


class CountingHasher:
    """An argon2 hasher that counts its verifications (the work a login costs)."""

    def __init__(self, inner):
        self.inner = inner
        self.verifies = 0

    def verify(self, stored, password):
        self.verifies += 1
        return self.inner.verify(stored, password)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def add(engine, name="alice", role="analyst", scope=None, password=PASSWORD, **kw):
    return accounts.add_account(engine, name, role, scope, password, GEO, now=T0, **kw)


# ---------------------------------------------------------------- storage and hashing
def test_the_sqlite_file_is_private_and_in_wal_mode(tmp_path):
    settings = get_settings(data_dir=str(tmp_path / "fresh"), database_url="")
    engine = auth_engine(settings)
    try:
        path = tmp_path / "fresh" / SQLITE_NAME
        assert path.exists()
        assert oct(os.stat(path).st_mode & 0o777) == "0o600"
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert auth_engine(settings) is engine  # one engine per process
    finally:
        dispose_engines()


def test_passwords_are_argon2_and_no_secret_is_in_the_file(tmp_path):
    engine = make_auth_engine(f"sqlite:///{tmp_path / SQLITE_NAME}")
    add(engine, password="plaintext-Never-Stored-42")
    accounts.reset_password(engine, "alice", "second-Plaintext-Never-77", now=T0)
    _, secret = accounts.create_token(engine, "alice", "wall", 30, now=T0)
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT password_hash FROM accounts")).scalar()
    assert stored.startswith("$argon2id$")
    engine.dispose()
    raw = b"".join(p.read_bytes() for p in Path(tmp_path).glob(SQLITE_NAME + "*"))
    assert b"$argon2id$" in raw
    for plain in ("plaintext-Never-Stored-42", "second-Plaintext-Never-77", secret):
        assert plain.encode() not in raw
    assert secret.split("_", 2)[2].encode() not in raw


def test_listing_accounts_gives_no_hash(engine):
    add(engine)
    (found,) = accounts.list_accounts(engine)
    assert "password_hash" not in found.to_dict()
    assert "argon2" not in repr(found)


# ---------------------------------------------------------------- validation
@pytest.mark.parametrize("name", ["a", "x" * 65, "with space", "名字", "semi;colon", "", "a/b"])
def test_bad_names_are_refused(engine, name):
    with pytest.raises(AccountInvalid, match="account name"):
        add(engine, name=name)


@pytest.mark.parametrize("name", ["ab", "ops.centre-1", "li_wei@nanjing", "x" * 64])
def test_good_names_are_accepted(engine, name):
    assert add(engine, name=name).name == name


def test_role_must_be_known(engine):
    with pytest.raises(AccountInvalid, match="unknown role"):
        add(engine, role="root")
    assert set(accounts.ROLE_HELP) == set(accounts.ROLES)


@pytest.mark.parametrize(
    ("scope", "message"),
    [(CELL, "not a grid cell"), ("320000", "province is no scope"), ("999999", "no area")],
)
def test_a_scope_is_a_city_or_a_district(engine, scope, message):
    with pytest.raises(AccountInvalid, match=message):
        add(engine, scope=scope)
    assert accounts.list_accounts(engine) == []


def test_city_and_district_scopes_are_kept(engine):
    assert add(engine, name="nanjing", scope="320100").scope_code == "320100"
    assert add(engine, name="xuanwu", scope="320102").scope_code == "320102"
    assert add(engine, name="everyone", scope="").scope_code is None


@pytest.mark.parametrize("password", ["", "elevenchars", "tab\tinside-long", "x" * 1025])
def test_the_password_policy_refuses(engine, password):
    with pytest.raises(AccountInvalid, match="password"):
        add(engine, password=password)


def test_twelve_characters_are_enough_and_a_name_is_taken_once(engine):
    add(engine, password="twelve-chars")
    with pytest.raises(AccountExists):
        add(engine, password="twelve-chars")


# ---------------------------------------------------------------- login and lockout
def test_the_right_password_verifies(engine):
    add(engine)
    result = accounts.verify_password(engine, "alice", PASSWORD, T0)
    assert result.ok and result.reason == "ok" and result.account.role == "analyst"
    assert accounts.verify_password(engine, "alice", PASSWORD + "x", T0).reason == "bad_password"


def test_lockout_after_n_failures_and_unlock_after_m_minutes(engine):
    add(engine)
    policy = {"max_failures": 5, "lockout_minutes": 15}
    for i in range(4):
        result = accounts.verify_password(engine, "alice", "wrong", T0, **policy)
        assert result.reason == "bad_password" and result.locked_until is None, i
    fifth = accounts.verify_password(engine, "alice", "wrong", T0, **policy)
    assert fifth.locked_until == T0 + dt.timedelta(minutes=15)
    # while locked even the right password is refused, and does not extend the lock
    for minutes in (1, 14):
        at = T0 + dt.timedelta(minutes=minutes)
        locked = accounts.verify_password(engine, "alice", PASSWORD, at, **policy)
        assert not locked.ok and locked.reason == "locked"
        assert locked.locked_until == T0 + dt.timedelta(minutes=15)
    later = T0 + dt.timedelta(minutes=15, seconds=1)
    assert accounts.verify_password(engine, "alice", PASSWORD, later, **policy).ok
    assert accounts.get_account(engine, "alice").locked_until is None


def test_failures_must_be_in_a_row(engine):
    add(engine)
    for _ in range(4):
        accounts.verify_password(engine, "alice", "wrong", T0)
    assert accounts.verify_password(engine, "alice", PASSWORD, T0).ok
    for _ in range(4):
        assert accounts.verify_password(engine, "alice", "wrong", T0).locked_until is None
    assert accounts.verify_password(engine, "alice", PASSWORD, T0).ok


def test_the_policy_comes_from_the_settings(engine):
    settings = get_settings(login_max_failures=2, login_lockout_minutes=60)
    policy = accounts.lockout_policy(settings)
    assert policy == {"max_failures": 2, "lockout_minutes": 60.0}
    add(engine)
    accounts.verify_password(engine, "alice", "wrong", T0, **policy)
    second = accounts.verify_password(engine, "alice", "wrong", T0, **policy)
    assert second.locked_until == T0 + dt.timedelta(hours=1)
    with pytest.raises(ValueError, match="LOGIN"):
        get_settings(login_max_failures=0)
    assert accounts.lockout_policy(get_settings()) == {"max_failures": 5, "lockout_minutes": 15.0}


def test_a_reset_unlocks_and_replaces_the_password(engine):
    add(engine)
    for _ in range(5):
        accounts.verify_password(engine, "alice", "wrong", T0)
    assert accounts.get_account(engine, "alice").locked(T0)
    accounts.reset_password(engine, "alice", "a-new-long-password", now=T0)
    assert accounts.verify_password(engine, "alice", "a-new-long-password", T0).ok
    assert accounts.verify_password(engine, "alice", PASSWORD, T0).reason == "bad_password"
    with pytest.raises(AccountInvalid):
        accounts.reset_password(engine, "alice", "short", now=T0)
    with pytest.raises(AccountNotFound):
        accounts.reset_password(engine, "nobody", "a-new-long-password", now=T0)


def test_a_disabled_account_never_verifies(engine):
    add(engine)
    assert accounts.disable_account(engine, "alice", now=T0) is True
    assert accounts.disable_account(engine, "alice", now=T0) is False
    result = accounts.verify_password(engine, "alice", PASSWORD, T0)
    assert not result.ok and result.reason == "disabled" and result.account is None
    with pytest.raises(AccountNotFound):
        accounts.disable_account(engine, "nobody")


@pytest.mark.parametrize("case", ["unknown", "disabled", "locked", "wrong", "right"])
def test_every_answer_costs_one_argon2_verification(engine, monkeypatch, case):
    add(engine)
    if case == "disabled":
        accounts.disable_account(engine, "alice", now=T0)
    if case == "locked":
        for _ in range(5):
            accounts.verify_password(engine, "alice", "wrong", T0)
    counting = CountingHasher(accounts._HASHER)
    monkeypatch.setattr(accounts, "_HASHER", counting)
    name = "nobody" if case == "unknown" else "alice"
    password = "wrong" if case == "wrong" else PASSWORD
    result = accounts.verify_password(engine, name, password, T0)
    assert counting.verifies == 1
    assert result.ok is (case == "right")
    if case == "unknown":
        assert result.reason == "unknown"


def test_a_hash_with_old_parameters_is_rehashed_at_the_next_login(engine, monkeypatch):
    weak = argon2.PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    monkeypatch.setattr(accounts, "_HASHER", weak)
    add(engine)
    monkeypatch.undo()

    def stored():
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT password_hash FROM accounts")).scalar()

    old = stored()
    assert "m=8192" in old
    assert accounts.verify_password(engine, "alice", PASSWORD, T0).ok
    new = stored()
    assert new != old and not accounts._HASHER.check_needs_rehash(new)
    assert accounts.verify_password(engine, "alice", PASSWORD, T0).ok


# ---------------------------------------------------------------- tokens
def test_a_token_verifies_to_its_account(engine):
    add(engine, scope="320100")
    token_id, secret = accounts.create_token(engine, "alice", "wall", 30, now=T0)
    assert secret.startswith(f"cot_{token_id}_") and len(secret) >= 4 + 16 + 1 + 43
    who = accounts.verify_token(engine, secret, T0 + dt.timedelta(days=1))
    assert who == accounts.Principal("alice", "analyst", "320100", token_id)
    (row,) = accounts.list_tokens(engine)
    assert "secret_sha256" not in row and row["status"] == "active"
    assert row["last_used_at"] == T0 + dt.timedelta(days=1)


def test_a_token_expires(engine):
    add(engine)
    _, secret = accounts.create_token(engine, "alice", "wall", 1, now=T0)
    assert accounts.verify_token(engine, secret, T0 + dt.timedelta(hours=23)) is not None
    assert accounts.verify_token(engine, secret, T0 + dt.timedelta(days=1)) is None
    assert accounts.list_tokens(engine, now=T0 + dt.timedelta(days=2))[0]["status"] == "expired"
    _, forever = accounts.create_token(engine, "alice", "wall", None, now=T0)
    assert accounts.verify_token(engine, forever, T0 + dt.timedelta(days=3650)) is not None


def test_a_revoked_token_stops_at_once(engine):
    add(engine)
    token_id, secret = accounts.create_token(engine, "alice", "wall", 30, now=T0)
    assert accounts.revoke_token(engine, token_id, now=T0) is True
    assert accounts.revoke_token(engine, token_id, now=T0) is False
    assert accounts.verify_token(engine, secret, T0) is None
    assert accounts.list_tokens(engine)[0]["status"] == "revoked"
    with pytest.raises(AccountNotFound):
        accounts.revoke_token(engine, "0000")


def test_a_disabled_accounts_tokens_stop_and_it_gets_no_new_ones(engine):
    add(engine)
    _, secret = accounts.create_token(engine, "alice", "wall", 30, now=T0)
    accounts.disable_account(engine, "alice", now=T0)
    assert accounts.verify_token(engine, secret, T0) is None
    with pytest.raises(AccountInvalid, match="disabled"):
        accounts.create_token(engine, "alice", "wall", 30, now=T0)
    with pytest.raises(AccountNotFound):
        accounts.create_token(engine, "nobody", "wall", 30, now=T0)


def test_a_locked_out_accounts_tokens_still_work(engine):
    add(engine)
    _, secret = accounts.create_token(engine, "alice", "wall", 30, now=T0)
    for _ in range(5):
        accounts.verify_password(engine, "alice", "wrong", T0)
    assert accounts.verify_token(engine, secret, T0) is not None


def test_a_token_may_be_narrower_than_its_account_never_wider(engine):
    add(engine, name="nanjing", scope="320100")
    add(engine, name="province")
    _, wall = accounts.create_token(engine, "nanjing", "xuanwu wall", 30, "320102", geo=GEO, now=T0)
    assert accounts.verify_token(engine, wall, T0).scope_code == "320102"
    _, own = accounts.create_token(engine, "nanjing", "own", 30, now=T0)
    assert accounts.verify_token(engine, own, T0).scope_code == "320100"
    for outside in ("320500", "320508"):
        with pytest.raises(AccountInvalid, match="outside"):
            accounts.create_token(engine, "nanjing", "x", 30, outside, geo=GEO, now=T0)
    with pytest.raises(AccountInvalid, match="grid cell"):
        accounts.create_token(engine, "nanjing", "x", 30, CELL, geo=GEO, now=T0)
    _, suzhou = accounts.create_token(engine, "province", "x", 30, "320508", geo=GEO, now=T0)
    assert accounts.verify_token(engine, suzhou, T0).scope_code == "320508"


@pytest.mark.parametrize("days", [0, -1, 3661])
def test_a_bad_expiry_or_label_is_refused(engine, days):
    add(engine)
    with pytest.raises(AccountInvalid, match="expires"):
        accounts.create_token(engine, "alice", "wall", days, now=T0)
    with pytest.raises(AccountInvalid, match="label"):
        accounts.create_token(engine, "alice", "two\nlines", 30, now=T0)


def test_forged_and_malformed_tokens_are_refused(engine):
    add(engine)
    token_id, secret = accounts.create_token(engine, "alice", "wall", 30, now=T0)
    forged = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")
    for bad in (forged, "", "cot_", f"cot_{token_id}", "Bearer " + secret, secret + "x" * 200,
                f"cot_ffffffffffffffff_{secret.split('_', 2)[2]}", None, 42):  # fmt: skip
        assert accounts.verify_token(engine, bad, T0) is None, bad


# ---------------------------------------------------------------- audited changes
def test_every_change_is_audited_with_its_actor(engine):
    add(engine, scope="320100", actor="cli:ops", remote="10.0.0.9")
    token_id, _ = accounts.create_token(engine, "alice", "wall", 30, actor="admin1", now=T0)
    accounts.revoke_token(engine, token_id, actor="admin1", now=T0)
    accounts.reset_password(engine, "alice", "a-new-long-password", actor="admin1", now=T0)
    accounts.disable_account(engine, "alice", actor="admin1", now=T0)
    accounts.disable_account(engine, "alice", actor="admin1", now=T0)  # no change: no row
    rows = audit.query(engine)
    assert [r["action"] for r in rows] == [
        "account.disable", "account.reset", "token.revoke", "token.create", "account.add",
    ]  # fmt: skip
    first = rows[-1]
    assert (first["actor"], first["remote"], first["scope_code"]) == (
        "cli:ops",
        "10.0.0.9",
        "320100",
    )
    assert first["detail"] == {"account": "alice", "role": "analyst"}
    assert rows[-2]["detail"]["token_id"] == token_id
    assert all(PASSWORD not in str(r) for r in rows)
