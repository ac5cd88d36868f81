"""Shared fixtures: a demo store built once per session, its context and the app."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import shutil
import time
from pathlib import Path

import pytest

from cityops import store
from cityops.geo import geography
from cityops.queries.context import Context, install
from cityops.settings import get_settings
from cityops.store.versions import Storage
from loaders.boundaries import boundaries_frame
from loaders.demo_files import run_demo

REPO = Path(__file__).resolve().parent.parent
#: Login is on by default (issue 12): the tests run with it on, signed in as the
#: store's admin unless a test says otherwise. One key for the whole run, so a
#: session cookie of one test server is good on another over a store with the same admin.
os.environ.setdefault("CITYOPS_SECRET_KEY", secrets.token_urlsafe(48))
ADMIN, ADMIN_PASSWORD = "admin", "tests-admin-password-7"
ADMIN_CREATED = dt.datetime(2026, 1, 1)
#: The demo's "now": fixed, so every run sees the same data.
DEMO_NOW = dt.datetime(2026, 11, 25, 10, 30)


@pytest.fixture(scope="session")
def areas_frame():
    """The boundaries as ``cityops init`` writes them (read from cnmaps once)."""
    return boundaries_frame()


def write_areas(engine, areas_frame) -> None:
    """Write the boundaries as ``cityops init`` does, without re-reading cnmaps."""
    with engine.begin() as conn:
        store.bulk_insert(conn, store.areas, areas_frame)
        conn.execute(store.meta.insert().values(key="areas_rev", value="test-boundaries"))


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory, areas_frame) -> Path:
    """A data directory whose versioned store holds the boundaries and the small demo.

    The demo goes the real way: department files written, then loaded.
    """
    path = tmp_path_factory.mktemp("demo-store")
    settings = get_settings(data_dir=str(path), database_url="")
    storage = Storage(settings)
    with storage.writer() as engine:
        write_areas(engine, areas_frame)
    with storage.writer() as engine:
        geo = geography(engine, settings.city_codes, settings.grid_resolution)
        run_demo(engine, geo, path / "demo", seed=7, scale="small", today=DEMO_NOW.date(),
                 now=DEMO_NOW)  # fmt: skip
    add_admin(path)
    return path


def add_admin(data_dir: Path) -> None:
    """Create the test admin (province, role admin) in ``data_dir``'s account store."""
    from cityops.auth.accounts import add_account
    from cityops.auth.schema import auth_engine

    engine = auth_engine(get_settings(data_dir=str(data_dir), database_url=""))
    try:
        # one creation time for every store: a session remembers when its account's password
        # was set, so the browser suite's one cookie holds on every test server
        add_account(engine, ADMIN, "admin", None, ADMIN_PASSWORD, None, actor="tests",
                    now=ADMIN_CREATED)  # fmt: skip
    finally:
        engine.dispose()


def bearer_for(data_dir: Path) -> dict[str, str]:
    """Return an ``Authorization`` header with a new token of the test admin of ``data_dir``.

    Adds the admin to the data directory's account store first if it has none.
    """
    from cityops.auth.accounts import AccountNotFound, create_token, get_account
    from cityops.auth.schema import auth_engine

    engine = auth_engine(get_settings(data_dir=str(data_dir), database_url=""))
    try:
        try:
            get_account(engine, ADMIN)
        except AccountNotFound:
            add_admin(data_dir)
        _, secret = create_token(engine, ADMIN, "tests")
    finally:
        engine.dispose()
    return {"Authorization": f"Bearer {secret}"}


def sign_in(client, name: str = ADMIN) -> None:
    """Give the Flask test ``client`` a login session of account ``name``, as ``/login`` does.

    Written straight into the signed session (the password check is tested in
    ``test_auth_web.py``; argon2 per test would cost minutes).
    """
    from cityops.auth.accounts import get_account
    from cityops.auth.schema import auth_engine
    from cityops.queries.context import current
    from cityops.web.auth import password_stamp

    account = get_account(auth_engine(current().settings), name)
    now = time.time()
    with client.session_transaction() as session:
        session.update(account=name, login_at=now, seen_at=now, csrf=secrets.token_urlsafe(32),
                       pw=password_stamp(account.password_changed_at))  # fmt: skip


@contextlib.contextmanager
def request_as(app, path: str = "/", *, name: str = ADMIN, role: str = "admin",
               scope: str | None = None, **kwargs):  # fmt: skip
    """Open a test request context of ``app`` at ``path`` whose signed-in user is given.

    For tests that call a layout or builder inside a request: the login gate does
    not run there, so its principal is set as the gate sets it (the gate itself is
    tested in ``test_auth_web.py``). ``kwargs`` go to ``test_request_context``.
    """
    import flask

    from cityops.web.auth import WebPrincipal

    with app.server.test_request_context(path, **kwargs):
        flask.g.principal = WebPrincipal(name, role, scope, "session")
        yield


def signed_client(app, name: str = ADMIN):
    """Return a test client of the Dash ``app`` signed in as ``name``."""
    found = app.server.test_client()
    sign_in(found, name)
    return found


@pytest.fixture(scope="session")
def boundaries_store(tmp_path_factory, areas_frame) -> Path:
    """A data directory whose store holds the boundaries only (a template to copy)."""
    path = tmp_path_factory.mktemp("boundaries-store")
    with Storage(get_settings(data_dir=str(path), database_url="")).writer() as engine:
        write_areas(engine, areas_frame)
    return path


@pytest.fixture()
def fresh_store(boundaries_store, tmp_path):
    """A new data directory with only boundaries: ``(settings, storage, geo)``."""
    shutil.copytree(boundaries_store / "store", tmp_path / "store")
    settings = get_settings(data_dir=str(tmp_path), database_url="")
    storage = Storage(settings)
    geo = geography(storage.reader_engine(), settings.city_codes, settings.grid_resolution)
    return settings, storage, geo


@pytest.fixture()
def data_dir(boundaries_store, tmp_path) -> Path:
    """A copy of the boundaries-only store, as a ``CITYOPS_DATA_DIR`` for the CLI."""
    path = tmp_path / "data"
    shutil.copytree(boundaries_store / "store", path / "store")
    return path


@pytest.fixture(scope="session")
def demo_settings(demo_dir):
    return get_settings(data_dir=str(demo_dir), database_url="")


@pytest.fixture(scope="session")
def demo_ctx(demo_settings) -> Context:
    ctx = Context(demo_settings)
    install(ctx)
    return ctx


@pytest.fixture(scope="session")
def dash_app(demo_settings, demo_ctx):
    """The Dash app over the demo store (created once: Dash pages are process-global)."""
    from app import create_app

    return create_app(demo_settings)


@pytest.fixture(scope="session")
def admin_bearer(demo_dir) -> dict[str, str]:
    """An ``Authorization`` header with a bearer token of the demo store's admin."""
    return bearer_for(demo_dir)


@pytest.fixture()
def client(dash_app):
    """A test client of the app signed in as the admin (the province, every page)."""
    return signed_client(dash_app)


@pytest.fixture()
def anonymous(dash_app):
    """A test client of the app without a login."""
    return dash_app.server.test_client()


def pytest_collection_modifyitems(config, items):
    """Run the browser tests last: they are the slowest and need everything else."""
    items.sort(key=lambda item: "browser" in item.nodeid)


os.environ.setdefault("CITYOPS_TEST", "1")
