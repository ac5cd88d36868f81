"""Atomic loads and loading while the app serves, with real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
import requests
import sqlalchemy as sa

from cityops import store
from loaders import load as load_module
from loaders.load import load_file
from tests.browser.conftest import _free_port
from tests.conftest import bearer_for
from tests.loader_fixtures import canonical


def count(storage, table=store.cameras) -> int:
    with storage.reader_engine().connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()


def cameras_csv(path, n: int, prefix: str = "K") -> None:
    """Write ``n`` valid cameras spread over 玄武区."""
    frame = pd.DataFrame({
        "camera_id": [f"{prefix}{i:07d}" for i in range(n)],
        "lon": 118.78 + (pd.RangeIndex(n) % 100) * 0.0004,
        "lat": 32.05 + (pd.RangeIndex(n) // 100 % 100) * 0.0003,
        "status": "online", "ai_enabled": "true",
    })  # fmt: skip
    frame.to_csv(path, index=False)


def test_a_failing_load_changes_nothing(fresh_store, tmp_path, monkeypatch):
    _, storage, geo = fresh_store
    cameras_csv(tmp_path / "c.csv", 50)
    version = storage.version_label()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(load_module.store, "bulk_insert", broken)
    with pytest.raises(OSError), storage.writer() as engine:
        load_file(engine, geo, "cameras", tmp_path / "c.csv")
    assert storage.version_label() == version
    assert count(storage) == 0
    assert list(storage.root.glob("v*.duckdb")) == [storage.current_version()]


def test_a_load_killed_midway_leaves_the_store_unchanged(fresh_store, tmp_path):
    settings, storage, geo = fresh_store
    cameras_csv(tmp_path / "small.csv", 10, prefix="S")
    with storage.writer() as engine:
        load_file(engine, geo, "cameras", tmp_path / "small.csv")
    before, version = count(storage), storage.version_label()
    cameras_csv(tmp_path / "big.csv", 300_000)
    env = {**os.environ, "CITYOPS_DATA_DIR": settings.data_dir}
    proc = subprocess.Popen([str(Path(sys.executable).parent / "cityops"), "load", "cameras",
                             str(tmp_path / "big.csv")], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.time() + 60

    def copies() -> list:  # the writer's own version: numbered above the current one
        return [p for p in storage.root.glob("v*") if p.name > storage.current_version().name]

    while not copies() and time.time() < deadline:
        time.sleep(0.05)  # the writer has copied the store and is working on its version
    time.sleep(0.5)
    assert proc.poll() is None, "the load finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert storage.version_label() == version
    assert count(storage) == before
    orphans = copies()
    assert orphans, "the killed writer left its copy"
    # the lock died with the process: the next load goes through, deletes the orphan first
    # and prunes nothing it needs
    with storage.writer() as engine:
        assert not any(p.exists() for p in orphans)
        assert load_file(engine, geo, "cameras", tmp_path / "small.csv").updated == 10
    assert len(list(storage.root.glob("v*.duckdb"))) <= storage.keep_versions + 1


def test_the_server_answers_during_a_load_and_never_shows_half_of_it(fresh_store, tmp_path):
    settings, storage, geo = fresh_store
    frame = canonical()["cameras"]
    frame.to_csv(tmp_path / "three.csv", index=False)
    with storage.writer() as engine:
        load_file(engine, geo, "cameras", tmp_path / "three.csv")
    cameras_csv(tmp_path / "big.csv", 60_000)
    port = _free_port()
    bearer = bearer_for(Path(settings.data_dir))  # login is on, as by default
    env = {**os.environ, "CITYOPS_DATA_DIR": settings.data_dir}
    server = subprocess.Popen([str(Path(sys.executable).parent / "cityops"), "serve", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}/api/v1/kpis?scope=320000"
    try:
        for _ in range(100):
            try:
                if requests.get(url, headers=bearer, timeout=2).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        seen: list[tuple[float, int, int]] = []
        stop = threading.Event()

        def poll():
            while not stop.is_set():
                r = requests.get(url, headers=bearer, timeout=10)
                seen.append((time.time(), r.status_code, r.json()["kpis"]["cameras_total"]))

        reader = threading.Thread(target=poll)
        reader.start()
        time.sleep(0.3)
        started = time.time()
        load = subprocess.run([str(Path(sys.executable).parent / "cityops"), "load", "cameras",
                               str(tmp_path / "big.csv")], env=env, capture_output=True)  # fmt: skip
        finished = time.time()
        time.sleep(0.5)
        stop.set()
        reader.join()
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert load.returncode == 0, load.stderr
    assert all(status == 200 for _, status, _ in seen)
    assert {value for _, _, value in seen} <= {3, 60_003}, "a half-applied load was visible"
    during = [v for t, _, v in seen if started < t < finished]
    assert during, "the server did not answer while the load ran"
    assert seen[-1][2] == 60_003, "the committed load is shown"
