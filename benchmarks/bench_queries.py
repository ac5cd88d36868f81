"""Latency of the KPI layer and the API on the small demo store.

Usage: ``.venv/bin/python benchmarks/bench_queries.py [--repeat N]``. Builds a
fresh demo store in a temporary folder, then prints a Markdown table of medians
and 95th percentiles, plus the size of the geometry each map level downloads.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import platform
import statistics
import tempfile
import time
from pathlib import Path

from cityops.geo import geography
from cityops.queries import child_kpis, scope_kpis
from cityops.queries.context import Context, install
from cityops.settings import get_settings
from cityops.store.versions import Storage
from loaders.boundaries import load_boundaries
from loaders.demo_files import run_demo


def timed(fn, repeat: int) -> tuple[float, float]:
    """Return (median, p95) wall time of ``fn`` in milliseconds."""
    fn()  # warm
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


def main() -> None:
    """Build the demo store, time the questions, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--scale", choices=["small", "city"], default="small")
    parser.add_argument("--data-dir", help="Use this existing store instead of building one.")
    args = parser.parse_args()
    folder = args.data_dir or tempfile.mkdtemp(prefix="cityops-bench-")
    settings = get_settings(data_dir=folder, database_url="")
    storage = Storage(settings)
    now = dt.datetime(2026, 11, 25, 10, 30)
    if not args.data_dir:
        build(storage, settings, folder, args.scale, now)
    run(settings, args.repeat, now)


def build(storage, settings, folder, scale, now) -> None:
    """Build a demo store of ``scale`` in ``folder``."""
    with storage.writer() as engine:
        load_boundaries(engine)
    with storage.writer() as engine:
        geo = geography(engine, settings.city_codes, settings.grid_resolution)
        run_demo(engine, geo, Path(folder) / "demo", seed=7, scale=scale, today=now.date(), now=now)


def run(settings, repeat: int, now) -> None:
    """Time the questions against the store of ``settings`` and print the tables."""
    ctx = Context(settings)
    install(ctx)
    from app import create_app

    client = create_app(settings).server.test_client()
    allowed = ctx.geo.scope(None)
    cell = ctx.geo.grid_cells("320102")[60]
    day = now.date()
    rows = []
    for label, code in [
        ("province", None),
        ("city 南京", "320100"),
        ("district 玄武", "320102"),
        ("grid cell", cell),
    ]:
        scope = ctx.geo.scope(code)
        one = timed(lambda s=scope: scope_kpis(ctx, scope=s, day=day, allowed=allowed), repeat)
        rows.append((f"14 KPIs, {label}", *one))
        if scope.level != "grid":
            below = timed(
                lambda s=scope: child_kpis(ctx, scope=s, day=day, allowed=allowed), repeat
            )
            rows.append((f"map values below {label}", *below))
    rows.append(
        (
            "GET /api/v1/kpis (district), in-process",
            *timed(lambda: client.get("/api/v1/kpis?scope=320102&date=2026-11-25"), repeat),
        )
    )

    print(
        f"machine: {platform.node()} · {platform.processor() or platform.machine()} · "
        f"Python {platform.python_version()} · {dt.date.today()}"
    )
    print("\n| what | p50 ms | p95 ms |\n|---|---|---|")
    for name, p50, p95 in rows:
        print(f"| {name} | {p50:.1f} | {p95:.1f} |")
    print("\n| map geometry | bytes | gzip bytes |\n|---|---|---|")
    for label, code in [
        ("13 cities", "320000"),
        ("南京 districts", "320100"),
        ("玄武 grid cells", "320102"),
        ("沭阳 grid cells", "321322"),
    ]:
        body = client.get(f"/api/v1/geo/{code}/children.geojson").data
        print(f"| {label} | {len(body):,} | {len(gzip.compress(body)):,} |")


if __name__ == "__main__":
    main()
