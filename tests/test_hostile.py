"""The hostile-input attack list (issue 11): links, deleted files, odd inputs, held locks.

Each class is one attack. Every refusal is checked three ways: the documented exit code and
error code, a message that names the culprit, and the data left exactly as it was.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from statuskit import (
    DuplicateTaskIds,
    JsonFileStore,
    LockTimeout,
    MemoryStore,
    PlanStatus,
    StatusStore,
    Task,
    Tracker,
    UnsafePath,
)
from statuskit.cli import EXIT_CODES

from .clihelp import SRC, Result, run
from .test_cli import PLAN, STATUS, error, ok, sk

LINUX = sys.platform.startswith("linux")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder with plan.md and an initialized status (a backup exists after one write)."""
    (tmp_path / "plan.md").write_text(PLAN)
    ok(run("--plan", "plan.md", "init", cwd=tmp_path))
    ok(run("--plan", "plan.md", "mark-started", "1.1", cwd=tmp_path))
    return tmp_path


def folder_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (links as their target text), lock files aside."""
    found: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            found[str(path.relative_to(folder))] = b"-> " + os.readlink(path).encode()
        elif path.is_file() and path.suffix != ".lock":  # the lock's record may change
            found[str(path.relative_to(folder))] = path.read_bytes()
    return found


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


class TestLinksAreRefused:
    """Item 1 and 19: nothing is written or created through a link planted in the folder."""

    def test_lock_link_to_a_victim(
        self, project: Path, tmp_path_factory: pytest.TempPathFactory
    ) -> None:
        """status.json.lock -> victim: refused with io_error, the victim keeps its bytes."""
        victim = tmp_path_factory.mktemp("elsewhere") / "victim"
        victim.write_bytes(b"precious " * 100)
        lock = project / f"{STATUS}.lock"
        lock.unlink()
        lock.symlink_to(victim)
        before = folder_bytes(project)
        err = error(sk(project, "mark-complete", "1.2"), "io_error")
        assert "symbolic link" in err["message"]
        assert str(victim) in err["message"]
        assert victim.read_bytes() == b"precious " * 100
        assert folder_bytes(project) == before

    def test_dangling_lock_link_creates_nothing(
        self, project: Path, tmp_path_factory: pytest.TempPathFactory
    ) -> None:
        """A dangling lock link is refused; its target is not created."""
        target = tmp_path_factory.mktemp("elsewhere") / "created-by-statuskit"
        lock = project / f"{STATUS}.lock"
        lock.unlink()
        lock.symlink_to(target)
        error(sk(project, "mark-complete", "1.2"), "io_error")
        assert not target.exists()

    @pytest.mark.parametrize("kind", ["fifo", "folder", "hardlink"])
    def test_lock_that_is_not_our_file(self, project: Path, kind: str) -> None:
        """A FIFO, a folder or a hard link shared with another file is refused, never used."""
        lock = project / f"{STATUS}.lock"
        lock.unlink()
        if kind == "fifo":
            os.mkfifo(lock)
        elif kind == "folder":
            lock.mkdir()
        else:
            other = project / "other-file"
            other.write_text("someone's data")
            os.link(other, lock)
        before = folder_bytes(project)
        err = error(sk(project, "mark-complete", "1.2"), "io_error")
        assert str(lock) in err["message"] or "status.json.lock" in err["message"]
        assert folder_bytes(project) == before
        if kind == "hardlink":
            assert (project / "other-file").read_text() == "someone's data"

    def test_findings_folder_link(
        self, project: Path, tmp_path_factory: pytest.TempPathFactory
    ) -> None:
        """findings -> elsewhere: write-findings refuses; nothing lands elsewhere."""
        elsewhere = tmp_path_factory.mktemp("elsewhere")
        (project / STATUS.parent / "findings").symlink_to(elsewhere)
        (project / "f.md").write_text("notes")
        before = folder_bytes(project)
        err = error(sk(project, "write-findings", "1.1", "--file", "f.md"), "io_error")
        assert "findings" in err["message"]
        assert list(elsewhere.iterdir()) == []
        assert folder_bytes(project) == before
        error(sk(project, "read-findings", "1.1"), "io_error")

    def test_findings_file_link(
        self, project: Path, tmp_path_factory: pytest.TempPathFactory
    ) -> None:
        """findings/1-1.md -> victim: reading refuses; writing replaces the link, not the victim."""
        victim = tmp_path_factory.mktemp("elsewhere") / "victim"
        victim.write_text("secret")
        findings = project / STATUS.parent / "findings"
        findings.mkdir()
        (findings / "1-1.md").symlink_to(victim)
        error(sk(project, "read-findings", "1.1"), "io_error")
        (project / "f.md").write_text("real findings")
        ok(sk(project, "write-findings", "1.1", "--file", "f.md"))
        assert victim.read_text() == "secret"
        assert not (findings / "1-1.md").is_symlink()
        assert ok(sk(project, "read-findings", "1.1"))["text"] == "real findings"

    def test_status_link_is_not_detached(self, project: Path) -> None:
        """status.json -> real.json: reads follow it; writes refuse; link and target stay."""
        status = project / STATUS
        real = project / "real.json"
        status.rename(real)
        status.symlink_to(real)
        before = folder_bytes(project)
        assert ok(sk(project, "status"))["summary"]["in_progress"] == 1
        err = error(sk(project, "mark-complete", "1.2"), "io_error")
        assert "symbolic link" in err["message"]
        assert "target" in err["message"]
        assert folder_bytes(project) == before
        assert status.is_symlink()

    def test_status_fifo_never_blocks(self, tmp_path: Path) -> None:
        """A FIFO in place of status.json is refused at once, not read forever."""
        os.mkfifo(tmp_path / "status.json")
        store = JsonFileStore(tmp_path / "status.json", lock_timeout=1)
        with pytest.raises(UnsafePath, match="FIFO"):
            store.read()
        with pytest.raises(UnsafePath):
            Tracker(store).start("1.1")


class TestDeletedStatus:
    """Item 2: a deleted status.json is restored from its backups, and init does not bury them."""

    def test_repair_restores_the_newest_backup(self, project: Path) -> None:
        """validate --repair brings back the newest valid backup (a bad one is skipped)."""
        ok(sk(project, "mark-complete", "1.1"))  # .bak: 1.1 in progress, .bak.1: all pending
        (project / STATUS).unlink()
        err = error(sk(project, "status"), "not_found")
        assert "validate --repair" in err["hint"]
        doc = ok(sk(project, "validate", "--repair"))
        assert doc["action"] == "restored"
        assert doc["restoredFrom"].endswith("status.json.bak")
        assert doc["quarantined"] is None
        assert ok(sk(project, "status"))["summary"]["in_progress"] == 1

    def test_repair_skips_a_bad_backup(self, project: Path) -> None:
        """With .bak unreadable, .bak.1 is restored."""
        ok(sk(project, "mark-complete", "1.1"))
        (project / STATUS).unlink()
        (project / f"{STATUS}.bak").write_text("{ torn")
        doc = ok(sk(project, "validate", "--repair"))
        assert doc["restoredFrom"].endswith("status.json.bak.1")
        assert ok(sk(project, "status"))["summary"]["pending"] == 5

    def test_init_refuses_over_backups(self, project: Path) -> None:
        """init says the earlier status's backups exist; they are untouched."""
        (project / STATUS).unlink()
        before = folder_bytes(project)
        err = error(sk(project, "init"), "exists")
        assert "backups" in err["message"]
        assert "--force" in err["hint"]
        assert "validate --repair" in err["hint"]
        assert folder_bytes(project) == before

    def test_init_force_sets_the_backups_aside(self, project: Path) -> None:
        """init --force starts over; the earlier backups are kept under other names."""
        earlier = (project / f"{STATUS}.bak").read_bytes()
        (project / STATUS).unlink()
        ok(sk(project, "init", "--force"))
        assert ok(sk(project, "status"))["summary"]["pending"] == 5
        kept = sorted((project / STATUS.parent).glob("status.json.earlier-*.bak"))
        assert [p.read_bytes() for p in kept] == [earlier]
        for _ in range(3):  # the rotation never reaches them
            ok(sk(project, "mark-started", "1.2"))
            ok(sk(project, "reset", "1.2"))
        assert kept[0].read_bytes() == earlier

    def test_no_backup_means_init(self, tmp_path: Path) -> None:
        """Without backups, a missing status is plainly not found (hint: init)."""
        (tmp_path / "plan.md").write_text(PLAN)
        err = error(run("--plan", "plan.md", "validate", "--repair", cwd=tmp_path), "not_found")
        assert "init" in err["hint"]


class TestPlanMismatch:
    """Item 4: two plans whose files share a stem never write each other's status."""

    @pytest.fixture
    def two(self, tmp_path: Path) -> Path:
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            (tmp_path / name / "plan.md").write_text(PLAN)
        return tmp_path

    def test_json_layout(self, two: Path) -> None:
        """--plan a/plan.md init, then --plan b/plan.md mark-complete: refused, exit 16."""
        ok(run("--plan", "a/plan.md", "init", cwd=two))
        before = folder_bytes(two)
        result = run("--plan", "b/plan.md", "mark-complete", "1.1", cwd=two)
        err = error(result, "plan_mismatch")
        assert "a/plan.md" in err["message"]
        assert result.code == 16
        assert folder_bytes(two) == before
        error(run("--plan", "b/plan.md", "init", cwd=two), "plan_mismatch")
        assert folder_bytes(two) == before
        ok(run("--plan", "a/plan.md", "mark-complete", "1.1", cwd=two))

    def test_memory_store(self, two: Path) -> None:
        """The same through open_store("memory:...") (one process shares it by name)."""
        url = f"memory:mismatch-{os.getpid()}-{time.monotonic_ns()}"
        ok(run("--store", url, "--plan", "a/plan.md", "init", cwd=two))
        error(
            run("--store", url, "--plan", "b/plan.md", "mark-complete", "1.1", cwd=two),
            "plan_mismatch",
        )
        error(run("--store", url, "--plan", "b/plan.md", "init", cwd=two), "plan_mismatch")
        doc = ok(run("--store", url, "--plan", "a/plan.md", "status", cwd=two))
        assert doc["summary"]["completed"] == 0


class TestFindingsLimits:
    """Item 7: findings are capped, sources are checked, never more than cap + 1 bytes read."""

    def test_device_is_refused(self, project: Path) -> None:
        """--file /dev/zero is refused before it is read."""
        before = folder_bytes(project)
        err = error(sk(project, "write-findings", "1.1", "--file", "/dev/zero"), "usage")
        assert "character device" in err["message"]
        assert folder_bytes(project) == before

    def test_folder_is_refused(self, project: Path) -> None:
        """A folder is not a findings file."""
        error(sk(project, "write-findings", "1.1", "--file", "."), "usage")

    def test_limit_boundary(self, project: Path) -> None:
        """Exactly the limit is accepted; one byte more is refused with the limit named."""
        (project / "f.md").write_bytes(b"x" * 2048)
        ok(sk(project, "write-findings", "1.1", "--file", "f.md", "--max-bytes", "2k"))
        (project / "f.md").write_bytes(b"x" * 2049)
        before = folder_bytes(project)
        err = error(
            sk(project, "write-findings", "1.1", "--file", "f.md", "--max-bytes", "2k"), "usage"
        )
        assert "2048" in err["message"]
        assert folder_bytes(project) == before

    def test_env_limit(self, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """$STATUSKIT_FINDINGS_MAX_BYTES sets the limit; a bad value is a usage error."""
        (project / "f.md").write_bytes(b"x" * 100)
        monkeypatch.setenv("STATUSKIT_FINDINGS_MAX_BYTES", "99")
        error(sk(project, "write-findings", "1.1", "--file", "f.md"), "usage")
        monkeypatch.setenv("STATUSKIT_FINDINGS_MAX_BYTES", "lots")
        err = error(sk(project, "write-findings", "1.1", "--file", "f.md"), "usage")
        assert "STATUSKIT_FINDINGS_MAX_BYTES" in err["message"]

    def test_endless_stdin_is_read_only_to_the_limit(
        self, project: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """An endless stdin: at most limit + 1 bytes are read, then a clear error."""
        read = [0]

        class Endless:
            def read(self, size: int = -1) -> bytes:
                assert size > 0, "an unbounded read of an endless stream"
                read[0] += size
                return b"y" * size

        class Stdin:
            buffer = Endless()

        before = folder_bytes(project)
        monkeypatch.setattr(sys, "stdin", Stdin())
        from statuskit.cli import main

        code = main(
            ["--plan", "plan.md", "write-findings", "1.1", "--stdin", "--max-bytes", "100k"]
        )
        assert code == EXIT_CODES["usage"]
        assert read[0] == 100 * 1024 + 1
        assert folder_bytes(project) == before

    def test_pipe_is_accepted(self, project: Path) -> None:
        """A FIFO (what --file <(command) gives) is read like a file."""
        fifo = project / "pipe"
        os.mkfifo(fifo)
        writer = subprocess.Popen(
            [sys.executable, "-c", f"open({str(fifo)!r}, 'w').write('from a pipe')"]
        )
        try:
            ok(sk(project, "write-findings", "1.1", "--file", "pipe"))
        finally:
            writer.wait(60)
        assert ok(sk(project, "read-findings", "1.1"))["text"] == "from a pipe"


class TestNotText:
    """Item 15: arguments and findings that are not UTF-8 are named, as usage errors."""

    @pytest.mark.parametrize(
        "argv",
        [
            ["mark-complete", "1.2", "--notes", "ok\udcff"],
            ["mark-failed", "1.2", "--error", "\udcfe\udcff"],
            ["mark-skipped", "1.2", "--reason=x\udcff"],
            ["claim", "--owner", "w\udcff"],
        ],
    )
    def test_arguments(self, project: Path, argv: list[str]) -> None:
        """The message names the option and the byte; nothing is written."""
        before = folder_bytes(project)
        err = error(sk(project, *argv), "usage")
        option = next(a for a in argv if a.startswith("--")).split("=")[0]
        assert err["message"].startswith(f"{option} is not valid UTF-8")
        assert "0xff" in err["message"] or "0xfe" in err["message"]
        assert folder_bytes(project) == before

    def test_raw_bytes_through_a_real_process(self, project: Path) -> None:
        """The same from a real command line carrying the bytes 0xff 0xfe."""
        argv = [
            sys.executable,
            "-c",
            "import sys; from statuskit.cli import main; sys.exit(main())",
        ]
        argv_bytes = [os.fsencode(a) for a in argv] + [
            b"--plan",
            b"plan.md",
            b"mark-complete",
            b"1.2",
            b"--notes",
            b"done \xff\xfe",
        ]
        done = subprocess.run(
            argv_bytes,
            cwd=project,
            env={**os.environ, "PYTHONPATH": str(SRC)},
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == EXIT_CODES["usage"]
        assert "--notes is not valid UTF-8 text (byte 0xff at offset 5)" in done.stdout.decode()
        assert b"Traceback" not in done.stderr

    def test_findings_file_and_stdin(self, project: Path) -> None:
        """A findings file or stdin that is not UTF-8: named, with the offset."""
        (project / "bad.md").write_bytes(b"fine\n\xff")
        err = error(sk(project, "write-findings", "1.1", "--file", "bad.md"), "usage")
        assert "bad.md is not UTF-8 text: byte 0xff at offset 5" in err["message"]
        result = run(
            "--plan", "plan.md", "write-findings", "1.1", "--stdin", cwd=project, stdin="a\udcff"
        )
        assert "stdin is not UTF-8" in error(result, "usage")["message"]
        assert not (project / STATUS.parent / "findings").exists()


def with_duplicates(path: Path) -> None:
    doc = json.loads(path.read_text())
    doc["tasks"].append({**doc["tasks"][1], "description": "the same id again"})
    path.write_text(json.dumps(doc))


class TestDuplicateIds:
    """Item 16: a status with one id twice is refused by every writer, on every backend."""

    @pytest.mark.parametrize(
        "argv",
        [
            ["mark-complete", "1.2"],
            ["mark-started", "1.2"],
            ["claim", "--owner", "w"],
            ["start-run"],
            ["write-findings", "1.3", "--stdin", "--allow-empty"],
        ],
    )
    def test_cli_writers_refuse(self, project: Path, argv: list[str]) -> None:
        """Exit 7 naming the id; the file and the folder are untouched; validate reports it."""
        with_duplicates(project / STATUS)
        before = folder_bytes(project)
        err = error(sk(project, *argv), "corrupt")
        assert err["details"]["ids"] == ["1.2"]
        assert "1.2" in err["message"]
        assert folder_bytes(project) == before
        problems = error(sk(project, "validate"), "check_failed")["details"]["problems"]
        assert [p["task"] for p in problems if p["code"] == "duplicate_id"] == ["1.2"]

    @pytest.mark.parametrize("backend", ["memory", "jsonfile"])
    def test_every_backend(self, tmp_path: Path, backend: str) -> None:
        """The refusal lives in the Tracker, so every store gets it; reads still work."""
        status = PlanStatus(tasks=(Task(id="1.1"), Task(id="1.2"), Task(id="1.1")))
        store: StatusStore = MemoryStore(status)
        if backend == "jsonfile":
            store = JsonFileStore(tmp_path / "status.json")
            store.create(status)
        tracker = Tracker(store)
        with pytest.raises(DuplicateTaskIds) as info:
            tracker.complete("1.2")
        assert info.value.ids == ("1.1",)
        with pytest.raises(DuplicateTaskIds):
            tracker.claim(1, "w")
        assert store.read().tasks == status.tasks
        assert tracker.status().tasks == status.tasks
        assert tracker.repair().remaining[0].code == "duplicate_id"


@contextlib.contextmanager
def held_with_flock(path: Path) -> Iterator[None]:
    """Another program holding the lock file with flock (as flock(1) does), no record written."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time\n"
            f"f = open({str(path)!r}, 'a')\n"
            "fcntl.flock(f, fcntl.LOCK_EX)\n"
            "print('held', flush=True)\n"
            "time.sleep(600)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    with proc, proc.stdout:
        try:
            assert proc.stdout.readline() == "held\n"
            yield
        finally:
            proc.kill()


class TestLockHolder:
    """Item 18: a timeout names the holder only when its record is current."""

    def write_record(self, lock: Path, pid: int) -> None:
        record = {"pid": pid, "host": os.uname().nodename, "since": "2020-01-01T00:00:00.000+00:00"}
        lock.write_bytes(json.dumps(record).encode().ljust(512))

    @pytest.mark.parametrize("who", ["dead", "alive-not-holding"])
    def test_stale_record_is_not_believed(self, tmp_path: Path, who: str) -> None:
        """A record of a dead pid, or of a live process that does not hold the lock: unknown."""
        store = JsonFileStore(tmp_path / "status.json", lock_timeout=0.3)
        store.create(PlanStatus(tasks=(Task(id="1.1"),)))
        pid = dead_pid() if who == "dead" else os.getpid()
        if who == "alive-not-holding" and not LINUX:
            pytest.skip("needs /proc/locks to tell who holds a lock")
        self.write_record(Path(store.lock_path), pid)
        with held_with_flock(Path(store.lock_path)), pytest.raises(LockTimeout) as info:
            Tracker(store).start("1.1")
        assert info.value.holder == {}
        assert info.value.holder_pid is None
        assert "unknown holder" in str(info.value)
        assert str(pid) not in str(info.value)

    def test_garbage_after_the_record(self, tmp_path: Path) -> None:
        """Garbage beyond 512 bytes does not hide a current holder."""
        from . import workers
        from .test_concurrency import SPAWN

        store = JsonFileStore(tmp_path / "status.json", lock_timeout=0.3)
        store.create(PlanStatus(tasks=(Task(id="1.1"),)))
        Path(store.lock_path).write_bytes(b"\x00garbage{" * 300)
        ready = SPAWN.Event()
        holder = SPAWN.Process(target=workers.hold_lock, args=(store.lock_path, ready))
        holder.start()
        try:
            assert ready.wait(60)
            with pytest.raises(LockTimeout) as info:
                Tracker(store).start("1.1")
            assert info.value.holder_pid == holder.pid
        finally:
            holder.kill()
            holder.join(30)


def console_process(argv: list[str], cwd: Path) -> subprocess.Popen[str]:
    """``statuskit ARGV`` through the console entry point, with Ctrl-C delivered as Python does."""
    code = (
        "import signal; signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "from statuskit.cli import console; console()"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code, *argv],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def waiting_on_lock(pid: int) -> bool:
    """Whether ``pid`` is queued for a lock (a ``->`` line of /proc/locks)."""
    lines = Path("/proc/locks").read_text().splitlines()
    return any(line.split()[1] == "->" and line.split()[5] == str(pid) for line in lines)


class TestInterrupted:
    """Item 21: Ctrl-C and SIGTERM say `interrupted` (130), with no traceback."""

    @pytest.mark.skipif(not LINUX, reason="waits for the queued lock in /proc/locks")
    @pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
    def test_signal_while_waiting_for_the_lock(self, project: Path, sig: signal.Signals) -> None:
        """A writer waiting on a held lock is stopped cleanly; nothing is written."""
        before = folder_bytes(project)
        with held_with_flock(project / f"{STATUS}.lock"):
            proc = console_process(
                ["--plan", "plan.md", "--lock-timeout", "600", "mark-complete", "1.2"], project
            )
            deadline = time.monotonic() + 60
            while not waiting_on_lock(proc.pid):
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline, "the writer never queued for the lock"
                time.sleep(0.01)
            proc.send_signal(sig)
            out, err = proc.communicate(timeout=60)
        assert proc.returncode == 130
        assert json.loads(out)["error"]["code"] == "interrupted"
        assert "Traceback" not in err
        assert folder_bytes(project) == before


class TestStaleTempFiles:
    """Item 21: temp files of writers killed mid-write are removed by the next write."""

    def test_status_folder(self, project: Path) -> None:
        """Under the lock every temp file of ours is stale: all are removed, nothing else."""
        folder = project / STATUS.parent
        stale = [
            folder / f".status.json.{dead_pid()}.0123456789ab.tmp",
            folder / f".status.json.{os.getpid()}.0123456789ab.tmp",
            folder / f"status.json.bak.{dead_pid()}.01234567.tmp",
        ]
        for path in stale:
            path.write_text("half a write")
        keep = folder / "notes.tmp"
        keep.write_text("not ours")
        ok(sk(project, "mark-complete", "1.2"))
        assert [p for p in stale if p.exists()] == []
        assert keep.read_text() == "not ours"

    def test_findings_folder(self, project: Path) -> None:
        """In findings/, a temp file of a dead writer goes; one of a live process stays."""
        findings = project / STATUS.parent / "findings"
        findings.mkdir()
        dead = findings / f".1-2.md.{dead_pid()}.0123456789ab.tmp"
        live = findings / f".1-3.md.{os.getpid()}.0123456789ab.tmp"
        dead.write_text("half")
        live.write_text("half")
        result: Result = run(
            "--plan", "plan.md", "write-findings", "1.1", "--stdin", cwd=project, stdin="x"
        )
        ok(result)
        assert not dead.exists()
        assert live.exists()


class TestValidateHint:
    """Item 21: a corrupt status's hint offers only a backup that exists and is valid."""

    def test_only_valid_backups_are_offered(self, project: Path) -> None:
        """A bad .bak is not offered, a good .bak.1 is (and is what repair restores)."""
        ok(sk(project, "mark-complete", "1.1"))  # .bak: 1.1 in progress, .bak.1: all pending
        (project / STATUS).write_text("{ torn")
        (project / f"{STATUS}.bak").write_text("also torn")
        err = error(sk(project, "status"), "corrupt")
        assert err["details"]["backups"] == [f"{STATUS}.bak.1"]
        assert "validate --repair" in err["hint"]
        (project / f"{STATUS}.bak.1").write_text("")
        err = error(sk(project, "status"), "corrupt")
        assert err["details"]["backups"] == []
        assert "no valid backup" in err["message"]
        assert "--rebuild" in err["hint"]
        assert "restore the newest" not in err["hint"]
