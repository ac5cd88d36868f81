"""Plotly figure builders: a DataFrame in, a figure out; colours from the theme.

Builders with a value axis take ``lang`` and ``axis_title`` (keyword-only). With
``lang`` the value axis gets round ticks labelled the way UX.md writes numbers
(2万, 1.5亿 in Chinese; 20k, 150M in English) instead of Plotly's SI letters;
``axis_title`` names the axis, with its unit (e.g. ``t("unit.tonnes", lang)``).

Plotly reads a subset of HTML in every text it draws (labels, ticks, legends, hover:
``<br>``, ``<b>``, ``<a href>``, ``<span style>``…). Names come from department
files, so every text a builder passes to Plotly goes through :func:`plot_text`,
which escapes ``& < >``: Plotly turns the entities back into characters and draws
``<b>x</b>`` as those eight characters, never as bold, a link or a hidden span.
Hover templates name data by reference (``%{y}``, ``%{data.name}``), never by
pasting it into the template.
"""

from __future__ import annotations

import html
import math

import pandas as pd
import plotly.graph_objects as go

from cityops import theme
from cityops.clock import holiday_name
from cityops.text.formatting import fmt_tick, nice_ticks

FONT = (
    "PingFang SC, Hiragino Sans GB, Microsoft YaHei, Noto Sans CJK SC, "
    "Source Han Sans SC, sans-serif"
)


def plot_text(value: object) -> object:
    """Return ``value`` for a Plotly text: text with ``& < >`` escaped, anything else as is.

    Only those three: Plotly decodes ``&amp; &lt; &gt;`` and numeric entities,
    but would show ``&quot;`` literally.
    """
    return html.escape(value, quote=False) if isinstance(value, str) else value


def _texts(values) -> list:
    return [plot_text(v) for v in values]


def _merge(base: dict, extra: dict) -> dict:
    """Return ``base`` updated with ``extra``, nested dicts merged as Plotly's update does."""
    out = dict(base)
    for key, value in extra.items():
        old = out.get(key)
        out[key] = (
            _merge(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
        )
    return out


def _base_layout(height: int) -> dict:
    """Return the layout every chart shares: size, font, white ground, light grid."""
    return {
        "height": height,
        "margin": {"l": 8, "r": 8, "t": 8, "b": 8},
        "font": {"family": FONT, "size": 12},
        "paper_bgcolor": theme.CHART_BACKGROUND,
        "plot_bgcolor": theme.CHART_BACKGROUND,
        "showlegend": False,
        "bargap": 0.25,
        "separators": ".,",
        "xaxis": {"gridcolor": theme.CHART_GRID, "zeroline": False},
        "yaxis": {"gridcolor": theme.CHART_GRID, "zeroline": False, "automargin": True},
    }


def _figure(traces: list, height: int, layout: dict) -> go.Figure:
    """Return a figure of ``traces`` with the shared layout updated by ``layout``.

    Built in one call: Plotly validates a figure's properties on every update, so
    one constructor is several times cheaper than a chain of ``update_*`` calls,
    and a page builds its charts on every drill-down.
    """
    return go.Figure(data=traces, layout=_merge(_base_layout(height), layout))


def _value_axis(values, lang: str | None, title: str | None) -> dict:
    """Return the properties of a value axis for data up to max(``values``) (see value_axis)."""
    props: dict = {}
    if title:
        props.update(title={"text": plot_text(title), "font": {"size": 11}}, automargin=True)
    if lang is None:
        return props
    numbers = [float(v) for v in values if v is not None and not pd.isna(v)]
    if not numbers or min(numbers) < 0:
        return props
    integer = all(math.isclose(v, round(v)) for v in numbers)
    ticks = nice_ticks(max(numbers), integer=integer)
    props.update(
        tickmode="array",
        tickvals=ticks,
        ticktext=_texts(fmt_tick(v, lang) for v in ticks),
        range=[0, ticks[-1]],
        exponentformat="none",
        separatethousands=True,
        hoverformat=",.0f" if integer else ",.1f",
    )
    return props


def value_axis(
    fig: go.Figure,
    axis: str,
    values,
    lang: str | None,
    title: str | None = None,
) -> go.Figure:
    """Label the value ``axis`` (``"x"`` or ``"y"``) of ``fig`` for data up to max(``values``).

    With ``lang``: ticks from 0 at round steps, labelled with :func:`fmt_tick`
    (万/亿 or k/M), full numbers with thousands separators on hover. ``title``
    (with its unit) is shown beside the axis. Negative or missing data leave
    Plotly's own ticks.
    """
    props = _value_axis(values, lang, title)
    if props:
        fig.update_layout({f"{axis}axis": props})
    return fig


def rate_bars(
    labels: list[str],
    rates: list[float | None],
    keys: list[str],
    accent: str,
    selected: str | None = None,
    height: int = 260,
    *,
    axis_title: str | None = None,
) -> go.Figure:
    """Return horizontal bars of rates (fractions shown as %), one per label.

    ``keys`` travel in ``customdata`` so a click names the business key.
    """
    values = [None if r is None or pd.isna(r) else float(r) * 100 for r in rates]
    colours = [theme.SELECTED_BORDER if k == selected else accent for k in keys]
    bar = go.Bar(
        x=values,
        y=_texts(labels),
        orientation="h",
        customdata=keys,
        marker_color=colours,
        text=[("—" if v is None else f"{v:.1f}%") for v in values],
        textposition="auto",
        hovertemplate="%{y}: %{x:.1f}%<extra></extra>",
    )
    xaxis = {"range": [0, 100], "ticksuffix": "%", **_value_axis([], None, axis_title)}
    return _figure(
        [bar],
        max(height, 26 * len(labels) + 40),
        {"xaxis": xaxis, "yaxis": {"autorange": "reversed"}},
    )


def _day_shades(days) -> list[dict]:
    """Return a shaded band behind each weekend day and public holiday among ``days``."""
    shapes = []
    for day in days:
        holiday = holiday_name(day)
        if holiday or day.weekday() >= 5:
            shapes.append(
                {
                    "type": "rect",
                    "xref": "x",
                    "yref": "y domain",
                    "x0": pd.Timestamp(day) - pd.Timedelta(hours=12),
                    "x1": pd.Timestamp(day) + pd.Timedelta(hours=12),
                    "y0": 0,
                    "y1": 1,
                    "fillcolor": theme.HOLIDAY_SHADE if holiday else theme.WEEKEND_SHADE,
                    "opacity": 0.5,
                    "layer": "below",
                    "line": {"width": 0},
                }
            )
    return shapes


def stacked_days(
    frame: pd.DataFrame,
    *,
    x: str,
    y: str,
    colour: str,
    palette: list[str],
    mark_days: bool = True,
    height: int = 260,
    lang: str | None = None,
    axis_title: str | None = None,
) -> go.Figure:
    """Return stacked daily bars of ``y`` by ``colour``, weekends and holidays shaded.

    One series per value of ``colour``, in sorted order, coloured from ``palette``
    in that order. With ``lang`` the value axis reads 万/亿 (or k/M); ``axis_title``
    names it.
    """
    traces = [
        go.Bar(
            x=part[x],
            y=part[y],
            name=plot_text(str(key)),
            marker_color=palette[i % len(palette)],
            hovertemplate="%{data.name} %{x|%m-%d}: %{y}<extra></extra>",
        )
        for i, (key, part) in enumerate(frame.groupby(colour, sort=True))
    ]
    dates = pd.to_datetime(frame[x]) if len(frame) else None
    shapes = _day_shades(dates.dt.date.unique()) if mark_days and len(frame) else []
    days = dates.dt.normalize().nunique() if len(frame) else 0
    # a few days: one tick a day (plotly would add 12-hour ticks, "11-24" twice)
    xaxis = {"tickformat": "%m-%d", **({"dtick": 86_400_000} if days <= 10 else {})}
    totals = frame.groupby(x)[y].sum() if len(frame) else []
    layout = {
        "barmode": "stack",
        "showlegend": True,
        "legend": {"orientation": "h", "y": -0.2},
        "xaxis": xaxis,
        "yaxis": _value_axis(list(totals), lang, axis_title),
    }
    if shapes:
        layout["shapes"] = shapes
    return _figure(traces, height, layout)


def donut(
    labels: list[str], values: list[float], colours: list[str], centre: str, height: int = 220
) -> go.Figure:
    """Return a donut with ``centre`` text."""
    pie = go.Pie(
        labels=_texts(labels),
        values=values,
        hole=0.62,
        marker_colors=colours,
        sort=False,
        textinfo="label+percent",
    )
    centre_text = {"text": plot_text(centre), "showarrow": False, "font": {"size": 20}}
    return _figure([pie], height, {"annotations": [centre_text]})


#: Series colours of categorical charts (kept here for the pages that import it).
PALETTE = theme.SERIES


def bars(
    labels: list[str],
    values: list[float],
    keys: list[str],
    colours: list[str],
    selected: str | None = None,
    text: list[str] | None = None,
    height: int = 240,
    *,
    lang: str | None = None,
    axis_title: str | None = None,
) -> go.Figure:
    """Return horizontal bars with one colour each; ``keys`` travel in ``customdata``.

    A selected key is outlined; the others fade, so a filter is visible. With
    ``lang`` the value axis reads 万/亿 (or k/M); ``axis_title`` names it (with its unit).
    """
    opacity = [1.0 if selected in (None, k) else 0.35 for k in keys]
    bar = go.Bar(
        x=values,
        y=_texts(labels),
        orientation="h",
        customdata=keys,
        marker={
            "color": colours,
            "opacity": opacity,
            "line": {"color": theme.BAR_OUTLINE, "width": 1},
        },
        text=_texts(text) if text is not None else values,
        textposition="auto",
        hovertemplate="%{y}: %{x}<extra></extra>",
    )
    return _figure(
        [bar],
        max(height, 28 * len(labels) + 40),
        {
            "xaxis": _value_axis(values, lang, axis_title),
            "yaxis": {"autorange": "reversed", "type": "category"},
        },
    )


def funnel(
    labels: list[str], values: list[int], colour: str, text: list[str], height: int = 260
) -> go.Figure:
    """Return a funnel of stages, each with its count and share of the first."""
    stages = go.Funnel(
        y=_texts(labels),
        x=values,
        text=_texts(text),
        textinfo="text+percent initial",
        marker={"color": colour},
        connector={"line": {"color": theme.FUNNEL_CONNECTOR}},
    )
    return _figure([stages], height, {})


def load_heatmap(
    frame: pd.DataFrame,
    *,
    rows: str,
    cols: str,
    load: str,
    thresholds: tuple[float, float],
    accent: str,
    amber: str,
    red: str,
    low: str = theme.LOAD_EMPTY,
    height: int = 320,
) -> go.Figure:
    """Return a rows × cols heat map of loads (fractions), amber and red from ``thresholds``.

    Loads run from ``low`` (none) to ``accent`` below the first threshold; loads
    above 100 % are drawn red and labelled with their real value.
    """
    table = frame.pivot_table(index=rows, columns=cols, values=load, aggfunc="max")
    values = table.to_numpy(dtype=float)
    busy, full = thresholds
    eps = 1e-6
    scale = [
        [0, low],
        [busy - eps, accent],
        [busy, amber],
        [full - eps, amber],
        [full, red],
        [1, red],
    ]
    text = [["" if v != v else f"{v * 100:.0f}%" for v in row] for row in values]
    heat = go.Heatmap(
        z=values.clip(0, 1),
        x=_texts(table.columns),
        y=_texts(table.index),
        text=text,
        texttemplate="%{text}",
        zmin=0,
        zmax=1,
        colorscale=scale,
        showscale=False,
        hovertemplate="%{y} %{x}: %{text}<extra></extra>",
        xgap=2,
        ygap=2,
    )
    return _figure(
        [heat],
        max(height, 30 * len(table.index) + 60),
        {"xaxis": {"type": "category"}, "yaxis": {"autorange": "reversed", "type": "category"}},
    )
