"""Live writes: cost per batch, cost of a merge, and write → visible in another process.

``python -m benchmarks.live --data-dir DIR`` copies the store of ``DIR`` (its
current version only) into a scratch folder and measures there, so ``DIR`` is
left as it was:

* **write**: :meth:`loaders.live.LiveWriter.write` of GPS fixes at several batch
  sizes (ms and bytes on disk per batch; median and p95);
* **read**: the wall's live questions (:mod:`cityops.queries.live`) with no,
  60 and 300 pending batches (read cache cleared before each call);
* **merge**: :meth:`LiveWriter.merge` of the batches of 60 s of ``cityops
  simulate`` at its default rate (20 rows/s, 1-s batches), against copying the
  store version alone;
* **visible**: a reader process polls :func:`cityops.queries.live.recent_alarms`
  as fast as it can; the time from ``write()`` returning to the reader returning
  the new alarm.

Prints the results as Markdown and writes them as JSON (``--json``). Timings
are never asserted; the machine is shared, so its load average is recorded.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.harness import load_average, machine, now_iso, summary
from cityops.geo import geography
from cityops.queries import live
from cityops.queries.context import Context
from cityops.settings import get_settings
from cityops.store import live as batches
from cityops.store.executor import clear_cache
from cityops.store.versions import Storage
from loaders.live import LiveWriter
from loaders.simulate import Simulator, load_state, shanghai_now

BATCH_SIZES = (1, 10, 100, 1000)
REPEATS = {1: 30, 10: 30, 100: 20, 1000: 10}
REPO = Path(__file__).resolve().parents[1]


def scratch_copy(source: Path, work: Path) -> Path:
    """Copy the published version of ``source``'s store into ``work``; return the data folder."""
    root = source / "store"
    current = (root / "CURRENT").read_text(encoding="utf-8").strip()
    target = work / "store"
    target.mkdir(parents=True)
    shutil.copyfile(root / current, target / current)
    (target / "CURRENT").write_text(current + "\n", encoding="utf-8")
    return work


def _ms(seconds: list[float]) -> dict:
    return summary([s * 1000 for s in seconds])


def _fixes(state, n: int, at: dt.datetime) -> list[dict]:
    """Return ``n`` GPS fixes of the vehicles in transit, one per vehicle and millisecond."""
    out = []
    vehicles = state.vehicles
    for k in range(n):
        v = vehicles[k % len(vehicles)]
        out.append({"vehicle_plate": v.plate, "ts": at + dt.timedelta(milliseconds=k),
                    "lon": v.lon + 1e-5 * (k % 7), "lat": v.lat, "speed_kmh": 50.0})  # fmt: skip
    return out


def measure_writes(writer: LiveWriter, state) -> dict:
    """Return per batch size the write time (ms) and the bytes a batch adds on disk."""
    out = {}
    at = shanghai_now()
    for size in BATCH_SIZES:
        took, sizes = [], []
        for _ in range(REPEATS[size]):
            at += dt.timedelta(seconds=2)
            rows = _fixes(state, size, at)
            started = time.perf_counter()
            report = writer.write("hazmat_tracks", rows)
            took.append(time.perf_counter() - started)
            sizes.append(report.bytes)
        out[str(size)] = {"ms": _ms(took), "bytes_median": int(statistics.median(sizes)),
                          "rows_per_s": round(size / statistics.median(took))}  # fmt: skip
    return out


def simulate_batches(writer: LiveWriter, sim: Simulator, seconds: int) -> int:
    """Write ``seconds`` one-second batches of the simulator (no sleeping); return the rows."""
    rows = 0
    start = shanghai_now()
    for k in range(seconds):
        for name, records in sim.batch(start + dt.timedelta(seconds=k + 1)).items():
            rows += writer.write(name, records).accepted
    return rows


def measure_reads(ctx: Context, repeats: int = 10) -> dict:
    """Return the live questions' times (ms) over the batches pending now."""
    p = ctx.geo.scope(None)
    since = shanghai_now() - dt.timedelta(minutes=10)
    questions = {
        "recent_alarms": lambda: live.recent_alarms(ctx, scope=p, allowed=p, since=since),
        "open_alarms": lambda: live.open_alarms(ctx, scope=p, allowed=p),
        "vehicle_positions": lambda: live.vehicle_positions(ctx, scope=p, allowed=p),
        "freshness": lambda: live.freshness(ctx, allowed=p),
        "live_revision": lambda: live.live_revision(ctx, allowed=p),
    }
    out = {}
    for name, ask in questions.items():
        took = []
        for _ in range(repeats):
            clear_cache()
            started = time.perf_counter()
            ask()
            took.append(time.perf_counter() - started)
        out[name] = _ms(took)["p50"]
    return out


def pending_files(storage) -> int:
    """Return the live batch files waiting for a merge (rows and quarantine files)."""
    root = batches.live_root(storage)
    return len(list(root.rglob("b*.parquet"))) if root.exists() else 0


def measure_merges(writer: LiveWriter, sim: Simulator, storage, runs: int) -> dict:
    """Return the merge of 60 s of simulated batches: seconds, bytes copied, rows, files."""
    reports = []
    for _ in range(runs):
        rows = simulate_batches(writer, sim, 60)
        files = pending_files(storage)
        report = writer.merge()
        reports.append({"seconds": report.seconds, "bytes_copied": report.bytes_copied,
                        "rows": rows, "batch_files": files,
                        "version_bytes": storage.current_version().stat().st_size})  # fmt: skip
    current = storage.current_version()
    copy_alone = []
    for _ in range(3):
        target = current.with_name("copy-bench.tmp")
        started = time.perf_counter()
        shutil.copyfile(current, target)
        copy_alone.append(time.perf_counter() - started)
        target.unlink()
    return {
        "runs": reports,
        "seconds_median": round(statistics.median(r["seconds"] for r in reports), 2),
        "copy_alone_s": round(statistics.median(copy_alone), 2),
        "bytes_copied": reports[-1]["bytes_copied"],
    }


READER = """
import datetime, json, sys, time
from cityops.settings import get_settings
from cityops.queries.context import Context
from cityops.queries import live
ctx = Context(get_settings(data_dir=sys.argv[1], database_url=""))
p = ctx.geo.scope(None)
live.recent_alarms(ctx, scope=p, allowed=p, limit=50)
print("ready", flush=True)
for line in sys.stdin:
    alarm_id, since = line.split()
    key, since = "hazmat:" + alarm_id, datetime.datetime.fromisoformat(since)
    reads, took = 0, []
    while True:  # as the wall asks: what was raised since a moment ago
        started = time.perf_counter()
        keys = set(live.recent_alarms(ctx, scope=p, allowed=p, since=since)["key"])
        took.append(time.perf_counter() - started)
        reads += 1
        if reads == 1:
            print("polling", flush=True)
        if key in keys or reads == 3000:  # never seen: reported as such, not waited for
            print(json.dumps({"seen": time.time() if key in keys else None, "reads": reads,
                              "read_ms": 1000 * sum(took) / len(took)}), flush=True)
            break
"""


def measure_visible(writer: LiveWriter, state, data_dir: Path, repeats: int = 10) -> dict:
    """Return the time from ``write()`` returning to another process's read returning the row."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYOPS_")}
    reader = subprocess.Popen([sys.executable, "-c", READER, str(data_dir)], env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              cwd=REPO)  # fmt: skip
    lags, reads = [], []
    try:
        assert reader.stdout.readline().strip() == "ready"
        v = state.vehicles[0]
        for _ in range(repeats):
            key, at = f"BENCH{time.time_ns()}", shanghai_now()
            since = at - dt.timedelta(milliseconds=1)
            reader.stdin.write(f"{key} {since.isoformat()}\n")
            reader.stdin.flush()
            assert reader.stdout.readline().strip() == "polling"
            writer.write("hazmat_alarms", [{"alarm_id": key, "vehicle_plate": v.plate,
                                            "waybill_id": v.waybill_id, "ts": at,
                                            "alarm_type": "sensor", "severity": 3, "lon": v.lon,
                                            "lat": v.lat, "status": "open"}])  # fmt: skip
            returned = time.time()
            seen = json.loads(reader.stdout.readline())
            if seen["seen"] is None:
                raise RuntimeError(f"the reader never saw {key} in {seen['reads']} reads")
            lags.append(max(0.0, seen["seen"] - returned))
            reads.append(seen["read_ms"])
    finally:
        reader.stdin.close()
        reader.wait(timeout=120)
    return {"ms": _ms(lags), "reader_read_ms_p50": round(statistics.median(reads), 1)}


def run(data_dir: Path, work: Path, merges: int) -> dict:
    """Measure everything on a scratch copy of ``data_dir``'s store; return the result."""
    result = {"when": now_iso(), "machine": machine(), "source": str(data_dir)}
    started = time.perf_counter()
    scratch_copy(data_dir, work)
    result["store_copy_s"] = round(time.perf_counter() - started, 2)
    settings = get_settings(data_dir=str(work), database_url="")
    storage = Storage(settings)
    ctx = Context(settings)
    geo = geography(storage.reader_engine(), settings.city_codes, settings.grid_resolution)
    writer = LiveWriter(storage, geography=lambda _e: geo)
    state = load_state(storage, geo, geo.scope(None))
    result["store"] = {"version_bytes": storage.current_version().stat().st_size,
                       "vehicles_in_transit": len(state.vehicles),
                       "cameras": len(state.cameras)}  # fmt: skip
    result["write"] = measure_writes(writer, state)
    writer.merge()  # the write measurements' batches: not part of what follows
    sim = Simulator(state, seed=7)
    result["read_ms"] = {"pending_0": measure_reads(ctx)}
    simulate_batches(writer, sim, 60)
    result["read_ms"]["pending_60s"] = measure_reads(ctx)
    result["read_ms"]["pending_60s_files"] = pending_files(storage)
    simulate_batches(writer, sim, 240)
    result["read_ms"]["pending_300s"] = measure_reads(ctx)
    result["read_ms"]["pending_300s_files"] = pending_files(storage)
    writer.merge()
    result["merge"] = measure_merges(writer, sim, storage, merges)
    result["visible"] = measure_visible(writer, state, work)
    writer.merge()
    result["machine"]["loadavg_end"] = load_average()
    return result


def markdown(result: dict) -> str:
    """Return the result as the Markdown tables of BENCHMARKS.md's live section."""
    store = result["store"]
    lines = [
        f"Store: {result['source']} — version {store['version_bytes'] / 2**20:,.0f} MB, "
        f"{store['cameras']:,} cameras, {store['vehicles_in_transit']:,} waybills in transit. "
        f"Machine: {result['machine']['cores']} cores, load {result['machine']['loadavg_start']}"
        f" → {result['machine']['loadavg_end']}; {result['when']}.",
        "",
        "| batch of GPS fixes | write p50 | write p95 | bytes on disk | rows/s |",
        "|---|---|---|---|---|",
    ]
    for size, w in result["write"].items():
        lines.append(f"| {int(size):,} rows | {w['ms']['p50']:.1f} ms | {w['ms']['p95']:.1f} ms "
                     f"| {w['bytes_median']:,} | {w['rows_per_s']:,} |")  # fmt: skip
    m = result["merge"]
    lines += [
        "",
        "| merge of 60 s of `cityops simulate` (20 rows/s, 1-s batches) | value |",
        "|---|---|",
        f"| rows, batch files | {m['runs'][-1]['rows']:,} rows, {m['runs'][-1]['batch_files']} "
        "files |",
        f"| merge, median of {len(m['runs'])} | {m['seconds_median']:.2f} s |",
        f"| copying the version alone | {m['copy_alone_s']:.2f} s |",
        f"| bytes copied per merge | {m['bytes_copied'] / 2**20:,.0f} MB |",
        "",
        "| live question (read cache cleared) | no batches | 60 s pending | 300 s pending |",
        "|---|---|---|---|",
    ]
    r = result["read_ms"]
    for name in r["pending_0"]:
        few, many = r["pending_60s_files"], r["pending_300s_files"]
        lines.append(f"| `{name}` | {r['pending_0'][name]:.1f} ms | "
                     f"{r['pending_60s'][name]:.1f} ms ({few} files) | "
                     f"{r['pending_300s'][name]:.1f} ms ({many} files) |")  # fmt: skip
    v = result["visible"]
    lines += [
        "",
        f"Write → visible in another process (it polls `recent_alarms` back to back, one read "
        f"≈ {v['reader_read_ms_p50']:.0f} ms): p50 {v['ms']['p50']:.0f} ms, p95 "
        f"{v['ms']['p95']:.0f} ms, max {v['ms']['max']:.0f} ms ({v['ms']['n']} writes).",
    ]
    return "\n".join(lines)


def main() -> None:
    """Run the measurements (see the module's description)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir",
        required=True,
        type=Path,
        help="CITYOPS_DATA_DIR of the store to measure (copied, not changed)",
    )
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=None,
        help="scratch folder for the copy (default: a temporary one, deleted)",
    )
    parser.add_argument("--merges", type=int, default=3, help="merges of 60 s of batches")
    parser.add_argument("--json", type=Path, default=None, help="write the result here")
    args = parser.parse_args()  # fmt: skip
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="cityops-live-bench-"))
    try:
        result = run(args.data_dir.resolve(), work, args.merges)
    finally:
        if args.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    print(markdown(result))


if __name__ == "__main__":
    main()
