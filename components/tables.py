"""Tables that can be sorted, filtered and downloaded exactly as shown (CSV and Excel).

A table is named by a business key (``name``); its grid, buttons and download
target use pattern IDs with that name, so one pair of callbacks serves every
table of every page. CSV is exported by the grid itself from the rows as shown;
Excel is built on the server from the grid's ``virtualRowData`` (the rows after
the user's sort and filter), because Excel export is not in AG Grid's free edition.
Personal data must be masked before rows reach a table: exports contain only
what the table holds.

Text that came from data and starts with ``= + - @``, a tab or a carriage return
would become a live formula in a spreadsheet (CSV injection). Both downloads
write it as text: the CSV with a leading ``'`` (``cityopsCsvCell`` in
``assets/cityops-i18n.js``), the workbook as a string cell marked as text.
Numbers stay numbers.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import math
import re

import dash_ag_grid as dag
import pandas as pd
from dash import MATCH, Input, Output, State, callback, ctx, dcc, html, no_update
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from cityops import theme
from cityops.clock import TZ
from cityops.queries.context import current
from cityops.text.formatting import fmt_times, is_formula_like
from cityops.text.i18n import t
from cityops.web import (
    check_clicks,
    check_column_defs,
    check_meta,
    check_pattern_id,
    check_rows,
    input_rule,
)
from cityops.web.auth import audit_event
from cityops.web.security import export_refusal, export_slots
from components.grid_locale import locale_text

log = logging.getLogger(__name__)

#: Column kinds: how a column is shown in the grid and typed in the workbook.
KINDS = ("count", "number", "time", "text")
#: Decimals shown for numeric kinds.
DIGITS = {"count": 0, "number": 1}

_TIME_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_FILE_BAD = re.compile(r"[^\w.\-]+")


def table_id(name: str) -> dict:
    """Return the pattern ID of table ``name``'s grid."""
    return {"type": "table", "name": name}


def meta_id(name: str) -> dict:
    """Return the pattern ID of the store holding table ``name``'s download details."""
    return {"type": "table-meta", "name": name}


def note_id(name: str) -> dict:
    """Return the pattern ID of the line saying why table ``name``'s download was refused."""
    return {"type": "table-note", "name": name}


def column_kind(series: pd.Series) -> str:
    """Return the kind of a column: ``count``, ``number``, ``time`` or ``text``.

    Integer columns are counts, other numeric columns numbers (one decimal),
    datetime columns and text of the form ``YYYY-MM-DD[ HH:MM[:SS]]`` times.
    """
    if pd.api.types.is_bool_dtype(series):
        return "text"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "time"
    if pd.api.types.is_integer_dtype(series):
        return "count"
    if pd.api.types.is_numeric_dtype(series):
        return "number"
    values = series.dropna()
    if values.empty:
        return "text"
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "count" if all(float(v).is_integer() for v in values) else "number"
    if all(isinstance(v, str) and _TIME_TEXT.match(v) for v in values):
        return "time"
    if all(isinstance(v, dt.datetime | pd.Timestamp) for v in values):
        return "time"
    return "text"


def _file_stem(*parts: object) -> str:
    return "_".join(_FILE_BAD.sub("-", str(p)).strip("-") for p in parts if p not in (None, ""))


def data_table(
    name: str,
    frame: pd.DataFrame,
    columns: list[str],
    lang: str,
    *,
    widths: dict[str, int] | None = None,
    row_id: str | None = None,
    page_size: int = 20,
    selectable: bool = False,
    kinds: dict[str, str] | None = None,
    title: str | None = None,
    scope: str | None = None,
    scope_name: str | None = None,
    day: dt.date | str | None = None,
) -> html.Div:
    """Return a sortable, filterable grid of ``frame[columns]`` with CSV and Excel buttons.

    AG Grid's own words follow ``lang``. Numbers are shown with thousands
    separators (counts whole, other numbers with one decimal); ``kinds`` overrides
    the kind :func:`column_kind` infers (``count``, ``number``, ``time``, ``text``).
    ``title`` names the Excel sheet; ``scope`` and ``day`` go into the file names
    and, with ``scope_name``, into a note row above the Excel header.
    """
    widths = widths or {}
    kinds = {c: (kinds or {}).get(c) or column_kind(frame[c]) for c in columns}
    shown = frame[columns].copy()
    for c in columns:
        if pd.api.types.is_datetime64_any_dtype(shown[c]):
            shown[c] = fmt_times(shown[c])
    rows = shown.astype(object).where(shown.notna(), None).to_dict("records")
    defs = []
    for c in columns:
        col = {
            "field": c,
            "headerName": t(f"col.{c}", lang),
            "sortable": True,
            "filter": True,
            "resizable": True,
            "minWidth": widths.get(c, 90),
            "context": {"kind": kinds[c]},
        }
        if kinds[c] in DIGITS:
            digits = DIGITS[kinds[c]]
            col.update(
                type="rightAligned",
                filter="agNumberColumnFilter",
                valueFormatter={"function": f"cityopsNumber(params, {digits})"},
                context={"kind": kinds[c], "digits": digits},
            )
        defs.append(col)
    options = {
        "pagination": True,
        "paginationPageSize": page_size,
        "animateRows": False,
        "domLayout": "autoHeight",
    }
    grid_text = locale_text(lang)
    if grid_text:
        options["localeText"] = grid_text
    if selectable:
        options["rowSelection"] = {
            "mode": "singleRow",
            "checkboxes": False,
            "enableClickSelection": True,
        }
    stem = _file_stem(name, scope, day)
    note = None
    if scope or scope_name or day:
        bits = [title] if title else []
        if scope or scope_name:
            where = " ".join(str(p) for p in dict.fromkeys((scope_name, scope)) if p)
            bits.append(f"{t('export.scope', lang)}: {where}")
        if day:
            bits.append(f"{t('export.date', lang)}: {day}")
        note = " · ".join(bits)
    grid = dag.AgGrid(
        id=table_id(name),
        rowData=rows,
        columnDefs=defs,
        dashGridOptions=options,
        columnSize="responsiveSizeToFit",
        className="ag-theme-alpine",
        csvExportParams={
            "fileName": f"{stem}.csv",
            "processCellCallback": {"function": "cityopsCsvCell(params)"},
        },
        **({"getRowId": f"params.data.{row_id}"} if row_id else {}),
    )
    tools = html.Div(
        [
            html.Button(
                t("table.csv", lang), id={"type": "table-csv", "name": name}, className="btn"
            ),
            html.Button(
                t("table.xlsx", lang), id={"type": "table-xlsx", "name": name}, className="btn"
            ),
            dcc.Download(id={"type": "table-download", "name": name}),
            html.Span(id=note_id(name), className="table-note", role="status"),
            dcc.Store(
                id=meta_id(name),
                data={"file": stem, "sheet": title or name, "note": note, "lang": lang},
            ),
        ],
        className="table-tools",
    )
    return html.Div([grid, tools], className="data-table", **{"data-table": name})


def sheet_title(text: str | None) -> str:
    """Return ``text`` as a valid Excel sheet name (at most 31 characters, no brackets etc.)."""
    clean = _SHEET_BAD.sub(" ", str(text or "")).strip().strip("'")
    return clean[:31] or "cityops"


def _as_time(value: object) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, str) and _TIME_TEXT.match(value.strip()):
        try:
            return dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _put(cell, value: object, column: dict) -> None:
    """Write ``value`` into ``cell`` with its type: number, date-time or text (never a formula)."""
    context = column.get("context") or {}
    if value is None or value == "":
        return
    if isinstance(value, bool):
        cell.value = value
        return
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return
        digits = context.get("digits")
        cell.value = round(value, digits) if digits is not None else value
        cell.number_format = {0: "#,##0", 1: "#,##0.0"}.get(digits, "General")
        return
    if context.get("kind") == "time" and (when := _as_time(value)) is not None:
        cell.value = when
        date_only = isinstance(value, str) and len(value.strip()) == 10
        cell.number_format = "yyyy-mm-dd" if date_only else "yyyy-mm-dd hh:mm"
        return
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    cell.value = text
    cell.data_type = "s"  # openpyxl would take "=…" as a formula
    if is_formula_like(text):
        cell.quotePrefix = True  # Excel keeps it text even when the cell is edited


def _rgb(colour: str) -> str:
    """Return a theme colour (``#rrggbb``) as openpyxl takes it (``RRGGBB``)."""
    return colour.lstrip("#").upper()


def _width(text: object) -> int:
    s = str(text or "")
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in s)


def rows_to_xlsx(
    rows: list[dict],
    column_defs: list[dict],
    *,
    sheet: str | None = None,
    note: str | None = None,
) -> bytes:
    """Return an Excel workbook of ``rows`` with the grid's columns and header names.

    Cells are typed: numbers as numbers (rounded as the grid shows them), times as
    Excel date-times, everything else as text, so data can never become a formula.
    The header row is styled, frozen and carries an autofilter; the sheet is named
    ``sheet``; ``note`` (e.g. the area and date) goes in a row above the header.
    """
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title(sheet)
    top = 1
    if note:
        cell = ws.cell(row=1, column=1)
        _put(cell, note, {})
        cell.font = Font(italic=True, color=_rgb(theme.EXPORT_NOTE_TEXT))
        top = 3 if column_defs else 1
    fill = PatternFill("solid", fgColor=_rgb(theme.EXPORT_HEADER_FILL))
    widths = []
    for j, col in enumerate(column_defs, start=1):
        header = col.get("headerName") or col["field"]
        cell = ws.cell(row=top, column=j)
        _put(cell, header, {})
        cell.font = Font(bold=True, color=_rgb(theme.EXPORT_HEADER_TEXT))
        cell.fill = fill
        cell.alignment = Alignment(vertical="center")
        widths.append(_width(header))
    for i, row in enumerate(rows or [], start=top + 1):
        for j, col in enumerate(column_defs, start=1):
            value = row.get(col["field"])
            _put(ws.cell(row=i, column=j), value, col)
            widths[j - 1] = max(widths[j - 1], min(_width(value), 60))
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = max(8, w + 2)
    if column_defs:
        ws.freeze_panes = ws.cell(row=top + 1, column=1)
        last = get_column_letter(len(column_defs))
        ws.auto_filter.ref = f"A{top}:{last}{top + max(len(rows or []), 1)}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@callback(
    Output(table_id(MATCH), "exportDataAsCsv"),
    Input({"type": "table-csv", "name": MATCH}, "n_clicks"),
    prevent_initial_call=True,
)
def export_csv(n_clicks):
    """Ask the grid to export the rows as shown (it writes the CSV in the browser); audit it."""
    if n_clicks:
        table = (ctx.triggered_id or {}).get("name")
        audit_event(current().settings, "download", table=table, format="csv")
    return bool(n_clicks)


@callback(
    Output({"type": "table-download", "name": MATCH}, "data"),
    Output(note_id(MATCH), "children"),
    Input({"type": "table-xlsx", "name": MATCH}, "n_clicks"),
    State(table_id(MATCH), "virtualRowData"),
    State(table_id(MATCH), "columnDefs"),
    State(table_id(MATCH), "id"),
    State(meta_id(MATCH), "data"),
    prevent_initial_call=True,
)
def export_xlsx(n_clicks, rows, column_defs, grid_id, meta):
    """Send the rows as shown (after sort and filter) as an Excel file, and clear the note.

    More rows than ``CITYOPS_EXPORT_MAX_ROWS`` are refused, and a click finding every
    one of the ``CITYOPS_EXPORT_MAX_JOBS`` workbook slots busy is asked to try again:
    no file, a translated note instead.
    """
    if not n_clicks:
        return no_update, no_update
    meta = meta or {}
    lang = meta.get("lang", "zh")
    settings = current().settings
    refusal = export_refusal(len(rows or []), settings.export_max_rows, lang)
    if refusal:
        log.warning("export of %s rows refused (CITYOPS_EXPORT_MAX_ROWS)", len(rows or []))
        return no_update, refusal
    note = meta.get("note")
    if note:
        now = dt.datetime.now(TZ).strftime("%Y-%m-%d %H:%M")
        note = f"{note} · {t('export.exported_at', lang)}: {now}"
    with export_slots(settings.export_max_jobs).slot() as free:
        if not free:
            log.warning("export refused: all %s workbook slots busy", settings.export_max_jobs)
            return no_update, t("export.busy", lang)
        data = rows_to_xlsx(rows, column_defs, sheet=meta.get("sheet"), note=note)
    audit_event(settings, "download", table=grid_id["name"], format="xlsx", rows=len(rows or []))
    return dcc.send_bytes(data, f"{meta.get('file') or grid_id['name']}.xlsx"), ""


# What the browser may send back to the table callbacks (checked before they run).
input_rule("table-csv", "n_clicks", check_clicks)
input_rule("table-xlsx", "n_clicks", check_clicks)
input_rule("table", "virtualRowData", check_rows)
input_rule("table", "selectedRows", check_rows)
input_rule("table", "columnDefs", check_column_defs)
input_rule("table", "id", check_pattern_id)
input_rule("table-meta", "data", check_meta)
