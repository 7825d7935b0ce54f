"""SqliteStore when things go wrong: locks held, read-only files, damage, SIGKILL; and watching."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from statuskit import (
    CorruptStatus,
    LockTimeout,
    PlanStatus,
    RepairRefused,
    Task,
    TaskState,
    Tracker,
)
from statuskit.store._sqlite_watch import SqliteChangeFeed
from statuskit.store.sqlite import SqliteStore

from . import workers
from .clihelp import run
from .helpers import FULL

UTC = timezone.utc
T0 = datetime(2025, 6, 1, tzinfo=UTC)


def plan(n: int = 5) -> PlanStatus:
    return PlanStatus(
        tasks=tuple(Task(id=f"1.{i}", phase="Phase 1") for i in range(1, n + 1)), created_at=T0
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "statuskit.db"


@pytest.fixture
def store(db: Path) -> Iterator[SqliteStore]:
    """Plan ``p`` in a fresh database, with a short lock timeout."""
    with SqliteStore(db, "p", lock_timeout=0.5) as opened:
        opened.create(plan())
        yield opened


HOLD = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
if sys.argv[2] == "exclusive":
    conn.execute("PRAGMA locking_mode = EXCLUSIVE")
conn.execute("BEGIN IMMEDIATE")
conn.execute("UPDATE statuskit_plans SET updated_at = updated_at")
if sys.argv[2] == "exclusive":
    conn.execute("COMMIT")  # exclusive mode keeps the file locked after the commit
print("holding", flush=True)
sys.stdin.read()
"""


def hold(db: Path, mode: str) -> subprocess.Popen[str]:
    """Another program (the sqlite3 module, no statuskit) holding the database's write lock."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db), mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "holding"
    return proc


def release(proc: subprocess.Popen[str]) -> None:
    proc.communicate(timeout=30)  # closes stdin: the holder ends


class TestLocks:
    """Waiting too long is a LockTimeout that names the holder; nothing is written."""

    def test_foreign_writer_named(self, store: SqliteStore, db: Path) -> None:
        """A program holding SQLite's write lock is named by pid (from /proc/locks)."""
        assert store.lock_path is not None  # what an earlier writer left there is not believed
        Path(store.lock_path).write_text('{"pid": "1", "host": "elsewhere"}')
        proc = hold(db, "immediate")
        try:
            started = time.monotonic()
            with pytest.raises(LockTimeout) as caught:
                Tracker(store).complete("1.1")
            assert time.monotonic() - started < 10
            if sys.platform.startswith("linux"):
                assert caught.value.holder_pid == proc.pid
            assert caught.value.path == str(db)
            assert store.read().task("1.1").status is TaskState.PENDING  # reads still work
        finally:
            release(proc)
        assert Tracker(store).complete("1.1").changed  # and the lock is usable again

    def test_statuskit_writer_named(self, store: SqliteStore) -> None:
        """A statuskit writer holding the lock file is named from what it wrote there."""
        fork = multiprocessing.get_context("fork")
        ready = fork.Event()
        assert store.lock_path is not None
        holder = fork.Process(target=workers.hold_lock, args=(store.lock_path, ready))
        holder.start()
        try:
            assert ready.wait(30)
            with pytest.raises(LockTimeout) as caught:
                store.update(lambda s: s)
            assert caught.value.holder_pid == holder.pid
        finally:
            holder.kill()
            holder.join(30)

    def test_exclusive_lock_blocks_reads(self, store: SqliteStore, db: Path) -> None:
        """A file locked exclusively by another program: reads time out clearly too."""
        store.close()
        assert store.lock_path is not None  # what an earlier writer left there is not believed
        Path(store.lock_path).write_text('{"pid": "1", "host": "elsewhere"}')
        proc = hold(db, "exclusive")
        try:
            with (
                SqliteStore(db, "p", lock_timeout=0.3) as blocked,
                pytest.raises(LockTimeout) as caught,
            ):
                blocked.read()
            if sys.platform.startswith("linux"):
                assert caught.value.holder_pid == proc.pid
            result = run(
                "--store",
                f"sqlite:{db}",
                "--plan-key",
                "p",
                "--lock-timeout",
                "0.3",
                "status",
                cwd=db.parent,
            )
            assert result.code == 5, result.stdout
            assert result.json["error"]["code"] == "lock_busy"
        finally:
            release(proc)


class TestReadOnly:
    """A database that cannot be written: reads work, writes say why, nothing changes."""

    def test_read_only_connection(
        self, store: SqliteStore, db: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Writes to a database SQLite opened read-only raise PermissionError naming it."""
        store.close()
        original = SqliteStore._connect

        def read_only(self: SqliteStore, *, create: bool) -> sqlite3.Connection:
            conn = original(self, create=create)
            conn.execute("PRAGMA query_only = ON")  # what a read-only file gives SQLite
            return conn

        monkeypatch.setattr(SqliteStore, "_connect", read_only)
        with SqliteStore(db, "p") as ro:
            assert ro.read().tasks == plan().tasks
            with pytest.raises(PermissionError, match="read-only") as caught:
                Tracker(ro).complete("1.1")
            assert caught.value.filename == str(db)

    @pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
    def test_read_only_file(self, store: SqliteStore, db: Path, tmp_path: Path) -> None:
        """chmod a-w on the file: reads work, the CLI reports io_error (exit 11)."""
        store.close()
        db.chmod(0o444)
        try:
            result = run(
                "--store", f"sqlite:{db}", "--plan-key", "p", "mark-complete", "1.1", cwd=tmp_path
            )
            assert result.code == 11, result.stdout
            assert "read-only" in result.json["error"]["message"]
            status = run("--store", f"sqlite:{db}", "--plan-key", "p", "status", cwd=tmp_path)
            assert status.code == 0
        finally:
            db.chmod(0o644)


class TestDamage:
    """Damage is reported with what can be done; the file is never changed by statuskit."""

    def test_not_a_database(self, db: Path, tmp_path: Path) -> None:
        """A file that is not SQLite: CorruptStatus everywhere, exit 7, bytes untouched."""
        db.write_bytes(b"this is not a database\n" * 300)
        before = db.read_bytes()
        with SqliteStore(db, "p") as store:
            with pytest.raises(CorruptStatus, match="not a SQLite database"):
                store.read()
            with pytest.raises(CorruptStatus, match="recover"):
                store.update(lambda s: s)
            assert store.exists()  # something is there, and reading it says what is wrong
        for argv in (["status"], ["mark-complete", "1.1"], ["validate", "--repair"]):
            result = run("--store", f"sqlite:{db}", "--plan-key", "p", *argv, cwd=tmp_path)
            assert result.code == 7, (argv, result.stdout)
        assert db.read_bytes() == before

    def test_damaged_pages(self, db: Path) -> None:
        """Overwritten pages: CorruptStatus quoting PRAGMA quick_check."""
        with SqliteStore(db, "p") as store:
            store.create(plan(400))
        conn = sqlite3.connect(db)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        data = bytearray(db.read_bytes())
        page = 4096
        rng = random.Random(7)
        for offset in range(2 * page, len(data), page):  # every page after the schema's
            data[offset : offset + page] = rng.randbytes(page)
        db.write_bytes(bytes(data))
        with SqliteStore(db, "p") as store:
            assert store.quick_check() != []
            with pytest.raises(CorruptStatus) as caught:
                store.read()
            assert "damage" in caught.value.reason or "not a SQLite" in caught.value.reason
            with pytest.raises(RepairRefused):
                Tracker(store).repair(rebuild=plan())

    def test_undecodable_plan_rows(self, store: SqliteStore, db: Path) -> None:
        """Bad JSON in a task row: the plan is corrupt (others are not); --rebuild sets it aside."""
        with SqliteStore(db, "other") as other:
            other.create(plan(2))
        conn = sqlite3.connect(db)
        with conn:
            conn.execute(
                "UPDATE statuskit_tasks SET doc = '{broken', seq = 99 "
                "WHERE plan_key = 'p' AND position = 3"
            )
            conn.execute("UPDATE statuskit_plans SET seq = 99 WHERE plan_key = 'p'")
        conn.close()
        with pytest.raises(CorruptStatus) as caught:
            store.read()
        assert caught.value.json_path == "$.tasks[3]"
        with SqliteStore(db, "other") as other:
            assert len(other.read().tasks) == 2
        with pytest.raises(RepairRefused, match="rebuild"):
            Tracker(store).repair()
        report = Tracker(store).repair(rebuild=plan(3), dry_run=True)
        assert report.action == "rebuilt"
        with pytest.raises(CorruptStatus):
            store.read()  # a dry run changed nothing
        report = Tracker(store, clock=lambda: T0).repair(rebuild=plan(3))
        assert report.quarantined == f"sqlite://{db}#p.corrupt-20250601T000000.000Z"
        rebuilt = store.read()
        assert len(rebuilt.tasks) == 3
        assert "rebuiltAt" in rebuilt.extra
        keys = [entry.key for entry in store.plans()]
        assert keys == ["other", "p", "p.corrupt-20250601T000000.000Z"]


KILLS = 220 if FULL else 40


class TestCrashSafety:
    """Writers killed with SIGKILL at random moments lose nothing acknowledged."""

    @pytest.mark.skipif(sys.platform == "win32", reason="needs fork and SIGKILL")
    def test_sigkill_at_random_moments(self, db: Path, tmp_path: Path) -> None:
        """After each kill: every acknowledged update present, integrity_check ok."""
        target = f"sqlite:{db}#p"
        acks = tmp_path / "acks.txt"
        with SqliteStore(db, "p") as store:
            store.create(plan(100))
        acks.write_text("")
        rng = random.Random(4321)
        fork = multiprocessing.get_context("fork")
        next_token = 0
        unacked: set[int] = set()
        present_before: set[int] = {-1}
        for _ in range(KILLS):
            ready = fork.Event()
            child = fork.Process(
                target=workers.crash_writer, args=(target, str(acks), next_token, ready)
            )
            child.start()
            assert ready.wait(30)
            acked = len(acks.read_text().split())
            deadline = time.monotonic() + 60
            while len(acks.read_text().split()) <= acked and time.monotonic() < deadline:
                time.sleep(0.001)
            time.sleep(rng.uniform(0.0, 0.02))
            assert child.pid is not None
            os.kill(child.pid, signal.SIGKILL)
            child.join(30)
            assert child.exitcode == -signal.SIGKILL
            conn = sqlite3.connect(db)
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            conn.close()
            with SqliteStore(db, "p") as store:
                status = store.read()
            present = {
                int(token) for task in status.tasks for token in (task.notes or "").split("|#")[1:]
            }
            acknowledged = {int(line) for line in acks.read_text().split()}
            missing = acknowledged - present
            assert not missing, f"acknowledged updates lost: {sorted(missing)[:5]}"
            new_unacked = present - acknowledged - unacked
            assert new_unacked <= {max(acknowledged | present_before) + 1}
            unacked |= new_unacked
            present_before = present
            for task in status.tasks:
                tokens = [int(t) for t in (task.notes or "").split("|#")[1:]]
                assert len(tokens) == len(set(tokens))
                assert all(f"1.{t % 100 + 1}" == task.id for t in tokens)
            next_token = max(present | {next_token - 1}) + 1
        assert next_token > KILLS


def _start(db: Path, task_id: str) -> None:
    """Start a task from a store of its own (another connection, as another process would)."""
    with SqliteStore(db, "p") as store:
        Tracker(store).start(task_id)


@pytest.fixture(params=["inotify", "polling"])
def polling(request: pytest.FixtureRequest) -> bool:
    """Each way the feed can wait (inotify exists on Linux only)."""
    if request.param == "inotify" and not sys.platform.startswith("linux"):
        pytest.skip("inotify is Linux only")
    return bool(request.param == "polling")


class TestWatch:
    """The change feed wakes on this plan's commits only."""

    def test_wakes_on_commit_of_this_plan(
        self, store: SqliteStore, db: Path, polling: bool
    ) -> None:
        """Another connection's commit wakes it; a commit to another plan does not."""
        with SqliteStore(db, "other") as other:
            other.create(plan(2))
            feed = SqliteChangeFeed(store, force_polling=polling)
            assert feed.mode == ("polling" if polling else "inotify")
            try:
                assert not feed.wait(0.05)
                Tracker(other).start("1.1")
                assert not feed.wait(0.2)
                writer = threading.Thread(target=_start, args=(db, "1.1"))
                started = time.monotonic()
                writer.start()
                assert feed.wait(30)
                assert time.monotonic() - started < 30
                writer.join(30)
                assert not feed.wait(0.05)  # one change, one wake-up
            finally:
                feed.close()

    def test_before_the_database_exists(self, db: Path, polling: bool) -> None:
        """A feed opened before anything is stored wakes when the plan is created."""
        with SqliteStore(db, "p") as store:
            feed = SqliteChangeFeed(store, force_polling=polling)
            try:
                assert not feed.wait(0.05)
                with SqliteStore(db, "p") as creator:
                    creator.create(plan())
                assert feed.wait(30)
            finally:
                feed.close()

    def test_orchestrator_live_view(self, store: SqliteStore, db: Path) -> None:
        """The orchestrator's watcher uses the feed and hears a CLI command's change."""
        from statuskit.orchestrator.watch import StatusWatcher

        heard = threading.Event()
        watcher = StatusWatcher(store, heard.set).start()
        try:
            assert watcher.mode == "watch"
            assert not heard.wait(0.1)
            result = run(
                "--store", f"sqlite:{db}", "--plan-key", "p", "mark-started", "1.2", cwd=db.parent
            )
            assert result.code == 0, result.stdout
            assert heard.wait(30)
        finally:
            watcher.stop()
