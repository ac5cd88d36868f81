"""KPI snapshots: recorded by writer sessions, read back as trends against yesterday.

On the KPI tests' hand fixture (DuckDB and PostgreSQL): cameras c1–c3 in 玄武
(2 online), c4 in 秦淮 (fault), c5 in 姑苏; alarms a1, a2 open in 玄武, a4 in 姑苏;
rentals r1–r3 in 玄武 (1 rectified of 2 ordered), r4 in 秦淮 (none ordered); spot
s1 in 玄武 with 35 visitors on DAY and 7 the day after.
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from cityops import store
from cityops.datasets import personal_columns
from cityops.geo import ScopeDenied
from cityops.queries import snapshots
from cityops.queries.kpis import KPI_NAMES, RentalRules, compute_kpis, kpi_record
from cityops.settings import get_settings
from cityops.store.versions import Storage
from tests.pg import pg_schema
from tests.unit.test_kpis import DAY, GUSU, QINHUAI, T0, XUANWU, hand  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).parent / "cityops"
if not SCRIPT.exists():
    SCRIPT = REPO / ".venv" / "bin" / "cityops"
CAMERAS_FILE = REPO / "tests" / "data" / "cameras_gbk_title.csv"
NANJING, SUZHOU, PROVINCE = "320100", "320500", "320000"
JIANYE = "320105"  # a district of 南京 with no rows
NOW = T0 + dt.timedelta(hours=2)
STATUS = snapshots.STATUS_KPIS
SETTINGS = get_settings(data_dir="unused", database_url="", cities="320100,320500",
                        grid_resolution=8, query_cache_entries=0)  # fmt: skip


@pytest.fixture()
def engine(hand):  # noqa: F811
    """The hand store's engine, its snapshots emptied before and after each test."""
    engine = hand[0]
    with engine.begin() as conn:
        conn.execute(store.kpi_snapshots.delete())
    yield engine
    with engine.begin() as conn:
        conn.execute(store.kpi_snapshots.delete())


@pytest.fixture()
def q(hand, engine):  # noqa: F811
    """A context as the pages have one, on the hand store (no answer cache)."""
    _, geo, _ = hand
    storage = SimpleNamespace(
        data_revision=lambda: "hand", settings=SETTINGS, reader_engine=lambda: engine
    )
    return SimpleNamespace(engine=engine, geo=geo, rules=RentalRules(), settings=SETTINGS,
                           storage=storage, masked_columns=personal_columns)  # fmt: skip


def stored(engine) -> pd.DataFrame:
    """Return every snapshot row, as stored."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(store.kpi_snapshots)).all()
    return pd.DataFrame(rows, columns=["taken_at", "code", "kpi", "value"], dtype=object)


def put(engine, taken_at: dt.datetime, code: str, **values) -> None:
    """Insert one snapshot of ``code`` by hand: the KPIs named, the other status KPIs 0."""
    rows = [dict(taken_at=taken_at, code=code, kpi=k, value=values.get(k, 0.0)) for k in STATUS]
    with engine.begin() as conn:
        conn.execute(store.kpi_snapshots.insert(), rows)


# ------------------------------------------------------------------ record
def test_record_writes_each_status_kpi_of_every_area_as_compute_kpis_says(hand, engine):  # noqa: F811
    _, geo, _ = hand
    districts = [a.code for c in (NANJING, SUZHOU) for a in geo.districts(c)]
    written = snapshots.record(engine, SETTINGS, now=T0)
    areas = [PROVINCE, NANJING, SUZHOU, *districts]
    assert written == len(areas) * len(STATUS) == len(stored(engine))
    rows = stored(engine)
    assert set(rows["taken_at"]) == {T0}
    assert set(rows["kpi"]) == set(STATUS)
    assert "bookings_visitors" not in set(rows["kpi"])  # day KPIs compare days, not snapshots
    assert sorted(rows["code"].unique()) == sorted(areas)
    got = {(r.code, r.kpi): r.value for r in rows.itertuples()}
    # by hand
    assert got[(XUANWU, "cameras_total")] == 3
    assert got[(XUANWU, "cameras_online_rate")] == pytest.approx(2 / 3)
    assert got[(XUANWU, "hazmat_alarms_open")] == 2
    assert got[(XUANWU, "rentals_rectify_rate")] == 0.5
    assert got[(QINHUAI, "cameras_online_rate")] == 0.0  # a real zero
    assert got[(QINHUAI, "rentals_rectify_rate")] is None  # nothing to divide by: null
    assert got[(NANJING, "tonnage_in_transit")] == pytest.approx(17.5)
    assert got[(SUZHOU, "complaints_open")] == 1
    assert got[(PROVINCE, "cameras_total")] == 5
    assert got[(JIANYE, "cameras_total")] == 0
    # and exactly what the pages' one KPI definition gives, for every area
    everywhere = geo.scope(None)
    for code in areas:
        expected = kpi_record(
            compute_kpis(engine, geo=geo, scope=geo.scope(code), day=DAY, allowed=everywhere),
            code,
        )
        for kpi in STATUS:
            assert got[(code, kpi)] == pytest.approx(expected[kpi]), (code, kpi)


def test_a_second_record_within_the_interval_writes_nothing(engine):
    assert snapshots.record(engine, SETTINGS, now=T0) > 0
    assert snapshots.record(engine, SETTINGS, now=T0 + dt.timedelta(minutes=59)) == 0
    assert snapshots.record(engine, SETTINGS, now=T0 - dt.timedelta(hours=3)) == 0  # not older
    assert stored(engine)["taken_at"].nunique() == 1
    assert snapshots.record(engine, SETTINGS, now=T0 + dt.timedelta(hours=1)) > 0
    assert snapshots.record(engine, SETTINGS, now=T0 + dt.timedelta(hours=1, minutes=10),
                            every_s=600) > 0  # fmt: skip
    assert stored(engine)["taken_at"].nunique() == 3


def test_snapshots_older_than_the_kept_days_are_deleted(engine):
    old, kept = T0 - dt.timedelta(days=15), T0 - dt.timedelta(days=13)
    put(engine, old, XUANWU, cameras_total=1)
    put(engine, kept, XUANWU, cameras_total=2)
    assert snapshots.record(engine, SETTINGS, now=T0) > 0
    assert set(stored(engine)["taken_at"]) == {kept, T0}
    assert snapshots.record(engine, SETTINGS, now=T0 + dt.timedelta(days=1), keep_days=1) > 0
    assert set(stored(engine)["taken_at"]) == {T0, T0 + dt.timedelta(days=1)}


def test_a_store_without_city_data_or_boundaries_records_nothing(tmp_path, areas_frame):
    engine = store.make_engine(f"duckdb:///{tmp_path / 'empty.duckdb'}")
    try:
        store.create_schema(engine)
        assert snapshots.record(engine, SETTINGS, now=T0) == 0  # no boundaries yet
        with engine.begin() as conn:
            store.bulk_insert(conn, store.areas, areas_frame)
        assert snapshots.record(engine, SETTINGS, now=T0) == 0  # boundaries, no data: all 0
        assert stored(engine).empty
    finally:
        engine.dispose()


# ------------------------------------------------------------------- trend
def test_trend_against_the_snapshot_taken_24_hours_before(q, engine):
    yesterday = NOW - dt.timedelta(hours=23, minutes=20)  # the newest at or before now - 23 h
    put(engine, NOW - dt.timedelta(hours=24, minutes=50), XUANWU, cameras_total=7)  # older
    put(engine, yesterday, XUANWU, cameras_total=1, cameras_online_rate=0.5, hazmat_alarms_open=5)
    put(engine, NOW - dt.timedelta(hours=3), XUANWU, cameras_total=9)  # younger: not used
    put(engine, NOW + dt.timedelta(hours=1), XUANWU, cameras_total=11)  # after now: not used
    put(engine, yesterday, QINHUAI, cameras_total=4)  # another area
    trend = snapshots.kpi_trend(q, scope=q.geo.scope(XUANWU), day=DAY, allowed=q.geo.scope(None),
                                now=NOW)  # fmt: skip
    assert list(trend.index) == list(KPI_NAMES)
    assert list(trend.columns) == ["value", "previous", "previous_at", "basis", "delta"]
    row = trend.loc["cameras_total"]
    assert (row["value"], row["previous"], row["delta"]) == (3, 1, 2)
    assert row["basis"] == "yesterday" and row["previous_at"] == yesterday
    assert isinstance(row["value"], int) and isinstance(row["delta"], int)
    assert trend.loc["cameras_online_rate", "delta"] == pytest.approx(2 / 3 - 0.5)
    assert trend.loc["hazmat_alarms_open", "delta"] == 2 - 5
    assert trend.loc["rentals_registered", "delta"] == 3  # put() recorded 0


def test_trend_since_the_oldest_younger_snapshot_when_none_is_a_day_old(q, engine):
    first = NOW - dt.timedelta(hours=5, minutes=48)
    put(engine, NOW - dt.timedelta(hours=30), QINHUAI, cameras_total=8)  # too old for "yesterday"
    put(engine, first, QINHUAI, cameras_total=3, rentals_rectify_rate=None)
    put(engine, NOW - dt.timedelta(hours=1), QINHUAI, cameras_total=2)
    trend = snapshots.kpi_trend(q, scope=q.geo.scope(QINHUAI), day=DAY,
                                allowed=q.geo.scope(NANJING), now=NOW)  # fmt: skip
    row = trend.loc["cameras_total"]
    assert (row["value"], row["previous"], row["delta"]) == (1, 3, -2)
    assert row["basis"] == "since" and row["previous_at"] == first
    rate = trend.loc["rentals_rectify_rate"]  # null now and then: nothing to subtract
    assert rate["value"] is None and rate["previous"] is None and rate["delta"] is None


def test_trend_with_nothing_to_compare(q, engine):
    put(engine, NOW - dt.timedelta(hours=26), JIANYE, cameras_total=8)  # older than 25 h only
    for code in (JIANYE, GUSU):  # GUSU: no snapshot at all
        trend = snapshots.kpi_trend(q, scope=q.geo.scope(code), day=DAY,
                                    allowed=q.geo.scope(None), now=NOW)  # fmt: skip
        status = trend.loc[list(STATUS)]
        assert set(status["basis"]) == {"none"}
        assert status["previous"].isna().all() and status["previous_at"].isna().all()
        assert status["delta"].isna().all()
    # a grid cell has no snapshots, even where its district has
    put(engine, NOW - dt.timedelta(hours=24), XUANWU, cameras_total=1)
    at = q.geo.locate([q.geo.areas[XUANWU].centroid[0]], [q.geo.areas[XUANWU].centroid[1]])
    cell = q.geo.scope(at["grid_cell"][0])
    trend = snapshots.kpi_trend(q, scope=cell, day=DAY, allowed=q.geo.scope(None), now=NOW)
    assert set(trend.loc[list(STATUS), "basis"]) == {"none"}


def test_day_kpis_compare_with_the_day_before(q, engine):
    scope = q.geo.scope(XUANWU)
    after = snapshots.kpi_trend(q, scope=scope, day=DAY + dt.timedelta(days=1),
                                allowed=scope, now=NOW)  # fmt: skip
    visitors = after.loc["bookings_visitors"]
    assert (visitors["value"], visitors["previous"], visitors["delta"]) == (7, 35, -28)
    assert visitors["basis"] == "yesterday" and visitors["previous_at"] is None
    checkin = after.loc["bookings_checkin_rate"]
    assert checkin["value"] == 0.0 and checkin["delta"] == pytest.approx(-10 / 35)
    assert after.loc["peak_slot_load", "delta"] == pytest.approx(0.07 - 0.3)
    on_day = snapshots.kpi_trend(q, scope=scope, day=DAY, allowed=scope, now=NOW)
    assert on_day.loc["bookings_visitors", "previous"] == 0  # nothing booked the day before
    assert on_day.loc["bookings_checkin_rate", "previous"] is None  # nothing to divide by
    assert on_day.loc["bookings_checkin_rate", "delta"] is None
    assert on_day.loc["cameras_total", "basis"] == "none"  # no snapshot: status KPIs


def test_trend_refuses_a_scope_outside_the_permitted_one(q):
    params = inspect.signature(snapshots.kpi_trend).parameters
    assert params["allowed"].default is inspect.Parameter.empty
    with pytest.raises(ScopeDenied):
        snapshots.kpi_trend(q, scope=q.geo.scope(XUANWU), day=DAY, allowed=q.geo.scope(GUSU),
                            now=NOW)  # fmt: skip
    with pytest.raises(ScopeDenied):
        snapshots.kpi_trend(q, scope=q.geo.scope(None), day=DAY, allowed=q.geo.scope(NANJING),
                            now=NOW)  # fmt: skip


def test_record_then_trend_round_trip(q, engine):
    assert snapshots.record(engine, SETTINGS, now=NOW - dt.timedelta(hours=24)) > 0
    trend = snapshots.kpi_trend(q, scope=q.geo.scope(NANJING), day=DAY,
                                allowed=q.geo.scope(None), now=NOW)  # fmt: skip
    status = trend.loc[list(STATUS)]
    assert set(status["basis"]) == {"yesterday"}
    assert list(status["previous"]) == list(status["value"])  # nothing changed since
    assert trend.loc["rentals_rectify_rate", "delta"] == 0.0


# ------------------------------------------------------------- writer hook
def _storage(path: Path, url: str = "") -> Storage:
    return Storage(get_settings(data_dir=str(path), database_url=url))


def _finishers_run_and_a_failing_one_does_not_fail_the_write(storage, caplog) -> None:
    seen = []

    def fail(engine):
        raise RuntimeError("boom: snapshot failed")

    storage.finishers += [fail, seen.append]
    with (
        caplog.at_level(logging.WARNING, logger="cityops.store.versions"),
        storage.writer() as engine,
        engine.begin() as conn,
    ):
        conn.execute(store.meta.insert().values(key="probe", value="kept"))
    assert len(seen) == 1  # the next finisher ran, with the writer's engine
    assert "a writer finisher failed; the write stands: RuntimeError: boom" in caplog.text
    with storage.reader_engine().connect() as conn:
        probe = sa.select(store.meta.c.value).where(store.meta.c.key == "probe")
        assert conn.execute(probe).scalar() == "kept"


def test_writer_runs_its_finishers_and_survives_a_failing_one(tmp_path, caplog):
    _finishers_run_and_a_failing_one_does_not_fail_the_write(_storage(tmp_path), caplog)


@pytest.mark.postgres
def test_writer_runs_its_finishers_on_postgresql_too(tmp_path, caplog):
    url, drop = pg_schema()
    storage = _storage(tmp_path, url)
    try:
        _finishers_run_and_a_failing_one_does_not_fail_the_write(storage, caplog)
    finally:
        if storage._engine is not None:
            storage._engine.dispose()
        drop()


def test_a_failed_writer_session_runs_no_finisher(tmp_path):
    storage = _storage(tmp_path)
    seen = []
    storage.finishers.append(seen.append)
    with pytest.raises(ValueError), storage.writer():
        raise ValueError("the change failed")
    assert seen == []


def _snapshot_rows(data_dir: Path) -> pd.DataFrame:
    storage = _storage(data_dir)
    with storage.reader_engine().connect() as conn:
        rows = conn.execute(sa.select(store.kpi_snapshots)).all()
    return pd.DataFrame(rows, columns=["taken_at", "code", "kpi", "value"], dtype=object)


def test_cityops_load_records_a_snapshot(data_dir):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CITYOPS_")}
    environ.update(CITYOPS_DATABASE_URL="", CITYOPS_TEST="1", CITYOPS_DATA_DIR=str(data_dir))

    def load():
        done = subprocess.run([str(SCRIPT), "load", "cameras", str(CAMERAS_FILE)],
                              capture_output=True, text=True, env=environ, timeout=300, cwd=REPO)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "finisher failed" not in done.stderr

    load()
    rows = _snapshot_rows(data_dir)
    assert rows["taken_at"].nunique() == 1
    by = rows.set_index(["code", "kpi"])["value"]
    cam = store.cameras
    with _storage(data_dir).reader_engine().connect() as conn:
        cameras = conn.execute(sa.select(sa.func.count()).select_from(cam)).scalar()
        per_district = conn.execute(
            sa.select(cam.c.district_code, sa.func.count()).group_by(cam.c.district_code)
        ).all()
    assert cameras > 0 and by[(PROVINCE, "cameras_total")] == cameras
    assert len(per_district) >= 2
    for code, count in per_district:
        assert by[(code, "cameras_total")] == count
    taken = rows["taken_at"].iloc[0]
    assert abs(taken - snapshots.local_now()) < dt.timedelta(minutes=10)  # Asia/Shanghai time
    load()  # again within the hour: no second snapshot
    assert _snapshot_rows(data_dir)["taken_at"].nunique() == 1


def test_a_failing_snapshot_does_not_fail_a_load(data_dir, monkeypatch, caplog):
    import cli

    def boom(engine, settings, **_):
        raise RuntimeError("snapshot broke")

    monkeypatch.setattr(snapshots, "record", boom)
    monkeypatch.setenv("CITYOPS_DATABASE_URL", "")
    with caplog.at_level(logging.WARNING, logger="cityops.store.versions"):
        result = CliRunner().invoke(
            cli.cli, ["--data-dir", str(data_dir), "load", "cameras", str(CAMERAS_FILE)]
        )
    assert result.exit_code == 0, result.output
    assert "inserted" in result.output
    assert "a writer finisher failed; the write stands: RuntimeError: snapshot broke" in caplog.text
    with _storage(data_dir).reader_engine().connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(store.cameras)).scalar() > 0
    assert _snapshot_rows(data_dir).empty
