"""Video sensing (视频感知): cameras, their status and what their algorithms found.

URL: ``/video?scope=<area or cell>&date=YYYY-MM-DD&department=<name>&camera=<id>``.
Clicking an area drills down; at a grid cell, clicking a camera opens it. Choosing a
department (the selector or a bar of the department chart) filters the map, the
charts and the events table. Wuxi's lesson: the value is in algorithm results.
"""

from __future__ import annotations

import datetime as dt
import logging

from dash import (
    ClientsideFunction,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    dcc,
    html,
    no_update,
)

from cityops import ids
from cityops.clock import TZ
from cityops.geo import ScopeDenied, ScopeError, ensure_allowed
from cityops.queries import video as vq
from cityops.queries.context import current
from cityops.text.i18n import t, t_value
from cityops.urls import page_href
from cityops.web import check_object, input_rule, request_lang
from components import video
from components.choropleth import boundaries_url
from components.states import notice
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

log = logging.getLogger(__name__)

KPIS = ["cameras_total", "cameras_online_rate", "cameras_ai", "video_events_open"]
TREND_DAYS = 30

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
#: The containers of the charts beside the map and of the open events below it; the
#: panels as drawn by the server; the signal that the camera layer is on screen.
SIDE, EVENTS, PANELS, DRAWN = f"{P}-panels", f"{P}-events", f"{P}-panel-data", f"{P}-drawn"

PATH = register_page_for_domain(__name__, "video")


def href(scope: str, day, department: str | None = None, camera: str | None = None) -> str:
    """Return the URL of a video view."""
    return page_href(PATH, scope=scope, day=day, department=department, camera=camera)


@guarded_layout(PATH)
def layout(scope=None, date=None, department=None, camera=None, **_):
    """Return the view's frame, cards and map; the charts and events follow (:func:`panels`).

    The first paint is what the map needs: one query for the areas' colours, the
    department selector, the cards. The charts (plotly.js) and the events table
    come from one callback while the browser draws the camera layer.
    """
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
    if camera:
        side = video.camera_panels(
            view.found.row,
            vq.camera_history(ctx, camera_id=camera, allowed=view.allowed),
            vq.camera_events(ctx, camera_id=camera, allowed=view.allowed),
            name_of=lambda code: area_name(ctx, code),
            lang=lang,
            prefix=P,
        )
        below = []
    else:
        titles = [t("video.by_department", lang), t("video.ai_share", lang),
                  t("video.events_trend", lang, days=TREND_DAYS)]  # fmt: skip
        if where.level != "grid":
            titles.insert(0, t("video.by_area", lang, level=level_label(level, lang)))
        shown = departments[departments["department"] == department] if department else departments
        points = where.level != "province" and int(shown["cameras"].sum()) > 0
        side = [
            *entity_notice(view, t("entity.camera", lang)),
            # the panels, once drawn on the server, wait here until the map has drawn its
            # cameras (a map without any is "drawn" already)
            dcc.Store(id=PANELS),
            dcc.Store(id=DRAWN, data=None if points else "no-points"),
            html.Div(video.pending(titles), id=SIDE, className="stack"),
        ]
        below = [html.Div(video.pending([t("video.open_events", lang)]), id=EVENTS)]
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
            chip=_chip(department, lang),
        ),
        side=side,
        below=below,
        level=where.level,
        entity=camera,
        card_note=card_note(view),
    )


def preloads(scope=None, date=None, department=None, camera=None, **_) -> list[str]:
    """Return the URLs of the boundaries and the camera layer a link will show (to preload).

    The browser then fetches them with the page's scripts, before the layout asks
    for them. Only for a link whose scope is an area the user may see and that
    opens no camera (a camera moves the view to its own cell); else nothing.
    """
    if camera or not isinstance(scope or "", str) or not isinstance(department or "", str):
        return []
    ctx = current()
    try:
        where = ctx.geo.scope(scope)
        ensure_allowed(where, ctx.allowed_scope())
    except (ScopeError, ScopeDenied):
        return []
    container, _ = ctx.geo.map_container(where)
    urls = [boundaries_url(container.code)]
    if where.level != "province":
        urls.append(video.camera_layer_url(where.code, (department or "").strip() or None))
    return urls


def _chip(department: str | None, lang: str):
    """Return the chip naming the department filter (None without one)."""
    if not department:
        return None
    return html.Span(t_value("department", department, lang), className="chip")


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
    url = video.camera_layer_url(where.code, department)
    drawn = None if camera else DRAWN  # a camera's view has no panels to wait
    return [video.camera_layer(url, selected=camera, lang=lang, layer_id=POINTS, drawn=drawn)]


@callback(Output(PANELS, "data"), Input(STATE, "data"))
def panels(state):
    """Draw the view's charts and open events (``{"side": [...], "events": ...}``).

    Fires once when a view without a camera is shown (its page state store appears
    with the panels' placeholders), while the browser draws the camera layer; the
    browser shows them once the layer is drawn (``cityops.showPanels``), so plotly.js
    and the grid never compete with the first paint. The state was checked by the
    callback gate (the rule :func:`pages._shared.register_navigation` declares): a
    real, permitted view. A failure is said in the panels' place, with a retry of
    the view, never a trace.
    """
    try:
        side, events = _panels(state)
        return {"side": side, "events": events}
    except Exception as exc:
        from cityops.store import safe_error

        log.error("video panels failed for %r: %s", state, safe_error(exc))
        log.debug("trace of the failure above", exc_info=exc)
        lang = request_lang(current().settings.default_lang)
        retry = [
            (t("error.retry", lang), href(state["scope"], state["date"], state.get("department")))
        ]
        return {"side": [notice("error", t("error.unavailable", lang), links=retry)], "events": []}


# Show the panels once both are there: their content, and the map's cameras on screen.
clientside_callback(
    ClientsideFunction(namespace="cityops", function_name="showPanels"),
    Output(SIDE, "children"),
    Output(EVENTS, "children"),
    Input(PANELS, "data"),
    Input(DRAWN, "data"),
)


def _panels(state: dict) -> tuple[list, object]:
    """Return the side panels and the open events panel of the view in ``state``."""
    view, error = resolve_view(
        PATH, state["scope"], state["date"], filters={"department": state.get("department")}
    )
    if error:
        return error, []
    ctx, lang, where, department = view.ctx, view.lang, view.where, view.filters.department
    _, level = ctx.geo.map_container(where)
    departments = vq.online_by_department(ctx, scope=where, allowed=view.allowed)
    side = []
    if where.level != "grid":
        side.append(
            video.by_area(
                vq.online_by_area(
                    ctx, scope=where, level=level, allowed=view.allowed, department=department
                ),
                title=t("video.by_area", lang, level=level_label(level, lang)),
                name_of=(lambda c: c[:9]) if level == "grid" else (lambda c: area_name(ctx, c)),
                lang=lang,
                graph_id=f"{P}-by-area",
            )
        )
    side += [
        video.by_department(departments, lang=lang, selected=department, graph_id=BY_DEPT),
        video.ai_share(departments, lang=lang, department=department),
        video.events_trend(
            vq.events_by_day(
                ctx,
                scope=where,
                allowed=view.allowed,
                day=view.day,
                days=TREND_DAYS,
                department=department,
            ),
            lang=lang,
            days=TREND_DAYS,
        ),
    ]
    now = dt.datetime.now(TZ).replace(tzinfo=None)
    events = video.open_events(
        vq.open_events(ctx, scope=where, allowed=view.allowed, now=now, department=department),
        title=t("video.open_events", lang),
        chip=_chip(department, lang),
        name_of=lambda code: area_name(ctx, code),
        lang=lang,
        table_name=f"{P}-open-events",
    )
    return side, events


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
    filter_check=check_choice(
        lambda: vq.departments(current(), allowed=current().allowed_scope()), "department"
    ),
)
input_rule(POINTS, "clickData", check_object)
