"""Demo mode (``cityops serve --demo``, what ``make run`` uses): login on, nothing to set up.

Login stays on in demo mode. What a server operator would prepare by hand is made
once in the data directory, readable by its owner only:

- ``secret_key``: the key that signs session cookies, when ``CITYOPS_SECRET_KEY`` is
  not set (kept, so a restart does not sign everyone out);
- ``demo-login.txt``: the name and password of a local admin account, created when
  the store has no account at all (with an ``account.add`` audit row by ``demo``).

The server then serves this machine only (127.0.0.1, ::1), like ``CITYOPS_AUTH=off``.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from cityops.auth.accounts import add_account, list_accounts

#: Name of the local admin demo mode creates.
DEMO_ADMIN = "admin"
#: Audit actor of what demo mode creates.
DEMO_ACTOR = "demo"
SECRET_FILE = "secret_key"
LOGIN_FILE = "demo-login.txt"


@dataclass(frozen=True)
class DemoLogin:
    """How to sign in to a demo server.

    ``password`` is None when the store already had accounts that demo mode did not
    make (use yours); ``created`` is True on the start that made the account.
    """

    name: str | None
    password: str | None
    file: Path
    created: bool


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to a new file only its owner may read (never widened afterwards)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    partial.replace(path)


def demo_secret_key(data_dir: Path) -> str:
    """Return the demo server's session key from ``<data_dir>/secret_key``, made if missing.

    A file that holds less than 32 characters is replaced by a new key.
    """
    path = Path(data_dir) / SECRET_FILE
    if path.is_file():
        key = path.read_text(encoding="utf-8").strip()
        if len(key) >= 32:
            return key
    key = secrets.token_urlsafe(48)
    _write_private(path, key + "\n")
    return key


def ensure_demo_admin(engine: Engine, data_dir: Path) -> DemoLogin:
    """Return how to sign in to a demo server; create the local admin if there is no account.

    Returns
    -------
    DemoLogin
        The admin and password made now or on an earlier start (read back from
        ``<data_dir>/demo-login.txt``), or ``name=None`` when accounts exist that
        demo mode did not make.
    """
    path = Path(data_dir) / LOGIN_FILE
    existing = list_accounts(engine)
    if not existing:
        password = secrets.token_urlsafe(12)
        add_account(engine, DEMO_ADMIN, "admin", None, password, None, actor=DEMO_ACTOR)
        _write_private(path, f"{DEMO_ADMIN}\n{password}\n")
        return DemoLogin(DEMO_ADMIN, password, path, created=True)
    if path.is_file():
        name, _, rest = path.read_text(encoding="utf-8").partition("\n")
        if any(a.name == name and not a.disabled for a in existing):
            return DemoLogin(name, rest.strip() or None, path, created=False)
    return DemoLogin(None, None, path, created=False)
