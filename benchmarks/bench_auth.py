"""What login costs a user (issue 12), over real HTTP against a real ``cityops serve``.

Login is on by default. Two costs are measured from where the user stands:

- ``login_s``: the wall time of one successful ``POST /login`` (the form's CSRF check, the
  per-address failure count, argon2 verification of the password, the audit row, the new
  session cookie), p50 and max over ``--logins`` logins as the demo admin
  (``<data_dir>/demo-login.txt``). Only successful logins: failed ones count towards
  ``CITYOPS_LOGIN_ADDRESS_MAX_FAILURES``. ``argon2_verify_s``: the password check alone
  (the stored hash verified in this process, as often), to say how much of a login it is.
- the login gate's cost per request: ``--requests`` sequential GETs of two cheap routes
  (:data:`ROUTES`: Dash's layout and one KPI answer for 南京市) in three modes, each its own
  server over its own fresh copy of the store's ``store/`` folder (no accounts, no key):
  ``off`` (``CITYOPS_AUTH=off``, no cookie), ``session`` (``cityops serve --demo``, the demo
  admin's session cookie from :func:`benchmarks.soak.sign_in`) and ``token`` (``--demo``,
  ``Authorization: Bearer`` with a token from ``cityops token create admin``). The three
  servers run side by side and the requests take turns (one mode, then the next, never two
  at once), so the machine's noise falls on every mode alike. Each mode keeps one
  keep-alive connection, as a browser does; every route is warmed first. ``overhead_ms`` is
  each mode's p50 and p95 minus those of ``off``.

It prints one JSON object. The store in ``--data-dir`` is only copied, never written (the
small demo is built there first, once, when it holds none: :func:`ensure_demo`); the
copies and the servers' logs go to ``--work`` (``/tmp/bench_auth``, emptied first).

    python -m benchmarks.bench_auth [--data-dir DIR] [--requests 300] [--logins 10] [--work DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import html
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import time
from pathlib import Path

import argon2
import requests

from benchmarks import soak
from benchmarks.stores import STORES, TODAY, ensure_demo

#: The routes timed: cheap, authenticated, answered from memory once warm.
ROUTES = {
    "dash_layout": "/_dash-layout",
    "api_kpis": f"/api/v1/kpis?scope=320100&date={TODAY}",
}
MODES = ("off", "session", "token")
WARM_UP = 20


def fresh_copy(data_dir: Path, target: Path) -> Path:
    """Return ``target`` holding a copy of ``data_dir``'s ``store/`` folder and nothing else."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(Path(data_dir) / "store", target / "store")
    return target


def create_token(data_dir: Path, account: str = "admin") -> str:
    """Return a new bearer token for ``account`` (``cityops token create``, its last line)."""
    env = {**os.environ, "CITYOPS_DATA_DIR": str(data_dir), "CITYOPS_DATABASE_URL": ""}
    out = subprocess.run(
        [soak.cityops_bin(), "token", "create", account, "--label", "bench_auth"],
        env=env, capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    return out.stdout.strip().splitlines()[-1]


def timed_logins(base: str, data_dir: Path, n: int) -> list[float]:
    """Return the wall time (s) of ``n`` successful ``POST /login`` as the demo admin.

    Each login is a new visitor: ``GET /login`` for the form's CSRF token (not timed),
    then the timed POST, which must answer 303 with a session cookie.
    """
    name, _, rest = (Path(data_dir) / soak.DEMO_LOGIN_FILE).read_text("utf-8").partition("\n")
    times = []
    for _ in range(n):
        with requests.Session() as http:
            form = http.get(f"{base}/login", timeout=30)
            csrf = html.unescape(re.search(r'name="csrf" value="([^"]*)"', form.text).group(1))
            data = {"csrf": csrf, "name": name.strip(), "password": rest.strip(), "next": "/"}
            t0 = time.perf_counter()
            answer = http.post(f"{base}/login", data=data, allow_redirects=False, timeout=30)
            times.append(time.perf_counter() - t0)
            if answer.status_code != 303 or not answer.cookies.get(soak.SESSION_COOKIE):
                raise RuntimeError(f"POST /login answered {answer.status_code}, not 303")
    return times


def timed_argon2(data_dir: Path, n: int, account: str = "admin") -> list[float]:
    """Return the time (s) of ``n`` argon2 verifications of ``account``'s stored hash, here.

    The hash is read from ``<data_dir>/auth.sqlite`` and carries its own parameters (the
    server's), so this is the password check alone, without HTTP, Flask or the audit row.
    """
    with contextlib.closing(sqlite3.connect(Path(data_dir) / "auth.sqlite")) as db:
        (stored,) = db.execute(
            "SELECT password_hash FROM accounts WHERE name = ?", (account,)
        ).fetchone()
    password = (Path(data_dir) / soak.DEMO_LOGIN_FILE).read_text("utf-8").split("\n")[1].strip()
    hasher = argon2.PasswordHasher()
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        hasher.verify(stored, password)
        times.append(time.perf_counter() - t0)
    return times


def timed_get(http: requests.Session, url: str, auth: dict) -> tuple[float, int]:
    """Return the wall time (s) and body size of one GET of ``url``, which must answer 200."""
    t0 = time.perf_counter()
    resp = http.get(url, timeout=60, **auth)
    took = time.perf_counter() - t0
    if resp.status_code != 200:
        raise RuntimeError(f"GET {url} answered {resp.status_code}")
    return took, len(resp.content)


def summary_ms(times: list[float]) -> dict:
    """Return p50 and p95 of ``times`` (s) in milliseconds."""
    ms = [t * 1000 for t in times]
    return {
        "p50": round(statistics.median(ms), 2),
        "p95": round(statistics.quantiles(ms, n=100, method="inclusive")[94], 2),
    }


def start(mode: str, data_dir: Path, work: Path) -> tuple:
    """Start the ``mode`` server over a fresh copy; return (process, base URL, request auth)."""
    copy = fresh_copy(data_dir, work / mode)
    env = {"CITYOPS_AUTH": "off"} if mode == "off" else {}
    proc, base = soak.start_server(copy, work / f"{mode}.log", env, clean_env=True,
                                   demo=mode != "off")  # fmt: skip
    try:
        if mode == "session":
            auth = {"cookies": soak.cookies(soak.sign_in(base, copy))}
        elif mode == "token":
            auth = {"headers": {"Authorization": f"Bearer {create_token(copy)}"}}
        else:
            auth = {}
    except Exception:
        soak.stop(proc, wait=30)
        raise
    return proc, base, auth


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmark; print and return its result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=STORES / "small")
    parser.add_argument("--requests", type=int, default=300, help="timed GETs per route and mode")
    parser.add_argument("--logins", type=int, default=10)
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench_auth"),
                        help="where the store copies and server logs go (emptied)")  # fmt: skip
    args = parser.parse_args(argv)
    data_dir = ensure_demo(args.data_dir, "small")
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    result = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "store": str(data_dir),
        "requests": args.requests,
        "logins": args.logins,
        "routes": ROUTES,
        "machine": {
            "cores": os.cpu_count(),
            "platform": platform.platform(),
            "loadavg_start": [round(x, 2) for x in os.getloadavg()],
        },
    }
    servers: dict[str, tuple] = {}
    sessions = {mode: requests.Session() for mode in MODES}
    try:
        for mode in MODES:
            servers[mode] = start(mode, data_dir, args.work)
        logins = timed_logins(servers["session"][1], args.work / "session", args.logins)
        result["login_s"] = {
            "p50": round(statistics.median(logins), 3),
            "max": round(max(logins), 3),
            "each": [round(t, 3) for t in logins],
        }
        argon = timed_argon2(args.work / "session", args.logins)
        result["argon2_verify_s"] = {
            "p50": round(statistics.median(argon), 3),
            "max": round(max(argon), 3),
        }
        times: dict[str, dict[str, list[float]]] = {r: {m: [] for m in MODES} for r in ROUTES}
        sizes: dict[str, dict[str, int]] = {r: {} for r in ROUTES}
        for i in range(WARM_UP + args.requests):
            for route, path in ROUTES.items():
                for mode in MODES:
                    _, base, auth = servers[mode]
                    took, sizes[route][mode] = timed_get(sessions[mode], base + path, auth)
                    if i >= WARM_UP:
                        times[route][mode].append(took)
        result["requests_ms"] = {
            route: {mode: summary_ms(times[route][mode]) for mode in MODES} for route in ROUTES
        }
        result["bytes"] = sizes  # the same answer in every mode: the same work behind the gate
        result["overhead_ms"] = {
            route: {
                mode: {q: round(by[mode][q] - by["off"][q], 2) for q in ("p50", "p95")}
                for mode in MODES[1:]
            }
            for route, by in result["requests_ms"].items()
        }
    finally:
        for http in sessions.values():
            http.close()
        for proc, _, _ in servers.values():
            soak.stop(proc, wait=30)
    result["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, ensure_ascii=False))
    return result


if __name__ == "__main__":
    main()
