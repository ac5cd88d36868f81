"""Eight 100k-row Excel exports at once against a real ``cityops serve`` (issue 12).

Each export is the callback request a table's "Download Excel" button sends: the rows as
shown (here 100,000 rows shaped like the suspected group-rental units, 11 columns) and
the grid's column definitions. Eight go at once from eight threads while a ninth asks
``/api/v1/health`` every 0.2 s (does the server still answer?). Measured: the wall time
until all eight have answered, what each answered (a workbook, a refusal note, an HTTP
error), the slowest health answer during the burst, and the server's peak RSS (VmHWM).

Login is on: this checkout's server starts in demo mode (``cityops serve --demo``,
127.0.0.1 only) and every request but the health poll carries the demo admin's session
cookie (:func:`benchmarks.soak.sign_in`). ``--source DIR`` runs the server from another
checkout (``git archive <commit> | tar -x -C DIR``) to measure the code before a change;
such a checkout may not know ``--demo``, so it runs with ``CITYOPS_AUTH=off`` (no login,
which also serves 127.0.0.1 only) and the requests carry no cookie — its numbers leave
out the login gate's work. The request is built from that server's own callback map, so
it fits either version.

    python -m benchmarks.bench_exports [--rows 100000] [--exports 8] [--source DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from benchmarks import soak
from benchmarks.stores import REPO, STORES, ensure_demo

CALLBACK = "/_dash-update-component"
COLUMNS = [
    ("unit_id", "count"),
    ("address", "text"),
    ("floor_area_m2", "number"),
    ("rooms", "count"),
    ("occupants", "count"),
    ("area_per_person", "number"),
    ("per_room", "number"),
    ("inspection_status", "text"),
    ("district_code", "text"),
    ("landlord_name", "text"),
    ("landlord_phone", "text"),
]


def column_defs() -> list[dict]:
    """Return the grid's column definitions as the browser sends them back."""
    out = []
    for field, kind in COLUMNS:
        context = {"kind": kind}
        if kind in ("count", "number"):
            context["digits"] = 0 if kind == "count" else 1
        out.append({"field": field, "headerName": field, "context": context})
    return out


def rows(n: int) -> list[dict]:
    """Return ``n`` rows shaped like the suspected rental units table (text as shown)."""
    return [
        {
            "unit_id": f"U32130{i:08d}",
            "address": f"宿迁市宿城区幸福路{i % 997}号{i % 31}栋{i % 5 + 1}单元"
            f"{i % 30 + 1}0{i % 4 + 1}室",
            "floor_area_m2": 40.0 + i % 90 + 0.5,
            "rooms": 1 + i % 5,
            "occupants": 2 + i % 14,
            "area_per_person": round((40.0 + i % 90) / (2 + i % 14), 1),
            "per_room": round((2 + i % 14) / (1 + i % 5), 1),
            "inspection_status": ("待核查", "整改中", "已整改")[i % 3],
            "district_code": "宿城区",
            "landlord_name": f"张*{i % 100}",
            "landlord_phone": f"138****{i % 10000:04d}",
        }
        for i in range(n)
    ]


def start_server(
    data_dir: Path, source: Path, log_path: Path
) -> tuple[subprocess.Popen, str, str | None]:
    """Start ``cityops serve`` from checkout ``source``; return (process, base URL, session).

    This checkout: demo mode, signed in as the demo admin. Another checkout:
    ``CITYOPS_AUTH=off`` (it may not know ``--demo``), session None.
    """
    code = "import sys; from cli import main; sys.argv[0] = 'cityops'; main()"
    this = Path(source).resolve() == REPO.resolve()
    env = {"PYTHONPATH": str(source), **({} if this else {"CITYOPS_AUTH": "off"})}
    proc, base = soak.start_server(data_dir, log_path, env, command=[sys.executable, "-c", code],
                                   cwd=source, clean_env=True, wait_s=120, demo=this)  # fmt: skip
    try:
        return proc, base, soak.sign_in(base, data_dir) if this else None
    except Exception:
        soak.stop(proc, wait=30)
        raise


def export_request(base: str, table_rows: list[dict], session: str | None = None) -> bytes:
    """Return the JSON body of one Excel export callback, fitted to the server's callbacks."""
    jar = soak.cookies(session)
    requests.get(f"{base}/", timeout=30, cookies=jar)  # Dash fills its callback map at first
    deps = requests.get(f"{base}/_dash-dependencies", timeout=30, cookies=jar)
    deps.raise_for_status()
    deps = deps.json()
    dep = next(d for d in deps if '"table-xlsx"' in d["inputs"][0]["id"])
    name = "rentals-units"

    def concrete(id_str: str):
        parsed = json.loads(id_str)
        return {k: (name if isinstance(v, list) else v) for k, v in parsed.items()}

    values = {
        "n_clicks": 1,
        "virtualRowData": table_rows,
        "columnDefs": column_defs(),
        "id": {"name": name, "type": "table"},
        "data": {"file": name, "sheet": "units", "note": "宿城区 · 2026-11-25", "lang": "zh"},
    }
    key = dep["output"]
    parts = key[2:-2].split("...") if key.startswith("..") else [key]
    outputs = []
    for part in parts:
        id_str, prop = part.rsplit(".", 1)
        outputs.append({"id": concrete(id_str), "property": prop})

    def specs(items):
        return [
            {"id": concrete(s["id"]), "property": s["property"], "value": values[s["property"]]}
            for s in items
        ]

    body = {
        "output": key,
        "outputs": outputs if key.startswith("..") else outputs[0],
        "inputs": specs(dep["inputs"]),
        "state": specs(dep["state"]),
        "changedPropIds": [
            json.dumps(concrete(dep["inputs"][0]["id"]), separators=(",", ":"), sort_keys=True)
            + ".n_clicks"
        ],
    }
    return json.dumps(body, ensure_ascii=False).encode()


def outcome(resp: requests.Response) -> str:
    """Return what one export answered: ``workbook``, ``refused: …`` or ``HTTP nnn``."""
    if resp.status_code != 200:
        return f"HTTP {resp.status_code}"
    answer = resp.json().get("response", {})
    if any("data" in v for v in answer.values()):
        return "workbook"
    notes = [v.get("children") for v in answer.values() if v.get("children")]
    return f"refused: {notes[0][:40]}" if notes else "nothing"


def peak_rss_mb(pid: int) -> tuple[float, float]:
    """Return (current RSS, peak RSS) of process ``pid`` in MB, from /proc."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def burst(base: str, body: bytes, exports: int, session: str | None = None) -> dict:
    """Send ``exports`` export requests at once; return timings and outcomes.

    The exports carry the login ``session``; the health poll goes without it
    (``/api/v1/health`` is open).
    """
    results: list[tuple[float, str]] = [None] * exports  # type: ignore[list-item]
    health: list[float] = []
    done = threading.Event()
    start = threading.Barrier(exports + 1)

    def one(i: int) -> None:
        start.wait()
        t0 = time.perf_counter()
        try:
            resp = requests.post(
                f"{base}{CALLBACK}",
                data=body,
                headers={"Content-Type": "application/json"},
                cookies=soak.cookies(session),
                timeout=600,
            )
            results[i] = (time.perf_counter() - t0, outcome(resp))
        except requests.RequestException as exc:
            results[i] = (time.perf_counter() - t0, f"error {type(exc).__name__}")

    def poll() -> None:
        while not done.is_set():
            t0 = time.perf_counter()
            with contextlib.suppress(requests.RequestException):
                requests.get(f"{base}/api/v1/health", timeout=120)
            health.append(time.perf_counter() - t0)
            done.wait(0.2)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(exports)]
    for th in threads:
        th.start()
    poller = threading.Thread(target=poll)
    poller.start()
    t0 = time.perf_counter()
    start.wait()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t0
    done.set()
    poller.join()
    kinds: dict[str, int] = {}
    for _, what in results:
        kinds[what] = kinds.get(what, 0) + 1
    return {
        "wall_s": round(wall, 1),
        "each_s": sorted(round(s, 1) for s, _ in results),
        "outcomes": kinds,
        "health_max_s": round(max(health), 2) if health else None,
    }


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmark; print and return its result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--exports", type=int, default=8)
    parser.add_argument("--source", type=Path, default=REPO, help="checkout to serve from")
    parser.add_argument("--data-dir", type=Path, default=STORES / "small")
    args = parser.parse_args(argv)
    data_dir = ensure_demo(args.data_dir, "small")
    proc, base, session = start_server(
        data_dir, args.source.resolve(), Path("/tmp/bench_exports.log")
    )
    try:
        body = export_request(base, rows(args.rows), session)
        idle_rss, _ = peak_rss_mb(proc.pid)
        result = {
            "source": str(args.source),
            "login": "demo" if session else "off",
            "hardened": "Content-Security-Policy"
            in requests.get(f"{base}/api/v1/health", timeout=30).headers,
            "rows": args.rows,
            "exports": args.exports,
            "body_mb": round(len(body) / 1e6, 1),
            "idle_rss_mb": round(idle_rss),
            **burst(base, body, args.exports, session),
        }
        result["peak_rss_mb"] = round(peak_rss_mb(proc.pid)[1])
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print(json.dumps(result, ensure_ascii=False))
    return result


if __name__ == "__main__":
    main()
