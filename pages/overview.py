"""Overview (总览): KPI cards, a choropleth of one KPI, drill-down by clicking the map.

URL: ``/?scope=<area code or H3 cell>&date=YYYY-MM-DD&kpi=<name>``. Drilling and
changing the date push a new URL (the back button walks back up); changing the
map's KPI only restyles the map and rewrites the current URL in place.
"""

from __future__ import annotations

import dash
from dash import Input, Output, State, callback, clientside_callback, dcc, html, no_update

from cityops import ids
from cityops.clock import today
from cityops.queries.context import current
from cityops.queries.kpis import KPI_BY_NAME, KPIS
from cityops.text.formatting import fmt_date
from cityops.text.i18n import normalise_lang, t
from cityops.urls import DAY_RANGE, page_href, parse_day
from cityops.web import check_object, input_rule
from components.breadcrumb import breadcrumb
from components.choropleth import area_map, legend
from components.datepicker import date_picker
from components.kpi import kpi_groups
from pages._shared import (
    check_choice,
    check_day,
    check_state,
    checked_area,
    guarded_layout,
    map_state,
    register_page,
    resolve_view,
    scope_values,
)

PATH = "/"
DEFAULT_KPI = "cameras_online_rate"

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
    container, level, hideout = map_state(ctx, where, day, kpi_name, lang)

    crumbs = [(s.level, s.code, ctx.geo.scope_name(s)) for s in ctx.geo.lineage(where)]
    area = ctx.geo.areas[container.code]
    state = {"scope": where.code, "date": day.isoformat(), "kpi": kpi_name, "lang": lang}
    return html.Div(
        [
            dcc.Store(id=ids.OV_STATE, data=state),
            dcc.Store(id=ids.OV_URL_SINK),
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
                                        _map_title(level, kpi_name, lang),
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
                                        geojson_url=f"/api/v1/geo/{container.code}/children.geojson",
                                        hideout=hideout,
                                        bounds=area.bounds,
                                        tile_url=ctx.settings.tile_url,
                                        tile_attribution=ctx.settings.tile_attribution,
                                    ),
                                    html.Div(legend(hideout, lang), id=ids.OV_LEGEND),
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


@callback(
    Output(ids.NAV, "href", allow_duplicate=True),
    Input(ids.OV_AREAS, "clickData"),
    Input(ids.OV_DATE, "date"),
    State(ids.OV_STATE, "data"),
    prevent_initial_call=True,
)
def navigate(feature, date, state):
    """Drill into a clicked area, or move to another day: a new URL either way."""
    if dash.ctx.triggered_id == ids.OV_DATE:
        if not date or date == state["date"]:
            return no_update
        return _href(state["scope"], date, state["kpi"])
    if not feature or not feature.get("properties", {}).get("enabled", False):
        return no_update
    code = feature["properties"]["code"]
    if code == state["scope"]:
        return no_update
    return _href(checked_area(code), state["date"], state["kpi"])


@callback(
    Output(ids.OV_AREAS, "hideout"),
    Output(ids.OV_LEGEND, "children"),
    Output(ids.OV_MAP_TITLE, "children"),
    Input(ids.OV_KPI_SELECT, "value"),
    State(ids.OV_STATE, "data"),
    prevent_initial_call=True,
)
def restyle(kpi_name, state):
    """Colour the map by another KPI: new values and legend, same geometry.

    The state and the KPI name come from the browser: the callback gate has checked
    them (the rules at the end of this module) before this runs, so a hand-made
    state or an unknown KPI is a 400 and a scope outside the user's area a 403.
    """
    ctx = current()
    lang = normalise_lang(state.get("lang"))
    where = ctx.geo.scope(state["scope"])
    day = parse_day(state["date"], today())
    _, level, hideout = map_state(ctx, where, day, kpi_name, lang)
    return hideout, legend(hideout, lang), _map_title(level, kpi_name, lang)


# Keep the chosen KPI in the address bar without a navigation (no history entry).
clientside_callback(
    """
    function(kpi) {
        const url = new URL(window.location.href);
        url.searchParams.set('kpi', kpi);
        window.history.replaceState(window.history.state, '', url.toString());
        return kpi;
    }
    """,
    Output(ids.OV_URL_SINK, "data"),
    Input(ids.OV_KPI_SELECT, "value"),
    prevent_initial_call=True,
)


input_rule(ids.OV_STATE, "data", check_state)
input_rule(ids.OV_DATE, "date", check_day)
input_rule(ids.OV_AREAS, "clickData", check_object)
input_rule(ids.OV_KPI_SELECT, "value", check_choice(lambda: set(KPI_BY_NAME), "map indicator"))
