"""At most ``CITYOPS_REPORT_MAX_JOBS`` reports made at once by the server.

Each report the Reports page makes runs in its own process and, for PDF and
HTML, its own Chromium; on a 2-core machine a handful of clicks at once would
starve the dashboard. A job takes one of N slots — an exclusive ``flock`` on
``<data_dir>/cache/reports/slot-<i>.lock`` — for as long as it runs; the
operating system frees a slot when its process ends, however it ends.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


class Busy(RuntimeError):
    """Every slot is taken: as many reports as allowed are being made."""


def slot_dir(data_dir: str | os.PathLike) -> Path:
    """Return the folder of the slots' lock files (created when missing)."""
    path = Path(data_dir) / "cache" / "reports"
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def report_slot(data_dir: str | os.PathLike, slots: int) -> Iterator[int]:
    """Hold one of ``slots`` report slots while the block runs; yield its number.

    Raises :class:`Busy` at once (never waits) when all are taken.
    """
    folder = slot_dir(data_dir)
    for number in range(max(1, slots)):
        handle = open(folder / f"slot-{number}.lock", "a+b")  # noqa: SIM115 (held past the loop)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        try:
            yield number
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()
        return
    raise Busy(f"{slots} reports are being made already")
