"""Time the monthly report of a city, end to end, in each format (issue 11).

Usage::

    .venv/bin/python -m benchmarks.bench_report --data-dir DIR [--scope 320100]
        [--month 2026-11] [--runs 3] --json-out F

Each run is what ``cityops report`` does after start-up: the content asked of the
store (:func:`cityops.reports.content.build`) and the layout (Chromium for PDF and
HTML, XlsxWriter for Excel), one fresh Chromium per report. The read cache is
cleared before every run, so each report asks the store afresh (as a cron job's
new process does). Writes
``{"pdf": {"runs_s": [...], "median_s", "bytes", "pages"}, "html": …, "xlsx": …,
"build_s": …}`` to the JSON file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from cityops.periods import period_of
from cityops.queries.context import Context
from cityops.reports import FORMATS, make
from cityops.reports.content import build
from cityops.settings import get_settings
from cityops.store.executor import clear_cache


def _pages(pdf: bytes) -> int | None:
    """Return the PDF's page count (pdfinfo), or None without poppler-utils."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        try:
            out = subprocess.run(["pdfinfo", f.name], capture_output=True, text=True).stdout
        except FileNotFoundError:
            return None
    for line in out.splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    return None


def measure(data_dir: Path, scope_code: str, month: dt.date, runs: int) -> dict:
    """Return the timings of ``runs`` reports of ``scope_code`` for ``month`` per format."""
    ctx = Context(get_settings(data_dir=str(data_dir), database_url=""))
    geo = ctx.geo
    scope, allowed = geo.scope(scope_code), geo.scope(None)
    period = period_of("monthly", month)
    out: dict = {"scope": scope_code, "period": [str(period.start), str(period.end)]}
    build_s = []
    for _ in range(runs):
        clear_cache()
        started = time.perf_counter()
        build(ctx, scope=scope, period=period, allowed=allowed)
        build_s.append(time.perf_counter() - started)
    out["build_s"] = round(statistics.median(build_s), 2)
    out["build_runs_s"] = [round(t, 2) for t in build_s]
    for fmt in FORMATS:
        times, size, content = [], 0, b""
        for _ in range(runs):
            clear_cache()
            started = time.perf_counter()
            content, _ = make(ctx, scope=scope, period=period, fmt=fmt, allowed=allowed)
            times.append(time.perf_counter() - started)
            size = len(content)
        out[fmt] = {"runs_s": [round(t, 2) for t in times],
                    "median_s": round(statistics.median(times), 2), "bytes": size}  # fmt: skip
        if fmt == "pdf":
            out[fmt]["pages"] = _pages(content)
    ctx.storage.close()
    return out


def main() -> None:
    """Parse the command line, measure, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--scope", default="320100")
    parser.add_argument("--month", default="2026-11-01", type=dt.date.fromisoformat)
    parser.add_argument("--runs", default=3, type=int)
    parser.add_argument("--json-out", required=True, type=Path)
    args = parser.parse_args()
    result = measure(args.data_dir, args.scope, args.month, args.runs)
    args.json_out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
