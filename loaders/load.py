"""Load one department file into the store: read → clean → place → check → upsert.

A load is one transaction: it fully applies (good rows upserted by key, bad rows
in the quarantine with their reason, a row in ``loads``) or changes nothing.
A file that cannot be read at all raises :class:`FileRefused` before anything
is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from cityops import store
from cityops.context import TZ
from cityops.geo import Geography
from loaders.clean import Issue, clean_table
from loaders.crs import CRS_CHOICES, to_wgs84
from loaders.read import FileRefused, RawTable, read_file
from loaders.specs import DATASETS, DatasetSpec

Progress = Callable[[str], None]


@dataclass
class LoadReport:
    """What one load did. ``to_dict`` is the ``--json`` output."""

    dataset: str
    file: str
    format: str = ""
    encoding: str | None = None
    crs: str = "wgs84"
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    quarantined: int = 0
    flagged: int = 0
    collapsed: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    load_id: str = ""

    def to_dict(self) -> dict:
        """Return the report as plain JSON-ready values."""
        return asdict(self)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _place(
    frame: pd.DataFrame, spec: DatasetSpec, geo: Geography, crs: str, alive: np.ndarray
) -> list[Issue]:
    """Convert coordinates to WGS84 and assign city, district and grid cell (in place).

    Returns the issues: points outside every enabled district (quarantined) and
    a given district code that disagrees with the point (flagged; the point wins).
    """
    issues: list[Issue] = []
    for lon_col, lat_col in (spec.point, *spec.extra_points):
        lon = pd.to_numeric(frame[lon_col], errors="coerce").to_numpy(float)
        lat = pd.to_numeric(frame[lat_col], errors="coerce").to_numpy(float)
        wlon, wlat = to_wgs84(lon, lat, crs)
        frame[lon_col] = np.round(wlon, 7)
        frame[lat_col] = np.round(wlat, 7)
        frame[lon_col] = frame[lon_col].where(~np.isnan(lon), None)
        frame[lat_col] = frame[lat_col].where(~np.isnan(lat), None)
    lon_col, lat_col = spec.point
    lon = pd.to_numeric(frame[lon_col], errors="coerce").to_numpy(float)
    lat = pd.to_numeric(frame[lat_col], errors="coerce").to_numpy(float)
    todo = alive & np.isfinite(lon) & np.isfinite(lat)
    placed = geo.locate(np.where(todo, lon, np.nan), np.where(todo, lat, np.nan))
    check_given = (
        "district_code" in frame and spec.area_prefix == "" and not spec.required_area_code
    )
    given = frame["district_code"].copy() if check_given else None
    for col in placed.columns:
        frame[spec.area_prefix + col] = placed[col].to_numpy()
    outside = todo & placed["district_code"].isna().to_numpy()
    for i in np.flatnonzero(outside):
        issues.append(
            Issue(
                int(i),
                "quarantined",
                "outside",
                lon_col,
                f"point ({lon[i]:.6f}, {lat[i]:.6f}) lies outside every enabled district",
            )
        )
    if given is not None:
        differs = todo & ~outside & given.notna().to_numpy()
        differs &= given.astype(str).to_numpy() != placed["district_code"].astype(str).to_numpy()
        for i in np.flatnonzero(differs):
            issues.append(
                Issue(
                    int(i),
                    "flagged",
                    "district",
                    "district_code",
                    f"district_code {given.iloc[i]} given, the point lies in "
                    f"{placed['district_code'].iloc[i]}",
                )
            )
    return issues


def _missing_references(
    conn: Connection, spec: DatasetSpec, frame: pd.DataFrame, alive: np.ndarray
) -> list[Issue]:
    """Return a quarantine issue for each row naming an id the store does not have."""
    issues: list[Issue] = []
    for col, table, key in spec.references:
        wanted = frame.loc[alive, col].dropna().astype(str).unique().tolist()
        found: set[str] = set()
        for start in range(0, len(wanted), 5000):
            chunk = wanted[start : start + 5000]
            found.update(
                conn.execute(sa.select(table.c[key]).where(table.c[key].in_(chunk))).scalars()
            )
        unknown = alive & frame[col].notna().to_numpy() & ~frame[col].isin(found).to_numpy()
        for i in np.flatnonzero(unknown):
            issues.append(
                Issue(
                    int(i),
                    "quarantined",
                    "reference",
                    col,
                    f"{col}: {frame[col].iloc[i]} is not in the store (load {table.name} first)",
                )
            )
    return issues


def _duplicates(
    frame: pd.DataFrame, spec: DatasetSpec, alive: np.ndarray, row_numbers: list[int]
) -> tuple[list[Issue], np.ndarray]:
    """Return issues for repeated keys (the last row wins) and the mask of rows collapsed."""
    parts = [frame[k].astype(object).where(frame[k].notna(), "").astype(str) for k in spec.key]
    keys = parts[0]
    for part in parts[1:]:
        keys = keys + "\x1f" + part
    dup = keys.where(alive).duplicated(keep="last").to_numpy() & alive
    if spec.collapse_duplicates:
        return [], dup
    last = {k: i for i, k in enumerate(keys) if alive[i]}
    issues = [
        Issue(
            int(i),
            "quarantined",
            "duplicate",
            ",".join(spec.key),
            f"key {keys.iloc[i].replace(chr(31), ', ')} appears again at row "
            f"{row_numbers[last[keys.iloc[i]]]}, which is loaded",
        )
        for i in np.flatnonzero(dup)
    ]
    return issues, np.zeros(len(frame), bool)


def upsert(
    conn: Connection,
    table: sa.Table,
    frame: pd.DataFrame,
    key: tuple[str, ...],
    keep: list[str] | None = None,
) -> tuple[int, int]:
    """Insert ``frame`` into ``table``, replacing rows with the same key.

    Columns named in ``keep`` (those the file did not have) keep their stored values
    on rows that already exist.

    Portable and bulk: the rows go to a temporary table, matching rows are
    deleted, then all are inserted, inside the caller's transaction.

    Returns
    -------
    tuple[int, int]
        ``(inserted, updated)``.
    """
    if frame.empty:
        return 0, 0
    stage = sa.Table(
        f"_stage_{table.name}",
        sa.MetaData(),
        *[sa.Column(c.name, c.type) for c in table.columns if c.name in frame.columns],
        prefixes=["TEMPORARY"],
    )
    # no try/finally: after a failure the transaction is rolled back, and with it the
    # temporary table (dropping it then would hide the real error)
    stage.create(conn)
    store.bulk_insert(conn, stage, frame)
    match = sa.and_(*[table.c[k] == stage.c[k] for k in key])
    existing = conn.execute(
        sa.select(sa.func.count()).select_from(table.join(stage, match))
    ).scalar()
    for col in keep or ():  # columns the file did not have keep their stored values
        conn.execute(
            stage.update()
            .where(sa.exists().where(match))
            .values({col: sa.select(table.c[col]).where(match).scalar_subquery()})
        )
    if existing:
        conn.execute(table.delete().where(sa.exists().where(match)))
    cols = list(frame.columns)
    conn.execute(table.insert().from_select(cols, sa.select(*[stage.c[c] for c in cols])))
    stage.drop(conn)
    return len(frame) - existing, existing


def _record_status_changes(conn: Connection, cameras: pd.DataFrame, load_id: str,
                           now: dt.datetime) -> int:  # fmt: skip
    """Append a history row for each camera whose status is new or changed; return how many.

    The change is dated by the camera's ``last_seen`` when given, else by the load.
    """
    t = store.cameras
    known = pd.read_sql(sa.select(t.c.camera_id, t.c.status), conn).set_index("camera_id")["status"]
    before = cameras["camera_id"].map(known)
    changed = cameras[before.isna().to_numpy() | (before != cameras["status"]).to_numpy()]
    if changed.empty:
        return 0
    when = pd.to_datetime(changed["last_seen"]).fillna(pd.Timestamp(now))
    history = pd.DataFrame({"camera_id": changed["camera_id"].to_numpy(),
                            "changed_at": when.to_numpy(), "status": changed["status"].to_numpy(),
                            "load_id": load_id})  # fmt: skip
    store.bulk_insert(conn, store.camera_status_history, history)
    return len(history)


def _stored_frame(frame: pd.DataFrame, spec: DatasetSpec) -> pd.DataFrame:
    """Return the columns of the table, with nullable integers where the table has them."""
    cols = [c.name for c in spec.table.columns if c.name in frame.columns]
    out = frame[cols].copy()
    for c in spec.table.columns:
        if c.name in out and isinstance(c.type, sa.Integer):
            out[c.name] = pd.to_numeric(out[c.name]).astype("Int64")
        elif c.name in out and isinstance(c.type, sa.Boolean):
            out[c.name] = out[c.name].astype("boolean")
    return out


def _raw_json(raw: RawTable, i: int) -> str:
    if i < 0:
        return json.dumps({"fields": raw.malformed[-1 - i][1]}, ensure_ascii=False)
    row = raw.frame.iloc[i]
    return json.dumps(
        {str(k): (None if pd.isna(v) else v) for k, v in row.items()},
        ensure_ascii=False,
        default=str,
    )


def load_file(
    engine: Engine,
    geo: Geography,
    dataset: str,
    path: str | Path,
    *,
    crs: str = "wgs84",
    progress: Progress | None = None,
) -> LoadReport:
    """Load ``path`` as ``dataset`` into the store behind ``engine`` (read-write).

    Returns
    -------
    LoadReport
        Counts of rows read, inserted, updated, quarantined, flagged and collapsed.

    Raises
    ------
    FileRefused
        The file was refused (unreadable, wrong dataset, required columns
        missing, unknown dataset or CRS); nothing was written.
    """
    started = time.perf_counter()
    say = progress or (lambda _msg: None)
    if dataset not in DATASETS:
        raise FileRefused(f"unknown dataset {dataset!r}: one of {', '.join(DATASETS)}")
    if crs not in CRS_CHOICES:
        raise FileRefused(f"unknown CRS {crs!r}: one of {', '.join(CRS_CHOICES)}")
    spec = DATASETS[dataset]
    path = Path(path)
    say(f"reading {path.name}")
    raw = read_file(path, spec)
    report = LoadReport(
        dataset=dataset,
        file=str(path),
        format=raw.format,
        encoding=raw.encoding,
        crs=crs,
        rows_read=len(raw.frame) + len(raw.malformed),
    )
    say(f"checking {report.rows_read:,} rows")
    frame, issues, ignored = clean_table(raw, spec)
    absent = list(frame.attrs.get("absent", []))
    report.ignored_columns = ignored
    n = len(frame)

    def alive_mask() -> np.ndarray:
        dead = np.zeros(n, bool)
        for issue in issues:
            if issue.severity == "quarantined" and issue.row >= 0:
                dead[issue.row] = True
        return ~dead

    if spec.point:
        say("placing points in districts and grid cells")
        issues.extend(_place(frame, spec, geo, crs, alive_mask()))
    if spec.required_area_code:
        col = spec.required_area_code
        known = {c for c, a in geo.areas.items() if a.level == "district"}
        unknown = alive_mask() & frame[col].notna().to_numpy() & ~frame[col].isin(known).to_numpy()
        issues.extend(
            Issue(
                int(i),
                "quarantined",
                "reference",
                col,
                f"{col}: {frame[col].iloc[i]} is not a district of the province",
            )
            for i in np.flatnonzero(unknown)
        )
    load_id = uuid.uuid4().hex
    now = dt.datetime.now(TZ).replace(tzinfo=None, microsecond=0)
    with engine.begin() as conn:
        issues.extend(_missing_references(conn, spec, frame, alive_mask()))
        dup_issues, collapsed = _duplicates(frame, spec, alive_mask(), raw.row_numbers)
        issues.extend(dup_issues)
        keep = alive_mask() & ~collapsed
        say(f"writing {int(keep.sum()):,} rows")
        accepted = _stored_frame(frame[keep], spec)
        if spec.name == "cameras":
            _record_status_changes(conn, accepted, load_id, now)
        inserted, updated = upsert(conn, spec.table, accepted, spec.key, keep=absent)
        rows = [
            {
                "load_id": load_id,
                "dataset": dataset,
                "row_number": raw.row_numbers[i.row]
                if i.row >= 0
                else raw.malformed[-1 - i.row][0],
                "severity": i.severity,
                "reason": i.reason,
                "column_name": i.column,
                "message": i.message,
                "raw": _raw_json(raw, i.row),
            }
            for i in issues
        ]
        store.bulk_insert(
            conn, store.load_issues, pd.DataFrame(rows, columns=list(store.load_issues.c.keys()))
        )
        quarantined_rows = {i.row for i in issues if i.severity == "quarantined"}
        flagged_rows = {i.row for i in issues if i.severity == "flagged"} - quarantined_rows
        report.inserted, report.updated = inserted, updated
        report.quarantined = len(quarantined_rows)
        report.flagged = len(flagged_rows)
        report.collapsed = int(collapsed.sum())
        report.reasons = dict(Counter(f"{i.severity}:{i.reason}" for i in issues))
        report.load_id = load_id
        report.seconds = round(time.perf_counter() - started, 3)
        conn.execute(
            store.loads.insert().values(
                load_id=load_id,
                dataset=dataset,
                file=path.name,
                sha256=_sha256(path),
                format=raw.format,
                encoding=raw.encoding,
                crs=crs,
                started_at=now,
                finished_at=now + dt.timedelta(seconds=report.seconds),
                rows_read=report.rows_read,
                inserted=inserted,
                updated=updated,
                quarantined=report.quarantined,
                flagged=report.flagged,
                collapsed=report.collapsed,
                ignored_columns=json.dumps(ignored, ensure_ascii=False),
            )
        )
    return report
