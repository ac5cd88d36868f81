"""``make bench`` and ``make bench-quick``: every number of issue 9 in one run, one JSON.

Usage::

    .venv/bin/python -m benchmarks.run            # city store → benchmarks/results/latest.json
                                                  #   and the generated section of BENCHMARKS.md
    .venv/bin/python -m benchmarks.run --quick    # small store, < 60 s → results/quick.json

Stores (built once under ``benchmarks/.stores/``, gitignored, reused while present):
``city`` (``cityops init`` + ``cityops demo --scale city --today 2026-11-25``: ~5 min,
~5 GB RAM the first time; ``CITYOPS_BENCH_CITY_DIR`` names an existing one, which is
only read), ``small`` (``--scale small``, ~1 min; ``CITYOPS_BENCH_SMALL_DIR``), and the
small store replicated 10× and 100× for the cost growth (:mod:`benchmarks.stores`).

Each store is measured in its own process (:mod:`benchmarks.bench_queries`,
:mod:`benchmarks.bench_browser`), one after the other, never two timings at once.
Loading speed comes from ``benchmarks/bench_load.py``'s ``measure(workdir, scale=...)``
when that module exists. Goals are reported met or not; nothing is tuned to pass.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata as md
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import harness, stores

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
BENCHMARKS_MD = HERE.parent / "BENCHMARKS.md"


PHASES: dict[str, float] = {}
_LAST = [time.perf_counter(), "start"]


def say(text: str) -> None:
    """Print a progress line (stderr, so stdout stays the table); time the phases."""
    now = time.perf_counter()
    PHASES[_LAST[1]] = round(PHASES.get(_LAST[1], 0) + now - _LAST[0], 1)
    _LAST[:] = [now, text]
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def versions() -> dict:
    """Return the versions of Python, DuckDB, Dash and the libraries that matter."""
    out = {"python": platform.python_version()}
    for name in ("duckdb", "dash", "pandas", "sqlalchemy", "dash-leaflet", "playwright"):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = None
    return out


def in_process(module: str, *args: str) -> dict:
    """Run ``python -m benchmarks.<module> args --json-out F`` in a new process; return F."""
    with tempfile.TemporaryDirectory(prefix="cityops-bench-") as tmp:
        out = Path(tmp) / "out.json"
        cmd = [sys.executable, "-m", f"benchmarks.{module}", *args, "--json-out", str(out)]
        subprocess.run(cmd, check=True, cwd=HERE.parent)
        return json.loads(out.read_text(encoding="utf-8"))


def store_info(kind: str, path: Path) -> dict:
    """Return what the result says about a store: kind, path, version and rows."""
    version = stores.current_file(path)
    return {
        "kind": kind,
        "path": str(path),
        "version": version.name if version else None,
        "rows": stores.table_rows(path),
    }


def loads(result: dict, scale: str) -> None:
    """Fill the loading keys from ``benchmarks/bench_load.py`` (null with a reason if absent)."""
    try:
        bench_load = importlib.import_module("benchmarks.bench_load")
    except ImportError as exc:
        for key in ("cameras_csv_rows_per_s", "gps_csv_rows_per_s"):
            harness.missing(result, key, f"benchmarks/bench_load.py not importable: {exc}")
        return
    with tempfile.TemporaryDirectory(prefix="cityops-bench-load-") as work:
        try:
            measured = bench_load.measure(Path(work), scale=scale)
        except Exception as exc:  # a failing loader benchmark must not lose the rest
            for key in ("cameras_csv_rows_per_s", "gps_csv_rows_per_s"):
                harness.missing(result, key, f"bench_load.measure failed: {exc!r}"[:300])
            return
    result["details"]["loads"] = measured
    for key in ("cameras_csv_rows_per_s", "gps_csv_rows_per_s"):
        value = measured.get(key) if isinstance(measured, dict) else None
        if value is None:
            harness.missing(result, key, f"bench_load.measure returned no {key}")
        else:
            result[key] = round(float(value))


def cost_growth(result: dict, small: Path, factors: tuple[int, ...], quick: bool,
                first: dict | None) -> None:  # fmt: skip
    """Measure the KPI and page queries on the small store × each factor."""
    growth: dict = {
        "method": "the small demo store; 10× and 100× copy it and replicate its fact rows "
        "with ids suffixed per copy (DuckDB INSERT … SELECT over range(k)), derived tables "
        "rebuilt; scenic spots and areas not copied. KPIs: p50 over the province, cities, "
        "2 districts each and 2 grid cells; pages: p50 of the six pages' layout callbacks "
        "at the province; read cache cleared before each",
        "factors": {},
        "reasons": {},
    }
    for factor in (1, 10, 100):
        key = str(factor)
        if factor not in factors:
            growth["factors"][key] = None
            growth["reasons"][key] = "skipped in --quick (building and querying 100× " \
                "the small demo takes minutes)"  # fmt: skip
            continue
        path = stores.readable(stores.ensure_growth(small, factor, say=say), say=say)
        if factor == 1 and first is not None:
            measured = first
        else:
            say(f"cost growth {factor}×: KPIs and page queries")
            measured = in_process("bench_queries", "--data-dir", str(path), "--what",
                                  "kpis,pages", "--repeat", "1" if quick else "5",
                                  "--map-repeat", "1" if quick else "3",
                                  "--pages-repeat", "1" if quick else "3")  # fmt: skip
        by_path = measured["pages"]["by_path"]
        pages = [v["p50"] for v in by_path.values()]
        growth["factors"][key] = {
            "rows": sum(stores.table_rows(path).values()),
            "kpis_p50_ms": measured["kpis"]["kpis"]["p50"],
            "kpis_p95_ms": measured["kpis"]["kpis"]["p95"],
            "map_values_p50_ms": measured["kpis"]["map_values"]["p50"],
            "pages_p50_ms": round(sorted(pages)[len(pages) // 2], 1),
            "pages_ms": {p: v["p50"] for p, v in by_path.items()},
        }
    result["cost_growth"] = growth


def run(quick: bool, browser: bool = True, markdown: bool | None = None) -> dict:
    """Run the whole benchmark; return the result (also written to ``benchmarks/results``)."""
    started = time.perf_counter()
    small = Path(os.environ.get("CITYOPS_BENCH_SMALL_DIR") or stores.STORES / "small")
    small = stores.readable(stores.ensure_demo(small, "small", say=say), say=say)
    if quick:
        main_kind, main = "small", small
    else:
        main_kind = "city"
        main = Path(os.environ.get("CITYOPS_BENCH_CITY_DIR") or stores.STORES / "city")
        stores.ensure_demo(main, "city", say=say)
        main = stores.readable(main, say=say)
    result = harness.new_result("quick" if quick else "full", store_info(main_kind, main))
    result["date"] = harness.now_iso()
    result["command"] = "make bench-quick" if quick else "make bench"
    result["machine"] = harness.machine()
    result["versions"] = versions()

    say(f"server side on {main}")
    server = in_process(
        "bench_queries", "--data-dir", str(main),
        "--repeat", "3" if quick else "10",
        "--map-repeat", "1" if quick else "5",
        "--drill-repeat", "1" if quick else "3",
        "--pages-repeat", "1" if quick else "5",
        "--naive-repeat", "1" if quick else "2",
    )  # fmt: skip
    result["details"]["server"] = server
    result["kpis_server_p50_ms"] = server["kpis"]["kpis"]["p50"]
    result["kpis_server_p95_ms"] = server["kpis"]["kpis"]["p95"]
    result["drilldown_server_p95_ms"] = server["drill"]["total"]["p95"]
    result["naive_pandas_kpis_p50_ms"] = server["naive"]["kpis"]["p50"]
    result["naive_over_cityops_ratio"] = round(
        server["naive"]["kpis"]["p50"] / server["kpis"]["kpis"]["p50"], 1
    )
    if not server["naive"]["same_answers"]:
        result["reasons"]["naive_over_cityops_ratio"] = (
            "the naive answers differ from the app's for some scopes: "
            + json.dumps(server["naive"]["differences"], ensure_ascii=False)[:300]
        )

    if browser:
        say(f"browser on {main}")
        shown = in_process(
            "bench_browser", "--data-dir", str(main),
            "--runs", "1" if quick else "3",
            "--camera-runs", "1" if quick else "5",
            "--clicks", "10" if quick else "25",
        )  # fmt: skip
        result["details"]["browser"] = shown
        result["versions"]["chromium"] = shown["chromium"]
        result["conditions"] = shown["conditions"]
        result["drilldown_browser_p95_ms"] = shown["drilldown"]["p95"]
        result["page_first_render_ms"] = {p: v["p50"] for p, v in shown["pages"].items()}
        result["camera_map_70k_first_render_ms"] = shown["camera_map"]["p50"]
        cameras = stores.cameras_in(main, "321300")
        result["details"]["camera_map_cameras"] = cameras
        if cameras < 70_000:
            result["notes"]["camera_map_70k_first_render_ms"] = (
                f"measured on the {main_kind} store: 宿迁市 has {cameras:,} cameras, not 70k"
            )
    else:
        for key in ("drilldown_browser_p95_ms", "page_first_render_ms",
                    "camera_map_70k_first_render_ms"):  # fmt: skip
            harness.missing(result, key, "--no-browser")

    say("loading speed (benchmarks/bench_load.py)")
    loads(result, "small" if quick else "city")

    factors = (1, 10) if quick else (1, 10, 100)
    first = server if quick else None
    cost_growth(result, small, factors, quick, first)

    say("done")
    result["details"]["phases_s"] = dict(PHASES)
    result["machine"]["loadavg_end"] = harness.load_average()
    result["seconds"] = round(time.perf_counter() - started, 1)
    harness.finish(result)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / ("quick.json" if quick else "latest.json")
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    say(f"wrote {out.relative_to(HERE.parent)} in {result['seconds']} s")
    if markdown if markdown is not None else not quick:
        text = BENCHMARKS_MD.read_text(encoding="utf-8")
        BENCHMARKS_MD.write_text(
            harness.replace_section(text, harness.render_section(result)), encoding="utf-8"
        )
        say("updated the generated section of BENCHMARKS.md")
    print(harness.render_table(result))
    return result


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="Small store, < 60 s, quick.json.")
    parser.add_argument("--no-browser", action="store_true", help="Skip the Chromium timings.")
    parser.add_argument("--markdown", action=argparse.BooleanOptionalAction, default=None,
                        help="Update BENCHMARKS.md (default: only without --quick).")  # fmt: skip
    args = parser.parse_args(argv)
    run(args.quick, browser=not args.no_browser, markdown=args.markdown)


if __name__ == "__main__":
    main()
