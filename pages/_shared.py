"""Helpers shared by the pages (Dash does not load ``_``-prefixed modules as pages)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from dash import Input, Output, State, callback, html, no_update

from cityops import ids, queries
from cityops.context import Context, current, today
from cityops.geo import Scope, ScopeError
from cityops.i18n import t
from cityops.kpis import kpi_record
from cityops.urls import parse_day
from cityops.web import request_lang
from components.choropleth import area_map, choropleth_hideout, legend
from components.domain import panel
from components.shell import message_panel


def map_state(ctx: Context, where: Scope, day: dt.date, kpi_name: str, lang: str):
    """Return ``(container, level, hideout)`` of the area map for ``where``: one query."""
    container, level, children = queries.child_kpis(
        ctx, scope=where, day=day, allowed=ctx.allowed_scope()
    )
    hideout = choropleth_hideout(
        children[kpi_name],
        kpi=kpi_name,
        names={c: ctx.geo.areas[c].name if c in ctx.geo.areas else c for c in children.index},
        lang=lang,
        selected=where.code if where.level == "grid" else None,
    )
    return container, level, hideout


def crumbs(ctx: Context, where: Scope, entity: tuple[str, str] | None = None, lang: str = "zh"):
    """Return breadcrumb items from the province to ``where``, then the entity if any."""
    items = [(s.level, s.code, ctx.geo.scope_name(s)) for s in ctx.geo.lineage(where)]
    if entity:
        kind, key = entity
        items.append(("entity", key, f"{t(f'entity.{kind}', lang)} {key}"))
    return items


def level_label(level: str, lang: str) -> str:
    """Return the name of a level for titles ("区县", "district")."""
    label = t(f"level.{level}", lang)
    return label.lower() if lang == "en" else label


def area_name(ctx: Context, code: str | None) -> str:
    """Return an area's (Chinese) name, or the code itself for a grid cell."""
    if not code:
        return "—"
    return ctx.geo.areas[code].name if code in ctx.geo.areas else code


def register_navigation(
    prefix: str,
    href: Callable[..., str],
    *,
    filter_key: str | None = None,
    filter_id: str | None = None,
    filter_bar: str | None = None,
    keep_filter_on_drill: bool = True,
) -> None:
    """Register a page's navigation callbacks; each one writes a new URL.

    - a click on an area of ``<prefix>-areas`` drills into it (keeping the filter
      unless ``keep_filter_on_drill`` is False);
    - ``<prefix>-date`` shows another day (keeping filter and open entity);
    - ``filter_id`` (a selector) sets ``filter_key``; ``filter_bar`` (a chart whose
      bars carry the key in ``customdata``) sets it too, and a second click clears it.
    """
    state = State(f"{prefix}-state", "data")
    out = Output(ids.NAV, "href", allow_duplicate=True)

    def kept(s: dict) -> dict:
        return {filter_key: s.get(filter_key)} if filter_key and keep_filter_on_drill else {}

    @callback(out, Input(f"{prefix}-areas", "clickData"), state, prevent_initial_call=True)
    def drill(area, s):
        props = (area or {}).get("properties") or {}
        if not props.get("enabled") or props.get("code") == s["scope"]:
            return no_update
        return href(props["code"], s["date"], **kept(s))

    @callback(out, Input(f"{prefix}-date", "date"), state, prevent_initial_call=True)
    def change_day(date, s):
        if not date or date == s["date"]:
            return no_update
        rest = {k: v for k, v in s.items() if k not in ("scope", "date", "lang")}
        return href(s["scope"], date, **rest)

    if filter_id:

        @callback(out, Input(filter_id, "value"), state, prevent_initial_call=True)
        def choose(value, s):
            if (value or None) == s.get(filter_key):
                return no_update
            return href(s["scope"], s["date"], **{filter_key: value or None})

    if filter_bar:

        @callback(out, Input(filter_bar, "clickData"), state, prevent_initial_call=True)
        def click_bar(bar, s):
            key = ((bar or {}).get("points") or [{}])[0].get("customdata")
            if not key:
                return no_update
            return href(
                s["scope"], s["date"], **{filter_key: None if key == s.get(filter_key) else key}
            )


def resolve_view(scope: str | None, date: str | None):
    """Return ``(ctx, lang, where, day, None)``, or ``(…, message panel)`` for a bad URL."""
    ctx = current()
    lang = request_lang(ctx.settings.default_lang)
    try:
        return ctx, lang, ctx.geo.scope(scope), parse_day(date, today()), None
    except (ScopeError, ValueError) as exc:
        error = message_panel(
            t("error.scope", lang, detail=str(exc)), "", t("error.back_home", lang)
        )
        return ctx, lang, None, None, error


def scope_values(ctx: Context, where: Scope, day: dt.date) -> dict:
    """Return the 14 KPIs of ``where`` on ``day`` (what the cards show, as the API does)."""
    return kpi_record(
        queries.scope_kpis(ctx, scope=where, day=day, allowed=ctx.allowed_scope()), where.code
    )


def map_panel(
    ctx: Context,
    prefix: str,
    title: str,
    container: Scope,
    hideout: dict,
    lang: str,
    *extra,
    overlays: list | None = None,
    focus=None,
    legend_hideout: dict | None = None,
    chip=None,
):
    """Return the page's map panel: areas (drill layer), entity overlays and the legend."""
    return panel(
        title,
        chip,
        html.Div(
            [
                area_map(
                    geojson_url=f"/api/v1/geo/{container.code}/children.geojson",
                    hideout=hideout,
                    bounds=ctx.geo.areas[container.code].bounds,
                    tile_url=ctx.settings.tile_url,
                    tile_attribution=ctx.settings.tile_attribution,
                    map_id=f"{prefix}-map",
                    layer_id=f"{prefix}-areas",
                    overlays=overlays,
                    focus=focus,
                ),
                legend(legend_hideout or hideout, lang),
            ],
            className="map-wrap",
        ),
        *extra,
    )


def domain_page(
    name: str,
    *,
    state: dict,
    crumb_items: list,
    crumb_href: Callable[[str], str],
    day: dt.date,
    lang: str,
    values: dict,
    kpis: list[str],
    map_part,
    side: list,
    below: list | None = None,
    filters: list | None = None,
    level: str,
    entity: str | None = None,
) -> html.Div:
    """Return the frame every domain page shares.

    State store, toolbar (breadcrumb, filters, date), KPI cards, the map beside
    the page's panels, then full-width panels. The root carries ``data-scope``,
    ``data-level`` and ``data-entity`` for tests and operators' tooling.
    """
    from dash import dcc

    from components.domain import kpi_row, toolbar

    return html.Div(
        [
            dcc.Store(id=f"{name}-state", data=state),
            toolbar(crumb_items, crumb_href, day, f"{name}-date", lang, filters=filters),
            kpi_row(values, kpis, lang),
            html.Div([map_part, html.Div(side, className="stack")], className="domain-grid"),
            html.Div(below or [], className="stack"),
        ],
        className=f"domain-page {name}-page",
        **{"data-scope": state["scope"], "data-level": level, "data-entity": entity or ""},
    )
