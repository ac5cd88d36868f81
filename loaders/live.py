"""The live writer: small, frequent batches of rows, validated as a department file is.

A feed (``cityops simulate``, a GPS gateway, an alarm platform) hands
:meth:`LiveWriter.write` a few rows of one dataset at a time. They go through
the loader's own step (:func:`loaders.load.prepare`: clean, place, check
references and repeated keys); rows that fail are quarantined with their reason,
never dropped.

On the embedded store a batch costs what its rows cost, not a store copy: the
accepted rows become one small immutable Parquet file and the quarantined ones
another (:mod:`cityops.store.live`), which readers (:mod:`cityops.queries.live`)
see at once; every :data:`COMPACT_AT` batches of a dataset are rewritten as one
file, so readers open few. :meth:`LiveWriter.merge` (every ``CITYOPS_LIVE_MERGE_SECONDS``)
folds the pending batches into one new store version through the normal writer
— the same lock as ``cityops load`` — writing one ``loads`` row per dataset,
the batches' quarantined rows, the derived tables and the highest batch merged,
in one transaction; then it deletes the merged files.

On a database server (``CITYOPS_DATABASE_URL``) there is nothing to copy: each
batch is one transaction through the same step (rows, quarantine, and one
``loads`` row per dataset and merge window, kept up to date), seen by readers at
once; :meth:`LiveWriter.merge` rebuilds the derived tables of the datasets
written (a rebuild scans millions of rows: once a window, not once a batch) and
closes the window. So on either store the KPIs move at the merge.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from cityops import store
from cityops.datasets import DATASETS, DatasetSpec
from cityops.geo import Geography
from cityops.store import derived
from cityops.store import live as batches
from loaders.crs import CRS_CHOICES
from loaders.load import KnownIds, _stored_frame, known_in, prepare, write_rows
from loaders.read import FileRefused, Nested, RawTable, unique_headers

Rows = pd.DataFrame | Iterable[dict]
#: Parquet metadata key holding what a merge needs to know about a batch.
_META = b"cityops"
#: A dataset's pending batches are rewritten into one file once it has this many, so a
#: reader opens a handful of files however long the merge interval (a file costs a
#: reader ~0.2 ms). Datasets with write hooks are left as written: their hooks (cameras'
#: status history) see each batch at the merge.
COMPACT_AT = 16
#: Written by a merge while it folds batches in: none up to this number may be compacted.
_MERGING = "MERGING"
_COUNTS = ("rows_read", "accepted", "quarantined", "flagged", "collapsed", "superseded")


@dataclass
class BatchReport:
    """What one :meth:`LiveWriter.write` did.

    ``rows_read = accepted + quarantined + collapsed``; flagged rows are
    accepted. ``seq`` names the batch (None when nothing was written), ``bytes``
    is what it added on disk (both files) and ``path`` its rows' file (None on a
    database server).
    """

    dataset: str
    seq: int | None = None
    rows_read: int = 0
    accepted: int = 0
    quarantined: int = 0
    flagged: int = 0
    collapsed: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    bytes: int = 0
    seconds: float = 0.0
    path: str | None = None

    def to_dict(self) -> dict:
        """Return the report as plain JSON-ready values."""
        return asdict(self)


@dataclass
class MergeReport:
    """What one :meth:`LiveWriter.merge` did.

    ``datasets`` maps each dataset merged to its ``loads`` row's counts
    (``load_id, batches, rows_read, inserted, updated, quarantined, flagged,
    collapsed``); ``bytes_copied`` is the size of the store version copied (0 on
    a database server, or when nothing was pending, in which case nothing is
    copied or published); ``version`` the version published.
    """

    batches: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    datasets: dict[str, dict] = field(default_factory=dict)
    seconds: float = 0.0
    bytes_copied: int = 0
    version: str | None = None

    @property
    def rows_written(self) -> int:
        """Return the rows inserted or updated, over every dataset."""
        return sum(d["inserted"] + d["updated"] for d in self.datasets.values())

    @property
    def quarantined(self) -> int:
        """Return the rows quarantined, over every dataset."""
        return sum(d["quarantined"] for d in self.datasets.values())

    def to_dict(self) -> dict:
        """Return the report as plain JSON-ready values."""
        return {**asdict(self), "rows_written": self.rows_written,
                "quarantined": self.quarantined}  # fmt: skip


@dataclass
class LiveStatus:
    """The live batches waiting for a merge.

    ``merged_seq`` is the highest batch the published version holds; ``pending``
    maps each dataset with batches waiting to ``{batches, rows, oldest_seq,
    newest_seq, oldest_at, newest_at}``.
    """

    merged_seq: int
    pending: dict[str, dict]
    versioned: bool = True


class _NothingToMerge(Exception):
    """Another merge took the pending batches first: the writer session is abandoned."""


@dataclass
class _Window:
    """A database server's current merge window of one dataset: its ``loads`` row's counts."""

    load_id: str
    first_seq: int
    last_seq: int
    crs: str
    batches: int = 0
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    quarantined: int = 0
    flagged: int = 0
    collapsed: int = 0

    def counts(self) -> dict:
        """Return the window's load id and counts, as :class:`MergeReport` lists them."""
        keys = ("load_id", "batches", "rows_read", "inserted", "updated", "quarantined",
                "flagged", "collapsed")  # fmt: skip
        return {k: getattr(self, k) for k in keys}


def records_table(rows: Rows) -> RawTable:
    """Return a feed's rows as the loader reads a file: cells as given, numbered from 1.

    Headers are the contract's (canonical or aliases); a list or object where one
    value belongs is kept as :class:`~loaders.read.Nested` (its row is quarantined).
    """
    if isinstance(rows, pd.DataFrame):
        frame = rows.reset_index(drop=True)
    else:
        frame = pd.DataFrame.from_records(list(rows))
    frame = frame.astype(object)
    frame = frame.where(frame.notna(), None)
    frame.columns = unique_headers([str(c) for c in frame.columns])
    nested = set()
    for name in frame.columns:
        hit = frame[name].map(lambda v: isinstance(v, dict | list | tuple)).astype(bool)
        if hit.any():
            frame[name] = frame[name].where(~hit, frame[name].map(Nested))
            nested.add(name)
    return RawTable(frame=frame, row_numbers=list(range(1, len(frame) + 1)), format="live",
                    encoding=None, nested=nested)  # fmt: skip


def _arrow_type(column: sa.Column) -> pa.DataType:
    kind = column.type
    if isinstance(kind, sa.DateTime):
        return pa.timestamp("us")
    if isinstance(kind, sa.Date):
        return pa.date32()
    if isinstance(kind, sa.Boolean):
        return pa.bool_()
    if isinstance(kind, sa.Integer):
        return pa.int64()
    if isinstance(kind, sa.Float | sa.Numeric):
        return pa.float64()
    return pa.string()


def parquet_bytes(frame: pd.DataFrame, table: sa.Table, meta: dict | None = None) -> bytes:
    """Return ``frame`` as Parquet with every column of ``table``, typed as the table types it.

    Columns the frame lacks are written empty; ``meta`` goes into the file's metadata.
    """
    schema = pa.schema([pa.field(c.name, _arrow_type(c)) for c in table.columns])
    out = frame.reindex(columns=[c.name for c in table.columns])
    out = out.astype(object).where(out.notna(), None)
    arrays = [pa.array(out[f.name].tolist(), type=f.type) for f in schema]
    data = pa.Table.from_arrays(arrays, schema=schema)
    if meta is not None:
        data = data.replace_schema_metadata({_META: json.dumps(meta)})
    sink = pa.BufferOutputStream()
    pq.write_table(data, sink)
    return sink.getvalue().to_pybytes()


def _read_batch(path: Path) -> tuple[pd.DataFrame, dict]:
    """Return a batch file's rows and its metadata."""
    data = pq.read_table(path)
    meta = json.loads((data.schema.metadata or {}).get(_META, b"{}"))
    return data.to_pandas(), meta


def _batch_meta(path: Path) -> dict:
    """Return a batch file's metadata without reading its rows."""
    return json.loads((pq.read_schema(path).metadata or {}).get(_META, b"{}"))


def _issue_seqs(batch: batches.Batch, meta: dict) -> list[int]:
    """Return the batches whose quarantine files belong to this (compacted) batch file."""
    if "issue_seqs" in meta:
        return list(meta["issue_seqs"])
    return [batch.seq] if meta.get("issues") else []


def _merging_floor(root: Path) -> int:
    """Return the highest batch a merge in progress has picked (0: none)."""
    try:
        return int((root / _MERGING).read_text(encoding="ascii").strip() or 0)
    except (FileNotFoundError, ValueError):
        return 0


class LiveWriter:
    """Writes live batches into one store, and merges them (see the module's description).

    ``geography(engine)`` returns the boundaries the rows are placed in (as
    ``cityops load`` does); ``crs`` is the coordinate system of the feed's
    lon/lat (a batch may say otherwise). One live writer per store is the
    intended use, but batches of several are numbered and merged safely.
    """

    def __init__(self, storage, *, geography: Callable[[Engine], Geography], crs: str = "wgs84",
                 max_field_chars: int | None = None):  # fmt: skip
        if crs not in CRS_CHOICES:
            raise FileRefused("refusal.unknown_crs", crs=crs, choices=", ".join(CRS_CHOICES))
        self.storage = storage
        self.geography = geography
        self.crs = crs
        values = storage.settings.values
        self.max_chars = int(max_field_chars or values.get("max_field_chars", 2000))
        self._server: Engine | None = None
        self._windows: dict[str, _Window] = {}
        self._merging = threading.Lock()
        self._serial = threading.Lock()  # a database server's batches, one at a time

    # ------------------------------------------------------------------ write
    def write(self, dataset: str, rows: Rows, *, crs: str | None = None) -> BatchReport:
        """Validate ``rows`` of ``dataset`` and write them as one batch; return what was done.

        The rows are cells as a department's file would hold them (canonical or
        Chinese headers, text or native values). Readers see the accepted rows at
        once; the quarantined ones are in the load history after the next merge
        (on a database server, at once).

        Raises
        ------
        FileRefused
            Unknown dataset or CRS, or required columns missing: nothing written.
        """
        started = time.perf_counter()
        if dataset not in DATASETS:
            raise FileRefused("refusal.unknown_dataset", dataset=dataset,
                              choices=", ".join(DATASETS))  # fmt: skip
        crs = crs or self.crs
        if crs not in CRS_CHOICES:
            raise FileRefused("refusal.unknown_crs", crs=crs, choices=", ".join(CRS_CHOICES))
        spec = DATASETS[dataset]
        raw = records_table(rows)
        report = BatchReport(dataset=dataset, rows_read=len(raw.frame))
        if raw.frame.empty:
            return report
        if self.storage.versioned:
            self._write_batch(spec, raw, crs, report)
        else:
            self._write_server(spec, raw, crs, report)
        report.seconds = round(time.perf_counter() - started, 4)
        return report

    def _known(self, conn: Connection, root: Path, merged: int) -> KnownIds:
        """Return the ids the store has, or a pending batch of the referenced dataset."""
        stored = known_in(conn)

        def known(table: sa.Table, key: str, values: list[str]) -> set[str]:
            found = stored(table, key, values)
            missing = set(values) - found
            name = next((n for n, s in DATASETS.items() if s.table is table), None)
            if missing and name is not None:
                for batch in batches.list_batches(root, name, merged):
                    ids = pq.read_table(batch.path, columns=[key]).column(key).to_pylist()
                    found |= missing & set(ids)
            return found

        return known

    def _write_batch(self, spec: DatasetSpec, raw: RawTable, crs: str,
                     report: BatchReport) -> None:  # fmt: skip
        """Write one batch of the embedded store: its rows' file, and its quarantine's."""
        storage = self.storage
        engine = storage.reader_engine()
        geo = self.geography(engine)
        root = batches.live_root(storage)
        merged = batches.merged_seq(storage)
        with engine.connect() as conn:
            prepared = prepare(raw, spec, geo, crs=crs, max_chars=self.max_chars,
                               known=self._known(conn, root, merged))  # fmt: skip
        accepted = prepared.accepted()
        counts = prepared.counts()
        issues = prepared.issue_frame("")
        meta = {"rows_read": prepared.rows_read, "accepted": len(accepted), "crs": crs,
                "absent": prepared.absent, "issues": len(issues),
                **{k: counts[k] for k in ("quarantined", "flagged", "collapsed")}}  # fmt: skip
        data = parquet_bytes(accepted, spec.table, meta)
        flawed = parquet_bytes(issues, store.load_issues) if len(issues) else None
        with batches.batch_lock(root):
            seq = batches.next_seq(root, merged)
            path = root / spec.name / batches.batch_name(seq)
            size = 0
            if flawed is not None:  # first: a batch file names its issues, never the reverse
                size += batches.publish_file(flawed, batches.issues_path(root, seq))
            size += batches.publish_file(data, path)
            self._compact(spec, root)
        report.seq, report.path, report.bytes = seq, str(path), size
        report.accepted = len(accepted)
        report.quarantined, report.flagged = counts["quarantined"], counts["flagged"]
        report.collapsed, report.reasons = counts["collapsed"], counts["reasons"]

    def _compact(self, spec: DatasetSpec, root: Path) -> None:
        """Rewrite the pending batches of ``spec`` as one file once there are :data:`COMPACT_AT`.

        Call it holding the batch lock. The rows of each key keep their newest
        version (as the merge would); the file takes the newest batch's number
        and replaces it atomically, then the others are deleted: a reader sees
        the same rows before, during (a key twice, the newest wins) and after.
        Its metadata sums the batches' counts and names the batches it
        ``covers`` (deleted next, or by the next merge if this stops first) and
        their quarantine files. Batches a merge in progress picked are left alone.
        """
        floor = max(batches.merged_seq(self.storage), _merging_floor(root))
        found = batches.list_batches(root, spec.name, floor)
        if spec.write_hooks or len(found) < COMPACT_AT:
            return
        read = [(b, *_read_batch(b.path)) for b in found]
        absent = read[0][2].get("absent", [])
        run = []
        for item in read:  # the oldest batches with the same columns
            if item[2].get("absent", []) != absent:
                break
            run.append(item)
        if len(run) < 2:
            return
        rows = pd.concat([r for _, r, _ in run], ignore_index=True)
        kept = rows.drop_duplicates(list(spec.key), keep="last")
        newest = run[-1][0]
        meta = {k: sum(int(m.get(k, 0)) for _, _, m in run) for k in _COUNTS}
        meta.update(accepted=len(kept), absent=absent, crs=run[0][2].get("crs", self.crs),
                    superseded=meta["superseded"] + len(rows) - len(kept),
                    issue_seqs=sorted({q for b, _, m in run for q in _issue_seqs(b, m)}),
                    covers=sorted({c for b, _, m in run for c in (b.seq, *m.get("covers", ()))}
                                  - {newest.seq}))  # fmt: skip
        batches.publish_file(parquet_bytes(_stored_frame(kept, spec), spec.table, meta),
                             newest.path)  # fmt: skip
        for batch, _, _ in run[:-1]:
            batch.path.unlink(missing_ok=True)

    def _server_engine(self) -> Engine:
        if self._server is None:
            self._server = store.make_engine(self.storage.url)
            store.create_schema(self._server)
        return self._server

    def _write_server(self, spec: DatasetSpec, raw: RawTable, crs: str,
                      report: BatchReport) -> None:  # fmt: skip
        """Write one batch into a database server: one transaction, seen at once."""
        engine = self._server_engine()
        geo = self.geography(engine)
        with self._serial:
            seq = time.time_ns()
            window = self._windows.get(spec.name)
            if window is None:
                window = _Window(uuid.uuid4().hex, seq, seq, crs)
            now = batches.seq_time(seq)
            name = f"live batch b{seq:020d}"
            with store.refusing_rows(name, spec.name), engine.begin() as conn:
                prepared = prepare(raw, spec, geo, crs=crs, max_chars=self.max_chars,
                                   known=known_in(conn))  # fmt: skip
                accepted = prepared.accepted()
                inserted, updated = write_rows(conn, spec, accepted, window.load_id, now,
                                               absent=prepared.absent)  # fmt: skip
                store.bulk_insert(conn, store.load_issues, prepared.issue_frame(window.load_id))
                counts = prepared.counts()
                window.last_seq, window.batches = seq, window.batches + 1
                window.rows_read += prepared.rows_read
                window.inserted += inserted
                window.updated += updated
                for k in ("quarantined", "flagged", "collapsed"):
                    setattr(window, k, getattr(window, k) + counts[k])
                conn.execute(store.loads.delete().where(store.loads.c.load_id == window.load_id))
                conn.execute(store.loads.insert().values(**_loads_row(spec.name, window, "")))
            self._windows[spec.name] = window
        report.seq, report.accepted = seq, len(accepted)
        report.quarantined, report.flagged = counts["quarantined"], counts["flagged"]
        report.collapsed, report.reasons = counts["collapsed"], counts["reasons"]

    # ------------------------------------------------------------------ merge
    def merge(self) -> MergeReport:
        """Fold every pending batch into a new store version; return what was merged.

        One writer session (the lock of ``cityops load``): per dataset, the
        batches' rows are upserted in batch order (a later batch wins), the
        dataset's write hooks run (cameras: status history, batch by batch), one
        ``loads`` row records them (file ``live:b<first>…b<last>``) and their
        quarantined rows go into ``load_issues``; the derived tables are rebuilt
        and the highest batch merged is recorded (``meta``), all in one
        transaction. After publishing, the merged files are deleted. Nothing
        pending: nothing is copied. On a database server, rebuilds the derived
        tables of the datasets written since the last merge and closes the window.

        Raises
        ------
        cityops.store.versions.NotEnoughDisk
            Too little disk for the new version: nothing changed, the batches stay.
        """
        started = time.perf_counter()
        if not self.storage.versioned:
            return self._close_windows(started)
        with self._merging:
            report = MergeReport()
            storage, root = self.storage, batches.live_root(self.storage)
            merged = batches.merged_seq(storage)
            if not any(batches.list_batches(root, name, merged) for name in DATASETS):
                report.seconds = round(time.perf_counter() - started, 3)
                return report
            current = storage.current_version()
            report.bytes_copied = current.stat().st_size if current is not None else 0
            try:
                with storage.writer() as engine, engine.begin() as conn:
                    merged = batches.merged_seq_on(conn)
                    with batches.batch_lock(root):
                        sweep(root, merged)
                        picked = {n: batches.list_batches(root, n, merged) for n in DATASETS}
                        if not any(picked.values()):
                            raise _NothingToMerge
                        last = max(b.seq for found in picked.values() for b in found)
                        (root / _MERGING).write_text(str(last), encoding="ascii")
                    with store.refusing_rows("live batches", ", ".join(
                            n for n, found in picked.items() if found)):  # fmt: skip
                        self._fold(conn, root, picked, report)
            except _NothingToMerge:
                report.bytes_copied = 0
                report.seconds = round(time.perf_counter() - started, 3)
                return report
            except BaseException:
                with batches.batch_lock(root):
                    (root / _MERGING).unlink(missing_ok=True)
                raise
            report.version = storage.version_label()
            with batches.batch_lock(root):
                (root / _MERGING).unlink(missing_ok=True)
                sweep(root, report.last_seq)
            report.seconds = round(time.perf_counter() - started, 3)
            return report

    def _fold(self, conn: Connection, root: Path, picked: dict[str, list[batches.Batch]],
              report: MergeReport) -> None:  # fmt: skip
        """Apply the picked batches in the merge's transaction, filling ``report``."""
        seqs = [b.seq for found in picked.values() for b in found]
        report.batches, report.first_seq, report.last_seq = len(seqs), min(seqs), max(seqs)
        rebuild: list[str] = []
        for name, found in picked.items():
            if not found:
                continue
            spec = DATASETS[name]
            window = _Window(uuid.uuid4().hex, found[0].seq, found[-1].seq, "wgs84",
                             batches=len(found))  # fmt: skip
            read = [(b, *_read_batch(b.path)) for b in found]
            window.crs = read[0][2].get("crs", "wgs84")
            for _, _, meta in read:
                window.rows_read += int(meta.get("rows_read", 0))
                for k in ("quarantined", "flagged", "collapsed"):
                    setattr(window, k, getattr(window, k) + int(meta.get(k, 0)))
            superseded = sum(int(meta.get("superseded", 0)) for _, _, meta in read)
            for batch, rows, absent in _runs(spec, read):
                before = len(rows)
                rows = rows.drop_duplicates(list(spec.key), keep="last")
                superseded += before - len(rows)
                inserted, updated = write_rows(conn, spec, _stored_frame(rows, spec),
                                               window.load_id, batch.written_at,
                                               absent=absent)  # fmt: skip
                window.inserted += inserted
                window.updated += updated
            if spec.collapse_duplicates:  # the same fix sent in two batches
                window.collapsed += superseded
            else:  # a row written, then changed by a later batch
                window.updated += superseded
            flawed = [pq.read_table(batches.issues_path(root, seq)).to_pandas()
                      for b, _, meta in read for seq in _issue_seqs(b, meta)]  # fmt: skip
            if flawed:
                issues = pd.concat(flawed, ignore_index=True).assign(load_id=window.load_id)
                store.bulk_insert(conn, store.load_issues, issues)
            digest = hashlib.sha256()
            for b, _, _ in read:
                digest.update(b.path.read_bytes())
            conn.execute(store.loads.insert().values(**_loads_row(name, window,
                                                                  digest.hexdigest())))  # fmt: skip
            report.datasets[name] = window.counts()
            rebuild += [d for d in spec.derived if d not in rebuild]
        derived.refresh(conn, tuple(rebuild))
        conn.execute(store.meta.delete().where(store.meta.c.key == batches.MERGED_KEY))
        conn.execute(store.meta.insert().values(key=batches.MERGED_KEY, value=str(report.last_seq)))

    def _close_windows(self, started: float) -> MergeReport:
        """Rebuild the derived tables a database server's window changed; close the window.

        The batches' rows are in the tables already.
        """
        with self._serial:
            windows = dict(self._windows)
            rebuild: list[str] = []
            for name in windows:
                rebuild += [d for d in DATASETS[name].derived if d not in rebuild]
            if rebuild:
                with self._server_engine().begin() as conn:
                    derived.refresh(conn, tuple(rebuild))
            self._windows = {}
        report = MergeReport(version="server")
        for name, w in windows.items():
            report.batches += w.batches
            report.first_seq = min(report.first_seq or w.first_seq, w.first_seq)
            report.last_seq = max(report.last_seq or w.last_seq, w.last_seq)
            report.datasets[name] = w.counts()
        report.seconds = round(time.perf_counter() - started, 3)
        return report

    # ----------------------------------------------------------------- status
    def status(self) -> LiveStatus:
        """Return the batches waiting for a merge, per dataset (none on a database server)."""
        return live_status(self.storage)

    def close(self) -> None:
        """Release the database server's engine (the embedded store holds nothing open)."""
        if self._server is not None:
            self._server.dispose()
            self._server = None


def _runs(spec: DatasetSpec, read: list[tuple[batches.Batch, pd.DataFrame, dict]]):
    """Yield ``(last batch, rows, absent columns)`` to upsert, in batch order.

    Consecutive batches with the same absent columns are upserted together; a
    dataset with write hooks (cameras' status history) batch by batch, so each
    change is recorded against the state before it.
    """
    run: list[tuple[batches.Batch, pd.DataFrame]] = []
    absent: list[str] | None = None
    for batch, rows, meta in read:
        these = list(meta.get("absent", []))
        if run and (spec.write_hooks or these != absent):
            yield run[-1][0], pd.concat([r for _, r in run], ignore_index=True), absent
            run = []
        run.append((batch, rows))
        absent = these
    if run:
        yield run[-1][0], pd.concat([r for _, r in run], ignore_index=True), absent


def _loads_row(dataset: str, window: _Window, sha256: str) -> dict:
    """Return the ``loads`` row recording a merge window of one dataset."""
    return dict(
        load_id=window.load_id,
        dataset=dataset,
        file=f"live:b{window.first_seq:020d}…b{window.last_seq:020d}",
        sha256=sha256,
        format="live",
        encoding=None,
        crs=window.crs,
        started_at=batches.seq_time(window.first_seq),
        finished_at=batches.seq_time(window.last_seq),
        rows_read=window.rows_read,
        inserted=window.inserted,
        updated=window.updated,
        quarantined=window.quarantined,
        flagged=window.flagged,
        collapsed=window.collapsed,
        ignored_columns="[]",
        status="accepted",
        warnings="[]",
    )


def sweep(root: Path, merged: int | None) -> list[Path]:
    """Delete what no reader or merge may use any more; return the files deleted.

    Batches at or below ``merged`` (a merge stopped between publishing and
    deleting), batches a compacted file covers (a compaction stopped between
    writing and deleting) and quarantine files no batch names (a write stopped
    between its two files). Call it holding :func:`cityops.store.live.batch_lock`.
    """
    deleted: list[Path] = []
    if merged is None:
        return deleted
    alive: list[tuple[batches.Batch, dict]] = []
    for name in DATASETS:
        for batch in batches.list_batches(root, name):
            if batch.seq <= merged:
                batch.path.unlink(missing_ok=True)
                deleted.append(batch.path)
            else:
                alive.append((batch, _batch_meta(batch.path)))
    covered = {c for _, meta in alive for c in meta.get("covers", ())}
    named: set[int] = set()
    for batch, meta in alive:
        if batch.seq in covered:
            batch.path.unlink(missing_ok=True)
            deleted.append(batch.path)
        else:
            named.update(_issue_seqs(batch, meta))
    for batch in batches.list_batches(root, batches.ISSUES):
        if batch.seq not in named:
            batch.path.unlink(missing_ok=True)
            deleted.append(batch.path)
    return deleted


def live_status(storage) -> LiveStatus:
    """Return the batches of ``storage`` waiting for a merge, per dataset."""
    root = batches.live_root(storage)
    if root is None:
        return LiveStatus(0, {}, versioned=False)
    merged = batches.merged_seq(storage)
    pending: dict[str, dict] = {}
    for name in DATASETS:
        found = batches.list_batches(root, name, merged)
        if not found:
            continue
        rows = 0
        for b in found:
            try:
                rows += pq.read_metadata(b.path).num_rows
            except FileNotFoundError:  # merged meanwhile
                continue
        oldest, newest = found[0], found[-1]
        pending[name] = {"batches": len(found), "rows": rows,
                         "oldest_seq": oldest.seq, "newest_seq": newest.seq,
                         "oldest_at": oldest.written_at,
                         "newest_at": newest.written_at}  # fmt: skip
    return LiveStatus(merged, pending)
