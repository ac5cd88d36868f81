"""A real cityops server over the demo store, and Debian's Chromium driven by Playwright.

Every request the page makes is recorded; anything that leaves 127.0.0.1 is
blocked and fails the test (the app must work air-gapped). Console errors fail
the test too. Screenshots go to ``tests/screenshots/``.

Login is on, as by default: every server started here has the test admin in its
account store, ``serving`` signs in through the real ``/login`` form, and every
browser context starts with that session cookie (``browser.new_context(signed=False)``
for one without). ``api_get`` calls the API with the same session.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from cityops.reports.browser import CHROMIUM_ARGS as REPORT_CHROMIUM_ARGS
from cityops.web.auth import SESSION_COOKIE
from tests.conftest import ADMIN, ADMIN_PASSWORD, add_admin

CHROMIUM = os.environ.get("CITYOPS_CHROMIUM", "/usr/bin/chromium")
#: The flags the reports launch Chromium with (headless, nothing that phones home).
CHROMIUM_ARGS = list(REPORT_CHROMIUM_ARGS)
SHOTS = Path(__file__).resolve().parents[1] / "screenshots"
LOCAL = ("http://127.0.0.1", "data:", "blob:")

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: The session cookie of the last sign-in (every test server shares the key and the admin).
_SESSION: dict[str, str] = {}


def sign_in(base: str, name: str = ADMIN, password: str = ADMIN_PASSWORD) -> str:
    """Sign in at ``base`` through the login form, as a person does; return the cookie value."""
    with requests.Session() as http:
        form = http.get(f"{base}/login", timeout=10).text
        csrf = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        answer = http.post(
            f"{base}/login",
            data={"csrf": csrf, "name": name, "password": password, "next": "/"},
            allow_redirects=False,
            timeout=30,
        )
        assert answer.status_code == 303, answer.text[:300]
        return http.cookies[SESSION_COOKIE]


def session_cookie() -> dict[str, str]:
    """Return the admin's session cookie as ``requests`` takes it."""
    return {SESSION_COOKIE: _SESSION["value"]}


def api_get(url: str, **kwargs) -> requests.Response:
    """GET ``url`` of a test server signed in as the admin."""
    return requests.get(url, cookies=session_cookie(), timeout=kwargs.pop("timeout", 30), **kwargs)


def _has_admin(data_dir: Path) -> bool:
    from cityops.auth.accounts import AccountNotFound, get_account
    from cityops.auth.schema import auth_engine
    from cityops.settings import get_settings

    engine = auth_engine(get_settings(data_dir=str(data_dir), database_url=""))
    try:
        get_account(engine, ADMIN)
        return True
    except AccountNotFound:
        return False
    finally:
        engine.dispose()


@contextlib.contextmanager
def serving(data_dir: Path):
    """Run ``cityops serve`` over ``data_dir`` on a free port; yield its base URL.

    Login on (the default): the test admin is added to the store if missing and
    signed in once the server answers. Waits until ``/api/v1/health`` answers (at
    most 60 s); the server's output goes to ``<data_dir>/server.log``, shown if it
    exits early.
    """
    if not _has_admin(data_dir):
        add_admin(data_dir)
    port = _free_port()
    env = {**os.environ, "CITYOPS_DATA_DIR": str(data_dir), "CITYOPS_DATABASE_URL": ""}
    log_path = data_dir / "server.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "cityops"), "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        while time.time() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(log_path.read_text())
            try:
                if requests.get(f"{base}/api/v1/health", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.3)
        else:
            proc.kill()
            raise RuntimeError("cityops serve did not answer within 60 s")
        _SESSION["value"] = sign_in(base)
        try:
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def server(demo_dir):
    """A real cityops server over the demo store; yields its base URL."""
    with serving(demo_dir) as base:
        yield base


class SignedBrowser:
    """Playwright's browser whose new contexts carry the admin's session cookie."""

    def __init__(self, browser):
        self._browser = browser

    def new_context(self, *, signed: bool = True, **kwargs):
        """Return a new context; signed in unless ``signed=False``."""
        context = self._browser.new_context(**kwargs)
        if signed and _SESSION:
            context.add_cookies(
                [
                    {
                        "name": SESSION_COOKIE,
                        "value": _SESSION["value"],
                        "domain": "127.0.0.1",
                        "path": "/",
                        "httpOnly": True,
                        "sameSite": "Lax",
                    }
                ]
            )
        return context

    def __getattr__(self, name):
        return getattr(self._browser, name)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: run `make test` (it installs Debian's chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield SignedBrowser(b)
        b.close()


class PageWatch:
    """What a page did: console errors and requests that left the machine."""

    def __init__(self):
        self.errors: list[str] = []
        self.external: list[str] = []

    def assert_clean(self):
        assert not self.external, f"requests left 127.0.0.1: {self.external}"
        assert not self.errors, f"console errors: {self.errors}"


def watched_page(context):
    """Return a new page of ``context`` whose ``watch`` records console errors and blocks
    (and records) every request that leaves 127.0.0.1."""
    pg = context.new_page()
    watch = PageWatch()
    pg.on("console", lambda m: watch.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: watch.errors.append(str(e)))

    def guard(route):
        if route.request.url.startswith(LOCAL):
            route.continue_()
        else:
            watch.external.append(route.request.url)
            route.abort()

    pg.route("**/*", guard)
    pg.watch = watch
    return pg


@pytest.fixture()
def page(browser, request):
    """A fresh 1600×1000 page; fails the test on console errors or outside requests.

    The app's Content-Security-Policy forbids ``eval``, which Playwright's string
    predicates (``wait_for_function``) use inside the page: tests of behaviour bypass
    the policy, tests marked ``enforce_csp`` (tests/browser/test_csp.py) keep it.
    """
    context = browser.new_context(
        viewport={"width": 1600, "height": 1000},
        locale="zh-CN",
        bypass_csp=request.node.get_closest_marker("enforce_csp") is None,
    )
    pg = watched_page(context)
    yield pg
    SHOTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(SHOTS / f"{request.node.name}-final.png"), full_page=True)
    context.close()
    pg.watch.assert_clean()


def settle(page, timeout: int = 20_000) -> None:
    """Wait until Dash has no callback in flight and no map is zooming or panning.

    A condition, not a fixed sleep: Dash marks components it is updating with
    ``data-dash-is-loading``; Leaflet marks a map container ``leaflet-zoom-anim``
    while a zoom animation runs and a pane ``leaflet-pan-anim`` while it pans.
    """
    page.wait_for_function(
        """() => !document.querySelector('[data-dash-is-loading="true"]')
                 && !document.querySelector('.leaflet-zoom-anim, .leaflet-pan-anim')""",
        timeout=timeout,
    )
    # two animation frames: the last update has been painted
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def shot(page, name: str) -> None:
    """Save a full-page screenshot as ``tests/screenshots/<name>.png``."""
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def click_area(page, code: str) -> None:
    """Click a map area like a person: on a visible point inside its shape."""
    click_shape(page, f'path[data-area="{code}"]')


def click_shape(page, sel: str) -> None:
    """Click the map shape ``sel`` where it is the topmost element.

    Finds a point of the shape's bounding box where its path is on top (a label,
    a neighbour or another marker may cover its centre), then clicks there.
    """
    page.wait_for_selector(sel)
    point = page.evaluate(
        """(sel) => {
            const el = document.querySelector(sel);
            const r = el.getBoundingClientRect();
            const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
            let best = null, bestD = Infinity;
            for (let i = 1; i < 24; i++) {
                for (let j = 1; j < 24; j++) {
                    const x = r.left + r.width * i / 24, y = r.top + r.height * j / 24;
                    if (document.elementFromPoint(x, y) === el) {
                        const d = (x - cx) ** 2 + (y - cy) ** 2;
                        if (d < bestD) { bestD = d; best = [x, y]; }
                    }
                }
            }
            return best;
        }""",
        sel,
    )
    assert point, f"no visible point of {sel}"
    page.mouse.click(*point)


def kpi_values(page) -> dict[str, str]:
    """Return ``{kpi name: data-value}`` of every KPI card on the page."""
    return page.evaluate(
        """() => Object.fromEntries(Array.from(document.querySelectorAll('[data-kpi]'))
                .map(e => [e.dataset.kpi, e.dataset.value]))"""
    )
