"""Loading speed end to end: ``cityops load`` of a camera CSV and a GPS CSV, timed whole.

Usage::

    .venv/bin/python benchmarks/bench_load.py [--scale small|city] [--workdir DIR] [--no-demo]

The files are written once by the demo's file writer (:mod:`loaders.demo_files`)
into ``<workdir>/files-<scale>/`` and reused: one camera CSV of every enabled
city (GBK, a title line, Amap GCJ-02 coordinates, slashed times, the demo's bad
rows: what a public-security bureau hands over) and the GPS tracks CSV. Each is
then loaded by the installed ``cityops load`` in a subprocess into a fresh store
(a copy of a boundaries-only store made once by ``cityops init``), and the whole
command is timed: start-up, reading, validation, CRS, district and H3
placement, upsert and publishing the new store version. ``rows/s`` is rows read
over that wall time. With ``scale="city"`` (and not ``demo=False``) it also times
``cityops demo --scale city`` into a fresh store (``demo_build_s``).

``measure(workdir, scale=...)`` is what ``make bench`` imports; the script
prints its result as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CITYOPS = ROOT / ".venv" / "bin" / "cityops"
PYTHON = ROOT / ".venv" / "bin" / "python"

#: Run in a subprocess: the boundaries written into the store if it has none (as
#: ``cityops init`` does; the demo places its points in them), then the demo's tables
#: at ``scale`` and, from them, one camera file of all cities and the GPS tracks file.
_WRITE_FILES = r"""
import datetime as dt, sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from cityops.geo import geography
from cityops.settings import get_settings
from cityops.store.versions import Storage
from loaders.boundaries import load_boundaries
from loaders.demo import build_demo
from loaders.demo_files import _localise, _spoil, plans, write_file

scale, folder = sys.argv[1], Path(sys.argv[2])
settings = get_settings()
storage = Storage(settings)
if not storage.has_areas():
    with storage.writer() as engine:
        load_boundaries(engine, replace=True)
geo = geography(storage.reader_engine(), settings.city_codes, settings.grid_resolution)
now = dt.datetime(2026, 11, 25, 12, 0)
tables = build_demo(geo, seed=7, today=now.date(), now=now, scale=scale)
rng = np.random.default_rng(8)
every = plans(list(geo.enabled_cities), "city")  # the city plans: cameras as GBK CSV
cameras = next(p for p in every if p.dataset == "cameras" and p.fmt == "csv")
cameras = replace(cameras, name="cameras.csv", city=None, yesterday=False)
tracks = next(p for p in every if p.dataset == "hazmat_tracks")
folder.mkdir(parents=True, exist_ok=True)
for plan in (cameras, tracks):
    frame = _spoil(tables[plan.dataset].reset_index(drop=True), plan.dataset, rng)
    write_file(_localise(frame, plan), plan, folder)
"""


def _run(args: list[str], data_dir: Path, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "CITYOPS_DATA_DIR": str(data_dir)}
    env.pop("CITYOPS_DATABASE_URL", None)  # always the embedded store
    return subprocess.run(args, env=env, capture_output=True, text=True, check=True, **kw)


def _timed(args: list[str], data_dir: Path) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run a command; return it, its wall seconds and its CPU seconds (user + system).

    The CPU time says how much work the command was, whatever else the machine ran.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = _run(args, data_dir)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return done, wall, cpu


def _boundaries(workdir: Path) -> Path:
    """Return the data dir of the store holding the boundaries only (made with the files)."""
    return workdir / "boundaries"


def _files(workdir: Path, scale: str) -> dict[str, Path]:
    """Return the benchmark's files, writing them first if they are not there yet."""
    folder = workdir / f"files-{scale}"
    files = {"cameras": folder / "cameras.csv", "hazmat_tracks": folder / "hazmat_tracks.csv"}
    if (
        not all(p.exists() for p in files.values())
        or not (_boundaries(workdir) / "store" / "CURRENT").exists()
    ):
        tmp = workdir / f"files-{scale}.partial"
        shutil.rmtree(tmp, ignore_errors=True)
        _run([str(PYTHON), "-c", _WRITE_FILES, scale, str(tmp)], _boundaries(workdir), cwd=ROOT)
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
    return files


def _fresh_store(workdir: Path, name: str) -> Path:
    """Return a data dir with a copy of the boundaries-only store."""
    target = workdir / "runs" / name
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(_boundaries(workdir), target)
    return target


def _load(workdir: Path, dataset: str, path: Path, crs: str) -> dict[str, float]:
    """Time ``cityops load`` of one file into a fresh store; return rows, seconds, rows/s."""
    data_dir = _fresh_store(workdir, dataset)
    args = [str(CITYOPS), "load", dataset, str(path), "--crs", crs, "--json"]
    done, wall, cpu = _timed(args, data_dir)
    report = json.loads(done.stdout)
    shutil.rmtree(data_dir, ignore_errors=True)
    return {"rows": report["rows_read"], "inserted": report["inserted"],
            "quarantined": report["quarantined"], "collapsed": report["collapsed"],
            "command_s": round(wall, 3), "command_cpu_s": round(cpu, 3),
            "load_s": report["seconds"], "rows_per_s": round(report["rows_read"] / wall),
            "file_mb": round(path.stat().st_size / 1e6, 1)}  # fmt: skip


def _demo(workdir: Path, scale: str) -> float:
    """Time ``cityops demo --scale`` into a fresh store; return the seconds."""
    data_dir = _fresh_store(workdir, f"demo-{scale}")
    _, wall, _ = _timed([str(CITYOPS), "demo", "--scale", scale], data_dir)
    shutil.rmtree(data_dir, ignore_errors=True)
    return round(wall, 1)


def measure(workdir: Path, *, scale: str = "city", demo: bool | None = None) -> dict[str, float]:
    """Measure loading speed at ``scale`` (``small`` or ``city``) in ``workdir``.

    Returns ``cameras_csv_rows_per_s``, ``gps_csv_rows_per_s``, ``cameras_rows``,
    ``gps_rows`` (rows read), the whole commands' wall seconds (``*_command_s``)
    and CPU seconds (``*_command_cpu_s``: the work, however busy the machine),
    the loads' own seconds as their reports give them (``*_load_s``: without the
    process start-up and publishing), and ``demo_build_s`` when ``demo`` (by
    default for ``city`` only: the small scale stays well under 15 s).
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    files = _files(workdir, scale)
    cameras = _load(workdir, "cameras", files["cameras"], "gcj02")
    gps = _load(workdir, "hazmat_tracks", files["hazmat_tracks"], "wgs84")
    out: dict[str, float] = {
        "cameras_csv_rows_per_s": cameras["rows_per_s"],
        "gps_csv_rows_per_s": gps["rows_per_s"],
        "cameras_rows": cameras["rows"],
        "gps_rows": gps["rows"],
        "cameras_command_s": cameras["command_s"],
        "gps_command_s": gps["command_s"],
        "cameras_command_cpu_s": cameras["command_cpu_s"],
        "gps_command_cpu_s": gps["command_cpu_s"],
        "cameras_load_s": cameras["load_s"],
        "gps_load_s": gps["load_s"],
        "cameras_file_mb": cameras["file_mb"],
        "gps_file_mb": gps["file_mb"],
    }
    if demo if demo is not None else scale == "city":
        out["demo_build_s"] = _demo(workdir, scale)
    return out


def main() -> None:
    """Print :func:`measure`'s result for the command line's scale and folder as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=["small", "city"], default="city")
    parser.add_argument("--workdir", type=Path,
                        default=Path(tempfile.gettempdir()) / "cityops-bench-load",
                        help="where files and stores go (files are reused)")  # fmt: skip
    parser.add_argument("--no-demo", action="store_true", help="skip timing `cityops demo`")
    args = parser.parse_args()
    result = measure(args.workdir, scale=args.scale, demo=False if args.no_demo else None)
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
