"""Printing the analyst pages (issue 11): no chrome, a title, whole KPI panels, every row.

Print media is emulated (``page.emulate_media``), which switches ``assets/print.css``
on and lets ``assets/print.js`` lay the page out for paper, as a real print does
through ``beforeprint``; ``page.pdf()`` goes through ``beforeprint``/``afterprint``
like the browser's print. Screenshots and PDFs go to ``tests/screenshots/print/``.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from cityops.clock import today
from tests.browser.conftest import SHOTS, settle

pytestmark = pytest.mark.browser
DAY = "2026-11-25"
PRINTS = SHOTS / "print"
#: page name → (path, query, the scope name its print title must carry, drawn when)
PAGES = {
    "overview": ("/", f"?scope=320100&date={DAY}", "南京市", ".kpi-card"),
    "video": ("/video", f"?scope=320100&date={DAY}", "南京市", '[data-table="video-open-events"] .ag-row'),
    "hazmat": ("/hazmat", f"?scope=320100&date={DAY}", "南京市", '[data-table="hazmat-open-alarms"] .ag-row'),
    "rentals": ("/rentals", f"?scope=320100&date={DAY}", "南京市", '[data-table="rentals-suspected"] .ag-row'),
    "tourism": ("/tourism", f"?scope=320100&date={DAY}", "南京市", ".kpi-card"),
    "data": ("/data", "", "江苏省", "#data-datasets .ag-row"),
}  # fmt: skip
NAV = {"overview": "总览", "video": "视频感知", "hazmat": "危化品", "rentals": "出租房屋",
       "tourism": "文旅预约", "data": "数据目录"}  # fmt: skip
#: What is screen chrome: none of it may show on paper.
CHROME = (".app-header", ".main-nav", ".lang-toggle", ".banner", ".breadcrumb", ".toolbar-date",
          ".date-picker", ".dash-dropdown", "button", ".table-tools", ".ag-paging-panel",
          ".leaflet-control-zoom", ".slider-wrap")  # fmt: skip

VISIBLE = "els => els.filter(e => e.checkVisibility()).length"
#: For every grid on the page: [rows drawn, rows it holds].
GRID_ROWS = """() => Array.from(document.querySelectorAll('.ag-theme-alpine[id]')).map(el => {
    const api = window.dash_ag_grid.getApi(el.id);
    return [el.querySelectorAll('.ag-center-cols-container .ag-row').length,
            api.getDisplayedRowCount()];
})"""


def wait_title(page) -> None:
    """Wait until the print title is filled (it comes with the page's URL)."""
    page.wait_for_function("(document.querySelector('#print-title') || {}).textContent",
                           timeout=20_000)  # fmt: skip


def open_page(page, server, name: str) -> None:
    """Open page ``name`` and wait until it is drawn and its print title is filled."""
    path, query, _, drawn = PAGES[name]
    page.goto(f"{server}{path}{query}")
    page.wait_for_selector(drawn, timeout=20_000)
    wait_title(page)
    settle(page)


@pytest.mark.parametrize("name", list(PAGES))
def test_pr001_a_page_prints_without_chrome_under_its_title(page, server, name):
    open_page(page, server, name)
    title = page.locator("#print-title")
    assert not title.is_visible()  # on screen: the header and breadcrumb say it

    page.emulate_media(media="print")
    page.wait_for_selector("html.printing", state="attached")
    settle(page)
    for sel in CHROME:
        assert page.locator(sel).evaluate_all(VISIBLE) == 0, f"{sel} shows on paper"
    assert title.is_visible()
    text = title.inner_text()
    scope = PAGES[name][2]
    assert scope in text and NAV[name] in text and "数据截至" in text, text
    day = today().isoformat() if name == "data" else DAY  # the catalogue: as of today
    year, month, dom = (int(part) for part in day.split("-"))
    assert f"{year}年{month}月{dom}日" in text, text
    # the KPI panel and each card stay whole; every grid holds all its rows, drawn
    for sel in (".kpi-row", ".panel-kpis", ".kpi-card"):
        breaks = page.locator(sel).evaluate_all(
            "els => els.map(e => getComputedStyle(e).breakInside)"
        )
        assert set(breaks) <= {"avoid"}, sel
    grids = page.evaluate(GRID_ROWS)
    assert all(drawn == held for drawn, held in grids), grids
    PRINTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(PRINTS / f"{name}-print-media.png"), full_page=True)

    page.emulate_media(media="screen")  # back as it was
    page.wait_for_selector("html:not(.printing)", state="attached")
    settle(page)
    assert not title.is_visible() and page.locator(".app-header").is_visible()
    assert all(drawn <= 20 for drawn, _ in page.evaluate(GRID_ROWS))


def test_pr002_the_hazmat_page_prints_every_row_to_a_pdf(page, server):
    page.goto(f"{server}/hazmat?date={DAY}")
    page.wait_for_selector('.hazmat-page[data-scope="320000"] .ag-row', timeout=20_000)
    wait_title(page)
    settle(page)
    alarms = '.ag-theme-alpine[id*="hazmat-open-alarms"]'
    held, last = page.evaluate(
        """(sel) => { const api = window.dash_ag_grid.getApi(document.querySelector(sel).id);
                      const n = api.getDisplayedRowCount();
                      return [n, api.getDisplayedRowAtIndex(n - 1).data.alarm_id]; }""",
        alarms,
    )
    assert held > 20, "the demo's open alarms should fill more than one grid page"
    title = page.locator("#print-title").text_content()

    PRINTS.mkdir(parents=True, exist_ok=True)
    pdf = PRINTS / "hazmat.pdf"
    # as the browser's print: beforeprint, the print layout, afterprint
    page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    # after printing, the screen is as it was: one grid page of rows, no print layout
    assert page.evaluate("document.documentElement.classList.contains('printing')") is False
    assert page.locator(f"{alarms} .ag-center-cols-container .ag-row").count() == 20

    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils missing: the PDF was not read back")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    assert "841.92 x 594.96 pts" in info.stdout, info.stdout  # A4 landscape
    words = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                           text=True, check=True).stdout  # fmt: skip
    assert words.lstrip().startswith(title.split(" ")[0]), "the title heads the first page"
    assert "数据截至" in words
    assert last in words, "the last open alarm (past the grid's first page) is not on paper"
    for chrome in ("视频感知", "数据目录", "下载", "English"):  # nav links, buttons, toggle
        assert chrome not in words, f"{chrome} was printed"
    for png in PRINTS.glob("hazmat-pdf-*.png"):
        png.unlink()
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(PRINTS / "hazmat-pdf")],
                   check=True)  # fmt: skip
    assert list(PRINTS.glob("hazmat-pdf-*.png"))


def test_pr003_the_print_title_speaks_the_users_language(page, server):
    page.context.add_cookies([{"name": "cityops_lang", "value": "en", "url": server}])
    page.goto(f"{server}/rentals?scope=320102&date={DAY}")
    page.wait_for_selector('[data-table="rentals-suspected"] .ag-row', timeout=20_000)
    wait_title(page)
    page.emulate_media(media="print")
    text = page.locator("#print-title").inner_text()
    assert "玄武区" in text and "25 Nov 2026" in text and "data as of" in text, text
