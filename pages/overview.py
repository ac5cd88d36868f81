"""Overview (总览): KPI cards, a choropleth of one KPI, drill-down by clicking the map.

URL: ``/?scope=<area code or H3 cell>&date=YYYY-MM-DD&kpi=<name>``. Drilling and
changing the date push a new URL (the back button walks back up); changing the
map's KPI restyles the map in the browser from every KPI's classes, sent with the
page in the map's ``hideout``, shows that KPI's legend and title (all drawn with
the page) and rewrites the current URL in place: no request to the server.
"""

from __future__ import annotations

import dash
from dash import (
    ALL,
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

from cityops import ids, queries
from cityops.geo import ScopeDenied, ScopeError, ensure_allowed
from cityops.queries.context import current
from cityops.queries.kpis import KPI_BY_NAME, KPIS
from cityops.text.formatting import fmt_date
from cityops.text.i18n import t
from cityops.urls import DAY_RANGE, page_href
from cityops.web import check_object, input_rule
from components.breadcrumb import breadcrumb
from components.choropleth import all_kpis_hideout, area_map, boundaries_url, kpi_legends
from components.datepicker import date_picker
from components.kpi import kpi_groups
from pages._shared import (
    check_choice,
    check_day,
    check_state,
    checked_area,
    guarded_layout,
    register_page,
    resolve_view,
    scope_values,
)

PATH = "/"
DEFAULT_KPI = "cameras_online_rate"
#: Pattern ids of each KPI's legend and map title (one shown at a time).
LEGEND, TITLE = "ov-legend-kpi", "ov-title-kpi"

register_page(__name__, "overview", PATH, order=0)


def _href(scope: str, day, kpi: str) -> str:
    return page_href(PATH, scope=scope, day=day, kpi=None if kpi == DEFAULT_KPI else kpi)


def _map_title(level: str, kpi: str, lang: str) -> str:
    level_label = t(f"level.{level}", lang)
    if lang == "en":
        level_label = level_label.lower()
    return t("overview.map_title", lang, level=level_label, kpi=t(f"kpi.{kpi}", lang))


@guarded_layout(PATH)
def layout(scope: str | None = None, date: str | None = None, kpi: str | None = None, **_):
    view, error = resolve_view(PATH, scope, date)
    if error:
        return error
    ctx, lang, where, day = view.ctx, view.lang, view.where, view.day
    values = scope_values(view)
    kpi_name = kpi if isinstance(kpi, str) and kpi in KPI_BY_NAME else DEFAULT_KPI
    container, level, children = queries.child_kpis(ctx, scope=where, day=day, allowed=view.allowed)
    areas = ctx.geo.areas
    hideout = all_kpis_hideout(
        children,
        kpi=kpi_name,
        names={c: areas[c].name if c in areas else c for c in children.index},
        lang=lang,
        selected=where.code if where.level == "grid" else None,
    )
    legends = kpi_legends(hideout, lang)

    crumbs = [(s.level, s.code, ctx.geo.scope_name(s))
              for s in ctx.geo.lineage(where, ctx.allowed_scope())]  # fmt: skip
    area = areas[container.code]
    state = {"scope": where.code, "date": day.isoformat(), "lang": lang}
    return html.Div(
        [
            dcc.Store(id=ids.OV_STATE, data=state),
            html.Div(
                [
                    breadcrumb(crumbs, lambda code: _href(code, day, kpi_name), lang),
                    html.Div(
                        [
                            html.Label(t("overview.date", lang), htmlFor=ids.OV_DATE),
                            date_picker(
                                ids.OV_DATE,
                                day,
                                lang,
                                min_day=DAY_RANGE[0],
                                max_day=DAY_RANGE[1],
                            ),
                            html.Span(fmt_date(day, lang), className="date-long"),
                        ],
                        className="toolbar-date",
                    ),
                ],
                className="toolbar",
            ),
            html.Div(
                [
                    html.Section(
                        [
                            html.Div(
                                [
                                    html.H2(
                                        [
                                            html.Span(
                                                _map_title(level, k.name, lang),
                                                id={"type": TITLE, "kpi": k.name},
                                                hidden=k.name != kpi_name,
                                            )
                                            for k in KPIS
                                        ],
                                        id=ids.OV_MAP_TITLE,
                                        className="panel-title",
                                    ),
                                    dcc.Dropdown(
                                        id=ids.OV_KPI_SELECT,
                                        options=[
                                            {"label": t(f"kpi.{k.name}", lang), "value": k.name}
                                            for k in KPIS
                                        ],
                                        value=kpi_name,
                                        clearable=False,
                                        searchable=False,
                                        className="kpi-select",
                                    ),
                                ],
                                className="panel-head",
                            ),
                            html.Div(
                                [
                                    area_map(
                                        geojson_url=boundaries_url(container.code),
                                        hideout=hideout,
                                        bounds=area.bounds,
                                        tile_url=ctx.settings.tile_url,
                                        tile_attribution=ctx.settings.tile_attribution,
                                    ),
                                    html.Div(
                                        [
                                            html.Div(
                                                legends[k.name],
                                                id={"type": LEGEND, "kpi": k.name},
                                                hidden=k.name != kpi_name,
                                            )
                                            for k in KPIS
                                        ],
                                        id=ids.OV_LEGEND,
                                    ),
                                ],
                                className="map-wrap",
                            ),
                            html.P(t("overview.click_hint", lang), className="hint"),
                        ],
                        className="panel panel-map",
                    ),
                    html.Section(
                        [
                            kpi_groups(values, lang),
                            html.P(t("overview.status_note", lang), className="hint"),
                        ],
                        className="panel panel-kpis",
                    ),
                ],
                className="overview-grid",
            ),
        ],
        className="overview",
        **{"data-scope": where.code, "data-level": where.level},
    )


def preloads(scope=None, **_) -> list[str]:
    """Return the boundaries the map of a link will show, for the page to preload.

    Nothing for an area the link cannot show (unknown, switched off, not permitted).
    """
    ctx = current()
    try:
        where = ctx.geo.scope(scope if isinstance(scope, str) else None)
        ensure_allowed(where, ctx.allowed_scope())
    except (ScopeError, ScopeDenied):
        return []
    container, _ = ctx.geo.map_container(where)
    return [boundaries_url(container.code)]


@callback(
    Output(ids.NAV, "href", allow_duplicate=True),
    Input(ids.OV_AREAS, "clickData"),
    Input(ids.OV_DATE, "date"),
    State(ids.OV_STATE, "data"),
    State(ids.OV_KPI_SELECT, "value"),
    prevent_initial_call=True,
)
def navigate(feature, date, state, kpi):
    """Drill into a clicked area, or move to another day: a new URL either way.

    The URL keeps the KPI the map shows (``kpi``, switched in the browser).
    """
    if dash.ctx.triggered_id == ids.OV_DATE:
        if not date or date == state["date"]:
            return no_update
        return _href(state["scope"], date, kpi)
    if not feature or not feature.get("properties", {}).get("enabled", False):
        return no_update
    code = feature["properties"]["code"]
    if code == state["scope"]:
        return no_update
    return _href(checked_area(code), state["date"], kpi)


# Switch the map's KPI in the browser (assets/cityops.js): restyle from the hideout,
# show that KPI's legend and title, keep it in the address bar. No server round trip.
clientside_callback(
    ClientsideFunction(namespace="cityops", function_name="switchKpi"),
    Output(ids.OV_AREAS, "hideout"),
    Output({"type": LEGEND, "kpi": ALL}, "hidden"),
    Output({"type": TITLE, "kpi": ALL}, "hidden"),
    Input(ids.OV_KPI_SELECT, "value"),
    State(ids.OV_AREAS, "hideout"),
    prevent_initial_call=True,
)


input_rule(ids.OV_STATE, "data", check_state)
input_rule(ids.OV_DATE, "date", check_day)
input_rule(ids.OV_AREAS, "clickData", check_object)
input_rule(ids.OV_KPI_SELECT, "value", check_choice(lambda: set(KPI_BY_NAME), "map indicator"))
