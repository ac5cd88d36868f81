"""What a load does besides writing its rows, named by the dataset specs (``write_hooks``).

Each hook runs in the load's transaction just before the accepted rows are
written, so it sees the store as it was: a dataset declares what it needs
(``DatasetSpec.write_hooks``) and the loader never asks which dataset it loads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cityops import store

Hook = Callable[[Connection, pd.DataFrame, str, dt.datetime], int]


def record_status_changes(conn: Connection, cameras: pd.DataFrame, load_id: str,
                          now: dt.datetime) -> int:  # fmt: skip
    """Append a history row for each camera whose status is new or changed; return how many.

    The change is dated by the camera's ``last_seen`` when given, else by the load.
    """
    t = store.cameras
    query = sa.select(t.c.camera_id, t.c.status)
    if len(cameras) <= 5_000:  # a live batch asks for its own cameras, not the 200k of a city
        ids = cameras["camera_id"].dropna().unique().tolist()
        query = query.where(t.c.camera_id.in_(sa.bindparam("ids", expanding=True)))
        known = pd.read_sql(query, conn, params={"ids": ids})
    else:
        known = pd.read_sql(query, conn)
    known = known.set_index("camera_id")["status"]
    before = cameras["camera_id"].map(known)
    changed = cameras[before.isna().to_numpy() | (before != cameras["status"]).to_numpy()]
    if changed.empty:
        return 0
    when = pd.to_datetime(changed["last_seen"]).fillna(pd.Timestamp(now))
    history = pd.DataFrame({"camera_id": changed["camera_id"].to_numpy(),
                            "changed_at": when.to_numpy(), "status": changed["status"].to_numpy(),
                            "load_id": load_id})  # fmt: skip
    store.bulk_insert(conn, store.camera_status_history, history)
    return len(history)


#: Every hook a spec may name.
HOOKS: dict[str, Hook] = {"status_history": record_status_changes}
