"""The writer lock: one exclusive OS lock on a sibling file, shared by threads and processes.

Why it looks like this:

* The lock file (``status.json.lock``) is never renamed or deleted. Unlinking or replacing a
  locked file lets a newcomer lock a *new* inode while an old waiter still holds the old one:
  two writers at once.
* The lock is ``fcntl.flock``, so any program that flocks the lock file (``flock(1)``, a
  portalocker lock on POSIX) excludes statuskit writers and the other way round. The JSON file
  store is POSIX-only (see docs/decisions.md); other platforms get a clear error up front.
* ``flock`` has no timeout. A waiter first tries without blocking (the uncontended case: one
  system call). Under contention a helper thread blocks in ``flock`` so that the kernel hands
  the lock over the moment it is released, and the caller waits for that thread with a
  deadline. A waiter that gives up leaves the helper to release the lock as soon as it gets it.
* Threads of one process are serialized by a per-path ``threading.Lock`` first, so the
  process-level lock is held by one thread at a time.
* The holder writes its pid, host and start time into the first 512 bytes of the lock file,
  so that a timeout can name who is holding the lock. A live holder is never robbed: that
  would break exclusion. The record outlives its writer, and another program (``flock(1)``)
  may hold the lock without writing one, so a record is believed only when it is *current*:
  written on this host by a process that is alive and, where ``/proc/locks`` shows it, holds
  a lock on this very file. Otherwise the holder is "unknown" — never a long-dead pid.
* OS locks die with their process, so a crashed (even SIGKILLed) holder blocks nobody.
* The lock file is opened with ``O_NOFOLLOW`` and must be a regular file with one link: a
  symbolic link planted in its place (``status.json.lock -> /elsewhere``) would make every
  writer create or overwrite a file outside the status folder. Such a path is refused
  (:class:`~statuskit.UnsafePath`) and nothing is written.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
import threading
import time
from datetime import datetime, timezone
from types import TracebackType

from statuskit.errors import LockTimeout, StoreNotSupported, UnsafePath

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "WriterLock",
    "current_holder",
    "describe_kind",
    "open_regular",
    "pid_alive",
    "read_holder",
]

_HOLDER_SIZE = 512
_registry_guard = threading.Lock()
_thread_locks: dict[str, threading.Lock] = {}


def _thread_lock(path: str) -> threading.Lock:
    with _registry_guard:
        lock = _thread_locks.get(path)
        if lock is None:
            lock = _thread_locks[path] = threading.Lock()
        return lock


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def describe_kind(mode: int) -> str:
    """What a file is, for refusals: ``"a folder"``, ``"a FIFO"``..."""
    kinds = (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISLNK, "a symbolic link"),
    )
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def _link_reason(path: str, dir_fd: int | None = None) -> str:
    try:
        return f"a symbolic link (to {os.readlink(path, dir_fd=dir_fd)})"
    except OSError:
        return "a symbolic link"


def open_regular(
    path: str, flags: int, *, single_link: bool = False, dir_fd: int | None = None
) -> int:
    """Open ``path`` without following a final symbolic link; refuse anything but a regular file.

    ``O_NONBLOCK`` is added so that a FIFO or a device planted at ``path`` cannot block the
    open; it is refused right after. With ``dir_fd``, ``path`` is a name in that folder.
    Returns the descriptor.

    Raises:
        UnsafePath: ``path`` is a symbolic link (dangling or not), not a regular file, or,
            with ``single_link``, a hard link shared with another name.

    """
    try:
        fd = os.open(path, flags | _NOFOLLOW | _CLOEXEC | _NONBLOCK, 0o666, dir_fd=dir_fd)
    except OSError as exc:
        # Linux says ELOOP for a final link under O_NOFOLLOW, the BSDs EMLINK; a socket
        # gives ENXIO and a folder EISDIR.
        if exc.errno not in (errno.ELOOP, errno.EMLINK, errno.ENXIO, errno.EISDIR):
            raise
        try:
            mode = os.lstat(path, dir_fd=dir_fd).st_mode
        except OSError:
            raise exc from None
        if stat.S_ISLNK(mode):
            raise UnsafePath(path, _link_reason(path, dir_fd)) from None
        if stat.S_ISREG(mode):
            raise
        raise UnsafePath(path, describe_kind(mode)) from None
    try:
        info = os.fstat(fd)
    except BaseException:
        os.close(fd)
        raise
    problem = None
    if not stat.S_ISREG(info.st_mode):
        problem = describe_kind(info.st_mode)
    elif single_link and info.st_nlink > 1:
        problem = f"a hard link shared with {info.st_nlink - 1} other name(s)"
    if problem is not None:
        os.close(fd)
        raise UnsafePath(path, problem)
    return fd


def read_holder(path: str) -> dict[str, str]:
    """What the current (or last) holder wrote into the lock file; empty if unreadable.

    Only the record's fixed-size slot is read: whatever follows it is not the record.
    """
    try:
        fd = open_regular(path, os.O_RDONLY)
    except (OSError, UnsafePath):
        return {}
    try:
        raw = os.pread(fd, _HOLDER_SIZE, 0)
    except OSError:
        return {}
    finally:
        os.close(fd)
    try:
        data = json.loads(raw.decode("utf-8").strip() or "{}")
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(key): str(value) for key, value in data.items()}


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this host (under any user)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    except OSError:
        return False
    return True


def _flock_holders(inode: int) -> set[int] | None:
    """Pids holding a lock on an inode, from ``/proc/locks`` (``None``: no evidence there).

    Lines look like ``1: FLOCK  ADVISORY  WRITE 4242 fd:01:1311 0 EOF``; waiters are marked
    ``->`` and skipped. Only the inode number is compared: some filesystems (overlays,
    subvolumes) report another device there than ``stat`` does.
    """
    try:
        with open("/proc/locks", encoding="ascii", errors="replace") as handle:
            lines = handle.read(1 << 20).splitlines()
    except OSError:
        return None
    holders: set[int] = set()
    seen = False
    for line in lines:
        fields = line.split()
        if len(fields) < 6 or fields[1] == "->":
            if len(fields) > 6 and fields[6].rsplit(":", 1)[-1] == str(inode):
                seen = True  # a waiter: the file shows up here, so absence is evidence
            continue
        if fields[5].rsplit(":", 1)[-1] != str(inode):
            continue
        seen = True
        with contextlib.suppress(ValueError):
            holders.add(int(fields[4]))
    return holders if seen else None


def _host() -> str:
    return os.uname().nodename if hasattr(os, "uname") else ""


def current_holder(path: str) -> dict[str, str]:
    """The lock file's record if its writer holds the lock now; otherwise ``{}`` (unknown).

    Current means: written on this host, by a live process, which ``/proc/locks`` (where the
    system has it and lists the file) shows holding a lock on this file. A record left by a
    holder that has exited, or by one whose pid now names another process, is not current.
    """
    record = read_holder(path)
    try:
        pid = int(record.get("pid", ""))
    except ValueError:
        return {}
    if record.get("host", "") != _host() or not pid_alive(pid):
        return {}
    try:
        inode = os.lstat(path).st_ino
    except OSError:
        return {}
    holders = _flock_holders(inode)
    if holders is not None and pid not in holders:
        return {}
    return record


class _Waiter:
    """Blocks in ``flock`` on a helper thread, so a deadline can be put on the wait."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.got = threading.Event()
        self.guard = threading.Lock()
        self.abandoned = False
        self.error: OSError | None = None
        threading.Thread(target=self._run, name="statuskit-lock-wait", daemon=True).start()

    def _run(self) -> None:
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        except OSError as exc:
            self.error = exc
            self.got.set()
            return
        with self.guard:
            if self.abandoned:
                # The caller timed out while we were queued: hand the lock straight on.
                fcntl.flock(self.fd, fcntl.LOCK_UN)
                os.close(self.fd)
                return
            self.got.set()

    def wait(self, timeout: float) -> bool:
        """True when the lock is ours; False after ``timeout`` (the fd then belongs to the helper).

        Interrupted (Ctrl-C), the wait is abandoned the same way before the interrupt goes
        on: a lock obtained meanwhile is released at once rather than held until exit.
        """
        try:
            got = self.got.wait(max(timeout, 0.0))
        except BaseException:
            self._abandon(release=True)
            raise
        if got:
            if self.error is not None:
                os.close(self.fd)
                raise self.error
            return True
        with self.guard:
            if self.got.is_set():
                return True
            self.abandoned = True
            return False

    def _abandon(self, *, release: bool) -> None:
        with self.guard:
            if not self.got.is_set():
                self.abandoned = True  # the helper hands the lock on when it gets it
                return
        if release:
            if self.error is None:
                with contextlib.suppress(OSError):
                    fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)


class WriterLock:
    """An exclusive lock on ``path`` for threads and processes, with a timeout.

    Use as a context manager; not reentrant.
    """

    def __init__(self, path: str, timeout: float = 10.0) -> None:
        if fcntl is None:  # pragma: no cover - not POSIX
            raise StoreNotSupported(path, "the JSON file store needs POSIX file locks (fcntl)")
        self.path = os.path.abspath(path)
        self.timeout = timeout
        self._fd: int | None = None
        self._thread_lock = _thread_lock(self.path)

    def acquire(self) -> None:
        """Take the lock or raise :class:`~statuskit.LockTimeout` naming the holder."""
        deadline = time.monotonic() + self.timeout
        if not self._thread_lock.acquire(timeout=max(self.timeout, 0.0)):
            raise LockTimeout(self.path, self.timeout, current_holder(self.path))
        try:
            self._fd = self._os_lock(deadline)
        except BaseException:
            self._thread_lock.release()
            raise
        self._write_holder()

    def _os_lock(self, deadline: float) -> int:
        fd = open_regular(self.path, os.O_RDWR | os.O_CREAT, single_link=True)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            pass
        except BaseException:
            os.close(fd)
            raise
        waiter = _Waiter(fd)
        if waiter.wait(deadline - time.monotonic()):
            return fd
        # The helper now owns fd and closes it once it gets (and releases) the lock.
        raise LockTimeout(self.path, self.timeout, current_holder(self.path))

    def _write_holder(self) -> None:
        assert self._fd is not None
        info = {
            "pid": os.getpid(),
            "host": _host(),
            "since": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "thread": threading.current_thread().name,
        }
        data = json.dumps(info).encode()
        if len(data) > _HOLDER_SIZE:  # a very long thread name: keep what identifies us
            del info["thread"]
            data = json.dumps(info).encode()[:_HOLDER_SIZE]
        # Padded to a fixed size and written in place: no ftruncate (which costs as much as
        # the rest of the lock here), and JSON ignores the trailing spaces.
        data = data.ljust(_HOLDER_SIZE)
        with contextlib.suppress(OSError):  # identity is a courtesy; the lock itself is held
            os.pwrite(self._fd, data, 0)

    def release(self) -> None:
        """Release the lock (the lock file stays, by design)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        finally:
            self._thread_lock.release()

    def __enter__(self) -> WriterLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
