"""The video page's panels: frames in, panels out (no query here; colours from the theme).

Each builder takes what one query of :mod:`cityops.queries.video` returns and the
words it needs (language, a function naming an area), and returns a panel, a chart
or a table. The camera layer (clustered geobuf points, coloured by status) is built
here too, so its URL and its preload are one function.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

import dash_leaflet as dl
import pandas as pd
import plotly.graph_objects as go
from dash import html

from cityops import theme
from cityops.queries.kpis import ratio
from cityops.text.formatting import fmt_rate, fmt_times
from cityops.text.i18n import t, t_value
from components.charts import PALETTE, donut, rate_bars, stacked_days
from components.choropleth import ENTITY_PANE, js
from components.domain import chart, empty, facts, panel
from components.tables import data_table

ACCENT = theme.DOMAIN_ACCENT["video"]
#: Areas shown in the online rate by area (the lowest rates first).
AREA_BARS = 25
#: Height kept for a panel whose chart is still being drawn, so the page does not jump.
PENDING_HEIGHT = 260


def camera_layer_url(scope: str, department: str | None) -> str:
    """Return the URL of the camera layer of ``scope`` (geobuf), optionally one department.

    A department is data ("交通&运输", "+1"): it is encoded, or the layer asks for another.
    """
    query = {"scope": scope, **({"department": department} if department else {})}
    return f"/api/v1/points/cameras.pbf?{urlencode(query)}"


def camera_hideout(selected: str | None, lang: str, drawn: str | None = None) -> dict:
    """Return the ``hideout`` of the camera layer: status colours, cluster colours.

    A cluster is coloured by the share of its cameras offline or faulty
    (``clusterBreaks`` / ``clusterColors``, :data:`cityops.theme.CLUSTER_BAD_SHARE`).
    ``drawn`` names a store the layer writes once its first cameras are on screen
    (``cityops.drawn`` in ``assets/cityops.js``).
    """
    return {
        "drawnStore": drawn,
        "colorBy": "status",
        "colors": theme.STATUS,
        "selected": selected,
        "border": theme.POINT_BORDER,
        "selectedBorder": theme.SELECTED_BORDER,
        "pane": ENTITY_PANE,
        "lang": lang,
        "clusterColor": ACCENT,
        "clusterBreaks": list(theme.CLUSTER_BAD_SHARE),
        "clusterColors": list(theme.CLUSTER_COLOURS),
    }


def camera_layer(
    url: str, *, selected: str | None, lang: str, layer_id: str, drawn: str | None = None
) -> dl.GeoJSON:
    """Return the clustered camera points read from ``url`` (:func:`camera_layer_url`).

    ``drawn``: the id of a store to tell when the first cameras are drawn.
    """
    return dl.GeoJSON(
        id=layer_id,
        url=url,
        format="geobuf",
        cluster=True,
        zoomToBoundsOnClick=True,
        superClusterOptions={"radius": 80, "maxZoom": 16},
        pointToLayer=js("point", "cityops.points"),
        clusterToLayer=js("cluster", "cityops.points"),
        hideout=camera_hideout(selected, lang, drawn),
    )


def pending(titles: list[str]) -> list[html.Section]:
    """Return panels with their titles whose content is still on its way.

    Each is marked busy for assistive technology and ``data-dash-is-loading`` like a
    component Dash is updating, so whoever waits for the page to settle (tests, the
    benchmark) waits for the real panels: the callback that draws them may start a
    frame after the layout is painted.
    """
    busy = {"aria-busy": "true", "data-dash-is-loading": "true"}
    return [
        panel(
            title,
            html.Div(style={"minHeight": f"{PENDING_HEIGHT}px"}, **busy),
            extra="panel-pending",
        )
        for title in titles
    ]


def by_area(
    frame: pd.DataFrame, *, title: str, name_of: Callable[[str], str], lang: str, graph_id: str
) -> html.Section:
    """Return the online rate of the areas one level below (``area, online_rate``), lowest first."""
    shown = frame.sort_values("online_rate", ascending=True, na_position="first").head(AREA_BARS)
    figure = (
        rate_bars(
            [name_of(code) for code in shown["area"]],
            list(shown["online_rate"]),
            list(shown["area"]),
            ACCENT,
        )
        if len(shown)
        else None
    )
    return panel(title, chart(figure, t("empty.no_rows", lang), graph_id=graph_id))


def by_department(
    frame: pd.DataFrame, *, lang: str, selected: str | None, graph_id: str
) -> html.Section:
    """Return the online rate per department (``department, online_rate``); a bar filters."""
    figure = (
        rate_bars(
            [t_value("department", d, lang) for d in frame["department"]],
            list(frame["online_rate"]),
            list(frame["department"]),
            ACCENT,
            selected=selected,
        )
        if len(frame)
        else None
    )
    return panel(
        t("video.by_department", lang), chart(figure, t("empty.no_rows", lang), graph_id=graph_id)
    )


def ai_share(frame: pd.DataFrame, *, lang: str, department: str | None) -> html.Section:
    """Return the share of cameras with AI (``department, cameras, ai``; one department's)."""
    shown = frame[frame["department"] == department] if department else frame
    total, ai = int(shown["cameras"].sum()), int(shown["ai"].sum())
    figure = (
        donut(
            [t("col.ai_enabled", lang), t("video.ai_off", lang)],
            [ai, max(total - ai, 0)],
            [ACCENT, theme.SHARE_REST],
            fmt_rate(ratio([ai], [total])[0], lang),
        )
        if total
        else None
    )
    return panel(t("video.ai_share", lang), chart(figure, t("empty.no_rows", lang)))


def events_figure(frame: pd.DataFrame, lang: str) -> go.Figure | None:
    """Return algorithm events per day stacked by type (``day, event_type, events``), or None.

    The page's panel and the printed report draw the same figure.
    """
    if not len(frame):
        return None
    shown = frame.assign(event_type=[t_value("event_type", e, lang) for e in frame["event_type"]])
    return stacked_days(shown, x="day", y="events", colour="event_type", palette=PALETTE,
                        lang=lang, axis_title=t("unit.events", lang))  # fmt: skip


def events_trend(frame: pd.DataFrame, *, lang: str, days: int) -> html.Section:
    """Return algorithm events per day and type (``day, event_type, events``)."""
    figure = events_figure(frame, lang)
    return panel(
        t("video.events_trend", lang, days=days),
        chart(figure, t("empty.no_events", lang, days=days)),
    )


#: Columns of the open events table, in order.
EVENT_COLUMNS = [
    "ts",
    "open_hours",
    "event_type",
    "camera_id",
    "camera_name",
    "department",
    "district_code",
    "event_id",
]


def open_events(
    frame: pd.DataFrame,
    *,
    title: str,
    chip,
    name_of: Callable[[str], str],
    lang: str,
    table_name: str,
) -> html.Section:
    """Return the open events (:func:`cityops.queries.video.open_events`) as a table."""
    if frame.empty:
        return panel(title, chip, empty(t("empty.no_rows", lang)))
    shown = frame.assign(
        ts=fmt_times(frame["ts"]),
        district_code=[name_of(c) for c in frame["district_code"]],
        event_type=[t_value("event_type", e, lang) for e in frame["event_type"]],
        department=[t_value("department", d, lang) for d in frame["department"]],
    )
    table = data_table(
        table_name,
        shown,
        EVENT_COLUMNS,
        lang,
        widths={"ts": 140, "camera_name": 180},
        row_id="event_id",
        selectable=True,
    )
    return panel(title, chip, table)


def camera_panels(
    row: pd.Series,
    history: pd.DataFrame,
    events: pd.DataFrame,
    *,
    name_of: Callable[[str], str],
    lang: str,
    prefix: str,
) -> list[html.Section]:
    """Return one camera's card, its status history and its events."""
    camera_id, status = row["camera_id"], row["status"]
    card = panel(
        f"{t('entity.camera', lang)} {camera_id}",
        facts(
            [
                (t("col.name", lang), row["name"]),
                (
                    t("col.status", lang),
                    html.Span(
                        [
                            html.Span(
                                className="status-dot", style={"background": theme.STATUS[status]}
                            ),
                            t(f"status.{status}", lang),
                        ]
                    ),
                ),
                (t("col.department", lang), t_value("department", row["department"], lang)),
                (t("col.kind", lang), t_value("camera_kind", row["kind"], lang)),
                (t("col.ai_enabled", lang), t("yes" if row["ai_enabled"] else "no", lang)),
                (
                    t("col.last_seen", lang),
                    None if row["last_seen"] is None else str(row["last_seen"])[:16],
                ),
                (t("col.district_code", lang), name_of(row["district_code"])),
                (t("col.grid_cell", lang), row["grid_cell"]),
                (t("col.lonlat", lang), f"{row['lon']:.6f}, {row['lat']:.6f}"),
            ]
        ),
        extra="entity-card",
        panel_id=f"{prefix}-camera",
    )
    history = history.assign(
        status=[t(f"status.{s}", lang) for s in history["status"]],
        changed_at=fmt_times(history["changed_at"]),
    )
    events = events.assign(
        ts=fmt_times(events["ts"]),
        closed_at=fmt_times(events["closed_at"]),
        event_type=[t_value("event_type", e, lang) for e in events["event_type"]],
        status=[t_value("event_status", e, lang) for e in events["status"]],
    )
    return [
        card,
        panel(
            t("video.history", lang),
            data_table(f"{prefix}-history", history, ["changed_at", "status"], lang)
            if len(history)
            else empty(t("empty.no_rows", lang)),
        ),
        panel(
            t("video.camera_events", lang),
            data_table(
                f"{prefix}-camera-events",
                events,
                ["ts", "event_type", "status", "closed_at", "event_id"],
                lang,
            )
            if len(events)
            else empty(t("empty.no_rows", lang)),
        ),
    ]
