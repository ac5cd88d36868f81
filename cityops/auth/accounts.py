"""Accounts, passwords, lockout and bearer tokens: the storage API the web login builds on.

Every function takes the auth engine (:func:`cityops.auth.schema.auth_engine`).
Changes (add, disable, reset, token create/revoke) write their audit row in the
same transaction, with the ``actor`` (and ``remote``) the caller names: the
command line passes ``cli:<OS user>``, the web side will pass the admin's name
and address.

Passwords are hashed with argon2id (``argon2-cffi``'s defaults) and rehashed on
the next successful login when those parameters change. A token's secret is
``cot_<token_id>_<43 url-safe characters>`` (32 random bytes); only its SHA-256
is stored, since a 256-bit random secret needs no slow hash.

Errors: :class:`AccountInvalid` (a bad name, role, scope, password or label:
the caller's input, exit 2 on the command line), :class:`AccountNotFound` and
:class:`AccountExists` (expected errors, exit 1).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any, Protocol

import argon2
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cityops.auth import audit
from cityops.auth.schema import accounts, tokens, utcnow

#: Roles, in order of reach. Issue 12 point 2 says what each may open.
ROLES: tuple[str, ...] = ("admin", "centre", "analyst", "manager", "loader")

#: One line per role, for ``cityops user --help`` and the admin page.
ROLE_HELP: dict[str, str] = {
    "admin": "accounts, tokens, the audit log, and everything else",
    "centre": "command-centre staff: all pages and the wall",
    "analyst": "all pages and downloads",
    "manager": "the overview and reports",
    "loader": "data officer: loads and the catalogue",
}

#: Account names: 2 to 64 letters, digits and ``_ . @ -``.
NAME_PATTERN = re.compile(r"[a-zA-Z0-9_.@-]{2,64}")
#: Shortest password accepted.
PASSWORD_MIN_CHARS = 12
#: Longest password accepted (argon2 hashes any length; this bounds the work).
PASSWORD_MAX_CHARS = 1024
#: Prefix of every bearer token's secret.
TOKEN_PREFIX = "cot_"
#: Longest token label.
LABEL_MAX_CHARS = 200
#: A token's ``last_used_at`` is written at most this often (a wall checks every few seconds).
LAST_USED_EVERY = dt.timedelta(minutes=1)

#: Lockout defaults, as the settings ``login_max_failures`` and ``login_lockout_minutes``.
DEFAULT_MAX_FAILURES = 5
DEFAULT_LOCKOUT_MINUTES = 15

_HASHER = argon2.PasswordHasher()
_DUMMY_HASH: str | None = None


class AccountInvalid(ValueError):
    """A name, role, scope, password, label or expiry that is refused; the message says why."""


class AccountNotFound(LookupError):
    """No such account or token."""


class AccountExists(RuntimeError):
    """An account of that name exists already."""


class ScopeParser(Protocol):
    """What the account functions need of :class:`cityops.geo.Geography`."""

    def scope(self, code: str | None) -> Any:  # pragma: no cover - protocol
        """Return the scope of ``code`` (with ``.level`` and ``.contains``), or raise."""


@dataclass(frozen=True)
class Account:
    """One account as stored, without its password hash."""

    name: str
    role: str
    scope_code: str | None
    disabled: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    failed_logins: int
    locked_until: dt.datetime | None
    password_changed_at: dt.datetime

    def locked(self, now: dt.datetime) -> bool:
        """Return True while the account is locked out at ``now`` (naive UTC)."""
        return self.locked_until is not None and _naive(now) < self.locked_until

    def to_dict(self) -> dict[str, Any]:
        """Return the account as JSON-ready values (times in ISO form, UTC)."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        return {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in out.items()}


@dataclass(frozen=True)
class LoginResult:
    """The answer of :func:`verify_password`.

    ``reason`` is ``ok``, ``unknown``, ``bad_password``, ``disabled`` or
    ``locked`` (for the audit log; a login page must show one message for all
    refusals). ``account`` is set when ``ok``; ``locked_until`` when the
    account is (or just became) locked.
    """

    ok: bool
    reason: str
    account: Account | None = None
    locked_until: dt.datetime | None = None


@dataclass(frozen=True)
class Principal:
    """Who a bearer token speaks for: the account, its role and the token's effective scope."""

    name: str
    role: str
    scope_code: str | None
    token_id: str


# ------------------------------------------------------------------ helpers
def _naive(now: dt.datetime | None) -> dt.datetime:
    """Return ``now`` as naive UTC (the current time when None)."""
    if now is None:
        return utcnow()
    if now.tzinfo is not None:
        return now.astimezone(dt.UTC).replace(tzinfo=None)
    return now


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))
    return _DUMMY_HASH


def _account(row: Any) -> Account:
    m = row._mapping
    return Account(
        name=m["name"],
        role=m["role"],
        scope_code=m["scope_code"],
        disabled=bool(m["disabled"]),
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        failed_logins=int(m["failed_logins"] or 0),
        locked_until=m["locked_until"],
        password_changed_at=m["password_changed_at"],
    )


def check_name(name: str) -> str:
    """Return ``name`` when it is a valid account name; raise :class:`AccountInvalid`."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise AccountInvalid("an account name is 2 to 64 letters, digits and _ . @ - (no spaces)")
    return name


def check_role(role: str) -> str:
    """Return ``role`` when it is one of :data:`ROLES`; raise :class:`AccountInvalid`."""
    if role not in ROLES:
        raise AccountInvalid(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    return role


def check_password(password: str) -> str:
    """Return ``password`` when the policy accepts it; raise :class:`AccountInvalid`.

    The policy: at least :data:`PASSWORD_MIN_CHARS` characters, at most
    :data:`PASSWORD_MAX_CHARS`, no control characters (a pasted line break).
    """
    if not isinstance(password, str) or len(password) < PASSWORD_MIN_CHARS:
        raise AccountInvalid(f"a password has at least {PASSWORD_MIN_CHARS} characters")
    if len(password) > PASSWORD_MAX_CHARS:
        raise AccountInvalid(f"a password has at most {PASSWORD_MAX_CHARS} characters")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in password):
        raise AccountInvalid("a password holds no control characters (tabs, line breaks)")
    return password


def check_scope(scope_code: str | None, geo: ScopeParser | None) -> str | None:
    """Return the scope code to store: None (the province) or a city/district code.

    Raises :class:`AccountInvalid` for a code ``geo`` does not accept, a grid
    cell, or the province's own code (leave the scope out for the province).
    """
    if scope_code is None or not str(scope_code).strip():
        return None
    code = str(scope_code).strip()
    if geo is None:
        raise AccountInvalid("a scope needs the geography to check it")
    try:
        scope = geo.scope(code)
    except ValueError as exc:  # ScopeError
        raise AccountInvalid(f"scope {code[:20]!r}: {exc}") from None
    if scope.level == "province":
        raise AccountInvalid("the province is no scope: leave --scope out for the whole province")
    if scope.level not in ("city", "district"):
        raise AccountInvalid(f"scope {code}: a scope is a city or district code, not a grid cell")
    return scope.code


# ------------------------------------------------------------------ accounts
def add_account(
    engine: Engine,
    name: str,
    role: str,
    scope_code: str | None,
    password: str,
    geo: ScopeParser | None,
    *,
    actor: str = "system",
    remote: str | None = None,
    now: dt.datetime | None = None,
) -> Account:
    """Create an account and write ``account.add`` to the audit log.

    Returns
    -------
    Account
        The new account. Raises :class:`AccountInvalid` for a bad name, role,
        scope or password and :class:`AccountExists` when the name is taken.
    """
    check_name(name)
    check_role(role)
    scope_code = check_scope(scope_code, geo)
    check_password(password)
    now = _naive(now)
    hashed = _HASHER.hash(password)
    row = {
        "name": name,
        "role": role,
        "scope_code": scope_code,
        "password_hash": hashed,
        "disabled": False,
        "created_at": now,
        "updated_at": now,
        "failed_logins": 0,
        "locked_until": None,
        "password_changed_at": now,
    }
    with engine.begin() as conn:
        taken = conn.execute(sa.select(accounts.c.name).where(accounts.c.name == name)).first()
        if taken is not None:
            raise AccountExists(f"account {name} exists already")
        conn.execute(accounts.insert().values(**row))
        audit.write(
            conn,
            actor,
            "account.add",
            remote=remote,
            scope_code=scope_code,
            now=now,
            account=name,
            role=role,
        )
    return get_account(engine, name)


def get_account(engine: Engine, name: str) -> Account:
    """Return the account ``name``; raise :class:`AccountNotFound`."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(accounts).where(accounts.c.name == name)).first()
    if row is None:
        raise AccountNotFound(f"no account {name}")
    return _account(row)


def list_accounts(engine: Engine) -> list[Account]:
    """Return every account by name (never a password hash)."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(accounts).order_by(accounts.c.name)).all()
    return [_account(r) for r in rows]


def disable_account(
    engine: Engine,
    name: str,
    *,
    actor: str = "system",
    remote: str | None = None,
    now: dt.datetime | None = None,
) -> bool:
    """Disable an account: it no longer logs in, nor do its tokens.

    Returns
    -------
    bool
        True when it was disabled now (and ``account.disable`` audited), False
        when it already was. Raises :class:`AccountNotFound`.
    """
    now = _naive(now)
    with engine.begin() as conn:
        row = conn.execute(sa.select(accounts).where(accounts.c.name == name)).first()
        if row is None:
            raise AccountNotFound(f"no account {name}")
        if row._mapping["disabled"]:
            return False
        conn.execute(
            accounts.update().where(accounts.c.name == name).values(disabled=True, updated_at=now)
        )
        audit.write(
            conn,
            actor,
            "account.disable",
            remote=remote,
            scope_code=row._mapping["scope_code"],
            now=now,
            account=name,
        )
    return True


def reset_password(
    engine: Engine,
    name: str,
    password: str,
    *,
    actor: str = "system",
    remote: str | None = None,
    now: dt.datetime | None = None,
) -> Account:
    """Set a new password, clear any lockout, and write ``account.reset``.

    Returns
    -------
    Account
        The account after the reset. Raises :class:`AccountInvalid` for a
        password the policy refuses and :class:`AccountNotFound`.
    """
    check_password(password)
    now = _naive(now)
    hashed = _HASHER.hash(password)
    with engine.begin() as conn:
        row = conn.execute(sa.select(accounts).where(accounts.c.name == name)).first()
        if row is None:
            raise AccountNotFound(f"no account {name}")
        conn.execute(
            accounts.update()
            .where(accounts.c.name == name)
            .values(
                password_hash=hashed,
                failed_logins=0,
                locked_until=None,
                password_changed_at=now,
                updated_at=now,
            )
        )
        audit.write(
            conn,
            actor,
            "account.reset",
            remote=remote,
            scope_code=row._mapping["scope_code"],
            now=now,
            account=name,
        )
    return get_account(engine, name)


def verify_password(
    engine: Engine,
    name: str,
    password: str,
    now: dt.datetime | None = None,
    *,
    max_failures: int = DEFAULT_MAX_FAILURES,
    lockout_minutes: float = DEFAULT_LOCKOUT_MINUTES,
) -> LoginResult:
    """Check a login, counting failures and locking the account after too many.

    After ``max_failures`` wrong passwords in a row the account is locked for
    ``lockout_minutes`` (pass :func:`lockout_policy` of the settings); while
    locked, even the right password is refused and does not extend the lock.
    A disabled, locked or unknown account never verifies, and each of them
    still spends one argon2 verification, so the answer's time does not tell
    whether a name exists. A success clears the failure count and rehashes
    the password when the hasher's parameters have changed. Writes no audit
    row: the caller records ``login.ok``/``login.failed`` with its address.

    Returns
    -------
    LoginResult
        ``ok`` and the account, or the refusal's reason.
    """
    now = _naive(now)
    with engine.connect() as conn:
        row = conn.execute(sa.select(accounts).where(accounts.c.name == name)).first()
    stored = row._mapping["password_hash"] if row is not None else _dummy_hash()
    try:
        matches = isinstance(password, str) and _HASHER.verify(stored, password)
    except argon2.exceptions.VerificationError:
        matches = False
    except argon2.exceptions.InvalidHashError:  # a damaged row never verifies
        matches = False
    if row is None:
        return LoginResult(False, "unknown")
    account = _account(row)
    if account.disabled:
        return LoginResult(False, "disabled")
    if account.locked(now):
        return LoginResult(False, "locked", locked_until=account.locked_until)
    if not matches:
        with engine.begin() as conn:
            conn.execute(
                accounts.update()
                .where(accounts.c.name == name)
                .values(failed_logins=accounts.c.failed_logins + 1)
            )
            failures = conn.execute(
                sa.select(accounts.c.failed_logins).where(accounts.c.name == name)
            ).scalar_one()
            if failures >= max_failures:
                until = now + dt.timedelta(minutes=lockout_minutes)
                conn.execute(
                    accounts.update()
                    .where(accounts.c.name == name)
                    .values(failed_logins=0, locked_until=until)
                )
                return LoginResult(False, "bad_password", locked_until=until)
        return LoginResult(False, "bad_password")
    values: dict[str, Any] = {}
    if account.failed_logins or account.locked_until is not None:
        values.update(failed_logins=0, locked_until=None)
    if _HASHER.check_needs_rehash(stored):
        values["password_hash"] = _HASHER.hash(password)
    if values:
        with engine.begin() as conn:
            conn.execute(accounts.update().where(accounts.c.name == name).values(**values))
        account = get_account(engine, name)
    return LoginResult(True, "ok", account=account)


def lockout_policy(settings: Any) -> dict[str, float]:
    """Return the keyword arguments of :func:`verify_password` from the settings.

    ``CITYOPS_LOGIN_MAX_FAILURES`` and ``CITYOPS_LOGIN_LOCKOUT_MINUTES``.
    """
    values = settings.values
    return {
        "max_failures": int(values.get("login_max_failures", DEFAULT_MAX_FAILURES)),
        "lockout_minutes": float(values.get("login_lockout_minutes", DEFAULT_LOCKOUT_MINUTES)),
    }


# ------------------------------------------------------------------ tokens
def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(
    engine: Engine,
    account: str,
    label: str = "",
    days: float | None = None,
    scope_code: str | None = None,
    *,
    geo: ScopeParser | None = None,
    actor: str = "system",
    remote: str | None = None,
    now: dt.datetime | None = None,
) -> tuple[str, str]:
    """Create a bearer token for ``account`` and write ``token.create``.

    ``days``: it expires that many days from now (None: never, until revoked).
    ``scope_code``: a city or district inside the account's own scope (a wall
    screen bound to one district); ``geo`` is needed to check it. None: the
    account's scope.

    Returns
    -------
    tuple of str
        ``(token_id, secret)``. The secret is shown once and never stored.
        Raises :class:`AccountNotFound`, or :class:`AccountInvalid` for a
        disabled account, a bad label, expiry or scope.
    """
    now = _naive(now)
    owner = get_account(engine, account)
    if owner.disabled:
        raise AccountInvalid(f"account {account} is disabled")
    label = "" if label is None else str(label)
    if len(label) > LABEL_MAX_CHARS or any(ord(ch) < 32 for ch in label):
        raise AccountInvalid(f"a token label is one line of at most {LABEL_MAX_CHARS} characters")
    if days is not None and not (0 < days <= 3660):
        raise AccountInvalid("a token expires in 1 to 3,660 days (leave it out for never)")
    scope_code = check_scope(scope_code, geo)
    if scope_code is not None and owner.scope_code is not None:
        inner, outer = geo.scope(scope_code), geo.scope(owner.scope_code)
        if not outer.contains(inner):
            raise AccountInvalid(
                f"scope {scope_code} is outside account {account}'s scope {owner.scope_code}"
            )
    token_id = secrets.token_hex(8)
    secret = f"{TOKEN_PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
    expires = None if days is None else now + dt.timedelta(days=days)
    row = {
        "token_id": token_id,
        "account": account,
        "label": label,
        "scope_code": scope_code,
        "secret_sha256": _digest(secret),
        "created_at": now,
        "expires_at": expires,
        "revoked_at": None,
        "last_used_at": None,
    }
    effective = scope_code or owner.scope_code
    with engine.begin() as conn:
        conn.execute(tokens.insert().values(**row))
        audit.write(
            conn,
            actor,
            "token.create",
            remote=remote,
            scope_code=effective,
            now=now,
            token_id=token_id,
            account=account,
            label=label,
            expires_at=expires,
        )
    return token_id, secret


def verify_token(engine: Engine, secret: str, now: dt.datetime | None = None) -> Principal | None:
    """Return who the bearer token speaks for, or None.

    None for a malformed, unknown, expired or revoked token and for a token of
    a disabled account (a locked-out account's tokens still work: the lock is
    against password guessing). The scope is the token's own when it has one,
    else the account's. Notes the token's last use (at most once a minute).
    """
    if not isinstance(secret, str) or not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token_id, sep, _rest = secret.removeprefix(TOKEN_PREFIX).partition("_")
    if not sep or not token_id:
        return None
    now = _naive(now)
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(
                tokens,
                accounts.c.role,
                accounts.c.disabled,
                accounts.c.scope_code.label("account_scope"),
            )
            .join(accounts, accounts.c.name == tokens.c.account)
            .where(tokens.c.token_id == token_id)
        ).first()
    if row is None:
        return None
    m = row._mapping
    if not hmac.compare_digest(m["secret_sha256"], _digest(secret)):
        return None
    if m["revoked_at"] is not None or m["disabled"]:
        return None
    if m["expires_at"] is not None and now >= m["expires_at"]:
        return None
    if m["last_used_at"] is None or now - m["last_used_at"] >= LAST_USED_EVERY:
        with engine.begin() as conn:
            conn.execute(
                tokens.update().where(tokens.c.token_id == token_id).values(last_used_at=now)
            )
    return Principal(m["account"], m["role"], m["scope_code"] or m["account_scope"], token_id)


def token_status(row: dict[str, Any], now: dt.datetime | None = None) -> str:
    """Return ``active``, ``expired`` or ``revoked`` for a row of :func:`list_tokens`."""
    if row["revoked_at"] is not None:
        return "revoked"
    if row["expires_at"] is not None and _naive(now) >= row["expires_at"]:
        return "expired"
    return "active"


def list_tokens(
    engine: Engine, account: str | None = None, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """Return tokens, newest first, with their ``status`` (never a secret or its hash).

    Keys: ``token_id, account, label, scope_code, created_at, expires_at,
    revoked_at, last_used_at, status``.
    """
    cols = [c for c in tokens.c if c.name != "secret_sha256"]
    stmt = sa.select(*cols).order_by(tokens.c.created_at.desc(), tokens.c.token_id)
    if account is not None:
        stmt = stmt.where(tokens.c.account == account)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
    for row in rows:
        row["status"] = token_status(row, now)
    return rows


def revoke_token(
    engine: Engine,
    token_id: str,
    *,
    actor: str = "system",
    remote: str | None = None,
    now: dt.datetime | None = None,
) -> bool:
    """Revoke a token and write ``token.revoke``.

    Returns
    -------
    bool
        True when revoked now, False when it already was. Raises
        :class:`AccountNotFound` for an unknown token id.
    """
    now = _naive(now)
    with engine.begin() as conn:
        row = conn.execute(sa.select(tokens).where(tokens.c.token_id == token_id)).first()
        if row is None:
            raise AccountNotFound(f"no token {token_id}")
        if row._mapping["revoked_at"] is not None:
            return False
        conn.execute(tokens.update().where(tokens.c.token_id == token_id).values(revoked_at=now))
        audit.write(
            conn,
            actor,
            "token.revoke",
            remote=remote,
            scope_code=row._mapping["scope_code"],
            now=now,
            token_id=token_id,
            account=row._mapping["account"],
        )
    return True
