"""The stores the benchmarks run on, built once and reused.

- ``small``: ``cityops init`` + ``cityops demo --scale small`` (about a minute).
- ``city``: ``cityops init`` + ``cityops demo --scale city`` (~5 min, ~5 GB RAM, ~600 MB
  on disk), or an existing one named by ``CITYOPS_BENCH_CITY_DIR`` (read only).
- ``growth-<k>``: the small store with its fact rows replicated ``k`` times: each
  copy ``r`` (1 … k-1) gets its ids suffixed ``~r`` (cameras, events, waybills,
  plates, alarms, rental units, bookings, feedback) with one ``INSERT … SELECT``
  over ``range(1, k)`` per table; scenic spots and areas are not copied (more
  bookings per spot, as a busier city would have). The derived tables are then
  rebuilt through :mod:`cityops.store.derived`, inside a normal store write, so
  the copy is a published version like any other.

All of them live under ``benchmarks/.stores/`` (gitignored). The demo's "today" is
fixed (:data:`TODAY`), so every run sees the same data.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
STORES = HERE / ".stores"
TODAY = "2026-11-25"
#: Bump when the replication below changes: growth stores carry it and are rebuilt.
GROWTH_RECIPE = 1

#: Columns suffixed with the copy number, per replicated table (ids and the keys
#: that refer to them, so joins stay inside one copy).
SHIFTED: dict[str, tuple[str, ...]] = {
    "cameras": ("camera_id",),
    "camera_status_history": ("camera_id",),
    "video_events": ("event_id", "camera_id"),
    "hazmat_waybills": ("waybill_id", "vehicle_plate"),
    "hazmat_tracks": ("vehicle_plate",),
    "hazmat_alarms": ("alarm_id", "vehicle_plate", "waybill_id"),
    "rentals": ("unit_id",),
    "bookings": ("booking_id",),
    "feedback": ("feedback_id",),
}
#: The fact tables whose rows a store's size is counted in.
FACT_TABLES = (
    "cameras",
    "video_events",
    "hazmat_waybills",
    "hazmat_tracks",
    "hazmat_alarms",
    "rentals",
    "scenic_spots",
    "bookings",
    "feedback",
)


def current_file(data_dir: Path) -> Path | None:
    """Return the published version file of the store in ``data_dir`` (None: no store)."""
    pointer = Path(data_dir) / "store" / "CURRENT"
    try:
        return pointer.parent / pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None


def table_rows(data_dir: Path) -> dict[str, int]:
    """Return the rows of each fact table of the store in ``data_dir`` (empty: no store).

    Read through the app's own read-only engine: DuckDB refuses a second connection
    to a file with another configuration in the same process.
    """
    from cityops.settings import get_settings
    from cityops.store.versions import Storage

    path = current_file(data_dir)
    if path is None or not path.exists():
        return {}
    engine = Storage(get_settings(data_dir=str(data_dir), database_url="")).reader_engine()
    try:
        with engine.connect() as conn:
            have = set(sa.inspect(conn).get_table_names())
            return {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar()
                    for t in FACT_TABLES if t in have}  # fmt: skip
    finally:
        engine.dispose()


def cameras_in(data_dir: Path, city_code: str) -> int:
    """Return how many cameras the store in ``data_dir`` has in one city."""
    from cityops.settings import get_settings
    from cityops.store.versions import Storage

    engine = Storage(get_settings(data_dir=str(data_dir), database_url="")).reader_engine()
    try:
        with engine.connect() as conn:
            return conn.execute(
                sa.text("SELECT count(*) FROM cameras WHERE city_code = :c"), {"c": city_code}
            ).scalar()
    finally:
        engine.dispose()


def loads_of(data_dir: Path) -> str:
    """Return what identifies the data of a store: its loads (a migration adds none)."""
    from cityops.settings import get_settings
    from cityops.store.versions import Storage

    engine = Storage(get_settings(data_dir=str(data_dir), database_url="")).reader_engine()
    try:
        with engine.connect() as conn:
            count, last = conn.exec_driver_sql("SELECT count(*), max(load_id) FROM loads").one()
        return f"{count}/{last}"
    finally:
        engine.dispose()


def cityops_command() -> list[str]:
    """Return the command that runs the ``cityops`` CLI of this venv."""
    script = Path(sys.executable).with_name("cityops")
    if script.exists():
        return [str(script)]
    return [sys.executable, str(REPO / "cli.py")]


def _cli(data_dir: Path, *args: str, log=None) -> None:
    env = {**os.environ, "CITYOPS_DATA_DIR": str(data_dir), "CITYOPS_DATABASE_URL": ""}
    subprocess.run([*cityops_command(), *args], env=env, check=True, cwd=REPO,
                   stdout=log, stderr=subprocess.STDOUT if log else None)  # fmt: skip


def ensure_demo(data_dir: Path, scale: str, say=print) -> Path:
    """Build the ``scale`` demo store in ``data_dir`` unless it already holds cameras.

    Returns ``data_dir``. The build log goes to ``<data_dir>/build.log``.
    """
    data_dir = Path(data_dir)
    if table_rows(data_dir).get("cameras"):
        return data_dir
    say(f"building the {scale} demo store in {data_dir} (once; city: ~5 min, ~5 GB RAM)")
    data_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with open(data_dir / "build.log", "w") as log:
        _cli(data_dir, "init", log=log)
        _cli(data_dir, "demo", "--scale", scale, "--today", TODAY, log=log)
    say(f"built in {time.perf_counter() - started:.0f} s")
    return data_dir


def ensure_growth(source: Path, factor: int, say=print) -> Path:
    """Return a store whose fact rows are ``factor`` × those of ``source`` (built once).

    Factor 1 is ``source`` itself. A copy made from other loads of ``source`` (a
    rebuilt store) or by another recipe is rebuilt; a schema migration is not a reason.
    """
    if factor == 1:
        return Path(source)
    target = STORES / f"growth-{factor}"
    stamp = {"source": str(source), "loads": loads_of(source), "factor": factor,
             "recipe": GROWTH_RECIPE}  # fmt: skip
    marker = target / "growth.json"
    if marker.exists() and json.loads(marker.read_text()) == stamp and current_file(target):
        return target
    say(f"building the {factor}× store from {source} in {target} (once)")
    started = time.perf_counter()
    shutil.rmtree(target, ignore_errors=True)
    (target / "store").mkdir(parents=True)
    version = current_file(source)
    shutil.copyfile(version, target / "store" / version.name)
    (target / "store" / "CURRENT").write_text(version.name + "\n", encoding="utf-8")
    replicate(target, factor)
    for path in (target / "store").glob("v*.duckdb*"):  # the unreplicated copy
        if not path.name.startswith(current_file(target).name):
            path.unlink()
    marker.write_text(json.dumps(stamp))
    say(f"built in {time.perf_counter() - started:.0f} s")
    return target


def replicate(data_dir: Path, factor: int) -> None:
    """Replicate the fact rows of the store in ``data_dir`` ``factor`` times, in one write."""
    from cityops import store
    from cityops.settings import get_settings
    from cityops.store import derived
    from cityops.store.versions import Storage

    settings = get_settings(data_dir=str(data_dir), database_url="")
    with Storage(settings).writer() as engine, engine.begin() as conn:
        conn.exec_driver_sql("SET enable_progress_bar = false")
        for name, shifted in SHIFTED.items():
            table = store.metadata.tables[name]
            cols = [c.name for c in table.columns]
            exprs = [f"{c} || '~' || r" if c in shifted else c for c in cols]
            conn.exec_driver_sql(
                f"INSERT INTO {name} ({', '.join(cols)}) "
                f"SELECT {', '.join(exprs)} FROM {name}, range(1, {int(factor)}) AS copies(r)"
            )
        derived.refresh(conn, tuple(derived.REBUILD))


def readable(data_dir: Path, say=print) -> Path:
    """Return a store the benchmarks may open as it is: ``data_dir``, or a migrated copy.

    ``cityops serve`` migrates (writes) a store written by an older cityops; a store
    under ``benchmarks/.stores`` is migrated in place. A store the benchmarks were
    given (``CITYOPS_BENCH_CITY_DIR``) is only read: when it needs migrating, its
    current version is copied to ``benchmarks/.stores/migrated-<name>`` and migrated
    there.
    """
    from cityops.settings import get_settings
    from cityops.store.versions import Storage

    data_dir = Path(data_dir)
    storage = Storage(get_settings(data_dir=str(data_dir), database_url=""))
    if not storage.needs_migration():
        return data_dir
    if STORES.resolve() in data_dir.resolve().parents:  # a store of ours: migrate it
        with storage.writer():
            pass
        return data_dir
    target = STORES / f"migrated-{data_dir.resolve().name}"
    version = current_file(data_dir)
    marker = target / "source.txt"
    if not marker.exists() or marker.read_text() != str(version) or not current_file(target):
        say(f"{data_dir} was written by an older cityops: migrating a copy in {target}")
        shutil.rmtree(target, ignore_errors=True)
        (target / "store").mkdir(parents=True)
        shutil.copyfile(version, target / "store" / version.name)
        (target / "store" / "CURRENT").write_text(version.name + "\n", encoding="utf-8")
        marker.write_text(str(version))
    storage = Storage(get_settings(data_dir=str(target), database_url=""))
    if storage.needs_migration():
        with storage.writer():
            pass
    return target
