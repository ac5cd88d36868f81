"""Load one department file into the store: read → clean → place → check → upsert.

A load is one transaction: it fully applies (good rows upserted by key, bad rows
in the quarantine with their reason, a row in ``loads``) or changes nothing.
A file that cannot be read at all raises :class:`FileRefused` before anything
is written; :func:`record_refusal` then writes the refusal into the load history
(in its own transaction), so a nightly import can see which file was rejected
and why. :func:`load_into` does both on a :class:`~cityops.store.versions.Storage`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
import uuid
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from cityops import store
from cityops.clock import TZ
from cityops.datasets import DATASETS, DatasetSpec
from cityops.geo import Geography
from cityops.store import derived
from cityops.text.i18n import t
from loaders.clean import MAX_FIELD_CHARS, Issue, clean_table, issue
from loaders.crs import CRS_CHOICES, to_wgs84
from loaders.hooks import HOOKS
from loaders.read import FORMATS, FileRefused, RawTable, crs_mentioned, read_file

Progress = Callable[[str], None]


@dataclass
class LoadReport:
    """What one load did. ``to_dict`` is the ``--json`` output.

    ``sheet`` is the Excel sheet read and ``skipped_sheets`` the others;
    ``delimiter`` the CSV separator found; ``warnings`` what the data officer
    should check although the file was accepted (e.g. a title naming Amap
    coordinates while the file was read as WGS84); ``normalised`` counts what
    was normalised rather than stored as found (``invisible_characters``,
    ``nul_bytes``, ``decimal_commas``, ``thousands_separators``,
    ``merged_cells_filled``, ``cr_line_endings``, ``line_breaks_in_values``).
    """

    dataset: str
    file: str
    status: str = "accepted"
    format: str = ""
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    skipped_sheets: list[str] = field(default_factory=list)
    crs: str = "wgs84"
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    quarantined: int = 0
    flagged: int = 0
    collapsed: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)
    normalised: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    load_id: str = ""
    warnings: list[str] = field(default_factory=list)
    warning_keys: list[dict] = field(default_factory=list, repr=False)  # i18n key + params

    def to_dict(self) -> dict:
        """Return the report as plain JSON-ready values."""
        out = asdict(self)
        out.pop("warning_keys")
        return out

    def warn(self, key: str, **params: object) -> None:
        """Add a warning: its English text, and its i18n key and parameters for pages."""
        params = {k: " ".join(str(v).split()) for k, v in params.items()}
        self.warnings.append(t(key, "en", **params))
        self.warning_keys.append({"key": key, "params": params})


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
        frame[spec.area_prefix + col] = placed[col].array
    outside = todo & placed["district_code"].isna().to_numpy()
    for i in np.flatnonzero(outside):
        issues.append(issue(int(i), "quarantined", "outside", lon_col, "issue.outside",
                            lon=f"{lon[i]:.6f}", lat=f"{lat[i]:.6f}"))  # fmt: skip
    if given is not None:
        differs = todo & ~outside & given.notna().to_numpy()
        differs &= given.astype(str).to_numpy() != placed["district_code"].astype(str).to_numpy()
        for i in np.flatnonzero(differs):
            issues.append(
                issue(int(i), "flagged", "district", "district_code", "issue.district",
                      given=given.iloc[i], placed=placed["district_code"].iloc[i])
            )  # fmt: skip
    return issues


#: Which of ``values`` the store has in ``table.key``: ``known(table, key, values) -> set``.
KnownIds = Callable[[sa.Table, str, list[str]], set[str]]


def known_in(conn: Connection) -> KnownIds:
    """Return a :data:`KnownIds` asking the store behind ``conn`` (5,000 ids a statement)."""

    def known(table: sa.Table, key: str, values: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(values), 5000):
            chunk = values[start : start + 5000]
            found.update(
                conn.execute(sa.select(table.c[key]).where(table.c[key].in_(chunk))).scalars()
            )
        return found

    return known


def _missing_references(
    known: KnownIds, spec: DatasetSpec, frame: pd.DataFrame, alive: np.ndarray
) -> list[Issue]:
    """Return a quarantine issue for each row naming an id the store does not have."""
    issues: list[Issue] = []
    for col, table, key in spec.references:
        wanted = frame.loc[alive, col].dropna().astype(str).unique().tolist()
        found = known(table, key, wanted) if wanted else set()
        unknown = alive & frame[col].notna().to_numpy() & ~frame[col].isin(found).to_numpy()
        for i in np.flatnonzero(unknown):
            issues.append(
                issue(int(i), "quarantined", "reference", col, "issue.reference",
                      column=col, value=frame[col].iloc[i], table=table.name)
            )  # fmt: skip
    return issues


def _duplicates(
    frame: pd.DataFrame, spec: DatasetSpec, alive: np.ndarray, row_numbers: list[int]
) -> tuple[list[Issue], np.ndarray]:
    """Return issues for repeated keys (the last row wins) and the mask of rows collapsed.

    Keys compare by value (a missing part equals a missing part), among the rows
    still alive; vectorised, so a 5M-row file costs a hash of its keys.
    """
    key = list(spec.key)
    where = np.flatnonzero(alive)
    keys = frame[key].iloc[where]
    repeated = keys.duplicated(keep="last").to_numpy()
    dup = np.zeros(len(frame), bool)
    dup[where[repeated]] = True
    if spec.collapse_duplicates:
        return [], dup
    if not repeated.any():
        return [], dup
    group = keys.groupby(key, dropna=False, sort=False).ngroup().to_numpy()
    last = pd.Series(where).groupby(group).max()  # the row each key's repeats give way to

    def shown(i: int) -> str:
        return ", ".join("" if _missing(v) else str(v) for v in frame[key].iloc[i])

    issues = [
        issue(int(i), "quarantined", "duplicate", ",".join(spec.key), "issue.duplicate",
              ids=shown(i), row=row_numbers[int(last[g])])
        for i, g in zip(where[repeated], group[repeated], strict=True)
    ]  # fmt: skip
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
    if store.is_duckdb(conn):
        done = _upsert_duckdb(conn, table, frame, key, keep)
        if done is not None:
            return done
    stage = sa.Table(
        f"_stage_{table.name}",
        sa.MetaData(),
        *[sa.Column(c.name, c.type) for c in table.columns if c.name in frame.columns],
        prefixes=["TEMPORARY"],
    )
    # no try/finally: after a failure the transaction is rolled back, and with it the
    # temporary table (dropping it then would hide the real error)
    stage.create(conn)
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        _copy_into(conn, stage, frame)
    else:
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


def _copy_into(conn: Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    """Write ``frame`` into ``table`` with PostgreSQL's ``COPY`` (psycopg), in the transaction.

    Several times faster than a parameterised ``executemany``; values are adapted
    by psycopg as for a parameter (missing ones NULL).
    """
    cols = ", ".join(f'"{c}"' for c in frame.columns)
    rows = frame.astype(object).where(frame.notna(), None)
    cursor = conn.connection.driver_connection.cursor()
    with cursor, cursor.copy(f'COPY "{table.name}" ({cols}) FROM STDIN') as copy:
        for row in rows.itertuples(index=False, name=None):
            copy.write_row(row)


def _upsert_duckdb(conn: Connection, table: sa.Table, frame: pd.DataFrame, key: tuple[str, ...],
                   keep: list[str] | None) -> tuple[int, int] | None:  # fmt: skip
    """:func:`upsert` on DuckDB straight from the frame (no staging copy); None if it cannot.

    DuckDB reads the frame in place: the rows are matched, the old ones deleted
    and the new ones inserted in the caller's transaction. Rows that already
    exist while the file lacks some columns (``keep``) need the staging table.
    """
    raw = conn.connection.driver_connection
    view = f"_cityops_rows_{table.name}"
    raw.register(view, frame)
    try:
        match = " AND ".join(f't."{k}" = f."{k}"' for k in key)
        existing = raw.execute(
            f'SELECT count(*) FROM "{table.name}" t JOIN "{view}" f ON {match}'
        ).fetchall()[0][0]
        if existing and keep:
            raw.unregister(view)
            return None
        if existing:
            raw.execute(f'DELETE FROM "{table.name}" t WHERE EXISTS '
                        f'(SELECT 1 FROM "{view}" f WHERE {match})').fetchall()  # fmt: skip
        cols = ", ".join(f'"{c}"' for c in frame.columns)
        raw.execute(f'INSERT INTO "{table.name}" ({cols}) SELECT {cols} FROM "{view}"').fetchall()
    except BaseException:
        # the database refused the rows: the transaction is aborted, and unregistering
        # would raise in its place (hiding which rows and column were refused)
        with suppress(Exception):
            raw.unregister(view)
        raise
    raw.unregister(view)
    return len(frame) - existing, existing


def _stored_frame(frame: pd.DataFrame, spec: DatasetSpec) -> pd.DataFrame:
    """Return the columns of the table, with nullable integers where the table has them."""
    cols = [c.name for c in spec.table.columns if c.name in frame.columns]
    out = frame[cols]  # a new frame: converting its columns leaves ``frame`` alone
    for c in spec.table.columns:
        if c.name in out and isinstance(c.type, sa.Integer):
            out[c.name] = pd.to_numeric(out[c.name]).astype("Int64")
        elif c.name in out and isinstance(c.type, sa.Boolean):
            out[c.name] = out[c.name].astype("boolean")
    return out


def keyed_fields(headers: list[str], fields: list[str]) -> dict[str, str]:
    """Return a malformed row's fields keyed by the file's headers.

    Fields beyond the header are keyed ``(extra 1)``, ``(extra 2)``…; a header
    repeated in the file gets `` (2)``, `` (3)``… so no field is lost.
    """
    out: dict[str, str] = {}
    for n, value in enumerate(fields):
        name = str(headers[n]) if n < len(headers) else f"(extra {n - len(headers) + 1})"
        key, k = name, 1
        while key in out:
            k += 1
            key = f"{name} ({k})"
        out[key] = value
    return out


def _clip(value: object, limit: int) -> object:
    """Return ``value``, a text longer than ``limit`` cut there and saying how long it was."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]}… ({len(value):,} characters)"
    return value


def _raw_json(raw: RawTable, i: int, limit: int = MAX_FIELD_CHARS) -> str:
    """Return row ``i`` as read, keyed by the file's headers; overlong values cut at ``limit``."""
    if i < 0:
        fields = [_clip(f, limit) for f in raw.malformed[-1 - i].fields]
        return json.dumps(keyed_fields(list(raw.frame.columns), fields), ensure_ascii=False,
                          default=str)  # fmt: skip
    row = raw.frame.iloc[i]
    return json.dumps(
        {str(k): (None if _missing(v) else _clip(v, limit)) for k, v in row.items()},
        ensure_ascii=False,
        default=str,
    )


def _missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or array
        return False


@dataclass
class Prepared:
    """Rows read, cleaned, placed and checked: what a load (or a live batch) would write.

    ``frame`` holds every row typed (the spec's columns plus the area columns),
    ``issues`` the quarantined and flagged rows with their reason, ``keep`` the
    rows to write and ``collapsed`` the repeated rows kept once (GPS fixes);
    ``absent`` names the dataset's optional columns the input did not have
    (rows that exist keep their stored values there).
    """

    spec: DatasetSpec
    raw: RawTable
    frame: pd.DataFrame
    issues: list[Issue]
    ignored: list[str]
    absent: list[str]
    keep: np.ndarray
    collapsed: np.ndarray
    max_chars: int

    @property
    def rows_read(self) -> int:
        """Return the number of rows read, malformed ones included."""
        return len(self.raw.frame) + len(self.raw.malformed)

    def accepted(self) -> pd.DataFrame:
        """Return the rows to write: the table's columns, typed as the table stores them."""
        frame = self.frame if self.keep.all() else self.frame[self.keep]
        return _stored_frame(frame, self.spec)

    def counts(self) -> dict[str, object]:
        """Return ``quarantined, flagged, collapsed`` (rows) and ``reasons`` (issues by reason)."""
        quarantined = {i.row for i in self.issues if i.severity == "quarantined"}
        flagged = {i.row for i in self.issues if i.severity == "flagged"} - quarantined
        return {
            "quarantined": len(quarantined),
            "flagged": len(flagged),
            "collapsed": int(self.collapsed.sum()),
            "reasons": dict(Counter(f"{i.severity}:{i.reason}" for i in self.issues)),
        }

    def issue_frame(self, load_id: str) -> pd.DataFrame:
        """Return the issues as rows of ``load_issues`` (the raw row as JSON), under ``load_id``."""
        raw = self.raw
        rows = [
            {
                "load_id": load_id,
                "dataset": self.spec.name,
                "row_number": raw.row_numbers[i.row]
                if i.row >= 0
                else raw.malformed[-1 - i.row][0],
                "severity": i.severity,
                "reason": i.reason,
                "column_name": i.column,
                "message": i.message,
                "raw": _raw_json(raw, i.row, self.max_chars),
                "message_key": i.key,
                "message_args": json.dumps(i.params, ensure_ascii=False) if i.key else None,
            }
            for i in self.issues
        ]
        return pd.DataFrame(rows, columns=list(store.load_issues.c.keys()))


def prepare(
    raw: RawTable,
    spec: DatasetSpec,
    geo: Geography,
    *,
    crs: str,
    max_chars: int,
    known: KnownIds,
    progress: Progress | None = None,
) -> Prepared:
    """Clean, place and check ``raw`` as ``spec``: the step a file load and a live batch share.

    Every cell is typed and checked (:func:`loaders.clean.clean_table`), points
    are converted to WGS84 and placed in a district and grid cell, a required
    district code must name a known district, referenced ids must be ``known``
    (the store's, and for live batches the pending ones too) and a key repeated
    in the input keeps its last row. Nothing is written.

    Returns
    -------
    Prepared
        The typed rows, their issues and which rows to write.

    Raises
    ------
    FileRefused
        Required columns are missing (or the input is another dataset's).
    """
    say = progress or (lambda _msg: None)
    frame, issues, ignored = clean_table(raw, spec, max_chars=max_chars)
    n = len(frame)

    def alive_mask() -> np.ndarray:
        dead = np.zeros(n, bool)
        for problem in issues:
            if problem.severity == "quarantined" and problem.row >= 0:
                dead[problem.row] = True
        return ~dead

    if spec.point:
        say("placing points in districts and grid cells")
        issues.extend(_place(frame, spec, geo, crs, alive_mask()))
    if spec.required_area_code:
        col = spec.required_area_code
        districts = {c for c, a in geo.areas.items() if a.level == "district"}
        unknown = (
            alive_mask() & frame[col].notna().to_numpy() & ~frame[col].isin(districts).to_numpy()
        )
        issues.extend(
            issue(int(i), "quarantined", "reference", col, "issue.not_district",
                  column=col, value=frame[col].iloc[i])
            for i in np.flatnonzero(unknown)
        )  # fmt: skip
    issues.extend(_missing_references(known, spec, frame, alive_mask()))
    dup_issues, collapsed = _duplicates(frame, spec, alive_mask(), raw.row_numbers)
    issues.extend(dup_issues)
    return Prepared(
        spec=spec,
        raw=raw,
        frame=frame,
        issues=issues,
        ignored=ignored,
        absent=list(frame.attrs.get("absent", [])),
        keep=alive_mask() & ~collapsed,
        collapsed=collapsed,
        max_chars=max_chars,
    )


def write_rows(
    conn: Connection,
    spec: DatasetSpec,
    rows: pd.DataFrame,
    load_id: str,
    now: dt.datetime,
    *,
    absent: list[str] | None = None,
) -> tuple[int, int]:
    """Write accepted rows of ``spec`` in the caller's transaction; return ``(inserted, updated)``.

    The dataset's write hooks run first, seeing the store as it was (cameras'
    status history), then the rows are upserted by key; ``absent`` columns keep
    their stored values on rows that exist. Derived tables are the caller's to
    refresh (once per transaction).
    """
    for hook in spec.write_hooks:  # e.g. cameras' status history, from the store as it was
        HOOKS[hook](conn, rows, load_id, now)
    return upsert(conn, spec.table, rows, spec.key, keep=absent)


def load_file(
    engine: Engine,
    geo: Geography,
    dataset: str,
    path: str | Path,
    *,
    crs: str = "wgs84",
    sheet: str | None = None,
    encoding: str | None = None,
    max_field_chars: int | None = None,
    progress: Progress | None = None,
) -> LoadReport:
    """Load ``path`` as ``dataset`` into the store behind ``engine`` (read-write).

    ``sheet`` (Excel) names the sheet to read or gives its number from 1; by
    default the first sheet holding the dataset's header. ``encoding`` (CSV)
    decodes strictly with that encoding instead of detecting UTF-8 or GB18030.
    ``max_field_chars`` is the longest value a cell may hold (default: the
    ``CITYOPS_MAX_FIELD_CHARS`` setting).

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
        raise FileRefused("refusal.unknown_dataset", dataset=dataset, choices=", ".join(DATASETS))
    if crs not in CRS_CHOICES:
        raise FileRefused("refusal.unknown_crs", crs=crs, choices=", ".join(CRS_CHOICES))
    spec = DATASETS[dataset]
    path = Path(path)
    say(f"reading {path.name}")
    if max_field_chars is None:
        from cityops.settings import get_settings

        max_field_chars = get_settings().max_field_chars
    raw = read_file(path, spec, sheet=sheet, encoding=encoding)
    report = LoadReport(
        dataset=dataset,
        file=str(path),
        format=raw.format,
        encoding=raw.encoding,
        delimiter=raw.delimiter,
        sheet=raw.sheet,
        skipped_sheets=list(raw.skipped_sheets),
        crs=crs,
        rows_read=len(raw.frame) + len(raw.malformed),
    )
    if sheet is not None and raw.format != "xlsx":
        report.warn("warning.sheet_ignored", fmt=raw.format)
    if encoding and raw.format != "csv":
        report.warn("warning.encoding_ignored", fmt=raw.format)
    if spec.point:
        _warn_about_crs(report, raw)
    say(f"checking {report.rows_read:,} rows")
    load_id = uuid.uuid4().hex
    now = dt.datetime.now(TZ).replace(tzinfo=None, microsecond=0)
    # a database error names the file, the dataset and the column, never a row's values
    with store.refusing_rows(path.name, dataset), engine.begin() as conn:
        prepared = prepare(raw, spec, geo, crs=crs, max_chars=max_field_chars,
                           known=known_in(conn), progress=say)  # fmt: skip
        report.normalised = dict(prepared.frame.attrs.get("normalised", {}))
        _warn_about_normalising(report, prepared.frame.attrs.get("notes", []))
        report.ignored_columns = prepared.ignored
        accepted = prepared.accepted()
        say(f"writing {len(accepted):,} rows")
        inserted, updated = write_rows(conn, spec, accepted, load_id, now,
                                       absent=prepared.absent)  # fmt: skip
        store.bulk_insert(conn, store.load_issues, prepared.issue_frame(load_id))
        derived.refresh(conn, spec.derived)  # same transaction: never out of step with the rows
        counts = prepared.counts()
        report.inserted, report.updated = inserted, updated
        report.quarantined = counts["quarantined"]
        report.flagged = counts["flagged"]
        report.collapsed = counts["collapsed"]
        report.reasons = counts["reasons"]
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
                ignored_columns=json.dumps(prepared.ignored, ensure_ascii=False),
                status="accepted",
                warnings=json.dumps(
                    [
                        {"message": m, **k}
                        for m, k in zip(report.warnings, report.warning_keys, strict=True)
                    ],
                    ensure_ascii=False,
                ),
            )
        )
    return report


def _warn_about_normalising(report: LoadReport, notes: list[tuple[str, str, int, str]]) -> None:
    """Say in the report what was normalised rather than stored as found.

    Invisible characters removed (which, and from which columns), numbers read
    with a decimal comma, merged cells filled down, values a bare CR had split.
    """
    invisible = [(c, n, d) for c, what, n, d in notes if what == "invisible"]
    if invisible:
        chars: Counter = Counter()
        for _, _, detail in invisible:
            for part in detail.split(", "):
                name, _, count = part.partition(" ×")
                chars[name] += int(count or 0)
        report.warn("warning.invisible", count=sum(n for _, n, _ in invisible),
                    chars=", ".join(f"{c} ×{n}" for c, n in chars.most_common()),
                    columns=", ".join(c for c, _, _ in invisible))  # fmt: skip
    for what, key in (("decimal_commas", "warning.decimal_comma"),
                      ("merged", "warning.merged_filled")):  # fmt: skip
        found = [(c, n) for c, w, n, _ in notes if w == what]
        if found:
            report.warn(key, count=sum(n for _, n in found),
                        columns=", ".join(c for c, _ in found))  # fmt: skip
    if report.normalised.get("line_breaks_in_values"):
        report.warn("warning.cr_in_values", count=report.normalised["line_breaks_in_values"])


def _warn_about_crs(report: LoadReport, raw: RawTable) -> None:
    """Warn when a title line or a header names another coordinate system than ``--crs``.

    A file titled "…（高德坐标）" read as WGS84 is placed some 500 m off; it is
    still loaded (the title may be stale), but the report says so.
    """
    for key, texts in (("warning.crs_title", raw.title_lines),
                       ("warning.crs_header", [str(c) for c in raw.frame.columns])):  # fmt: skip
        for text in texts:
            named = crs_mentioned(text)
            systems = {c for _, c in named}
            if not named or report.crs in systems:
                continue
            word, crs = next((w, c) for w, c in named if c != "wgs84")
            report.warn(key, text=text[:80], hint=word, crs=crs, given=report.crs)
            return


def record_refusal(engine: Engine, dataset: str, path: str | Path, refusal: FileRefused, *,
                   crs: str = "wgs84") -> str:  # fmt: skip
    """Record a refused file in the load history (``status`` refused); return its load id.

    Nothing else changes: no dataset row, no quarantine row. The counts are 0 and
    ``refusal`` holds the one-line reason (``refusal_key``/``refusal_args`` for pages).
    """
    path = Path(path)
    load_id = uuid.uuid4().hex
    now = dt.datetime.now(TZ).replace(tzinfo=None)
    try:
        digest = _sha256(path) if path.is_file() else ""
    except OSError:
        digest = ""
    with engine.begin() as conn:
        conn.execute(
            store.loads.insert().values(
                load_id=load_id,
                dataset=dataset[:40],
                file=path.name or str(path),
                sha256=digest,
                format=(FORMATS.get(path.suffix.lower()) or path.suffix.lower().lstrip("."))[:10],
                encoding=None,
                crs=crs[:10],
                started_at=now,
                finished_at=now,
                rows_read=0,
                inserted=0,
                updated=0,
                quarantined=0,
                flagged=0,
                collapsed=0,
                ignored_columns="[]",
                status="refused",
                refusal=str(refusal),
                refusal_key=refusal.key,
                refusal_args=json.dumps(refusal.params, ensure_ascii=False),
            )
        )
    refusal.load_id = load_id
    return load_id


def load_into(storage, dataset: str, path: str | Path, *, geography: Callable[[Engine], Geography],
              crs: str = "wgs84", sheet: str | None = None, encoding: str | None = None,
              progress: Progress | None = None) -> LoadReport:  # fmt: skip
    """Load a file into ``storage`` (a :class:`cityops.store.versions.Storage`), recording refusals.

    The load runs in one writer session; if the file is refused, that session
    changes nothing and a second one records the refusal in the load history,
    so the refusal is published (the versioned store publishes only writer
    sessions that succeed).

    Raises
    ------
    FileRefused
        The file was refused; its ``load_id`` names the refusal's row in ``loads``
        (None, and ``record_error`` says why, if the refusal could not be recorded).
    """
    try:
        with storage.writer() as engine:
            limit = getattr(storage, "settings", None)
            limit = limit.values.get("max_field_chars") if limit is not None else None
            return load_file(engine, geography(engine), dataset, path, crs=crs, sheet=sheet,
                             encoding=encoding, max_field_chars=limit,
                             progress=progress)  # fmt: skip
    except FileRefused as refusal:
        try:
            with storage.writer() as engine:
                record_refusal(engine, dataset, path, refusal, crs=crs)
        except Exception as exc:  # the refusal stands; say it could not be recorded
            refusal.record_error = store.safe_error(exc)  # one line, no statement, no value
        raise
