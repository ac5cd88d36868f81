"""The wall's pieces (大屏): pure builders from plain values to Dash components.

The canvas is 1920 × 1080 design pixels (wider on a 32:9 wall), scaled to the
screen by ``assets/wall.js``; every size here is in those pixels, so a KPI
number of 76 px is 1/14 of the screen height on any wall. Nothing here reads
the store or depends on hover or a click. Text from data (names, plates) is
passed as strings, which React renders as text, never as HTML.
"""

from __future__ import annotations

import datetime as dt
import math

import dash_leaflet as dl
import plotly.graph_objects as go
from dash import dcc, html

from cityops import ids, theme
from cityops.queries.kpis import KPI_BY_NAME, KPI_SOURCES
from cityops.text.formatting import fmt_date, fmt_rate, fmt_value
from cityops.text.i18n import t, t_value
from components.choropleth import choropleth_hideout, js

#: Design size of the canvas (CSS pixels before scaling).
CANVAS_HEIGHT = 1080
CANVAS_WIDTH = 1920
#: How a KPI's change reads: +1 a rise is good, -1 a rise is bad, 0 neither.
SENSE = {
    "cameras_total": 0,
    "cameras_online_rate": 1,
    "cameras_ai": 1,
    "video_events_open": -1,
    "waybills_in_transit": 0,
    "tonnage_in_transit": 0,
    "hazmat_alarms_open": -1,
    "rentals_registered": 0,
    "rentals_suspected": -1,
    "rentals_rectify_rate": 1,
    "bookings_visitors": 0,
    "bookings_checkin_rate": 1,
    "peak_slot_load": -1,
    "complaints_open": -1,
}


def css_variables(page: str) -> dict[str, str]:
    """Return the wall's colours as CSS variables for ``assets/wall.css`` (one theme module).

    ``--wall-accent`` is the page's domain accent, so it changes with the rotation.
    """
    p = theme.WALL
    return {
        "--wall-bg": p["background"],
        "--wall-bg-page": p["background"],
        "--wall-panel": p["panel"],
        "--wall-panel-glass": p["panel_glass"],
        "--wall-edge": p["panel_edge"],
        "--wall-ink": p["ink"],
        "--wall-muted": p["muted"],
        "--wall-ok": p["ok"],
        "--wall-warn": p["warn"],
        "--wall-warn-bg": p["warn_background"],
        "--wall-map-bg": p["map_background"],
        "--wall-label": p["label"],
        "--wall-label-bg": p["label_background"],
        "--wall-alert-bg": p["alert_background"],
        "--wall-accent": theme.WALL_ACCENT[page],
        "--sev-1": theme.SEVERITY[1],
        "--sev-2": theme.SEVERITY[2],
        "--sev-3": theme.SEVERITY[3],
        "--crowd-busy": theme.CROWDING["busy"],
        "--crowd-full": theme.CROWDING["full"],
    }


# ------------------------------------------------------------------ text
def parse_time(value: str | None) -> dt.datetime | None:
    """Return an ISO time (as the wall's queries give it) as a datetime, or None."""
    return dt.datetime.fromisoformat(value) if value else None


def fmt_age(seconds: float | None, lang: str) -> str:
    """Return how long ago, coarsely: 刚刚 / 40 秒前 / 3 分钟前 / 2 小时前 / 3 天前."""
    if seconds is None or seconds != seconds:
        return t("wall.never", lang)
    s = max(0, int(seconds))
    if s < 10:
        return t("wall.age.now", lang)
    if s < 60:
        return t("wall.age.seconds", lang, n=s)
    if s < 3600:
        return t("wall.age.minutes", lang, n=s // 60)
    if s < 86400 * 2:
        return t("wall.age.hours", lang, n=s // 3600)
    return t("wall.age.days", lang, n=s // 86400)


def fmt_duration(seconds: float, lang: str) -> str:
    """Return a duration: 12 分钟 / 3 小时 5 分 / 2 天 4 小时."""
    s = max(0, int(seconds))
    if s < 3600:
        return t("wall.duration.minutes", lang, m=max(1, s // 60))
    if s < 86400:
        return t("wall.duration.hours", lang, h=s // 3600, m=s % 3600 // 60)
    return t("wall.duration.days", lang, d=s // 86400, h=s % 86400 // 3600)


def fmt_clock(moment: dt.datetime) -> str:
    """Return a time of day, 24-hour: 06:41."""
    return moment.strftime("%H:%M")


def fmt_delta(delta: float | None, unit: str, lang: str) -> str:
    """Return a change with its sign: +21, −1.3 个百分点 is shown as −1.3%, +0.4 吨."""
    if delta is None or delta != delta:
        return ""
    sign = "+" if delta > 0 else ("−" if delta < 0 else "±")
    if unit == "rate":
        return f"{sign}{fmt_rate(abs(delta), lang)}"
    return f"{sign}{fmt_value(abs(delta), unit, lang)}"


# ------------------------------------------------------------------ frame
def header(
    *,
    scope_name: str,
    lang: str,
    day: dt.date,
    now: dt.datetime,
    title: str,
    dots: list,
    status: list,
) -> html.Header:
    """Return the top bar: title · scope · page title and dots · date · clock · data status.

    The page title, the dots and the status change with the refresh; the clock is
    moved by ``assets/wall.js`` every second (Asia/Shanghai).
    """
    return html.Header(
        [
            html.Div(
                [
                    html.Div(t("wall.title", lang), className="wall-title"),
                    html.Div(scope_name, className="wall-scope"),
                ],
                className="wall-brand",
            ),
            html.Div(
                [
                    html.Div(title, id=ids.WALL_PAGE_TITLE, className="wall-page-title"),
                    html.Div(dots, id=ids.WALL_DOTS, className="wall-dots"),
                ],
                className="wall-page-head",
            ),
            html.Div(
                [
                    html.Div(fmt_date(day, lang), id=ids.WALL_DATE, className="wall-date"),
                    html.Div(now.strftime("%H:%M:%S"), id=ids.WALL_CLOCK, className="wall-clock"),
                    html.Div(status, id=ids.WALL_STATUS, className="wall-status"),
                ],
                className="wall-time",
            ),
        ],
        className="wall-header",
    )


def page_title(page: str, lang: str) -> str:
    """Return the title of wall page ``page``."""
    return t(f"wall.page.{page}", lang)


def dots(pages: list[str], current: str, lang: str) -> list[html.Span]:
    """Return one dot per page of the rotation, the current one lit and named."""
    return [
        html.Span(
            page_title(p, lang) if p == current else "",
            className="wall-dot is-current" if p == current else "wall-dot",
            **{"data-page": p},
        )
        for p in pages
    ]


def status(fresh: list[dict], lang: str) -> list:
    """Return the header's data status: the newest data's time and how many sources are stale."""
    times = [parse_time(f["last_write"]) for f in fresh if f["last_write"]]
    stale = [f for f in fresh if f["stale"]]
    asof = t("wall.asof", lang, time=max(times).strftime("%m-%d %H:%M:%S")) if times else ""
    state = t("wall.status_stale", lang, n=len(stale)) if stale else t("wall.status_ok", lang)
    return [
        html.Span(asof, className="wall-asof"),
        html.Span(
            state,
            className="wall-state is-stale" if stale else "wall-state is-ok",
            **{"data-stale": str(len(stale))},
        ),
    ]


# ------------------------------------------------------------------ freshness
def page_freshness(fresh: list[dict], datasets: tuple[str, ...]) -> dict:
    """Return the freshness of a panel fed by ``datasets``: ``{"age_s", "last_write", "stale"}``.

    A panel is stale when any of its sources is, and then says when the stalest was
    last good; otherwise its data changed as recently as its newest source.
    """
    mine = [f for f in fresh if f["dataset"] in datasets]
    if not mine:
        return {"age_s": None, "last_write": None, "stale": False}

    def age(f: dict) -> float:
        return f["age_s"] if f["age_s"] is not None else math.inf

    stale = [f for f in mine if f["stale"]]
    pick = max(stale, key=age) if stale else min(mine, key=age)
    return {"age_s": pick["age_s"], "last_write": pick["last_write"], "stale": bool(stale)}


def fmt_when(moment: dt.datetime, now: dt.datetime | None = None) -> str:
    """Return a time as 13:38 when it is today (of ``now``), else 11-24 13:38."""
    if now is not None and moment.date() == now.date():
        return moment.strftime("%H:%M")
    return moment.strftime("%m-%d %H:%M")


def freshness_line(fresh: dict, lang: str, now: dt.datetime | None = None) -> html.Div:
    """Return "更新于 3 分钟前", or, when stale, "数据超时 · 最后更新 05:12" (greyed panel)."""
    if fresh["stale"]:
        last = parse_time(fresh["last_write"])
        text = t("wall.stale", lang, time=fmt_when(last, now)) if last else t("wall.never", lang)
        return html.Div(text, className="wall-fresh is-stale", **{"data-stale": "1"})
    text = t("wall.updated", lang, age=fmt_age(fresh["age_s"], lang))
    return html.Div(text, className="wall-fresh", **{"data-stale": "0"})


# ------------------------------------------------------------------ KPI cards
def kpi_card(card: dict, fresh: dict, lang: str, now: dt.datetime | None = None) -> html.Div:
    """Return one big KPI card: label, number (``data-kpi-number``), trend vs yesterday, freshness.

    ``data-kpi``/``data-value`` carry the KPI and its raw value, as on the analyst pages.
    """
    name, value, unit = card["kpi"], card["value"], card["unit"]
    number, _, suffix = fmt_value(value, unit, lang).partition(" ")
    delta = card["delta"]
    if card["basis"] == "none" or delta is None:
        trend = [html.Span(t("wall.no_compare", lang), className="wall-basis")]
    else:
        sense = SENSE.get(name, 0) * (1 if delta > 0 else -1 if delta < 0 else 0)
        arrow = "▲" if delta > 0 else ("▼" if delta < 0 else "■")
        tone = "is-better" if sense > 0 else ("is-worse" if sense < 0 else "is-flat")
        at = parse_time(card["previous_at"])
        basis = (
            t("wall.vs_yesterday", lang)
            if card["basis"] == "yesterday" or at is None
            else t("wall.vs_since", lang, time=fmt_clock(at))
        )
        trend = [
            html.Span(basis, className="wall-basis"),
            html.Span(arrow, className=f"wall-arrow {tone}"),
            html.Span(fmt_delta(delta, unit, lang), className=f"wall-delta {tone}"),
        ]
    return html.Div(
        [
            html.Div(t(f"kpi.{name}", lang), className="wall-kpi-label"),
            html.Div(
                [
                    html.Span(number, className="wall-kpi-number", **{"data-kpi-number": name}),
                    html.Span(suffix, className="wall-kpi-unit") if suffix else None,
                ],
                className="wall-kpi-value",
            ),
            html.Div(trend, className="wall-trend"),
            freshness_line(fresh, lang, now),
        ],
        className=f"wall-card wall-card-{card['domain']}" + (" is-stale" if fresh["stale"] else ""),
        style={"borderLeftColor": theme.WALL_ACCENT[card["domain"]]},
        **{"data-kpi": name, "data-value": "" if value is None else repr(value)},
    )


def kpi_column(
    cards: list[dict], fresh: list[dict], lang: str, now: dt.datetime | None = None
) -> list[html.Div]:
    """Return the page's cards, each with the freshness of the datasets its KPI reads."""
    return [kpi_card(c, page_freshness(fresh, KPI_SOURCES[c["kpi"]]), lang, now) for c in cards]


# ------------------------------------------------------------------ map
def area_hideout(areas: dict, *, page: str, names: dict[str, str], lang: str) -> dict:
    """Return the area layer's hideout on the wall: the page's KPI on the dark ramp, all labelled.

    Every city or district is labelled with its name and value (no hover on a wall);
    of grid cells, only the worst ten carry a label (hundreds would cover the map).
    """
    import pandas as pd

    values = pd.Series(areas["values"], dtype=float)
    hideout = choropleth_hideout(values, kpi=areas["kpi"], names=names, lang=lang)
    ramp = theme.wall_ramp(page)
    positive = [b for b in hideout["breaks"] if b > 0]
    colours = ramp[-len(positive) :] if positive else []
    if hideout["breaks"] and hideout["breaks"][0] <= 0:
        colours = [theme.WALL_RAMP_START, *colours]
    labelled = None
    if areas["level"] == "grid":
        sense = SENSE.get(areas["kpi"], 0)
        ranked = values.dropna().sort_values(ascending=sense > 0, kind="stable")
        if KPI_BY_NAME[areas["kpi"]].unit != "rate":
            ranked = ranked[ranked > 0]  # a count's zero cells need no label
        labelled = list(ranked.index[:10])
    return {
        **hideout,
        "colors": colours,
        "nodata": theme.WALL["map_nodata"],
        "disabled": theme.WALL["map_disabled"],
        "disabledBorder": theme.WALL["map_disabled_border"],
        "border": theme.WALL["map_border"],
        "allLabels": True,
        "labelCodes": labelled,
        "labelClass": "wall-area-label",
    }


def legend(hideout: dict, lang: str) -> html.Div:
    """Return the map's legend: the KPI's classes on the dark ramp."""
    from components.choropleth import legend_labels

    meta = KPI_BY_NAME[hideout["kpi"]]
    labels = legend_labels(hideout["breaks"], meta.unit, lang)
    rows = [
        html.Div(
            [html.Span(className="wall-swatch", style={"background": c}), html.Span(text)],
            className="wall-legend-row",
        )
        for c, text in zip(hideout["colors"], labels, strict=False)
    ]
    return html.Div(
        [html.Div(t(f"kpi.{hideout['kpi']}", lang), className="wall-legend-title"), *rows],
        className="wall-legend",
    )


def point_colours(page: str) -> dict[str, str]:
    """Return the colour of each point group of ``page``'s live layer (theme meanings)."""
    held = {"alert": theme.SEVERITY[3]}  # the alarm the wall flew to
    if page == "hazmat":
        return {**{k: theme.hazard_colour(k) for k in theme.HAZARD_CLASS}, **held}
    if page == "tourism":
        return {**theme.CROWDING, **held}
    return {**{f"s{k}": v for k, v in theme.SEVERITY.items()}, **held}


def alert_point(alert: dict | None) -> list[dict]:
    """Return the held alarm as a live point (group ``alert``), or nothing."""
    if not alert or alert.get("lon") is None or alert.get("lat") is None:
        return []
    return [{"id": alert["key"], "lon": alert["lon"], "lat": alert["lat"], "group": "alert"}]


def points_geojson(points: list[dict]) -> dict:
    """Return the live points as a GeoJSON FeatureCollection (``id`` and ``group`` properties)."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [p["lon"], p["lat"]]},
                "properties": {"id": p["id"], "group": p["group"]},
            }
            for p in points
            if p.get("lon") is not None and p.get("lat") is not None
        ],
    }


def points_hideout(page: str) -> dict:
    """Return the live layer's hideout: colour by group, dark outline, bigger dots."""
    return {
        "colorBy": "group",
        "colors": point_colours(page),
        "border": theme.WALL["background"],
        "radius": 9,
        "pane": "markerPane",
    }


def wall_map(*, geojson_url: str, bounds: tuple, hideout: dict, tile_url: str = "") -> dl.Map:
    """Return the wall's map: the areas, the live points and nothing to click or zoom."""
    min_lon, min_lat, max_lon, max_lat = bounds
    box = [[min_lat, min_lon], [max_lat, max_lon]]
    children = [dl.TileLayer(url=tile_url)] if tile_url else []
    children += [
        dl.GeoJSON(
            id=ids.WALL_AREAS,
            url=geojson_url,
            hideout=hideout,
            style=js("style"),
            onEachFeature=js("onEachFeature"),
        ),
        dl.GeoJSON(
            id=ids.WALL_POINTS,
            data=points_geojson([]),
            hideout=points_hideout("overview"),
            pointToLayer={"variable": "cityops.points.point"},
        ),
    ]
    return dl.Map(
        children,
        id=ids.WALL_MAP,
        bounds=box,
        viewport={"bounds": box},
        trackViewport=False,
        zoomSnap=0.25,
        zoomControl=False,
        attributionControl=False,
        dragging=False,
        scrollWheelZoom=False,
        doubleClickZoom=False,
        boxZoom=False,
        keyboard=False,
        touchZoom=False,
        className="wall-map-canvas",
    )


def fly_to(alert: dict | None, bounds: tuple) -> dict:
    """Return the map's viewport: the held alarm close up, else the whole scope."""
    if alert and alert.get("lat") is not None and alert.get("lon") is not None:
        return {
            "center": [alert["lat"], alert["lon"]],
            "zoom": 13,
            "transition": "flyTo",
            "options": {"duration": 1.5},
        }
    min_lon, min_lat, max_lon, max_lat = bounds
    return {
        "bounds": [[min_lat, min_lon], [max_lat, max_lon]],
        "transition": "flyToBounds",
        "options": {"duration": 1.0},
    }


# ------------------------------------------------------------------ alarms and problems
def alarm_text(item: dict, names: dict[str, str], lang: str) -> str:
    """Return one alarm, crowding or staleness item as one line of text."""
    kind = item["kind"]
    if kind == "crowding":
        return t(
            "wall.ticker.crowding",
            lang,
            spot=item["name"],
            slot=item["slot_start"],
            load=fmt_rate(item["load"], lang),
        )
    if kind == "stale":
        last = parse_time(item["last_write"])
        return t(
            "wall.ticker.stale",
            lang,
            dataset=t(f"dataset.{item['dataset']}", lang),
            time=last.strftime("%m-%d %H:%M") if last else "—",
        )
    vocabulary = "alarm" if kind == "hazmat_alarm" else "event_type"
    parts = [
        t_value(vocabulary, item["label"], lang),
        names.get(item.get("district_code") or "", ""),
        item.get("subject") or "",
    ]
    return " · ".join(p for p in parts if p)


def ticker(items: list[dict], names: dict[str, str], lang: str) -> list:
    """Return the ticker's items, newest first, each marked by kind and severity colour."""
    if not items:
        return [html.Span(t("wall.ticker.empty", lang), className="wall-tick is-empty")]
    out = []
    for item in items[:40]:
        when = parse_time(item.get("ts"))
        out.append(
            html.Span(
                [
                    html.Span(className=f"wall-sev wall-sev-{item['severity']}"),
                    html.Span(when.strftime("%H:%M") if when else "", className="wall-tick-time"),
                    html.Span(t(f"wall.kind.{item['kind']}", lang), className="wall-tick-kind"),
                    html.Span(alarm_text(item, names, lang), className="wall-tick-text"),
                ],
                className=f"wall-tick wall-tick-{item['kind']}",
                **{"data-alarm-key": item["key"], "data-severity": str(item["severity"])},
            )
        )
    return out


def alert_card(
    alert: dict | None, queued: int, names: dict[str, str], lang: str, now: dt.datetime
) -> list:
    """Return the held severe alarm's detail (empty when none is held)."""
    if not alert:
        return []
    when = parse_time(alert.get("ts"))
    rows = [
        (t("wall.kind." + alert["kind"], lang), t("wall.severity", lang, n=alert["severity"])),
        (alarm_text(alert, names, lang), ""),
    ]
    if when:
        rows.append(
            (
                when.strftime("%Y-%m-%d %H:%M:%S"),
                t(
                    "wall.problems.open_for",
                    lang,
                    age=fmt_duration((now - when).total_seconds(), lang),
                ),
            )
        )
    body = [html.Div(t("wall.alert.title", lang), className="wall-alert-title")]
    body += [
        html.Div(
            [html.Span(a), html.Span(b, className="wall-alert-aside")], className="wall-alert-row"
        )
        for a, b in rows
    ]
    if queued:
        body.append(html.Div(t("wall.alert.queued", lang, n=queued), className="wall-alert-queue"))
    return [html.Div(body, className="wall-alert-card", **{"data-alarm-key": alert["key"]})]


def problems(
    kind: str, rows: list[dict], names: dict[str, str], lang: str, now: dt.datetime, fresh: dict
) -> list:
    """Return the page's top-problems panel: a title, one row per problem, its freshness."""
    title = html.H2(
        t(f"wall.problems.{kind if kind != 'hazmat_alarms' else 'alarms'}", lang),
        className="wall-panel-title",
    )
    if not rows:
        body = [html.Div(t("wall.problems.none", lang), className="wall-empty")]
    elif kind in ("alarms", "hazmat_alarms"):
        body = [_alarm_row(r, names, lang, now) for r in rows]
    elif kind == "crowded":
        body = [
            _row(
                f"{r['name']} · {r['slot_start']}",
                fmt_rate(r["load"], lang),
                theme.crowding(r["load"]),
                key=f"{r['spot_id']}:{r['slot_start']}",
            )
            for r in rows
        ]
    else:
        unit = "rate" if kind == "worst_online" else "count"
        body = [
            _row(
                names.get(r["code"], r["code"]),
                fmt_value(r["value"], unit, lang),
                "area",
                key=r["code"],
            )
            for r in rows
        ]
    return [title, html.Div(body, className="wall-rows"), freshness_line(fresh, lang, now)]


def _row(text: str, value: str, tone: str, *, key: str) -> html.Div:
    return html.Div(
        [
            html.Span(text, className="wall-row-text"),
            html.Span(value, className=f"wall-row-value tone-{tone}"),
        ],
        className="wall-row",
        **{"data-row": key},
    )


def _alarm_row(r: dict, names: dict[str, str], lang: str, now: dt.datetime) -> html.Div:
    when = parse_time(r["ts"])
    age = fmt_duration((now - when).total_seconds(), lang) if when else ""
    return html.Div(
        [
            html.Span(className=f"wall-sev wall-sev-{r['severity']}"),
            html.Span(alarm_text(r, names, lang), className="wall-row-text"),
            html.Span(age, className="wall-row-value"),
        ],
        className="wall-row",
        **{"data-row": r["key"], "data-severity": str(r["severity"])},
    )


# ------------------------------------------------------------------ trend strip
def trend_figure(trend: dict, page: str, names: dict[str, str], lang: str) -> go.Figure:
    """Return the trend strip's chart on the dark theme (bars for areas, lines for time)."""
    w = theme.WALL
    fig = go.Figure()
    accent = theme.WALL_ACCENT[page]
    x = trend["x"]
    if trend["kind"] == "suspected_areas":
        x = [names.get(c, c) for c in x]
    if trend["kind"] in ("overview_days", "events_days", "alarms_days"):
        x = [d[5:] for d in x]  # MM-DD
    palette = {
        "video_events": theme.WALL_ACCENT["video"],
        "hazmat_alarms": theme.WALL_ACCENT["hazmat"],
        "rentals_suspected": accent,
        "load": accent,
    }
    for name, ys in trend["series"].items():
        label = (
            t(f"wall.series.{name}", lang)
            if name != "rentals_suspected"
            else t("kpi.rentals_suspected", lang)
        )
        if trend["kind"] == "suspected_areas":
            fig.add_bar(x=x, y=ys, name=label, marker_color=palette[name])
        else:
            fig.add_scatter(
                x=x,
                y=ys,
                name=label,
                mode="lines+markers",
                line={"color": palette[name], "width": 4},
                marker={"size": 9},
            )
    if trend["kind"] == "slot_load":
        for level, colour in zip(
            theme.CROWDING_THRESHOLDS, (theme.CROWDING["busy"], theme.CROWDING["full"]), strict=True
        ):
            fig.add_hline(y=level, line={"color": colour, "width": 2, "dash": "dash"})
        fig.update_yaxes(tickformat=".0%")
    fig.update_layout(
        title={
            "text": t(f"wall.trend.{trend['kind']}", lang),
            "x": 0.01,
            "y": 0.95,
            "font": {"size": 24, "color": w["ink"]},
        },
        paper_bgcolor=w["panel"],
        plot_bgcolor=w["panel"],
        font={
            "color": w["muted"],
            "size": 18,
            "family": "Noto Sans CJK SC, Source Han Sans SC, sans-serif",
        },
        margin={"l": 70, "r": 24, "t": 50, "b": 40},
        showlegend=len(trend["series"]) > 1,
        legend={
            "orientation": "h",
            "x": 0.5,
            "xanchor": "center",
            "y": 1.18,
            "font": {"size": 18, "color": w["ink"]},
        },
        xaxis={"gridcolor": w["grid"], "linecolor": w["grid"]},
        yaxis={"gridcolor": w["grid"], "zerolinecolor": w["grid"], "rangemode": "tozero"},
    )
    if not any(trend["series"].values()) or not x:
        fig.add_annotation(
            text=t("wall.trend.empty", lang),
            showarrow=False,
            x=0.5,
            y=0.5,
            xref="paper",
            yref="paper",
            font={"size": 24, "color": w["muted"]},
        )
    return fig


def trend_graph(figure: go.Figure) -> dcc.Graph:
    """Return the strip's graph: static (no toolbar, no hover), redrawn in place on refresh."""
    return dcc.Graph(
        id=ids.WALL_TREND,
        figure=figure,
        config={"staticPlot": True, "displayModeBar": False, "responsive": True},
        className="wall-trend-graph",
    )
