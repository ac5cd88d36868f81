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
  ever visible.
* Old versions are kept, a bounded number of them (``CITYOPS_KEEP_VERSIONS``),
  for readers just sent to them; on Linux a reader that has a version open
  keeps reading it after it is deleted (the file system keeps an unlinked open
  file alive), so nothing is kept for time's sake.
* Under pressure: every writer first deletes, under the lock, what crashed
  writers left (partial versions, WAL and temp files) and versions beyond the
  kept ones; then checks the free disk for the copy (about twice the current
  version plus ``CITYOPS_STORE_HEADROOM_MB``) and refuses with
  :class:`NotEnoughDisk` before copying anything when it is short. A copy or a
  change that runs out of disk deletes its partial file and leaves ``CURRENT``
  untouched.

With ``CITYOPS_DATABASE_URL`` (PostgreSQL for a shared deployment) the server's
own transactions and MVCC give the same guarantees, and there are no versions.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import math
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar, Token
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cityops import store
from cityops.settings import Settings
from cityops.store import derived

_MB = 1024 * 1024
#: The files of one version: ``v<20 digits>.duckdb``, its ``.wal`` and ``.tmp`` (spill).
_VERSION_FILE = re.compile(r"^(v\d{20})\.duckdb(\..*)?$")
#: Errors meaning the disk (or the user's quota) is full.
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
log = logging.getLogger(__name__)


#: What the current request already asked of the store: the published version, a server
#: store's revision (None: not in a request).
_REQUEST_REVISIONS: ContextVar[dict[str, object] | None] = ContextVar("revisions", default=None)


def begin_request() -> Token:
    """Start a request: the store's version (or revision) is asked once in it, not per read.

    Returns the token :func:`end_request` takes. (The embedded store's revision is
    the published version's name, a file lookup that needs no memo.)
    """
    return _REQUEST_REVISIONS.set({})


def end_request(token: Token) -> None:
    """End the request :func:`begin_request` started."""
    _REQUEST_REVISIONS.reset(token)


class StoreMissing(RuntimeError):
    """The store has not been created yet (run ``cityops init``)."""


class NotEnoughDisk(RuntimeError):
    """A writer refused to start (or stopped) a new store version for lack of free disk.

    Nothing changed: ``CURRENT`` still names the old version and no partial file is left.
    """

    def __init__(self, need: int, have: int, folder: Path, *, during: bool = False):
        self.need, self.have, self.folder, self.during = need, have, folder, during
        more = "more than " if during else ""
        super().__init__(
            f"not enough free disk for a new store version: need {more}"
            f"{math.ceil(need / _MB)} MB, have {have // _MB} MB in {folder}"
            + (" (the disk filled up during the write)" if during else "")
        )


class Storage:
    """The store of one configuration: reader engines and the writer."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.url = settings.values["database_url"]
        self.root = Path(settings.values["data_dir"]).resolve() / "store"
        values = settings.values
        self.keep_versions = max(0, int(values.get("keep_versions", 2)))
        self.space_factor = float(values.get("store_space_factor", 2.0))
        self.headroom = int(values.get("store_headroom_mb", 100)) * _MB
        self._lock = threading.Lock()
        self._engine: Engine | None = None
        self._engine_key: str | None = None
        #: Run with the writer's engine at the end of every successful writer session,
        #: before it is published (the CLI adds the KPI snapshot); one that fails is
        #: logged and the session goes on (:meth:`_finish`).
        self.finishers: list[Callable[[Engine], None]] = []

    @property
    def versioned(self) -> bool:
        """Return True for the embedded, versioned DuckDB store."""
        return not self.url

    # ---------------------------------------------------------------- readers
    def current_version(self) -> Path | None:
        """Return the path of the published version, or None if there is none.

        Read once per request (:func:`begin_request`): a page that names 3,000 areas
        reads one version throughout, and does not open the pointer 3,000 times.
        """
        memo = _REQUEST_REVISIONS.get()
        key = f"current:{self.root}"
        if memo is not None and key in memo:
            return memo[key]
        pointer = self.root / "CURRENT"
        try:
            found = self.root / pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            found = None
        if memo is not None and found is not None:
            memo[key] = found
        return found

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

    def close(self) -> None:
        """Close this object's reader connections (a version they hold can then be deleted)."""
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
            self._engine, self._engine_key = None, None

    def data_revision(self) -> str:
        """Return an identifier that changes whenever the data changes.

        The version for the embedded store; for a database server, the newest load.
        """
        if self.versioned:
            return self.version_label()
        memo = _REQUEST_REVISIONS.get()
        key = self.url
        if memo is not None and key in memo:
            return memo[key]
        with self.reader_engine().connect() as conn:
            newest = conn.execute(
                sa.select(sa.func.max(store.loads.c.finished_at), sa.func.count())
            ).one()
        revision = f"{newest[0]}/{newest[1]}"
        if memo is not None:
            memo[key] = revision
        return revision

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

        Writers are serialised by an exclusive file lock. Under it, the writer
        first deletes what crashed writers left and the versions beyond the kept
        ones (:meth:`clean`), checks the free disk (:meth:`check_space`), copies
        the current version, and creates the schema (idempotently) before the
        caller's change; after it, the :attr:`finishers` run on the same engine.

        Raises
        ------
        NotEnoughDisk
            Too little free disk for the copy, or the disk filled up during the
            copy or the change; nothing changed and no partial file is left.
        """
        if not self.versioned:
            engine = store.make_engine(self.url)
            try:
                store.create_schema(engine)
                derived.ensure(engine)
                yield engine
                self._finish(engine)
            finally:
                engine.dispose()
            return
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".write.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self.clean()
            current = self.current_version()
            self.check_space(current)
            new = self.root / f"v{self._next_number(current):020d}.duckdb"
            published = False
            try:
                if current is not None:
                    shutil.copyfile(current, new)
                engine = store.make_engine(f"duckdb:///{new}")
                try:
                    store.create_schema(engine)
                    derived.ensure(engine)  # a store older than a derived table gets it
                    yield engine
                    self._finish(engine)
                    with engine.connect() as conn:
                        conn.exec_driver_sql("CHECKPOINT")
                finally:
                    engine.dispose()
                _fsync(new)
                published = self._publish(new)
            except BaseException as exc:
                full = _disk_full(exc)
                if full:  # it needed more than what it had written and what was left
                    used = sum(_size(p) for p in self.root.glob(new.name + "*"))
                    used += shutil.disk_usage(self.root).free
                if not published and self.current_version() != new:
                    self._delete_version(new.name.split(".", 1)[0])
                    (self.root / "CURRENT.tmp").unlink(missing_ok=True)
                if full:
                    need = max(self._space_needed(current), used)
                    have = shutil.disk_usage(self.root).free
                    raise NotEnoughDisk(need, have, self.root, during=True) from exc
                raise
            finally:
                self.clean()

    def _finish(self, engine: Engine) -> None:
        """Run the :attr:`finishers` on the writer's engine; one that fails is logged, not raised.

        A finisher adds to what the session wrote (the KPI snapshot); its failure
        must not undo the session's change, so it is logged on one line (no
        statement, no value) and the next finisher runs.
        """
        for finish in self.finishers:
            try:
                finish(engine)
            except Exception as exc:
                log.warning("a writer finisher failed; the write stands: %s", store.safe_error(exc))

    def _next_number(self, current: Path | None) -> int:
        """Return the number of a new version: now, and always above the current one's."""
        number = time.time_ns()
        found = _VERSION_FILE.match(current.name) if current is not None else None
        if found:
            number = max(number, int(found.group(1)[1:]) + 1)
        return number

    def _space_needed(self, current: Path | None) -> int:
        """Return the free bytes a new version needs: the copy and its growth, plus headroom."""
        size = 0
        if current is not None:
            for path in (current, current.with_name(current.name + ".wal")):
                with suppress(FileNotFoundError):
                    size += path.stat().st_size
        return math.ceil(size * self.space_factor) + self.headroom

    def check_space(self, current: Path | None = None) -> None:
        """Raise :class:`NotEnoughDisk` when the store's disk cannot hold a new version.

        Needed: the current version's size × ``CITYOPS_STORE_SPACE_FACTOR`` (the
        copy, then what the change adds) + ``CITYOPS_STORE_HEADROOM_MB``.
        """
        if current is None:
            current = self.current_version()
        need = self._space_needed(current)
        have = shutil.disk_usage(self.root).free
        if have < need:
            raise NotEnoughDisk(need, have, self.root)

    def _publish(self, version: Path) -> bool:
        """Point ``CURRENT`` at ``version``; return True once it is published."""
        tmp = self.root / "CURRENT.tmp"
        tmp.write_text(version.name + "\n", encoding="utf-8")
        _fsync(tmp)
        os.replace(tmp, self.root / "CURRENT")
        dir_fd = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return True

    def kept_versions(self) -> list[Path]:
        """Return the versions kept: the current one, then the newest older ones, newest first.

        Older means numbered below the current version: a higher number is a
        writer's copy that was never published (a crashed or running writer).
        """
        current = self.current_version()
        if current is None:
            return []
        versions = sorted(
            (p for p in self.root.glob("v*.duckdb") if _VERSION_FILE.match(p.name)), reverse=True
        )
        older = [p for p in versions if p.name < current.name]
        return [current, *older[: self.keep_versions]]

    def clean(self) -> list[str]:
        """Delete every version file that is neither current nor kept; return the names deleted.

        Run by writers under the lock (so no other writer is working): at the
        start of every write session, it deletes the partial versions, WAL and
        temp files of writers that crashed or were killed, and a ``CURRENT.tmp``
        of one killed while publishing; after it, the versions beyond
        ``CITYOPS_KEEP_VERSIONS``. A reader that still has a deleted version
        open keeps reading it (Linux keeps an unlinked open file).
        """
        keep = {p.name.split(".", 1)[0] for p in self.kept_versions()}
        deleted: list[str] = []
        for path in sorted(self.root.iterdir()):
            found = _VERSION_FILE.match(path.name)
            if path.name == "CURRENT.tmp" or (found and found.group(1) not in keep):
                _remove(path)
                deleted.append(path.name)
        return deleted

    def _delete_version(self, stem: str) -> None:
        """Delete every file of the version ``stem`` (``v…``): database, WAL, temp files."""
        for path in self.root.glob(stem + ".duckdb*"):
            _remove(path)

    def needs_migration(self) -> bool:
        """Return True when the published store lacks a table of this version's schema.

        ``cityops serve`` then runs one empty write (which creates the tables and
        fills the derived ones) before serving, so readers never miss a table.
        """
        try:
            with self.reader_engine().connect() as conn:
                return any(not store.table_columns(conn, t) for t in store.metadata.sorted_tables)
        except Exception:  # no store yet: nothing to migrate
            return False

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


def _remove(path: Path) -> None:
    """Delete a file or a folder (DuckDB's spill folder), ignoring one already gone."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    except OSError:  # cleaning must never hide the writer's own outcome
        pass


def _size(path: Path) -> int:
    """Return the size of a file, or of the files in a folder (0 when it is gone)."""
    try:
        if path.is_dir():
            return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        return path.stat().st_size
    except OSError:
        return 0


def _disk_full(exc: BaseException) -> bool:
    """Return True when ``exc`` (or what caused it) says the disk or the quota is full."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        err = todo.pop()
        if err is None or id(err) in seen:
            continue
        seen.add(id(err))
        if isinstance(err, OSError) and err.errno in _DISK_FULL:
            return True
        text = str(err)
        if "No space left on device" in text or "Disk quota exceeded" in text:
            return True
        todo += [err.__cause__, err.__context__, getattr(err, "orig", None)]
    return False


def _fsync(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())
