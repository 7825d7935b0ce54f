"""Notice replacements of ``status.json`` made by anyone, within milliseconds.

statuskit (and every careful writer) replaces the file with a rename, so watching the file
itself misses every update: its inode is gone after the first one. The feed watches the
*folder* for files moved in, closed after writing, or created, and filters on the name. On
Linux it uses inotify (through ctypes: no dependency); the kernel queues events between two
calls of :meth:`FileChangeFeed.wait`, so no change is missed. Elsewhere, or when inotify is
not available, it polls the file's identity (inode, size, mtime).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import select
import struct
import sys
import time
from collections.abc import Callable
from types import TracebackType

__all__ = ["FileChangeFeed"]

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


class FileChangeFeed:
    """A :class:`~statuskit.store.base.ChangeFeed` for one file.

    Args:
        path: the file to watch.
        poll_interval: seconds between checks when polling.
        force_polling: poll even where inotify exists (for tests and benchmarks).

    """

    def __init__(self, path: str, *, poll_interval: float = 0.1, force_polling: bool = False):
        self.path = os.path.abspath(path)
        self.name = os.path.basename(self.path).encode()
        self.poll_interval = poll_interval
        self._fd = None if force_polling else self._open_inotify(os.path.dirname(self.path))
        self.mode = "inotify" if self._fd is not None else "polling"
        self._last = self._identity()

    @staticmethod
    def _open_inotify(folder: str) -> int | None:
        functions = _inotify()
        if functions is None:
            return None
        init, add = functions
        fd = init(_IN_NONBLOCK | _IN_CLOEXEC)
        if fd < 0:
            return None
        mask = _IN_MOVED_TO | _IN_CLOSE_WRITE | _IN_CREATE | _IN_MODIFY
        if add(fd, os.fsencode(folder), mask) < 0:
            os.close(fd)
            return None
        return fd

    def _identity(self) -> tuple[int, int, int] | None:
        try:
            info = os.stat(self.path)
        except OSError:
            return None
        return (info.st_ino, info.st_size, info.st_mtime_ns)

    def wait(self, timeout: float) -> bool:
        """True as soon as the file may have changed; False after ``timeout`` seconds."""
        deadline = time.monotonic() + max(timeout, 0.0)
        if self._fd is None:
            return self._poll(deadline)
        while True:
            left = deadline - time.monotonic()
            try:
                ready, _, _ = select.select([self._fd], [], [], max(left, 0.0))
            except (OSError, ValueError):  # closed under us
                return False
            if not ready:
                return False
            if self._drain(self._fd):
                return True

    def _drain(self, fd: int) -> bool:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return False
        except OSError:
            return True  # the watch broke; say "maybe changed" rather than miss a change
        offset = 0
        changed = False
        while offset + _HEADER.size <= len(data):
            _, _, _, length = _HEADER.unpack_from(data, offset)
            name = data[offset + _HEADER.size : offset + _HEADER.size + length].rstrip(b"\0")
            offset += _HEADER.size + length
            changed = changed or name == self.name
        return changed

    def _poll(self, deadline: float) -> bool:
        while True:
            now = self._identity()
            if now != self._last:
                self._last = now
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(self.poll_interval, left))

    def close(self) -> None:
        """Release the inotify descriptor."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def __enter__(self) -> FileChangeFeed:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
