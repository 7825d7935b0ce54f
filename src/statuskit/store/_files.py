"""Writing files so that a crash leaves the old or the new content, never a torn one.

What the JSON file store does with its files, in one place: write through a temp file, fsync
and rename, fsync the folder; read a regular file without following links; remove the temp
files that killed writers left behind.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from collections.abc import Callable
from typing import TYPE_CHECKING

from statuskit.errors import (
    UnsafePath,
)
from statuskit.store._lock import describe_kind, open_regular, pid_alive

if TYPE_CHECKING:
    pass

__all__ = [
    "CLOEXEC",
    "DIRECTORY",
    "FINDINGS_TEMPS",
    "NOFOLLOW",
    "TEMP",
    "atomic_write",
    "fsync_dir",
    "read_regular",
    "remove_stale_temps",
]


def fsync_dir(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some filesystems refuse; the rename stands
        pass
    finally:
        os.close(fd)


NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
DIRECTORY = getattr(os, "O_DIRECTORY", 0)
CLOEXEC = getattr(os, "O_CLOEXEC", 0)
# What atomic_write names its temp files: ``.<name>.<pid>.<12 hex>.tmp``; backups rotate
# through ``<name>.bak.<pid>.<8 hex>.tmp``.
TEMP = r"\.\d+\.[0-9a-f]{8,12}\.tmp"
FINDINGS_TEMPS = re.compile(r"\..+\.md\.(\d+)\.[0-9a-f]{12}\.tmp")


def atomic_write(
    path: str,
    data: bytes,
    *,
    mode: int | None,
    fsync: bool,
    before_replace: Callable[[], None] | None = None,
    dir_fd: int | None = None,
) -> None:
    """Write ``data`` to ``path`` through a temp file, ``fsync`` and ``os.replace``.

    With ``dir_fd``, ``path`` is a name inside that open folder: nothing on the way to it is
    looked up again, so a link swapped in for the folder cannot redirect the write.
    """
    folder = os.path.dirname(path) or "."
    name = f".{os.path.basename(path)}.{os.getpid()}.{os.urandom(6).hex()}.tmp"
    tmp = name if dir_fd is not None else os.path.join(folder, name)
    # O_EXCL never follows a link, and the random name is never reused.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | CLOEXEC, 0o666, dir_fd=dir_fd)
    try:
        try:
            if mode is not None:
                os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        if before_replace is not None:
            before_replace()
        os.replace(tmp, path, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dir_fd)
        raise
    if fsync:
        if dir_fd is not None:
            with contextlib.suppress(OSError):  # some filesystems refuse; the rename stands
                os.fsync(dir_fd)
        else:
            fsync_dir(folder)


def remove_stale_temps(
    folder: str | int, pattern: re.Pattern[str], *, unless_alive: bool = False
) -> None:
    """Delete leftover temp files matching ``pattern`` (call only under the writer lock).

    With ``unless_alive``, a file whose name carries the pid of a live process is kept: a
    folder shared by two statuses (two locks) may hold the other one's live temp file.
    """
    try:
        names = os.listdir(folder)
    except OSError:
        return
    dir_fd = folder if isinstance(folder, int) else None
    for name in names:
        match = pattern.fullmatch(name)
        if match is None or (unless_alive and pid_alive(int(match.group(1)))):
            continue
        target = name if dir_fd is not None else os.path.join(str(folder), name)
        with contextlib.suppress(OSError):
            if stat.S_ISREG(os.lstat(target, dir_fd=dir_fd).st_mode):
                os.unlink(target, dir_fd=dir_fd)


def read_regular(path: str, *, dir_fd: int | None = None, follow: bool = True) -> bytes:
    """The bytes of a regular file; a FIFO, device or folder is refused, never read.

    ``follow`` follows a final symbolic link (reading through one is harmless); otherwise
    a link is refused like the rest.
    """
    if follow and dir_fd is None:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | CLOEXEC)
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            raise UnsafePath(path, describe_kind(info.st_mode))
    else:
        fd = open_regular(path, os.O_RDONLY, dir_fd=dir_fd)
    with open(fd, "rb") as handle:
        return handle.read()
