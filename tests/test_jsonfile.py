"""JsonFileStore's durability protocol: atomic writes, backups, locks, corruption, repair."""

from __future__ import annotations

import fcntl
import json
import multiprocessing
import os
import random
import signal
import stat
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest

from statuskit import (
    SCHEMA_VERSION,
    CorruptStatus,
    JsonFileStore,
    LockTimeout,
    PlanStatus,
    RepairRefused,
    StatusExists,
    StatusMissing,
    Task,
    TaskState,
    Tracker,
    UnsafePath,
)

from . import workers
from .helpers import FULL
from .test_concurrency import SPAWN

UTC = timezone.utc
T0 = datetime(2025, 6, 1, tzinfo=UTC)


def plan(n: int = 3) -> PlanStatus:
    return PlanStatus(
        tasks=tuple(Task(id=f"1.{i}", phase="Phase 1") for i in range(1, n + 1)), created_at=T0
    )


@pytest.fixture
def store(tmp_path: Path) -> JsonFileStore:
    """A file store holding a 3-task plan."""
    store = JsonFileStore(tmp_path / "status.json", lock_timeout=5)
    store.create(plan())
    return store


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file in the folder with its bytes and inode (the lock file excluded)."""
    return {
        p.name: (p.read_bytes(), p.stat().st_ino)
        for p in folder.rglob("*")
        if p.is_file() and not p.name.endswith(".lock")
    }


class TestWrites:
    """Atomic replace, mode preservation, backups, unchanged updates."""

    def test_file_is_valid_json_with_summary(self, store: JsonFileStore) -> None:
        """The file is plain JSON with a recomputed summary and a trailing newline."""
        Tracker(store).complete("1.1")
        text = Path(store.path).read_text()
        assert text.endswith("}\n")
        doc = json.loads(text)
        assert doc["summary"] == {
            "totalTasks": 3,
            "pending": 2,
            "in_progress": 0,
            "completed": 1,
            "failed": 0,
            "skipped": 0,
        }
        assert doc["schemaVersion"] == SCHEMA_VERSION

    def test_mode_preserved(self, store: JsonFileStore) -> None:
        """A file made group-readable only stays so across updates."""
        os.chmod(store.path, 0o640)
        Tracker(store).start("1.1")
        assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o640

    def test_replace_not_rewrite(self, store: JsonFileStore) -> None:
        """Each update is a new inode (rename), never an in-place rewrite."""
        before = os.stat(store.path).st_ino
        Tracker(store).start("1.1")
        assert os.stat(store.path).st_ino != before

    def test_unchanged_update_writes_nothing(self, store: JsonFileStore) -> None:
        """An idempotent repeat leaves the file (and its inode) alone."""
        Tracker(store).start("1.1")
        folder = Path(store.path).parent
        before = snapshot(folder)
        assert not Tracker(store).start("1.1").changed
        assert snapshot(folder) == before

    def test_backups_rotate(self, store: JsonFileStore) -> None:
        """The previous good versions are kept, newest first."""
        tracker = Tracker(store)
        tracker.start("1.1")
        tracker.complete("1.1")
        tracker.start("1.2")
        assert store.backup_paths() == [store.path + ".bak", store.path + ".bak.1"]
        newest = JsonFileStore(store.path + ".bak").read()
        older = JsonFileStore(store.path + ".bak.1").read()
        assert newest.task("1.1").status is TaskState.COMPLETED
        assert newest.task("1.2").status is TaskState.PENDING
        assert older.task("1.1").status is TaskState.IN_PROGRESS

    def test_no_backups_option(self, tmp_path: Path) -> None:
        """backups=0 keeps none."""
        store = JsonFileStore(tmp_path / "s.json", backups=0)
        store.create(plan())
        Tracker(store).start("1.1")
        assert store.backup_paths() == []

    def test_findings_atomic_and_named(self, store: JsonFileStore) -> None:
        """Findings go to findings/<id with - for .>.md, relative path recorded."""
        location = Tracker(store).write_findings("1.2", "text")
        assert location == str(Path(store.path).parent / "findings" / "1-2.md")
        assert store.read().task("1.2").findings_path == os.path.join("findings", "1-2.md")
        assert list((Path(store.path).parent / "findings").iterdir()) == [Path(location)]


class TestReadsNeverWrite:
    """Reads take no lock and change nothing on disk."""

    def test_read_changes_nothing(self, store: JsonFileStore) -> None:
        """Even a file with a wrong stored summary is read without being 'fixed'."""
        path = Path(store.path)
        doc = json.loads(path.read_text())
        doc["summary"]["completed"] = 99
        path.write_text(json.dumps(doc))
        before = snapshot(path.parent)
        status = store.read()
        assert status.stored_summary is not None
        assert status.stored_summary.completed == 99
        assert status.summary.completed == 0
        assert snapshot(path.parent) == before

    def test_read_while_locked(self, store: JsonFileStore) -> None:
        """A reader is not blocked by a writer holding the lock."""
        with open(store.lock_path, "a") as other:
            fcntl.flock(other, fcntl.LOCK_EX)
            assert len(store.read().tasks) == 3


CORRUPTIONS: dict[str, Callable[[str], str]] = {
    "truncated": lambda text: text[: len(text) // 2],
    "garbage": lambda text: "\x00\x01garbage{{{",
    "empty": lambda text: "",
    "wrong-shape": lambda text: json.dumps({"tasks": {"1.1": "pending"}}),
    "bad-status": lambda text: text.replace('"pending"', '"in-progress"', 1),
    "not-utf8": lambda text: "\udcff",
}


class TestCorruption:
    """A corrupt file raises CorruptStatus, is never rewritten, and repair is explicit."""

    @pytest.mark.parametrize("kind", sorted(CORRUPTIONS))
    def test_every_operation_refuses(self, store: JsonFileStore, kind: str) -> None:
        """read and update raise CorruptStatus naming the problem; nothing is written."""
        Tracker(store).start("1.1")  # so that a backup exists
        path = Path(store.path)
        broken = CORRUPTIONS[kind](path.read_text())
        path.write_bytes(broken.encode("utf-8", "surrogateescape"))
        before = snapshot(path.parent)
        with pytest.raises(CorruptStatus) as info:
            store.read()
        error = info.value
        assert error.path == store.path
        assert error.backups == (store.path + ".bak",)
        assert str(error).startswith(f"{store.path}")
        with pytest.raises(CorruptStatus):
            Tracker(store).complete("1.2")
        assert snapshot(path.parent) == before

    def test_messages_name_the_problem(self, store: JsonFileStore) -> None:
        """Position for syntax errors, JSON path for shape errors."""
        path = Path(store.path)
        path.write_text('{"tasks": [}')
        with pytest.raises(CorruptStatus) as info:
            store.read()
        assert info.value.position == (1, 12)
        path.write_text(json.dumps({"tasks": [{"id": "1.1", "status": "done"}]}))
        with pytest.raises(CorruptStatus) as info:
            store.read()
        assert info.value.json_path == "$.tasks[0].status"

    def test_repair_restores_backup(self, store: JsonFileStore) -> None:
        """Repair keeps the corrupt file aside and restores the newest valid backup."""
        tracker = Tracker(store)
        tracker.start("1.1")
        tracker.complete("1.1")
        tracker.start("1.2")  # backups now: .bak = 1.1 completed, .bak.1 = 1.1 in progress
        path = Path(store.path)
        path.write_text("{ torn")
        Path(store.path + ".bak").write_text("also bad")  # newest backup unusable too
        report = Tracker(store, clock=lambda: T0).repair()
        assert report.action == "restored"
        assert report.restored_from == store.path + ".bak.1"
        assert report.quarantined is not None
        assert Path(report.quarantined).read_text() == "{ torn"
        restored = store.read()
        assert restored.task("1.1").status is TaskState.IN_PROGRESS
        assert report.restored_last_updated == restored.last_updated_at

    def test_repair_refuses_without_backup(self, tmp_path: Path) -> None:
        """No valid backup: refuse, touch nothing — unless told to rebuild."""
        store = JsonFileStore(tmp_path / "status.json")
        store.create(plan())
        path = Path(store.path)
        path.write_text("garbage")
        with pytest.raises(RepairRefused):
            Tracker(store, clock=lambda: T0).repair()
        assert path.read_text() == "garbage"
        assert sorted(p.name for p in tmp_path.iterdir()) == [
            "status.journal.jsonl",
            "status.json",
            "status.json.lock",
        ]
        report = Tracker(store, clock=lambda: T0).repair(rebuild=plan())
        assert report.action == "rebuilt"
        doc = json.loads(path.read_text())
        assert "rebuiltAt" in doc
        assert "reset to pending" in doc["rebuiltFrom"]
        assert all(t["status"] == "pending" for t in doc["tasks"])

    def test_repair_of_valid_file(self, store: JsonFileStore) -> None:
        """A readable file gets only the safe fixes; dry_run writes nothing."""
        path = Path(store.path)
        doc = json.loads(path.read_text())
        doc["summary"]["pending"] = 0
        path.write_text(json.dumps(doc))
        before = path.read_bytes()
        tracker = Tracker(store, clock=lambda: T0)
        report = tracker.repair(dry_run=True)
        assert [p.code for p in report.fixed] == ["summary_mismatch"]
        assert path.read_bytes() == before
        assert tracker.repair().action == "fixed"
        assert tracker.repair().action == "none"


class TestLock:
    """Timeouts name the holder; dead holders release at once; other flock users interoperate."""

    def test_stopped_holder_times_out_with_pid(self, store: JsonFileStore) -> None:
        """A SIGSTOPped holder makes a writer fail after about the timeout, naming its pid."""
        ready = SPAWN.Event()
        holder = SPAWN.Process(target=workers.hold_lock, args=(store.lock_path, ready))
        holder.start()
        try:
            assert ready.wait(60)
            assert holder.pid is not None
            os.kill(holder.pid, signal.SIGSTOP)
            waiter = JsonFileStore(store.path, lock_timeout=0.5)
            started = time.monotonic()
            with pytest.raises(LockTimeout) as info:
                Tracker(waiter).start("1.1")
            elapsed = time.monotonic() - started
            assert 0.45 <= elapsed < 5.0
            assert info.value.holder_pid == holder.pid
            assert f"pid {holder.pid}" in str(info.value)
            assert store.read().task("1.1").status is TaskState.PENDING
            # A killed holder releases the lock at once: the next writer gets in.
            os.kill(holder.pid, signal.SIGKILL)
            os.kill(holder.pid, signal.SIGCONT)
            holder.join(timeout=30)
            assert Tracker(JsonFileStore(store.path, lock_timeout=5)).start("1.1").changed
        finally:
            if holder.is_alive():
                holder.kill()
                holder.join()

    def test_waiter_gets_lock_soon_after_release(self, store: JsonFileStore) -> None:
        """A waiter does not sleep through a release (no fixed polling step)."""
        ready = SPAWN.Event()
        holder = SPAWN.Process(target=workers.hold_lock, args=(store.lock_path, ready))
        holder.start()
        try:
            assert ready.wait(60)
            assert holder.pid is not None
            killed_at: list[float] = []

            def kill_soon() -> None:
                time.sleep(0.3)
                killed_at.append(time.monotonic())
                os.kill(holder.pid, signal.SIGKILL)  # type: ignore[arg-type]

            import threading

            threading.Thread(target=kill_soon).start()
            Tracker(JsonFileStore(store.path, lock_timeout=10)).start("1.1")
            assert killed_at, "the update finished before the holder was killed"
            assert time.monotonic() - killed_at[0] < 2.0
        finally:
            holder.join(timeout=30)

    def test_flock_excludes_statuskit(self, store: JsonFileStore) -> None:
        """Another program's flock on the lock file (flock(1), portalocker) blocks writers."""
        with open(store.lock_path, "a") as other:
            fcntl.flock(other, fcntl.LOCK_EX)
            with pytest.raises(LockTimeout):
                Tracker(JsonFileStore(store.path, lock_timeout=0.3)).start("1.1")
        assert Tracker(JsonFileStore(store.path, lock_timeout=1)).start("1.1").changed

    def test_statuskit_lock_excludes_flock(self, store: JsonFileStore) -> None:
        """And the other way round."""
        from statuskit.store._lock import WriterLock

        with open(store.lock_path, "a") as other:
            with WriterLock(store.lock_path, timeout=1), pytest.raises(BlockingIOError):
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def test_lock_file_never_removed(self, store: JsonFileStore) -> None:
        """The lock file keeps its inode across updates."""
        Tracker(store).start("1.1")
        inode = os.stat(store.lock_path).st_ino
        Tracker(store).complete("1.1")
        assert os.stat(store.lock_path).st_ino == inode


KILLS = 220 if FULL else 30


class TestCrashSafety:
    """Writers killed with SIGKILL at random moments never corrupt or lose acknowledged data."""

    @pytest.mark.skipif(sys.platform == "win32", reason="needs fork and SIGKILL")
    def test_sigkill_at_random_moments(self, tmp_path: Path) -> None:
        """After each kill the file parses and every acknowledged update is present."""
        path = tmp_path / "status.json"
        acks = tmp_path / "acks.txt"
        JsonFileStore(path).create(plan(100))
        acks.write_text("")
        rng = random.Random(1234)
        # fork: the writer starts in milliseconds with statuskit already imported, so the
        # kills land in the middle of its updates rather than during interpreter start-up.
        fork = multiprocessing.get_context("fork")
        next_token = 0
        unacked: set[int] = set()
        present_before: set[int] = {-1}
        for _ in range(KILLS):
            ready = fork.Event()
            child = fork.Process(
                target=workers.crash_writer, args=(str(path), str(acks), next_token, ready)
            )
            child.start()
            assert ready.wait(30)
            # Wait for progress (one more acknowledged update), not for a fixed time: under
            # load a fixed sleep may end before the writer has done anything at all.
            acked = len(acks.read_text().split())
            deadline = time.monotonic() + 60
            while len(acks.read_text().split()) <= acked and time.monotonic() < deadline:
                time.sleep(0.001)
            time.sleep(rng.uniform(0.0, 0.03))
            assert child.pid is not None
            os.kill(child.pid, signal.SIGKILL)
            child.join(30)
            assert child.exitcode == -signal.SIGKILL
            status = JsonFileStore(path).read()  # parses: never torn
            present = {
                int(token) for task in status.tasks for token in (task.notes or "").split("|#")[1:]
            }
            acknowledged = {int(line) for line in acks.read_text().split()}
            missing = acknowledged - present
            assert not missing, f"acknowledged updates lost: {sorted(missing)[:5]}"
            # Only an update in flight at a kill may be present without its ack: at most
            # one more per kill, and it is the token right after the last acknowledged one.
            new_unacked = present - acknowledged - unacked
            assert new_unacked <= {max(acknowledged | present_before) + 1}
            unacked |= new_unacked
            present_before = present
            for task in status.tasks:  # tokens sit on the right task, each once
                tokens = [int(t) for t in (task.notes or "").split("|#")[1:]]
                assert len(tokens) == len(set(tokens))
                assert all(f"1.{t % 100 + 1}" == task.id for t in tokens)
            for backup in JsonFileStore(path).backup_paths():
                JsonFileStore(backup).read()
            next_token = max(present | {next_token - 1}) + 1
        assert next_token > KILLS  # the writers did real work between kills


class TestDeletedFile:
    """A deleted status.json: restore brings back a backup; create does not bury them."""

    def test_restore_after_delete(self, store: JsonFileStore) -> None:
        """The newest valid backup comes back; nothing is quarantined (there was no file)."""
        tracker = Tracker(store)
        tracker.start("1.1")
        tracker.complete("1.1")  # .bak: 1.1 in progress
        os.unlink(store.path)
        report = Tracker(store, clock=lambda: T0).repair()
        assert (report.action, report.restored_from, report.quarantined) == (
            "restored",
            store.path + ".bak",
            None,
        )
        assert report.corrupt_reason == "the file was deleted"
        assert store.read().task("1.1").status is TaskState.IN_PROGRESS

    def test_restore_refusals(self, tmp_path: Path) -> None:
        """No backup at all: StatusMissing; only bad ones: RepairRefused unless rebuilt."""
        store = JsonFileStore(tmp_path / "status.json")
        with pytest.raises(StatusMissing):
            store.restore(now=T0)
        Path(store.path + ".bak").write_text("not json")
        with pytest.raises(RepairRefused, match="is missing"):
            store.restore(now=T0)
        assert not os.path.exists(store.path)
        report = store.restore(now=T0, rebuild=plan())
        assert report.action == "rebuilt"
        assert "rebuiltAt" in json.loads(Path(store.path).read_text())

    def test_create_over_backups(self, store: JsonFileStore) -> None:
        """create refuses while backups of a deleted status remain; force sets them aside."""
        Tracker(store).start("1.1")
        os.unlink(store.path)
        backup = Path(store.path + ".bak").read_bytes()
        with pytest.raises(StatusExists) as info:
            store.create(plan(5))
        assert info.value.backups == (store.path + ".bak",)
        assert not os.path.exists(store.path)
        store.create(plan(5), force=True)
        assert len(store.read().tasks) == 5
        assert store.backup_paths() == []
        aside = list(Path(store.path).parent.glob("status.json.earlier-*.bak"))
        assert [p.read_bytes() for p in aside] == [backup]

    def test_corrupt_lists_valid_backups_only(self, store: JsonFileStore) -> None:
        """CorruptStatus.backups names only what a repair could restore."""
        tracker = Tracker(store)
        tracker.start("1.1")
        tracker.complete("1.1")
        Path(store.path).write_text("{")
        Path(store.path + ".bak").write_text("[")
        with pytest.raises(CorruptStatus) as info:
            store.read()
        assert info.value.backups == (store.path + ".bak.1",)
        assert store.valid_backups() == [store.path + ".bak.1"]


class TestUnsafePaths:
    """Links and odd files where the store writes are refused (UnsafePath), nothing written."""

    def test_status_link(self, store: JsonFileStore, tmp_path: Path) -> None:
        """A status.json link is read through but never replaced."""
        real = tmp_path / "real.json"
        os.replace(store.path, real)
        os.symlink(real, store.path)
        assert len(store.read().tasks) == 3
        with pytest.raises(UnsafePath, match="symbolic link"):
            Tracker(store).start("1.1")
        assert os.path.islink(store.path)
        assert store.read().task("1.1").status is TaskState.PENDING

    def test_dangling_status_link_on_create(self, tmp_path: Path) -> None:
        """create over a dangling status link does not create the link's target."""
        target = tmp_path / "elsewhere.json"
        os.symlink(target, tmp_path / "status.json")
        with pytest.raises(UnsafePath):
            JsonFileStore(tmp_path / "status.json").create(plan())
        assert not target.exists()

    def test_lock_link(self, store: JsonFileStore, tmp_path: Path) -> None:
        """A lock-file link is refused; the victim keeps its bytes."""
        victim = tmp_path / "victim"
        victim.write_bytes(b"v" * 1000)
        os.unlink(store.lock_path)
        os.symlink(victim, store.lock_path)
        with pytest.raises(UnsafePath):
            Tracker(store).start("1.1")
        assert victim.read_bytes() == b"v" * 1000


class TestStaleTemps:
    """Temp files of killed writers are removed by the next write, under the lock."""

    def test_update_removes_them(self, store: JsonFileStore) -> None:
        """Leftover status and backup temp files go; other files stay."""
        folder = Path(store.path).parent
        leftovers = [
            folder / ".status.json.4242.0123456789ab.tmp",
            folder / ".status.json.corrupt-20250101T000000.000Z.4242.0123456789ab.tmp",
            folder / "status.json.bak.4242.01234567.tmp",
        ]
        for path in leftovers:
            path.write_text("partial")
        other = folder / ".other.json.4242.0123456789ab.tmp"  # another status's
        other.write_text("not ours")
        Tracker(store).start("1.1")
        assert [p.name for p in leftovers if p.exists()] == []
        assert other.exists()


class TestLockWaitInterrupted:
    """A waiter interrupted (Ctrl-C) does not take the lock later and keep it."""

    def test_interrupt_releases(self, store: JsonFileStore) -> None:
        """After an interrupted wait and the holder's release, the lock is free again."""
        from statuskit.store import _lock

        with open(store.lock_path, "a") as holder:
            fcntl.flock(holder, fcntl.LOCK_EX)
            fd = os.open(store.lock_path, os.O_RDWR)
            waiter = _lock._Waiter(fd)

            def interrupted(timeout: float | None = None) -> bool:
                raise KeyboardInterrupt

            waiter.got.wait = interrupted  # type: ignore[method-assign]
            with pytest.raises(KeyboardInterrupt):
                waiter.wait(10)
        # The holder is gone; the helper thread gets the lock and must hand it straight on.
        deadline = time.monotonic() + 30
        with open(store.lock_path, "a") as probe:
            while True:
                try:
                    fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    assert time.monotonic() < deadline, "the interrupted waiter kept the lock"
                    time.sleep(0.01)

    def test_long_thread_name_keeps_a_readable_record(self, store: JsonFileStore) -> None:
        """A holder record never outgrows its 512-byte slot (else no one could read it)."""
        import threading

        from statuskit.store._lock import WriterLock, current_holder

        seen: list[dict[str, str]] = []

        def hold() -> None:
            with WriterLock(store.lock_path, timeout=5):
                seen.append(current_holder(store.lock_path))

        thread = threading.Thread(target=hold, name="t" * 2000)
        thread.start()
        thread.join(30)
        assert seen[0]["pid"] == str(os.getpid())
