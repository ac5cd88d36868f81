"""Tourism bookings (文旅分时预约): spots, time slots, trends, origins and complaints.

URL: ``/tourism?scope=<area or cell>&date=YYYY-MM-DD&spot=<id>``. Clicking an area
drills down; clicking a spot (on the map, in the heat map or in the selector)
opens it at its grid cell with its slots, and filters the trend, origin and
feedback panels to it.
"""

from __future__ import annotations

import datetime as dt

import dash_leaflet as dl
from dash import Input, Output, State, callback, dcc, html, no_update

from cityops import ids, theme
from cityops.queries import tourism as tq
from cityops.text.formatting import fmt_count, fmt_rate
from cityops.text.i18n import t, t_value
from cityops.urls import page_href
from cityops.web import check_object, input_rule
from components.charts import bars, load_heatmap, stacked_days
from components.choropleth import ENTITY_PANE, js
from components.domain import chart, empty, facts, panel
from components.tables import data_table
from pages._shared import (
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
ACCENT = theme.DOMAIN_ACCENT["tourism"]
STATUS_ORDER = ["checked_in", "booked", "no_show", "cancelled"]
STATUS_COLOURS = {
    "checked_in": ACCENT,
    "booked": "#818cf8",
    "no_show": "#94a3b8",
    "cancelled": "#e2e8f0",
}

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
    peak = slots.groupby("spot_id")["load"].max() if len(slots) else {}
    spots["crowding"] = [
        theme.crowding(peak.get(s) if len(slots) else None) for s in spots["spot_id"]
    ]
    selector = dcc.Dropdown(
        id=SPOT,
        value=spot or "",
        clearable=False,
        className="filter-select",
        options=[{"label": t("filter.all", lang), "value": ""}]
        + [{"label": n, "value": s} for s, n in zip(spots["spot_id"], spots["name"], strict=True)],
    )
    right = (
        _spot_detail(ctx, view.found.row, spots, slots, lang)
        if spot
        else entity_notice(view, t("tourism.spot", lang))
    )
    right += _panels(ctx, where, day, spot, lang)
    return domain_page(
        P,
        state=view.state(spot=spot),
        crumb_items=crumbs(ctx, where, ("spot", spot) if spot else None, lang),
        crumb_href=lambda code: href(code, day),
        day=day,
        lang=lang,
        values=scope_values(view),
        kpis=KPIS,
        filters=[html.Label(t("filter.spot", lang), htmlFor=SPOT), selector],
        map_part=map_panel(
            ctx,
            P,
            t("tourism.map_title", lang),
            container,
            hideout,
            lang,
            overlays=[_spot_layer(spots, spot)],
        ),
        side=right,
        below=[panel(t("tourism.heatmap", lang), _heatmap(slots, spot, lang))],
        level=where.level,
        entity=spot,
        card_note=card_note(view),
    )


def _spot_layer(spots, selected):
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [r.lon, r.lat]},
            "properties": {
                "id": r.spot_id,
                "crowding": r.crowding,
                "visitors": int(r.visitors),
                "label": f"{r.name} · {int(r.visitors)}",
            },
        }
        for r in spots.sort_values("visitors", ascending=False).itertuples()  # small on top
    ]
    return dl.GeoJSON(
        id=SPOTS,
        data={"type": "FeatureCollection", "features": features},
        pointToLayer=js("point", "cityops.points"),
        hideout={
            "colorBy": "crowding",
            "colors": theme.CROWDING,
            "selected": selected,
            "sizeBy": "visitors",
            "sizeScale": 3,
            "border": "#1e1b4b",
            "pane": ENTITY_PANE,
        },
    )


def _heatmap(slots, spot, lang):
    if slots.empty:
        return empty(t("tourism.no_bookings", lang))
    return chart(
        load_heatmap(
            slots,
            rows="name",
            cols="slot_start",
            load="load",
            thresholds=theme.CROWDING_THRESHOLDS,
            accent=ACCENT,
            amber=theme.CROWDING["busy"],
            red=theme.CROWDING["full"],
        ),
        t("tourism.no_bookings", lang),
        graph_id=HEAT,
    )


def _panels(ctx, where, day, spot, lang) -> list:
    allowed = ctx.allowed_scope()
    trend = tq.bookings_trend(ctx, scope=where, allowed=allowed, day=day, spot=spot)
    trend = trend[trend["status"] != "cancelled"]
    trend["status_label"] = [t(f"booking.{s}", lang) for s in trend["status"]]
    origins = tq.origins(ctx, scope=where, allowed=allowed, day=day, spot=spot)
    since = dt.datetime.combine(day - dt.timedelta(days=29), dt.time())
    feedback = tq.feedback_summary(ctx, scope=where, allowed=allowed, since=since, spot=spot)
    complaints = feedback[feedback["kind"] == "complaint"].groupby("status")["items"].sum()
    ratings = feedback[feedback["kind"] == "evaluation"].groupby("rating")["items"].sum()
    fb_labels = [t(f"feedback.complaint_{s}", lang) for s in complaints.index] + [
        t("feedback.rating", lang, n=int(r)) for r in ratings.index
    ]
    fb_values = list(complaints.values) + list(ratings.values)
    fb_colours = [
        theme.STATUS["fault"] if s == "open" else theme.STATUS["offline"] for s in complaints.index
    ] + [ACCENT] * len(ratings)
    palette = [STATUS_COLOURS[s] for s in sorted(set(trend["status"]), key=STATUS_ORDER.index)]
    return [
        panel(
            t("tourism.trend", lang),
            chart(
                stacked_days(
                    trend.sort_values("status", key=lambda s: s.map(STATUS_ORDER.index)),
                    x="visit_date",
                    y="party",
                    colour="status_label",
                    palette=palette,
                    lang=lang,
                    axis_title=t("unit.visitors", lang),
                )
                if len(trend)
                else None,
                t("tourism.no_bookings", lang),
            ),
        ),
        panel(
            t("tourism.origins", lang),
            chart(
                bars(
                    [t_value("origin", o, lang) for o in origins["visitor_origin"]],
                    list(origins["party"]),
                    list(origins["visitor_origin"]),
                    [ACCENT] * len(origins),
                    text=[fmt_count(v, lang) for v in origins["party"]],
                    lang=lang,
                    axis_title=t("unit.visitors", lang),
                )
                if len(origins)
                else None,
                t("tourism.no_bookings", lang),
            ),
        ),
        panel(
            t("tourism.feedback", lang),
            chart(
                bars(fb_labels, fb_values, fb_labels, fb_colours, lang=lang) if fb_values else None,
                t("empty.no_rows", lang),
            ),
        ),
    ]


def _spot_detail(ctx, row, spots, slots, lang) -> list:
    """Return the card and slots of one scenic spot (its row found by the page's view)."""
    spot_id = row["spot_id"]
    today_row = (
        spots.set_index("spot_id").loc[spot_id] if spot_id in set(spots["spot_id"]) else None
    )
    mine = slots[slots["spot_id"] == spot_id].copy()
    mine["load"] = [fmt_rate(v, lang) for v in mine["load"]]
    card = panel(
        f"{t('tourism.spot', lang)} {row['name']}",
        facts(
            [
                (t("col.grade", lang), row["grade"]),
                (t("col.daily_capacity", lang), fmt_count(row["daily_capacity"], lang)),
                (t("col.instant_capacity", lang), fmt_count(row["instant_capacity"], lang)),
                (
                    t("col.visitors", lang),
                    None if today_row is None else fmt_count(today_row["visitors"], lang),
                ),
                (
                    t("col.checked_in", lang),
                    None if today_row is None else fmt_count(today_row["checked_in"], lang),
                ),
                (t("col.district_code", lang), area_name(ctx, row["district_code"])),
            ]
        ),
        extra="entity-card",
        panel_id=f"{P}-spot-card",
    )
    table = (
        data_table(f"{P}-slots", mine, ["slot_start", "party", "instant_capacity", "load"], lang)
        if len(mine)
        else empty(t("tourism.no_bookings", lang))
    )
    return [card, panel(t("tourism.slots", lang), table, panel_id=f"{P}-slots-panel")]


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
