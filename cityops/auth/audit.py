"""The audit log: who did what, when, from where and in which scope.

Append-only: :func:`record` inserts, :func:`query` reads, and the database
refuses UPDATE and DELETE on the table (triggers, :mod:`cityops.auth.schema`).

Actions (:data:`ACTIONS`):

- ``account.add``, ``account.disable``, ``account.reset``: account changes
  (``cityops user …``); detail names the account (and its role and scope).
- ``token.create``, ``token.revoke``: bearer tokens; detail holds the token's
  id, account, label, scope and expiry — never the secret.
- ``load``: a department file loaded (outcome ``ok``), refused (``refused``) or
  failed (``failed``); detail: dataset, file name, rows read/inserted/quarantined.
- Written by the web side (``cityops/web/auth.py``, the downloads, the report job):
  ``login.ok`` and ``login.failed``
  (detail: the reason — unknown, bad_password, disabled, locked — and the
  name tried), ``logout``, ``download`` (detail: page, format, rows) and
  ``report`` (detail: kind, period, format).

``actor`` is an account name, or ``cli:<OS user>`` for the command line.
Detail values are stored as JSON text; strings from data files stay text.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cityops.auth.schema import audit_log, utcnow
from cityops.clock import TZ


# ------------------------------------------------------------------ times
# The log stores naive UTC; people read Asia/Shanghai (the admin page, ``cityops audit``).
def local_time(value: dt.datetime | None) -> str | None:
    """Return a stored naive-UTC time as ``YYYY-MM-DD HH:MM:SS`` in Asia/Shanghai (None: None)."""
    if not isinstance(value, dt.datetime) or value != value:  # None, NaT
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S")


def local_day(value: dt.datetime) -> str:
    """Return the Asia/Shanghai day (``YYYY-MM-DD``) of a stored naive-UTC time."""
    return (local_time(value) or "")[:10]


def since_utc(day: str | None) -> dt.datetime | None:
    """Return 00:00 Asia/Shanghai of ``day`` (``YYYY-MM-DD``) as naive UTC; None for no day.

    Raises ``ValueError`` for text that is not a day.
    """
    if not day:
        return None
    start = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), tzinfo=TZ)
    return start.astimezone(dt.UTC).replace(tzinfo=None)


#: Every action the log knows, with what it records.
ACTIONS: dict[str, str] = {
    "account.add": "an account was created",
    "account.disable": "an account was disabled",
    "account.reset": "an account's password was reset",
    "token.create": "a bearer token was created",
    "token.revoke": "a bearer token was revoked",
    "load": "a department file was loaded or refused",
    "login.ok": "a login succeeded (web)",
    "login.failed": "a login failed (web)",
    "logout": "a session ended (web)",
    "download": "a table or export was downloaded (web)",
    "report": "a report was made (web or command line)",
    "api": "an API call with a bearer token (a script or another system reading data)",
}

#: Outcomes a row may have.
OUTCOMES = ("ok", "failed", "refused", "denied")

#: Most rows :func:`query` returns when no limit is given.
DEFAULT_LIMIT = 100


def record(
    engine: Engine,
    actor: str,
    action: str,
    outcome: str = "ok",
    remote: str | None = None,
    scope_code: str | None = None,
    *,
    now: dt.datetime | None = None,
    **detail: Any,
) -> int:
    """Append one row to the audit log.

    Returns
    -------
    int
        The row's sequence number. Raises ``ValueError`` for an unknown action
        or outcome (a typo must not write rows nobody searches for).
    """
    with engine.begin() as conn:
        return write(conn, actor, action, outcome, remote, scope_code, now=now, **detail)


#: Most recent IPv6 failures read to count one /64 (the window is minutes long).
_V6_SCAN = 10_000


def failures_from(engine: Engine, remote: str | None, since: dt.datetime) -> int:
    """Return how many logins from address ``remote`` failed at or after ``since`` (UTC).

    Counts ``login.failed`` rows with outcome ``failed`` (wrong password, unknown,
    locked or disabled account), not the attempts the address limit refused. The
    log is the counter: shared by every server process and kept across restarts.
    An IPv6 address counts for its whole /64 (one host holds a /64 and may rotate
    through it); an IPv4 address for itself.
    """
    if not remote:
        return 0
    base = (
        audit_log.c.action == "login.failed",
        audit_log.c.outcome == "failed",
        audit_log.c.ts >= since,
    )
    try:
        address = ipaddress.ip_address(str(remote))
    except ValueError:
        address = None
    with engine.connect() as conn:
        # an IPv4 client on a dual-stack listener (::ffff:a.b.c.d) is one address, not a /64
        if address is None or address.version == 4 or address.ipv4_mapped is not None:
            exact = audit_log.c.remote == str(remote)[: audit_log.c.remote.type.length]
            return int(conn.execute(sa.select(sa.func.count()).where(*base, exact)).scalar_one())
        network = ipaddress.ip_network(f"{address}/64", strict=False)
        found = conn.execute(
            sa.select(audit_log.c.remote)
            .where(*base, audit_log.c.remote.like("%:%"))
            .order_by(audit_log.c.seq.desc())
            .limit(_V6_SCAN)
        ).scalars()
        return sum(1 for r in found if _in_network(r, network))


def _in_network(text: str | None, network: ipaddress.IPv6Network) -> bool:
    try:
        return ipaddress.ip_address(text or "") in network
    except ValueError:
        return False


def write(
    conn: sa.Connection,
    actor: str,
    action: str,
    outcome: str = "ok",
    remote: str | None = None,
    scope_code: str | None = None,
    *,
    now: dt.datetime | None = None,
    **detail: Any,
) -> int:
    """Append one row inside the caller's transaction (a change and its audit row commit together).

    Returns
    -------
    int
        The row's sequence number; ``ValueError`` as :func:`record`.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown audit outcome {outcome!r}")
    row = {
        "ts": now or utcnow(),
        "actor": str(actor)[: audit_log.c.actor.type.length],
        "action": action,
        "outcome": outcome,
        # cut to the columns' own lengths (PostgreSQL refuses a longer VARCHAR value)
        "remote": None if remote is None else str(remote)[: audit_log.c.remote.type.length],
        "scope_code": scope_code,
        "detail": json.dumps(detail, ensure_ascii=False, default=str, sort_keys=True),
    }
    result = conn.execute(audit_log.insert().values(**row))
    return int(result.inserted_primary_key[0])


def query(
    engine: Engine,
    since: dt.date | dt.datetime | None = None,
    actor: str | None = None,
    limit: int = DEFAULT_LIMIT,
    action: str | None = None,
) -> list[dict[str, Any]]:
    """Return audit rows, newest first.

    Parameters
    ----------
    since
        Only rows at or after this time (a date: its 00:00 UTC).
    actor
        Only rows of this actor (exact).
    limit
        At most this many rows (the newest).
    action
        Only this action (exact), or an action prefix ending in ``.`` (``"login."``).

    Returns
    -------
    list of dict
        ``seq, ts, actor, action, outcome, remote, scope_code, detail`` with
        ``detail`` decoded to a dict.
    """
    stmt = sa.select(audit_log).order_by(audit_log.c.seq.desc()).limit(max(0, int(limit)))
    if since is not None:
        if not isinstance(since, dt.datetime):
            since = dt.datetime.combine(since, dt.time())
        stmt = stmt.where(audit_log.c.ts >= since)
    if actor is not None:
        stmt = stmt.where(audit_log.c.actor == actor)
    if action is not None:
        if action.endswith("."):
            stmt = stmt.where(audit_log.c.action.startswith(action, autoescape=True))
        else:
            stmt = stmt.where(audit_log.c.action == action)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
    for row in rows:
        try:
            row["detail"] = json.loads(row["detail"] or "{}")
        except ValueError:  # written by hand: shown as found
            row["detail"] = {"raw": row["detail"]}
    return rows
