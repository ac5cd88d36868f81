"""Builders of the data catalogue page: datasets, departments, loads, quarantined rows."""

from __future__ import annotations

import dash_ag_grid as dag
import pandas as pd
from dash import html

from cityops import ids
from cityops.i18n import t


def _columns(names: list[str], lang: str, **overrides) -> list[dict]:
    out = []
    for name in names:
        col = {"field": name, "headerName": t(f"col.{name}", lang), "sortable": True,
               "filter": True, "resizable": True}  # fmt: skip
        col.update(overrides.get(name, {}))
        out.append(col)
    return out


def _grid(grid_id: str, frame: pd.DataFrame, columns: list[dict], options: dict | None = None,
          **kwargs) -> dag.AgGrid:  # fmt: skip
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return dag.AgGrid(
        id=grid_id,
        rowData=rows,
        columnDefs=columns,
        defaultColDef={"minWidth": 80},
        dashGridOptions={"animateRows": False, "domLayout": "autoHeight", **(options or {})},
        columnSize="responsiveSizeToFit",
        className="ag-theme-alpine",
        csvExportParams={"fileName": f"{grid_id}.csv"},
        **kwargs,
    )


def freshness_label(row: dict | pd.Series, lang: str) -> str:
    """Return the freshness text of a catalogue row: fresh, stale or never loaded."""
    if row["age_hours"] is None or pd.isna(row["age_hours"]):
        return t("fresh.never", lang)
    return t("fresh.stale", lang) if row["stale"] else t("fresh.ok", lang)


def datasets_grid(frame: pd.DataFrame, lang: str) -> dag.AgGrid:
    """Return the catalogue of datasets: size, last load, freshness, quarantine counts."""
    shown = frame.copy()
    shown["freshness"] = [freshness_label(r, lang) for _, r in shown.iterrows()]
    for col in ("last_loaded_at", "latest_record_at"):
        shown[col] = (
            pd.to_datetime(shown[col]).dt.strftime("%Y-%m-%d %H:%M").where(shown[col].notna(), None)
        )
    names = ["label", "dataset", "department", "rows", "last_loaded_at", "age_hours",
             "latest_record_at", "freshness", "loads", "quarantined_last", "quarantined_total",
             "flagged_total"]  # fmt: skip
    stale = t("fresh.stale", lang)
    never = t("fresh.never", lang)
    is_stale = f"params.value == '{stale}' || params.value == '{never}'"
    return _grid(
        ids.DATA_DATASETS,
        shown[names],
        _columns(
            names,
            lang,
            freshness={"cellClassRules": {"cell-stale": is_stale, "cell-fresh": f"!({is_stale})"}},
            label={"minWidth": 130, "pinned": "left"},
            department={"minWidth": 170},
            last_loaded_at={"minWidth": 150},
            latest_record_at={"minWidth": 150},
        ),
    )


def departments_grid(frame: pd.DataFrame, lang: str) -> dag.AgGrid:
    """Return camera counts by owning department."""
    return _grid(ids.DATA_DEPARTMENTS, frame, _columns(["department", "cameras", "online"], lang))


def loads_grid(frame: pd.DataFrame, lang: str) -> dag.AgGrid:
    """Return the recent loads; selecting a row shows its quarantined rows."""
    shown = frame.copy()
    shown["finished_at"] = pd.to_datetime(shown["finished_at"]).dt.strftime("%Y-%m-%d %H:%M:%S")
    names = ["finished_at", "dataset", "file", "format", "encoding", "crs", "rows_read",
             "inserted", "updated", "quarantined", "flagged"]  # fmt: skip
    return _grid(
        ids.DATA_LOADS,
        shown[[*names, "load_id"]],
        _columns(names, lang, finished_at={"minWidth": 170}, file={"minWidth": 170},
                 dataset={"minWidth": 130}),
        getRowId="params.data.load_id",
        options={"rowSelection": {"mode": "singleRow", "checkboxes": False,
                                  "enableClickSelection": True}},
    )  # fmt: skip


def issues_grid(frame: pd.DataFrame, lang: str) -> html.Div | dag.AgGrid:
    """Return the quarantined and flagged rows of one load, or a note when there are none."""
    if frame.empty:
        return html.P(t("data.no_issues", lang), className="hint")
    shown = frame.copy()
    shown["outcome"] = [t(f"severity.{s}", lang) for s in shown["severity"]]
    names = ["row_number", "outcome", "reason", "column_name", "message", "raw"]
    return _grid(ids.DATA_ISSUES, shown[names], _columns(names, lang, raw={"minWidth": 360}))
