"""Hazardous materials (危化品全流程监管): vehicles in transit, alarms, one waybill's track.

URL: ``/hazmat?scope=<area or cell>&date=YYYY-MM-DD&hazard_class=<class>&waybill=<id>``.
Clicking an area drills down; clicking a vehicle (or an open alarm, or a waybill in the
table) opens its waybill with a track playback synchronised with its alarms. Choosing a
hazard class (the selector or a bar of the tonnage chart) filters the other panels.
Vehicle plates are personal data: masked on screen and in downloads (苏F·1****).

The page asks :mod:`cityops.queries.hazmat` and hands the frames to pure builders:
:mod:`components.hazmat` (selector, charts, tables, the waybill card),
:mod:`components.hazmat_layers` (vehicles on the map) and :mod:`components.playback`
(the track replay).
"""

from __future__ import annotations

import datetime as dt
from functools import partial

from dash import Input, Output, State, callback, clientside_callback, html, no_update

from cityops import ids
from cityops.clock import TZ
from cityops.datasets import HAZARD_CLASSES
from cityops.queries import hazmat as hq
from cityops.text.i18n import t
from cityops.urls import page_href
from cityops.web import check_object, input_rule
from components.domain import panel
from components.hazmat import (
    alarm_severity_chart,
    alarm_type_chart,
    class_chip,
    class_selector,
    open_alarms_table,
    tonnage_chart,
    transit_table,
    waybill_alarms_panel,
    waybill_card,
)
from components.hazmat_layers import vehicle_layer
from components.playback import PlaybackIds, playback
from components.tables import table_id
from pages._shared import (
    View,
    area_name,
    card_note,
    check_choice,
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

KPIS = ["waybills_in_transit", "tonnage_in_transit", "hazmat_alarms_open"]
P = "hazmat"
AREAS, VEHICLES, STATE, DATE, CLASS, BY_CLASS = (
    f"{P}-areas",
    f"{P}-vehicles",
    f"{P}-state",
    f"{P}-date",
    f"{P}-class",
    f"{P}-by-class",
)
OPEN_ALARMS, IN_TRANSIT = f"{P}-open-alarms", f"{P}-in-transit"
PLAYBACK = PlaybackIds.of(P)
ALARM_DAYS = 7

PATH = register_page_for_domain(__name__, "hazmat")


def href(scope, day, hazard_class=None, waybill=None) -> str:
    """Return the URL of a hazmat view."""
    return page_href(PATH, scope=scope, day=day, hazard_class=hazard_class, waybill=waybill)


@guarded_layout(PATH)
def layout(scope=None, date=None, hazard_class=None, waybill=None, **_):
    view, error = resolve_view(
        PATH, scope, date, filters={"hazard_class": hazard_class}, entity=("waybill", waybill)
    )
    if error:
        return error
    ctx, lang, where, day, allowed = view.ctx, view.lang, view.where, view.day, view.allowed
    hazard_class = view.filters.hazard_class
    waybill = view.entity_key
    container, _, hideout = map_state(
        ctx, where, day, "hazmat_alarms_open", lang, filters=view.filters
    )
    vehicles = hq.vehicles_in_transit(ctx, scope=where, allowed=allowed, hazard_class=hazard_class)
    chip = class_chip(hazard_class, lang)
    overlays = [vehicle_layer(vehicles, selected=waybill, layer_id=VEHICLES)]
    names = partial(area_name, ctx)
    if waybill:
        row = view.found.row
        track = hq.waybill_track(ctx, waybill_id=row["waybill_id"], allowed=allowed)
        alarms = hq.waybill_alarms(ctx, waybill_id=row["waybill_id"], allowed=allowed)
        replay = playback(track, alarms, hazard_class=row["hazard_class"], ids=PLAYBACK, lang=lang)
        overlays += replay.overlays
        under_map, focus, below = [replay.panel], replay.focus, []
        side = [
            waybill_card(row, lang=lang, panel_id=f"{P}-waybill"),
            waybill_alarms_panel(alarms, name=f"{P}-waybill-alarms", lang=lang),
        ]
    else:
        under_map, focus = [], None
        side = entity_notice(view, t("hazmat.waybill", lang)) + _summary(view, hazard_class)
        now = dt.datetime.now(TZ).replace(tzinfo=None)
        open_alarms = hq.open_alarms(
            ctx, scope=where, allowed=allowed, now=now, hazard_class=hazard_class
        )
        below = [
            panel(
                t("hazmat.open_alarms", lang),
                chip,
                open_alarms_table(open_alarms, name=OPEN_ALARMS, lang=lang, name_of=names),
            ),
            panel(
                t("hazmat.in_transit", lang),
                chip,
                transit_table(vehicles, name=IN_TRANSIT, lang=lang, name_of=names),
            ),
        ]
    return domain_page(
        P,
        state=view.state(hazard_class=hazard_class, waybill=waybill),
        crumb_items=crumbs(ctx, where, ("waybill", waybill) if waybill else None, lang),
        crumb_href=lambda code: href(code, day, hazard_class),
        day=day,
        lang=lang,
        values=scope_values(view),
        kpis=KPIS,
        filters=[
            html.Label(t("filter.hazard_class", lang), htmlFor=CLASS),
            class_selector(CLASS, hazard_class, lang),
        ],
        map_part=map_panel(
            ctx,
            P,
            t("hazmat.map_title", lang),
            container,
            hideout,
            lang,
            *under_map,
            overlays=overlays,
            focus=focus,
            chip=chip,
        ),
        side=side,
        below=below,
        level=where.level,
        entity=waybill,
        card_note=card_note(view),
    )


def _summary(view: View, hazard_class: str | None) -> list:
    """Return the panels beside the map of an area: tonnage by class, alarms of the last days."""
    ctx, lang, where, allowed = view.ctx, view.lang, view.where, view.allowed
    since = dt.datetime.combine(view.day - dt.timedelta(days=ALARM_DAYS - 1), dt.time())
    tonnage = hq.tonnage_by_class(ctx, scope=where, allowed=allowed)
    counts = hq.alarm_counts(
        ctx, scope=where, allowed=allowed, since=since, hazard_class=hazard_class
    )
    return [
        panel(
            t("hazmat.tonnage_by_class", lang),
            tonnage_chart(tonnage, selected=hazard_class, lang=lang, graph_id=BY_CLASS),
        ),
        panel(t("hazmat.alarms_by_type", lang), alarm_type_chart(counts, lang)),
        panel(t("hazmat.alarms_by_severity", lang), alarm_severity_chart(counts, lang)),
    ]


clientside_callback(
    "function(i, track) { return window.cityops.hazmat.playback(i, track); }",
    Output(PLAYBACK.done, "positions"),
    Output(PLAYBACK.here, "center"),
    Output(PLAYBACK.passed, "data"),
    Output(PLAYBACK.now, "children"),
    Input(PLAYBACK.slider, "value"),
    State(PLAYBACK.track, "data"),
)


def _open_waybill(waybill_id, s):
    """Open a waybill (the page shows it at the grid cell where its vehicle is now)."""
    waybill_id = checked_id(waybill_id, "waybill")
    cell = entity_cell("waybill", waybill_id, s["scope"])
    return href(cell, s["date"], s.get("hazard_class"), waybill_id)


@callback(
    Output(ids.NAV, "href", allow_duplicate=True),
    Input(VEHICLES, "clickData"),
    State(STATE, "data"),
    prevent_initial_call=True,
)
def open_vehicle(point, s):
    """Open the waybill of a clicked vehicle, at the grid cell where it is."""
    wid = ((point or {}).get("properties") or {}).get("id")
    return _open_waybill(wid, s) if wid else no_update


@callback(
    Output(ids.NAV, "href", allow_duplicate=True),
    Input(table_id(OPEN_ALARMS), "selectedRows"),
    State(STATE, "data"),
    prevent_initial_call=True,
)
def open_alarm(rows, s):
    """A click on an open alarm opens its waybill."""
    return (
        _open_waybill(rows[0]["waybill_id"], s) if rows and rows[0].get("waybill_id") else no_update
    )


@callback(
    Output(ids.NAV, "href", allow_duplicate=True),
    Input(table_id(IN_TRANSIT), "selectedRows"),
    State(STATE, "data"),
    prevent_initial_call=True,
)
def open_transit(rows, s):
    """A click on a waybill in transit opens it."""
    return _open_waybill(rows[0]["waybill_id"], s) if rows else no_update


register_navigation(
    P,
    href,
    filter_key="hazard_class",
    filter_id=CLASS,
    filter_bar=BY_CLASS,
    filter_check=check_choice(lambda: set(HAZARD_CLASSES.values()), "hazard class"),
)
input_rule(VEHICLES, "clickData", check_object)
