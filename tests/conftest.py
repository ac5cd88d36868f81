"""Shared fixtures: a demo store built once per session, its context and the app."""

from __future__ import annotations

import datetime as dt
import os
import shutil
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
    return path


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


@pytest.fixture()
def client(dash_app):
    return dash_app.server.test_client()


def pytest_collection_modifyitems(config, items):
    """Run the browser tests last: they are the slowest and need everything else."""
    items.sort(key=lambda item: "browser" in item.nodeid)


os.environ.setdefault("CITYOPS_TEST", "1")
