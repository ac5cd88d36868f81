"""Builders of the data catalogue page: datasets, departments, loads, quarantined rows.

Everything shown is in the user's language: dataset names (``dataset.<name>``),
load status, refusals, warnings, quarantine reasons and messages (stored with
an i18n key and JSON parameters next to the English text).
"""

from __future__ import annotations

import json

import dash_ag_grid as dag
import pandas as pd
from dash import html

from cityops import ids
from cityops.queries.catalogue import PROVINCE_WIDE
from cityops.text.i18n import TABLE, t, t_value
from components.grid_locale import locale_text
from components.states import empty


def _columns(names: list[str], lang: str, **overrides) -> list[dict]:
    out = []
    for name in names:
        col = {"field": name, "headerName": t(f"col.{name}", lang), "sortable": True,
               "filter": True, "resizable": True}  # fmt: skip
        col.update(overrides.get(name, {}))
        out.append(col)
    return out


def _grid(grid_id: str, frame: pd.DataFrame, columns: list[dict], options: dict | None = None,
          *, lang: str, **kwargs) -> dag.AgGrid:  # fmt: skip
    """Return a catalogue grid; AG Grid's own words (pager, filter menu) in ``lang``."""
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    locale = locale_text(lang)
    return dag.AgGrid(
        id=grid_id,
        rowData=rows,
        columnDefs=columns,
        defaultColDef={"minWidth": 80},
        dashGridOptions={
            "animateRows": False,
            "domLayout": "autoHeight",
            **({"localeText": locale} if locale else {}),
            **(options or {}),
        },
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


def translated(key: str | None, args: str | dict | None, fallback: str | None, lang: str) -> str:
    """Return the message ``key`` with its JSON ``args`` in ``lang``, else ``fallback``.

    Rows stored before messages had keys (or with a key this version does not
    know) show their stored English text.
    """
    if not key or key not in TABLE:
        return fallback or ""
    try:
        params = json.loads(args) if isinstance(args, str) else dict(args or {})
        return t(key, lang, **params)
    except (ValueError, KeyError, IndexError, TypeError):
        return fallback or ""


def dataset_label(name: str, lang: str) -> str:
    """Return a dataset's name in ``lang`` (its code when it has no label)."""
    key = f"dataset.{name}"
    return t(key, lang) if key in TABLE else name


def _stamp(values: pd.Series, fmt: str = "%Y-%m-%d %H:%M") -> pd.Series:
    stamps = pd.to_datetime(values)
    return stamps.dt.strftime(fmt).astype(object).where(stamps.notna(), None)


def datasets_grid(frame: pd.DataFrame, lang: str) -> dag.AgGrid:
    """Return the catalogue of datasets: size, last load, freshness, quarantine, refusals.

    The whole files' counts (:data:`~cityops.queries.catalogue.PROVINCE_WIDE`) are left
    out when the catalogue was read for a city or district (they are None there).
    """
    shown = frame.copy()
    shown["label"] = [dataset_label(n, lang) for n in shown["dataset"]]
    shown["freshness"] = [freshness_label(r, lang) for _, r in shown.iterrows()]
    for col in ("last_loaded_at", "latest_record_at", "last_refused_at"):
        shown[col] = _stamp(shown[col])
    shown["last_refusal"] = [
        translated(r.get("last_refusal_key"), r.get("last_refusal_args"), r["last_refusal"], lang)
        if r["last_refusal"] else None
        for r in shown.to_dict("records")
    ]  # fmt: skip
    names = ["label", "dataset", "department", "rows", "last_loaded_at", "age_hours",
             "latest_record_at", "freshness", "loads", "quarantined_last", "quarantined_total",
             "flagged_total", "refused_total", "last_refused_at", "last_refusal"]  # fmt: skip
    if len(shown) and shown["loads"].isna().all():  # a city or district user: no file counts
        names = [n for n in names if n not in PROVINCE_WIDE]
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
            refused_total={"cellClassRules": {"cell-stale": "params.value > 0"}},
            last_refused_at={"minWidth": 150},
            last_refusal={"minWidth": 300, "tooltipField": "last_refusal"},
        ),
        lang=lang,
    )


def departments_grid(frame: pd.DataFrame, lang: str) -> dag.AgGrid:
    """Return camera counts by owning department."""
    shown = frame.copy()
    shown["department"] = [t_value("department", d or None, lang) for d in shown["department"]]
    columns = _columns(["department", "cameras", "online"], lang)
    return _grid(ids.DATA_DEPARTMENTS, shown, columns, lang=lang)


def loads_grid(frame: pd.DataFrame, lang: str) -> dag.AgGrid:
    """Return the recent loads, accepted and refused; selecting a row shows its rows.

    A refused load shows its status in red and its one-line reason; a load's
    warnings (e.g. a title naming Amap coordinates) are listed with it.
    """
    shown = frame.copy()
    shown["finished_at"] = _stamp(shown["finished_at"], "%Y-%m-%d %H:%M:%S")
    shown["label"] = [dataset_label(n, lang) for n in shown["dataset"]]
    shown["status"] = [t(f"load.{s}", lang) if f"load.{s}" in TABLE else s
                       for s in shown["status"].fillna("accepted")]  # fmt: skip
    shown["refusal"] = [
        translated(r["refusal_key"], r["refusal_args"], r["refusal"], lang) or None
        for r in shown.to_dict("records")
    ]
    shown["warnings"] = [_warnings(w, lang) for w in shown["warnings"]]
    names = ["finished_at", "label", "file", "status", "refusal", "format", "encoding", "crs",
             "rows_read", "inserted", "updated", "quarantined", "flagged", "warnings"]  # fmt: skip
    refused = t("load.refused", lang)
    return _grid(
        ids.DATA_LOADS,
        shown[[*names, "dataset", "load_id"]],
        _columns(names, lang, finished_at={"minWidth": 170}, file={"minWidth": 170},
                 label={"minWidth": 130},
                 status={"cellClassRules": {"cell-stale": f"params.value == '{refused}'"}},
                 refusal={"minWidth": 260, "tooltipField": "refusal"},
                 warnings={"minWidth": 200, "tooltipField": "warnings"}),
        getRowId="params.data.load_id",
        options={"rowSelection": {"mode": "singleRow", "checkboxes": False,
                                  "enableClickSelection": True}},
        lang=lang,
    )  # fmt: skip


def _warnings(stored: str | None, lang: str) -> str | None:
    """Return a load's warnings (stored as a JSON list) in ``lang``, one after another."""
    if not isinstance(stored, str) or not stored:  # a refused load has none: NULL, NaN
        return None
    try:
        items = json.loads(stored)
    except ValueError:
        return None
    texts = [translated(w.get("key"), w.get("params"), w.get("message"), lang) for w in items
             if isinstance(w, dict)]  # fmt: skip
    return "; ".join(x for x in texts if x) or None


def refusal_note(found: dict, lang: str) -> html.P:
    """Return the note shown instead of the quarantined rows of a refused load."""
    reason = translated(found.get("refusal_key"), found.get("refusal_args"),
                        found.get("refusal"), lang)  # fmt: skip
    return html.P(t("data.refused_load", lang, reason=reason), className="hint cell-stale",
                  **{"data-status": "refused"})  # fmt: skip


def issues_grid(frame: pd.DataFrame, lang: str) -> html.Div | dag.AgGrid:
    """Return the quarantined and flagged rows of one load, or a note when there are none.

    Reasons and messages are in ``lang``; the reason code stays in its own column.
    Raw rows come masked from :func:`cityops.queries.catalogue.issues`.
    """
    if frame.empty:
        return empty(t("data.no_issues", lang))
    shown = frame.copy()
    shown["outcome"] = [t(f"severity.{s}", lang) for s in shown["severity"]]
    shown["reason_label"] = [t(f"reason.{r}", lang) if f"reason.{r}" in TABLE else r
                             for r in shown["reason"]]  # fmt: skip
    shown["message"] = [
        translated(r.get("message_key"), r.get("message_args"), r["message"], lang)
        for r in shown.to_dict("records")
    ]
    names = ["row_number", "outcome", "reason_label", "reason", "column_name", "message", "raw"]
    return _grid(ids.DATA_ISSUES, shown[names],
                 _columns(names, lang, raw={"minWidth": 360}, message={"minWidth": 260},
                          reason={"headerName": t("col.reason_code", lang)}),
                 lang=lang)  # fmt: skip
