"""Rental housing (群租房智慧管控): suspected group rentals and their rectification.

URL: ``/rentals?scope=<area or cell>&date=YYYY-MM-DD&unit=<id>``. The map is an H3
heat map of suspected units; clicking an area drills down, and at a grid cell the
suspected units table opens a single flat. Landlords' names and phones are masked
on screen and in downloads (张*明, 139****1234).
"""

from __future__ import annotations

from functools import partial

from dash import Input, Output, State, callback, no_update

from cityops import ids
from cityops.queries import rentals as rq
from cityops.text.i18n import t
from cityops.urls import page_href
from components.domain import panel
from components.rentals import (
    funnel_chart,
    heat_layer,
    heat_layer_url,
    rule_text,
    unit_card,
    units_table,
)
from components.tables import table_id
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

PATH = register_page_for_domain(__name__, "rentals")


def href(scope, day, unit=None) -> str:
    """Return the URL of a rentals view."""
    return page_href(PATH, scope=scope, day=day, unit=unit)


@guarded_layout(PATH)
def layout(scope=None, date=None, unit=None, **_):
    view, error = resolve_view(PATH, scope, date, entity=("unit", unit))
    if error:
        return error
    ctx, lang, where, day, allowed = view.ctx, view.lang, view.where, view.day, view.allowed
    unit = view.entity_key
    names = partial(area_name, ctx)
    container, _, hideout = map_state(ctx, where, day, "rentals_suspected", lang)
    overlays = []
    if where.level in ("province", "city"):
        hideout = {**hideout, "outline": True}
        cells = rq.suspected_cells(
            ctx, scope=where, allowed=allowed, resolution=rq.HEAT_RESOLUTION[where.level]
        )
        url = heat_layer_url(where.code)
        overlays.append(heat_layer(cells, url=url, layer_id=HEAT, lang=lang))
    if unit:
        row = view.found.row
        district = area_name(ctx, row["district_code"])
        right = [unit_card(row, lang=lang, district=district, panel_id=f"{P}-unit")]
        below = []
    else:
        city = None if where.level == "province" else where.city_code
        stages = rq.funnel(ctx, scope=where, allowed=allowed)
        units = rq.suspected_units(ctx, scope=where, allowed=allowed)
        right = [
            *entity_notice(view, t("rentals.unit", lang)),
            panel(
                t("rentals.rule", lang),
                *rule_text(ctx.rules, city_code=city, lang=lang, name_of=names),
            ),
            panel(
                t("rentals.funnel", lang),
                funnel_chart(stages, lang=lang, graph_id=f"{P}-funnel"),
            ),
        ]
        below = [
            panel(
                t("rentals.suspected_units", lang),
                units_table(units, name=UNITS, lang=lang, name_of=names),
            )
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
        below=below,
        level=where.level,
        entity=unit,
        card_note=card_note(view),
    )


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
