"""Live writes: validated batches, seen by readers at once, merged without counting twice.

The store holds the canonical rows of tests/loader_fixtures.py (cameras C1–C3,
events E1–E3, waybill W1 in transit with plate 苏A12345, alarms A1–A3, spots
S1–S3), loaded the way ``cityops load`` does; the live writer adds batches.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from cityops import store
from cityops.geo import ScopeDenied
from cityops.queries import live, scope_kpis
from cityops.queries.context import Context
from cityops.settings import get_settings
from cityops.store import live as batches
from cityops.store.executor import execute
from cityops.store.versions import Storage
from loaders.live import COMPACT_AT, LiveWriter, sweep
from loaders.load import load_into
from loaders.read import FileRefused
from tests.conftest import bearer_for
from tests.loader_fixtures import DISTRICTS, GUSU, XUANWU, T, canonical
from tests.unit.test_kpis import GUSU as GUSU_CODE
from tests.unit.test_kpis import XUANWU as XUANWU_CODE
from tests.unit.test_kpis import hand  # noqa: F401
from tests.unit.test_queries import q  # noqa: F401
from tests.unit.test_query_scope import _arguments

REPO = Path(__file__).resolve().parents[2]
LOADED = ("cameras", "video_events", "hazmat_waybills", "hazmat_tracks", "hazmat_alarms",
          "scenic_spots", "bookings")  # fmt: skip
LATER = T + dt.timedelta(minutes=30)


def load_canonical(storage, geo, folder: Path, names=LOADED) -> None:
    """Load the canonical rows of ``names`` as department files (Parquet)."""
    rows = canonical()
    for name in names:
        path = folder / f"{name}.parquet"
        rows[name].to_parquet(path, index=False)
        load_into(storage, name, path, geography=lambda _e: geo)


@pytest.fixture()
def shop(fresh_store, tmp_path):
    """``(ctx, writer, storage)`` over a store holding the canonical rows."""
    settings, storage, geo = fresh_store
    load_canonical(storage, geo, tmp_path)
    writer = LiveWriter(storage, geography=lambda _e: geo)
    return Context(settings), writer, storage


def tmp_path_of(storage) -> Path:
    """Return the data folder of ``storage`` (a test's temporary folder)."""
    return storage.root.parent


def everywhere(ctx):
    return ctx.geo.scope(None)


def alarm(alarm_id: str, *, at=XUANWU, ts=LATER, status="open", severity=3, **extra) -> dict:
    return {"alarm_id": alarm_id, "vehicle_plate": "苏A12345", "waybill_id": "W1", "ts": ts,
            "alarm_type": "speeding", "severity": severity, "lon": at[0], "lat": at[1],
            "status": status, **extra}  # fmt: skip


def keys(frame: pd.DataFrame) -> list[str]:
    return sorted(frame["key"])


def kpi(ctx, name: str) -> float:
    p = everywhere(ctx)
    return scope_kpis(ctx, scope=p, day=T.date(), allowed=p)[name].iloc[0]


# ----------------------------------------------------------------- writing
def test_a_batch_keeps_good_rows_and_quarantines_bad_ones_with_their_reason(shop):
    ctx, writer, storage = shop
    report = writer.write("hazmat_alarms", [
        alarm("L1"),
        alarm("L2", alarm_type="on_fire"),  # not an alarm type
        alarm("L3", at=(2.35, 48.85)),  # Paris: outside every enabled district
        alarm("L4", severity=2), alarm("L4", severity=3),  # a key twice: the last row wins
    ])  # fmt: skip
    assert (report.rows_read, report.accepted, report.quarantined) == (5, 2, 3)
    assert report.reasons == {"quarantined:enum": 1, "quarantined:range": 1,
                              "quarantined:duplicate": 1}  # fmt: skip
    assert Path(report.path).name == batches.batch_name(report.seq)
    assert batches.issues_path(batches.live_root(storage), report.seq).exists()
    p = everywhere(ctx)
    seen = live.recent_alarms(ctx, scope=p, allowed=p, since=T)
    assert keys(seen) == ["hazmat:L1", "hazmat:L4"]
    assert seen.set_index("key").loc["hazmat:L4", "severity"] == 3
    merged = writer.merge()
    counts = merged.datasets["hazmat_alarms"]
    assert counts["rows_read"] == counts["inserted"] + counts["updated"] + counts["quarantined"]
    issues = execute(storage, sa.select(store.load_issues).where(
        store.load_issues.c.load_id == counts["load_id"]))  # fmt: skip
    assert sorted(issues["reason"]) == ["duplicate", "enum", "range"]
    raw = {json.loads(r)["alarm_id"] for r in issues["raw"]}
    assert raw == {"L2", "L3", "L4"}  # the rows as given, nothing lost
    load = execute(
        storage, sa.select(store.loads).where(store.loads.c.load_id == counts["load_id"])
    )
    assert load["file"].iloc[0].startswith("live:b") and load["status"].iloc[0] == "accepted"
    assert load["quarantined"].iloc[0] == 3


def test_a_batch_that_cannot_be_read_is_refused_and_writes_nothing(shop):
    _ctx, writer, storage = shop
    with pytest.raises(FileRefused, match="unknown"):
        writer.write("weather", [{"x": 1}])
    with pytest.raises(FileRefused, match="alarm_type"):
        writer.write("hazmat_alarms", [{"alarm_id": "X", "ts": LATER}])
    root = batches.live_root(storage)
    assert not [p for p in root.rglob("*.parquet")] if root.exists() else True
    assert writer.write("hazmat_alarms", []).seq is None


def test_a_reference_to_a_row_still_pending_is_known(shop):
    ctx, writer, _ = shop
    cam = canonical()["cameras"].iloc[[0]].assign(camera_id="C9", name="新点位")
    writer.write("cameras", cam)
    report = writer.write("video_events", [
        {"event_id": "E9", "camera_id": "C9", "ts": LATER, "event_type": "烟火", "status": "open"},
        {"event_id": "E8", "camera_id": "NOPE", "ts": LATER, "event_type": "烟火",
         "status": "open"},
    ])  # fmt: skip
    assert report.accepted == 1 and report.reasons == {"quarantined:reference": 1}
    p = everywhere(ctx)
    seen = live.recent_alarms(ctx, scope=p, allowed=p, since=T).set_index("key")
    assert seen.loc["video:E9", "subject"] == "新点位"  # placed at the pending camera
    assert seen.loc["video:E9", "severity"] == 3  # 烟火
    assert seen.loc["video:E9", "district_code"] == DISTRICTS[0]


# ----------------------------------------------------------------- reading
def test_a_pending_row_replaces_the_stored_row_of_its_key(shop):
    ctx, writer, _ = shop
    p = everywhere(ctx)
    before = live.open_alarms(ctx, scope=p, allowed=p)
    assert {"hazmat:A1", "hazmat:A2", "video:E1", "video:E3"} == set(before["key"])
    writer.write("hazmat_alarms", [alarm("A1", ts=T, status="closed", closed_at=LATER)])
    writer.write("video_events", [{"event_id": "E3", "camera_id": "C3", "ts": T,
                                   "event_type": "人群聚集", "status": "closed",
                                   "closed_at": LATER}])  # fmt: skip
    after = live.open_alarms(ctx, scope=p, allowed=p)
    assert set(after["key"]) == {"hazmat:A2", "video:E1"}
    everything = live.recent_alarms(ctx, scope=p, allowed=p)
    assert everything["key"].is_unique and len(everything) == 6
    assert everything.set_index("key").loc["hazmat:A1", "status"] == "closed"


def test_alarms_are_in_scope_newest_first_typed_and_masked(shop):
    ctx, writer, _ = shop
    writer.write("hazmat_alarms", [alarm("L1", ts=LATER), alarm("L2", at=GUSU, ts=LATER
                                                                + dt.timedelta(minutes=1))])  # fmt: skip
    p, xuanwu = everywhere(ctx), ctx.geo.scope(XUANWU_CODE)
    seen = live.recent_alarms(ctx, scope=p, allowed=p, since=T)
    assert list(seen.columns) == live.ALARM_COLUMNS
    assert list(seen["key"]) == ["hazmat:L2", "hazmat:L1"]
    assert "12345" not in "".join(seen["subject"])  # plates masked
    assert keys(live.recent_alarms(ctx, scope=xuanwu, allowed=p, since=T)) == ["hazmat:L1"]
    none = live.recent_alarms(ctx, scope=xuanwu, allowed=p, since=LATER + dt.timedelta(days=1))
    assert none.empty and str(none["ts"].dtype).startswith("datetime64")
    assert str(none["severity"].dtype) in ("int64", "Int64", "float64")
    with pytest.raises(ScopeDenied):
        live.recent_alarms(ctx, scope=xuanwu, allowed=ctx.geo.scope(GUSU_CODE))


def test_vehicles_move_to_their_newest_pending_fix(shop):
    ctx, writer, _ = shop
    p, gusu, xuanwu = everywhere(ctx), ctx.geo.scope(GUSU_CODE), ctx.geo.scope(XUANWU_CODE)
    before = live.vehicle_positions(ctx, scope=p, allowed=p).set_index("waybill_id")
    assert before.loc["W1", "district_code"] == "320508"  # its last stored fix
    fixes = [
        {
            "vehicle_plate": "苏A12345",
            "ts": LATER + dt.timedelta(seconds=s),
            "lon": XUANWU[0] + s / 1e4,
            "lat": XUANWU[1],
            "speed_kmh": 50,
        }
        for s in (1, 2)
    ]
    writer.write("hazmat_tracks", fixes[:1])
    writer.write("hazmat_tracks", fixes[1:])
    writer.write(
        "hazmat_tracks",
        [{**fixes[0], "ts": T - dt.timedelta(days=1), "lon": GUSU[0], "lat": GUSU[1]}],
    )  # before departure: not its position
    now = live.vehicle_positions(ctx, scope=p, allowed=p).set_index("waybill_id")
    assert now.loc["W1", "district_code"] == "320102"
    assert now.loc["W1", "lon"] == pytest.approx(XUANWU[0] + 2 / 1e4)
    assert now.loc["W1", "ts"] == LATER + dt.timedelta(seconds=2)
    assert "12345" not in now.loc["W1", "vehicle_plate"]
    assert list(live.vehicle_positions(ctx, scope=xuanwu, allowed=p)["waybill_id"]) == ["W1"]
    assert live.vehicle_positions(ctx, scope=gusu, allowed=p).empty


def test_freshness_counts_pending_batches_and_merged_loads_alike(shop):
    ctx, writer, _ = shop
    p = everywhere(ctx)
    report = writer.write("hazmat_tracks", [{"vehicle_plate": "苏A12345", "ts": LATER,
                                             "lon": XUANWU[0], "lat": XUANWU[1]}])  # fmt: skip
    written = batches.seq_time(report.seq)
    now = written + dt.timedelta(seconds=30)
    fresh = live.freshness(ctx, allowed=p, now=now).set_index("dataset")
    assert list(fresh.index) == list(live.DATASETS)
    assert fresh.loc["hazmat_tracks", "last_write"] == pd.Timestamp(written)
    assert fresh.loc["hazmat_tracks", "age_s"] == pytest.approx(30, abs=0.01)
    assert not fresh.loc["hazmat_tracks", "stale"]  # cadence 120 s
    assert fresh.loc["district_population", "stale"]  # never written
    assert pd.isna(fresh.loc["district_population", "last_write"])
    writer.merge()
    merged = live.freshness(ctx, allowed=p, now=now).set_index("dataset")
    assert merged.loc["hazmat_tracks", "last_write"] == fresh.loc["hazmat_tracks", "last_write"]
    later = live.freshness(ctx, allowed=p, now=now + dt.timedelta(seconds=200))
    assert later.set_index("dataset").loc["hazmat_tracks", "stale"]


def test_the_live_revision_changes_on_every_write_and_merge(shop):
    ctx, writer, _ = shop
    p = everywhere(ctx)
    seen = [live.live_revision(ctx, allowed=p)]
    writer.write("hazmat_alarms", [alarm("L1")])
    seen.append(live.live_revision(ctx, allowed=p))
    writer.write("hazmat_alarms", [alarm("L2")])
    seen.append(live.live_revision(ctx, allowed=p))
    writer.merge()
    seen.append(live.live_revision(ctx, allowed=p))
    assert len(set(seen)) == 4
    assert live.live_revision(ctx, allowed=p) == seen[-1]


READER = """
import json, sys
from cityops.settings import get_settings
from cityops.queries.context import Context
from cityops.queries import live
ctx = Context(get_settings(data_dir=sys.argv[1], database_url=""))
p = ctx.geo.scope(None)
for _ in sys.stdin:
    print(json.dumps(sorted(live.recent_alarms(ctx, scope=p, allowed=p)["key"])), flush=True)
"""


def test_a_batch_is_seen_at_once_by_a_reader_in_another_process(shop):
    _ctx, writer, storage = shop
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYOPS_")}
    reader = subprocess.Popen([sys.executable, "-c", READER, str(storage.root.parent)], env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              cwd=REPO)  # fmt: skip

    def ask() -> list[str]:
        reader.stdin.write("\n")
        reader.stdin.flush()
        return json.loads(reader.stdout.readline())

    try:
        before = ask()  # the reader has read (and cached) the store
        assert "hazmat:L1" not in before
        writer.write("hazmat_alarms", [alarm("L1")])
        assert ask() == sorted([*before, "hazmat:L1"])  # no merge needed
        writer.merge()
        assert ask() == sorted([*before, "hazmat:L1"])  # once, after the merge too
    finally:
        reader.stdin.close()
        reader.wait(timeout=60)


# ------------------------------------------------------------------- merging
def test_nothing_counts_twice_across_a_merge_and_the_kpis_follow_it(shop):
    ctx, writer, _ = shop
    p = everywhere(ctx)
    open_before, events_before = kpi(ctx, "hazmat_alarms_open"), kpi(ctx, "video_events_open")
    writer.write("hazmat_alarms", [alarm("L1"), alarm("L2", at=GUSU)])
    writer.write("hazmat_alarms", [alarm("L2", at=GUSU, status="acknowledged")])
    writer.write("video_events", [{"event_id": "E9", "camera_id": "C2", "ts": LATER,
                                   "event_type": "垃圾满溢", "status": "open"}])  # fmt: skip
    writer.write("hazmat_tracks", [{"vehicle_plate": "苏A12345", "ts": LATER,
                                    "lon": XUANWU[0], "lat": XUANWU[1]}])  # fmt: skip

    def views():
        return (live.recent_alarms(ctx, scope=p, allowed=p),
                live.open_alarms(ctx, scope=p, allowed=p, limit=50),
                live.vehicle_positions(ctx, scope=p, allowed=p))  # fmt: skip

    before = views()
    assert kpi(ctx, "hazmat_alarms_open") == open_before  # KPIs read the store as published
    report = writer.merge()
    assert report.datasets["hazmat_alarms"]["inserted"] == 2
    assert report.datasets["hazmat_alarms"]["updated"] == 1  # L2, changed by a later batch
    after = views()
    for a, b in zip(before, after, strict=True):
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
    assert kpi(ctx, "hazmat_alarms_open") == open_before + 2
    assert kpi(ctx, "video_events_open") == events_before + 1
    assert kpi(ctx, "waybills_in_transit") == 1


def test_a_merge_publishes_once_and_deletes_the_merged_files(shop):
    _ctx, writer, storage = shop
    root = batches.live_root(storage)
    first = writer.write("hazmat_alarms", [alarm("L1")])
    writer.write("hazmat_alarms", [alarm("L2", status="bogus")])  # only a quarantined row
    last = writer.write("bookings", [{"booking_id": "B9", "spot_id": "S1",
                                      "visit_date": T.date(), "slot_start": "09:00",
                                      "slot_end": "10:00", "party_size": 3,
                                      "status": "booked"}])  # fmt: skip
    versions = sorted(storage.root.glob("v*.duckdb"))
    label = storage.version_label()
    report = writer.merge()
    assert (report.batches, report.first_seq, report.last_seq) == (3, first.seq, last.seq)
    assert storage.version_label() == report.version != label
    assert len(set(storage.root.glob("v*.duckdb")) - set(versions)) == 1
    assert not list(root.rglob("b*.parquet"))  # rows and quarantine files alike
    assert batches.merged_seq(storage) == last.seq
    assert report.datasets["hazmat_alarms"]["quarantined"] == 1
    again = writer.merge()  # nothing pending: nothing copied, nothing published
    assert again.batches == 0 and storage.version_label() == report.version
    assert writer.status().pending == {}


def test_a_merge_stopped_between_publishing_and_deleting_counts_nothing_twice(shop, monkeypatch):
    ctx, writer, storage = shop
    p = everywhere(ctx)
    writer.write("hazmat_alarms", [alarm("L1")])
    writer.write("hazmat_tracks", [{"vehicle_plate": "苏A12345", "ts": LATER,
                                    "lon": XUANWU[0], "lat": XUANWU[1]}])  # fmt: skip
    calls = []

    def killed(root, merged):
        calls.append(merged)
        if len(calls) == 2:  # the deletion after publishing
            raise KeyboardInterrupt
        return sweep(root, merged)

    monkeypatch.setattr("loaders.live.sweep", killed)
    with pytest.raises(KeyboardInterrupt):
        writer.merge()
    root = batches.live_root(storage)
    assert len(list(root.rglob("b*.parquet"))) == 2  # published, not deleted
    seen = live.recent_alarms(ctx, scope=p, allowed=p)
    assert list(seen["key"]).count("hazmat:L1") == 1
    assert kpi(ctx, "hazmat_alarms_open") == 3  # A1, A2 and L1: once
    # a department's file closes L1 afterwards: the leftover batch (merged) must not undo it
    closed = tmp_path_of(storage) / "closed.parquet"
    pd.DataFrame([alarm("L1", status="closed", closed_at=LATER)]).to_parquet(closed)
    load_into(storage, "hazmat_alarms", closed, geography=lambda _e: ctx.geo)
    assert "hazmat:L1" not in set(live.open_alarms(ctx, scope=p, allowed=p)["key"])
    assert live.recent_alarms(ctx, scope=p, allowed=p).set_index("key").loc[
        "hazmat:L1", "status"] == "closed"  # fmt: skip
    loads_before = len(execute(storage, sa.select(store.loads.c.load_id)))
    assert writer.status().pending == {}
    again = writer.merge()  # the leftovers are not merged again
    assert again.batches == 0
    assert len(execute(storage, sa.select(store.loads.c.load_id))) == loads_before
    monkeypatch.undo()
    writer.write("hazmat_alarms", [alarm("L2")])
    assert writer.merge().batches == 1
    assert not list(root.rglob("b*.parquet"))  # the next merge swept the leftovers


def test_many_batches_are_compacted_into_one_file_that_reads_and_merges_the_same(shop):
    ctx, writer, storage = shop
    p = everywhere(ctx)
    root = batches.live_root(storage) / "hazmat_alarms"
    n = COMPACT_AT + 3
    copies = {}
    for i in range(n):  # a new alarm each, L0 changed by each; a bad row every 5th
        rows = [alarm(f"L{i + 1}"), alarm("L0", severity=1 + i % 3)]
        if i % 5 == 0:
            rows.append(alarm(f"X{i}", alarm_type="bogus"))
        report = writer.write("hazmat_alarms", rows)
        copies[report.seq] = Path(report.path).read_bytes()
    files = sorted(root.glob("b*.parquet"))
    assert len(files) < COMPACT_AT  # the first COMPACT_AT became one
    seen = live.recent_alarms(ctx, scope=p, allowed=p, since=T).set_index("key")
    assert len(seen) == n + 1 and seen.loc["hazmat:L0", "severity"] == 1 + (n - 1) % 3
    # a compaction stopped before deleting what it covers: a covered batch is back
    covered = min(copies)
    (root / batches.batch_name(covered)).write_bytes(copies[covered])
    again = live.recent_alarms(ctx, scope=p, allowed=p, since=T).set_index("key")
    pd.testing.assert_frame_equal(seen.sort_index(), again.sort_index())
    report = writer.merge()
    counts = report.datasets["hazmat_alarms"]
    bad = len(range(0, n, 5))
    assert counts["rows_read"] == 2 * n + bad  # the covered batch is not counted twice
    assert (counts["inserted"], counts["quarantined"]) == (n + 1, bad)
    assert counts["rows_read"] == counts["inserted"] + counts["updated"] + counts["quarantined"]
    issues = execute(storage, sa.select(store.load_issues.c.raw).where(
        store.load_issues.c.load_id == counts["load_id"]))  # fmt: skip
    assert len(issues) == bad  # every batch's quarantine, compacted or not
    assert not list(batches.live_root(storage).rglob("b*.parquet"))
    after = live.recent_alarms(ctx, scope=p, allowed=p, since=T).set_index("key")
    pd.testing.assert_frame_equal(seen.sort_index(), after.sort_index())


def test_batches_a_merge_is_folding_in_are_not_compacted(shop):
    _, writer, storage = shop
    root = batches.live_root(storage)
    picked = [writer.write("hazmat_alarms", [alarm(f"L{i}")]).seq for i in range(COMPACT_AT)]
    assert len(list((root / "hazmat_alarms").glob("b*.parquet"))) == 1  # compacted
    (root / "MERGING").write_text(str(picked[-1]))  # as a merge does while it folds them in
    later = [writer.write("hazmat_alarms", [alarm(f"M{i}")]).seq for i in range(COMPACT_AT - 1)]
    names = {p.name for p in (root / "hazmat_alarms").glob("b*.parquet")}
    assert batches.batch_name(picked[-1]) in names and len(names) == COMPACT_AT
    newest = writer.write("hazmat_alarms", [alarm("M99")]).seq  # COMPACT_AT above the merge's
    names = {p.name for p in (root / "hazmat_alarms").glob("b*.parquet")}
    assert names == {batches.batch_name(picked[-1]), batches.batch_name(newest)}
    assert newest > max(later)


def test_camera_changes_are_recorded_batch_by_batch_at_the_merge(shop):
    ctx, writer, storage = shop
    cam = canonical()["cameras"].iloc[[0]]  # C1, online
    writer.write("cameras", cam.assign(status="offline", last_seen=LATER))
    writer.write("cameras", cam.assign(status="online", last_seen=LATER + dt.timedelta(minutes=5)))
    report = writer.merge()
    assert report.datasets["cameras"]["updated"] == 2
    h = store.camera_status_history
    history = execute(storage, sa.select(h.c.status, h.c.changed_at).where(
        h.c.camera_id == "C1").order_by(h.c.changed_at))  # fmt: skip
    assert list(history["status"])[-2:] == ["offline", "online"]
    assert kpi(ctx, "cameras_online_rate") == pytest.approx(1 / 3)  # C1 online again


# --------------------------------------------------------------- the scope rule
LIVE = {name: fn for name, fn in inspect.getmembers(importlib.import_module("cityops.queries.live"),
        inspect.isfunction) if fn.__module__ == "cityops.queries.live"
        and not name.startswith("_") and next(iter(inspect.signature(fn).parameters)) == "ctx"}  # fmt: skip
#: Answers about sources, not areas: the same for every caller.
SOURCES = {"freshness", "live_revision"}


@pytest.mark.parametrize("name", sorted(LIVE))
def test_every_live_query_takes_the_permitted_scope(name):
    params = inspect.signature(LIVE[name]).parameters
    assert "allowed" in params and params["allowed"].default is inspect.Parameter.empty


@pytest.mark.parametrize("name", sorted(set(LIVE) - SOURCES))
def test_every_live_query_refuses_a_scope_outside_the_permitted_one(q, name):  # noqa: F811
    fn = LIVE[name]
    kwargs = _arguments(fn, q, q.geo.scope(GUSU_CODE))
    with pytest.raises(ScopeDenied):
        fn(q, **kwargs)
    kwargs["allowed"] = q.geo.scope(None)
    fn(q, **kwargs)


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_source_answers_are_the_same_for_every_caller(q, name):  # noqa: F811
    fn = LIVE[name]
    now = {"now": T} if "now" in inspect.signature(fn).parameters else {}
    narrow = fn(q, allowed=q.geo.scope(GUSU_CODE), **now)
    wide = fn(q, allowed=q.geo.scope(None), **now)
    if isinstance(wide, pd.DataFrame):
        pd.testing.assert_frame_equal(narrow, wide)
    else:
        assert narrow == wide


# --------------------------------------------------------------- PostgreSQL
@pytest.mark.postgres
def test_on_postgresql_each_batch_is_a_transaction_seen_at_once(areas_frame, tmp_path):
    from tests.conftest import write_areas
    from tests.pg import pg_schema

    url, drop = pg_schema()
    try:
        settings = get_settings(data_dir=str(tmp_path), database_url=url)
        storage = Storage(settings)
        with storage.writer() as engine:
            write_areas(engine, areas_frame)
        ctx = Context(settings)
        geo = ctx.geo
        load_canonical(storage, geo, tmp_path)
        writer = LiveWriter(storage, geography=lambda _e: geo)
        p = everywhere(ctx)
        open_before = kpi(ctx, "hazmat_alarms_open")
        events_before = kpi(ctx, "video_events_open")
        first = writer.write("hazmat_alarms", [alarm("L1"), alarm("L2", alarm_type="bogus")])
        assert (first.accepted, first.quarantined, first.path) == (1, 1, None)
        assert "hazmat:L1" in set(live.recent_alarms(ctx, scope=p, allowed=p)["key"])
        assert kpi(ctx, "hazmat_alarms_open") == open_before + 1  # in the tables at once
        writer.write("video_events", [{"event_id": "E9", "camera_id": "C2", "ts": LATER,
                                       "event_type": "烟火", "status": "open"}])  # fmt: skip
        assert "video:E9" in set(live.open_alarms(ctx, scope=p, allowed=p)["key"])
        assert kpi(ctx, "video_events_open") == events_before  # a derived count: at the merge
        second = writer.write("hazmat_alarms", [alarm("L1", status="acknowledged")])
        writer.write("hazmat_tracks", [{"vehicle_plate": "苏A12345", "ts": LATER,
                                        "lon": XUANWU[0], "lat": XUANWU[1]}])  # fmt: skip
        moved = live.vehicle_positions(ctx, scope=p, allowed=p).set_index("waybill_id")
        assert moved.loc["W1", "district_code"] == "320102"
        report = writer.merge()
        assert kpi(ctx, "video_events_open") == events_before + 1
        counts = report.datasets["hazmat_alarms"]
        assert (counts["batches"], counts["rows_read"], counts["inserted"], counts["updated"],
                counts["quarantined"]) == (2, 3, 1, 1, 1)  # fmt: skip
        load = execute(storage, sa.select(store.loads).where(
            store.loads.c.load_id == counts["load_id"]))  # fmt: skip
        assert load["file"].iloc[0].startswith("live:b") and load["rows_read"].iloc[0] == 3
        issues = execute(storage, sa.select(store.load_issues.c.reason).where(
            store.load_issues.c.load_id == counts["load_id"]))  # fmt: skip
        assert list(issues["reason"]) == ["enum"]
        assert writer.status().versioned is False
        written = pd.Timestamp(batches.seq_time(second.seq)).floor("us")
        assert load["finished_at"].iloc[0] == written  # the window's last batch
        fresh = live.freshness(ctx, allowed=p).set_index("dataset")
        assert fresh.loc["hazmat_alarms", "last_write"] == written
        writer.close()
        storage.reader_engine().dispose()
    finally:
        drop()


def test_serve_does_not_hold_the_version_it_started_on(data_dir):
    """A version written away (and deleted) while ``cityops serve`` runs gives its disk back.

    The start-up schema check used to keep its reader open for the server's life: the
    version it opened stayed open, deleted, for ever (~0.6 GB at city scale).
    """
    import os
    import socket
    import subprocess
    import sys
    import time

    import requests

    from cityops.settings import get_settings
    from cityops.store.versions import Storage

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    bearer = bearer_for(data_dir)
    env = {**os.environ, "CITYOPS_DATA_DIR": str(data_dir), "CITYOPS_DATABASE_URL": "",
           "CITYOPS_KEEP_VERSIONS": "0"}  # fmt: skip
    cityops = str(Path(sys.executable).parent / "cityops")
    proc = subprocess.Popen([cityops, "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.3)
        storage = Storage(get_settings(data_dir=str(data_dir), database_url="", keep_versions=0))
        for _ in range(2):  # two new versions: the one the server started on is deleted
            with storage.writer():
                pass
        # the next request reads the new version; the server's old reader is let go
        answer = requests.get(f"http://127.0.0.1:{port}/api/v1/kpis", headers=bearer, timeout=30)
        assert answer.status_code == 200
        fd_dir = Path(f"/proc/{proc.pid}/fd")
        held = []
        for fd in os.listdir(fd_dir):
            try:
                held.append(os.readlink(fd_dir / fd))
            except FileNotFoundError:  # closed between listing and reading: not held
                continue
        assert not [h for h in held if h.endswith(".duckdb (deleted)")], held
    finally:
        proc.terminate()
        proc.wait(timeout=10)
