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
* The holder writes its pid, host and start time into the lock file, so that a timeout can
  name who is holding the lock. A live holder is never robbed: that would break exclusion.
* OS locks die with their process, so a crashed (even SIGKILLed) holder blocks nobody.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from datetime import datetime, timezone
from types import TracebackType

from statuskit.errors import LockTimeout, StoreNotSupported

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

__all__ = ["WriterLock", "read_holder"]

_HOLDER_SIZE = 512
_registry_guard = threading.Lock()
_thread_locks: dict[str, threading.Lock] = {}


def _thread_lock(path: str) -> threading.Lock:
    with _registry_guard:
        lock = _thread_locks.get(path)
        if lock is None:
            lock = _thread_locks[path] = threading.Lock()
        return lock


def read_holder(path: str) -> dict[str, str]:
    """What the current (or last) holder wrote into the lock file; empty if unknown."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.loads(handle.read() or "{}")
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(key): str(value) for key, value in data.items()}


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
        """True when the lock is ours; False after ``timeout`` (the fd then belongs to us)."""
        if self.got.wait(max(timeout, 0.0)):
            if self.error is not None:
                raise self.error
            return True
        with self.guard:
            if self.got.is_set():
                return True
            self.abandoned = True
            return False


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
            raise LockTimeout(self.path, self.timeout, read_holder(self.path))
        try:
            self._fd = self._os_lock(deadline)
        except BaseException:
            self._thread_lock.release()
            raise
        self._write_holder()

    def _os_lock(self, deadline: float) -> int:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
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
        raise LockTimeout(self.path, self.timeout, read_holder(self.path))

    def _write_holder(self) -> None:
        assert self._fd is not None
        info = {
            "pid": os.getpid(),
            "host": os.uname().nodename if hasattr(os, "uname") else "",
            "since": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "thread": threading.current_thread().name,
        }
        # Padded to a fixed size and written in place: no ftruncate (which costs as much as
        # the rest of the lock here), and JSON ignores the trailing spaces.
        data = json.dumps(info).encode().ljust(_HOLDER_SIZE)
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
