"""Data catalogue (数据目录): what each dataset holds, how fresh it is, what was refused.

URL: ``/data?load=<load id>`` opens the quarantined and flagged rows of one load
(personal data masked), or the reason a refused file was refused.
"""

from __future__ import annotations

import datetime as dt

from dash import Input, Output, callback, html, no_update

from cityops import ids
from cityops.clock import TZ
from cityops.queries import catalogue
from cityops.queries.context import current
from cityops.text.i18n import t
from cityops.web import check_rows, check_text, input_rule, request_lang
from components.catalogue import (
    datasets_grid,
    departments_grid,
    issues_grid,
    loads_grid,
    refusal_note,
)
from components.states import notice
from pages._shared import checked_id, guarded_layout, register_page

PATH = "/data"

register_page(__name__, "data", PATH, order=90)


@guarded_layout(PATH)
def layout(load: str | None = None, **_):
    ctx = current()
    lang = request_lang(ctx.settings.default_lang)
    storage, allowed = ctx.storage, ctx.allowed_scope()
    now = dt.datetime.now(TZ).replace(tzinfo=None, microsecond=0)
    datasets = catalogue.datasets(storage, allowed=allowed, now=now)
    departments = catalogue.cameras_by_department(storage, allowed=allowed)
    load = check_text(load, "load") if isinstance(load, str) else ("?" if load else None)
    if allowed.level != "province":  # loads and quarantined rows are whole files' business
        note = _province_note(lang)
        return _catalogue(ctx, lang, datasets, departments, note, [note], load)
    loads = catalogue.loads(storage, allowed=allowed, limit=50)
    opened = catalogue.load(storage, load, allowed=allowed) if load else None
    if load and opened is None:
        issues_part = [notice("not-found", t("data.load_not_found", lang, id=load))]
    elif opened is not None and opened["status"] == "refused":
        issues_part = [html.P(load, className="hint mono"), refusal_note(opened, lang)]
    elif load:
        # personal data comes masked from the catalogue (the quarantine's read boundary)
        issues = catalogue.issues(storage, allowed=allowed, load_id=load, limit=500,
                                  masked=ctx.masked_columns())  # fmt: skip
        issues_part = [html.P(load, className="hint mono"), issues_grid(issues, lang)]
    else:
        issues_part = [html.P(t("data.issues_hint", lang), className="hint")]
    loads_part = loads_grid(loads, lang) if len(loads) else html.P(t("data.no_loads", lang),
                                                                   className="hint")  # fmt: skip
    return _catalogue(ctx, lang, datasets, departments, loads_part, issues_part, load)


def _province_note(lang: str) -> html.Div:
    """Return the note a city or district user reads where the loads and quarantine would be."""
    return notice("denied", t("data.province_only", lang))


def _catalogue(ctx, lang: str, datasets, departments, loads_part, issues_part: list,
               load: str | None) -> html.Div:  # fmt: skip
    """Return the catalogue page: datasets, loads, cameras by department, quarantined rows."""
    return html.Div(
        [
            html.Div(
                [
                    html.H1(t("data.title", lang), className="page-title"),
                    html.Span(
                        f"{t('data.store_version', lang)}: {ctx.storage.version_label()}",
                        className="hint mono",
                    ),
                ],
                className="toolbar",
            ),
            html.Section(
                [html.H2(t("data.datasets", lang), className="panel-title"),
                 datasets_grid(datasets, lang)],
                className="panel",
            ),
            html.Div(
                [
                    html.Section(
                        [html.H2(t("data.loads", lang), className="panel-title"),
                         loads_part],
                        className="panel",
                    ),
                    html.Section(
                        [html.H2(t("data.by_department", lang), className="panel-title"),
                         departments_grid(departments, lang)],
                        className="panel",
                    ),
                ],
                className="data-grid",
            ),
            html.Section(
                [html.H2(t("data.issues", lang), className="panel-title"), *issues_part],
                id=ids.DATA_ISSUES_WRAP,
                className="panel",
            ),
        ],
        className="data-page",
        **{"data-load": load or ""},
    )  # fmt: skip


@callback(
    Output(ids.NAV, "href", allow_duplicate=True),
    Input(ids.DATA_LOADS, "selectedRows"),
    prevent_initial_call=True,
)
def open_load(selected):
    """Open the quarantined rows of the clicked load (a new URL, so back works)."""
    if not selected:
        return no_update
    return f"{PATH}?load={checked_id(selected[0].get('load_id'), 'load')}"


input_rule(ids.DATA_LOADS, "selectedRows", check_rows)
