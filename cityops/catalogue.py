"""The data catalogue: what each dataset holds, when it was loaded, what was refused.

Named queries shared by ``cityops quarantine``, ``/api/v1/datasets`` and the
``/data`` page.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cityops import store
from loaders.specs import DATASETS


def loads(engine: Engine, *, dataset: str | None = None, limit: int = 30) -> pd.DataFrame:
    """Return the newest loads, newest first.

    Columns: ``load_id, dataset, file, format, encoding, crs, finished_at,
    rows_read, inserted, updated, quarantined, flagged, collapsed``.
    """
    t = store.loads
    query = (
        sa.select(
            t.c.load_id,
            t.c.dataset,
            t.c.file,
            t.c.format,
            t.c.encoding,
            t.c.crs,
            t.c.finished_at,
            t.c.rows_read,
            t.c.inserted,
            t.c.updated,
            t.c.quarantined,
            t.c.flagged,
            t.c.collapsed,
        )
        .order_by(t.c.finished_at.desc(), t.c.load_id)
        .limit(limit)
    )
    if dataset:
        query = query.where(t.c.dataset == dataset)
    with engine.connect() as conn:
        return pd.read_sql(query, conn)


def issues(engine: Engine, *, load_id: str, limit: int = 100) -> pd.DataFrame:
    """Return the quarantined and flagged rows of one load, in file order.

    Columns: ``row_number, severity, reason, column_name, message, raw``.
    """
    t = store.load_issues
    query = (
        sa.select(t.c.row_number, t.c.severity, t.c.reason, t.c.column_name, t.c.message, t.c.raw)
        .where(t.c.load_id == load_id)
        .order_by(t.c.row_number, t.c.severity)
        .limit(limit)
    )
    with engine.connect() as conn:
        return pd.read_sql(query, conn)


def datasets(engine: Engine, *, now: dt.datetime) -> pd.DataFrame:
    """Return one row per dataset: size, last load, freshness and quarantine counts.

    Columns: ``dataset, label, department, rows, last_loaded_at, last_file,
    latest_record_at, age_hours, stale_after_hours, stale, loads,
    quarantined_last, quarantined_total, flagged_total``. ``age_hours`` is the
    time since the last load; a dataset never loaded is stale.
    """
    t = store.loads
    with engine.connect() as conn:
        totals = pd.read_sql(
            sa.select(
                t.c.dataset,
                sa.func.count().label("loads"),
                sa.func.sum(t.c.quarantined).label("quarantined_total"),
                sa.func.sum(t.c.flagged).label("flagged_total"),
                sa.func.max(t.c.finished_at).label("last_loaded_at"),
            ).group_by(t.c.dataset),
            conn,
        ).set_index("dataset")
        last = (
            pd.read_sql(
                sa.select(t.c.dataset, t.c.file, t.c.quarantined, t.c.finished_at).order_by(
                    t.c.finished_at.desc()
                ),
                conn,
            )
            .drop_duplicates("dataset")
            .set_index("dataset")
        )
        rows = []
        for spec in DATASETS.values():
            count = conn.execute(sa.select(sa.func.count()).select_from(spec.table)).scalar()
            latest = None
            if spec.time_column:
                latest = conn.execute(
                    sa.select(sa.func.max(spec.table.c[spec.time_column]))
                ).scalar()
            loaded = totals["last_loaded_at"].get(spec.name)
            loaded = None if pd.isna(loaded) else pd.Timestamp(loaded).to_pydatetime()
            age = None if loaded is None else round((now - loaded).total_seconds() / 3600, 2)
            rows.append(
                {
                    "dataset": spec.name,
                    "label": spec.label,
                    "department": spec.department,
                    "rows": int(count),
                    "last_loaded_at": loaded,
                    "last_file": last["file"].get(spec.name),
                    "latest_record_at": latest,
                    "age_hours": age,
                    "stale_after_hours": spec.stale_after_hours,
                    "stale": age is None or age > spec.stale_after_hours,
                    "loads": int(totals["loads"].get(spec.name, 0)),
                    "quarantined_last": int(last["quarantined"].get(spec.name, 0)),
                    "quarantined_total": int(totals["quarantined_total"].get(spec.name, 0) or 0),
                    "flagged_total": int(totals["flagged_total"].get(spec.name, 0) or 0),
                }
            )
    return pd.DataFrame(rows)


def cameras_by_department(engine: Engine) -> pd.DataFrame:
    """Return camera counts by owning department: ``department, cameras, online``."""
    c = store.cameras
    # an inline literal: the same expression must appear in SELECT and GROUP BY
    department = sa.func.coalesce(c.c.department, sa.literal_column("''"))
    query = (
        sa.select(
            department.label("department"),
            sa.func.count().label("cameras"),
            sa.func.sum(sa.case((c.c.status == "online", 1), else_=0)).label("online"),
        )
        .group_by(department)
        .order_by(sa.func.count().desc())
    )
    with engine.connect() as conn:
        return pd.read_sql(query, conn)
