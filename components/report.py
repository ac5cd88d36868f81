"""Figures of the printed reports: pure builders, data in, Plotly figure out.

The report's map is drawn without tiles or a geo subplot (whose base layers
Plotly fetches from a CDN): each area is a filled polygon on plain axes kept
to the map's aspect, one trace per class so the legend reads like the
dashboard's (:func:`components.choropleth.legend_labels`, the same classes and
ramp as the screen's map).
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from cityops import theme
from components.charts import FONT, plot_text
from components.choropleth import class_of, kpi_classes, legend_labels, value_texts


def _rings(geometry: dict) -> list[list[list[float]]]:
    """Return the outer rings of a Polygon or MultiPolygon."""
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"][0]]
    if geometry["type"] == "MultiPolygon":
        return [poly[0] for poly in geometry["coordinates"]]
    return []


def area_map(
    features: list[dict],
    values: pd.Series,
    *,
    kpi: str,
    unit: str,
    lang: str,
    no_data: str,
    height: int = 420,
) -> go.Figure:
    """Return the areas of ``features`` (GeoJSON, ``id`` = area code) coloured by ``values``.

    ``values`` is indexed by area code (a missing area or value is drawn as "no
    data", named ``no_data`` in the legend). Each area is labelled with its name
    and value at its largest ring's centre.
    """
    codes = [f["id"] for f in features]
    shown = pd.to_numeric(values.reindex(codes), errors="coerce")
    breaks, colours = kpi_classes(shown, kpi)
    classes = class_of(shown, breaks)
    names = legend_labels(breaks, unit, lang)
    texts = value_texts(shown, unit, lang)
    traces: dict[int, dict] = {}
    label_x, label_y, label_text = [], [], []
    lat_mid = []
    for feature, cls, text in zip(features, classes, texts, strict=True):
        trace = traces.setdefault(cls, {"x": [], "y": []})
        rings = _rings(feature["geometry"])
        for ring in rings:
            trace["x"] += [p[0] for p in ring] + [None]
            trace["y"] += [p[1] for p in ring] + [None]
        if rings:
            big = max(rings, key=len)
            cx = sum(p[0] for p in big) / len(big)
            cy = sum(p[1] for p in big) / len(big)
            lat_mid.append(cy)
            name = feature.get("properties", {}).get("name") or feature["id"]
            if len(features) <= 40:  # a district's hundreds of grid cells stay unlabelled
                label_x.append(cx)
                label_y.append(cy)
                label_text.append(f"{plot_text(name)}<br>{plot_text(text or '—')}")
    data = []
    for cls in sorted(traces, key=lambda c: (c < 0, c)):
        colour = theme.NO_DATA if cls < 0 else colours[cls]
        data.append(
            go.Scatter(
                x=traces[cls]["x"],
                y=traces[cls]["y"],
                mode="lines",
                fill="toself",
                fillcolor=colour,
                line={"color": theme.BORDER, "width": 0.6},
                name=plot_text(no_data if cls < 0 else names[cls]),
                hoverinfo="skip",
            )
        )
    data.append(
        go.Scatter(
            x=label_x,
            y=label_y,
            mode="text",
            text=label_text,
            textfont={"size": 10, "color": theme.SELECTED_BORDER, "family": FONT},
            showlegend=False,
            hoverinfo="skip",
        )
    )
    mid = sum(lat_mid) / len(lat_mid) if lat_mid else 32.0
    hidden = {"visible": False, "showgrid": False, "zeroline": False}
    layout = {
        "height": height,
        "margin": {"l": 4, "r": 4, "t": 4, "b": 36},  # the legend sits under the map
        "font": {"family": FONT, "size": 11},
        "paper_bgcolor": theme.CHART_BACKGROUND,
        "plot_bgcolor": theme.CHART_BACKGROUND,
        "showlegend": True,
        "legend": {"orientation": "h", "x": 0.5, "xanchor": "center", "y": 0, "yanchor": "top",
                   "bgcolor": "rgba(255,255,255,0)"},
        "xaxis": hidden,
        # a degree of longitude is cos(latitude) of a degree of latitude
        "yaxis": {**hidden, "scaleanchor": "x", "scaleratio": 1 / math.cos(math.radians(mid))},
    }  # fmt: skip
    return go.Figure(data=data, layout=layout)
