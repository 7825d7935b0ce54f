"""``SqliteChangeFeed``: wake a live view within milliseconds of a commit to its plan."""

from __future__ import annotations

import contextlib
import os
import select
import sqlite3
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from statuskit.store.sqlite import SqliteStore

__all__ = ["SqliteChangeFeed"]


def _drain_names(fd: int) -> set[str]:
    """The file names of the inotify events queued on ``fd``."""
    from statuskit.store._watch import _HEADER

    try:
        data = os.read(fd, 65536)
    except BlockingIOError:
        return set()
    except OSError:
        return {"?"}  # the watch broke: say "maybe changed" rather than miss a change
    names, offset = set(), 0
    while offset + _HEADER.size <= len(data):
        length = _HEADER.unpack_from(data, offset)[3]
        raw = data[offset + _HEADER.size : offset + _HEADER.size + length].rstrip(b"\0")
        names.add(os.fsdecode(raw))
        offset += _HEADER.size + length
    return names


class SqliteChangeFeed:
    """Wait for commits to one plan: inotify on the ``-wal`` file, confirmed by SQLite.

    A dedicated connection asks ``PRAGMA data_version`` whether any other connection
    committed since its last look (a read of the WAL index in shared memory: microseconds,
    no file I/O); only then does it read the plan's row, and it reports a change only when
    that plan's ``seq`` moved, so commits to the database's other plans do not wake a view.

    When to look: on Linux, inotify events for ``<db>-wal`` (every commit appends to it).
    The last write of a commit reaches the WAL just before the commit becomes visible (its
    fsync and the index update follow), so a wake-up looks again for a few tens of
    milliseconds; a look every ``safety`` seconds covers anything slower. Elsewhere, or with
    ``force_polling``, it looks every ``interval`` seconds (measured in docs/benchmarks.md:
    inotify is both faster and ten times cheaper when idle).

    Args:
        store: the plan's store.
        interval: seconds between two looks when polling.
        safety: seconds between two looks when inotify is used.
        force_polling: poll even where inotify exists (for tests and benchmarks).

    """

    _RECHECK = (0.0, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032)

    def __init__(
        self,
        store: SqliteStore,
        *,
        interval: float = 0.005,
        safety: float = 0.1,
        force_polling: bool = False,
    ) -> None:
        self.store = store
        self.interval = interval
        self.safety = safety
        self._conn: sqlite3.Connection | None = None
        self._closed = False
        self._version: int | None = None
        self._fd = None if force_polling else self._open_inotify()
        self.mode = "inotify" if self._fd is not None else "polling"
        base = os.path.basename(store.path)
        self._names = {base, base + "-wal"}
        self._mark = self._look()

    def _open_inotify(self) -> int | None:
        from statuskit.store._watch import _inotify

        functions = _inotify()
        if functions is None:
            return None
        init, add = functions
        fd = init(0o4000 | 0o2000000)  # IN_NONBLOCK | IN_CLOEXEC
        if fd < 0:
            return None
        # IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE on the folder: the -wal file
        # comes and goes (the last connection to close deletes it).
        if add(fd, os.fsencode(os.path.dirname(self.store.path)), 0x2 | 0x8 | 0x80 | 0x100) < 0:
            os.close(fd)
            return None
        return fd

    def _open(self) -> sqlite3.Connection | None:
        if self._conn is None and os.path.exists(self.store.path):
            with contextlib.suppress(sqlite3.Error):
                self._conn = self.store._connect(create=False)
        return self._conn

    def _look(self) -> tuple[object, ...] | None:
        """The plan's (incarnation, seq), or None when there is none (yet)."""
        conn = self._open()
        if conn is None:
            return None
        try:
            self._version = int(conn.execute("PRAGMA data_version").fetchone()[0])
            row = conn.execute(
                "SELECT incarnation, seq FROM statuskit_plans WHERE plan_key = ?",
                (self.store.plan,),
            ).fetchone()
        except sqlite3.Error:
            return ("unreadable",)
        return tuple(row) if row else None

    def _moved(self) -> bool:
        conn = self._open()
        if conn is None:
            return False
        try:
            version = int(conn.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error:
            version = -1
        if version == self._version:
            return False
        mark = self._look()
        if mark == self._mark:
            return False
        self._mark = mark
        return True

    def wait(self, timeout: float) -> bool:
        """True once the plan changed; False after ``timeout`` seconds."""
        deadline = time.monotonic() + max(timeout, 0.0)
        while not self._closed:
            if self._moved():
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            fd = self._fd
            if fd is None:
                time.sleep(min(self.interval, left))
                continue
            try:
                ready, _, _ = select.select([fd], [], [], min(self.safety, left))
            except (OSError, ValueError):  # closed under us
                return False
            names = _drain_names(fd) if ready else set()
            if names & self._names or "?" in names:
                for pause in self._RECHECK:
                    time.sleep(pause)
                    if self._moved():
                        return True
        return False

    def close(self) -> None:
        """Close the feed's connection and inotify descriptor."""
        self._closed = True
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def __enter__(self) -> SqliteChangeFeed:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
