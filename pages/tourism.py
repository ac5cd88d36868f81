"""Tourism bookings (文旅分时预约): spots, time slots, trends, origins and complaints.

URL: ``/tourism?scope=<area or cell>&date=YYYY-MM-DD&spot=<id>``. Clicking an area
drills down; clicking a spot (on the map, in the heat map or in the selector)
opens it at its grid cell with its slots, and filters the trend, origin and
feedback panels to it.
"""

from __future__ import annotations

import datetime as dt

from dash import Input, Output, State, callback, html, no_update

from cityops import ids
from cityops.queries import tourism as tq
from cityops.text.i18n import t
from cityops.urls import page_href
from cityops.web import check_object, input_rule
from components.domain import panel
from components.tourism import (
    feedback_chart,
    origins_chart,
    slot_heatmap,
    slots_panel,
    spot_card,
    spot_layer,
    spot_selector,
    trend_chart,
)
from pages._shared import (
    View,
    area_name,
    card_note,
    checked_id,
    crumbs,
    domain_page,
    entity_cell,
    entity_choice,
    entity_notice,
    guarded_layout,
    map_panel,
    map_state,
    register_navigation,
    register_page_for_domain,
    resolve_view,
    scope_values,
)

KPIS = ["bookings_visitors", "bookings_checkin_rate", "peak_slot_load", "complaints_open"]
P = "tourism"
AREAS, SPOTS, STATE, DATE, SPOT, HEAT = (
    f"{P}-areas",
    f"{P}-spots",
    f"{P}-state",
    f"{P}-date",
    f"{P}-spot",
    f"{P}-heatmap",
)
#: Days of complaints and ratings shown, up to the chosen day.
FEEDBACK_DAYS = 30

PATH = register_page_for_domain(__name__, "tourism")


def href(scope, day, spot=None) -> str:
    """Return the URL of a tourism view."""
    return page_href(PATH, scope=scope, day=day, spot=spot)


@guarded_layout(PATH)
def layout(scope=None, date=None, spot=None, **_):
    view, error = resolve_view(PATH, scope, date, entity=("spot", spot))
    if error:
        return error
    ctx, lang, where, day, allowed = view.ctx, view.lang, view.where, view.day, view.allowed
    spot = view.entity_key
    container, _, hideout = map_state(ctx, where, day, "bookings_visitors", lang)
    spots = tq.spots_day(ctx, scope=where, allowed=allowed, day=day)
    slots = tq.slot_load(ctx, scope=where, allowed=allowed, day=day)
    if spot:
        row = view.found.row
        district = area_name(ctx, row["district_code"])
        right = [
            spot_card(row, spots, lang=lang, district=district, panel_id=f"{P}-spot-card"),
            slots_panel(
                slots, row["spot_id"], lang=lang, name=f"{P}-slots", panel_id=f"{P}-slots-panel"
            ),
        ]
    else:
        right = entity_notice(view, t("tourism.spot", lang))
    right += _panels(view, spot)
    return domain_page(
        P,
        state=view.state(spot=spot),
        crumb_items=crumbs(ctx, where, ("spot", spot) if spot else None, lang),
        crumb_href=lambda code: href(code, day),
        day=day,
        lang=lang,
        values=scope_values(view),
        kpis=KPIS,
        filters=[
            html.Label(t("filter.spot", lang), htmlFor=SPOT),
            spot_selector(SPOT, spots, spot, lang),
        ],
        map_part=map_panel(
            ctx,
            P,
            t("tourism.map_title", lang),
            container,
            hideout,
            lang,
            overlays=[spot_layer(spots, slots, selected=spot, layer_id=SPOTS)],
        ),
        side=right,
        below=[panel(t("tourism.heatmap", lang), slot_heatmap(slots, lang=lang, graph_id=HEAT))],
        level=where.level,
        entity=spot,
        card_note=card_note(view),
    )


def _panels(view: View, spot: str | None) -> list:
    """Return the panels of bookings over time: the trend, visitor origins, feedback."""
    ctx, lang, where, day, allowed = view.ctx, view.lang, view.where, view.day, view.allowed
    since = dt.datetime.combine(day - dt.timedelta(days=FEEDBACK_DAYS - 1), dt.time())
    trend = tq.bookings_trend(ctx, scope=where, allowed=allowed, day=day, spot=spot)
    origins = tq.origins(ctx, scope=where, allowed=allowed, day=day, spot=spot)
    feedback = tq.feedback_summary(ctx, scope=where, allowed=allowed, since=since, spot=spot)
    return [
        panel(t("tourism.trend", lang), trend_chart(trend, lang)),
        panel(t("tourism.origins", lang), origins_chart(origins, lang)),
        panel(t("tourism.feedback", lang), feedback_chart(feedback, lang)),
    ]


def _open_spot(spot_id, s):
    """Open a spot (the page shows it at its grid cell)."""
    spot_id = checked_id(spot_id, "spot")
    return href(entity_cell("spot", spot_id, s["scope"]), s["date"], spot_id)


@callback(
    Output(ids.NAV, "href", allow_duplicate=True),
    Input(SPOTS, "clickData"),
    State(STATE, "data"),
    prevent_initial_call=True,
)
def click_spot(point, s):
    """Open a clicked spot at its grid cell."""
    spot_id = ((point or {}).get("properties") or {}).get("id")
    return _open_spot(spot_id, s) if spot_id else no_update


register_navigation(
    P,
    href,
    filter_key="spot",
    filter_id=SPOT,
    keep_filter_on_drill=False,
    entity_kind="spot",
    filter_check=entity_choice("spot"),
)
input_rule(SPOTS, "clickData", check_object)
