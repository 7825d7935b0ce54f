"""``SqliteStore``: every plan of a project in one SQLite file, writes that cost what they change.

The durability story, step by step (what the tables hold is :mod:`statuskit.store._sql`):

1. **WAL mode**, set once when the database is created: readers never block the writer and
   always see the last committed state; a reader never sees half a write.
2. **One writer at a time.** A writer takes a ``flock`` on a sibling file
   (``<db>-statuskit.lock``, never deleted, holder's pid and host written into it) and then
   ``BEGIN IMMEDIATE`` with SQLite's busy timeout set to what is left of ``lock_timeout``.
   The lock file queues statuskit writers in the kernel, which hands it over the moment it is
   released (SQLite's own busy handler sleeps up to 100 ms between attempts: measured in
   ``docs/decisions.md``) and lets a timeout name the holder. ``BEGIN IMMEDIATE`` still
   excludes any other program writing the file. Waiting too long raises ``LockTimeout``.
3. **Only what changed is written** (the diff of ``_sql``), in one transaction.
4. **``synchronous=FULL``**: ``COMMIT`` returns after the WAL is fsynced, so an update that
   returned survives SIGKILL *and* power loss, as the JSON file's protocol promises;
   ``NORMAL`` would lose the last commits on power loss (measured cost in
   ``docs/decisions.md``).
5. **Corruption is reported, never "healed"**: a file that is not a database, or whose pages
   are damaged (``PRAGMA quick_check``), raises ``CorruptStatus`` saying what can be done; a
   plan whose rows cannot be decoded can be rebuilt from its plan explicitly (``restore``).

Reads take no lock and never write. Connections are per thread (and per process: one
inherited across ``fork`` is never used). The schema is created and migrated by the store
inside ``BEGIN IMMEDIATE``, so two processes opening a new database at once are safe.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from statuskit.codec import format_timestamp
from statuskit.errors import (
    CorruptStatus,
    LockTimeout,
    StatusMissing,
    StoreNotSupported,
    StoreUnavailable,
)
from statuskit.store._sql import Cursor, SqlStore

if TYPE_CHECKING:
    from statuskit.store._lock import WriterLock
    from statuskit.store._sqlite_watch import SqliteChangeFeed

__all__ = ["SCHEMA", "SqliteStore", "open_sqlite"]

#: The migrations, in order: ``SCHEMA[n - 1]`` brings a database to schema version ``n``.
SCHEMA: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE statuskit_plans (plan_key TEXT PRIMARY KEY, incarnation TEXT NOT NULL, "
        "seq INTEGER NOT NULL, task_count INTEGER NOT NULL, run_count INTEGER NOT NULL, "
        "duplicates TEXT NOT NULL, doc TEXT NOT NULL, updated_at TEXT NOT NULL)",
        "CREATE TABLE statuskit_tasks (plan_key TEXT NOT NULL, position INTEGER NOT NULL, "
        "id TEXT NOT NULL, status TEXT NOT NULL, seq INTEGER NOT NULL, doc TEXT NOT NULL, "
        "PRIMARY KEY (plan_key, position))",
        "CREATE INDEX statuskit_tasks_id ON statuskit_tasks (plan_key, id)",
        "CREATE INDEX statuskit_tasks_status ON statuskit_tasks (plan_key, status)",
        "CREATE INDEX statuskit_tasks_seq ON statuskit_tasks (plan_key, seq)",
        "CREATE TABLE statuskit_runs (plan_key TEXT NOT NULL, position INTEGER NOT NULL, "
        "run_id TEXT NOT NULL, seq INTEGER NOT NULL, doc TEXT NOT NULL, "
        "PRIMARY KEY (plan_key, position))",
        "CREATE INDEX statuskit_runs_seq ON statuskit_runs (plan_key, seq)",
        "CREATE TABLE statuskit_findings (plan_key TEXT NOT NULL, task_id TEXT NOT NULL, "
        "text TEXT NOT NULL, written_at TEXT NOT NULL, PRIMARY KEY (plan_key, task_id))",
    ),
    (
        # The journal: one row per revision, the same line the JSON store appends.
        "CREATE TABLE statuskit_journal (plan_key TEXT NOT NULL, rev INTEGER NOT NULL, "
        "line TEXT NOT NULL, PRIMARY KEY (plan_key, rev))",
    ),
)
_VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS statuskit_schema "
    "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
)
_SYNCHRONOUS = ("full", "extra", "normal", "off")

# SQLite's primary result codes (the low byte of an extended code).
_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 10, 11, 13, 14, 26
_MESSAGES = {  # Python 3.10 has no sqlite_errorcode: recognize the messages
    "database is locked": _BUSY,
    "database table is locked": _LOCKED,
    "attempt to write a readonly database": _READONLY,
    "disk i/o error": _IOERR,
    "database disk image is malformed": _CORRUPT,
    "database or disk is full": _FULL,
    "unable to open database file": _CANTOPEN,
    "file is not a database": _NOTADB,
}


def _code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF
    text = str(exc).lower()
    return next((value for key, value in _MESSAGES.items() if key in text), None)


def _quote(path: str) -> str:
    """A path inside a ``file:`` URI (only these characters mean something there)."""
    return path.replace("%", "%25").replace("?", "%3f").replace("#", "%23")


def _now_text() -> str:
    from datetime import timezone

    return format_timestamp(datetime.now(timezone.utc))


class SqliteStore(SqlStore):
    """Plans kept in one SQLite database, each under a plan key.

    Args:
        path: the database file (created, with its folder, by the first write).
        plan: the plan key; ``None`` opens the database for :meth:`plans` only.
        lock_timeout: seconds to wait for another writer before :class:`~statuskit.LockTimeout`.
        synchronous: ``"full"`` (the default: durable on power loss), ``"extra"``, or
            ``"normal"`` (an update that returned may be lost on power loss, never torn;
            for throwaway data).
        lock_file: queue writers on ``<db>-statuskit.lock`` (fair, fast hand-over, a named
            holder on timeout); ``False`` relies on SQLite's busy handler alone.

    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        plan: str | None = None,
        *,
        lock_timeout: float = 10.0,
        synchronous: str = "full",
        lock_file: bool = True,
    ) -> None:
        super().__init__(plan)
        if synchronous.lower() not in _SYNCHRONOUS:
            raise StoreNotSupported(
                os.fspath(path), f"synchronous must be one of {', '.join(_SYNCHRONOUS)}"
            )
        # "//x" is a valid absolute path on POSIX, but would read as a URI authority.
        self.path = "/" + os.path.abspath(os.fspath(path)).lstrip("/")
        self.lock_timeout = lock_timeout
        self.synchronous = synchronous.lower()
        self.lock_path = self.path + "-statuskit.lock" if lock_file else None
        self._local = threading.local()
        self._guard = threading.Lock()
        self._connections: list[tuple[int, sqlite3.Connection]] = []
        self._ready = False

    def __repr__(self) -> str:
        return f"SqliteStore({self.path!r}, plan={self.plan!r})"

    @property
    def url(self) -> str:
        """``sqlite:///abs/path.db``."""
        return "sqlite://" + self.path

    # ------------------------------------------------------------------ connections

    def _connect(self, *, create: bool) -> sqlite3.Connection:
        mode = "rwc" if create else "rw"
        conn = sqlite3.connect(
            f"file://{_quote(self.path)}?mode={mode}",
            uri=True,
            timeout=self.lock_timeout,
            isolation_level=None,  # transactions are explicit: BEGIN IMMEDIATE
            check_same_thread=False,  # closed by close() from any thread
        )
        try:
            conn.execute(f"PRAGMA synchronous = {self.synchronous}")
        except BaseException:
            conn.close()
            raise
        return conn

    def _connection(self, *, create: bool = False) -> sqlite3.Connection:
        """The calling thread's connection; the schema checked (and made) on first use."""
        local = self._local
        conn: sqlite3.Connection | None = getattr(local, "conn", None)
        if conn is not None and local.pid == os.getpid():
            if create and not self._ready:
                self._ensure(conn, create=True)
            return conn
        if not os.path.exists(self.path):
            if not create:
                raise StatusMissing(self.location)
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
        conn = self._connect(create=create)
        try:
            self._ensure(conn, create=create)
        except BaseException:
            conn.close()
            raise
        local.conn, local.pid = conn, os.getpid()
        with self._guard:
            self._connections.append((os.getpid(), conn))
        return conn

    def close(self) -> None:
        """Close every connection this store opened in this process."""
        with self._guard:
            connections, self._connections = self._connections, []
        for pid, conn in connections:
            if pid == os.getpid():  # one inherited across fork belongs to the parent
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
        self._local = threading.local()

    # ------------------------------------------------------------------ schema

    @staticmethod
    def _version(conn: sqlite3.Connection) -> int | None:
        try:
            row = conn.execute("SELECT MAX(version) FROM statuskit_schema").fetchone()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return None
            raise
        return int(row[0]) if row and row[0] is not None else None

    def _ensure(self, conn: sqlite3.Connection, *, create: bool) -> None:
        """Check the schema version; create or migrate it when needed (and allowed)."""
        if self._ready:
            return
        version = self._version(conn)
        latest = len(SCHEMA)
        if version is not None and version > latest:
            raise StoreNotSupported(
                self.url,
                f"its schema is version {version}, newer than the {latest} this statuskit "
                "knows (upgrade statuskit)",
            )
        if version == latest:
            self._ready = True
            return
        if version is None and not create:
            raise StatusMissing(self.location)  # an empty file, or another program's database
        with self._transaction(conn, before=self._use_wal):
            version = self._version(conn) or 0  # another process may have done it meanwhile
            conn.execute(_VERSION_TABLE)
            for number in range(version + 1, latest + 1):
                for statement in SCHEMA[number - 1]:
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO statuskit_schema (version, applied_at) VALUES (?, ?)",
                    (number, _now_text()),
                )
        self._ready = True

    # ------------------------------------------------------------------ transactions

    def _set_busy(self, conn: sqlite3.Connection, deadline: float) -> None:
        left = max(deadline - time.monotonic(), 0.0)
        conn.execute(f"PRAGMA busy_timeout = {int(left * 1000)}")

    def _file_lock(self, deadline: float) -> WriterLock | None:
        if self.lock_path is None:
            return None
        from statuskit.store._lock import WriterLock

        try:
            lock = WriterLock(self.lock_path, max(deadline - time.monotonic(), 0.0))
            lock.acquire()
        except StoreNotSupported:  # pragma: no cover - no fcntl: SQLite's locking alone
            return None
        except LockTimeout as exc:
            raise LockTimeout(self.path, self.lock_timeout, exc.holder) from None
        except (PermissionError, OSError) as exc:
            if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
                return None  # a read-only folder: BEGIN IMMEDIATE reports it precisely
            raise
        return lock

    def _use_wal(self, conn: sqlite3.Connection, deadline: float) -> None:
        """Switch the database to WAL mode (persistent: done once, by its creator).

        The switch needs every other connection gone for a moment, and SQLite answers
        "locked" at once rather than calling the busy handler, so it is retried here until
        the deadline (the lock file already keeps other statuskit writers out).
        """
        while True:
            try:
                mode = str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]).lower()
            except sqlite3.OperationalError as exc:
                if _code(exc) not in (_BUSY, _LOCKED) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.002)
                continue
            if mode != "wal":
                raise StoreNotSupported(
                    self.url,
                    f"SQLite cannot use WAL mode for this file (it says {mode!r}; a network "
                    "or read-only filesystem?)",
                )
            return

    @contextlib.contextmanager
    def _transaction(
        self,
        conn: sqlite3.Connection,
        before: Callable[[sqlite3.Connection, float], None] | None = None,
    ) -> Iterator[sqlite3.Cursor]:
        deadline = time.monotonic() + self.lock_timeout
        lock = self._file_lock(deadline)
        try:
            if before is not None:
                before(conn, deadline)
            self._set_busy(conn, deadline)
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn.cursor()
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                raise
        finally:
            if lock is not None:
                lock.release()

    @contextlib.contextmanager
    def _reading(self) -> Iterator[Cursor]:
        with self._errors():
            conn = self._connection()
            self._set_busy(conn, time.monotonic() + self.lock_timeout)
            conn.execute("BEGIN")  # one snapshot for every SELECT below
            try:
                yield conn.cursor()
            finally:
                if conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("COMMIT")

    @contextlib.contextmanager
    def _writing(self, *, create: bool = False) -> Iterator[Cursor]:
        with self._errors():
            conn = self._connection(create=create)
            with self._transaction(conn) as cur:
                yield cur

    # ------------------------------------------------------------------ errors

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise self._translate(exc) from exc

    def _translate(self, exc: sqlite3.Error) -> Exception:
        code = _code(exc)
        if code in (_BUSY, _LOCKED):
            return LockTimeout(self.path, self.lock_timeout, self._holder())
        if code == _READONLY:
            return PermissionError(
                errno.EACCES,
                "the database is read-only here (permissions of the file or its folder, or a "
                "read-only mount); nothing was written",
                self.path,
            )
        if code == _CANTOPEN:
            return PermissionError(
                errno.EACCES,
                "cannot open the database (check the permissions of the file and its folder: "
                "SQLite also needs to create files beside it)",
                self.path,
            )
        if code in (_CORRUPT, _NOTADB):
            return self._damaged(exc, code)
        if code == _FULL:
            return OSError(errno.ENOSPC, "the disk is full; nothing was written", self.path)
        if code == _IOERR:
            return OSError(errno.EIO, f"I/O error ({exc}); nothing was written", self.path)
        return StoreUnavailable(self.url, str(exc))

    def _holder(self) -> dict[str, str]:
        """Who holds the write lock: statuskit's lock file, else SQLite's lock (Linux)."""
        if self.lock_path is not None and _held(self.lock_path):
            from statuskit.store._lock import read_holder

            holder = read_holder(self.lock_path)  # only believed while someone holds it
            if holder and holder.get("pid") != str(os.getpid()):
                return holder
        pids = _sqlite_lockers(self.path)
        if pids:
            return {
                "pid": ",".join(str(pid) for pid in pids),
                "host": os.uname().nodename,
                "lock": "SQLite's write lock (not through statuskit: another program?)",
            }
        return {"lock": "SQLite's write lock, held by a program statuskit cannot name"}

    def _damaged(self, exc: sqlite3.Error, code: int | None) -> CorruptStatus:
        if code == _NOTADB:
            reason = f"not a SQLite database ({exc})"
        else:
            reason = f"SQLite reports damage ({exc})"
            details = self.quick_check()
            if details:
                reason += "; PRAGMA quick_check: " + "; ".join(details[:3])
        return CorruptStatus(
            reason + ". statuskit does not change a damaged database: restore the file from "
            "a copy, or recover what is readable with the sqlite3 shell (`.recover`)",
            self.path,
        )

    def quick_check(self) -> list[str]:
        """``PRAGMA quick_check`` on the whole file: the problems found (empty when sound).

        Raises nothing for a damaged file: its problems are the result.
        """
        try:
            conn = self._connect(create=False)
        except sqlite3.Error as exc:
            return [str(exc)]
        try:
            rows = conn.execute("PRAGMA quick_check").fetchall()
        except sqlite3.Error as exc:
            return [str(exc)]
        finally:
            conn.close()
        lines = [str(row[0]) for row in rows]
        return [] if lines == ["ok"] else lines

    # ------------------------------------------------------------------ capabilities

    def watch(self) -> SqliteChangeFeed:
        """Listen for commits to this plan (see :class:`SqliteChangeFeed`)."""
        from statuskit.store._sqlite_watch import SqliteChangeFeed

        return SqliteChangeFeed(self)


def _held(path: str) -> bool:
    """Whether another process (or another descriptor of ours) holds ``flock`` on ``path``."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        return True
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def _sqlite_lockers(path: str) -> list[int]:
    """Processes holding SQLite's write lock on the database (Linux ``/proc/locks``).

    In WAL mode the write lock is a POSIX lock on byte 120 of the ``-shm`` file; a
    connection in exclusive locking mode holds write locks on the database file itself,
    from byte 0x40000000 (SQLite's lock bytes). This names the process, when on this host.
    """
    wanted: dict[str, tuple[int, int]] = {}  # device:inode -> range of lock offsets
    for name, low, high in ((path + "-shm", 120, 120), (path, 0x40000000, 0x40000200)):
        try:
            info = os.stat(name)
        except OSError:
            continue
        device = f"{os.major(info.st_dev):02x}:{os.minor(info.st_dev):02x}:{info.st_ino}"
        wanted[device] = (low, high)
    try:
        with open("/proc/locks", encoding="ascii") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return []
    pids = set()
    for line in lines:
        fields = line.split()
        # "1: POSIX  ADVISORY  WRITE 1234 08:01:5678 120 120"; blocked waiters have "->".
        if "->" in fields or len(fields) < 8 or fields[3] != "WRITE" or fields[5] not in wanted:
            continue
        low, high = wanted[fields[5]]
        with contextlib.suppress(ValueError):
            if low <= int(fields[6]) <= high:
                pids.add(int(fields[4]))
    return sorted(pids - {os.getpid()})


def _path_of(target: str) -> str:
    """``sqlite:///abs/x.db`` → ``/abs/x.db``; ``sqlite:rel/x.db`` → ``rel/x.db``."""
    rest = target.split(":", 1)[1]
    if rest.startswith("//"):
        rest = rest[2:]
        if not rest.startswith("/"):
            raise StoreNotSupported(
                target, "a host is not allowed (sqlite:///abs/path.db or sqlite:rel/path.db)"
            )
    rest = rest.split("?", 1)[0]
    if not rest or rest.endswith("/") or rest.lstrip("/") == ":memory:":
        raise StoreNotSupported(
            target, "name a database file (sqlite:///abs/path.db or sqlite:rel/path.db)"
        )
    return rest


def open_sqlite(target: str, *, plan: str | None, lock_timeout: float, **options: Any) -> Any:
    """The factory ``open_store`` calls for ``sqlite:`` targets (see :class:`SqliteStore`)."""
    unknown = sorted(set(options) - {"synchronous", "lock_file"})
    if unknown:
        raise StoreNotSupported(target, f"unknown options {unknown}")
    return SqliteStore(_path_of(target), plan, lock_timeout=lock_timeout, **options)
