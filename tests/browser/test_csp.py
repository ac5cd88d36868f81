"""The Content-Security-Policy in Chromium: every page works under it, with no violation.

The policy (``cityops/web/security.py``) admits this server's scripts and Dash's inline
ones by hash, no ``eval``. Each page is opened as a person would (a district, so maps draw
their layers; grids, charts, date pickers), its tables downloaded where it has them (the
CSV is made in the browser by AG Grid, the Excel on the server), and every
``securitypolicyviolation`` event and console message naming the policy is collected:
there must be none. Console errors fail the test too (the ``page`` fixture).
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import settle

pytestmark = [pytest.mark.browser, pytest.mark.enforce_csp]
DAY = "2026-11-25"

#: Records every CSP violation of the document before any of the page's scripts run.
WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
    window.__csp.push([e.violatedDirective, e.blockedURI, e.sample].join(' | '));
});
"""

PAGES = [
    "/",
    "/video",
    "/hazmat",
    "/rentals",
    "/tourism",
    "/data",
    "/wall",
    "/reports",
]


def violations(page, console: list[str]) -> list[str]:
    """Return the CSP violations seen by the document and the console."""
    seen = list(page.evaluate("() => window.__csp"))
    return seen + [m for m in console if "Content Security Policy" in m or "Refused to" in m]


def open_page(page, url: str) -> list[str]:
    """Open ``url`` with the violation watch; return the console log (filled as it runs)."""
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.add_init_script(WATCH)
    resp = page.goto(url)
    csp = resp.headers["content-security-policy"]
    assert "script-src 'self' 'sha256-" in csp and "'unsafe-eval'" not in csp
    assert resp.headers["x-frame-options"] == "DENY"
    return console


@pytest.mark.parametrize("path", PAGES)
def test_csp001_no_violation_on_any_page(page, server, path):
    console = open_page(page, f"{server}{path}?scope=320102&date={DAY}")
    page.wait_for_selector("#_pages_content > *", timeout=20_000)
    settle(page)
    page.wait_for_timeout(1500)  # late chunks: maps' layers, grids, the wall's first refresh
    settle(page)
    assert violations(page, console) == []


def test_csp002_table_downloads_and_a_language_switch_under_the_policy(page, server, tmp_path):
    """AG Grid's CSV (value formatters, the cell callback) and the server's Excel."""
    console = open_page(page, f"{server}/hazmat?scope=320100&date={DAY}")
    table = page.locator('[data-table="hazmat-open-alarms"]')
    table.wait_for(timeout=20_000)
    settle(page)
    for label in ("下载 CSV", "下载 Excel"):
        with page.expect_download() as info:
            table.get_by_role("button", name=label).click()
        path = tmp_path / info.value.suggested_filename
        info.value.save_as(path)
        assert path.stat().st_size > 0
    page.locator("#lang-toggle").click()  # reloads the page: the init script watches again
    page.wait_for_selector('html[lang="en"]', timeout=20_000)
    settle(page)
    assert violations(page, console) == []
