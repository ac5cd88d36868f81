"""``cityops simulate``: plausible rows through the live writer, a real process's exit codes.

The generator is driven with a made-up clock (no sleeping); the command runs as
the installed console script against a copy of the session's small demo store.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from cityops import store
from cityops.geo import geography
from cityops.settings import get_settings
from cityops.store import live as batches
from cityops.store.executor import execute
from cityops.store.versions import Storage
from loaders.live import LiveWriter
from loaders.simulate import Simulator, load_state, run

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).parent / "cityops"
if not SCRIPT.exists():
    SCRIPT = REPO / ".venv" / "bin" / "cityops"
RAW_TEXT = ("Traceback", "Exception", "Errno")
START = dt.datetime(2026, 11, 25, 10, 30)  # the demo's "now" (tests/conftest.py)


@pytest.fixture()
def demo_copy(demo_dir, tmp_path) -> Path:
    """A data folder holding a copy of the session's small demo store (free to change)."""
    shutil.copytree(demo_dir / "store", tmp_path / "store")
    return tmp_path


def cli(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CITYOPS_")}
    environ.update({"CITYOPS_DATABASE_URL": "", "CITYOPS_DATA_DIR": str(data_dir), **env})
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, env=environ,
                          timeout=600, cwd=REPO)  # fmt: skip


def setup(data_dir: Path):
    settings = get_settings(data_dir=str(data_dir), database_url="")
    storage = Storage(settings)
    geo = geography(storage.reader_engine(), settings.city_codes, settings.grid_resolution)
    return settings, storage, geo


def counts(storage) -> dict[str, int]:
    return {t.name: int(execute(storage, sa.select(sa.func.count().label("n")).select_from(t))
                        ["n"].iloc[0]) for t in store.DATASET_TABLES}  # fmt: skip


# ------------------------------------------------------------------ the generator
def test_batches_are_plausible_and_pass_the_validation(demo_copy):
    _, storage, geo = setup(demo_copy)
    state = load_state(storage, geo, geo.scope(None), day=START.date())
    assert state.vehicles and not state.cameras.empty and not state.spots.empty
    sim = Simulator(state, rate=40, seed=3, severe_every=5)
    writer = LiveWriter(storage, geography=lambda _e: geo)
    reasons: dict[str, int] = {}
    written: dict[str, int] = {}
    start = {v.plate: (v.lon, v.lat) for v in state.vehicles}
    for k in range(30):
        now = START + dt.timedelta(seconds=k + 1)
        rows = sim.batch(now)
        if k % 5 == 0:  # forced severe alarm every 5 s
            assert any(r["severity"] == 3 for r in rows["hazmat_alarms"])
        for name, records in rows.items():
            report = writer.write(name, records)
            written[name] = written.get(name, 0) + report.accepted
            for reason, n in report.reasons.items():
                reasons[reason] = reasons.get(reason, 0) + n
    assert set(written) >= {"hazmat_tracks", "hazmat_alarms", "bookings", "video_events"}
    assert sum(written.values()) == pytest.approx(40 * 30, rel=0.1)
    assert set(reasons) <= {"quarantined:range"}  # only the GPS glitches sent as (0, 0)
    moved = {v.plate: (v.lon, v.lat) for v in state.vehicles}
    for plate, (lon, lat) in moved.items():  # 30 s at 30–90 km/h: at most 750 m
        km = 111 * ((lon - start[plate][0]) ** 2 + (lat - start[plate][1]) ** 2) ** 0.5
        assert 0 < km < 1.0
    report = writer.merge()
    assert report.rows_written == sum(written.values())


def test_tour_groups_fill_a_slot_past_80_percent(demo_copy):
    _, storage, geo = setup(demo_copy)
    state = load_state(storage, geo, geo.scope(None), day=START.date())
    capacity = dict(zip(state.spots["spot_id"], state.spots["instant_capacity"], strict=True))

    def peak() -> float:
        return max(party / capacity[spot] for (spot, _), party in state.load.items())

    before = peak()
    assert before < 0.8
    sim = Simulator(state, rate=20, seed=5)
    for k in range(300):
        sim.batch(START + dt.timedelta(seconds=k + 1))
    assert peak() >= 0.8


def test_the_same_seed_makes_the_same_rows(demo_copy):
    _, storage, geo = setup(demo_copy)
    runs = []
    for _ in range(2):
        sim = Simulator(load_state(storage, geo, geo.scope(None), day=START.date()), seed=11)
        runs.append([sim.batch(START + dt.timedelta(seconds=k + 1)) for k in range(5)])
    assert runs[0] == runs[1]


def test_a_scope_keeps_the_simulation_inside_it(demo_copy):
    _, storage, geo = setup(demo_copy)
    gusu = geo.scope("320508")
    state = load_state(storage, geo, gusu, day=START.date())
    assert set(state.cameras["district_code"]) == {"320508"}
    assert set(state.spots["district_code"]) <= {"320508"}


def test_run_writes_batches_and_merges_at_the_end(demo_copy):
    _settings, storage, geo = setup(demo_copy)
    state = load_state(storage, geo, geo.scope(None))
    writer = LiveWriter(storage, geography=lambda _e: geo)
    lines: list[str] = []
    summary = run(writer, Simulator(state, rate=30, seed=1), duration=2, batch_seconds=0.5,
                  merge_seconds=3600, say=lines.append)  # fmt: skip
    assert summary.batches >= 2 and sum(summary.rows.values()) > 0
    assert [m.batches > 0 for m in summary.merges] == [True]  # the last merge only
    assert lines and lines[-1].startswith("merge: ")
    assert writer.status().pending == {}


# ------------------------------------------------------------------ the command
def test_simulate_for_three_seconds_exits_0_and_changes_the_store(demo_copy):
    _, storage, _ = setup(demo_copy)
    before, version = counts(storage), storage.version_label()
    done = cli(demo_copy, "simulate", "--duration", "3", "--severe-every", "1")
    assert done.returncode == 0, done.stderr
    assert "merge: " in done.stdout and "simulate done" in done.stdout
    assert not any(word in done.stdout + done.stderr for word in RAW_TEXT)
    after = Storage(get_settings(data_dir=str(demo_copy), database_url=""))
    assert after.version_label() != version
    grown = counts(after)
    assert grown["hazmat_tracks"] > before["hazmat_tracks"]
    assert grown["hazmat_alarms"] > before["hazmat_alarms"]  # a severe one each second
    live_loads = execute(after, sa.select(store.loads.c.file).where(
        store.loads.c.file.like("live:%")))  # fmt: skip
    assert len(live_loads) >= 2
    assert not list(batches.live_root(after).rglob("b*.parquet"))  # all merged
    status = cli(demo_copy, "live", "status")
    assert status.returncode == 0 and "no batches pending" in status.stdout
    merged = cli(demo_copy, "live", "merge")
    assert merged.returncode == 0 and "nothing pending" in merged.stdout


def test_simulate_ends_on_ctrl_c_with_a_merge_and_exit_0(demo_copy):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CITYOPS_")}
    environ.update({"CITYOPS_DATABASE_URL": "", "CITYOPS_DATA_DIR": str(demo_copy)})
    proc = subprocess.Popen([str(SCRIPT), "simulate"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=environ, cwd=REPO)  # fmt: skip
    root = demo_copy / "store" / "live"
    deadline = time.monotonic() + 300  # not a timing assertion: a bound on waiting
    while not list(root.rglob("b*.parquet")) and time.monotonic() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert "simulate interrupted" in out and "merge: " in out
    assert not any(word in out + err for word in RAW_TEXT)


def test_simulate_on_an_empty_store_exits_2_with_one_line(tmp_path, data_dir):
    for folder in (tmp_path / "nothing", data_dir):  # no store; boundaries but no city data
        done = cli(folder, "simulate", "--duration", "1")
        assert done.returncode == 2, done.stdout + done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "cityops demo" in lines[0], done.stderr
        assert not any(word in lines[0] for word in RAW_TEXT)


def test_simulate_with_an_unknown_scope_exits_2(demo_copy):
    done = cli(demo_copy, "simulate", "--duration", "1", "--scope", "999999")
    assert done.returncode == 2
    assert done.stderr.strip().startswith("error: --scope:")
