"""A report as an Excel workbook (XlsxWriter): the tables behind the printed pages.

Sheets, in order:

* the cover: title, subtitle, the cover lines (generated at and data as of as
  Excel date-times) and a contents list linking every other sheet;
* the KPI summary: KPI, basis, this period, previous, change, unit, typed;
* per section: a sheet named by the section with its KPI lines and links to
  its tables, then **one sheet per table** (each chart's table, then the
  section's tables) named ``<section> - <table>``. Excel keeps one autofilter
  per sheet, so a table of its own is what lets every table be filtered;
* the map's table; the problem tables and the appendix tables (a sheet each,
  ``<group> - <table>``, or the group's name when it has one table).

Every table sheet has its title and note above a styled header row, the
panes frozen below the header, an autofilter over the data and columns
fitted to their content. Cells are typed by :attr:`Column.kind`; a missing
value is an empty cell; text is always written as a string (never a formula
or a link), and text a spreadsheet would read as a formula also carries the
quote prefix, so editing the cell in Excel keeps it text.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from cityops import theme
from cityops.clock import TZ
from cityops.reports.model import Column, KpiLine, Report, Table
from cityops.text.formatting import is_formula_like

#: Excel's limits: a sheet name's length, a cell's text, a column's width we allow.
SHEET_NAME_MAX = 31
CELL_TEXT_MAX = 32767
WIDTH_MIN, WIDTH_MAX = 8, 60
#: Number formats by column kind (text, date and datetime cells get theirs below).
NUMBER_FORMATS = {
    "count": "#,##0",
    "number": "0.00",
    "rate": "0.0%",
    "tonnes": "0.0",
    "hours": "0.0",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}
#: A KPI's value by its unit; its change (signed) by its unit.
KPI_FORMATS = {"count": "#,##0", "rate": "0.0%", "tonnes": "0.0"}
CHANGE_FORMATS = {"count": "+#,##0;-#,##0;0", "rate": "+0.0%;-0.0%;0.0%", "tonnes": "+0.0;-0.0;0.0"}
_SHEET_BAD = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f]")


# ---------------------------------------------------------------- plain helpers
def display_width(text: str) -> int:
    """Return how many narrow columns ``text``'s longest line takes (CJK and emoji count 2)."""
    lines = str(text).split("\n") or [""]
    return max(
        sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in line)
        for line in lines
    )


def _missing(value: object) -> bool:
    """Return whether ``value`` is None, NaN, NaT, pd.NA or an infinite number."""
    if value is None:
        return True
    if isinstance(value, float) and not math.isfinite(value):
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or array in a cell is not "missing"
        return False


def _text(value: object) -> str:
    """Return ``value`` as cell text: a string Excel can hold (lone surrogates replaced)."""
    text = value if isinstance(value, str) else str(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text  # XlsxWriter cuts text beyond 32,767 UTF-16 units and escapes controls


def _number(value: object) -> float | int | None:
    """Return ``value`` as a finite int or float, or None when it is not a number."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number):
        return None
    return int(number) if isinstance(value, int) or number.is_integer() else number


def _moment(value: object) -> dt.datetime | None:
    """Return ``value`` (date, datetime, Timestamp, datetime64, ISO text) as a naive local time."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    else:
        try:
            stamp = pd.Timestamp(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
        if pd.isna(stamp):
            return None
        moment = stamp.to_pydatetime()
    if moment.tzinfo is not None:  # every dataset is Asia/Shanghai; Excel has no zones
        moment = moment.astimezone(TZ).replace(tzinfo=None)
    return moment


def _shown(value: object, kind: str) -> str:
    """Return roughly how a typed cell shows in Excel (for fitting the column's width)."""
    if kind == "count":
        return f"{value:,.0f}"
    if kind == "rate":
        return f"{value * 100:.1f}%"  # type: ignore[operator]
    if kind in ("number", "tonnes", "hours"):
        return f"{value:,.2f}"
    return "0000-00-00 00:00" if kind == "datetime" else "0000-00-00"


class SheetNames:
    r"""Unique Excel sheet names: at most 31 characters, none of ``[]:*?/\``, no quotes.

    Excel compares names without case; a name already taken (or reserved,
    ``History``) gets `` (2)``, `` (3)`` … within the 31 characters.
    """

    def __init__(self) -> None:
        self.taken: set[str] = {"history"}

    def clean(self, text: str) -> str:
        """Return ``text`` as a valid (not yet unique) sheet name.

        A long name is cut at 31 characters, back to the last space when the
        cut would split a word (English titles), keeping at least half of it.
        """
        name = " ".join(_SHEET_BAD.sub(" ", _text(text)).replace("'", "’").split())
        if len(name) > SHEET_NAME_MAX:
            cut = name[:SHEET_NAME_MAX]
            space = cut.rfind(" ")
            if name[SHEET_NAME_MAX].isalnum() and space >= SHEET_NAME_MAX // 2:
                cut = cut[:space]
            name = cut.rstrip(" -–—·")
        return name or "Sheet"

    def take(self, text: str) -> str:
        """Return a new sheet name from ``text``, unique in this workbook, and reserve it."""
        base = self.clean(text)
        name, n = base, 1
        while name.casefold() in self.taken:
            n += 1
            suffix = f" ({n})"
            name = base[: SHEET_NAME_MAX - len(suffix)].rstrip() + suffix
        self.taken.add(name.casefold())
        return name


# ---------------------------------------------------------------- the workbook's formats
class _Formats:
    """The workbook's cell formats (theme colours), made once per workbook."""

    def __init__(self, book: Workbook) -> None:
        add = book.add_format
        self.title = add({"bold": True, "font_size": 14})
        self.subtitle = add({"font_size": 12})
        self.heading = add({"bold": True, "font_size": 12})
        self.note = add({"italic": True, "font_color": theme.EXPORT_NOTE_TEXT})
        self.header = add(
            {
                "bold": True,
                "font_color": theme.EXPORT_HEADER_TEXT,
                "bg_color": theme.EXPORT_HEADER_FILL,
                "border": 1,
                "border_color": theme.BORDER,
                "valign": "vcenter",
            }
        )
        self.text = add({})
        self.quoted = add({"quote_prefix": True})
        self.label = add({"bold": True, "valign": "top"})
        self.value = add({"text_wrap": True, "valign": "top"})
        self.value_quoted = add({"text_wrap": True, "valign": "top", "quote_prefix": True})
        self.stamp = add({"num_format": NUMBER_FORMATS["datetime"], "align": "left"})
        self.link = add({"font_color": theme.SERIES[0], "underline": 1})
        self.kinds = {kind: add({"num_format": fmt}) for kind, fmt in NUMBER_FORMATS.items()}
        self.kpi = {unit: add({"num_format": fmt}) for unit, fmt in KPI_FORMATS.items()}
        self.change = {unit: add({"num_format": fmt}) for unit, fmt in CHANGE_FORMATS.items()}

    def text_of(self, text: str, wrap: bool = False) -> Format:
        """Return the format of a text cell: quote-prefixed when it looks like a formula."""
        if is_formula_like(text):
            return self.value_quoted if wrap else self.quoted
        return self.value if wrap else self.text


def _put_text(ws: Worksheet, row: int, col: int, value: object, fmt: _Formats) -> str:
    """Write ``value`` as a string cell and return the text written."""
    text = _text(value)
    ws.write_string(row, col, text, fmt.text_of(text))
    return text


def _put(ws: Worksheet, row: int, col: int, value: object, kind: str, fmt: _Formats) -> str:
    """Write one typed cell of a ``kind`` column; return the text its width is fitted to.

    Missing values leave the cell empty; a value that does not fit its kind
    (text in a number column) is written as text.
    """
    if _missing(value):
        return ""
    if kind in ("date", "datetime"):
        moment = _moment(value)
        if moment is not None:
            ws.write_datetime(row, col, moment, fmt.kinds[kind])
            return _shown(moment, kind)
    elif kind != "text":
        number = _number(value)
        if number is not None:
            ws.write_number(row, col, number, fmt.kinds[kind])
            return _shown(number, kind)
    return _put_text(ws, row, col, value, fmt)


# ---------------------------------------------------------------- sheets
@dataclass(frozen=True)
class _Sheet:
    """A sheet to write: its unique name, its full title (contents) and its writer."""

    name: str
    title: str
    write: Callable[[Worksheet], int | None]  # returns its header's row, if any


def _fit(ws: Worksheet, widths: list[int]) -> None:
    for col, width in enumerate(widths):
        ws.set_column(col, col, max(WIDTH_MIN, min(width, WIDTH_MAX)) + 2)


def _page_setup(ws: Worksheet, report: Report, header_row: int | None) -> None:
    """Set A4 landscape, one page wide, the running header and page numbers."""

    def amp(text: str) -> str:  # '&' starts a code in Excel's header text
        return text.replace("&", "&&")

    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.set_header("&C" + amp(report.header_text())[:200])
    page = report.labels.get("page", "{page} / {pages}")
    ws.set_footer("&C" + amp(page).replace("{page}", "&P").replace("{pages}", "&N")[:200])
    if header_row is not None:
        ws.repeat_rows(header_row)


def _title_block(ws: Worksheet, title: str, note: str, fmt: _Formats) -> int:
    """Write a title row and a note row; return the row the table's header goes on."""
    ws.set_row(0, 20)
    ws.write_string(0, 0, _text(title), fmt.title)
    if note:
        ws.write_string(1, 0, _text(note), fmt.note)
    return 3 if note else 2


def write_table(
    ws: Worksheet, table: Table, fmt: _Formats, *, title: str | None = None, note: str | None = None
) -> int:
    """Write ``table`` on its own sheet: title, note, styled header, typed rows.

    The panes are frozen below the header, the autofilter spans the header and
    the data, columns are fitted. An empty table keeps its header and a row
    with its ``empty`` text. Returns the header's row (0-based).
    """
    header = _title_block(ws, title or table.title, table.note if note is None else note, fmt)
    columns: tuple[Column, ...] = table.columns
    widths = [display_width(c.label) for c in columns]
    for col, column in enumerate(columns):
        ws.write_string(header, col, _text(column.label), fmt.header)
    frame = table.frame
    rows = len(frame)
    if rows:
        for col, column in enumerate(columns):
            values = frame[column.key].tolist() if column.key in frame else [None] * rows
            for i, value in enumerate(values):
                shown = _put(ws, header + 1 + i, col, value, column.kind, fmt)
                if shown:
                    widths[col] = max(widths[col], min(display_width(shown), WIDTH_MAX))
    else:
        ws.write_string(header + 1, 0, _text(table.empty or "—"), fmt.note)
    last = header + max(rows, 1)
    if columns:
        ws.freeze_panes(header + 1, 0)
        ws.autofilter(header, 0, last, len(columns) - 1)
    _fit(ws, widths)
    return header


def _kpi_rows(
    ws: Worksheet, lines: Iterable[KpiLine], report: Report, fmt: _Formats, header: int
) -> int:
    """Write the KPI table from ``header`` down; return its last row (0-based)."""
    labels = report.labels
    heads = [
        labels.get("kpi", "KPI"),
        labels.get("kind", "kind"),
        labels.get("value", "value"),
        labels.get("previous", "previous"),
        labels.get("change", "change"),
        labels.get("unit", "unit"),
    ]
    widths = [display_width(h) for h in heads]
    for col, head in enumerate(heads):
        ws.write_string(header, col, _text(head), fmt.header)
    row = header
    for line in lines:
        row += 1
        kind = labels.get(f"{line.kind}_kpi", line.kind)
        unit = labels.get(f"unit_{line.unit}", line.unit)
        shown = [_put_text(ws, row, 0, line.label, fmt), _put_text(ws, row, 1, kind, fmt)]
        for col, (value, formats) in enumerate(
            ((line.value, fmt.kpi), (line.previous, fmt.kpi), (line.delta, fmt.change)), start=2
        ):
            number = None if _missing(value) else _number(value)
            if number is None:
                shown.append("")
                continue
            ws.write_number(row, col, number, formats.get(line.unit, fmt.kinds["number"]))
            kind_of = "count" if line.unit == "count" else line.unit
            shown.append(("+" if col == 4 else "") + _shown(number, kind_of))
        shown.append(_put_text(ws, row, 5, unit, fmt))
        widths = [
            max(w, min(display_width(s), WIDTH_MAX)) for w, s in zip(widths, shown, strict=True)
        ]
    ws.freeze_panes(header + 1, 0)
    ws.autofilter(header, 0, max(row, header + 1), len(heads) - 1)
    _fit(ws, widths)
    return row


def _links(ws: Worksheet, row: int, heading: str, sheets: list[_Sheet], fmt: _Formats) -> int:
    """Write ``heading`` and a link to each of ``sheets`` from ``row``; return the next row."""
    ws.write_string(row, 0, _text(heading), fmt.heading)
    for sheet in sheets:
        row += 1
        ws.write_url(row, 0, f"internal:'{sheet.name}'!A1", fmt.link, _text(sheet.title))
    return row + 1


def _cover(ws: Worksheet, report: Report, sheets: list[_Sheet], fmt: _Formats) -> None:
    """Write the cover: title, subtitle, cover lines (times as date-times), contents."""
    labels = report.labels
    ws.hide_gridlines(2)
    ws.set_row(0, 24)
    ws.write_string(0, 0, _text(report.title), fmt.title)
    ws.write_string(1, 0, _text(report.subtitle), fmt.subtitle)
    moments = {
        labels.get("generated_at", "generated_at"): report.generated_at,
        labels.get("data_as_of", "data_as_of"): report.data_as_of,
    }
    lines = [(label, moments.get(label, value)) for label, value in report.cover]
    for label, moment in moments.items():  # a cover without them still says them
        if label not in {line[0] for line in report.cover}:
            lines.append((label, moment))
    width_label, width_value = WIDTH_MIN, WIDTH_MIN
    row = 3
    for label, value in lines:
        ws.write_string(row, 0, _text(label), fmt.label)
        width_label = max(width_label, display_width(label))
        if isinstance(value, dt.datetime):
            ws.write_datetime(row, 1, _moment(value), fmt.stamp)
        elif value is None or _missing(value):
            ws.write_string(row, 1, "—", fmt.value)
        else:
            text = _text(value)
            ws.write_string(row, 1, text, fmt.text_of(text, wrap=True))
            width_value = max(width_value, display_width(text))
        row += 1
    _links(ws, row + 1, labels.get("contents", "contents"), sheets, fmt)
    ws.set_column(0, 0, min(width_label, WIDTH_MAX) + 2)
    ws.set_column(1, 1, min(width_value, WIDTH_MAX) + 2)


def _plan(report: Report, names: SheetNames, fmt: _Formats) -> tuple[str, list[_Sheet]]:
    """Return the cover's name and the other sheets in order (names taken, writers bound)."""
    labels = report.labels
    contents = labels.get("contents", "Contents")
    cover = names.take(labels.get("sheet_cover", labels.get("cover", "Cover")))
    plan: list[_Sheet] = []

    def table_sheet(
        group: str, table: Table, title: str | None = None, note: str | None = None
    ) -> None:
        full = f"{group} - {title or table.title}"
        plan.append(
            _Sheet(
                names.take(full),
                full,
                lambda ws: write_table(ws, table, fmt, title=title, note=note),
            )
        )

    def group(name: str, tables: tuple[Table, ...]) -> None:
        if len(tables) == 1:  # a group of one table: the sheet takes the group's name
            plan.append(_Sheet(names.take(name), name, lambda ws: write_table(ws, tables[0], fmt)))
            return
        for table in tables:
            table_sheet(name, table)

    kpi_title = labels.get("kpi_summary", "KPI summary")

    def kpis(ws: Worksheet) -> int:
        header = _title_block(ws, kpi_title, "", fmt)
        last = _kpi_rows(ws, report.kpis, report, fmt, header)
        if report.kpi_note:
            ws.write_string(last + 2, 0, _text(report.kpi_note), fmt.note)
        return header

    plan.append(_Sheet(names.take(labels.get("sheet_kpis", kpi_title)), kpi_title, kpis))
    for section in report.sections:
        section_name = names.take(section.title)
        start = len(plan)
        for chart in section.charts:
            table_sheet(section.title, chart.table, title=chart.title, note=chart.note)
        for table in section.tables:
            table_sheet(section.title, table)
        children = plan[start:]

        def overview(ws: Worksheet, section=section, children=children) -> int | None:
            header = _title_block(ws, section.title, "", fmt)
            row = header
            if section.kpis:
                row = _kpi_rows(ws, section.kpis, report, fmt, header) + 2
            _links(ws, row, contents, children, fmt)
            return header if section.kpis else None

        plan.insert(start, _Sheet(section_name, section.title, overview))
    map_chart = report.map
    plan.append(
        _Sheet(
            names.take(labels.get("sheet_map", labels.get("map", "Map"))),
            map_chart.title,
            lambda ws: write_table(
                ws, map_chart.table, fmt, title=map_chart.title, note=map_chart.note
            ),
        )
    )
    group(labels.get("sheet_problems", labels.get("problems", "Problems")), report.problems)
    group(labels.get("sheet_appendix", labels.get("appendix", "Appendix")), report.appendix)
    return cover, plan


def render_xlsx(report: Report) -> bytes:
    """Return ``report`` as the bytes of an .xlsx workbook (sheets as the module says).

    The workbook never turns text into formulas or links
    (``strings_to_formulas``/``strings_to_urls`` off, text through
    ``write_string``); its properties carry the title, the scope and period as
    subject, ``cityops`` as author and the report's time as created.
    """
    out = io.BytesIO()
    book = xlsxwriter.Workbook(
        out,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "remove_timezone": True,
        },
    )
    book.set_properties(
        {
            "title": _text(report.title),
            "subject": _text(report.header_text()),
            "author": "cityops",
            "created": _moment(report.generated_at) or dt.datetime.now(TZ).replace(tzinfo=None),
        }
    )
    fmt = _Formats(book)
    names = SheetNames()
    cover, plan = _plan(report, names, fmt)
    _cover(book.add_worksheet(cover), report, plan, fmt)
    for sheet in plan:
        ws = book.add_worksheet(sheet.name)
        header = sheet.write(ws)
        _page_setup(ws, report, header)
    book.close()
    return out.getvalue()
