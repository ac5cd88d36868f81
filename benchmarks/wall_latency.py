r"""From a live write to the wall showing it: write cost, write→DOM time, refresh cost, merge cost.

Usage (the store folder is written to, so give it a copy)::

    cp -r /tmp/small /tmp/lat-small
    .venv/bin/python -m benchmarks.wall_latency --data-dir /tmp/lat-small --label small \\
        --out /tmp/lat/small.json

    cp -r /tmp/city /tmp/lat-city          # 575 MB
    .venv/bin/python -m benchmarks.wall_latency --data-dir /tmp/lat-city --label city \\
        --merge-window 60 --out /tmp/lat/city.json

Options: ``--n 10`` writes per refresh setting, ``--refresh 5,2`` the wall's refresh
settings tried one after the other, ``--pages overview,hazmat``, ``--merge-window 60``
seconds of ``cityops simulate --rate <rate>`` left pending before timing one
``LiveWriter.merge()`` (0: no merge measured), ``--seed``.

What it does: starts ``cityops serve --demo`` over the copy (a free port, the installed
script, login on: :func:`benchmarks.soak.start_server`), signs in as the demo admin
(:func:`benchmarks.soak.sign_in`) and opens Debian's Chromium (``/usr/bin/chromium``,
the project's flags; never ``playwright install``) on ``/wall?refresh=<r>&pages=<pages>``
at 1920×1080.
Then, ``--n`` times per refresh setting, at a random moment of the refresh cycle: it
picks a vehicle in transit (``hazmat_positions``, another one each time), writes one
severity-3 ``restricted_zone`` alarm for it through :meth:`loaders.live.LiveWriter.write`
in this process (timed: the per-batch write cost, and the batch's bytes on disk), and
polls the DOM every 50 ms until ``.wall-tick[data-alarm-key="hazmat:<id>"]`` is
present. ``write_to_dom_ms`` runs from the write call to the poll that found it;
expected: at most one refresh interval plus the refresh callback's time.

Every wall refresh (``POST /_dash-update-component`` carrying ``wall-tick``) is timed
through Playwright's request timing (request start → response end) and reported per
phase: ``idle`` (the writes above), ``pending`` (``cityops simulate`` writing batches
that readers union until the merge) and ``merge`` (during ``LiveWriter.merge()``).

The merge: ``cityops simulate --rate <rate>`` runs for ``--merge-window`` seconds
with its own merge switched off (``CITYOPS_LIVE_MERGE_SECONDS=86400``) and is then
killed (SIGKILL: no final merge; what a killed feed leaves is what the next merge
takes), the pending batches are counted (:func:`loaders.live.live_status`) and one
``LiveWriter.merge()`` is timed here, with the wall still refreshing: seconds, bytes
of the version copied and of the new version, rows and batches merged.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import signal
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from benchmarks import soak

#: The wall refresh callback: its request body names the tick interval.
TICK_MARK = '"wall-tick"'


# ---------------------------------------------------------------- pure
def summary(values: Sequence[float]) -> dict:
    """Return ``{n, p50, p95, max, mean}`` of ``values`` (nearest-rank p95), rounded to 0.1."""
    vals = sorted(float(v) for v in values)
    if not vals:
        return {"n": 0, "p50": None, "p95": None, "max": None, "mean": None}
    rank = max(1, -(-95 * len(vals) // 100))  # ceil(0.95 n)
    return {
        "n": len(vals),
        "p50": round(statistics.median(vals), 1),
        "p95": round(vals[rank - 1], 1),
        "max": round(vals[-1], 1),
        "mean": round(statistics.fmean(vals), 1),
    }


# ---------------------------------------------------------------- the store, in this process
class Store:
    """The copy's storage and live writer, built as ``cityops simulate`` builds them."""

    def __init__(self, data_dir: Path):
        from cityops.geo import geography
        from cityops.queries import snapshots
        from cityops.settings import get_settings
        from cityops.store.versions import Storage
        from loaders.live import LiveWriter

        settings = get_settings(data_dir=str(data_dir), database_url="")
        self.settings = settings
        self.storage = Storage(settings)
        self.storage.finishers.append(lambda engine: snapshots.record(engine, settings))
        self.writer = LiveWriter(
            self.storage,
            geography=lambda e: geography(e, settings.city_codes, settings.grid_resolution),
        )

    def vehicles(self) -> list[dict]:
        """Return the vehicles in transit at their last position, as rows of dicts."""
        import sqlalchemy as sa

        from cityops import store

        pos = store.hazmat_positions
        query = sa.select(pos.c.waybill_id, pos.c.vehicle_plate, pos.c.lon, pos.c.lat).where(
            pos.c.lon.is_not(None)
        )
        with self.storage.reader_engine().connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query.order_by(pos.c.waybill_id))]

    def alarm(self, vehicle: dict, now: dt.datetime) -> dict:
        """Return a new severity-3 restricted-zone alarm for ``vehicle`` at ``now``."""
        return {
            "alarm_id": "LAT" + uuid.uuid4().hex[:10].upper(),
            "vehicle_plate": vehicle["vehicle_plate"],
            "waybill_id": vehicle["waybill_id"],
            "ts": now.isoformat(sep=" "),
            "alarm_type": "restricted_zone",
            "severity": 3,
            "lon": vehicle["lon"] + 0.001,
            "lat": vehicle["lat"],
            "status": "open",
        }

    def version_bytes(self) -> int | None:
        """Return the size of the current store version, None without one."""
        current = self.storage.current_version()
        return current.stat().st_size if current is not None else None


def shanghai_now() -> dt.datetime:
    """Return now in Asia/Shanghai, naive (as the store keeps times)."""
    from cityops.clock import TZ

    return dt.datetime.now(TZ).replace(tzinfo=None, microsecond=0)


# ---------------------------------------------------------------- the browser
class Refreshes:
    """The wall's refresh callbacks finished, with the phase they finished in."""

    def __init__(self):
        self.phase = "load"
        self.ms: dict[str, list[float]] = {}
        self.failed = 0

    def on_finished(self, request) -> None:
        """Record a finished wall refresh's time (request start → response end)."""
        if "/_dash-update-component" not in request.url:
            return
        body = request.post_data or ""
        if TICK_MARK not in body:
            return
        end = request.timing.get("responseEnd", -1)
        if end is not None and end >= 0:
            self.ms.setdefault(self.phase, []).append(end)

    def on_failed(self, request) -> None:
        """Count a wall callback that got no response."""
        if "/_dash-update-component" in request.url:
            self.failed += 1

    def stats(self) -> dict:
        """Return each phase's refresh-time summary."""
        return {phase: summary(ms) for phase, ms in self.ms.items()}


def open_wall(
    browser, base: str, url: str, refreshes: Refreshes, errors: list[str], session: str | None
):
    """Open the wall in a new 1920×1080 context; return the page once it has ticked twice.

    The context holds the login ``session`` (:func:`benchmarks.soak.add_session`).
    """
    context = browser.new_context(viewport=soak.VIEWPORT, locale="zh-CN")
    soak.add_session(context, session)
    page = context.new_page()
    page.on("requestfinished", refreshes.on_finished)
    page.on("requestfailed", refreshes.on_failed)
    page.on("console", lambda m: soak._keep(errors, m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: soak._keep(errors, str(e)))
    page.goto(base + url, wait_until="load")
    soak.not_at_login(page)
    page.wait_for_selector("#wall-root[data-tick]", timeout=120_000)
    page.wait_for_function(
        "() => Number(document.querySelector('#wall-root').dataset.tick) >= 2", timeout=120_000
    )
    return page


def write_and_watch(store: Store, page, vehicle: dict, timeout_s: float) -> dict:
    """Write one alarm for ``vehicle``; return its write cost and its time to the wall."""
    row = store.alarm(vehicle, shanghai_now())
    key = f"hazmat:{row['alarm_id']}"
    started = time.perf_counter()
    report = store.writer.write("hazmat_alarms", [row])
    written = time.perf_counter()
    found = True
    try:
        page.wait_for_function(
            '(k) => !!document.querySelector(`.wall-tick[data-alarm-key="${k}"]`)',
            arg=key,
            polling=50,
            timeout=timeout_s * 1000,
        )
    except Exception:  # a timeout: recorded as not shown
        found = False
    shown = time.perf_counter()
    return {
        "alarm_key": key,
        "accepted": report.accepted,
        "quarantined": report.quarantined,
        "write_ms": round((written - started) * 1000, 1),
        "batch_bytes": report.bytes,
        "shown": found,
        "write_to_dom_ms": round((shown - started) * 1000, 1) if found else None,
        "after_write_ms": round((shown - written) * 1000, 1) if found else None,
        "tick": page.get_attribute("#wall-root", "data-tick"),
    }


# ---------------------------------------------------------------- the run
def measure(args: argparse.Namespace) -> dict:
    """Run the measurements (see the module's description); return the result."""
    from playwright.sync_api import sync_playwright

    data_dir = Path(args.data_dir).resolve()
    out = Path(args.out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    logs = out.with_suffix("")
    rng = random.Random(args.seed)
    refreshes_s = [int(x) for x in str(args.refresh).split(",") if x.strip()]
    result: dict = {
        "what": "wall latency: live write → wall DOM; refresh and merge cost",
        "label": args.label,
        "started_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "args": vars(args),
        "machine_start": soak.machine(),
        "store_mb_start": soak.folder_mb(data_dir / "store"),
        "runs": {},
        "console_errors": [],
    }
    server = None
    try:
        t0 = time.perf_counter()
        server, base = soak.start_server(data_dir, Path(f"{logs}.server.log"))
        session = soak.sign_in(base, data_dir)
        result["server_start_s"] = round(time.perf_counter() - t0, 1)
        store = Store(data_dir)
        result["version_bytes_start"] = store.version_bytes()
        vehicles = store.vehicles()
        result["vehicles_in_transit"] = len(vehicles)
        if not vehicles:
            raise RuntimeError("no vehicle in transit in the store: nothing to raise an alarm for")
        rng.shuffle(vehicles)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=soak.CHROMIUM, args=soak.ARGS)
            for refresh in refreshes_s:
                refreshes = Refreshes()
                url = f"/wall?refresh={refresh}&pages={args.pages}"
                page = open_wall(browser, base, url, refreshes, result["console_errors"], session)
                refreshes.phase = "idle"
                writes = []
                for i in range(args.n):
                    page.wait_for_timeout(rng.uniform(0.2, refresh) * 1000)  # any moment of a cycle
                    vehicle = vehicles[(len(result["runs"]) * args.n + i) % len(vehicles)]
                    w = write_and_watch(store, page, vehicle, timeout_s=4 * refresh + 30)
                    writes.append(w)
                    print(f"refresh {refresh}s write {i + 1}: {json.dumps(w)}", flush=True)
                run = {
                    "url": url,
                    "writes": writes,
                    "write_ms": summary([w["write_ms"] for w in writes]),
                    "batch_bytes": summary([w["batch_bytes"] for w in writes]),
                    "write_to_dom_ms": summary(
                        [w["write_to_dom_ms"] for w in writes if w["shown"]]
                    ),
                    "not_shown": sum(not w["shown"] for w in writes),
                }
                if args.merge_window > 0 and refresh == refreshes_s[0]:
                    run["merge"] = merge_phase(args, data_dir, store, page, refreshes, logs)
                page.context.close()
                run["refresh_ms"] = refreshes.stats()
                run["refresh_failed"] = refreshes.failed
                result["runs"][str(refresh)] = run
                _save(out, result)
            browser.close()
    finally:
        result["server_exit"] = soak.stop(server)
        result["machine_end"] = soak.machine()
        result["finished_at"] = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        _save(out, result)
    return result


def merge_phase(args, data_dir: Path, store: Store, page, refreshes: Refreshes, logs: Path) -> dict:
    """Leave ``--merge-window`` s of simulated batches pending, then time one merge."""
    from loaders.live import live_status

    sim_log = Path(f"{logs}.simulate.log")
    refreshes.phase = "pending"
    sim = soak.start_simulate(
        data_dir, args.rate, sim_log, env={"CITYOPS_LIVE_MERGE_SECONDS": "86400"}
    )
    try:
        deadline = time.monotonic() + 600
        while "simulating" not in sim_log.read_text(errors="replace"):  # its state is read
            if sim.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"cityops simulate did not start: {sim_log.read_text()[-2000:]}")
            page.wait_for_timeout(500)
        page.wait_for_timeout(args.merge_window * 1000)
    finally:
        soak.stop(sim, signal.SIGKILL)  # no final merge: the batches stay pending
    status = live_status(store.storage)
    pending = {
        "batches": sum(d["batches"] for d in status.pending.values()),
        "rows": sum(d["rows"] for d in status.pending.values()),
        "by_dataset": {n: d["rows"] for n, d in status.pending.items()},
        "mb": soak.folder_mb(store.storage.root / "live"),
    }
    before = store.version_bytes()
    refreshes.phase = "merge"
    load0 = os.getloadavg()[0]
    started = time.perf_counter()
    report = store.writer.merge()
    seconds = time.perf_counter() - started
    page.wait_for_timeout(
        2 * 1000 * int(args.refresh.split(",")[0])
    )  # refreshes on the new version
    refreshes.phase = "after_merge"
    page.wait_for_timeout(3 * 1000 * int(args.refresh.split(",")[0]))
    return {
        "window_s": args.merge_window,
        "rate": args.rate,
        "pending": pending,
        "seconds": round(seconds, 2),
        "report_seconds": report.seconds,
        "batches": report.batches,
        "rows_written": report.rows_written,
        "quarantined": report.quarantined,
        "bytes_copied": report.bytes_copied,
        "version_bytes_before": before,
        "version_bytes_after": store.version_bytes(),
        "version": report.version,
        "loadavg_at_start": round(load0, 2),
        "simulate_log_tail": soak._tail(sim_log, 5),
    }


def _save(out: Path, result: dict) -> None:
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str))
    tmp.replace(out)


def markdown(results: Sequence[dict]) -> str:
    """Return the latency, refresh and merge tables of one or more results (small, city…)."""
    lines = [
        "| store | refresh s | writes | write ms p50 / p95 / max | batch bytes p50 "
        "| write→DOM ms p50 / p95 / max | not shown | load avg |",
        "|---|---:|---:|---|---:|---|---:|---:|",
    ]
    for r in results:
        for refresh, run in r["runs"].items():
            w, d = run["write_ms"], run["write_to_dom_ms"]
            lines.append(
                f"| {r['label']} | {refresh} | {w['n']} | {w['p50']} / {w['p95']} / {w['max']} "
                f"| {run['batch_bytes']['p50']} | {d['p50']} / {d['p95']} / {d['max']} "
                f"| {run['not_shown']} | {_load(r)} |"
            )
    lines += [
        "",
        "| store | refresh s | phase | refreshes | refresh ms p50 / p95 / max |",
        "|---|---:|---|---:|---|",
    ]
    for r in results:
        for refresh, run in r["runs"].items():
            for phase, s in run["refresh_ms"].items():
                lines.append(
                    f"| {r['label']} | {refresh} | {phase} | {s['n']} "
                    f"| {s['p50']} / {s['p95']} / {s['max']} |"
                )
    merges = [(r, run["merge"]) for r in results for run in r["runs"].values() if "merge" in run]
    if merges:
        lines += [
            "",
            "| store | pending (s of simulate) | batches | rows | merge s | version copied MB "
            "| new version MB |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for r, m in merges:
            lines.append(
                f"| {r['label']} | {m['window_s']} s at {m['rate']} rows/s | {m['batches']} "
                f"| {m['rows_written']} | {m['seconds']} | {_mb(m['bytes_copied'])} "
                f"| {_mb(m['version_bytes_after'])} |"
            )
    return "\n".join(lines)


def _load(result: dict) -> str:
    """Return the 1-minute load average at the start and the end of a run."""
    ends = [result.get(k, {}).get("loadavg") for k in ("machine_start", "machine_end")]
    return " → ".join(f"{e[0]:.1f}" for e in ends if e)


def _mb(value) -> str:
    return "" if value is None else f"{value / 1e6:.1f}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run from the command line; return 0, or 1 when a write never reached the wall."""
    ap = argparse.ArgumentParser(prog="python -m benchmarks.wall_latency")
    ap.add_argument("--data-dir", help="A store folder this run may write to (a copy).")
    ap.add_argument("--label", default="store", help="The store's name in the tables.")
    ap.add_argument("--n", type=int, default=10, help="Writes per refresh setting.")
    ap.add_argument("--refresh", default="5,2", help="The wall's refresh settings (s).")
    ap.add_argument("--pages", default="overview,hazmat")
    ap.add_argument("--merge-window", type=float, default=0, help="Seconds of simulate.")
    ap.add_argument("--rate", type=float, default=20.0, help="cityops simulate --rate.")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default="wall_latency.json")
    ap.add_argument("--markdown", nargs="*", metavar="JSON", help="Only print the tables of these.")
    args = ap.parse_args(argv)
    if args.markdown:
        print(markdown([json.loads(Path(p).read_text()) for p in args.markdown]))
        return 0
    if not args.data_dir:
        ap.error("--data-dir is required (or --markdown JSON…)")
    result = measure(args)
    print(markdown([result]))
    bad = sum(run["not_shown"] for run in result["runs"].values())
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
