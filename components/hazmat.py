"""Panels of the hazmat page: the class selector, charts, tables and the waybill card.

Pure builders: the frames of :mod:`cityops.queries.hazmat` in, Dash components out;
colours from :mod:`cityops.theme`, labels from :mod:`cityops.text.i18n`. Area
names come through ``name_of`` (an area code → its name), so no builder reads the
store. Map layers are in :mod:`components.hazmat_layers`, the track replay in
:mod:`components.playback`.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html

from cityops import theme
from cityops.text.formatting import fmt_times, fmt_tonnes
from cityops.text.i18n import t, t_value
from components.charts import bars
from components.domain import area_names, chart, facts, panel
from components.states import empty
from components.tables import data_table

#: Columns of the open alarms table, in order.
OPEN_ALARM_COLUMNS = [
    "severity",
    "ts",
    "open_hours",
    "alarm_type",
    "status",
    "vehicle_plate",
    "waybill_id",
    "district_code",
    "alarm_id",
]
#: Columns of the waybills in transit table, in order.
TRANSIT_COLUMNS = [
    "waybill_id",
    "hazard_class",
    "cargo_name",
    "tonnage",
    "vehicle_plate",
    "position_at",
    "district_code",
]
#: Columns of one waybill's alarms, in order.
WAYBILL_ALARM_COLUMNS = ["ts", "alarm_type", "severity", "status", "alarm_id"]


def class_order(hazard_class: str) -> tuple[int, ...]:
    """Sort hazard classes as numbers: 1, 1.1, 2.1, …, 9 (not 1, 10, 2)."""
    return tuple(int(p) for p in hazard_class.split("."))


def class_label(hazard_class: str, lang: str) -> str:
    """Return ``"3 易燃液体"``: a class with its name."""
    return f"{hazard_class} {t_value('hazard', hazard_class, lang)}"


def class_selector(selector_id: str, hazard_class: str | None, lang: str) -> dcc.Dropdown:
    """Return the hazard class filter: "all", then every placard class in numeric order."""
    return dcc.Dropdown(
        id=selector_id,
        value=hazard_class or "",
        clearable=False,
        searchable=False,
        className="filter-select",
        options=[{"label": t("filter.all", lang), "value": ""}]
        + [
            {"label": class_label(c, lang), "value": c}
            for c in sorted(theme.HAZARD_CLASS, key=class_order)
        ],
    )


def class_chip(hazard_class: str | None, lang: str) -> html.Span | None:
    """Return the chip that says a panel is filtered to a class, or None without a filter."""
    return html.Span(class_label(hazard_class, lang), className="chip") if hazard_class else None


def tonnage_chart(
    tonnage: pd.DataFrame, *, selected: str | None, lang: str, graph_id: str
) -> html.Div | dcc.Graph:
    """Return tonnage in transit by class (``hazard_class, tonnage``) as placard-coloured bars.

    A click on a bar names its class (the page filters by it); the selected class
    stands out. No rows: the empty state.
    """
    figure = tonnage_figure(tonnage, lang, selected=selected)
    return chart(figure, t("empty.no_rows", lang), graph_id=graph_id)


def tonnage_figure(
    tonnage: pd.DataFrame, lang: str, selected: str | None = None
) -> go.Figure | None:
    """Return placard-coloured bars of tonnage by class (``hazard_class, tonnage``), or None."""
    if not len(tonnage):
        return None
    classes = list(tonnage["hazard_class"])
    return bars(
        [f"{c}" for c in classes],
        list(tonnage["tonnage"].round(1)),
        classes,
        [theme.hazard_colour(c) for c in classes],
        selected=selected,
        text=[fmt_tonnes(v, lang) for v in tonnage["tonnage"]],
        lang=lang,
        axis_title=t("unit.tonnes", lang),
    )


def alarm_type_chart(counts: pd.DataFrame, lang: str) -> html.Div | dcc.Graph:
    """Return alarms by type (summed over ``counts``' severity and status), fewest first."""
    return chart(alarm_type_figure(counts, lang), t("empty.no_rows", lang))


def alarm_type_figure(counts: pd.DataFrame, lang: str) -> go.Figure | None:
    """Return bars of alarms by type (``alarm_type, alarms`` rows summed), or None without any."""
    by_type = counts.groupby("alarm_type")["alarms"].sum().sort_values()
    if not len(by_type):
        return None
    return bars(
        [t(f"alarm.{a}", lang) for a in by_type.index],
        list(by_type.values),
        list(by_type.index),
        [theme.ALARM_TYPE_BAR] * len(by_type),
        lang=lang,
        axis_title=t("unit.alarms", lang),
    )


def severity_label(severity: object, status: str, lang: str) -> str:
    """Return ``"高 · 未处理"``: a severity with an alarm status."""
    return f"{t(f'severity.{severity}', lang)} · {t(f'alarm_status.{status}', lang)}"


def severity_colour(severity: object, status: str) -> str:
    """Return an alarm's colour: its severity's while it needs action, grey once closed."""
    return theme.SEVERITY[int(severity)] if status != "closed" else theme.STATUS["offline"]


def alarm_severity_chart(counts: pd.DataFrame, lang: str) -> html.Div | dcc.Graph:
    """Return alarms by severity and status (``counts`` of :func:`alarm_counts`), one bar each."""
    by_sev = counts.groupby(["severity", "status"])["alarms"].sum().reset_index()
    rows = list(by_sev.itertuples())
    figure = (
        bars(
            [severity_label(r.severity, r.status, lang) for r in rows],
            list(by_sev["alarms"]),
            [f"{r.severity}-{r.status}" for r in rows],
            [severity_colour(r.severity, r.status) for r in rows],
            lang=lang,
            axis_title=t("unit.alarms", lang),
        )
        if len(by_sev)
        else None
    )
    return chart(figure, t("empty.no_rows", lang))


def _alarm_words(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Return a copy of alarms with time as text and type, status, severity as words."""
    shown = frame.copy()
    shown["ts"] = fmt_times(shown["ts"])
    shown["alarm_type"] = [t(f"alarm.{a}", lang) for a in shown["alarm_type"]]
    shown["status"] = [t(f"alarm_status.{s}", lang) for s in shown["status"]]
    shown["severity"] = [t_value("severity", v, lang) for v in shown["severity"]]
    return shown


def open_alarms_table(alarms: pd.DataFrame, *, name: str, lang: str, name_of: Callable[[str], str]):
    """Return the open alarms (:func:`open_alarms`) as a table a click on a row opens.

    Plates arrive masked; districts are shown by name. No rows: the empty state.
    """
    if alarms.empty:
        return empty(t("empty.no_rows", lang))
    shown = _alarm_words(alarms, lang)
    shown["district_code"] = area_names(shown["district_code"], name_of)
    return data_table(
        name,
        shown,
        OPEN_ALARM_COLUMNS,
        lang,
        widths={"ts": 140},
        row_id="alarm_id",
        selectable=True,
    )


def transit_table(vehicles: pd.DataFrame, *, name: str, lang: str, name_of: Callable[[str], str]):
    """Return the waybills in transit (:func:`vehicles_in_transit`); a click on a row opens one."""
    if vehicles.empty:
        return empty(t("empty.no_rows", lang))
    shown = vehicles.copy()
    shown["position_at"] = fmt_times(shown["ts"])
    shown["district_code"] = area_names(shown["district_code"], name_of)
    return data_table(name, shown, TRANSIT_COLUMNS, lang, row_id="waybill_id", selectable=True)


def placard(hazard_class: str, lang: str) -> html.Span:
    """Return a class with a dot in its placard colour (outlined: white placards show)."""
    return html.Span(
        [
            html.Span(
                className="status-dot",
                style={
                    "background": theme.hazard_colour(hazard_class),
                    "border": f"1px solid {theme.PLACARD_EDGE}",
                },
            ),
            class_label(hazard_class, lang),
        ]
    )


def waybill_card(row: pd.Series, *, lang: str, panel_id: str) -> html.Section:
    """Return the card of one waybill (a row of :func:`cityops.queries.hazmat.waybill`)."""
    return panel(
        f"{t('hazmat.waybill', lang)} {row['waybill_id']}",
        facts(
            [
                (t("col.status", lang), t(f"waybill_status.{row['status']}", lang)),
                (t("col.hazard_class", lang), placard(row["hazard_class"], lang)),
                (t("col.un_number", lang), row["un_number"]),
                (t("col.cargo_name", lang), row["cargo_name"]),
                (t("col.tonnage", lang), fmt_tonnes(row["tonnage"], lang)),
                (t("col.vehicle_plate", lang), row["vehicle_plate"]),
                (t("col.carrier", lang), row["carrier"]),
                (t("col.origin_name", lang), row["origin_name"]),
                (t("col.dest_name", lang), row["dest_name"]),
                (t("col.depart_at", lang), fmt_times([row["depart_at"]])[0]),
                (t("col.arrive_at", lang), fmt_times([row["arrive_at"]])[0]),
            ]
        ),
        extra="entity-card",
        panel_id=panel_id,
    )


def waybill_alarms_panel(alarms: pd.DataFrame, *, name: str, lang: str) -> html.Section:
    """Return the panel of one waybill's alarms (:func:`waybill_alarms`), in time order."""
    return panel(
        t("hazmat.waybill_alarms", lang),
        data_table(name, _alarm_words(alarms, lang), WAYBILL_ALARM_COLUMNS, lang)
        if len(alarms)
        else empty(t("empty.no_rows", lang)),
    )
