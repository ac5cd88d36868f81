"""Pieces shared by the domain pages: toolbar, KPI row, panels, entity cards."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from dash import dcc, html

from cityops.text.formatting import fmt_date
from cityops.text.i18n import t
from cityops.urls import DAY_RANGE
from components.breadcrumb import breadcrumb, crumb_label
from components.datepicker import date_picker
from components.kpi import kpi_card
from components.states import empty


def toolbar(
    crumbs: list[tuple[str, str, str]],
    href: Callable[[str], str],
    day: dt.date,
    date_id: str,
    lang: str,
    filters: list | None = None,
) -> html.Div:
    """Return the breadcrumb, the page's filters and the date picker."""
    return html.Div(
        [
            breadcrumb(crumbs, href, lang),
            html.Div(
                [
                    *(filters or []),
                    html.Label(t("overview.date", lang), htmlFor=date_id),
                    date_picker(date_id, day, lang, min_day=DAY_RANGE[0], max_day=DAY_RANGE[1]),
                    html.Span(fmt_date(day, lang), className="date-long"),
                ],
                className="toolbar-date",
            ),
        ],
        className="toolbar",
    )


def kpi_row(values: dict, names: list[str], lang: str, note: str | None = None) -> html.Div:
    """Return the cards of ``names`` (each with ``data-kpi`` and ``data-value``).

    ``note`` says what the cards are narrowed to (a filter or one entity).
    """
    row = html.Div([kpi_card(n, values.get(n), lang) for n in names], className="kpi-row")
    if not note:
        return row
    return html.Div(
        [html.Div(note, className="kpi-note", **{"data-filter": note}), row], className="kpi-block"
    )


def panel(title: str, *body, panel_id: str | None = None, extra: str = "") -> html.Section:
    """Return a titled panel; the title says which question the panel answers."""
    kwargs = {"id": panel_id} if panel_id else {}
    return html.Section(
        [html.H2(title, className="panel-title"), *body], className=f"panel {extra}", **kwargs
    )


def facts(pairs: list[tuple[str, object]]) -> html.Dl:
    """Return a definition list of label → value for an entity card."""
    items: list = []
    for label, value in pairs:
        items += [html.Dt(label), html.Dd(value if value not in (None, "") else "—")]
    return html.Dl(items)


def area_names(codes, name_of: Callable[[str], str]) -> list[str]:
    """Return the name of each area code in ``codes``, asking ``name_of`` once per code.

    A table of 2,000 alarms names ~100 districts: one lookup each, not 2,000.
    """
    known: dict = {}
    names = []
    for code in codes:
        if code not in known:
            known[code] = name_of(code)
        names.append(known[code])
    return names


def chart(figure, empty_text: str, graph_id: str | None = None):
    """Return ``figure`` as a graph (no mode bar), or the empty state when it is None.

    Pages pass ``None`` when there is nothing to draw, so an empty chart says why
    instead of showing bare axes.
    """
    if figure is None:
        return empty(empty_text)
    kwargs = {"id": graph_id} if graph_id else {}
    return dcc.Graph(figure=figure, config={"displayModeBar": False}, **kwargs)


def print_heading(
    page: str, crumbs: list[tuple[str, str, str]], day: dt.date, as_of: dt.datetime | None,
    lang: str,
) -> str:  # fmt: skip
    """Return the print-only title: page name, scope path, date, time of the newest data.

    ``crumbs`` are breadcrumb items (level, code, name), province first; ``as_of``
    None (nothing loaded yet) shows as a dash.
    """
    return t(
        "print.title",
        lang,
        page=t(f"nav.{page}", lang),
        scope=" › ".join(crumb_label(level, name, lang) for level, _, name in crumbs),
        date=fmt_date(day, lang),
        as_of=as_of.strftime("%Y-%m-%d %H:%M") if as_of else "—",
    )
