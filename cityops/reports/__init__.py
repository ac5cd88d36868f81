"""Reports for managers: a city's or district's 日报/周报/月报 as PDF, HTML or Excel.

One entry point, :func:`make`, used by ``cityops report`` and the Reports page:
:func:`cityops.reports.content.build` asks the query layer (the same KPI
declarations as the screens and the API) and fills a
:class:`cityops.reports.model.Report`; a renderer lays it out:

* ``html`` — one self-contained file: charts drawn once by Plotly in Chromium
  and kept as inline SVG, no script, no font or image from the network;
* ``pdf`` — that page printed by Chromium on A4 with a running header (scope
  and period) and page numbers; Chinese text is embedded as subset fonts, so
  ``pdftotext`` reads it back;
* ``xlsx`` — XlsxWriter: a cover sheet, a KPI sheet, a sheet per domain with
  the tables behind the charts, typed cells, frozen styled headers, autofilter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Literal

from cityops.geo import Scope
from cityops.periods import Period

Format = Literal["pdf", "html", "xlsx"]
FORMATS: tuple[Format, ...] = ("pdf", "html", "xlsx")
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
#: ``progress(number, total, step)``: step ``number`` of ``total`` starts (its name is a
#: translation key under ``report.step.``).
Progress = Callable[[int, int, str], None]


def make(
    ctx,
    *,
    scope: Scope,
    period: Period,
    fmt: Format,
    allowed: Scope,
    lang: str = "zh",
    map_kpi: str | None = None,
    now: dt.datetime | None = None,
    progress: Progress | None = None,
) -> tuple[bytes, str]:
    """Make the report of ``scope`` over ``period`` in ``fmt``.

    ``ctx`` is a :class:`cityops.queries.context.Context`; ``allowed`` the
    caller's permitted scope (a scope outside it raises
    :class:`cityops.geo.ScopeDenied`). ``map_kpi`` names the KPI the map is
    coloured by (default: the camera online rate). ``progress`` is told of
    each step as it starts.

    Returns
    -------
    tuple
        ``(content, filename)``: the file's bytes and a safe ASCII file name.
    """
    from cityops.reports.content import build

    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    from cityops.reports.content import STEPS

    total = len(STEPS) + 1  # then the layout, the slowest step for PDF and HTML
    tell = progress or (lambda number, total, step: None)
    report = build(
        ctx,
        scope=scope,
        period=period,
        allowed=allowed,
        lang=lang,
        map_kpi=map_kpi,
        now=now,
        progress=lambda number, step: tell(number, total, step),
    )
    tell(total, total, "layout")
    if fmt == "xlsx":
        from cityops.reports.excel import render_xlsx

        content = render_xlsx(report)
    else:
        from cityops.reports.browser import render_html, render_pdf

        content = (
            render_pdf(report, ctx.settings)
            if fmt == "pdf"
            else render_html(report, ctx.settings).encode("utf-8")
        )
    return content, report.filename(fmt)
