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
import inspect
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


class Failed(RuntimeError):
    """A measuring process failed; the message is the end of what it printed."""


def in_process(module: str, *args: str) -> dict:
    """Run ``python -m benchmarks.<module> args --json-out F`` in a new process; return F.

    Raises :class:`Failed` with the last lines of its error output when it fails.
    """
    with tempfile.TemporaryDirectory(prefix="cityops-bench-") as tmp:
        out = Path(tmp) / "out.json"
        cmd = [sys.executable, "-m", f"benchmarks.{module}", *args, "--json-out", str(out)]
        done = subprocess.run(cmd, cwd=HERE.parent, stderr=subprocess.PIPE, text=True)
        if done.stderr:
            sys.stderr.write(done.stderr)
        if done.returncode != 0:
            tail = " | ".join(done.stderr.strip().splitlines()[-3:])
            raise Failed(f"exit {done.returncode}: {tail}"[:400])
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


def loads(result: dict, scale: str, demo: bool) -> None:
    """Fill the loading keys from ``benchmarks/bench_load.py`` (null with a reason if absent).

    Its files and boundaries store are kept in ``benchmarks/.stores/load`` (written once);
    ``demo`` also times ``cityops demo`` at ``scale`` into a fresh store.
    """
    keys = ("cameras_csv_rows_per_s", "gps_csv_rows_per_s")
    try:
        bench_load = importlib.import_module("benchmarks.bench_load")
    except ImportError as exc:
        for key in keys:
            harness.missing(result, key, f"benchmarks/bench_load.py not importable: {exc}")
        return
    try:
        extra = {"demo": demo} if "demo" in inspect.signature(bench_load.measure).parameters else {}
        measured = bench_load.measure(stores.STORES / "load", scale=scale, **extra)
    except Exception as exc:  # a failing loader benchmark must not lose the rest
        for key in keys:
            harness.missing(result, key, f"bench_load.measure failed: {exc!r}"[:300])
        return
    result["details"]["loads"] = measured
    for key in keys:
        value = measured.get(key) if isinstance(measured, dict) else None
        if value is None:
            harness.missing(result, key, f"bench_load.measure returned no {key}")
        else:
            result[key] = round(float(value))
    if scale != "city":
        for key in keys:
            result["notes"][key] = (
                f"{scale} files ({measured.get('cameras_rows')} camera rows, "
                f"{measured.get('gps_rows')} GPS rows): the command's start-up dominates; "
                "the goal is for the city files"
            )


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
        try:
            path = stores.readable(stores.ensure_growth(small, factor, say=say), say=say)
            if factor == 1 and first is not None:
                measured = first
            else:
                say(f"cost growth {factor}×: KPIs and page queries")
                measured = in_process("bench_queries", "--data-dir", str(path), "--what",
                                      "kpis,pages", "--repeat", "1" if quick else "5",
                                      "--map-repeat", "1" if quick else "3",
                                      "--pages-repeat", "1" if quick else "3")  # fmt: skip
        except (Failed, subprocess.CalledProcessError, OSError) as exc:
            growth["factors"][key] = None
            growth["reasons"][key] = f"failed: {exc}"[:300]
            continue
        rows = sum(stores.table_rows(path).values())
        growth["factors"][key] = harness.growth_row(measured, rows)
    result["cost_growth"] = growth


def write_markdown(result: dict) -> None:
    """Replace the generated section of BENCHMARKS.md with ``result``'s table."""
    text = BENCHMARKS_MD.read_text(encoding="utf-8")
    BENCHMARKS_MD.write_text(
        harness.replace_section(text, harness.render_section(result)), encoding="utf-8"
    )
    say("updated the generated section of BENCHMARKS.md")


def run(
    quick: bool, browser: bool = True, markdown: bool | None = None, demo_build: bool = True
) -> dict:
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
    try:
        server = in_process(
            "bench_queries", "--data-dir", str(main),
            "--repeat", "3" if quick else "10",
            "--map-repeat", "1" if quick else "5",
            "--drill-repeat", "1" if quick else "3",
            "--pages-repeat", "1" if quick else "5",
            "--naive-repeat", "1" if quick else "2",
        )  # fmt: skip
        harness.fill_server(result, server)
    except Failed as exc:
        server = None
        for key in harness.SERVER_KEYS:
            harness.missing(result, key, f"bench_queries failed: {exc}")

    if browser:
        say(f"browser on {main}")
        try:
            shown = in_process(
                "bench_browser", "--data-dir", str(main),
                "--runs", "1" if quick else "3",
                "--camera-runs", "1" if quick else "5",
                "--clicks", "10" if quick else "25",
            )  # fmt: skip
            harness.fill_browser(result, shown, stores.cameras_in(main, "321300"))
        except Failed as exc:
            for key in harness.BROWSER_KEYS:
                harness.missing(result, key, f"bench_browser failed: {exc}")
    else:
        for key in harness.BROWSER_KEYS:
            harness.missing(result, key, "--no-browser")

    say("reports: a city's monthly PDF (benchmarks/bench_report.py)")
    targets = [("pdf_report_small_s", small)] + ([] if quick else [("pdf_report_s", main)])
    if quick:
        harness.missing(result, "pdf_report_s", "--quick: measured on the small store only "
                        "(pdf_report_small_s)")  # fmt: skip
    for key, path in targets:
        try:
            runs = "1" if quick else "3"
            measured = in_process("bench_report", "--data-dir", str(path), "--scope", "320100",
                                  "--month", "2026-11-01", "--runs", runs)  # fmt: skip
            harness.fill_report(result, key, measured)
        except Failed as exc:
            harness.missing(result, key, f"bench_report failed: {exc}")

    say("loading speed (benchmarks/bench_load.py)")
    loads(result, "small" if quick else "city", demo=not quick and demo_build)

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
        write_markdown(result)
    print(harness.render_table(result))
    return result


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="Small store, < 60 s, quick.json.")
    parser.add_argument("--no-browser", action="store_true", help="Skip the Chromium timings.")
    parser.add_argument("--markdown", action=argparse.BooleanOptionalAction, default=None,
                        help="Update BENCHMARKS.md (default: only without --quick).")  # fmt: skip
    parser.add_argument(
        "--no-demo-build",
        action="store_true",
        help="Do not time `cityops demo --scale city` (~5 min) in make bench.",
    )
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="Only rewrite BENCHMARKS.md's section from results/latest.json.",
    )
    args = parser.parse_args(argv)
    if args.render_only:
        result = json.loads((RESULTS / "latest.json").read_text(encoding="utf-8"))
        write_markdown(result)
        return
    run(args.quick, browser=not args.no_browser, markdown=args.markdown,
        demo_build=not args.no_demo_build)  # fmt: skip


if __name__ == "__main__":
    main()
