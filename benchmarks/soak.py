r"""The wall's soak test: memory, refreshes and the store over an hour of live writes.

Usage (an hour of wall time; the store folder is written to, so give it a copy)::

    cp -r /tmp/small /tmp/soak-small
    .venv/bin/python -m benchmarks.soak --data-dir /tmp/soak-small --minutes 60 --refresh 5 \\
        [--rotate 30] [--rate 20] [--sample-seconds 60] [--out soak.json]

    # in the background, as it takes an hour:
    nohup .venv/bin/python -m benchmarks.soak --data-dir /tmp/soak-small --minutes 60 \\
        --out /tmp/soak/soak.json > /tmp/soak/soak.out 2>&1 &

It copies nothing itself. It starts ``cityops serve --demo`` (the installed script, a
free port, login on: see :func:`start_server` and :func:`sign_in`; its schema brought up
to date by itself) and ``cityops simulate --rate R`` for the whole run (merging every
``CITYOPS_LIVE_MERGE_SECONDS``), signs in as the demo admin, then opens Debian's
Chromium through Playwright (``/usr/bin/chromium``, the project's flags plus
``--enable-precise-memory-info``; never ``playwright install``) on
``/wall?refresh=<refresh>&rotate=<rotate>`` at 1920×1080, and every ``--sample-seconds``
records:

- ``server_rss_mb``: resident memory of the serve process and its children (``/proc``);
- ``simulate_rss_mb``: the same for ``cityops simulate``;
- ``browser_uss_mb`` / ``browser_pss_mb``: Playwright's driver and Chromium's processes
  (every other descendant of this process): their private memory (USS, the one to watch
  for growth) and their proportional share (PSS, which moves with other Chromiums on the
  machine);
- ``js_heap_mb``: the page's ``JSHeapUsedSize`` (CDP ``Performance.getMetrics``) right
  after ``HeapProfiler.collectGarbage``, i.e. retained memory; ``dom_nodes`` (``Nodes``),
  ``listeners`` (``JSEventListeners``), ``documents``;
- ``tick``: the wall root's ``data-tick`` (the refresh count: proves refreshes happen),
  ``page``: the wall page shown, ``ticker_items``, ``map_markers``;
- ``store_mb``: the size of ``<data-dir>/store`` (versions and live batches);
- ``store_banner`` / ``server_banner``: the wall's "store not answering" and "server out of
  reach" banners are on;
- ``callback_ms_p50`` / ``callback_ms_max`` / ``callbacks``: the wall's
  ``/_dash-update-component`` POSTs since the last sample (Playwright's request timing);
- ``loadavg``: the machine's 1-minute load average.

It writes the samples as JSON (``--out``), prints a table and the growth — a
least-squares slope per hour of each memory series over the second half of the run
(after warm-up) and the medians of the first and the last ten minutes — and exits 1
if the server or the simulator died, or the wall's tick stopped advancing between two
samples (a refresh answered with an error still advances it), or the page reported an
uncaught error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from cityops.reports.browser import CHROMIUM_ARGS

#: Debian's Chromium (never ``playwright install``); ``CITYOPS_CHROMIUM`` names another.
CHROMIUM = os.environ.get("CITYOPS_CHROMIUM", "/usr/bin/chromium")
#: Debian's Chromium with the project's flags, plus exact heap numbers.
ARGS = [*CHROMIUM_ARGS, "--enable-precise-memory-info"]
#: The login session's cookie (``cityops.web.auth.SESSION_COOKIE``).
SESSION_COOKIE = "cityops_session"
#: Where ``cityops serve --demo`` keeps the local admin's name and password.
DEMO_LOGIN_FILE = "demo-login.txt"
VIEWPORT = {"width": 1920, "height": 1080}
#: The memory series whose growth is computed.
SERIES = (
    "server_rss_mb",
    "simulate_rss_mb",
    "browser_uss_mb",
    "browser_pss_mb",
    "js_heap_mb",
    "dom_nodes",
)
#: Minutes at each end of the run whose medians are compared.
WINDOW_MIN = 10.0

_SAMPLE_JS = """() => {
    const root = document.querySelector('#wall-root');
    const banner = document.querySelector('#wall-banner');
    const lost = document.querySelector('.wall-lost');
    return {
        tick: root ? root.getAttribute('data-tick') : null,
        page: root ? root.getAttribute('data-wall-page') : null,
        store_banner: !!(banner && banner.classList.contains('is-on')),
        server_banner: !!(lost && lost.classList.contains('is-on')),
        reload_pending: !!document.querySelector('[data-reload-after]'),
        ticker_items: document.querySelectorAll('.wall-tick[data-alarm-key]').length,
        alert_cards: document.querySelectorAll('.wall-alert-card').length,
        map_markers: document.querySelectorAll(
            '.leaflet-marker-icon, .leaflet-interactive').length,
    };
}"""


# ---------------------------------------------------------------- pure: the growth
def slope_per_hour(minutes: Sequence[float], values: Sequence[float | None]) -> float | None:
    """Return the least-squares slope of ``values`` over ``minutes``, in units per hour.

    Points whose value is None are left out; fewer than two points, or all at one
    minute, give None.
    """
    pts = [(float(m), float(v)) for m, v in zip(minutes, values, strict=True) if v is not None]
    if len(pts) < 2:
        return None
    mx = sum(m for m, _ in pts) / len(pts)
    my = sum(v for _, v in pts) / len(pts)
    sxx = sum((m - mx) ** 2 for m, _ in pts)
    if sxx == 0:
        return None
    sxy = sum((m - mx) * (v - my) for m, v in pts)
    return sxy / sxx * 60.0


def window_median(
    minutes: Sequence[float], values: Sequence[float | None], start: float, end: float
) -> float | None:
    """Return the median of the values sampled at ``start <= minute <= end`` (None: none)."""
    found = [
        float(v)
        for m, v in zip(minutes, values, strict=True)
        if v is not None and start <= m <= end
    ]
    return statistics.median(found) if found else None


def growth(
    samples: Sequence[dict], keys: Sequence[str] = SERIES, window: float = WINDOW_MIN
) -> dict:
    """Return, per series in ``keys``, how it grew over the run.

    ``{key: {"slope_per_hour_second_half", "first_median", "last_median", "change",
    "change_pct"}}``: the slope (units per hour) of a least-squares line through the
    samples of the second half of the run (minute ≥ half the last sample's minute: the
    warm-up left out), and the medians of the samples in the first and the last
    ``window`` minutes and their difference. A run shorter than ``2 × window`` compares
    its first and last thirds instead, so the windows never overlap.
    """
    minutes = [float(s["minute"]) for s in samples]
    if not minutes:
        return {k: None for k in keys}
    last = max(minutes)
    span = window if last >= 2 * window else last / 3
    half = last / 2
    out: dict[str, dict | None] = {}
    for key in keys:
        values = [s.get(key) for s in samples]
        late = [(m, v) for m, v in zip(minutes, values, strict=True) if m >= half]
        slope = slope_per_hour([m for m, _ in late], [v for _, v in late])
        first = window_median(minutes, values, 0.0, span)
        end = window_median(minutes, values, last - span, last)
        change = None if first is None or end is None else end - first
        pct = None if change is None or not first else 100.0 * change / first
        out[key] = {
            "slope_per_hour_second_half": _round(slope),
            "first_median": _round(first),
            "last_median": _round(end),
            "change": _round(change),
            "change_pct": _round(pct),
            "window_minutes": round(span, 2),
        }
    return out


def tick_stalls(samples: Sequence[dict]) -> list[float]:
    """Return the minutes of the samples whose tick did not advance since the one before.

    A sample without a tick (the wall not drawn) counts as stalled.
    """
    stalled: list[float] = []
    previous = None
    for s in samples:
        tick = _int(s.get("tick"))
        if tick is None or (previous is not None and tick <= previous):
            stalled.append(s["minute"])
        previous = tick if tick is not None else previous
    return stalled


def every(samples: Sequence[dict], minutes: float) -> list[dict]:
    """Return the samples nearest to each multiple of ``minutes`` (0, 5, 10, …), in order."""
    if not samples:
        return []
    last = max(s["minute"] for s in samples)
    picked: list[dict] = []
    mark = 0.0
    while mark <= last + minutes / 2:
        best = min(samples, key=lambda s: abs(s["minute"] - mark))
        if abs(best["minute"] - mark) <= minutes / 2 and (not picked or best is not picked[-1]):
            picked.append(best)
        mark += minutes
    return picked


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------- the machine
def _children(pid: int) -> list[int]:
    """Return the direct children of ``pid`` (every thread's children file)."""
    kids: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return kids
    for task in tasks:
        try:
            text = Path(f"/proc/{pid}/task/{task}/children").read_text()
        except OSError:
            continue
        kids += [int(x) for x in text.split()]
    return kids


def tree(pid: int) -> list[int]:
    """Return ``pid`` and all its descendants that are alive."""
    seen, todo = [], [pid]
    while todo:
        p = todo.pop()
        if p in seen or not Path(f"/proc/{p}").exists():
            continue
        seen.append(p)
        todo += _children(p)
    return seen


def rss_mb(pids: Sequence[int], field: str = "VmRSS") -> float | None:
    """Return the summed memory of ``pids`` in MB; None when none is alive.

    ``field``: ``VmRSS`` (``/proc/<pid>/status``: resident memory), ``Pss``
    (``/proc/<pid>/smaps_rollup``: shared pages divided among every process mapping
    them, so it falls when another Chromium starts on the machine) or ``Uss`` (the
    private pages, ``Private_Clean + Private_Dirty``: what these processes alone hold).
    """
    name = "status" if field == "VmRSS" else "smaps_rollup"
    wanted = ("Private_Clean:", "Private_Dirty:") if field == "Uss" else (field + ":",)
    total, alive = 0, False
    for p in pids:
        try:
            lines = Path(f"/proc/{p}/{name}").read_text().splitlines()
        except OSError:
            continue
        for line in lines:
            if line.startswith(wanted):
                total += int(line.split()[1])
                alive = True
    return round(total / 1024, 1) if alive else None


def folder_mb(path: Path) -> float:
    """Return the bytes of the files under ``path`` (files vanishing meanwhile skipped), in MB."""
    total = 0
    for dirpath, _, files in os.walk(path):
        for name in files:
            try:
                total += os.stat(os.path.join(dirpath, name)).st_size
            except OSError:
                continue
    return round(total / 1e6, 1)


def machine() -> dict:
    """Return the machine's cores, memory, load, and the versions that matter."""
    mem = {}
    for line in Path("/proc/meminfo").read_text().splitlines():
        key, value = line.split(":", 1)
        if key in ("MemTotal", "MemAvailable"):
            mem[key] = round(int(value.split()[0]) / 1024 / 1024, 1)
    versions = {"python": platform.python_version()}
    for name in ("dash", "dash_leaflet", "duckdb", "pandas", "playwright", "waitress"):
        try:
            from importlib.metadata import version

            versions[name] = version(name.replace("_", "-"))
        except Exception:  # a missing package is just not listed
            versions[name] = None
    try:
        out = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=20)
        versions["chromium"] = out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        versions["chromium"] = None
    return {
        "nproc": os.cpu_count(),
        "mem_total_gb": mem.get("MemTotal"),
        "mem_available_gb": mem.get("MemAvailable"),
        "loadavg": list(os.getloadavg()),
        "kernel": platform.release(),
        "versions": versions,
    }


def free_port() -> int:
    """Return a TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cityops_bin() -> str:
    """Return the installed ``cityops`` script next to this Python."""
    return str(Path(sys.executable).parent / "cityops")


def start_server(
    data_dir: Path,
    log_path: Path,
    env: dict | None = None,
    *,
    command: list[str] | None = None,
    cwd: Path | None = None,
    clean_env: bool = False,
    wait_s: float = 180,
    demo: bool = True,
) -> tuple[subprocess.Popen, str]:
    """Start ``cityops serve`` over ``data_dir`` on a free port; return it and its base URL.

    Login is on (the default since issue 12): ``demo`` (the default) starts
    ``cityops serve --demo``, which serves 127.0.0.1 only and makes, in ``data_dir``, the
    session key (``secret_key``) and, when the store has no account, the local admin
    (``demo-login.txt``); :func:`sign_in` then signs in as that admin. ``demo=False``
    leaves it to ``env`` (``CITYOPS_AUTH=off``, or ``CITYOPS_SECRET_KEY`` and accounts),
    e.g. for a checkout older than ``--demo``.

    Waits until ``/api/v1/health`` answers (at most ``wait_s``, 180 s by default: a first
    start may migrate the store's schema); the output goes to ``log_path``. ``command``
    replaces the installed script (``[python, "-c", …]`` runs another checkout, with
    ``cwd``); ``clean_env`` leaves out the caller's ``CITYOPS_*`` settings.
    """
    import requests

    port = free_port()
    inherited = {k: v for k, v in os.environ.items()
                 if not (clean_env and k.startswith("CITYOPS_"))}  # fmt: skip
    env = {
        **inherited,
        "CITYOPS_DATA_DIR": str(data_dir),
        "CITYOPS_DATABASE_URL": "",
        **(env or {}),
    }
    log = open(log_path, "w")  # noqa: SIM115 — the server writes it until it ends
    proc = subprocess.Popen(
        [*(command or [cityops_bin()]), "serve", "--host", "127.0.0.1", "--port", str(port),
         *(["--demo"] if demo else [])],
        cwd=cwd,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + wait_s
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"cityops serve exited {proc.returncode}: {log_path.read_text()[-2000:]}"
            )
        try:
            if requests.get(f"{base}/api/v1/health", timeout=2).ok:
                return proc, base
        except requests.RequestException:
            pass
        time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"cityops serve did not answer within {wait_s:g} s")


def sign_in(base: str, data_dir: Path, timeout: float = 30) -> str:
    """Sign in to the demo server at ``base`` through its login form; return the cookie value.

    The name and password are those ``cityops serve --demo`` keeps in
    ``<data_dir>/demo-login.txt`` (two lines). The real form is used: ``GET /login`` for
    its CSRF token (and the session holding it), ``POST /login`` with it, which answers
    303 and sets the ``cityops_session`` cookie. Attach the value with
    :func:`add_session` (Playwright) or :func:`cookies` (``requests``).

    Raises ``RuntimeError`` when the file is missing (demo mode makes its admin only in a
    store without accounts) or the login is refused.
    """
    import requests

    path = Path(data_dir) / DEMO_LOGIN_FILE
    if not path.is_file():
        raise RuntimeError(
            f"{path} is missing: `cityops serve --demo` makes its admin (and this file) only "
            "in a store without accounts, and this store already has some. Give the "
            "benchmarks a store without accounts (e.g. delete its auth.sqlite) or a copy."
        )
    name, _, rest = path.read_text(encoding="utf-8").partition("\n")
    password = rest.strip()
    with requests.Session() as http:
        form = http.get(f"{base}/login", timeout=timeout)
        found = re.search(r'name="csrf" value="([^"]*)"', form.text)
        if form.status_code != 200 or not found:
            raise RuntimeError(f"GET {base}/login answered {form.status_code} without a form")
        answer = http.post(
            f"{base}/login",
            data={"csrf": html.unescape(found.group(1)), "name": name.strip(),
                  "password": password, "next": "/"},
            allow_redirects=False,
            timeout=timeout,
        )  # fmt: skip
        value = answer.cookies.get(SESSION_COOKIE)
        if answer.status_code != 303 or not value:
            raise RuntimeError(
                f"signing in as {name.strip()!r} (from {path}) answered {answer.status_code}, "
                "not 303 with a session: has its password been changed?"
            )
        return value


def cookies(session: str | None) -> dict[str, str]:
    """Return the ``cookies=`` of a ``requests`` call signed in with ``session`` ({}: none).

    The value is fixed: the server ends it 60 minutes after the login unless
    refreshed (``CITYOPS_SESSION_IDLE_MINUTES``), plenty for a burst of requests.
    """
    return {SESSION_COOKIE: session} if session else {}


def add_session(context, session: str | None) -> None:
    """Give the Playwright browser ``context`` the login ``session`` (None: nothing to add).

    The cookie is the server's own: 127.0.0.1, path ``/``, HttpOnly, SameSite=Lax; the
    browser keeps the refreshed one the server sends back, as a signed-in user's does.
    """
    if session:
        context.add_cookies(
            [{"name": SESSION_COOKIE, "value": session, "domain": "127.0.0.1", "path": "/",
              "httpOnly": True, "sameSite": "Lax"}]
        )  # fmt: skip


def session_in(context) -> str | None:
    """Return the login session cookie the Playwright ``context`` holds now (None: none).

    The server sends a refreshed one (its last-seen time) at most every 30 s; a caller
    that opens many contexts over a long run passes the latest on, so the idle limit
    (``CITYOPS_SESSION_IDLE_MINUTES``) counts from the last request, not from the login.
    """
    return next((c["value"] for c in context.cookies() if c["name"] == SESSION_COOKIE), None)


def not_at_login(page) -> None:
    """Raise when the Playwright ``page`` was sent to ``/login`` (no valid session)."""
    from urllib.parse import urlsplit

    if urlsplit(page.url).path == "/login":
        raise RuntimeError(f"the server sent the browser to the login form: {page.url}")


def start_simulate(data_dir: Path, rate: float, log_path: Path, env: dict | None = None,
                   extra: Sequence[str] = ()) -> subprocess.Popen:  # fmt: skip
    """Start ``cityops simulate --rate <rate>`` over ``data_dir``, its output in ``log_path``."""
    env = {
        **os.environ,
        "CITYOPS_DATA_DIR": str(data_dir),
        "CITYOPS_DATABASE_URL": "",
        **(env or {}),
    }
    log = open(log_path, "w")  # noqa: SIM115 — the simulator writes it until it ends
    return subprocess.Popen(
        [cityops_bin(), "simulate", "--rate", str(rate), *extra],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def stop(proc: subprocess.Popen | None, sig: int = signal.SIGTERM, wait: float = 60) -> int | None:
    """Stop ``proc`` with ``sig`` (then kill after ``wait`` seconds); return its exit code."""
    if proc is None:
        return None
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    return proc.returncode


# ---------------------------------------------------------------- the run
class CallbackTimes:
    """The wall's ``/_dash-update-component`` POSTs finished since the last :meth:`take`."""

    def __init__(self):
        self.ms: list[float] = []
        self.failed = 0

    def on_finished(self, request) -> None:
        """Record a finished request's time from its start to its response's end."""
        if "/_dash-update-component" not in request.url:
            return
        timing = request.timing
        end = timing.get("responseEnd", -1)
        if end is not None and end >= 0:
            self.ms.append(end)

    def on_failed(self, request) -> None:
        """Count a callback request that got no response."""
        if "/_dash-update-component" in request.url:
            self.failed += 1

    def take(self) -> dict:
        """Return the count, p50 and max since the last call, and start again."""
        ms, failed = self.ms, self.failed
        self.ms, self.failed = [], 0
        return {
            "callbacks": len(ms),
            "callbacks_failed": failed,
            "callback_ms_p50": round(statistics.median(ms), 1) if ms else None,
            "callback_ms_max": round(max(ms), 1) if ms else None,
        }


def run(args: argparse.Namespace) -> dict:
    """Run the soak; return the result (also written to ``args.out``)."""
    from playwright.sync_api import sync_playwright

    data_dir = Path(args.data_dir).resolve()
    out = Path(args.out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    logs = out.with_suffix("")
    server_log, sim_log = Path(f"{logs}.server.log"), Path(f"{logs}.simulate.log")
    result: dict = {
        "what": "wall soak: cityops serve + cityops simulate + Chromium on the wall",
        "started_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "machine_start": machine(),
        "samples": [],
        "console_errors": [],
        "page_errors": [],
        "failures": [],
    }
    server = simulate = None
    own = os.getpid()
    url = f"/wall?refresh={args.refresh}&rotate={args.rotate}"
    if args.pages:
        url += f"&pages={args.pages}"
    result["url"] = url
    try:
        server, base = start_server(data_dir, server_log)
        session = sign_in(base, data_dir)
        result["server_pid"] = server.pid
        simulate = start_simulate(data_dir, args.rate, sim_log)
        result["simulate_pid"] = simulate.pid
        times = CallbackTimes()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
            add_session(context, session)
            page = context.new_page()
            page.on(
                "console",
                lambda m: _keep(result["console_errors"], m.text) if m.type == "error" else None,
            )
            page.on("pageerror", lambda e: _keep(result["page_errors"], str(e)))
            page.on("requestfinished", times.on_finished)
            page.on("requestfailed", times.on_failed)
            cdp = context.new_cdp_session(page)
            cdp.send("Performance.enable")
            page.goto(base + url, wait_until="load")
            not_at_login(page)
            page.wait_for_selector("#wall-root[data-tick]", timeout=60_000)
            t0 = time.monotonic()
            total = args.minutes * 60
            step = args.sample_seconds
            n = 0
            while True:
                due = t0 + n * step
                wait = due - time.monotonic()
                if wait > 0:
                    page.wait_for_timeout(wait * 1000)
                sample = take_sample(page, cdp, data_dir, server, simulate, own, times)
                sample["minute"] = round((time.monotonic() - t0) / 60, 2)
                result["samples"].append(sample)
                print(_row(sample), flush=True)
                _checkpoint(out, result)
                if server.poll() is not None:
                    result["failures"].append(
                        f"server exited {server.returncode} at minute {sample['minute']}"
                    )
                    break
                if simulate.poll() is not None:
                    result["failures"].append(
                        f"simulate exited {simulate.returncode} at minute {sample['minute']}"
                    )
                    break
                n += 1
                if n * step > total + 1e-6:
                    break
            context.close()
            browser.close()
    finally:
        result["simulate_exit"] = stop(simulate, signal.SIGINT, wait=120)  # a last merge, a summary
        result["server_exit"] = stop(server)
        result["machine_end"] = machine()
        result["finished_at"] = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    samples = result["samples"]
    stalls = tick_stalls(samples)
    if stalls:
        result["failures"].append(f"the wall's tick did not advance at minutes {stalls}")
    if result["page_errors"]:
        result["failures"].append(f"{len(result['page_errors'])} uncaught page errors")
    result["growth"] = growth(samples)
    result["log_tail"] = {
        "server": _tail(server_log),
        "simulate": _tail(sim_log),
    }
    result["ok"] = not result["failures"]
    _checkpoint(out, result)
    return result


def take_sample(
    page, cdp, data_dir: Path, server, simulate, own: int, times: CallbackTimes
) -> dict:
    """Return one sample of the run (see the module's description)."""
    server_pids = tree(server.pid)
    sim_pids = tree(simulate.pid) if simulate.poll() is None else []
    others = [p for p in tree(own) if p != own and p not in server_pids and p not in sim_pids]
    cdp.send("HeapProfiler.collectGarbage")
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    dom = page.evaluate(_SAMPLE_JS)
    return {
        "at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "server_rss_mb": rss_mb(server_pids),
        "server_threads": _threads(server.pid),
        "simulate_rss_mb": rss_mb(sim_pids),
        "browser_pss_mb": rss_mb(others, "Pss"),
        "browser_uss_mb": rss_mb(others, "Uss"),
        "js_heap_mb": round(metrics.get("JSHeapUsedSize", 0) / 1e6, 2),
        "js_heap_total_mb": round(metrics.get("JSHeapTotalSize", 0) / 1e6, 2),
        "dom_nodes": int(metrics.get("Nodes", 0)),
        "listeners": int(metrics.get("JSEventListeners", 0)),
        "documents": int(metrics.get("Documents", 0)),
        **dom,
        "store_mb": folder_mb(data_dir / "store"),
        "versions": len(list((data_dir / "store").glob("v*.duckdb"))),
        **times.take(),
        "loadavg": round(os.getloadavg()[0], 2),
    }


def _threads(pid: int) -> int | None:
    try:
        return len(os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return None


def _keep(found: list, text: str, most: int = 50) -> None:
    if len(found) < most:
        found.append(text[:500])


def _tail(path: Path, lines: int = 15) -> list[str]:
    try:
        return path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return []


def _checkpoint(out: Path, result: dict) -> None:
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(json.dumps(result, indent=1, ensure_ascii=False))
    tmp.replace(out)


HEADER = (
    f"{'min':>6} {'srv MB':>7} {'sim MB':>7} {'brw USS':>7} {'brw PSS':>7} {'heap MB':>8} "
    f"{'nodes':>6} {'tick':>5} {'page':>9} {'store MB':>8} {'cb p50':>7} {'cb max':>7} "
    f"{'banners':>8} {'load':>5}"
)


def _row(s: dict) -> str:
    banners = ("S" if s.get("store_banner") else "-") + ("X" if s.get("server_banner") else "-")
    return (
        f"{s.get('minute', 0):6.1f} {_f(s.get('server_rss_mb')):>7} "
        f"{_f(s.get('simulate_rss_mb')):>7} {_f(s.get('browser_uss_mb')):>7} "
        f"{_f(s.get('browser_pss_mb')):>7} {_f(s.get('js_heap_mb')):>8} "
        f"{s.get('dom_nodes', ''):>6} {s.get('tick') or '':>5} {s.get('page') or '':>9} "
        f"{_f(s.get('store_mb')):>8} {_f(s.get('callback_ms_p50')):>7} "
        f"{_f(s.get('callback_ms_max')):>7} {banners:>8} {s.get('loadavg', ''):>5}"
    )


def _f(value) -> str:
    return "" if value is None else f"{value:.1f}"


def markdown(result: dict, every_minutes: float = 5.0) -> str:
    """Return the run's curve (one row per ``every_minutes``) and growth as Markdown tables."""
    lines = [
        "| minute | server RSS MB | simulate RSS MB | browser USS MB | browser PSS MB "
        "| JS heap MB | DOM nodes | ticks | store MB | callback p50 ms | load avg |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in every(result["samples"], every_minutes):
        lines.append(
            f"| {s['minute']:.0f} | {_f(s.get('server_rss_mb'))} | {_f(s.get('simulate_rss_mb'))} "
            f"| {_f(s.get('browser_uss_mb'))} | {_f(s.get('browser_pss_mb'))} "
            f"| {s.get('js_heap_mb')} | {s.get('dom_nodes')} "
            f"| {s.get('tick')} | {_f(s.get('store_mb'))} | {_f(s.get('callback_ms_p50'))} "
            f"| {s.get('loadavg')} |"
        )
    lines += [
        "",
        "| series | slope / hour (2nd half) | first-window median | last-window median "
        "| change | change % |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for key, g in (result.get("growth") or {}).items():
        if g:
            lines.append(
                f"| {key} | {g['slope_per_hour_second_half']} | {g['first_median']} "
                f"| {g['last_median']} | {g['change']} | {g['change_pct']} |"
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the soak from the command line; return the exit code (1: a failure, see above)."""
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.soak", description=__doc__.split("\n")[0]
    )
    ap.add_argument(
        "--data-dir", required=True, help="A store folder this run may write to (a copy)."
    )
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--refresh", type=int, default=5, help="The wall's refresh (s).")
    ap.add_argument("--rotate", type=int, default=30, help="The wall's rotation (s).")
    ap.add_argument("--pages", default="", help="The wall's pages (default: the setting's).")
    ap.add_argument("--rate", type=float, default=20.0, help="cityops simulate --rate.")
    ap.add_argument("--sample-seconds", type=float, default=60.0)
    ap.add_argument("--out", default="soak.json", help="JSON of the samples (logs beside it).")
    args = ap.parse_args(argv)
    print(HEADER, flush=True)
    result = run(args)
    print()
    print(markdown(result))
    print()
    for failure in result["failures"]:
        print("FAILED:", failure)
    print("ok" if result["ok"] else "not ok", "→", args.out)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
