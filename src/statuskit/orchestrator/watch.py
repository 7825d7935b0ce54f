"""Notice changes to ``status.json`` made by anyone, within milliseconds.

statuskit (and every careful writer) replaces the file with a rename, so watching the file
itself misses every update: its inode is gone after the first one. The watcher watches the
*folder* for files moved in, closed after writing, or created, and filters on the name. On
Linux it uses inotify (through ctypes: no dependency); elsewhere, or if inotify is not
available, it polls the file's identity (inode, size, mtime) every ``poll_interval`` seconds.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import select
import struct
import sys
import threading
from collections.abc import Callable

__all__ = ["StatusWatcher"]

_IN_MODIFY = 0x00000002
_IN_CLOSE_WRITE = 0x00000008
_IN_MOVED_TO = 0x00000080
_IN_CREATE = 0x00000100
_IN_NONBLOCK = 0o4000
_IN_CLOEXEC = 0o2000000
_HEADER = struct.Struct("iIII")


def _inotify() -> tuple[Callable[..., int], Callable[..., int]] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.inotify_init1, libc.inotify_add_watch
    except (OSError, AttributeError):
        return None


class StatusWatcher:
    """Call ``on_change`` (on a background thread) whenever the status file changes.

    Args:
        path: the ``status.json`` to watch.
        on_change: called with no arguments after each change (coalesced).
        poll_interval: seconds between checks when polling.
        force_polling: use polling even where inotify exists (for tests).

    """

    def __init__(
        self,
        path: str,
        on_change: Callable[[], object],
        *,
        poll_interval: float = 0.1,
        force_polling: bool = False,
    ) -> None:
        self.path = os.path.abspath(path)
        self.folder = os.path.dirname(self.path)
        self.name = os.path.basename(self.path).encode()
        self.on_change = on_change
        self.poll_interval = poll_interval
        self._stop = threading.Event()
        self._fd: int | None = None
        if not force_polling:
            self._fd = self._open_inotify()
        self.mode = "inotify" if self._fd is not None else "polling"
        self._thread = threading.Thread(target=self._run, name="status-watcher", daemon=True)

    def _open_inotify(self) -> int | None:
        functions = _inotify()
        if functions is None:
            return None
        init, add = functions
        fd = init(_IN_NONBLOCK | _IN_CLOEXEC)
        if fd < 0:
            return None
        mask = _IN_MOVED_TO | _IN_CLOSE_WRITE | _IN_CREATE | _IN_MODIFY
        if add(fd, os.fsencode(self.folder), mask) < 0:
            os.close(fd)
            return None
        return fd

    def start(self) -> StatusWatcher:
        """Start watching; returns self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop watching and release the inotify descriptor."""
        self._stop.set()
        self._thread.join(2)
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _run(self) -> None:
        if self._fd is not None:
            self._run_inotify(self._fd)
        else:
            self._run_polling()

    def _run_inotify(self, fd: int) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([fd], [], [], 0.2)
            if not ready:
                continue
            try:
                data = os.read(fd, 65536)
            except BlockingIOError:
                continue
            except OSError:
                return
            changed = False
            offset = 0
            while offset + _HEADER.size <= len(data):
                _, _, _, length = _HEADER.unpack_from(data, offset)
                name = data[offset + _HEADER.size : offset + _HEADER.size + length].rstrip(b"\0")
                offset += _HEADER.size + length
                changed = changed or name == self.name
            if changed:
                self.on_change()

    def _identity(self) -> tuple[int, int, int] | None:
        try:
            info = os.stat(self.path)
        except OSError:
            return None
        return (info.st_ino, info.st_size, info.st_mtime_ns)

    def _run_polling(self) -> None:
        last = self._identity()
        while not self._stop.wait(self.poll_interval):
            now = self._identity()
            if now != last:
                last = now
                self.on_change()
