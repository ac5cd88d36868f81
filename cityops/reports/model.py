"""What a report says, independent of how it is printed (PDF, HTML, Excel).

:func:`cityops.reports.content.build` fills a :class:`Report` from the query
layer; the renderers (:mod:`cityops.reports.html`, :mod:`cityops.reports.pdf`,
:mod:`cityops.reports.excel`) only lay it out. Every text in the model is
already translated; every value in a table's frame is typed (numbers as
numbers, times as ``datetime64``) and every string that came from a data file
is plain text that the renderers escape (HTML) or write as a string cell
(Excel, never a formula).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd
import plotly.graph_objects as go

from cityops.geo import Scope
from cityops.periods import Period
from cityops.queries.periods import StatusBasis

#: How a column's values are typed and shown: text; a count; a decimal number; a rate
#: (fraction, shown as %); tonnes; hours; a date; a date and time.
ColumnKind = Literal["text", "count", "number", "rate", "tonnes", "hours", "date", "datetime"]


@dataclass(frozen=True)
class Column:
    """One column of a :class:`Table`: its key in the frame, its heading, its kind."""

    key: str
    label: str
    kind: ColumnKind = "text"


@dataclass(frozen=True)
class Table:
    """A titled table: ``frame`` holds the columns named in ``columns``, typed.

    ``key`` is stable across languages (``"top.alarms"``); ``note`` says what the
    table counts (its population, its time basis). An empty frame is a normal
    state; renderers print ``empty`` instead of the table.
    """

    key: str
    title: str
    columns: tuple[Column, ...]
    frame: pd.DataFrame
    note: str = ""
    empty: str = ""


@dataclass(frozen=True)
class Chart:
    """A titled Plotly figure and the table of the numbers it draws (Excel prints that)."""

    key: str
    title: str
    figure: go.Figure | None  # None: nothing to draw (the table's ``empty`` says why)
    table: Table
    note: str = ""


@dataclass(frozen=True)
class KpiLine:
    """One KPI of the summary: its value over the period and against the previous one.

    ``kind`` is ``period`` (a sum, rate or peak over the period's days) or
    ``status`` (the state at the period's end). ``value``, ``previous`` and
    ``delta`` are the plain numbers of the API; the ``*_text`` are as printed.
    """

    name: str
    label: str
    domain: str
    unit: str  # count | rate | tonnes
    kind: Literal["period", "status"]
    value: float | int | None
    previous: float | int | None
    delta: float | int | None
    value_text: str
    previous_text: str
    delta_text: str


@dataclass(frozen=True)
class Section:
    """A domain's part of the report: its KPIs, charts and tables."""

    domain: str
    title: str
    kpis: tuple[KpiLine, ...]
    charts: tuple[Chart, ...]
    tables: tuple[Table, ...] = ()


@dataclass(frozen=True)
class Report:
    """Everything one report says, translated into ``lang``.

    ``title`` is e.g. "南京市城市运行月报"; ``subtitle`` the period in words;
    ``cover`` the cover's (label, value) lines (scope, period, generated at,
    data as of, status basis, filters); ``status_note`` says when the status
    KPIs were true. ``map`` colours the scope's areas by ``map_kpi``.
    """

    lang: str
    scope: Scope
    scope_name: str
    scope_path: str  # "江苏省 › 南京市 › 玄武区"
    period: Period
    previous: Period
    kind_label: str  # 日报 / 周报 / 月报 / 报告
    title: str
    subtitle: str
    generated_at: dt.datetime
    data_as_of: dt.datetime | None
    status: StatusBasis
    status_note: str
    cover: tuple[tuple[str, str], ...]
    kpis: tuple[KpiLine, ...]
    kpi_note: str
    map_kpi: str
    map: Chart
    sections: tuple[Section, ...]
    problems: tuple[Table, ...]
    appendix: tuple[Table, ...]
    labels: dict[str, str] = field(default_factory=dict)  # headings the renderers print

    def header_text(self) -> str:
        """Return the running header of every printed page: scope and period."""
        return f"{self.scope_name} · {self.subtitle}"

    def filename(self, ext: str) -> str:
        """Return ``cityops_<scope code>_<period slug>_<lang>.<ext>`` (ASCII, safe anywhere)."""
        return f"cityops_{self.scope.code}_{self.period.slug()}_{self.lang}.{ext}"
