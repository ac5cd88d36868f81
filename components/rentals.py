"""Panels of the rentals page: the heat map layer, the rule, the funnel, units, one flat.

Pure builders: what :mod:`cityops.queries.rentals` returns in, Dash and
dash-leaflet components out; colours from :mod:`cityops.theme`, labels from
:mod:`cityops.text.i18n`. Area names come through ``name_of`` (code → name).
Landlords' names and phones arrive masked from the query layer.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

import dash_leaflet as dl
import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html

from cityops import theme
from cityops.queries.kpis import RentalRules
from cityops.text.formatting import fmt_count, fmt_times
from cityops.text.i18n import t
from components.charts import funnel
from components.choropleth import choropleth_hideout, js
from components.domain import area_names, chart, facts, panel
from components.states import empty
from components.tables import data_table

#: Columns of the suspected units table, in order.
UNIT_COLUMNS = [
    "unit_id",
    "address",
    "floor_area_m2",
    "rooms",
    "occupants",
    "area_per_person",
    "per_room",
    "inspection_status",
    "district_code",
    "landlord_name",
    "landlord_phone",
]


def heat_layer_url(scope: str) -> str:
    """Return the URL of the suspected-rentals heat cells of ``scope`` (geobuf polygons)."""
    return f"/api/v1/layers/rentals-heat.pbf?{urlencode({'scope': scope})}"


def heat_layer(cells: pd.DataFrame, *, url: str, layer_id: str, lang: str) -> dl.GeoJSON:
    """Return H3 cells (``grid_cell, suspected``) coloured by their suspected units.

    The classes and colours are those of the KPI ``rentals_suspected`` (its
    ``hideout``, read by the map's style function); the cells' shapes come from
    ``url`` (:func:`heat_layer_url`, geobuf, cached per store version) rather than
    inside the page (a province's cells are 2 MB of GeoJSON). The layer takes no
    clicks, so a click drills into the area under it.
    """
    hideout = choropleth_hideout(
        cells.set_index("grid_cell")["suspected"], kpi="rentals_suspected", names={}, lang=lang
    )
    return dl.GeoJSON(
        id=layer_id,
        url=url,
        format="geobuf",
        hideout=hideout,
        style=js("style"),
        interactive=False,
    )


def rule_text(
    rules: RentalRules, *, city_code: str | None, lang: str, name_of: Callable[[str], str]
) -> list:
    """Return the group-rental rule in words, then each city's own where it differs.

    ``city_code`` None (the province) lists every city's override; a city lists its own.
    """
    out = [
        html.P(
            t(
                "rentals.rule_text",
                lang,
                area=f"{rules.default.min_area_per_person:g}",
                per_room=f"{rules.default.max_per_room:g}",
            )
        )
    ]
    for code, rule in rules.by_city:
        if city_code is None or city_code == code:
            out.append(
                html.P(
                    t(
                        "rentals.rule_city",
                        lang,
                        city=name_of(code),
                        area=f"{rule.min_area_per_person:g}",
                        per_room=f"{rule.max_per_room:g}",
                    ),
                    className="hint",
                )
            )
    return out


def funnel_chart(stages: dict[str, int], *, lang: str, graph_id: str) -> html.P | dcc.Graph:
    """Return the rectification funnel (stage → count, registered first) in the rentals accent.

    No unit registered: the empty state.
    """
    figure = funnel_figure(stages, lang)
    if figure is None:
        return empty(t("empty.no_rows", lang))
    return chart(figure, t("empty.no_rows", lang), graph_id=graph_id)


def funnel_figure(stages: dict[str, int], lang: str) -> go.Figure | None:
    """Return the funnel figure of ``stages`` (registered first), or None with none registered."""
    if not stages["registered"]:
        return None
    return funnel(
        [t(f"funnel.{k}", lang) for k in stages],
        list(stages.values()),
        theme.DOMAIN_ACCENT["rentals"],
        [fmt_count(v, lang) for v in stages.values()],
    )


def units_table(units: pd.DataFrame, *, name: str, lang: str, name_of: Callable[[str], str]):
    """Return suspected units (:func:`suspected_units`) as a table a click on a row opens."""
    if units.empty:
        return empty(t("empty.no_rows", lang))
    shown = units.copy()
    shown["inspection_status"] = [t(f"inspection.{s}", lang) for s in shown["inspection_status"]]
    shown["district_code"] = area_names(shown["district_code"], name_of)
    return data_table(
        name,
        shown,
        UNIT_COLUMNS,
        lang,
        widths={"address": 220},
        row_id="unit_id",
        selectable=True,
    )


def unit_card(row: pd.Series, *, lang: str, district: str, panel_id: str) -> html.Section:
    """Return the card of one flat (a row of :func:`cityops.queries.rentals.unit`).

    ``district`` is the name of its district.
    """
    occupants = int(row["occupants"])
    per_person = round(row["floor_area_m2"] / occupants, 1) if occupants else None
    return panel(
        f"{t('rentals.unit', lang)} {row['unit_id']}",
        facts(
            [
                (t("col.address", lang), row["address"]),
                (t("col.floor_area_m2", lang), f"{row['floor_area_m2']:g}"),
                (t("col.rooms", lang), int(row["rooms"])),
                (t("col.occupants", lang), occupants),
                (t("col.area_per_person", lang), per_person),
                (t("col.per_room", lang), round(occupants / row["rooms"], 1)),
                (
                    t("col.inspection_status", lang),
                    t(f"inspection.{row['inspection_status']}", lang),
                ),
                (t("col.registered_at", lang), fmt_times([row["registered_at"]])[0]),
                (t("col.inspected_at", lang), fmt_times([row["inspected_at"]])[0]),
                (t("col.landlord_name", lang), row["landlord_name"]),
                (t("col.landlord_phone", lang), row["landlord_phone"]),
                (t("col.district_code", lang), district),
                (t("col.grid_cell", lang), row["grid_cell"]),
            ]
        ),
        extra="entity-card",
        panel_id=panel_id,
    )
