"""Panels of the tourism page: the spot layer, the slot heat map, trend, origins, feedback.

Pure builders: the frames of :mod:`cityops.queries.tourism` in, Dash and
dash-leaflet components out; colours from :mod:`cityops.theme` (crowding, booking
status, the tourism accent), labels from :mod:`cityops.text.i18n`.
"""

from __future__ import annotations

import dash_leaflet as dl
import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html

from cityops import theme
from cityops.text.formatting import fmt_count, fmt_rate
from cityops.text.i18n import t, t_value
from components.charts import bars, load_heatmap, stacked_days
from components.choropleth import ENTITY_PANE, js
from components.domain import chart, facts, panel
from components.states import empty
from components.tables import data_table

ACCENT = theme.DOMAIN_ACCENT["tourism"]
#: Booking statuses from the bottom of a day's stack up (cancellations are not drawn).
STATUS_ORDER = ["checked_in", "booked", "no_show", "cancelled"]
#: Columns of one spot's slots table, in order.
SLOT_COLUMNS = ["slot_start", "party", "instant_capacity", "load"]


def crowding(spots: pd.DataFrame, slots: pd.DataFrame) -> list[str]:
    """Return each spot's crowding class (``ok``/``busy``/``full``) from its peak slot load.

    ``slots`` has ``spot_id, load`` (:func:`cityops.queries.tourism.slot_load`); a
    spot without a slot that day is ``ok``.
    """
    peak = slots.groupby("spot_id")["load"].max() if len(slots) else {}
    return [theme.crowding(peak.get(s) if len(slots) else None) for s in spots["spot_id"]]


def spot_options(spots: pd.DataFrame, lang: str) -> list[dict]:
    """Return the spot selector's options: "all", then each spot by name."""
    return [{"label": t("filter.all", lang), "value": ""}] + [
        {"label": n, "value": s} for s, n in zip(spots["spot_id"], spots["name"], strict=True)
    ]


def spot_selector(selector_id: str, spots: pd.DataFrame, spot: str | None, lang: str):
    """Return the spot filter (a dropdown of the spots in scope)."""
    return dcc.Dropdown(
        id=selector_id,
        value=spot or "",
        clearable=False,
        className="filter-select",
        options=spot_options(spots, lang),
    )


def spot_features(spots: pd.DataFrame, classes: list[str]) -> list[dict]:
    """Return one GeoJSON point per spot, the busiest first (so small circles lie on top).

    Properties: ``id``, ``crowding`` (its colour), ``visitors`` (its size), ``label``.
    """
    ordered = spots.assign(crowding=classes).sort_values("visitors", ascending=False)
    return [
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
        for r in ordered.itertuples()
    ]


def spot_hideout(selected: str | None) -> dict:
    """Return the ``hideout`` of the spot layer: crowding colours, sized by visitors."""
    return {
        "colorBy": "crowding",
        "colors": theme.CROWDING,
        "selected": selected,
        "sizeBy": "visitors",
        "sizeScale": 3,
        "border": theme.SPOT_BORDER,
        "selectedBorder": theme.SELECTED_BORDER,
        "pane": ENTITY_PANE,
    }


def spot_layer(
    spots: pd.DataFrame, slots: pd.DataFrame, *, selected: str | None, layer_id: str
) -> dl.GeoJSON:
    """Return the spots (:func:`spots_day`) as circles sized by the day's visitors.

    Each is coloured by its peak slot load (``slots``: amber from 60 %, red from
    80 % of instant capacity); a click reports the spot (``properties.id``).
    """
    return dl.GeoJSON(
        id=layer_id,
        data={
            "type": "FeatureCollection",
            "features": spot_features(spots, crowding(spots, slots)),
        },
        pointToLayer=js("point", "cityops.points"),
        hideout=spot_hideout(selected),
    )


def slot_heatmap(slots: pd.DataFrame, *, lang: str, graph_id: str) -> html.P | dcc.Graph:
    """Return the spot × slot load heat map (amber ≥ 60 %, red ≥ 80 %), or the empty state."""
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
            low=theme.LOAD_EMPTY,
        ),
        t("tourism.no_bookings", lang),
        graph_id=graph_id,
    )


def trend_chart(trend: pd.DataFrame, lang: str) -> html.P | dcc.Graph:
    """Return visitors per day stacked by booking status (``visit_date, status, party``).

    Cancelled bookings are left out; each status keeps its colour
    (:data:`cityops.theme.BOOKING_STATUS`) in every language.
    """
    return chart(trend_figure(trend, lang), t("tourism.no_bookings", lang))


def trend_figure(trend: pd.DataFrame, lang: str) -> go.Figure | None:
    """Return visitors per day stacked by status, cancelled left out (None: nothing to draw).

    The page's panel and the printed report draw the same figure.
    """
    shown = trend[trend["status"] != "cancelled"].copy()
    if shown.empty:
        return None
    shown["status_label"] = [t(f"booking.{s}", lang) for s in shown["status"]]
    shown = shown.sort_values("status", key=lambda s: s.map(STATUS_ORDER.index))
    # stacked_days draws one series per label in label order: colours follow that order
    by_label = dict(zip(shown["status_label"], shown["status"], strict=True))
    palette = [theme.BOOKING_STATUS[by_label[label]] for label in sorted(by_label)]
    return stacked_days(shown, x="visit_date", y="party", colour="status_label", palette=palette,
                        lang=lang, axis_title=t("unit.visitors", lang))  # fmt: skip


def origins_chart(origins: pd.DataFrame, lang: str) -> html.P | dcc.Graph:
    """Return visitors by origin (``visitor_origin, party``), largest first."""
    return chart(origins_figure(origins, lang), t("tourism.no_bookings", lang))


def origins_figure(origins: pd.DataFrame, lang: str) -> go.Figure | None:
    """Return bars of visitors by origin (``visitor_origin, party``), or None without rows."""
    if not len(origins):
        return None
    return bars(
        [t_value("origin", o, lang) for o in origins["visitor_origin"]],
        list(origins["party"]),
        list(origins["visitor_origin"]),
        [ACCENT] * len(origins),
        text=[fmt_count(v, lang) for v in origins["party"]],
        lang=lang,
        axis_title=t("unit.visitors", lang),
    )


def feedback_chart(feedback: pd.DataFrame, lang: str) -> html.P | dcc.Graph:
    """Return complaints by status, then ratings by stars (``kind, status, rating, items``).

    Open complaints are red (they need action), resolved ones grey, ratings in the accent.
    """
    complaints = feedback[feedback["kind"] == "complaint"].groupby("status")["items"].sum()
    ratings = feedback[feedback["kind"] == "evaluation"].groupby("rating")["items"].sum()
    labels = [t(f"feedback.complaint_{s}", lang) for s in complaints.index] + [
        t("feedback.rating", lang, n=int(r)) for r in ratings.index
    ]
    values = list(complaints.values) + list(ratings.values)
    colours = [
        theme.STATUS["fault"] if s == "open" else theme.STATUS["offline"] for s in complaints.index
    ] + [ACCENT] * len(ratings)
    return chart(
        bars(labels, values, labels, colours, lang=lang) if values else None,
        t("empty.no_rows", lang),
    )


def spot_card(
    row: pd.Series, spots: pd.DataFrame, *, lang: str, district: str, panel_id: str
) -> html.Section:
    """Return the card of one spot (a row of :func:`cityops.queries.tourism.spot`).

    The day's visitors and check-ins come from its row of ``spots`` (:func:`spots_day`),
    a dash when it has none; ``district`` is its district's name.
    """
    spot_id = row["spot_id"]
    today = spots.set_index("spot_id").loc[spot_id] if spot_id in set(spots["spot_id"]) else None
    return panel(
        f"{t('tourism.spot', lang)} {row['name']}",
        facts(
            [
                (t("col.grade", lang), row["grade"]),
                (t("col.daily_capacity", lang), fmt_count(row["daily_capacity"], lang)),
                (t("col.instant_capacity", lang), fmt_count(row["instant_capacity"], lang)),
                (
                    t("col.visitors", lang),
                    None if today is None else fmt_count(today["visitors"], lang),
                ),
                (
                    t("col.checked_in", lang),
                    None if today is None else fmt_count(today["checked_in"], lang),
                ),
                (t("col.district_code", lang), district),
            ]
        ),
        extra="entity-card",
        panel_id=panel_id,
    )


def slots_panel(
    slots: pd.DataFrame, spot_id: str, *, lang: str, name: str, panel_id: str
) -> html.Section:
    """Return one spot's slots of the day (its rows of ``slots``), loads as percentages."""
    mine = slots[slots["spot_id"] == spot_id].copy()
    mine["load"] = [fmt_rate(v, lang) for v in mine["load"]]
    table = (
        data_table(name, mine, SLOT_COLUMNS, lang)
        if len(mine)
        else empty(t("tourism.no_bookings", lang))
    )
    return panel(t("tourism.slots", lang), table, panel_id=panel_id)
