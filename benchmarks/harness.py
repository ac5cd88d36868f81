"""The pure parts of ``make bench``: the result's keys, the goals, the Markdown table.

Nothing here times anything or opens a store, so ``tests/unit/test_bench_harness.py``
checks it in milliseconds. :mod:`benchmarks.run` fills a result made by
:func:`new_result`, then calls :func:`finish` (goals met or not) and
:func:`render_section` / :func:`replace_section` to update ``BENCHMARKS.md``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import statistics
from collections.abc import Sequence
from pathlib import Path

#: Every key a result carries, in the order the table shows them. A key that was not
#: measured stays present with ``None`` and a line in ``result["reasons"]``.
KEYS: tuple[str, ...] = (
    "kpis_server_p50_ms",
    "kpis_server_p95_ms",
    "drilldown_server_p95_ms",
    "drilldown_browser_p95_ms",
    "page_first_render_ms",
    "camera_map_70k_first_render_ms",
    "cameras_csv_rows_per_s",
    "gps_csv_rows_per_s",
    "naive_pandas_kpis_p50_ms",
    "naive_over_cityops_ratio",
    "pdf_report_small_s",
    "pdf_report_s",
    "cost_growth",
)

#: Issue 9's goals: key → (comparison, bound, unit). They are stated for the city store.
GOALS: dict[str, tuple[str, float, str]] = {
    "kpis_server_p50_ms": ("<=", 18.0, "ms"),
    "drilldown_server_p95_ms": ("<=", 50.0, "ms"),
    "drilldown_browser_p95_ms": ("<=", 300.0, "ms"),
    "camera_map_70k_first_render_ms": ("<=", 1000.0, "ms"),
    "cameras_csv_rows_per_s": (">=", 300_000.0, "rows/s"),
    "gps_csv_rows_per_s": (">=", 300_000.0, "rows/s"),
    "pdf_report_small_s": ("<=", 10.0, "s"),  # issue 11: on the small demo
}
#: The store a goal is stated for, where it is not the city store.
GOAL_STORE: dict[str, str] = {"pdf_report_small_s": "small"}

#: What each key measures, for the table (one short line each).
LABELS: dict[str, str] = {
    "kpis_server_p50_ms": "14 KPIs of one scope, app's KPI function, read cache cleared, p50",
    "kpis_server_p95_ms": "same, p95",
    "drilldown_server_p95_ms": "drill click, server: page callback + child geometry, p95",
    "drilldown_browser_p95_ms": "drill click in Chromium until the new scope is drawn, p95",
    "page_first_render_ms": "navigation until the page is drawn (condition in JSON)",
    "camera_map_70k_first_render_ms": "/video?scope=321300 until camera clusters are drawn",
    "cameras_csv_rows_per_s": "camera CSV load, end to end",
    "gps_csv_rows_per_s": "GPS CSV load, end to end",
    "naive_pandas_kpis_p50_ms": "same 14 KPIs in plain pandas over the raw tables, p50",
    "naive_over_cityops_ratio": "naive pandas p50 / cityops p50",
    "pdf_report_small_s": "monthly PDF report of 南京市, content + Chromium, small demo, median",
    "pdf_report_s": "monthly PDF report of 南京市, content + Chromium, the run's store, median",
}

START = "<!-- bench:start -->"
END = "<!-- bench:end -->"
SCHEMA = 1


def new_result(mode: str, store: dict) -> dict:
    """Return an empty result: every key ``None``, the run's mode and store described.

    ``reasons`` says why a key is ``None``; ``notes`` qualifies a value (say, measured
    on another store than its goal's); ``conditions`` what a browser timing waits for.
    """
    result: dict = {"schema": SCHEMA, "mode": mode, "store": store}
    result.update(dict.fromkeys(KEYS))
    result.update({"reasons": {}, "notes": {}, "conditions": {}, "details": {}, "goals": {}})
    return result


def missing(result: dict, key: str, reason: str) -> None:
    """Record that ``key`` was not measured, and why (the value stays ``None``)."""
    result[key] = None
    result["reasons"][key] = reason


def percentile(samples: Sequence[float], q: float) -> float:
    """Return the ``q``-th percentile (0–100) of ``samples``, linear between ranks."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(samples: Sequence[float]) -> dict:
    """Return ``{n, p50, p95, max}`` of millisecond samples, rounded to 0.1 ms."""
    return {
        "n": len(samples),
        "p50": round(statistics.median(samples), 1),
        "p95": round(percentile(samples, 95), 1),
        "max": round(max(samples), 1),
    }


def goal_met(key: str, value) -> bool | None:
    """Return whether ``value`` meets the goal of ``key`` (None: no goal or no value)."""
    if key not in GOALS or value is None:
        return None
    op, bound, _ = GOALS[key]
    return value <= bound if op == "<=" else value >= bound


def finish(result: dict) -> dict:
    """Fill ``result["goals"]`` (met or not, and on which store) and check the key set."""
    for key, (op, bound, unit) in GOALS.items():
        result["goals"][key] = {
            "goal": f"{op} {bound:g} {unit}",
            "met": goal_met(key, result.get(key)),
            "goal_store": GOAL_STORE.get(key, "city"),
            "measured_on": GOAL_STORE.get(key) or result["store"].get("kind"),
        }
    for key in KEYS:
        if result.get(key) is None and key not in result["reasons"]:
            result["reasons"][key] = "not measured (no reason recorded)"
    return result


# ----------------------------------------------------------------- filling
def fill_report(result: dict, key: str, measured: dict) -> None:
    """Set ``key`` (``pdf_report_s`` or ``pdf_report_small_s``) from bench_report's JSON."""
    result["details"].setdefault("reports", {})[key] = measured
    result[key] = measured["pdf"]["median_s"]


SERVER_KEYS = (
    "kpis_server_p50_ms",
    "kpis_server_p95_ms",
    "drilldown_server_p95_ms",
    "naive_pandas_kpis_p50_ms",
    "naive_over_cityops_ratio",
)
BROWSER_KEYS = (
    "drilldown_browser_p95_ms",
    "page_first_render_ms",
    "camera_map_70k_first_render_ms",
)


def fill_server(result: dict, server: dict) -> None:
    """Set the server-side keys from :mod:`benchmarks.bench_queries`' JSON."""
    result["details"]["server"] = server
    result["kpis_server_p50_ms"] = server["kpis"]["kpis"]["p50"]
    result["kpis_server_p95_ms"] = server["kpis"]["kpis"]["p95"]
    result["drilldown_server_p95_ms"] = server["drill"]["total"]["p95"]
    naive = server["naive"]
    result["naive_pandas_kpis_p50_ms"] = naive["kpis"]["p50"]
    result["naive_over_cityops_ratio"] = round(
        naive["kpis"]["p50"] / server["kpis"]["kpis"]["p50"], 1
    )
    if not naive["same_answers"]:
        result["notes"]["naive_over_cityops_ratio"] = (
            "the naive answers differ from the app's for some scopes: "
            + json.dumps(naive["differences"], ensure_ascii=False)[:300]
        )


def fill_browser(result: dict, shown: dict, cameras: int) -> None:
    """Set the browser keys from :mod:`benchmarks.bench_browser`' JSON.

    ``cameras`` is how many cameras 宿迁市 has in the store measured: below 70k, a
    note says the 70k key was measured on fewer.
    """
    result["details"]["browser"] = shown
    result["versions"]["chromium"] = shown["chromium"]
    result["conditions"] = shown["conditions"]
    failed = {name: part["error"] for name, part in shown.items()
              if isinstance(part, dict) and "error" in part}  # fmt: skip
    for key, name in (("drilldown_browser_p95_ms", "drilldown"),
                      ("page_first_render_ms", "pages"),
                      ("camera_map_70k_first_render_ms", "camera_map")):  # fmt: skip
        if name in failed:
            missing(result, key, f"failed in Chromium: {failed[name]}")
    if "drilldown" not in failed:
        result["drilldown_browser_p95_ms"] = shown["drilldown"]["p95"]
        result["details"]["drilldown_browser_clicks"] = shown["drilldown"]["n"]
    if "pages" not in failed:
        pages = shown["pages"]
        result["page_first_render_ms"] = {p: v.get("p50") for p, v in pages.items()}
        broken = {p: v["error"] for p, v in pages.items() if "error" in v}
        if broken:
            result["notes"]["page_first_render_ms"] = "not measured: " + "; ".join(
                f"{p}: {e}" for p, e in broken.items()
            )
    result["details"]["camera_map_cameras"] = cameras
    if "camera_map" in failed:
        return
    result["camera_map_70k_first_render_ms"] = shown["camera_map"]["p50"]
    if cameras < 70_000:
        result["notes"]["camera_map_70k_first_render_ms"] = (
            f"measured on the {result['store'].get('kind')} store: 宿迁市 has {cameras:,} "
            "cameras, not 70k"
        )


def growth_row(measured: dict, rows: int) -> dict:
    """Return one cost-growth row from :mod:`benchmarks.bench_queries`' JSON (kpis, pages)."""
    by_path = measured["pages"]["by_path"]
    pages = sorted(v["p50"] for v in by_path.values())
    return {
        "rows": rows,
        "kpis_p50_ms": measured["kpis"]["kpis"]["p50"],
        "kpis_p95_ms": measured["kpis"]["kpis"]["p95"],
        "map_values_p50_ms": measured["kpis"]["map_values"]["p50"],
        "pages_p50_ms": round(statistics.median(pages), 1),
        "pages_ms": {p: v["p50"] for p, v in by_path.items()},
    }


# ----------------------------------------------------------------- machine
def machine() -> dict:
    """Return the machine: cores, RAM, CPU model, load averages, OS."""
    model = platform.processor() or platform.machine()
    ram_gb = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "ram_gb": ram_gb,
        "cpu": model,
        "os": f"{platform.system()} {platform.release()}",
        "loadavg_start": load_average(),
    }


def load_average() -> list[float] | None:
    """Return the 1, 5 and 15-minute load averages (None where the OS has none)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def now_iso() -> str:
    """Return the local time, to the second, with its offset."""
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


# ----------------------------------------------------------------- rendering
def _fmt(value, unit: str = "") -> str:
    if value is None:
        return "—"
    if (isinstance(value, float) and value >= 1000) or isinstance(value, int):
        text = f"{value:,.0f}"
    else:
        text = f"{value:.1f}" if isinstance(value, float) else str(value)
    return f"{text} {unit}".strip()


def _met(flag: bool | None) -> str:
    return {True: "met", False: "**not met**", None: "—"}[flag]


def _unit(key: str) -> str:
    if key.endswith("_ms"):
        return "ms"
    if key.endswith("_per_s"):
        return "rows/s"
    return ""


def render_table(result: dict) -> str:
    """Return the Markdown of one result: header lines, key table, cost growth table."""
    m, v, store = result.get("machine", {}), result.get("versions", {}), result["store"]
    load = (m.get("loadavg_start"), m.get("loadavg_end"))
    lines = [
        f"Run {result.get('date', '?')} (`{result.get('command', 'make bench')}`, "
        f"{result.get('seconds', '?')} s) on {m.get('cores')} cores, {m.get('ram_gb')} GB RAM, "
        f"{m.get('cpu')}; load average at start / end {load[0]} / {load[1]}.",
        f"Python {v.get('python')}, DuckDB {v.get('duckdb')}, Dash {v.get('dash')}, "
        f"Chromium {v.get('chromium')}.",
        f"Store: {store.get('kind')} (`{store.get('path')}`), "
        + ", ".join(f"{k} {n:,}" for k, n in (store.get("rows") or {}).items())
        + ".",
        "",
        "| key | value | goal | met |",
        "|---|---|---|---|",
    ]
    for key in KEYS:
        if key == "cost_growth":
            continue
        value = result.get(key)
        goal = result["goals"].get(key, {})
        if key == "page_first_render_ms" and isinstance(value, dict):
            for page, ms in value.items():
                lines.append(f"| `{key}` `{page}` | {_fmt(ms, 'ms')} | — | — |")
            continue
        shown = (
            _fmt(value, _unit(key))
            if key != "naive_over_cityops_ratio"
            else ("—" if value is None else f"{value:.1f}×")
        )
        if value is None and key in result["reasons"]:
            shown = f"— ({result['reasons'][key]})"
        lines.append(f"| `{key}` | {shown} | {goal.get('goal', '—')} | {_met(goal.get('met'))} |")
    growth = result.get("cost_growth")
    if isinstance(growth, dict) and growth.get("factors"):
        lines += [
            "",
            "Cost growth (" + growth.get("method", "") + "):",
            "",
            "| factor | rows | 14 KPIs p50 ms | map values p50 ms | pages p50 ms |",
            "|---|---|---|---|---|",
        ]
        for factor, row in growth["factors"].items():
            if row is None:
                reason = growth.get("reasons", {}).get(factor, "not measured")
                lines.append(f"| {factor}× | — ({reason}) | — | — | — |")
                continue
            lines.append(
                f"| {factor}× | {row['rows']:,} | {_fmt(row.get('kpis_p50_ms'))} | "
                f"{_fmt(row.get('map_values_p50_ms'))} | {_fmt(row.get('pages_p50_ms'))} |"
            )
    lines += _detail_lines(result)
    notes = result.get("notes") or {}
    if notes:
        lines += ["", "Notes:", ""]
        lines += [f"- `{k}`: {text}" for k, text in notes.items()]
    conditions = result.get("conditions") or {}
    if conditions:
        lines += ["", "What each browser timing waits for:", ""]
        lines += [f"- `{k}`: {text}" for k, text in conditions.items()]
    return "\n".join(lines)


def _detail_lines(result: dict) -> list[str]:
    """Return the bullet lines that say how the keys above were measured (what exists)."""
    d, out = result.get("details") or {}, []
    server = d.get("server") or {}
    kpis = server.get("kpis") or {}
    if "kpis" in kpis:
        below = kpis.get("map_values", {})
        out.append(
            f"- KPIs: {kpis['kpis']['n']} timings over {kpis.get('scopes')} scopes; map values "
            f"below a scope p50 {below.get('p50')} / p95 {below.get('p95')} ms."
        )
    drill = server.get("drill") or {}
    if "page_callback" in drill:
        first = drill.get("geometry_first", {})
        out.append(
            f"- Drill, server: page callback p50 {drill['page_callback']['p50']} / p95 "
            f"{drill['page_callback']['p95']} ms, child geometry p95 {drill['geometry']['p95']} "
            f"ms (its first build per store version p95 {first.get('p95')} ms), "
            f"{len(drill.get('clicks', []))} clicks × {drill.get('repeat')}."
        )
    naive = server.get("naive") or {}
    if "kpis" in naive:
        same = "the same answers as the app" if naive.get("same_answers") else "DIFFERENT answers"
        out.append(
            f"- Naive pandas: {naive.get('rows_in_memory', 0):,} rows read into memory in "
            f"{naive.get('read_s')} s (not timed), {same}."
        )
    drilldown = (d.get("browser") or {}).get("drilldown") or {}
    if "n" in drilldown:
        out.append(f"- Drill, Chromium: {drilldown['n']} clicks, p50 {drilldown['p50']:.0f} ms.")
    loads = d.get("loads") or {}
    if loads:
        demo = loads.get("demo_build_s")
        out.append(
            f"- Loads: {loads.get('cameras_rows', 0):,} camera rows in "
            f"{loads.get('cameras_command_s')} s, {loads.get('gps_rows', 0):,} GPS rows in "
            f"{loads.get('gps_command_s')} s (whole `cityops load` commands)"
            + (f"; `cityops demo` at this scale {demo} s." if demo else ".")
        )
    start = (result.get("machine") or {}).get("loadavg_start") or [0]
    cores = (result.get("machine") or {}).get("cores") or 1
    if start[0] > cores:
        out.append(
            f"- The machine was busy (load average {start[0]} on {cores} cores, other work "
            "running): absolute numbers are pessimistic; compare ratios within this run."
        )
    return ["", *out] if out else []


def render_section(result: dict) -> str:
    """Return the whole generated section, markers included."""
    return (
        f"{START}\n## `make bench` — generated, do not edit by hand\n\n"
        f"{render_table(result)}\n{END}"
    )


def replace_section(text: str, section: str) -> str:
    """Return ``text`` with the marked section replaced by ``section``.

    Without markers, the section goes after the file's first paragraph block (the
    title and introduction), before the first ``## `` heading, so sections others
    append at the end stay at the end.
    """
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    if pattern.search(text):
        return pattern.sub(lambda _: section, text, count=1)
    head = re.search(r"^## ", text, re.M)
    if head is None:
        return text.rstrip("\n") + "\n\n" + section + "\n"
    return text[: head.start()] + section + "\n\n" + text[head.start() :]
