"""Browser timings: how long an analyst waits, in Debian's Chromium (headless).

Usage (``make bench`` runs it)::

    .venv/bin/python -m benchmarks.bench_browser --data-dir <store> [--runs 3] [--clicks 25]
        [--json-out FILE]

Starts ``cityops serve --demo`` on the store (its log in a temporary folder, never in
the store; login on, see :func:`benchmarks.soak.start_server`), signs in as the demo
admin through the login form (:func:`benchmarks.soak.sign_in`) and drives
``/usr/bin/chromium`` through Playwright with the project's flags. Every navigation
uses a new browser context (no HTTP cache; only the login's session cookie). Timings are
taken inside the page (``performance.now()``): from navigation start, or from the
click event, to the first frame painted after the DOM condition holds (two animation
frames). The conditions are in :data:`CONDITIONS` and in the JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import time
from pathlib import Path

import requests

from benchmarks import harness, soak
from benchmarks.stores import TODAY
from cityops.reports.browser import CHROMIUM_ARGS

CHROMIUM = soak.CHROMIUM
#: The flags the reports launch Chromium with (headless, nothing that phones home).
ARGS = list(CHROMIUM_ARGS)
PAGES = ("/", "/video", "/hazmat", "/rentals", "/tourism", "/data")
CLUSTERS = ".cluster-icon, .marker-cluster"

CONDITIONS = {
    "page_first_render_ms": (
        f"navigation start of `<page>?date={TODAY}` (the province) in a new browser context "
        "until: the page's root (`.overview[data-scope]`, `.domain-page[data-scope]` or "
        "`.data-page`) is in Dash's page container; every KPI card (`[data-kpi]`) has its "
        "`data-value`; where the page has a map, its areas (`path[data-area]`), entities or "
        "camera clusters are drawn; every Plotly chart has its SVG; every AG Grid table has "
        "rows (or its no-rows overlay); nothing is `data-dash-is-loading`; then two animation "
        "frames (painted). A page showing an error, not-found or denied state fails the run. "
        "Median of the runs, each in a new context (no HTTP cache)."
    ),
    "camera_map_70k_first_render_ms": (
        f"navigation start of `/video?scope=321300&date={TODAY}` in a new browser context "
        f"until a camera cluster (`{CLUSTERS}`) is in the DOM with a non-empty box, then two "
        "animation frames (what the user sees: clusters, not the page's other panels). "
        "Median of the runs; the first run is the server's first request for the camera "
        "layer (cached per store version after it)."
    ),
    "drilldown_browser_p95_ms": (
        "the click event on an area of the overview's map (a point inside its shape where "
        "it is the topmost element) until `.overview[data-scope=<clicked>]` is drawn with "
        "every KPI card valued, an area of the new level (`path[data-area]` of a child) "
        "drawn and nothing `data-dash-is-loading`, then two animation frames. Clicks "
        "province → city, city → district, district → grid cell, each scope clicked once "
        "(new to the server's read cache), in one browser page as a user would."
    ),
}

_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
_FAILED = """
    const bad = document.querySelector(
        '[data-state="error"], [data-state="not-found"], [data-state="denied"]');
    if (bad) return 'failed: ' + bad.getAttribute('data-state') + ': ' + bad.textContent;
"""
_PAGE_DRAWN = (
    """() => {"""
    + _FAILED
    + """
    const root = document.querySelector(
        '#_pages_content .overview[data-scope], #_pages_content .domain-page[data-scope], '
        + '#_pages_content .data-page');
    if (!root) return false;
    if (document.querySelector('[data-dash-is-loading="true"]')) return false;
    const cards = Array.from(document.querySelectorAll('[data-kpi]'));
    if (cards.some(c => !c.hasAttribute('data-value'))) return false;
    const drawn = 'path[data-area], path[data-entity], .cluster-icon, .marker-cluster';
    if (document.querySelector('.leaflet-container') && !document.querySelector(drawn))
        return false;
    const plots = Array.from(document.querySelectorAll('.js-plotly-plot'));
    if (plots.some(p => !p.querySelector('.main-svg'))) return false;
    const grids = Array.from(document.querySelectorAll('.ag-root-wrapper'));
    if (grids.some(g => !g.querySelector('.ag-row, .ag-overlay-no-rows-wrapper'))) return false;
    return true;
}"""
)
_CLUSTERS_DRAWN = """(sel) => Array.from(document.querySelectorAll(sel)).some(e => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
})"""
_DRILLED = (
    """([scope, child]) => {"""
    + _FAILED
    + """
    if (!document.querySelector(`.overview[data-scope="${scope}"]`)) return false;
    if (document.querySelector('[data-dash-is-loading="true"]')) return false;
    const cards = Array.from(document.querySelectorAll('[data-kpi]'));
    if (!cards.length || cards.some(c => !c.hasAttribute('data-value'))) return false;
    return !!document.querySelector(`path[data-area="${child}"]`);
}"""
)
_VISIBLE_POINT = """(sel) => {
    const el = document.querySelector(sel);
    if (!el) return null;
    const r = el.getBoundingClientRect();
    const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
    let best = null, bestD = Infinity;
    for (let i = 1; i < 24; i++) for (let j = 1; j < 24; j++) {
        const x = r.left + r.width * i / 24, y = r.top + r.height * j / 24;
        if (document.elementFromPoint(x, y) === el) {
            const d = (x - cx) ** 2 + (y - cy) ** 2;
            if (d < bestD) { bestD = d; best = [x, y]; }
        }
    }
    return best;
}"""


def _held(handle, what: str) -> None:
    """Raise when a wait ended on a failed page rather than on its condition."""
    value = handle.json_value()
    if isinstance(value, str):
        raise RuntimeError(f"{what}: {value[:300]}")


@contextlib.contextmanager
def serving(data_dir: str, log_dir: str):
    """Run ``cityops serve --demo`` over ``data_dir`` and sign in; yield (base URL, session).

    The server's log goes to ``log_dir``; :mod:`benchmarks.soak` starts it and signs in.
    """
    proc, base = soak.start_server(Path(data_dir), Path(log_dir) / "server.log", wait_s=120)
    try:
        yield base, soak.sign_in(base, Path(data_dir))
    finally:
        soak.stop(proc, wait=15)


class Browser:
    """Chromium with the project's flags; a new context per measurement."""

    def __init__(self, playwright, base: str, session: str | None = None):
        self.base = base
        self.session = session
        self.browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        self.version = self.browser.version

    def page(self):
        """Return a new 1600×1000 zh-CN page in a new context (cold cache), signed in."""
        context = self.browser.new_context(viewport={"width": 1600, "height": 1000},
                                           locale="zh-CN")  # fmt: skip
        soak.add_session(context, self.session)
        return context.new_page()

    def navigation(self, url: str, condition: str, arg=None, timeout: int = 60_000) -> float:
        """Return ms from navigation start of ``url`` until ``condition`` holds and is painted."""
        page = self.page()
        try:
            page.goto(self.base + url, wait_until="commit", timeout=timeout)
            soak.not_at_login(page)
            _held(page.wait_for_function(condition, arg=arg, timeout=timeout, polling="raf"), url)
            page.evaluate(_FRAMES)
            return page.evaluate("() => performance.now()")
        finally:
            self.session = soak.session_in(page.context) or self.session
            page.context.close()

    def close(self) -> None:
        """Close the browser."""
        self.browser.close()


def first_renders(b: Browser, runs: int) -> dict:
    """Return each page's first render (median of ``runs``), or the error that stopped it."""
    samples: dict[str, list[float]] = {p: [] for p in PAGES}
    errors: dict[str, str] = {}
    for _ in range(runs):
        for path in PAGES:
            if path in errors:
                continue
            try:
                samples[path].append(b.navigation(f"{path}?date={TODAY}", _PAGE_DRAWN))
            except Exception as exc:  # one broken page must not hide the others' timings
                errors[path] = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
    return {p: {"error": errors[p]} if p in errors else harness.summary(s)
            for p, s in samples.items()}  # fmt: skip


def camera_map(b: Browser, runs: int, scope: str = "321300") -> dict:
    """Return the video page's camera clusters first render for ``scope`` (median)."""
    samples = [b.navigation(f"/video?scope={scope}&date={TODAY}", _CLUSTERS_DRAWN, CLUSTERS)
               for _ in range(runs)]  # fmt: skip
    return harness.summary(samples) | {"samples": [round(s) for s in samples]}


def children(base: str, code: str, session: str | None = None) -> list[str]:
    """Return the codes of the enabled areas the map shows below ``code``."""
    features = requests.get(f"{base}/api/v1/geo/{code}/children.geojson", timeout=60,
                            cookies=soak.cookies(session))  # fmt: skip
    features.raise_for_status()
    features = features.json()
    return [f["properties"]["code"] for f in features["features"]
            if f["properties"].get("enabled", True)]  # fmt: skip


def _settle(page) -> None:
    page.wait_for_function(
        """() => !document.querySelector('[data-dash-is-loading="true"]')
                 && !document.querySelector('.leaflet-zoom-anim, .leaflet-pan-anim')""",
        timeout=60_000,
    )
    page.evaluate(_FRAMES)


def click_and_wait(page, code: str, child: str) -> float | None:
    """Click area ``code`` on the map; return ms from the click event to the redraw painted.

    Returns None when the area has no visible point to click.
    """
    point = page.evaluate(_VISIBLE_POINT, f'path[data-area="{code}"]')
    if not point:
        return None
    page.evaluate("""() => { window.__clickAt = null;
        document.addEventListener('click', () => { window.__clickAt = performance.now(); },
                                  {capture: true, once: true}); }""")
    page.mouse.click(*point)
    _held(page.wait_for_function(_DRILLED, arg=[code, child], timeout=60_000, polling="raf"), code)
    page.evaluate(_FRAMES)
    return page.evaluate("() => performance.now() - window.__clickAt")


def drilldown(b: Browser, clicks: int) -> dict:
    """Click through the overview's map, ``clicks`` times at least; return the timings.

    Per city: province → city, city → district 1, district 1 → a grid cell, then
    (starting again at the city) city → district 2, district 2 → a grid cell; no scope
    is clicked twice. Rounds go on through the cities until ``clicks`` is reached.
    """
    samples, done, skipped = [], [], []
    cities = children(b.base, "320000", b.session)
    districts = {city: children(b.base, city, b.session) for city in cities}
    plan = [(city, districts[city][k]) for k in range(8) for city in cities
            if k < len(districts[city])]  # fmt: skip
    page = b.page()
    seen: set[str] = set()
    try:
        for city, district in plan:
            if len(samples) >= clicks:
                break
            if district in seen:
                continue
            if city not in seen:
                page.goto(f"{b.base}/?date={TODAY}")
                page.wait_for_selector(f'path[data-area="{city}"]', timeout=60_000)
                _settle(page)
                ms = click_and_wait(page, city, children(b.base, city, b.session)[0])
                _record(samples, done, skipped, "province", city, ms)
                seen.add(city)
            else:
                page.goto(f"{b.base}/?scope={city}&date={TODAY}")
                page.wait_for_selector(f'path[data-area="{district}"]', timeout=60_000)
            _settle(page)
            cells = children(b.base, district, b.session)
            ms = click_and_wait(page, district, cells[0] if cells else district)
            _record(samples, done, skipped, city, district, ms)
            seen.add(district)
            if ms is None or not cells:
                continue
            _settle(page)
            for cell in cells[len(cells) // 2 :] + cells[: len(cells) // 2]:
                if cell in seen:
                    continue
                ms = click_and_wait(page, cell, cell)
                if ms is not None:
                    _record(samples, done, skipped, district, cell, ms)
                    seen.add(cell)
                    break
    finally:
        b.session = soak.session_in(page.context) or b.session
        page.context.close()
    return harness.summary(samples) | {"clicks": done, "skipped": skipped}


def _record(samples, done, skipped, origin, target, ms) -> None:
    if ms is None:
        skipped.append(target)
    else:
        samples.append(ms)
        done.append([origin, target, round(ms)])


def measure(data_dir: str, *, runs: int, clicks: int, camera_runs: int) -> dict:
    """Start a server on ``data_dir`` and take every browser timing; return them."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="cityops-bench-") as logs, \
            serving(data_dir, logs) as (base, session), sync_playwright() as p:  # fmt: skip
        b = Browser(p, base, session)
        try:
            out = {"chromium": b.version, "conditions": CONDITIONS}
            t0 = time.perf_counter()
            for name, take in (
                ("camera_map", lambda: camera_map(b, camera_runs)),
                ("pages", lambda: first_renders(b, runs)),
                ("drilldown", lambda: drilldown(b, clicks)),
            ):
                try:
                    out[name] = take()
                except Exception as exc:  # one failing timing must not lose the others
                    out[name] = {"error": f"{type(exc).__name__}: {exc}".splitlines()[0][:300]}
                    print(f"bench_browser: {name} failed: {exc}", file=sys.stderr)
            out["seconds"] = round(time.perf_counter() - t0, 1)
            return out
        finally:
            b.close()


def main(argv: list[str] | None = None) -> None:
    """Measure and print (or write) JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--runs", type=int, default=3, help="Navigations per page.")
    parser.add_argument("--camera-runs", type=int, default=5)
    parser.add_argument("--clicks", type=int, default=25)
    parser.add_argument("--json-out")
    args = parser.parse_args(argv)
    out = measure(args.data_dir, runs=args.runs, clicks=args.clicks, camera_runs=args.camera_runs)
    text = json.dumps(out, ensure_ascii=False, indent=1)
    if args.json_out:
        Path(args.json_out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
