"""The data catalogue: what each dataset holds, when it was loaded, what was refused.

Named queries shared by ``cityops quarantine``, ``/api/v1/datasets`` and the
``/data`` page. Every read runs through the read door
(:func:`cityops.store.executor.execute`) and every function takes the caller's
permitted scope: row counts are counted inside it, and the load history and
quarantined rows (raw department rows of any district) are for a caller who may
see the whole province only (others get :class:`~cityops.geo.ScopeDenied`).
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import sqlalchemy as sa

from cityops import store
from cityops.datasets import DATASETS, header_lookup, mask, match_header, personal_columns
from cityops.geo import Scope, ScopeDenied
from cityops.queries.kpis import scope_clause
from cityops.store.executor import execute
from cityops.store.versions import Storage

#: Columns of ``loads`` and ``load_issues`` added after the first release, and what a
#: store created before them reads instead (until its next write migrates it).
_LATER = {"status": "accepted", "refusal": None, "refusal_key": None, "refusal_args": None,
          "warnings": None, "message_key": None, "message_args": None}  # fmt: skip


def _have(storage: Storage, table: sa.Table) -> set[str]:
    """Return the names of the columns ``table`` has in the store (older stores lack some)."""
    query = store.columns_query(table, storage.reader_engine().dialect.name)
    return set(execute(storage, query)["column_name"])


def _province_only(allowed: Scope, what: str) -> None:
    """Raise ScopeDenied unless ``allowed`` is the whole province."""
    if allowed.level != "province":
        raise ScopeDenied(f"{what} is for callers who may see the whole province")


def _cols(storage: Storage, table: sa.Table, names: list[str]) -> list:
    """Return ``table``'s columns ``names``, a constant where an older store lacks one."""
    have = _have(storage, table)
    out = []
    for name in names:
        if name in have:
            col = table.c[name]
            if name == "status":
                col = sa.func.coalesce(col, "accepted")
            out.append(col.label(name))
        else:
            out.append(sa.literal(_LATER[name], sa.Text).label(name))
    return out


#: Catalogue columns about whole files (every district's rows): the province's callers only.
PROVINCE_WIDE = ("last_file", "loads", "quarantined_last", "quarantined_total", "flagged_total",
                 "last_refused_at", "last_refused_file", "last_refusal", "last_refusal_key",
                 "last_refusal_args", "refused_total")  # fmt: skip

LOAD_COLUMNS = ["load_id", "dataset", "file", "status", "refusal", "refusal_key", "refusal_args",
                "format", "encoding", "crs", "finished_at", "rows_read", "inserted", "updated",
                "quarantined", "flagged", "collapsed", "warnings"]  # fmt: skip


def loads(storage: Storage, *, allowed: Scope, dataset: str | None = None, limit: int = 30,
          status: str | None = None) -> pd.DataFrame:  # fmt: skip
    """Return the newest loads, accepted and refused, newest first.

    Columns: ``load_id, dataset, file, status, refusal, refusal_key,
    refusal_args, format, encoding, crs, finished_at, rows_read, inserted,
    updated, quarantined, flagged, collapsed, warnings``. ``status`` is
    ``accepted`` or ``refused``; a refused load has its one-line reason in
    ``refusal`` (English; ``refusal_key``/``refusal_args`` JSON for
    :func:`cityops.text.i18n.t`) and counts of 0. ``warnings`` is a JSON list.
    """
    _province_only(allowed, "the load history")
    t = store.loads
    cols = _cols(storage, t, LOAD_COLUMNS)
    query = sa.select(*cols).order_by(t.c.finished_at.desc(), t.c.load_id).limit(limit)
    if dataset:
        query = query.where(t.c.dataset == dataset)
    if status and "status" in _have(storage, t):
        query = query.where(sa.func.coalesce(t.c.status, "accepted") == status)
    elif status and status != "accepted":
        query = query.where(sa.false())
    return execute(storage, query)


def load(storage: Storage, load_id: str, *, allowed: Scope) -> dict | None:
    """Return one load (the columns of :func:`loads`), or None when there is no such load."""
    _province_only(allowed, "the load history")
    t = store.loads
    frame = execute(
        storage, sa.select(*_cols(storage, t, LOAD_COLUMNS)).where(t.c.load_id == load_id)
    )
    if frame.empty:
        return None
    row = frame.iloc[0].to_dict()
    return {k: (None if v is pd.NaT or (isinstance(v, float) and v != v) else v)
            for k, v in row.items()}  # fmt: skip


def issues(storage: Storage, *, allowed: Scope, load_id: str, limit: int = 100,
           masked: dict[str, str] | None = None) -> pd.DataFrame:  # fmt: skip
    """Return the quarantined and flagged rows of one load, in file order.

    Columns: ``row_number, severity, reason, column_name, message, raw,
    message_key, message_args``. Personal data is masked in ``raw`` and in the
    messages: ``masked`` (column → kind, :meth:`Context.masked_columns`; default
    every column the dataset specs declare ``personal``: landlords' names and
    phones, vehicle plates, addresses). This is the read boundary of the
    quarantine, so the page and ``cityops quarantine show`` never hold more.
    """
    _province_only(allowed, "quarantined rows")
    t = store.load_issues
    query = (
        sa.select(t.c.dataset, t.c.row_number, t.c.severity, t.c.reason, t.c.column_name,
                  t.c.message, t.c.raw, *_cols(storage, t, ["message_key", "message_args"]))
        .where(t.c.load_id == load_id)
        .order_by(t.c.row_number, t.c.severity)
        .limit(limit)
    )  # fmt: skip
    found = _masked(execute(storage, query), personal_columns() if masked is None else masked)
    return found.drop(columns="dataset")


def _masked(frame: pd.DataFrame, masked: dict[str, str]) -> pd.DataFrame:
    """Return quarantined rows with the ``masked`` columns' values masked (raw row, message).

    A row stored before rows were keyed by header has every field masked, unless
    nothing is to be masked.
    """
    from cityops.text.i18n import t as label

    if frame.empty:
        return frame
    frame = frame.copy()
    raws, messages, args = [], [], []
    for rec in frame.to_dict("records"):
        spec = DATASETS.get(rec["dataset"])
        kinds = {c.name: masked[c.name] for c in spec.columns if c.name in masked} if spec else {}
        raw, message, params = rec["raw"], rec["message"], rec["message_args"]
        if kinds:
            lookup = header_lookup(spec)
            try:
                row = json.loads(raw)
            except (TypeError, ValueError):
                row = None
            if isinstance(row, dict) and isinstance(row.get("fields"), list):
                # stored before rows were keyed by header: which field is personal is
                # unknown, so every field is masked
                row = {"fields": [mask("name", v) if v not in (None, "") else v
                                  for v in row["fields"]]}  # fmt: skip
            elif isinstance(row, dict):
                for header, value in row.items():
                    kind = kinds.get(match_header(header, lookup))
                    if kind and value not in (None, ""):
                        row[header] = mask(kind, value)
            else:
                row = {}
            raw = json.dumps(row, ensure_ascii=False)
            kind = kinds.get(rec["column_name"] or "")
            if kind:  # a message quoting the personal value itself
                try:
                    parsed = json.loads(params) if params else {}
                except ValueError:
                    parsed = {}
                if "value" in parsed:
                    parsed["value"] = mask(kind, parsed["value"].strip("'\""))
                    params = json.dumps(parsed, ensure_ascii=False)
                    message = label(rec["message_key"], "en", **parsed)
                else:
                    message = f"{rec['column_name']}: (personal data, not shown)"
        raws.append(raw)
        messages.append(message)
        args.append(params)
    frame["raw"], frame["message"], frame["message_args"] = raws, messages, args
    return frame


def datasets(storage: Storage, *, allowed: Scope, now: dt.datetime) -> pd.DataFrame:
    """Return one row per dataset: size, last load, freshness, quarantine and refusals.

    Columns: ``dataset, label, department, rows, last_loaded_at, last_file,
    latest_record_at, age_hours, stale_after_hours, stale, loads,
    quarantined_last, quarantined_total, flagged_total, last_refused_at,
    last_refused_file, last_refusal, last_refusal_key, last_refusal_args,
    refused_total``. ``loads``, ``last_…``
    and the freshness count accepted loads only (``age_hours`` is the time
    since the last accepted load; a dataset never loaded is stale); a refused
    file shows in ``last_refused_at`` (when), ``last_refused_file``,
    ``last_refusal`` (why, one line; ``last_refusal_key``/``last_refusal_args``
    give it for :func:`cityops.text.i18n.t`) and ``refused_total``.

    ``rows`` and ``latest_record_at`` are counted inside ``allowed``: over a
    dataset's area columns, or (a dataset without them) for a caller who may see
    the province only, else None. The load history's counts and files
    (:data:`PROVINCE_WIDE`) are of whole files, which hold every district's rows:
    None for a caller limited to a city or district, who keeps the freshness.
    """
    t = store.loads
    status = _cols(storage, t, ["status"])[0]
    refusal = _cols(storage, t, ["refusal", "refusal_key", "refusal_args"])
    history = execute(
        storage,
        sa.select(t.c.dataset, t.c.file, t.c.quarantined, t.c.flagged, t.c.finished_at,
                  status, *refusal).order_by(t.c.finished_at.desc(), t.c.load_id.desc()),
    )  # fmt: skip
    accepted = history[history["status"] != "refused"]
    refused = history[history["status"] == "refused"]
    totals = accepted.groupby("dataset").agg(
        loads=("file", "size"),
        quarantined_total=("quarantined", "sum"),
        flagged_total=("flagged", "sum"),
    )
    last = accepted.drop_duplicates("dataset").set_index("dataset")
    last_refused = refused.drop_duplicates("dataset").set_index("dataset")
    refused_total = refused.groupby("dataset").size()
    rows = []
    for spec in DATASETS.values():
        count, latest = _size(storage, spec, allowed)
        loaded = last["finished_at"].get(spec.name)
        loaded = None if pd.isna(loaded) else pd.Timestamp(loaded).to_pydatetime()
        age = None if loaded is None else round((now - loaded).total_seconds() / 3600, 2)
        refused_at = last_refused["finished_at"].get(spec.name)
        refused_at = None if pd.isna(refused_at) else pd.Timestamp(refused_at).to_pydatetime()
        rows.append(
            {
                "dataset": spec.name,
                "label": spec.label,
                "department": spec.department,
                "rows": count,
                "last_loaded_at": loaded,
                "last_file": last["file"].get(spec.name),
                "latest_record_at": latest,
                "age_hours": age,
                "stale_after_hours": spec.stale_after_hours,
                "stale": age is None or age > spec.stale_after_hours,
                "loads": int(totals["loads"].get(spec.name, 0)),
                "quarantined_last": int(last["quarantined"].get(spec.name, 0)),
                "quarantined_total": int(totals["quarantined_total"].get(spec.name, 0) or 0),
                "flagged_total": int(totals["flagged_total"].get(spec.name, 0) or 0),
                "last_refused_at": refused_at,
                "last_refused_file": last_refused["file"].get(spec.name),
                "last_refusal": last_refused["refusal"].get(spec.name),
                "last_refusal_key": last_refused["refusal_key"].get(spec.name),
                "last_refusal_args": last_refused["refusal_args"].get(spec.name),
                "refused_total": int(refused_total.get(spec.name, 0)),
            }
        )
    frame = pd.DataFrame(rows)
    if allowed.level != "province":
        frame[list(PROVINCE_WIDE)] = None
    return frame


def _size(storage: Storage, spec, allowed: Scope) -> tuple[int | None, object]:
    """Return (rows, newest record time) of a dataset inside ``allowed`` (None: not countable)."""
    table = spec.table
    query = sa.select(
        sa.func.count().label("n"),
        (sa.func.max(table.c[spec.time_column]) if spec.time_column else sa.null()).label("latest"),
    )
    if "district_code" in table.c and "city_code" in table.c:
        query = query.where(scope_clause(table.c, allowed, storage.settings.city_codes))
    elif allowed.level != "province":
        return None, None
    row = execute(storage, query).iloc[0]
    latest = row["latest"]
    return int(row["n"]), (None if latest is None or pd.isna(latest) else latest)


def cameras_by_department(storage: Storage, *, allowed: Scope) -> pd.DataFrame:
    """Return camera counts by owning department inside ``allowed``.

    Columns: ``department, cameras, online``.
    """
    c = store.cameras
    # an inline literal: the same expression must appear in SELECT and GROUP BY
    department = sa.func.coalesce(c.c.department, sa.literal_column("''"))
    query = (
        sa.select(
            department.label("department"),
            sa.func.count().label("cameras"),
            sa.func.sum(sa.case((c.c.status == "online", 1), else_=0)).label("online"),
        )
        .where(scope_clause(c.c, allowed, storage.settings.city_codes))
        .group_by(department)
        .order_by(sa.func.count().desc())
    )
    return execute(storage, query)
