"""Video sensing (视频感知): cameras, their status and what their algorithms found.

URL: ``/video?scope=<area or cell>&date=YYYY-MM-DD&department=<name>&camera=<id>``.
Clicking an area drills down; at a grid cell, clicking a camera opens it. Choosing a
department (the selector or a bar of the department chart) filters the map, the
charts and the events table. Wuxi's lesson: the value is in algorithm results.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import dash_leaflet as dl
from dash import Input, Output, State, callback, dcc, html, no_update

from cityops import ids
from cityops.clock import TZ
from cityops.queries import video as vq
from cityops.queries.context import current
from cityops.queries.kpis import ratio
from cityops.text.formatting import fmt_rate, fmt_times
from cityops.text.i18n import t, t_value
from cityops.theme import DOMAIN_ACCENT, STATUS
from cityops.urls import page_href
from cityops.web import check_object, input_rule
from components.charts import PALETTE, donut, rate_bars, stacked_days
from components.choropleth import ENTITY_PANE, js
from components.domain import chart, empty, facts, panel
from components.tables import data_table
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
    level_label,
    map_panel,
    map_state,
    register_navigation,
    register_page_for_domain,
    resolve_view,
    scope_values,
)

KPIS = ["cameras_total", "cameras_online_rate", "cameras_ai", "video_events_open"]
ACCENT = DOMAIN_ACCENT["video"]
TREND_DAYS = 30
#: Upper bounds of the offline/fault share that colour a camera cluster green, amber, red.
CLUSTER_BAD_SHARE = (0.05, 0.15)

P = "video"
MAP, AREAS, POINTS, STATE, DATE, DEPT, BY_DEPT = (
    f"{P}-map",
    f"{P}-areas",
    f"{P}-points",
    f"{P}-state",
    f"{P}-date",
    f"{P}-department",
    f"{P}-by-department",
)

PATH = register_page_for_domain(__name__, "video")


def href(scope: str, day, department: str | None = None, camera: str | None = None) -> str:
    """Return the URL of a video view."""
    return page_href(PATH, scope=scope, day=day, department=department, camera=camera)


@guarded_layout(PATH)
def layout(scope=None, date=None, department=None, camera=None, **_):
    view, error = resolve_view(
        PATH, scope, date, filters={"department": department}, entity=("camera", camera)
    )
    if error:
        return error
    ctx, lang, where, day = view.ctx, view.lang, view.where, view.day
    department = view.filters.department
    camera = view.entity_key
    container, level, hideout = map_state(
        ctx, where, day, "cameras_online_rate", lang, filters=view.filters
    )
    departments = vq.online_by_department(ctx, scope=where, allowed=view.allowed)
    selector = dcc.Dropdown(
        id=DEPT,
        value=department or "",
        clearable=False,
        searchable=False,
        className="filter-select",
        options=[{"label": t("filter.all", lang), "value": ""}]
        + [
            {"label": t_value("department", d, lang), "value": d}
            for d in departments["department"]
            if d
        ],
    )
    chip = (
        html.Span(t_value("department", department, lang), className="chip") if department else None
    )
    if camera:
        side = _camera_detail(ctx, view.found.row, lang)
    else:
        side = entity_notice(view, t("entity.camera", lang)) + _panels(
            ctx, where, level, day, department, departments, lang
        )
    return domain_page(
        P,
        state=view.state(department=department, camera=camera),
        crumb_items=crumbs(ctx, where, ("camera", camera) if camera else None, lang),
        crumb_href=lambda code: href(code, day, department),
        day=day,
        lang=lang,
        values=scope_values(view),
        kpis=KPIS,
        filters=[html.Label(t("filter.department", lang), htmlFor=DEPT), selector],
        map_part=map_panel(
            ctx,
            P,
            t("video.map_title", lang),
            container,
            hideout,
            lang,
            html.P(t("map.points_hint", lang), className="hint"),
            overlays=_points(where, department, camera, lang),
            focus=_cell_focus(where) if where.level == "grid" else None,
            chip=chip,
        ),
        side=side,
        below=[]
        if camera
        else [
            panel(t("video.open_events", lang), chip, _events_table(ctx, where, department, lang))
        ],
        level=where.level,
        entity=camera,
        card_note=card_note(view),
    )


def _cell_focus(where):
    """Look at the camera's grid cell and its neighbours."""
    import h3

    ring = [h3.cell_to_latlng(c) for c in h3.grid_disk(where.code, 2)]
    lats, lons = [p[0] for p in ring], [p[1] for p in ring]
    return (min(lons), min(lats), max(lons), max(lats))


def _points(where, department, camera, lang) -> list:
    """The camera layer: clustered points, from the city level down."""
    if where.level == "province":
        return []
    # a department is data ("交通&运输", "+1"): encoded, or the layer asks for another one
    query = {"scope": where.code, **({"department": department} if department else {})}
    url = f"/api/v1/points/cameras.pbf?{urlencode(query)}"
    return [
        dl.GeoJSON(
            id=POINTS,
            url=url,
            format="geobuf",
            cluster=True,
            zoomToBoundsOnClick=True,
            superClusterOptions={"radius": 80, "maxZoom": 16},
            pointToLayer=js("point", "cityops.points"),
            clusterToLayer=js("cluster", "cityops.points"),
            hideout={
                "colorBy": "status",
                "colors": STATUS,
                "selected": camera,
                "pane": ENTITY_PANE,
                "lang": lang,
                # clusters: share of cameras offline or faulty, ≤ 5 % / ≤ 15 % / more
                "clusterBreaks": list(CLUSTER_BAD_SHARE),
                "clusterColors": [STATUS["online"], STATUS["acknowledged"], STATUS["fault"]],
            },
        )
    ]


def _panels(ctx, where, level, day, department, departments, lang) -> list:
    allowed = ctx.allowed_scope()
    out = []
    if where.level != "grid":
        by_area = vq.online_by_area(
            ctx, scope=where, level=level, allowed=allowed, department=department
        )
        by_area = by_area.sort_values("online_rate", ascending=True, na_position="first")
        names = [area_name(ctx, c) if level != "grid" else c[:9] for c in by_area["area"]]
        out.append(
            panel(
                t("video.by_area", lang, level=level_label(level, lang)),
                chart(
                    rate_bars(
                        names[:25],
                        list(by_area["online_rate"])[:25],
                        list(by_area["area"])[:25],
                        ACCENT,
                    )
                    if len(by_area)
                    else None,
                    t("empty.no_rows", lang),
                    graph_id=f"{P}-by-area",
                ),
            )
        )
    out.append(
        panel(
            t("video.by_department", lang),
            chart(
                rate_bars(
                    [t_value("department", d, lang) for d in departments["department"]],
                    list(departments["online_rate"]),
                    list(departments["department"]),
                    ACCENT,
                    selected=department,
                )
                if len(departments)
                else None,
                t("empty.no_rows", lang),
                graph_id=BY_DEPT,
            ),
        )
    )
    shown = departments[departments["department"] == department] if department else departments
    total, ai = int(shown["cameras"].sum()), int(shown["ai"].sum())
    out.append(
        panel(
            t("video.ai_share", lang),
            chart(
                donut(
                    [t("col.ai_enabled", lang), t("video.ai_off", lang)],
                    [ai, max(total - ai, 0)],
                    [ACCENT, "#e5e7eb"],
                    fmt_rate(ratio([ai], [total])[0], lang),
                )
                if total
                else None,
                t("empty.no_rows", lang),
            ),
        )
    )
    trend = vq.events_by_day(
        ctx, scope=where, allowed=allowed, day=day, days=TREND_DAYS, department=department
    )
    trend["event_type"] = [t_value("event_type", e, lang) for e in trend["event_type"]]
    out.append(
        panel(
            t("video.events_trend", lang, days=TREND_DAYS),
            chart(
                stacked_days(
                    trend,
                    x="day",
                    y="events",
                    colour="event_type",
                    palette=PALETTE,
                    lang=lang,
                    axis_title=t("unit.events", lang),
                )
                if len(trend)
                else None,
                t("empty.no_events", lang, days=TREND_DAYS),
            ),
        )
    )
    return out


def _events_table(ctx, where, department, lang):
    now = dt.datetime.now(TZ).replace(tzinfo=None)
    frame = vq.open_events(
        ctx, scope=where, allowed=ctx.allowed_scope(), now=now, department=department
    )
    if frame.empty:
        return empty(t("empty.no_rows", lang))
    frame["ts"] = fmt_times(frame["ts"])
    frame["district_code"] = [area_name(ctx, c) for c in frame["district_code"]]
    frame["event_type"] = [t_value("event_type", e, lang) for e in frame["event_type"]]
    frame["department"] = [t_value("department", d, lang) for d in frame["department"]]
    return data_table(
        f"{P}-open-events",
        frame,
        [
            "ts",
            "open_hours",
            "event_type",
            "camera_id",
            "camera_name",
            "department",
            "district_code",
            "event_id",
        ],
        lang,
        widths={"ts": 140, "camera_name": 180},
        row_id="event_id",
        selectable=True,
    )


def _camera_detail(ctx, row, lang):
    """Return the panels of one camera (its row found by the page's view)."""
    camera_id = row["camera_id"]
    status = row["status"]
    card = panel(
        f"{t('entity.camera', lang)} {camera_id}",
        facts(
            [
                (t("col.name", lang), row["name"]),
                (
                    t("col.status", lang),
                    html.Span(
                        [
                            html.Span(className="status-dot", style={"background": STATUS[status]}),
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
                (t("col.district_code", lang), area_name(ctx, row["district_code"])),
                (t("col.grid_cell", lang), row["grid_cell"]),
                (t("col.lonlat", lang), f"{row['lon']:.6f}, {row['lat']:.6f}"),
            ]
        ),
        extra="entity-card",
        panel_id=f"{P}-camera",
    )
    history = vq.camera_history(ctx, camera_id=camera_id)
    history["status"] = [t(f"status.{s}", lang) for s in history["status"]]
    history["changed_at"] = fmt_times(history["changed_at"])
    events = vq.camera_events(ctx, camera_id=camera_id)
    for col in ("ts", "closed_at"):
        events[col] = fmt_times(events[col])
    events["event_type"] = [t_value("event_type", e, lang) for e in events["event_type"]]
    events["status"] = [t_value("event_status", e, lang) for e in events["status"]]
    return [
        card,
        panel(
            t("video.history", lang),
            data_table(f"{P}-history", history, ["changed_at", "status"], lang)
            if len(history)
            else empty(t("empty.no_rows", lang)),
        ),
        panel(
            t("video.camera_events", lang),
            data_table(
                f"{P}-camera-events",
                events,
                ["ts", "event_type", "status", "closed_at", "event_id"],
                lang,
            )
            if len(events)
            else empty(t("empty.no_rows", lang)),
        ),
    ]


@callback(
    Output(ids.NAV, "href", allow_duplicate=True),
    Input(POINTS, "clickData"),
    State(STATE, "data"),
    prevent_initial_call=True,
)
def open_camera(point, s):
    """Open a clicked camera (the page shows it at the grid cell it stands in)."""
    props = (point or {}).get("properties") or {}
    if props.get("cluster") or not props.get("id"):
        return no_update
    camera = checked_id(props["id"], "camera")
    return href(entity_cell("camera", camera, s["scope"]), s["date"], s.get("department"), camera)


@callback(
    Output(ids.NAV, "href", allow_duplicate=True),
    Input({"type": "table", "name": f"{P}-open-events"}, "selectedRows"),
    State(STATE, "data"),
    prevent_initial_call=True,
)
def open_event_camera(rows, s):
    """A click on an open event opens its camera."""
    if not rows or not rows[0].get("camera_id"):
        return no_update
    camera = checked_id(rows[0]["camera_id"], "camera")
    return href(entity_cell("camera", camera, s["scope"]), s["date"], s.get("department"), camera)


register_navigation(
    P,
    href,
    filter_key="department",
    filter_id=DEPT,
    filter_bar=BY_DEPT,
    filter_check=check_choice(lambda: vq.departments(current()), "department"),
)
input_rule(POINTS, "clickData", check_object)
