"""The area map: district or grid choropleth of one KPI, restyled through ``hideout``.

Geometry is fetched once by URL (cached by the browser); the style function in
``assets/cityops.js`` colours it from the layer's ``hideout``. A domain page's
hideout carries one KPI (:func:`choropleth_hideout`); the overview's carries
every KPI (:func:`all_kpis_hideout`), so switching its KPI is a restyle in the
browser with no request.
"""

from __future__ import annotations

import math

import dash_leaflet as dl
import numpy as np
import pandas as pd
from dash import html

from cityops import ids, theme
from cityops.queries.kpis import KPI_BY_NAME, KPI_NAMES
from cityops.text.formatting import fmt_value
from cityops.text.i18n import t

JS_NAMESPACE = "cityops.map"
#: The map pane of points, clusters and tracks: above the area polygons (400), below
#: the labels and tooltips (650).
ENTITY_PANE = "entities"


def boundaries_url(code: str) -> str:
    """Return the URL of the boundaries one level below area ``code`` (GeoJSON)."""
    return f"/api/v1/geo/{code}/children.geojson"


def js(name: str, namespace: str = JS_NAMESPACE) -> dict:
    """Return a dash-leaflet function handle for ``window.<namespace>.<name>``."""
    return {"variable": f"{namespace}.{name}"}


def class_breaks(
    values: pd.Series, classes: int = theme.RAMP_STEPS, integer: bool = False
) -> list[float]:
    """Return ascending, distinct upper bounds of up to ``classes`` quantile classes.

    Missing values are ignored; an empty input gives no breaks. With ``integer``
    (counts) the bounds are whole numbers, so no class reads "0 – 0".
    """
    finite = pd.to_numeric(values, errors="coerce").dropna().astype(float)
    if finite.empty:
        return []
    qs = np.quantile(finite.to_numpy(), np.linspace(0, 1, classes + 1)[1:])
    if integer:
        qs = np.ceil(qs)
    return sorted({float(q) for q in qs})


def kpi_breaks(values: pd.Series, kpi: str) -> list[float]:
    """Return the map classes of ``kpi`` for these values.

    Rates use the KPI's fixed breaks, so a grid of 0 %, 50 % and 100 % cells keeps
    three colours (quantiles collapse to one class there). Counts use quantiles of
    the areas that have any, and zero gets a class of its own ("0", never "≤ 0").
    """
    meta = KPI_BY_NAME[kpi]
    numbers = pd.to_numeric(values, errors="coerce").dropna().astype(float)
    if numbers.empty:
        return []
    if meta.unit == "rate" and meta.breaks:
        return list(meta.breaks)
    positive = numbers[numbers > 0]
    breaks = class_breaks(positive, integer=meta.unit == "count")
    if (numbers <= 0).any():
        breaks = [0.0, *[b for b in breaks if b > 0]]
    return breaks


def kpi_classes(values: pd.Series, kpi: str) -> tuple[list[float], list[str]]:
    """Return ``(breaks, colours)`` of ``kpi``'s map classes for these values (same length).

    Colours run up the ramp of the KPI's domain accent; a zero class is the palest.
    """
    meta = KPI_BY_NAME[kpi]
    breaks = kpi_breaks(values, kpi)
    ramp = theme.ramp(theme.DOMAIN_ACCENT[meta.domain])
    positive = [b for b in breaks if b > 0]
    colours = ramp[-len(positive) :] if positive else []
    if breaks and breaks[0] <= 0:
        colours = [theme.ZERO, *colours]  # "none" reads as the palest class
    return breaks, colours


def _area_style(lang: str, selected: str | None) -> dict:
    """Return the hideout keys every area layer shares: outline and state colours."""
    return {
        "nodata": theme.NO_DATA,
        "disabled": theme.DISABLED_AREA,
        "disabledBorder": theme.DISABLED_BORDER,
        "outlineFill": theme.OUTLINE_FILL,
        "border": theme.BORDER,
        "selectedBorder": theme.SELECTED_BORDER,
        "selected": selected,
        "disabledLabel": t("overview.not_enabled", lang),
    }


def choropleth_hideout(
    values: pd.Series,
    *,
    kpi: str,
    names: dict[str, str],
    lang: str,
    selected: str | None = None,
) -> dict:
    """Return the ``hideout`` the map's style function reads, for one KPI.

    Keys: ``values`` (area → raw number or null), ``labels`` (area → name and value
    on two lines),
    ``breaks`` and ``colors`` (same length), ``nodata``, ``disabled``,
    ``border``, ``selectedBorder``, ``selected`` and ``kpi``.
    """
    meta = KPI_BY_NAME[kpi]
    breaks, colours = kpi_classes(values, kpi)
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
        "colors": colours,
        **_area_style(lang, selected),
    }


def class_of(values: pd.Series, breaks: list[float]) -> list[int]:
    """Return each value's class, as ``cityops.map.colour`` picks it in the browser.

    The class is the first break the value does not exceed (the last class for a
    value above them all), or -1 for a missing value.
    """
    numbers = pd.to_numeric(values, errors="coerce").astype(float).to_numpy()
    if not breaks:
        return [-1] * len(numbers)
    found = np.minimum(np.searchsorted(np.asarray(breaks, dtype=float), numbers), len(breaks) - 1)
    return [-1 if math.isnan(v) else int(c) for v, c in zip(numbers, found, strict=True)]


def value_texts(values: pd.Series, unit: str, lang: str) -> list[str | None]:
    """Return each value as the map's label shows it (None for a missing value)."""
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    shown = {v: fmt_value(v, unit, lang) for v in numbers.dropna().unique()}
    return [None if math.isnan(v) else shown[v] for v in numbers]


def all_kpis_hideout(
    frame: pd.DataFrame,
    *,
    kpi: str,
    names: dict[str, str],
    lang: str,
    selected: str | None = None,
) -> dict:
    """Return the ``hideout`` of a map that shows any KPI: every KPI's classes per area.

    ``frame`` has one row per area (index: area code) and a column per KPI. Keys:
    ``kpi`` (the one shown), ``codes`` and ``names`` (the areas, in the order of
    every list below), ``kpis`` (KPI → ``classes``: each area's class or -1 for no
    data, ``texts``: its value as labelled or null, ``breaks`` and ``colors``: one
    per class), ``missing`` (the text of no value) and the outline and state colours
    of :func:`choropleth_hideout`. Switching the KPI is ``{**hideout, "kpi": other}``.
    """
    kpis = {}
    for name in KPI_NAMES:
        if name not in frame:
            continue
        values = pd.to_numeric(frame[name], errors="coerce").astype(float)
        breaks, colours = kpi_classes(values, name)
        kpis[name] = {
            "classes": class_of(values, breaks),
            "texts": value_texts(values, KPI_BY_NAME[name].unit, lang),
            "breaks": breaks,
            "colors": colours,
        }
    codes = [str(c) for c in frame.index]
    return {
        "kpi": kpi,
        "codes": codes,
        "names": [names.get(c, c) for c in codes],
        "kpis": kpis,
        "missing": fmt_value(None, "count", lang),
        **_area_style(lang, selected),
    }


def kpi_legends(hideout: dict, lang: str) -> dict[str, html.Div]:
    """Return the legend of every KPI of an :func:`all_kpis_hideout` (KPI → legend)."""
    return {
        name: legend({"kpi": name, **classes, "nodata": hideout["nodata"]}, lang)
        for name, classes in hideout["kpis"].items()
    }


def legend_labels(breaks: list[float], unit: str, lang: str) -> list[str]:
    """Return the text of each class: "0", "≤ a", "a – b", …, and for rates "> y".

    The last class of a rate is open-ended because a value can pass the top break
    (a slot booked beyond its capacity); count breaks come from the values shown,
    so their last class ends at the largest of them.
    """
    out: list[str] = []
    lower: float | None = None
    n = len(breaks)
    for i, upper in enumerate(breaks):
        if upper <= 0:
            text = fmt_value(0, unit, lang)
        elif lower is None or lower < 0:
            text = f"≤ {fmt_value(upper, unit, lang)}"
        elif i == n - 1 and n > 1 and unit == "rate":
            text = f"> {fmt_value(lower, unit, lang)}"
        elif unit == "count" and upper - lower <= 1:
            text = fmt_value(upper, unit, lang)
        elif unit == "count":
            text = f"{fmt_value(lower + 1, unit, lang)} – {fmt_value(upper, unit, lang)}"
        else:
            text = f"{fmt_value(lower, unit, lang)} – {fmt_value(upper, unit, lang)}"
        out.append(text)
        lower = upper
    return out


def legend(hideout: dict, lang: str) -> html.Div:
    """Return the legend of a choropleth: one swatch per class, then "no data"."""
    meta = KPI_BY_NAME[hideout["kpi"]]
    texts = legend_labels(hideout["breaks"], meta.unit, lang)
    rows = [_legend_row(c, text) for c, text in zip(hideout["colors"], texts, strict=True)]
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
    map_id: str = ids.OV_MAP,
    layer_id: str = ids.OV_AREAS,
    overlays: list | None = None,
    focus: tuple[float, float, float, float] | None = None,
) -> dl.Map:
    """Return the map of one level's areas, fitted to ``bounds`` (lon/lat box).

    Without ``tile_url`` there is no tile layer: boundaries on a plain background,
    so the map works air-gapped. ``overlays`` (entity layers) are drawn above the areas;
    ``focus`` (a lon/lat box, e.g. one vehicle's track) overrides where the map looks.
    """
    children: list = []
    if tile_url:
        children.append(dl.TileLayer(url=tile_url, attribution=tile_attribution))
    children.append(
        dl.GeoJSON(
            id=layer_id,
            url=geojson_url,
            hideout=hideout,
            style=js("style"),
            onEachFeature=js("onEachFeature"),
        )
    )
    if overlays:
        # points and tracks above the areas: clicking a vehicle opens it instead of
        # drilling into the district under it, and placard colours are not washed out
        children.append(dl.Pane(overlays, name=ENTITY_PANE, style={"zIndex": 450}))
    min_lon, min_lat, max_lon, max_lat = focus or bounds
    return dl.Map(
        children,
        id=map_id,
        bounds=[[min_lat, min_lon], [max_lat, max_lon]],
        # the map is reused across drill steps: a new viewport moves it
        viewport={"bounds": [[min_lat, min_lon], [max_lat, max_lon]]},
        trackViewport=False,
        zoomSnap=0.25,
        attributionControl=bool(tile_url),
        className="area-map",
    )
