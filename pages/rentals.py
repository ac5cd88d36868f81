"""Rental housing (群租房智慧管控): suspected group rentals and their rectification.

URL: ``/rentals?scope=<area or cell>&date=YYYY-MM-DD&unit=<id>``. The map is an H3
heat map of suspected units; clicking an area drills down, and at a grid cell the
suspected units table opens a single flat. Landlords' names and phones are masked
on screen and in downloads (张*明, 139****1234).
"""

from __future__ import annotations

import dash_leaflet as dl
import h3
from dash import Input, Output, State, callback, html, no_update

from cityops import ids, theme
from cityops.queries import rentals as rq
from cityops.text.formatting import fmt_count, fmt_times
from cityops.text.i18n import t
from cityops.urls import page_href
from components.charts import funnel
from components.choropleth import choropleth_hideout, js
from components.domain import chart, empty, facts, panel
from components.tables import data_table, table_id
from pages._shared import (
    area_name,
    card_note,
    checked_id,
    crumbs,
    domain_page,
    entity_cell,
    entity_notice,
    guarded_layout,
    map_panel,
    map_state,
    register_navigation,
    register_page_for_domain,
    resolve_view,
    scope_values,
)

KPIS = ["rentals_registered", "rentals_suspected", "rentals_rectify_rate"]
P = "rentals"
AREAS, HEAT, STATE, DATE = f"{P}-areas", f"{P}-heat", f"{P}-state", f"{P}-date"
UNITS = f"{P}-suspected"
#: H3 resolution of the heat map by level: coarse enough to read at that zoom.
HEAT_RESOLUTION = {"province": 6, "city": 7}

PATH = register_page_for_domain(__name__, "rentals")


def href(scope, day, unit=None) -> str:
    """Return the URL of a rentals view."""
    return page_href(PATH, scope=scope, day=day, unit=unit)


@guarded_layout(PATH)
def layout(scope=None, date=None, unit=None, **_):
    view, error = resolve_view(PATH, scope, date, entity=("unit", unit))
    if error:
        return error
    ctx, lang, where, day = view.ctx, view.lang, view.where, view.day
    unit = view.entity_key
    container, _, hideout = map_state(ctx, where, day, "rentals_suspected", lang)
    overlays = []
    if where.level in ("province", "city"):
        hideout = {**hideout, "outline": True}
        overlays.append(_heat_layer(ctx, where, lang))
    if unit:
        right = _unit_detail(ctx, view.found.row, lang)
    else:
        right = [
            *entity_notice(view, t("rentals.unit", lang)),
            panel(t("rentals.rule", lang), *_rule(ctx, where, lang)),
            panel(t("rentals.funnel", lang), _funnel(ctx, where, lang)),
        ]
    return domain_page(
        P,
        state=view.state(unit=unit),
        crumb_items=crumbs(ctx, where, ("unit", unit) if unit else None, lang),
        crumb_href=lambda code: href(code, day),
        day=day,
        lang=lang,
        values=scope_values(view),
        kpis=KPIS,
        map_part=map_panel(
            ctx,
            P,
            t("rentals.map_title", lang),
            container,
            hideout,
            lang,
            overlays=overlays,
            legend_hideout=overlays[0].hideout if overlays else None,
        ),
        side=right,
        below=[]
        if unit
        else [panel(t("rentals.suspected_units", lang), _units_table(ctx, where, lang))],
        level=where.level,
        entity=unit,
        card_note=card_note(view),
    )


def _heat_layer(ctx, where, lang):
    """H3 cells coloured by their number of suspected units (no geometry for empty cells)."""
    resolution = HEAT_RESOLUTION[where.level]
    cells = rq.suspected_cells(ctx, scope=where, allowed=ctx.allowed_scope(), resolution=resolution)
    features = []
    for cell in cells["grid_cell"]:
        ring = [[round(lng, 6), round(lat, 6)] for lat, lng in h3.cell_to_boundary(cell)]
        features.append(
            {
                "type": "Feature",
                "id": cell,
                "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
                "properties": {"code": cell, "name": cell, "level": "grid", "enabled": True},
            }
        )
    hideout = choropleth_hideout(
        cells.set_index("grid_cell")["suspected"], kpi="rentals_suspected", names={}, lang=lang
    )
    return dl.GeoJSON(
        id=HEAT,
        data={"type": "FeatureCollection", "features": features},
        hideout=hideout,
        style=js("style"),
        interactive=False,
    )


def _rule(ctx, where, lang) -> list:
    rules = ctx.rules
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
        if where.level == "province" or where.city_code == code:
            out.append(
                html.P(
                    t(
                        "rentals.rule_city",
                        lang,
                        city=area_name(ctx, code),
                        area=f"{rule.min_area_per_person:g}",
                        per_room=f"{rule.max_per_room:g}",
                    ),
                    className="hint",
                )
            )
    return out


def _funnel(ctx, where, lang):
    stages = rq.funnel(ctx, scope=where, allowed=ctx.allowed_scope())
    if not stages["registered"]:
        return empty(t("empty.no_rows", lang))
    labels = [t(f"funnel.{k}", lang) for k in stages]
    return chart(
        funnel(
            labels,
            list(stages.values()),
            theme.DOMAIN_ACCENT["rentals"],
            [fmt_count(v, lang) for v in stages.values()],
        ),
        t("empty.no_rows", lang),
        graph_id=f"{P}-funnel",
    )


def _units_table(ctx, where, lang):
    frame = rq.suspected_units(ctx, scope=where, allowed=ctx.allowed_scope())
    if frame.empty:
        return empty(t("empty.no_rows", lang))
    frame["inspection_status"] = [t(f"inspection.{s}", lang) for s in frame["inspection_status"]]
    frame["district_code"] = [area_name(ctx, c) for c in frame["district_code"]]
    return data_table(
        UNITS,
        frame,
        [
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
        ],
        lang,
        widths={"address": 220},
        row_id="unit_id",
        selectable=True,
    )


def _unit_detail(ctx, row, lang):
    """Return the panel of one flat (personal data arrives masked from the query layer)."""
    unit_id = row["unit_id"]
    occupants = int(row["occupants"])
    per_person = round(row["floor_area_m2"] / occupants, 1) if occupants else None
    return [
        panel(
            f"{t('rentals.unit', lang)} {unit_id}",
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
                    (t("col.district_code", lang), area_name(ctx, row["district_code"])),
                    (t("col.grid_cell", lang), row["grid_cell"]),
                ]
            ),
            extra="entity-card",
            panel_id=f"{P}-unit",
        )
    ]


@callback(
    Output(ids.NAV, "href", allow_duplicate=True),
    Input(table_id(UNITS), "selectedRows"),
    State(STATE, "data"),
    prevent_initial_call=True,
)
def open_unit(rows, s):
    """A click on a suspected unit opens it (the page shows it at its grid cell)."""
    if not rows or not rows[0].get("unit_id"):
        return no_update
    unit = checked_id(rows[0]["unit_id"], "unit")
    return href(entity_cell("unit", unit, s["scope"]), s["date"], unit)


register_navigation(P, href)
