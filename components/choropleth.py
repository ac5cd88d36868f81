"""The area map: district or grid choropleth of one KPI, restyled through ``hideout``.

Geometry is fetched once by URL (cached by the browser); changing the KPI only
sends new values, colours and labels, which the style function in
``assets/cityops.js`` applies in the browser.
"""

from __future__ import annotations

import math

import dash_leaflet as dl
import numpy as np
import pandas as pd
from dash import html

from cityops import ids, theme
from cityops.formatting import fmt_value
from cityops.i18n import t
from cityops.kpis import KPI_BY_NAME

JS_NAMESPACE = "cityops.map"


def js(name: str) -> dict:
    """Return a dash-leaflet function handle for ``window.cityops.map.<name>``."""
    return {"variable": f"{JS_NAMESPACE}.{name}"}


def class_breaks(values: pd.Series, classes: int = theme.RAMP_STEPS) -> list[float]:
    """Return ascending upper bounds of up to ``classes`` quantile classes of ``values``.

    Missing values are ignored; an empty input gives no breaks.
    """
    finite = pd.to_numeric(values, errors="coerce").dropna().astype(float)
    if finite.empty:
        return []
    qs = np.quantile(finite.to_numpy(), np.linspace(0, 1, classes + 1)[1:])
    return sorted({float(q) for q in qs})


def choropleth_hideout(
    values: pd.Series,
    *,
    kpi: str,
    names: dict[str, str],
    lang: str,
    selected: str | None = None,
) -> dict:
    """Return the ``hideout`` the map's style function reads.

    Keys: ``values`` (area → raw number or null), ``labels`` (area → name and value
    on two lines),
    ``breaks`` and ``colors`` (same length), ``nodata``, ``disabled``,
    ``border``, ``selectedBorder``, ``selected`` and ``kpi``.
    """
    meta = KPI_BY_NAME[kpi]
    breaks = class_breaks(values)
    colours = theme.ramp(theme.DOMAIN_ACCENT[meta.domain], max(len(breaks), 1))
    clean: dict[str, float | None] = {}
    labels: dict[str, str] = {}
    for code, value in values.items():
        v = None if value is None or (isinstance(value, float) and math.isnan(value)) else value
        clean[str(code)] = None if v is None else float(v)
        labels[str(code)] = f"{names.get(str(code), code)}\n{fmt_value(v, meta.unit, lang)}"
    return {
        "kpi": kpi,
        "values": clean,
        "labels": labels,
        "breaks": breaks,
        "colors": colours[-len(breaks) :] if breaks else [],
        "nodata": theme.NO_DATA,
        "disabled": theme.DISABLED_AREA,
        "border": theme.BORDER,
        "selectedBorder": theme.SELECTED_BORDER,
        "selected": selected,
        "disabledLabel": t("overview.not_enabled", lang),
    }


def legend(hideout: dict, lang: str) -> html.Div:
    """Return the legend of a choropleth: one swatch per class, then "no data"."""
    meta = KPI_BY_NAME[hideout["kpi"]]
    rows = []
    lower = None
    for upper, colour in zip(hideout["breaks"], hideout["colors"], strict=True):
        text = (
            f"≤ {fmt_value(upper, meta.unit, lang)}"
            if lower is None
            else f"{fmt_value(lower, meta.unit, lang)} – {fmt_value(upper, meta.unit, lang)}"
        )
        rows.append(_legend_row(colour, text))
        lower = upper
    rows.append(_legend_row(hideout["nodata"], t("map.no_data", lang)))
    return html.Div(rows, className="map-legend", **{"aria-label": t("map.legend", lang)})


def _legend_row(colour: str, text: str) -> html.Div:
    return html.Div(
        [html.Span(className="swatch", style={"background": colour}), html.Span(text)],
        className="legend-row",
    )


def area_map(
    *,
    geojson_url: str,
    hideout: dict,
    bounds: tuple[float, float, float, float],
    tile_url: str = "",
    tile_attribution: str = "",
) -> dl.Map:
    """Return the map of one level's areas, fitted to ``bounds`` (lon/lat box).

    Without ``tile_url`` there is no tile layer: boundaries on a plain background,
    so the map works air-gapped.
    """
    children: list = []
    if tile_url:
        children.append(dl.TileLayer(url=tile_url, attribution=tile_attribution))
    children.append(
        dl.GeoJSON(
            id=ids.OV_AREAS,
            url=geojson_url,
            hideout=hideout,
            style=js("style"),
            onEachFeature=js("onEachFeature"),
        )
    )
    min_lon, min_lat, max_lon, max_lat = bounds
    return dl.Map(
        children,
        id=ids.OV_MAP,
        bounds=[[min_lat, min_lon], [max_lat, max_lon]],
        # the map is reused across drill steps: a new viewport moves it
        viewport={"bounds": [[min_lat, min_lon], [max_lat, max_lon]]},
        trackViewport=False,
        zoomSnap=0.25,
        attributionControl=bool(tile_url),
        className="area-map",
    )
