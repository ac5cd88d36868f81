"""Tables that can be sorted, filtered and downloaded exactly as shown (CSV and Excel).

A table is named by a business key (``name``); its grid, buttons and download
target use pattern IDs with that name, so one pair of callbacks serves every
table of every page. CSV is exported by the grid itself from the rows as shown;
Excel is built on the server from the grid's ``virtualRowData`` (the rows after
the user's sort and filter), because Excel export is not in AG Grid's free edition.
Personal data must be masked before rows reach a table: exports contain only
what the table holds.
"""

from __future__ import annotations

import io

import dash_ag_grid as dag
import pandas as pd
from dash import MATCH, Input, Output, State, callback, dcc, html, no_update

from cityops.i18n import t


def table_id(name: str) -> dict:
    """Return the pattern ID of table ``name``'s grid."""
    return {"type": "table", "name": name}


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
) -> html.Div:
    """Return a sortable, filterable grid of ``frame[columns]`` with CSV and Excel buttons."""
    widths = widths or {}
    rows = frame[columns].astype(object).where(frame[columns].notna(), None).to_dict("records")
    defs = [
        {
            "field": c,
            "headerName": t(f"col.{c}", lang),
            "sortable": True,
            "filter": True,
            "resizable": True,
            "minWidth": widths.get(c, 90),
        }
        for c in columns
    ]
    options = {
        "pagination": True,
        "paginationPageSize": page_size,
        "animateRows": False,
        "domLayout": "autoHeight",
    }
    if selectable:
        options["rowSelection"] = {
            "mode": "singleRow",
            "checkboxes": False,
            "enableClickSelection": True,
        }
    grid = dag.AgGrid(
        id=table_id(name),
        rowData=rows,
        columnDefs=defs,
        dashGridOptions=options,
        columnSize="responsiveSizeToFit",
        className="ag-theme-alpine",
        csvExportParams={"fileName": f"{name}.csv"},
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
        ],
        className="table-tools",
    )
    return html.Div([grid, tools], className="data-table", **{"data-table": name})


def rows_to_xlsx(rows: list[dict], column_defs: list[dict]) -> bytes:
    """Return an Excel workbook of ``rows`` with the grid's columns and header names."""
    fields = [c["field"] for c in column_defs]
    headers = [c.get("headerName") or c["field"] for c in column_defs]
    frame = pd.DataFrame(rows or [], columns=fields)
    frame.columns = headers
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        frame.to_excel(xl, index=False, sheet_name="cityops")
    return buf.getvalue()


@callback(
    Output(table_id(MATCH), "exportDataAsCsv"),
    Input({"type": "table-csv", "name": MATCH}, "n_clicks"),
    prevent_initial_call=True,
)
def export_csv(n_clicks):
    """Ask the grid to export the rows as shown."""
    return bool(n_clicks)


@callback(
    Output({"type": "table-download", "name": MATCH}, "data"),
    Input({"type": "table-xlsx", "name": MATCH}, "n_clicks"),
    State(table_id(MATCH), "virtualRowData"),
    State(table_id(MATCH), "columnDefs"),
    State(table_id(MATCH), "id"),
    prevent_initial_call=True,
)
def export_xlsx(n_clicks, rows, column_defs, grid_id):
    """Send the rows as shown (after sort and filter) as an Excel file."""
    if not n_clicks:
        return no_update
    return dcc.send_bytes(rows_to_xlsx(rows, column_defs), f"{grid_id['name']}.xlsx")
