"""Live batches of the embedded store: small immutable Parquet files readers see at once.

A DuckDB file open for writing cannot be opened by another process, and each
store version is a copy of the last (~0.5 GB at city scale), so small frequent
writes (GPS fixes, alarms, camera status, bookings) do not go into a version
each. A live writer (:class:`loaders.live.LiveWriter`) appends each batch, one
file per dataset, under ``<data_dir>/store/live/``::

    <dataset>/b<seq>.parquet   the batch's cleaned, placed rows: the table's columns
    _issues/b<seq>.parquet     its quarantined and flagged rows (``load_issues`` fields)
    SEQ                        the last sequence number given out
    MERGING                    the highest batch a merge in progress folds in
    .lock                      held while a batch is numbered and written (and its
                               dataset's batches compacted), and while a merge picks

``seq`` is 20 digits of ``time.time_ns()`` when the batch was written, above every
number given out before. A file is written under a temporary name, flushed to
disk and renamed, so a reader never sees half of one. Every
``CITYOPS_LIVE_MERGE_SECONDS`` the live writer folds the pending batches into a
new store version and records the highest seq it folded in the store's ``meta``
(:data:`MERGED_KEY`) in the same transaction; readers ignore batches at or below
the merged seq of the version they read, so a batch counts once, before and
after its merge, also when the merge stopped between publishing and deleting.
Once a dataset has many pending batches the writer rewrites them as one file
(the newest row per key, under the newest batch's number), so a reader opens a
handful of files however long the merge interval.

This module is the layout, shared by the writer and the readers
(:mod:`cityops.queries.live`); with ``CITYOPS_DATABASE_URL`` there are no batches.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from cityops import store
from cityops.clock import TZ

#: The folder of the live batches, inside the store's folder.
LIVE_FOLDER = "live"
#: The folder of the batches' quarantined rows, inside :data:`LIVE_FOLDER`.
ISSUES = "_issues"
#: The ``meta`` key holding the highest batch seq a store version has merged.
MERGED_KEY = "live_merged_seq"
_BATCH = re.compile(r"^b(\d{20})\.parquet$")


@dataclass(frozen=True)
class Batch:
    """One live batch file: its dataset, sequence number and path."""

    dataset: str
    seq: int
    path: Path

    @property
    def written_at(self) -> dt.datetime:
        """Return when the batch was written: naive Asia/Shanghai time, as the store keeps time."""
        return seq_time(self.seq)


def seq_time(seq: int) -> dt.datetime:
    """Return the naive Asia/Shanghai time of a batch sequence number (ns since the epoch)."""
    stamp = dt.datetime.fromtimestamp(seq / 1e9, TZ)
    return stamp.replace(tzinfo=None)


def batch_name(seq: int) -> str:
    """Return the file name of batch ``seq``: ``b<20 digits>.parquet``."""
    return f"b{seq:020d}.parquet"


def live_root(storage) -> Path | None:
    """Return the live batches' folder of a versioned store, None for a database server.

    ``storage`` is a :class:`cityops.store.versions.Storage` (or a stand-in with
    ``root``); one without a folder (tests' in-memory stores) has no batches.
    """
    root = getattr(storage, "root", None)
    if root is None or not getattr(storage, "versioned", False):
        return None
    return Path(root) / LIVE_FOLDER


def list_batches(root: Path | None, dataset: str, after: int = 0) -> list[Batch]:
    """Return the batches of ``dataset`` numbered above ``after``, oldest first."""
    if root is None:
        return []
    folder = root / dataset
    try:
        entries = os.scandir(folder)
    except FileNotFoundError:
        return []
    found: list[Batch] = []
    with entries:
        for entry in entries:
            match = _BATCH.match(entry.name)
            if match and int(match.group(1)) > after:
                found.append(Batch(dataset, int(match.group(1)), folder / entry.name))
    found.sort(key=lambda b: b.seq)
    return found


def issues_path(root: Path, seq: int) -> Path:
    """Return the path of batch ``seq``'s quarantined rows."""
    return root / ISSUES / batch_name(seq)


def merged_query() -> sa.Select:
    """Return the SELECT of the highest merged batch seq recorded in ``meta`` (no row: none)."""
    return sa.select(store.meta.c.value).where(store.meta.c.key == MERGED_KEY)


def merged_seq(storage) -> int:
    """Return the highest batch seq merged into the published version (0: none).

    Read through the read door, so once per store version when the cache is on.
    """
    if live_root(storage) is None:
        return 0
    from cityops.store.executor import execute

    frame = execute(storage, merged_query())
    return int(frame["value"].iloc[0]) if len(frame) else 0


def merged_seq_on(conn: sa.Connection) -> int:
    """Return the highest batch seq merged into the store behind ``conn`` (0: none)."""
    values = conn.execute(merged_query()).scalars().all()  # every row read: DuckDB wants it
    return int(values[0]) if values else 0


def pending(storage, dataset: str) -> list[Batch]:
    """Return the batches of ``dataset`` not yet merged into the published version, oldest first."""
    root = live_root(storage)
    if root is None:
        return []
    return list_batches(root, dataset, merged_seq(storage))


@contextmanager
def batch_lock(root: Path) -> Iterator[None]:
    """Hold the live folder's lock: batches are numbered and written, or picked, one at a time.

    An ``flock`` on ``.lock``: it serialises writers and merges in this process
    (each takes it through its own open file) and in others.
    """
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def next_seq(root: Path, floor: int) -> int:
    """Return a new batch number, above ``floor`` and every number given out before.

    Call it holding :func:`batch_lock`. It is ``time.time_ns()`` unless the clock
    went back; the last number given out is kept in ``SEQ``.
    """
    path = root / "SEQ"
    try:
        last = int(path.read_text(encoding="ascii").strip() or 0)
    except (FileNotFoundError, ValueError):
        last = 0
    seq = max(time.time_ns(), last + 1, floor + 1)
    tmp = root / "SEQ.tmp"
    tmp.write_text(str(seq), encoding="ascii")
    os.replace(tmp, path)
    return seq


def publish_file(data: bytes, path: Path) -> int:
    """Write ``data`` to ``path`` whole or not at all; return its size.

    Written under a temporary name, flushed to disk, renamed, and the folder
    flushed: a reader lists either no file or the complete one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
    return len(data)
