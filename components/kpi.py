"""KPI cards: a big number with a label, carrying ``data-kpi`` and ``data-value``."""

from __future__ import annotations

from dash import html

from cityops import ids
from cityops.domains import DOMAIN_NAMES
from cityops.queries.kpis import KPI_BY_NAME, KPIS
from cityops.text.formatting import fmt_value
from cityops.text.i18n import t
from cityops.theme import DOMAIN_ACCENT


def kpi_card(name: str, value: float | int | None, lang: str) -> html.Div:
    """Return the card of KPI ``name``.

    ``data-value`` is the raw number (rates as fractions) or empty for null, so
    tests and operators' tooling read exactly what the API returns.
    """
    kpi = KPI_BY_NAME[name]
    raw = "" if value is None else repr(value)
    number, _, unit = fmt_value(value, kpi.unit, lang).partition(" ")
    return html.Div(
        [
            html.Div(
                [number, html.Span(unit, className="kpi-unit") if unit else None],
                className="kpi-value",
            ),
            html.Div(t(f"kpi.{name}", lang), className="kpi-label"),
        ],
        id=ids.kpi_card(name),
        className=f"kpi-card kpi-{kpi.domain}",
        style={"borderTopColor": DOMAIN_ACCENT[kpi.domain]},
        **{"data-kpi": name, "data-value": raw},
    )


def kpi_groups(values: dict[str, float | int | None], lang: str) -> html.Div:
    """Return every KPI as cards grouped by domain (video, hazmat, rentals, tourism)."""
    groups = []
    for domain in DOMAIN_NAMES:
        cards = [kpi_card(k.name, values.get(k.name), lang) for k in KPIS if k.domain == domain]
        groups.append(
            html.Section(
                [html.H3(t(f"domain.{domain}", lang), className="kpi-group-title"), *cards],
                className=f"kpi-group kpi-group-{domain}",
            )
        )
    return html.Div(groups, className="kpi-groups")
