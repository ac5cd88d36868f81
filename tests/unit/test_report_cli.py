"""``cityops report`` as a manager's cron runs it: every format, every level (issue 11).

Through the installed console script in a subprocess, on the demo store: the
PDF's text (``pdftotext``) holds the scope's name and every KPI value as the API
gives it for the same scope and period; the Excel's KPI sheet holds the API's
numbers; the HTML is one file with no script. Page images (``pdftoppm``) are
kept under ``tests/screenshots/reports/cli/`` to be looked at.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from cityops.queries.kpis import KPIS
from cityops.text.formatting import fmt_value
from tests.unit.test_cli import REPO, run

SHOTS = REPO / "tests" / "screenshots" / "reports" / "cli"
PERIOD = ("--from", "2026-11-01", "--to", "2026-11-30")
SCOPES = {"320102": "玄武区", "320100": "南京市", "320000": "江苏省"}


def _api(client, code: str) -> dict:
    return client.get(f"/api/v1/kpis?scope={code}&from=2026-11-01&to=2026-11-30").get_json()


def _text(pdf: Path) -> str:
    done = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True)  # fmt: skip
    return done.stdout


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.browser
@pytest.mark.parametrize("code", list(SCOPES))
def test_pdf_of_each_level_reads_back_with_the_api_numbers(demo_dir, client, tmp_path, code):
    out = tmp_path / "report.pdf"
    done = run(demo_dir, "report", "--scope", code, *PERIOD, "--format", "pdf",
               "--output", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"wrote {out}") and SCOPES[code] in done.stdout
    assert out.read_bytes().startswith(b"%PDF")
    text = _squeeze(_text(out))
    assert SCOPES[code] in text and "月报" in text and "2026年11月" in text
    body = _api(client, code)
    for kpi in KPIS:  # every KPI's value, as the summary prints it
        shown = _squeeze(fmt_value(body["kpis"][kpi.name], kpi.unit, "zh"))
        assert shown in text, (kpi.name, shown)
    for title in ("指标摘要", "区域分布", "重点问题", "附录"):
        assert title in text
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(out, SHOTS / f"{code}.pdf")
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "4", str(out),
                    str(SHOTS / code)], check=True)  # fmt: skip
    assert len(list(SHOTS.glob(f"{code}-*.png"))) == 4


@pytest.mark.parametrize("code", list(SCOPES))
def test_excel_of_each_level_holds_the_api_numbers(demo_dir, client, tmp_path, code):
    done = run(demo_dir, "report", "--scope", code, *PERIOD, "--format", "xlsx",
               "--output", str(tmp_path))  # fmt: skip
    assert done.returncode == 0, done.stderr
    [path] = tmp_path.glob("*.xlsx")
    assert path.name == f"cityops_{code}_2026-11_zh.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(path.read_bytes()))
    cover = book.worksheets[0]
    cover_text = " ".join(str(c.value) for row in cover.iter_rows() for c in row if c.value)
    assert SCOPES[code] in cover_text and "2026-11-01" in cover_text
    numbers = [c.value for ws in book.worksheets[1:2] for row in ws.iter_rows() for c in row
               if isinstance(c.value, int | float)]  # fmt: skip
    body = _api(client, code)
    for kpi in KPIS:
        value = body["kpis"][kpi.name]
        if value is not None:
            assert any(abs(n - value) < 1e-9 for n in numbers), (kpi.name, value)


@pytest.mark.browser
@pytest.mark.parametrize("code", list(SCOPES))
def test_html_of_each_level_is_one_file_that_asks_nothing_of_the_network(demo_dir, tmp_path, code):
    from playwright.sync_api import sync_playwright

    from cityops.reports.browser import CHROMIUM_ARGS

    out = tmp_path / "r.html"
    done = run(demo_dir, "report", "--scope", code, *PERIOD, "--format", "html",
               "--output", str(out), "--lang", "en")  # fmt: skip
    assert done.returncode == 0, done.stderr
    page_text = out.read_text(encoding="utf-8")
    assert SCOPES[code] in page_text and "monthly report" in page_text
    assert "<script" not in page_text.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", page_text, re.I)
    asked = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=list(CHROMIUM_ARGS))
        try:
            page = browser.new_page()
            page.on("request", lambda r: asked.append(r.url))
            page.goto(out.as_uri(), wait_until="load")
            images = page.evaluate("[...document.images].filter(i => i.naturalWidth > 0).length")
        finally:
            browser.close()
    outside = [u for u in asked if not u.startswith(("data:", "file:"))]
    assert not outside, outside
    assert images >= 5  # the map and the domain charts, drawn from inline SVG


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--scope", "999999", *PERIOD), "--scope"),
        (("--scope", "320100", "--from", "2026-11-31"), "YYYY-MM-DD"),
        (("--scope", "320100", "--from", "2026-11-30", "--to", "2026-11-01"), "before it starts"),
        (("--scope", "320100"), "give the period"),
        (("--scope", "320100", "--last", "monthly", "--from", "2026-11-01"), "not both"),
        (("--scope", "320100", *PERIOD, "--map-kpi", "nope"), "unknown KPI"),
        (("--scope", "320100", *PERIOD, "--format", "docx"), "docx"),
    ],
)
def test_a_bad_scope_or_period_is_one_line_and_exit_2(demo_dir, tmp_path, args, message):
    out = tmp_path / "r.pdf"
    done = run(demo_dir, "report", *args, "--output", str(out))
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists() and not list(tmp_path.iterdir())


def test_no_store_or_no_chromium_is_exit_1_and_no_file(demo_dir, tmp_path):
    out = tmp_path / "r.pdf"
    done = run(tmp_path / "nothing-here", "report", "--scope", "320100", *PERIOD,
               "--output", str(out))  # fmt: skip
    assert done.returncode == 1, done.stderr
    done = run(demo_dir, "report", "--scope", "320100", *PERIOD, "--output", str(out),
               CITYOPS_CHROMIUM_PATH=str(tmp_path / "no-chromium"))  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "chromium" in done.stderr.lower() and "system-deps.sh" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.glob("*.pdf")) and not list(tmp_path.glob(".*partial"))


def test_an_unwritable_output_is_exit_1(demo_dir, tmp_path):
    done = run(demo_dir, "report", "--scope", "320100", *PERIOD, "--format", "xlsx",
               "--output", str(tmp_path / "no" / "such" / "dir" / "r.xlsx"))  # fmt: skip
    assert done.returncode == 1
    assert "cannot write" in done.stderr
