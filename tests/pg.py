"""A throw-away schema on the test PostgreSQL server (skips the test when it is not reachable)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable

import pytest
import sqlalchemy as sa

PG_URL = os.environ.get(
    "CITYOPS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def pg_schema() -> tuple[str, Callable[[], None]]:
    """Create a schema of its own; return ``(url using it, drop)``."""
    schema = f"cityops_test_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {exc}")

    def drop():
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return f"{PG_URL}?options=-csearch_path%3D{schema}", drop


def pg_engine():
    """Return ``(engine on a schema of its own, cleanup)``."""
    url, drop = pg_schema()
    engine = sa.create_engine(url)

    def cleanup():
        engine.dispose()
        drop()

    return engine, cleanup
