"""The Reports page's parts (报表): the form, the period in words, progress and outcomes.

Pure builders: geography, choices and dates in, Dash components or text out.
The page (:mod:`pages.reports`) wires them to its callbacks; every label comes
from the translation table, area names stay Chinese.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dash import dcc, html

from cityops import ids
from cityops.geo import Geography, Scope, ScopeError
from cityops.periods import KINDS, MAX_DAYS, Kind, Period, PeriodError, period_of
from cityops.queries.kpis import KPI_NAMES
from cityops.reports import FORMATS
from cityops.text.i18n import LANGS, TABLE, t
from cityops.urls import DAY_RANGE
from components.datepicker import date_picker
from components.states import notice

#: The map KPI a report is coloured by unless the user picks another.
DEFAULT_KPI = "cameras_online_rate"
#: Steps a report takes (``cityops.reports.make`` reports ``done`` of this many).
STEPS = 5
SHOWN: dict = {}
HIDDEN = {"display": "none"}

# Layout only (no colours: those come from the stylesheet and the theme).
_FORM = {
    "display": "grid",
    "gridTemplateColumns": "max-content minmax(0, 560px)",
    "gap": "16px 24px",
    "alignItems": "baseline",
    "marginTop": "14px",
}
#: A field is a label cell and a control cell of the form's grid (``contents``: no box).
_FIELD = {"display": "contents"}
_LABEL = {"fontSize": "14px", "fontWeight": 600}
_CONTROL = {"display": "flex", "flexDirection": "column", "gap": "4px", "minWidth": 0}
_CHOICES = {"display": "flex", "flexWrap": "wrap", "gap": "4px 14px", "fontSize": "14px"}
_ROW = {"display": "flex", "alignItems": "center", "gap": "10px", "flexWrap": "wrap"}
#: The one button that does something: the stylesheet's accent colour (its variables).
_PRIMARY = {
    "fontSize": "15px",
    "padding": "6px 18px",
    "fontWeight": 600,
    "background": "var(--accent)",
    "borderColor": "var(--accent)",
    "color": "var(--panel)",
}
#: The progress bar and its label, while a report is being made and otherwise.
PROGRESS_SHOWN = dict(_ROW)
PROGRESS_HIDDEN = {**_ROW, **HIDDEN}


# ------------------------------------------------------------------ choices
def scope_options(geo: Geography, allowed: Scope) -> list[dict]:
    """Return the areas a report may cover, as dropdown options inside ``allowed``.

    The province, then each enabled city (in ``CITYOPS_CITIES`` order) followed by
    its districts; a district reads "南京市 › 玄武区". Values are area codes.
    """
    out: list[dict] = []

    def add(code: str, label: str) -> None:
        try:
            where = geo.scope(code)
        except ScopeError:
            return
        if allowed.contains(where):
            out.append({"label": label, "value": code})

    province = geo.scope(None)
    add(province.code, geo.scope_name(province))
    for city in geo.enabled_cities:
        name = geo.areas[city].name
        add(city, name)
        for district in geo.districts(city):
            add(district.code, f"{name} › {district.name}")
    return out


def default_scope(code: str | None, options: list[dict]) -> str:
    """Return the option to preselect: ``code`` when it is one of ``options``.

    Otherwise the first option (the broadest permitted area).
    """
    values = [o["value"] for o in options]
    if code in values:
        return code
    return values[0] if values else ""


def kind_options(lang: str) -> list[dict]:
    """Return the report kinds (日报/周报/月报/自定义) as radio options."""
    return [{"label": t(f"reports.kind.{k}", lang), "value": k} for k in KINDS]


def kpi_options(lang: str) -> list[dict]:
    """Return the 14 KPIs the report's map may be coloured by."""
    return [{"label": t(f"kpi.{name}", lang), "value": name} for name in KPI_NAMES]


def lang_options(lang: str) -> list[dict]:
    """Return the languages a report can be written in."""
    return [{"label": t(f"reports.lang.{code}", lang), "value": code} for code in LANGS]


def format_options(lang: str) -> list[dict]:
    """Return the file formats (PDF, HTML, Excel)."""
    return [{"label": t(f"reports.format.{fmt}", lang), "value": fmt} for fmt in FORMATS]


# ------------------------------------------------------------------ periods
@dataclass(frozen=True)
class PeriodChoice:
    """What the form's dates mean: a period, or the reason there is none.

    ``error`` is a translated one-line message (``period`` is then None).
    """

    period: Period | None
    error: str = ""


def _day(value: object) -> dt.date | None:
    """Return the date of a picker's value (``YYYY-MM-DD``, maybe with a time), or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        day = dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None
    return day if DAY_RANGE[0] <= day <= DAY_RANGE[1] else None


def choose_period(kind: object, day: object, start: object, end: object, lang: str) -> PeriodChoice:
    """Return the period the form describes, or a translated message saying what is wrong.

    ``kind`` is one of :data:`cityops.periods.KINDS`; for daily, weekly and monthly
    reports ``day`` is any day in the period; for custom ones ``start`` and ``end``
    are its first and last day (at most :data:`cityops.periods.MAX_DAYS` days).
    """
    if kind not in KINDS:
        return PeriodChoice(None, t("reports.error.kind", lang))
    if kind != "custom":
        chosen = _day(day)
        if chosen is None:
            return PeriodChoice(None, t("reports.error.no_date", lang))
        return PeriodChoice(period_of(kind, chosen))
    first, last = _day(start), _day(end)
    if first is None or last is None:
        return PeriodChoice(None, t("reports.error.no_range", lang))
    if last < first:
        return PeriodChoice(
            None, t("reports.error.reversed", lang, start=first.isoformat(), end=last.isoformat())
        )
    days = (last - first).days + 1
    if days > MAX_DAYS:
        return PeriodChoice(None, t("reports.error.too_long", lang, days=days, max=MAX_DAYS))
    try:
        return PeriodChoice(Period(first, last))
    except PeriodError:  # the checks above cover Period's own; kept for a future rule
        return PeriodChoice(None, t("reports.error.bad_period", lang))


def period_text(period: Period, lang: str) -> str:
    """Return the period in words: "2026-11-01 至 2026-11-30，共 30 天"."""
    if period.days == 1:
        return t("reports.period.day", lang, day=period.start.isoformat())
    return t(
        "reports.period.range",
        lang,
        start=period.start.isoformat(),
        end=period.end.isoformat(),
        days=period.days,
    )


def period_line(choice: PeriodChoice, lang: str) -> list:
    """Return what the form's period field shows: the period in words, or what is wrong."""
    if choice.period is None:
        return [notice("error", choice.error)]
    period = choice.period
    return [
        html.Strong(
            period_text(period, lang),
            style={"fontSize": "15px"},
            **{"data-start": period.start.isoformat(), "data-end": period.end.isoformat()},
        )
    ]


def field_styles(kind: object) -> tuple[dict, dict]:
    """Return the styles of the day field and of the range field: one is shown per kind."""
    shown, hidden = dict(_FIELD), {**_FIELD, **HIDDEN}
    return (hidden, shown) if kind == "custom" else (shown, hidden)


# ------------------------------------------------------------------ progress and outcome
def step_label(step: str, lang: str) -> str:
    """Return the translated name of a report step (``report.step.<step>``), or ""."""
    key = f"report.step.{step}"
    return t(key, lang) if key in TABLE else ""


def progress_values(done: int, total: int, step: str, lang: str) -> tuple[int, int, str]:
    """Return the progress bar's ``(value, max, label)`` after ``done`` of ``total`` steps.

    The label reads "正在生成… 3/5 步" and names the step when it has a label.
    """
    total = max(int(total), 1)
    done = min(max(int(done), 0), total)
    name = step_label(step, lang)
    label = t("reports.progress", lang, done=done, total=total)
    return done, total, f"{label} · {name}" if name else label


def size_text(size: int, lang: str) -> str:
    """Return a file size as "12 KB" or "1.4 MB" (the same units in both languages)."""
    del lang
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def made_message(filename: str, size: int, lang: str) -> html.Div:
    """Return the note that the report was made and is being downloaded."""
    return html.Div(
        html.P(t("reports.done", lang, name=filename, size=size_text(size, lang))),
        className="state-notice",
        role="status",
        **{"data-state": "done", "data-filename": filename},
    )


def error_message(key: str, lang: str, **fmt: object) -> html.Div:
    """Return a one-line, translated error (``reports.error.<key>``)."""
    return notice("error", t(f"reports.error.{key}", lang, **fmt))


# ------------------------------------------------------------------ the form
def _field(
    label: str,
    control,
    *,
    for_id: str | None = None,
    field_id: str | None = None,
    style: dict | None = None,
    hint: str = "",
) -> html.Div:
    """Return one labelled form field."""
    return html.Div(
        [
            html.Label(label, htmlFor=for_id, style=_LABEL),
            html.Div([control, html.P(hint, className="hint") if hint else None], style=_CONTROL),
        ],
        style={**_FIELD, **(style or {})},
        **({"id": field_id} if field_id else {}),
    )


def _radio(id_: str, options: list[dict], value: str) -> dcc.RadioItems:
    return dcc.RadioItems(
        id=id_,
        options=options,
        value=value,
        inline=True,
        style=_CHOICES,
        labelStyle={"display": "inline-flex", "alignItems": "center", "gap": "4px"},
    )


def actions(lang: str) -> html.Div:
    """Return the button, the cancel button and the progress bar (shown while a job runs)."""
    return html.Div(
        [
            html.Button(t("reports.make", lang), id=ids.REPORTS_MAKE, className="btn btn-primary",
                        n_clicks=0, style=_PRIMARY),
            html.Button(t("reports.cancel", lang), id=ids.REPORTS_CANCEL, className="btn",
                        n_clicks=0, style=HIDDEN),
            html.Div(
                [
                    html.Progress(id=ids.REPORTS_PROGRESS, value="0", max=str(STEPS),
                                  style={"width": "200px"}),
                    html.Span(id=ids.REPORTS_PROGRESS_LABEL, className="hint",
                              style={"margin": 0}),
                ],
                id=ids.REPORTS_PROGRESS_WRAP,
                style=PROGRESS_HIDDEN,
            ),
        ],
        style=_ROW,
    )  # fmt: skip


def report_form(
    *,
    lang: str,
    scopes: list[dict],
    scope: str,
    kind: Kind,
    day: dt.date,
    start: dt.date,
    end: dt.date,
    map_kpi: str = DEFAULT_KPI,
    report_lang: str | None = None,
    fmt: str = "pdf",
) -> html.Div:
    """Return the Reports page: the form, the period in words, the button, progress, result.

    ``scopes`` are :func:`scope_options`; ``day`` preselects the day of a daily,
    weekly or monthly report and ``start``/``end`` the custom range. The day
    picker or the range pickers are shown according to ``kind``.
    """
    choice = choose_period(kind, day.isoformat(), start.isoformat(), end.isoformat(), lang)
    custom = kind == "custom"
    low, high = DAY_RANGE
    return html.Div(
        [
            dcc.Store(
                id=ids.REPORTS_STATE,
                data={"lang": lang, "cancelled": t("reports.cancelled", lang)},
            ),
            html.Div(
                html.H1(t("reports.title", lang), className="page-title"), className="toolbar"
            ),
            html.Section(
                [
                    html.H2(t("reports.form", lang), className="panel-title"),
                    html.P(t("reports.intro", lang), className="hint"),
                    html.Div(
                        [
                            _field(
                                t("reports.scope", lang),
                                dcc.Dropdown(
                                    id=ids.REPORTS_SCOPE,
                                    options=scopes,
                                    value=scope,
                                    clearable=False,
                                    searchable=False,
                                    className="filter-select",
                                ),
                                for_id=ids.REPORTS_SCOPE,
                            ),
                            _field(
                                t("reports.kind", lang),
                                _radio(ids.REPORTS_KIND, kind_options(lang), kind),
                            ),
                            _field(
                                t("reports.day", lang),
                                date_picker(ids.REPORTS_DAY, day, lang, min_day=low, max_day=high),
                                for_id=ids.REPORTS_DAY,
                                field_id=ids.REPORTS_DAY_FIELD,
                                style=HIDDEN if custom else None,
                                hint=t("reports.day_hint", lang),
                            ),
                            _field(
                                t("reports.range", lang),
                                html.Div(
                                    [
                                        date_picker(
                                            ids.REPORTS_FROM, start, lang, min_day=low, max_day=high
                                        ),
                                        html.Span(t("reports.range_to", lang)),
                                        date_picker(
                                            ids.REPORTS_TO, end, lang, min_day=low, max_day=high
                                        ),
                                    ],
                                    style=_ROW,
                                ),
                                field_id=ids.REPORTS_RANGE_FIELD,
                                style=None if custom else HIDDEN,
                                hint=t("reports.range_hint", lang, max=MAX_DAYS),
                            ),
                            _field(
                                t("reports.map_kpi", lang),
                                dcc.Dropdown(
                                    id=ids.REPORTS_KPI,
                                    options=kpi_options(lang),
                                    value=map_kpi,
                                    clearable=False,
                                    searchable=False,
                                    className="filter-select",
                                ),
                                for_id=ids.REPORTS_KPI,
                            ),
                            _field(
                                t("reports.lang", lang),
                                _radio(ids.REPORTS_LANG, lang_options(lang), report_lang or lang),
                            ),
                            _field(
                                t("reports.format", lang),
                                _radio(ids.REPORTS_FORMAT, format_options(lang), fmt),
                            ),
                            _field(
                                t("reports.period", lang),
                                html.Div(
                                    period_line(choice, lang), id=ids.REPORTS_PERIOD, role="status"
                                ),
                            ),
                            _field("", actions(lang)),
                            _field("", html.Div(id=ids.REPORTS_MESSAGE, **{"aria-live": "polite"})),
                        ],
                        style=_FORM,
                    ),
                    dcc.Download(id=ids.REPORTS_DOWNLOAD),
                ],
                className="panel",
                style={"maxWidth": "980px"},
            ),
        ],
        className="data-page reports-page",
    )
