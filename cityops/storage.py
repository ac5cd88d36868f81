"""Where the store lives, how readers find it and how writers change it.

Embedded DuckDB (the default) allows one writing process per file, and a file
open for writing cannot be opened by any other process. So the embedded store
is *versioned*: ``<data_dir>/store/`` holds immutable ``v….duckdb`` files and a
``CURRENT`` file naming the published one.

* Readers (web workers, any number of processes) open the current version
  read-only and check ``CURRENT`` on every request; a new version is picked up
  by the next request, an old one is never changed under them.
* A writer (``cityops init | demo | load``) takes an exclusive lock, copies the
  current version to a new file, applies its change there in one transaction,
  then publishes it by atomically replacing ``CURRENT``. If it fails or is
  killed, ``CURRENT`` still names the old version: nothing half-applied is
  ever visible. The previous versions are kept a while for readers that still
  have them open.

With ``CITYOPS_DATABASE_URL`` (PostgreSQL for a shared deployment) the server's
own transactions and MVCC give the same guarantees, and there are no versions.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cityops import store
from cityops.settings import Settings

#: Published versions kept besides the current one, and for at least this long.
KEEP_VERSIONS = 2
KEEP_SECONDS = 600


class StoreMissing(RuntimeError):
    """The store has not been created yet (run ``cityops init``)."""


class Storage:
    """The store of one configuration: reader engines and the writer."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.url = settings.values["database_url"]
        self.root = Path(settings.values["data_dir"]).resolve() / "store"
        self._lock = threading.Lock()
        self._engine: Engine | None = None
        self._engine_key: str | None = None

    @property
    def versioned(self) -> bool:
        """Return True for the embedded, versioned DuckDB store."""
        return not self.url

    # ---------------------------------------------------------------- readers
    def current_version(self) -> Path | None:
        """Return the path of the published version, or None if there is none."""
        pointer = self.root / "CURRENT"
        try:
            name = pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return self.root / name

    def reader_engine(self) -> Engine:
        """Return a read-only engine on the current version (cached until it changes).

        Raises :class:`StoreMissing` when nothing has been published yet.
        """
        if not self.versioned:
            key = self.url
        else:
            current = self.current_version()
            if current is None:
                raise StoreMissing("the store is empty: run `cityops init` first")
            key = str(current)
        with self._lock:
            if key != self._engine_key:
                old = self._engine
                url = self.url or f"duckdb:///{key}"
                self._engine = store.make_engine(url, read_only=self.versioned)
                self._engine_key = key
                if old is not None:
                    old.dispose()  # checked-out connections close when returned
            return self._engine

    def data_revision(self) -> str:
        """Return an identifier that changes whenever the data changes.

        The version for the embedded store; for a database server, the newest load.
        """
        if self.versioned:
            return self.version_label()
        with self.reader_engine().connect() as conn:
            newest = conn.execute(
                sa.select(sa.func.max(store.loads.c.finished_at), sa.func.count())
            ).one()
        return f"{newest[0]}/{newest[1]}"

    def version_label(self) -> str:
        """Return an identifier of what readers see now (changes on every publish)."""
        if not self.versioned:
            return "server"
        current = self.current_version()
        return current.stem if current else "none"

    # ---------------------------------------------------------------- writers
    @contextmanager
    def writer(self) -> Iterator[Engine]:
        """Yield a read-write engine whose changes are published only on success.

        Writers are serialised by an exclusive file lock. The schema is created
        (idempotently) before the caller's change.
        """
        if not self.versioned:
            engine = store.make_engine(self.url)
            try:
                store.create_schema(engine)
                yield engine
            finally:
                engine.dispose()
            return
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".write.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            current = self.current_version()
            new = self.root / f"v{time.time_ns():020d}.duckdb"
            if current is not None:
                shutil.copyfile(current, new)
            engine = store.make_engine(f"duckdb:///{new}")
            published = False
            try:
                store.create_schema(engine)
                yield engine
                with engine.connect() as conn:
                    conn.exec_driver_sql("CHECKPOINT")
                engine.dispose()
                _fsync(new)
                published = self._publish(new, replaced=current)
            except BaseException:
                engine.dispose()
                if not published and self.current_version() != new:
                    for leftover in (new, new.with_suffix(".duckdb.wal")):
                        leftover.unlink(missing_ok=True)
                raise
            finally:
                self._prune()

    def _publish(self, version: Path, *, replaced: Path | None) -> bool:
        """Point ``CURRENT`` at ``version``; return True once it is published.

        The replaced version's modification time is set to now, so it is kept for
        :data:`KEEP_SECONDS` from the moment readers stopped being sent to it.
        """
        tmp = self.root / "CURRENT.tmp"
        tmp.write_text(version.name + "\n", encoding="utf-8")
        _fsync(tmp)
        os.replace(tmp, self.root / "CURRENT")
        if replaced is not None and replaced.exists():
            os.utime(replaced)
        dir_fd = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return True

    def _prune(self) -> None:
        """Delete old versions and files of writers that died.

        Kept: the current version, the newest few, and any version replaced (or
        written) less than :data:`KEEP_SECONDS` ago — a reader may still open it.
        """
        current = self.current_version()
        versions = sorted(self.root.glob("v*.duckdb"), reverse=True)
        keep = {current} | set(versions[: KEEP_VERSIONS + 1])
        now = time.time()
        for path in versions:
            if path in keep or now - path.stat().st_mtime < KEEP_SECONDS:
                continue
            path.unlink(missing_ok=True)
            path.with_suffix(".duckdb.wal").unlink(missing_ok=True)

    def has_areas(self) -> bool:
        """Return True when the published store holds the boundaries."""
        try:
            engine = self.reader_engine()
        except StoreMissing:
            return False
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("areas"):
                return False
            return bool(conn.execute(sa.select(sa.func.count()).select_from(store.areas)).scalar())


def _fsync(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())
