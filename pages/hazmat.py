"""Hazardous materials (危化品全流程监管): vehicles in transit, alarms, one waybill's track.

URL: ``/hazmat?scope=<area or cell>&date=YYYY-MM-DD&hazard_class=<class>&waybill=<id>``.
Clicking an area drills down; clicking a vehicle (or an open alarm, or a waybill in the
table) opens its waybill with a track playback synchronised with its alarms. Choosing a
hazard class (the selector or a bar of the tonnage chart) filters the other panels.
Vehicle plates are personal data: masked on screen and in downloads (苏F·1****).
"""

from __future__ import annotations

import datetime as dt

import dash_leaflet as dl
from dash import Input, Output, State, callback, clientside_callback, dcc, html, no_update

from cityops import ids, theme
from cityops.clock import TZ
from cityops.datasets import HAZARD_CLASSES
from cityops.queries import hazmat as hq
from cityops.text.formatting import fmt_times, fmt_tonnes
from cityops.text.i18n import t, t_value
from cityops.urls import page_href
from cityops.web import check_object, input_rule
from components.charts import PALETTE, bars
from components.choropleth import ENTITY_PANE, js
from components.domain import chart, empty, facts, panel
from components.tables import data_table, table_id
from pages._shared import (
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
SLIDER, TRACK, DONE, HERE, PASSED, NOW = (
    f"{P}-slider",
    f"{P}-track",
    f"{P}-done",
    f"{P}-here",
    f"{P}-passed",
    f"{P}-now",
)
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
    tonnage = hq.tonnage_by_class(ctx, scope=where, allowed=allowed)
    selector = dcc.Dropdown(
        id=CLASS,
        value=hazard_class or "",
        clearable=False,
        searchable=False,
        className="filter-select",
        options=[{"label": t("filter.all", lang), "value": ""}]
        + [
            {"label": f"{c} {t_value('hazard', c, lang)}", "value": c}
            for c in sorted(theme.HAZARD_CLASS, key=_class_order)
        ],
    )
    vehicles = hq.vehicles_in_transit(ctx, scope=where, allowed=allowed, hazard_class=hazard_class)
    chip = (
        html.Span(f"{hazard_class} {t_value('hazard', hazard_class, lang)}", className="chip")
        if hazard_class
        else None
    )
    detail = _waybill_detail(ctx, view.found.row, lang) if waybill else None
    overlays = [_vehicle_layer(vehicles, waybill)]
    focus = None
    if detail:
        overlays += detail[1]
        focus = detail[3]
    if detail:
        side = detail[0]
    else:
        side = entity_notice(view, t("hazmat.waybill", lang)) + _panels(
            ctx, where, day, hazard_class, tonnage, lang
        )
    return domain_page(
        P,
        state=view.state(hazard_class=hazard_class, waybill=waybill),
        crumb_items=crumbs(ctx, where, ("waybill", waybill) if waybill else None, lang),
        crumb_href=lambda code: href(code, day, hazard_class),
        day=day,
        lang=lang,
        values=scope_values(view),
        kpis=KPIS,
        filters=[html.Label(t("filter.hazard_class", lang), htmlFor=CLASS), selector],
        map_part=map_panel(
            ctx,
            P,
            t("hazmat.map_title", lang),
            container,
            hideout,
            lang,
            *(detail[2] if detail else []),
            overlays=overlays,
            focus=focus,
            chip=chip,
        ),
        side=side,
        below=[]
        if waybill
        else [
            panel(
                t("hazmat.open_alarms", lang), chip, _alarms_table(ctx, where, hazard_class, lang)
            ),
            panel(t("hazmat.in_transit", lang), chip, _transit_table(ctx, vehicles, lang)),
        ],
        level=where.level,
        entity=waybill,
        card_note=card_note(view),
    )


def _vehicle_layer(vehicles, selected):
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {
                "id": wid,
                "hazard_class": cls,
                "label": f"{cls} · {cargo} · {plate}",
            },
        }
        for wid, cls, cargo, plate, lon, lat in zip(
            vehicles["waybill_id"],
            vehicles["hazard_class"],
            vehicles["cargo_name"],
            vehicles["vehicle_plate"],
            vehicles["lon"],
            vehicles["lat"],
            strict=True,
        )
    ]
    colours = {c: theme.hazard_colour(c) for c in set(vehicles["hazard_class"])}
    return dl.GeoJSON(
        id=VEHICLES,
        data={"type": "FeatureCollection", "features": features},
        pointToLayer=js("point", "cityops.points"),
        hideout={
            "colorBy": "hazard_class",
            "colors": colours,
            "selected": selected,
            "border": "#111827",
            "pane": ENTITY_PANE,
        },
    )


def _panels(ctx, where, day, hazard_class, tonnage, lang) -> list:
    allowed = ctx.allowed_scope()
    since = dt.datetime.combine(day - dt.timedelta(days=ALARM_DAYS - 1), dt.time())
    counts = hq.alarm_counts(
        ctx, scope=where, allowed=allowed, since=since, hazard_class=hazard_class
    )
    by_type = counts.groupby("alarm_type")["alarms"].sum().sort_values()
    by_sev = counts.groupby(["severity", "status"])["alarms"].sum().reset_index()
    classes = list(tonnage["hazard_class"])
    return [
        panel(
            t("hazmat.tonnage_by_class", lang),
            chart(
                bars(
                    [f"{c}" for c in classes],
                    list(tonnage["tonnage"].round(1)),
                    classes,
                    [theme.hazard_colour(c) for c in classes],
                    selected=hazard_class,
                    text=[fmt_tonnes(v, lang) for v in tonnage["tonnage"]],
                    lang=lang,
                    axis_title=t("unit.tonnes", lang),
                )
                if len(tonnage)
                else None,
                t("empty.no_rows", lang),
                graph_id=BY_CLASS,
            ),
        ),
        panel(
            t("hazmat.alarms_by_type", lang),
            chart(
                bars(
                    [t(f"alarm.{a}", lang) for a in by_type.index],
                    list(by_type.values),
                    list(by_type.index),
                    [PALETTE[3]] * len(by_type),
                    lang=lang,
                    axis_title=t("unit.alarms", lang),
                )
                if len(by_type)
                else None,
                t("empty.no_rows", lang),
            ),
        ),
        panel(
            t("hazmat.alarms_by_severity", lang),
            chart(
                bars(
                    [_severity_label(r.severity, r.status, lang) for r in by_sev.itertuples()],
                    list(by_sev["alarms"]),
                    [f"{r.severity}-{r.status}" for r in by_sev.itertuples()],
                    [
                        theme.SEVERITY[int(r.severity)]
                        if r.status != "closed"
                        else theme.STATUS["offline"]
                        for r in by_sev.itertuples()
                    ],
                    lang=lang,
                    axis_title=t("unit.alarms", lang),
                )
                if len(by_sev)
                else None,
                t("empty.no_rows", lang),
            ),
        ),
    ]


def _class_order(hazard_class: str) -> tuple[int, ...]:
    """Sort hazard classes as numbers: 1, 1.1, 2.1, …, 9 (not 1, 10, 2)."""
    return tuple(int(p) for p in hazard_class.split("."))


def _severity_label(severity, status, lang) -> str:
    return f"{t(f'severity.{severity}', lang)} · {t(f'alarm_status.{status}', lang)}"


def _alarms_table(ctx, where, hazard_class, lang):
    now = dt.datetime.now(TZ).replace(tzinfo=None)
    frame = hq.open_alarms(
        ctx, scope=where, allowed=ctx.allowed_scope(), now=now, hazard_class=hazard_class
    )
    if frame.empty:
        return empty(t("empty.no_rows", lang))
    frame["ts"] = fmt_times(frame["ts"])
    frame["alarm_type"] = [t(f"alarm.{a}", lang) for a in frame["alarm_type"]]
    frame["status"] = [t(f"alarm_status.{s}", lang) for s in frame["status"]]
    frame["severity"] = [t_value("severity", v, lang) for v in frame["severity"]]
    frame["district_code"] = [area_name(ctx, c) for c in frame["district_code"]]
    return data_table(
        f"{P}-open-alarms",
        frame,
        [
            "severity",
            "ts",
            "open_hours",
            "alarm_type",
            "status",
            "vehicle_plate",
            "waybill_id",
            "district_code",
            "alarm_id",
        ],
        lang,
        widths={"ts": 140},
        row_id="alarm_id",
        selectable=True,
    )


def _transit_table(ctx, vehicles, lang):
    if vehicles.empty:
        return empty(t("empty.no_rows", lang))
    frame = vehicles.copy()
    frame["position_at"] = fmt_times(frame["ts"])
    frame["district_code"] = [area_name(ctx, c) for c in frame["district_code"]]
    return data_table(
        f"{P}-in-transit",
        frame,
        [
            "waybill_id",
            "hazard_class",
            "cargo_name",
            "tonnage",
            "vehicle_plate",
            "position_at",
            "district_code",
        ],
        lang,
        row_id="waybill_id",
        selectable=True,
    )


def _waybill_detail(ctx, row, lang):
    """Return (right-hand panels, map overlays, panels under the map, focus) for one waybill."""
    waybill_id = row["waybill_id"]
    track = hq.waybill_track(ctx, waybill_id=waybill_id)
    alarms = hq.waybill_alarms(ctx, waybill_id=waybill_id)
    card = panel(
        f"{t('hazmat.waybill', lang)} {waybill_id}",
        facts(
            [
                (t("col.status", lang), t(f"waybill_status.{row['status']}", lang)),
                (
                    t("col.hazard_class", lang),
                    html.Span(
                        [
                            html.Span(
                                className="status-dot",
                                style={
                                    "background": theme.hazard_colour(row["hazard_class"]),
                                    "border": "1px solid #111",
                                },
                            ),
                            f"{row['hazard_class']} {t_value('hazard', row['hazard_class'], lang)}",
                        ]
                    ),
                ),
                (t("col.un_number", lang), row["un_number"]),
                (t("col.cargo_name", lang), row["cargo_name"]),
                (t("col.tonnage", lang), fmt_tonnes(row["tonnage"], lang)),
                (t("col.vehicle_plate", lang), row["vehicle_plate"]),
                (t("col.carrier", lang), row["carrier"]),
                (t("col.origin_name", lang), row["origin_name"]),
                (t("col.dest_name", lang), row["dest_name"]),
                (t("col.depart_at", lang), fmt_times([row["depart_at"]])[0]),
                (t("col.arrive_at", lang), fmt_times([row["arrive_at"]])[0]),
            ]
        ),
        extra="entity-card",
        panel_id=f"{P}-waybill",
    )
    shown = alarms.copy()
    shown["ts"] = fmt_times(shown["ts"])
    shown["alarm_type"] = [t(f"alarm.{a}", lang) for a in shown["alarm_type"]]
    shown["status"] = [t(f"alarm_status.{s}", lang) for s in shown["status"]]
    shown["severity"] = [t_value("severity", v, lang) for v in shown["severity"]]
    right = [
        card,
        panel(
            t("hazmat.waybill_alarms", lang),
            data_table(
                f"{P}-waybill-alarms",
                shown,
                ["ts", "alarm_type", "severity", "status", "alarm_id"],
                lang,
            )
            if len(shown)
            else empty(t("empty.no_rows", lang)),
        ),
    ]
    if track.empty:
        return right, [], [panel(t("hazmat.track", lang), empty(t("hazmat.no_track", lang)))], None
    points = [[la, lo] for lo, la in zip(track["lon"], track["lat"], strict=True)]
    times = [int(ts.timestamp()) for ts in track["ts"]]
    labels = [
        f"{s}  {v:.0f} km/h"
        for s, v in zip(
            fmt_times(track["ts"], "%m-%d %H:%M:%S"), track["speed_kmh"].fillna(0), strict=True
        )
    ]
    data = {
        "points": points,
        "times": times,
        "labels": labels,
        "alarms": [
            {
                "id": a.alarm_id,
                "t": int(a.ts.timestamp()),
                "pos": [a.lat, a.lon],
                "severity": int(a.severity),
                "text": f"{t(f'alarm.{a.alarm_type}', lang)} ({t(f'severity.{a.severity}', lang)})",
            }
            for a in alarms.itertuples()
        ],
    }
    last = len(points) - 1
    marks = {0: labels[0][6:11], last: labels[-1][6:11]}  # HH:MM at both ends
    for a in data["alarms"]:
        i = min(range(len(times)), key=lambda k, at=a["t"]: abs(times[k] - at))
        marks[i] = {
            "label": "!",
            "style": {"color": theme.SEVERITY[a["severity"]], "fontWeight": 700},
        }
    overlays = [
        dl.Polyline(positions=points, color="#94a3b8", weight=3, opacity=0.7),
        dl.Polyline(
            id=DONE, positions=points, color=theme.hazard_colour(row["hazard_class"]), weight=5
        ),
        dl.CircleMarker(
            id=HERE,
            center=points[-1],
            radius=9,
            color="#111827",
            fillColor="#ffffff",
            fillOpacity=1,
            weight=3,
        ),
        dl.GeoJSON(
            id=PASSED,
            data={"type": "FeatureCollection", "features": []},
            pointToLayer=js("point", "cityops.points"),
            hideout={
                "colorBy": "severity",
                "colors": {str(k): v for k, v in theme.SEVERITY.items()},
                "pane": ENTITY_PANE,
            },
        ),
    ]
    under = [
        panel(
            t("hazmat.track", lang),
            dcc.Store(id=TRACK, data=data),
            html.Div(
                dcc.Slider(
                    id=SLIDER, min=0, max=last, step=1, value=last, marks=marks, updatemode="drag"
                ),
                className="slider-wrap",
            ),
            html.Div(id=NOW, className="hint mono"),
            html.P(t("hazmat.track_hint", lang), className="hint"),
            panel_id=f"{P}-playback",
        )
    ]
    pad = 0.01
    focus = (track["lon"].min() - pad, track["lat"].min() - pad,
             track["lon"].max() + pad, track["lat"].max() + pad)  # fmt: skip
    return right, overlays, under, focus


clientside_callback(
    "function(i, track) { return window.cityops.hazmat.playback(i, track); }",
    Output(DONE, "positions"),
    Output(HERE, "center"),
    Output(PASSED, "data"),
    Output(NOW, "children"),
    Input(SLIDER, "value"),
    State(TRACK, "data"),
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
    Input(table_id(f"{P}-open-alarms"), "selectedRows"),
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
    Input(table_id(f"{P}-in-transit"), "selectedRows"),
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
