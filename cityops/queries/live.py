"""What the wall reads live: alarms, vehicles and freshness over the store and pending batches.

The KPIs read the store as published and move when the live writer merges its
batches (every ``CITYOPS_LIVE_MERGE_SECONDS``). These questions read the store
*and* the pending live batches (:mod:`cityops.store.live`) at once, so a new
alarm or GPS fix is seen by the next request after its batch is written: a
pending row replaces the stored row with the same key, and batches the read
version has already merged are ignored, so nothing counts twice.

Every SELECT goes through the read door; the batch files are part of the
statement (DuckDB's ``read_parquet``), so a cached answer is keyed by the store
version *and* the batches it read. On a database server there are no batches:
the live writer writes straight into the tables and these read them (vehicles
from their newest fix in the table, as the derived positions follow at merges).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import sqlalchemy as sa

from cityops import store
from cityops.clock import TZ
from cityops.datasets import DATASETS, VIDEO_EVENT_SEVERITY, VIDEO_EVENT_SEVERITY_DEFAULT
from cityops.geo import Scope, ensure_allowed
from cityops.queries import read
from cityops.queries.context import Context
from cityops.queries.kpis import scope_clause
from cityops.store import live as batches
from cityops.store.executor import execute

#: The columns of :func:`recent_alarms` and :func:`open_alarms`, in order.
ALARM_COLUMNS = ["key", "kind", "severity", "ts", "status", "label", "subject", "lon", "lat",
                 "city_code", "district_code", "grid_cell"]  # fmt: skip
#: Statuses of an alarm still to be dealt with (a video event is only ever open or closed).
OPEN_STATUSES = ("open", "acknowledged")
#: How often a read is tried again when a batch it listed was merged and deleted meanwhile.
_RETRIES = 3


def _dataset_of(table: sa.Table) -> str:
    return next(name for name, spec in DATASETS.items() if spec.table is table)


def _pending_latest(ctx: Context, table: sa.Table) -> sa.CTE | None:
    """Return the pending batches' rows of ``table``, the newest per key, or None when none.

    Columns: the table's, typed as the table types them.
    """
    files = [str(b.path) for b in batches.pending(ctx.storage, _dataset_of(table))]
    if not files:
        return None
    columns = [sa.column(c.name, c.type) for c in table.columns]
    source = sa.func.read_parquet(
        sa.bindparam(f"{table.name}_batches", files, type_=sa.types.NullType()),
        sa.literal_column("union_by_name = true"),
        sa.literal_column("filename = true"),
    ).table_valued(*columns, sa.column("filename", sa.Text))
    key = list(DATASETS[_dataset_of(table)].key)
    ranked = sa.select(
        *[sa.cast(source.c[c.name], c.type).label(c.name) for c in table.columns],
        sa.func.row_number()
        .over(partition_by=[source.c[k] for k in key], order_by=source.c.filename.desc())
        .label("newest"),
    ).subquery(f"{table.name}_ranked")
    return (
        sa.select(*[ranked.c[c.name] for c in table.columns])
        .where(ranked.c.newest == 1)
        .cte(f"{table.name}_pending")
    )


def _current(ctx: Context, table: sa.Table):
    """Return ``table`` as it is now: stored rows, each replaced by its pending row if any.

    A FROM clause with the table's columns (the table itself when nothing is pending).
    """
    latest = _pending_latest(ctx, table)
    if latest is None:
        return table
    key = DATASETS[_dataset_of(table)].key
    replaced = sa.exists().where(*[latest.c[k] == table.c[k] for k in key])
    stored = sa.select(*table.columns).where(~replaced)
    return sa.union_all(stored, sa.select(*latest.c)).subquery(f"{table.name}_now")


def _severity(event_type):
    """Return the SQL severity of a video event from its type (:data:`VIDEO_EVENT_SEVERITY`)."""
    whens = [(event_type == kind, level) for kind, level in VIDEO_EVENT_SEVERITY.items()]
    return sa.case(*whens, else_=VIDEO_EVENT_SEVERITY_DEFAULT)


def _alarm_feed(ctx: Context) -> sa.Subquery:
    """Return hazmat alarms and video events as one feed (columns of :data:`ALARM_COLUMNS`).

    Video events are placed at their camera; ``subject`` is split into the raw
    ``vehicle_plate`` (masked as it leaves the store) and ``camera_name``.
    """
    al = _current(ctx, store.hazmat_alarms)
    ev = _current(ctx, store.video_events)
    cam = _current(ctx, store.cameras)
    text_null = sa.cast(sa.null(), sa.Text)
    hazmat = sa.select(
        (sa.literal("hazmat:", sa.Text) + al.c.alarm_id).label("key"),
        sa.literal("hazmat_alarm", sa.Text).label("kind"),
        sa.cast(al.c.severity, sa.Integer).label("severity"),
        al.c.ts.label("ts"),
        sa.cast(al.c.status, sa.Text).label("status"),
        sa.cast(al.c.alarm_type, sa.Text).label("label"),
        al.c.vehicle_plate.label("vehicle_plate"),
        text_null.label("camera_name"),
        al.c.lon.label("lon"),
        al.c.lat.label("lat"),
        al.c.city_code.label("city_code"),
        al.c.district_code.label("district_code"),
        al.c.grid_cell.label("grid_cell"),
    )
    video = sa.select(
        sa.literal("video:", sa.Text) + ev.c.event_id,
        sa.literal("video_event", sa.Text),
        _severity(ev.c.event_type),
        ev.c.ts,
        sa.cast(ev.c.status, sa.Text),
        ev.c.event_type,
        text_null,
        cam.c.name,
        cam.c.lon,
        cam.c.lat,
        cam.c.city_code,
        cam.c.district_code,
        cam.c.grid_cell,
    ).select_from(ev.join(cam, cam.c.camera_id == ev.c.camera_id))
    return sa.union_all(hazmat, video).subquery("alarm_feed")


def _read_live(ctx: Context, build) -> pd.DataFrame:
    """Build a statement (listing the pending batches) and read it through the read door.

    A batch listed here may be merged and deleted before DuckDB opens it: its rows
    are then in the version published meanwhile, so the statement is built again.
    """
    for attempt in range(_RETRIES):
        try:
            return read(ctx, build())
        except Exception as exc:
            gone = "no files found" in str(exc).lower() or "no such file" in str(exc).lower()
            if not gone or attempt == _RETRIES - 1:
                raise
    raise AssertionError("unreachable")


def _alarms(ctx: Context, scope: Scope, allowed: Scope, where, order, limit: int) -> pd.DataFrame:
    """Return the feed's rows in ``scope`` matching ``where``, ordered, at most ``limit``.

    A grid cell's rows are those inside ``allowed`` (:func:`scope_clause`).
    """

    def build():
        feed = _alarm_feed(ctx)
        return (
            sa.select(*feed.c)
            .where(scope_clause(feed.c, scope, ctx.geo.enabled_cities, allowed), *where(feed))
            .order_by(*order(feed))
            .limit(limit)
        )

    frame = _read_live(ctx, build)
    hazmat = (frame["kind"] == "hazmat_alarm").to_numpy()
    subject = np.where(hazmat, frame["vehicle_plate"].to_numpy(object),
                       frame["camera_name"].to_numpy(object))  # fmt: skip
    frame["subject"] = pd.Series(subject, index=frame.index, dtype=object)
    return frame[ALARM_COLUMNS].reset_index(drop=True)


def recent_alarms(
    ctx: Context,
    *,
    scope: Scope,
    allowed: Scope,
    since: dt.datetime | None = None,
    limit: int = 200,
) -> pd.DataFrame:
    """Return hazmat alarms and video events raised after ``since`` in ``scope``, newest first.

    Stored and pending rows alike (a pending row replaces the stored one of its key).

    Returns
    -------
    pandas.DataFrame
        ``key`` (``hazmat:<alarm_id>`` / ``video:<event_id>``), ``kind``
        (``hazmat_alarm`` | ``video_event``), ``severity`` (1–3; a video event's
        from its type, :data:`cityops.datasets.VIDEO_EVENT_SEVERITY`), ``ts``,
        ``status``, ``label`` (alarm or event type as stored), ``subject`` (the
        vehicle's plate, masked, or the camera's name), ``lon, lat, city_code,
        district_code, grid_cell`` (a video event's are its camera's). All rows
        when ``since`` is None; at most ``limit``.
    """
    ensure_allowed(scope, allowed)

    def where(feed):
        return [] if since is None else [feed.c.ts > since]

    return _alarms(ctx, scope, allowed, where, lambda f: (f.c.ts.desc(), f.c.key), limit)


def open_alarms(ctx: Context, *, scope: Scope, allowed: Scope, limit: int = 10) -> pd.DataFrame:
    """Return the longest-open hazmat alarms (open or acknowledged) and open video events.

    In ``scope``, oldest first, at most ``limit``; stored and pending rows alike.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`recent_alarms` (the age is ``now - ts``).
    """
    ensure_allowed(scope, allowed)

    def where(feed):
        return [feed.c.status.in_(OPEN_STATUSES)]

    return _alarms(ctx, scope, allowed, where, lambda f: (f.c.ts, f.c.key), limit)


def vehicle_positions(ctx: Context, *, scope: Scope, allowed: Scope) -> pd.DataFrame:
    """Return each waybill in transit at its vehicle's newest fix, pending fixes included.

    The stored position (:data:`cityops.store.hazmat_positions`: the last fix
    since departure, else the origin, rebuilt at each load and merge) is
    replaced by a newer fix of the same vehicle since departure: a pending
    batch's, or on a database server the table's. Waybills' own changes move
    at the next merge.

    Returns
    -------
    pandas.DataFrame
        ``waybill_id, vehicle_plate`` (masked), ``hazard_class, tonnage, lon,
        lat, ts, district_code``, in scope, by waybill.
    """
    ensure_allowed(scope, allowed)
    pos, w = store.hazmat_positions, store.hazmat_waybills

    def build():
        fixes = _pending_latest(ctx, store.hazmat_tracks)
        if fixes is None and getattr(ctx.storage, "versioned", True) is False:
            # a database server: the live writer's fixes are in the table, the positions
            # follow at its merge (the primary key finds a vehicle's newer fixes)
            fixes = store.hazmat_tracks
        if fixes is None:
            now = sa.select(*pos.columns).subquery("positions_now")
        else:
            since_departure = sa.and_(
                fixes.c.vehicle_plate == pos.c.vehicle_plate,
                fixes.c.ts >= w.c.depart_at,
                sa.or_(pos.c.ts.is_(None), fixes.c.ts > pos.c.ts),
            )
            newest = (
                sa.select(pos.c.waybill_id, sa.func.max(fixes.c.ts).label("ts"))
                .select_from(pos.join(w, w.c.waybill_id == pos.c.waybill_id).join(
                    fixes, since_departure))
                .group_by(pos.c.waybill_id)
                .subquery("newest_fix")
            )  # fmt: skip
            moved = newest.c.ts.is_not(None)

            def pick(name: str):
                return sa.case((moved, fixes.c[name]), else_=pos.c[name]).label(name)

            now = (
                sa.select(
                    pos.c.waybill_id, pos.c.vehicle_plate, pos.c.hazard_class, pos.c.tonnage,
                    *[pick(c) for c in ("lon", "lat", "ts", "city_code", "district_code",
                                        "grid_cell")],
                )
                .select_from(
                    pos.outerjoin(newest, newest.c.waybill_id == pos.c.waybill_id).outerjoin(
                        fixes, sa.and_(fixes.c.vehicle_plate == pos.c.vehicle_plate,
                                       fixes.c.ts == newest.c.ts))
                )
                .subquery("positions_now")
            )  # fmt: skip
        return (
            sa.select(now.c.waybill_id, now.c.vehicle_plate, now.c.hazard_class, now.c.tonnage,
                      now.c.lon, now.c.lat, now.c.ts, now.c.district_code)
            .where(scope_clause(now.c, scope, ctx.geo.enabled_cities, allowed))
            .order_by(now.c.waybill_id)
        )  # fmt: skip

    return _read_live(ctx, build)


def freshness(ctx: Context, *, allowed: Scope, now: dt.datetime | None = None) -> pd.DataFrame:
    """Return how fresh each dataset is: when it was last written and whether that is too long ago.

    About sources, not areas: the answer is the same for every caller
    (``allowed`` is taken, as by every query, and not needed to filter).

    Returns
    -------
    pandas.DataFrame
        One row per dataset of :data:`cityops.datasets.DATASETS`: ``dataset``,
        ``last_write`` (naive Asia/Shanghai: the newest accepted load's
        ``finished_at`` or pending batch, NaT if never written), ``cadence_s``
        (the expected cadence, ``CITYOPS_FRESHNESS_CADENCE``), ``age_s`` (seconds
        from ``last_write`` to ``now``, NaN if never) and ``stale`` (never
        written, or older than the cadence).
    """
    del allowed  # the same answer for everyone
    if now is None:
        now = dt.datetime.now(TZ).replace(tzinfo=None)
    t = store.loads
    loaded = execute(
        ctx.storage,
        sa.select(t.c.dataset, sa.func.max(t.c.finished_at).label("last_write"))
        .where(sa.func.coalesce(t.c.status, "accepted") == "accepted")
        .group_by(t.c.dataset),
    )
    last = dict(zip(loaded["dataset"], loaded["last_write"], strict=True))
    rows = []
    for name in DATASETS:
        stamp = last.get(name)
        stamp = None if stamp is None or pd.isna(stamp) else pd.Timestamp(stamp)
        newest = batches.pending(ctx.storage, name)
        if newest:
            written = pd.Timestamp(newest[-1].written_at)
            stamp = written if stamp is None else max(stamp, written)
        rows.append({"dataset": name, "last_write": stamp, "cadence_s": ctx.settings.cadence(name)})
    frame = pd.DataFrame(rows, columns=["dataset", "last_write", "cadence_s"])
    frame["last_write"] = pd.to_datetime(frame["last_write"]).astype("datetime64[ns]")
    frame["cadence_s"] = frame["cadence_s"].astype("int64")
    frame["age_s"] = (pd.Timestamp(now) - frame["last_write"]).dt.total_seconds().astype(float)
    frame["stale"] = (frame["last_write"].isna() | (frame["age_s"] > frame["cadence_s"])).astype(
        bool
    )
    return frame


def live_revision(ctx: Context, *, allowed: Scope) -> str:
    """Return an identifier that changes whenever a live batch is written or merged.

    The store's revision (a merge publishes a new version; on a database server,
    the newest load) and the newest pending batch. The same for every caller.
    """
    del allowed
    newest = 0
    root = batches.live_root(ctx.storage)
    if root is not None:
        merged = batches.merged_seq(ctx.storage)
        for name in DATASETS:
            found = batches.list_batches(root, name, merged)
            if found:
                newest = max(newest, found[-1].seq)
    return f"{ctx.storage.data_revision()}+{newest}"
