"""The Reports page (/reports) in a real browser: make a report, watch it progress, get it.

The button runs a Dash background job in another process of the real server
(``cityops serve``); the page shows its steps, then the browser downloads the
file. Screenshots go to ``tests/screenshots/reports/``.
"""

from __future__ import annotations

import re
import zipfile

import pytest

from cityops.text.i18n import t
from tests.browser.conftest import SHOTS, settle

pytestmark = pytest.mark.browser

#: Long enough for a cold Chromium to draw and print a city's month on a busy machine.
JOB_MS = 180_000
PROGRESS = re.compile(r"正在生成… \d/\d 步")


def shot(page, name: str) -> None:
    """Save a full-page screenshot as ``tests/screenshots/reports/<name>.png``."""
    (SHOTS / "reports").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "reports" / f"{name}.png"), full_page=True)


def open_form(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#reports-make")
    settle(page)


def watch_progress(page) -> None:
    """Record every text of the progress label and whether the bar was ever shown."""
    page.evaluate(
        """() => {
            window.__progress = []; window.__barShown = false;
            const label = document.querySelector('#reports-progress-label');
            const bar = document.querySelector('#reports-progress-wrap');
            new MutationObserver(() => window.__progress.push(label.innerText))
                .observe(label, {childList: true, subtree: true, characterData: true});
            new MutationObserver(() => {
                if (getComputedStyle(bar).display !== 'none') { window.__barShown = true; }
            }).observe(bar, {attributes: true});
        }"""
    )


def choose_period(page, kind: str, days: str) -> None:
    page.get_by_text(kind, exact=True).click()
    page.wait_for_function(
        "t => document.querySelector('#reports-period').innerText.includes(t)", arg=days
    )


def test_rp101_a_monthly_pdf_of_nanjing_downloads_after_showing_its_progress(page, server):
    open_form(page, f"{server}/reports")
    shot(page, "rp101-form")
    page.locator("#reports-scope").click()
    page.get_by_role("option", name="南京市", exact=True).click()
    choose_period(page, "月报", "共 30 天")
    page.get_by_text(t("reports.format.pdf", "zh"), exact=True).click()
    assert page.locator("#reports-scope").inner_text() == "南京市"
    watch_progress(page)

    with page.expect_download(timeout=JOB_MS) as info:
        page.locator("#reports-make").click()
        # while the job runs: the button is off, the bar and a cancel button are shown
        page.wait_for_selector("#reports-make:disabled", timeout=10_000)
        page.wait_for_selector("#reports-cancel:visible", timeout=10_000)
        page.wait_for_function(
            "() => /\\d\\/\\d/.test(document.querySelector('#reports-progress-label').innerText)",
            timeout=JOB_MS,
        )
        shot(page, "rp101-running")
    download = info.value
    name = download.suggested_filename
    assert "320100" in name and name.endswith(".pdf"), name
    with open(download.path(), "rb") as f:
        assert f.read(5) == b"%PDF-"

    page.wait_for_selector("#reports-message [data-state=done]", timeout=20_000)
    assert name in page.locator("#reports-message").inner_text()
    seen = page.evaluate("window.__progress")
    assert any(PROGRESS.search(text) for text in seen), seen
    assert page.locator("#reports-make").is_enabled()
    assert not page.locator("#reports-cancel").is_visible()
    assert not page.locator("#reports-progress-wrap").is_visible()
    settle(page)
    shot(page, "rp101-done")


def test_rp102_an_excel_report_of_the_urls_area_downloads(page, server):
    open_form(page, f"{server}/reports?scope=320100&kind=monthly&date=2026-11-25")
    assert page.locator("#reports-scope").inner_text() == "南京市"
    assert "2026-11-01 至 2026-11-30，共 30 天" in page.locator("#reports-period").inner_text()
    page.get_by_text("Excel 表格", exact=True).click()
    watch_progress(page)
    with page.expect_download(timeout=JOB_MS) as info:
        page.locator("#reports-make").click()
    download = info.value
    name = download.suggested_filename
    assert "320100" in name and name.endswith(".xlsx"), name
    with zipfile.ZipFile(download.path()) as book:
        assert "xl/workbook.xml" in book.namelist()
    page.wait_for_selector("#reports-message [data-state=done]", timeout=20_000)
    assert page.evaluate("window.__barShown") or page.evaluate("window.__progress")
    settle(page)
    shot(page, "rp102-excel-done")


def test_rp103_a_reversed_range_says_so_and_makes_nothing(page, server):
    open_form(page, f"{server}/reports?scope=320102&kind=custom&date=2026-11-25")
    assert page.locator("#reports-day-field").is_hidden()
    page.locator("#reports-from").fill("2026-11-20")
    page.locator("#reports-from").press("Enter")
    page.keyboard.press("Escape")
    # as a person would: the period line has taken the start (the picker has closed and
    # given focus back to its field) before the end is typed — at machine speed the
    # closing picker took the focus back and the end was typed into the start
    page.wait_for_function(
        "() => document.querySelector('#reports-period').innerText.includes('2026-11-20')"
    )
    settle(page)
    page.locator("#reports-to").click()
    page.locator("#reports-to").fill("2026-11-10")
    page.locator("#reports-to").press("Enter")
    page.keyboard.press("Escape")
    page.wait_for_selector("#reports-period [data-state=error]", timeout=10_000)
    assert "早于开始日期" in page.locator("#reports-period").inner_text()
    downloads = []
    page.on("download", lambda d: downloads.append(d))
    page.locator("#reports-make").click()
    page.wait_for_selector("#reports-message [data-state=error]", timeout=JOB_MS)
    assert "早于开始日期" in page.locator("#reports-message").inner_text()
    assert not downloads
    settle(page)
    shot(page, "rp103-reversed-range")


def test_rp104_a_report_can_be_cancelled(page, server):
    open_form(page, f"{server}/reports?scope=320000&kind=monthly&date=2026-11-25")
    page.get_by_text("HTML 网页", exact=True).click()
    downloads = []
    page.on("download", lambda d: downloads.append(d))
    page.locator("#reports-make").click()
    page.locator("#reports-cancel").click(timeout=10_000)
    page.wait_for_selector("#reports-message [data-state=cancelled]", timeout=20_000)
    assert page.locator("#reports-make").is_enabled()
    page.wait_for_timeout(1_500)  # a cancelled job sends nothing later
    assert not downloads
    assert "已取消" in page.locator("#reports-message").inner_text()
    settle(page)
    shot(page, "rp104-cancelled")


def test_rp105_the_form_in_english(browser, server):
    from tests.browser.conftest import watched_page

    context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="en-GB")
    context.add_cookies([{"name": "cityops_lang", "value": "en", "url": server}])
    page = watched_page(context)
    try:
        open_form(page, f"{server}/reports?scope=320102&kind=weekly&date=2026-11-25")
        text = page.locator(".reports-page").inner_text()
        for label in ("Make a report", "Area", "Report type", "Weekly", "Map indicator",
                      "Report language", "Format", "Make and download"):  # fmt: skip
            assert label in text, label
        assert "2026-11-23 to 2026-11-29, 7 days" in text
        # no Chinese but the area's name
        assert not re.search(r"[\u3400-\u9fff]", text.replace("南京市 › 玄武区", ""))
        assert page.locator("#reports-lang input[value=en]").is_checked()
        shot(page, "rp105-english")
        page.watch.assert_clean()
    finally:
        context.close()
