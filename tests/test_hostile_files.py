"""Hostile status files: every one is ``corrupt`` (exit 7), untouched, and repair gets past it.

The attacks of issue 11 (items 10, 11, 20, 5): parser crashes that used to escape as
``RecursionError``/``ValueError``, values that decoded but broke every later write or display,
non-JSON numbers, backups that stopped repair, findings of two ids sharing one file.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest

from statuskit import CorruptStatus, JsonFileStore, PlanStatus, Task, TaskState, Tracker
from statuskit.cli import EXIT_CODES

from .clihelp import run

T0 = datetime(2025, 6, 1, tzinfo=timezone.utc)
GOOD = {"tasks": [{"id": "1.1", "phase": "P", "status": "pending"}]}


def _with(**top: object) -> bytes:
    return json.dumps({**GOOD, **top}).encode()


def _task(**fields: object) -> bytes:
    return json.dumps(
        {"tasks": [{"id": "1.1", "phase": "P", "status": "pending", **fields}]}
    ).encode()


#: name -> bytes of a status.json that must be reported corrupt.
HOSTILE: dict[str, bytes] = {
    "deep-arrays": b"[" * 100_000,
    "deep-objects": b'{"a": ' * 100_000,
    "huge-integer": b'{"tasks": [], "x": ' + b"9" * 5000 + b"}",
    "huge-duration": _task()[:-3] + b', "duration": ' + b"9" * 5000 + b"}]}",
    "deep-unknown-value": _with()[:-1] + b', "x": ' + b"[" * 500 + b"]" * 500 + b"}",
    "nan": _with()[:-1] + b', "x": NaN}',
    "infinity": _with()[:-1] + b', "x": {"y": -Infinity}}',
    "1e999": _with()[:-1] + b', "cost": 1e999}',
    "late-timestamp": _task(startedAt="9999-12-31T23:59:59-01:00"),
    "early-timestamp": _task(completedAt="0001-01-01T00:30:00+01:00"),
    "not-utf8": b'{"tasks": [], "x": "\xff\xfe"}',
    "empty": b"",
}


@pytest.fixture
def store(tmp_path: Path) -> JsonFileStore:
    """A file store holding a 3-task plan, with 1.1 started (so a backup exists)."""
    store = JsonFileStore(tmp_path / "status.json", lock_timeout=5)
    store.create(PlanStatus(tasks=tuple(Task(id=f"1.{i}", phase="P") for i in (1, 2, 3))))
    Tracker(store).start("1.1")
    return store


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file() and p.suffix != ".lock"}


class TestEveryHostileFileIsCorrupt:
    """read, update and the CLI say corrupt; nothing is written."""

    @pytest.mark.parametrize("name", sorted(HOSTILE))
    def test_library(self, store: JsonFileStore, name: str) -> None:
        """CorruptStatus with the file, a reason and the backups; the folder is untouched."""
        Path(store.path).write_bytes(HOSTILE[name])
        before = _files(Path(store.path).parent)
        with pytest.raises(CorruptStatus) as info:
            store.read()
        assert info.value.path == store.path
        assert info.value.reason
        assert info.value.backups == (store.path + ".bak",)
        with pytest.raises(CorruptStatus):
            Tracker(store).complete("1.2")
        assert _files(Path(store.path).parent) == before

    @pytest.mark.parametrize("name", sorted(HOSTILE))
    @pytest.mark.parametrize("argv", [["status"], ["mark-started", "1.2"], ["validate"]])
    def test_cli_exit_7(self, store: JsonFileStore, name: str, argv: list[str]) -> None:
        """Exit 7 ``corrupt`` with a message, never 1 (internal) or 2 (usage)."""
        Path(store.path).write_bytes(HOSTILE[name])
        before = _files(Path(store.path).parent)
        result = run("--status", store.path, *argv, cwd=Path(store.path).parent)
        assert result.code == EXIT_CODES["corrupt"], (result.stdout, result.stderr)
        error = json.loads(result.stdout)["error"]
        assert error["code"] == "corrupt"
        assert "Traceback" not in result.stderr
        assert _files(Path(store.path).parent) == before

    @pytest.mark.parametrize("name", sorted(HOSTILE))
    def test_repair_restores_the_backup(self, store: JsonFileStore, name: str) -> None:
        """validate --repair gets past every kind: the good .bak comes back."""
        Path(store.path).write_bytes(HOSTILE[name])
        result = run("--status", store.path, "validate", "--repair", cwd=Path(store.path).parent)
        assert result.code == 0, (result.stdout, result.stderr)
        assert json.loads(result.stdout)["action"] == "restored"
        assert store.read().task("1.1").status is TaskState.PENDING  # the .bak predates 1.1


class TestBadBackups:
    """A bad newest backup never stops repair before an older good one."""

    @pytest.fixture
    def two_backups(self, store: JsonFileStore) -> JsonFileStore:
        """.bak.1 = 1.1 started, .bak = 1.1 completed, status.json = 1.2 started."""
        Tracker(store).complete("1.1")
        Tracker(store).start("1.2")
        assert store.backup_paths() == [store.path + ".bak", store.path + ".bak.1"]
        return store

    def _repair_uses_bak1(self, store: JsonFileStore) -> None:
        Path(store.path).write_bytes(b"{ torn")  # a plain syntax error: the backups are tested
        report = Tracker(store, clock=lambda: T0).repair()
        assert report.action == "restored"
        assert report.restored_from == store.path + ".bak.1"
        assert store.read().task("1.1").status is TaskState.IN_PROGRESS

    @pytest.mark.parametrize("name", sorted(HOSTILE))
    def test_hostile_bak(self, two_backups: JsonFileStore, name: str) -> None:
        """Every hostile content as .bak: .bak.1 is restored."""
        Path(two_backups.path + ".bak").write_bytes(HOSTILE[name])
        self._repair_uses_bak1(two_backups)

    def test_folder_as_bak(self, two_backups: JsonFileStore) -> None:
        """A folder named .bak is skipped."""
        os.unlink(two_backups.path + ".bak")
        os.mkdir(two_backups.path + ".bak")
        self._repair_uses_bak1(two_backups)

    def test_link_as_bak(self, two_backups: JsonFileStore, tmp_path: Path) -> None:
        """A symbolic link named .bak is not followed (it may point anywhere)."""
        elsewhere = tmp_path / "elsewhere.json"
        elsewhere.write_bytes(Path(two_backups.path + ".bak").read_bytes())
        os.unlink(two_backups.path + ".bak")
        os.symlink(elsewhere, two_backups.path + ".bak")
        self._repair_uses_bak1(two_backups)

    @pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
    def test_fifo_as_bak_does_not_hang(self, two_backups: JsonFileStore) -> None:
        """A named pipe named .bak is skipped at once instead of blocking repair forever."""
        os.unlink(two_backups.path + ".bak")
        os.mkfifo(two_backups.path + ".bak")
        outcome: list[object] = []

        def repair() -> None:
            try:
                self._repair_uses_bak1(two_backups)
                outcome.append("ok")
            except BaseException as exc:  # reported below, in the test's thread
                outcome.append(exc)

        worker = threading.Thread(target=repair, daemon=True)
        worker.start()
        worker.join(timeout=60)  # a ceiling against a hang, not a timing
        if worker.is_alive():  # unblock the reader so the thread can end, then fail
            fd = os.open(two_backups.path + ".bak", os.O_WRONLY | os.O_NONBLOCK)
            os.close(fd)
            worker.join(timeout=60)
            pytest.fail("repair blocked on a named pipe")
        assert outcome == ["ok"]


class TestWritesAfterOddValues:
    """What decodes can always be written back."""

    def test_lone_surrogate_in_notes(self, store: JsonFileStore) -> None:
        """A ``\\ud800`` escape in a file decodes and every later write still works."""
        doc = json.loads(Path(store.path).read_text())
        doc["tasks"][1]["notes"] = "\ud800 and \udfff"
        Path(store.path).write_text(json.dumps(doc))  # ensure_ascii: escapes in the file
        Tracker(store).complete("1.2")
        assert store.read().task("1.2").notes == "\ud800 and \udfff"
        Path(store.path).read_bytes().decode("utf-8")  # strict UTF-8 on disk

    def test_line_separators_stay_inside_lines(self, store: JsonFileStore) -> None:
        """Notes with U+2028/U+0085 keep the file's one-task-per-line layout."""
        Tracker(store).complete("1.1", notes="a\u2028b\x85c\u2029d")
        text = Path(store.path).read_text(encoding="utf-8")
        assert text.splitlines() == text.split("\n")[:-1]
        assert store.read().task("1.1").notes == "a\u2028b\x85c\u2029d"


class TestFindingsFiles:
    """Findings of ids that used to collide go to different files."""

    def test_dot_and_dash(self, tmp_path: Path) -> None:
        """1.2 and 1-2 each keep their own findings."""
        store = JsonFileStore(tmp_path / "status.json")
        store.create(PlanStatus(tasks=(Task(id="1.2"), Task(id="1-2"))))
        first = store.write_findings("1.2", "dot")
        second = store.write_findings("1-2", "dash")
        assert first != second
        assert Path(first).name == "1-2.md"  # the replaced tool's name, unchanged
        assert (store.read_findings("1.2"), store.read_findings("1-2")) == ("dot", "dash")
