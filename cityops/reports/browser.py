"""A report laid out as one self-contained HTML page, and that page printed as an A4 PDF.

Both go through Debian's Chromium, launched once per report: Plotly draws every
chart there (plotly.js from the installed ``plotly`` package, never a CDN) and
hands it back as SVG, which the page keeps as an inline ``data:`` image. The
final page has no script, loads no font and asks nothing of the network; the
PDF is that page printed by Chromium with a running header (scope and period)
and page numbers, charts and Chinese text kept as vectors and embedded fonts.

Every string of the report is escaped by the template (Jinja2 autoescape); the
only markup not escaped is the project's own stylesheet.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import html
import json
import math
import os
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
import pandas as pd
import plotly.io as pio
from markupsafe import Markup

from cityops import theme
from cityops.reports.model import Chart, Column, Report, Table
from cityops.settings import Settings, get_settings
from cityops.text.formatting import MISSING, fmt_date, fmt_rate, fmt_tonnes

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Route

TEMPLATES = Path(__file__).resolve().parent / "templates"
#: Chromium's flags: headless, and nothing that phones home.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
)
#: Local CJK fonts first (Debian's fonts-noto-cjk); never a web font.
FONT_FAMILY = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", sans-serif'
#: A4's text width at 15 mm side margins is 180 mm; charts take 170 mm of it.
CHART_WIDTH_MM = 170
CHART_WIDTH_PX = round(CHART_WIDTH_MM / 25.4 * 96)  # CSS pixels: 643
#: The map has a page of its own: drawn tall (about 200 mm), so small districts read.
MAP_HEIGHT_PX = 760
#: A table of at most this many rows is kept on one page with its title.
SHORT_TABLE_ROWS = 20
PAGE_MARGIN = {"top": "18mm", "bottom": "18mm", "left": "15mm", "right": "15mm"}
#: Only what the page itself carries may load: its inline images and the blank page.
_LOCAL_SCHEMES = ("data:", "about:")
#: Header and footer of each printed page (Chromium renders them apart from the page:
#: they need their own font and size, and cannot load anything).
_MARGIN_STYLE = (
    "width:100%;margin:0 15mm;font-size:9px;color:{colour};font-family:{font};"
    "-webkit-print-color-adjust:exact;"
)

#: Plotly draws each figure, then hands back its SVG; all charts at once, bounded in time.
_DRAW_JS = """
async ({figures, timeoutMs}) => {
  await document.fonts.ready;
  const draw = async (figure) => {
    const div = document.createElement('div');
    document.body.appendChild(div);
    try {
      await Plotly.newPlot(div, figure.data, figure.layout,
                           {staticPlot: true, displayModeBar: false});
      return await Plotly.toImage(div, {format: 'svg', imageDataOnly: true,
                                        width: figure.layout.width,
                                        height: figure.layout.height});
    } finally {
      Plotly.purge(div);
      div.remove();
    }
  };
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error('charts not drawn in ' + timeoutMs + ' ms')),
                       timeoutMs);
  });
  try {
    return await Promise.race([Promise.all(figures.map(draw)), late]);
  } finally {
    clearTimeout(timer);
  }
}
"""


# ---------------------------------------------------------------------------- cells


def _missing(value: object) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def cell_text(value: object, kind: str, lang: str = "zh") -> str:
    """Return a table cell as printed: a rate as 87.5%, a count as 1,234, missing as "—".

    ``kind`` is a :data:`cityops.reports.model.ColumnKind`; text is returned as
    it is (the template escapes it).
    """
    if _missing(value):
        return MISSING
    if kind == "text":
        return str(value)
    if kind == "count":
        return f"{round(float(value)):,}"
    if kind == "rate":
        return fmt_rate(float(value), lang)
    if kind == "tonnes":
        return fmt_tonnes(float(value), lang)
    if kind in ("hours", "number"):
        return f"{float(value):,.1f}"
    if kind == "date":
        day = pd.Timestamp(value).date() if not isinstance(value, dt.date) else value
        if isinstance(day, dt.datetime):
            day = day.date()
        return fmt_date(day, lang)
    if kind == "datetime":
        return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")
    return str(value)


def table_rows(table: Table, lang: str) -> list[list[str]]:
    """Return the rows of ``table`` as printed texts, one list per row, in column order."""
    frame = table.frame
    columns = []
    for column in table.columns:
        values = frame[column.key] if column.key in frame else [None] * len(frame)
        columns.append([cell_text(v, column.kind, lang) for v in values])
    return [list(row) for row in zip(*columns, strict=True)] if columns else []


def _align(column: Column) -> str:
    """Return a cell's CSS class: text left, dates left on one line, numbers right."""
    if column.kind == "text":
        return "text"
    return "text when" if column.kind in ("date", "datetime") else "num"


# ---------------------------------------------------------------------------- charts


def _charts(report: Report) -> list[Chart]:
    """Return every chart of ``report`` in page order: the map, then each section's."""
    return [report.map] + [chart for section in report.sections for chart in section.charts]


def print_figure(chart: Chart, height: int | None = None) -> dict | None:
    """Return ``chart``'s figure as Plotly JSON laid out for print, or None (nothing to draw).

    A4 text width (170 mm), ``height`` (default: the figure's own) in CSS
    pixels, white ground, the local CJK font, no modebar; the report's own
    figure is not changed.
    """
    if chart.figure is None:
        return None
    figure = json.loads(pio.to_json(chart.figure, validate=False))
    layout = figure.setdefault("layout", {})
    height = height or layout.get("height") or 320
    layout.update(
        width=CHART_WIDTH_PX,
        height=height,
        autosize=False,
        paper_bgcolor=theme.CHART_BACKGROUND,
        plot_bgcolor=theme.CHART_BACKGROUND,
    )
    font = dict(layout.get("font") or {})
    font["family"] = FONT_FAMILY
    layout["font"] = font
    figure.setdefault("data", [])
    return figure


def _svg_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


# ---------------------------------------------------------------------------- page


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _palette() -> str:
    """Return the stylesheet's colours (CSS custom properties) from :mod:`cityops.theme`."""
    colours = {
        "ink": theme.SELECTED_BORDER,
        "muted": theme.EXPORT_NOTE_TEXT,
        "rule": theme.DISABLED_BORDER,
        "faint": theme.CHART_GRID,
        "head-fill": theme.PALE,
        "head-ink": theme.EXPORT_HEADER_FILL,
        "paper": theme.CHART_BACKGROUND,
        "accent": theme.DOMAIN_ACCENT.get("overview", theme.ACCENTS["sky"]),
        "empty-fill": theme.ZERO,
    }
    body = "".join(f"--{name}:{value};" for name, value in colours.items())
    return f":root{{{body}--font:{FONT_FAMILY};}}"


@lru_cache(maxsize=1)
def _stylesheet() -> str:
    return (TEMPLATES / "report.css").read_text(encoding="utf-8")


def page_html(report: Report, images: dict[int, str] | None = None) -> str:
    """Return ``report`` as one HTML page; ``images`` maps ``id(chart)`` to its SVG.

    A chart missing from ``images`` (or whose figure is None) prints its table's
    ``empty`` text, or ``labels["no_chart"]``. The page has no script.
    """
    images = images or {}
    labels = report.labels
    domain_titles = {section.domain: section.title for section in report.sections}
    kpi_groups: list[tuple[str, list]] = []
    for line in report.kpis:
        if not kpi_groups or kpi_groups[-1][0] != line.domain:
            kpi_groups.append((line.domain, []))
        kpi_groups[-1][1].append(line)

    def label(key: str) -> str:
        return labels.get(key, key)

    def image(chart: Chart) -> str | None:
        return images.get(id(chart))

    def chart_empty(chart: Chart) -> str:
        return chart.table.empty or label("no_chart")

    def rows(table: Table) -> list[list[str]]:
        return table_rows(table, report.lang)

    def has_rows(table: Table) -> bool:
        return len(table.frame) > 0

    def short(table: Table) -> bool:
        return len(table.frame) <= SHORT_TABLE_ROWS

    def kind_label(kind: str) -> str:
        return label("status_kpi" if kind == "status" else "period_kpi")

    def anchor(text: str) -> str:
        return "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in text)

    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            report=report,
            lang_tag="zh-CN" if report.lang == "zh" else report.lang,
            css=Markup(_palette() + "\n" + _stylesheet()),  # the project's own stylesheet
            label=label,
            image=image,
            chart_empty=chart_empty,
            rows=rows,
            has_rows=has_rows,
            short=short,
            align=_align,
            kind_label=kind_label,
            kpi_groups=kpi_groups,
            domain_titles=domain_titles,
            anchor=anchor,
            accent=lambda domain: theme.DOMAIN_ACCENT.get(domain, theme.ACCENTS["sky"]),
            generated=report.generated_at.strftime("%Y-%m-%d %H:%M"),
            as_of=report.data_as_of.strftime("%Y-%m-%d %H:%M") if report.data_as_of else MISSING,
        )
    )


def header_template(report: Report) -> str:
    """Return Chromium's running header: the report's scope and period, small and grey."""
    style = _MARGIN_STYLE.format(colour=theme.EXPORT_NOTE_TEXT, font=FONT_FAMILY)
    return f'<div style="{html.escape(style)}">{html.escape(report.header_text())}</div>'


def footer_template(report: Report) -> str:
    """Return Chromium's footer: "第 X 页 / 共 Y 页" (``labels["page"]``), centred."""
    words = html.escape(report.labels.get("page", "{page} / {pages}"))
    words = words.replace("{page}", '<span class="pageNumber"></span>').replace(
        "{pages}", '<span class="totalPages"></span>'
    )
    style = _MARGIN_STYLE.format(colour=theme.EXPORT_NOTE_TEXT, font=FONT_FAMILY)
    return f'<div style="{html.escape(style)}text-align:center;">{words}</div>'


# ---------------------------------------------------------------------------- Chromium


@contextlib.contextmanager
def _chromium(settings: Settings | None = None) -> Iterator[tuple[BrowserContext, float]]:
    """Yield ``(context, timeout_s)``: a fresh browser context with no way out.

    Every request that is not ``data:`` or ``about:`` is aborted; the browser
    is closed whatever happens. A missing Chromium, one that does not start and
    a step that fails or outlasts ``report_timeout_s`` raise :class:`RuntimeError`.
    """
    settings = settings or get_settings()
    path = settings.chromium_path
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise RuntimeError(
            f"Chromium not found at {path} (setting chromium_path): reports need Debian's "
            "chromium; install it with scripts/system-deps.sh"
        )
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    timeout_s = float(settings.report_timeout_s)
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(
                executable_path=path, args=list(CHROMIUM_ARGS), timeout=timeout_s * 1000
            )
        except PlaywrightError as exc:
            raise RuntimeError(
                f"Chromium at {path} did not start ({exc.__class__.__name__}): check it with "
                "scripts/system-deps.sh"
            ) from exc
        try:
            context = browser.new_context(
                offline=True, service_workers="block", java_script_enabled=True
            )
            context.set_default_timeout(timeout_s * 1000)

            def guard(route: Route) -> None:
                if route.request.url.startswith(_LOCAL_SCHEMES):
                    route.continue_()
                else:
                    route.abort()

            context.route("**/*", guard)
            yield context, timeout_s
        except PlaywrightError as exc:
            reason = (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]
            raise RuntimeError(
                f"Chromium did not render the report (limit {timeout_s:g} s, setting "
                f"report_timeout_s): {reason}"
            ) from exc
        finally:
            browser.close()


def _draw(context: BrowserContext, report: Report, timeout_s: float) -> dict[int, str]:
    """Return ``{id(chart): data URI}`` for every chart with a figure, drawn in one call."""
    charts = [
        (chart, print_figure(chart, MAP_HEIGHT_PX if chart is report.map else None))
        for chart in _charts(report)
    ]
    charts = [(chart, figure) for chart, figure in charts if figure is not None]
    if not charts:
        return {}
    page = context.new_page()
    try:
        page.set_content('<!doctype html><html><head><meta charset="utf-8"></head><body></body>')
        page.add_script_tag(content=_plotly_js())
        svgs = page.evaluate(
            _DRAW_JS,
            {"figures": [figure for _, figure in charts], "timeoutMs": int(timeout_s * 1000)},
        )
    finally:
        page.close()
    return {id(chart): _svg_uri(svg) for (chart, _), svg in zip(charts, svgs, strict=True)}


@lru_cache(maxsize=1)
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def render_html(report: Report, settings: Settings | None = None) -> str:
    """Return ``report`` as one self-contained HTML page (inline CSS and SVG, no script).

    ``settings`` give Chromium's path and time limit (default: the environment's).
    """
    with _chromium(settings) as (context, timeout_s):
        images = _draw(context, report, timeout_s)
    return page_html(report, images)


def render_pdf(report: Report, settings: Settings | None = None) -> bytes:
    """Return ``report`` printed on A4 by Chromium: running header, page X of Y, vector charts.

    ``settings`` give Chromium's path and time limit (default: the environment's).
    """
    with _chromium(settings) as (context, timeout_s):
        page_text = page_html(report, _draw(context, report, timeout_s))
        page = context.new_page()
        page.set_content(page_text, wait_until="load")
        page.evaluate("document.fonts.ready.then(() => true)")
        return page.pdf(
            format="A4",
            print_background=True,
            display_header_footer=True,
            header_template=header_template(report),
            footer_template=footer_template(report),
            margin=PAGE_MARGIN,
        )


__all__ = [
    "CHART_WIDTH_PX",
    "cell_text",
    "footer_template",
    "header_template",
    "page_html",
    "print_figure",
    "render_html",
    "render_pdf",
    "table_rows",
]
