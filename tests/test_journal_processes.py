"""The journal under real processes: concurrent CLI writers, and writers killed at random."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from statuskit import JsonFileStore, PlanStatus, Task, TaskState
from statuskit.journal import decode_line

from . import lease_workers
from .clihelp import spawn
from .helpers import FULL

WRITERS = 12
ROUNDS = 2
KILLS = 200 if FULL else 30


def flat_plan(n: int) -> PlanStatus:
    return PlanStatus(
        tasks=tuple(
            Task(id=f"1.{i}", phase="Phase 1", description=f"t{i}") for i in range(1, n + 1)
        )
    )


def _cli(folder: Path, *argv: str) -> tuple[int, int, dict[str, Any]]:
    """(pid, exit code, JSON document) of one real ``statuskit`` process."""
    import json

    proc = spawn("--status", "status.json", *argv, cwd=folder)
    out, _ = proc.communicate(timeout=120)
    return proc.pid, proc.returncode, json.loads(out)


def _writer(folder: Path, worker: int) -> list[tuple[int, str, str]]:
    """Claim, heartbeat, complete, repeat; return (pid, kind, task) of each acknowledged change."""
    acknowledged: list[tuple[int, str, str]] = []
    for _ in range(ROUNDS):
        pid, code, doc = _cli(folder, "claim", "1", "--owner", f"w{worker}")
        assert code == 0, doc
        assert len(doc["claimed"]) == 1, doc  # there are more tasks than claims
        task, token = doc["claimed"][0]["id"], str(doc["claimed"][0]["token"])
        acknowledged.append((pid, "claimed", task))
        pid, code, doc = _cli(folder, "heartbeat", task, "--token", token, "--lease", "1h")
        assert code == 0, doc
        acknowledged.append((pid, "heartbeat", task))
        pid, code, doc = _cli(folder, "mark-complete", task, "--token", token, "--notes", "n")
        assert code == 0, doc
        assert doc["changed"] is True
        acknowledged.append((pid, "moved", task))
        pid, code, doc = _cli(folder, "mark-complete", task, "--token", token)
        assert (code, doc["changed"]) == (0, False)  # a repeat: acknowledged, changes nothing
    return acknowledged


class TestConcurrentCliWriters:
    """12 CLI writers at once: every acknowledged change is exactly one event."""

    def test_events_equal_acknowledged_changes(self, tmp_path: Path) -> None:
        """New events == acknowledged changes, each by the process that made it."""
        store = JsonFileStore(tmp_path / "status.json")
        store.create(flat_plan(WRITERS * ROUNDS + 6))
        with ThreadPoolExecutor(WRITERS) as pool:
            results = list(pool.map(lambda w: _writer(tmp_path, w), range(WRITERS)))
        acknowledged = [change for result in results for change in result]
        assert len(acknowledged) == WRITERS * ROUNDS * 3
        status = store.read()
        history = list(store.history(since=1))  # after the creation
        assert len(history) == len(acknowledged)
        assert Counter((e.actor.pid, e.kind, e.task) for e in history) == Counter(acknowledged)
        # One revision per acknowledged change, none missing, none twice.
        assert sorted(e.rev for e in history) == list(range(2, status.revision + 1))
        completed = {t.id for t in status.tasks if t.status is TaskState.COMPLETED}
        assert completed == {task for _, kind, task in acknowledged if kind == "moved"}


class TestKilledWriters:
    """A writer killed with SIGKILL at random moments, again and again."""

    @pytest.mark.skipif(sys.platform == "win32", reason="needs fork and SIGKILL")
    def test_acknowledged_changes_are_journaled(self, tmp_path: Path) -> None:
        """Every acknowledged write is in the journal; every journaled completion is in the
        status; no write that did not land shows in the history."""
        path = tmp_path / "status.json"
        acks = tmp_path / "acks.txt"
        JsonFileStore(path).create(flat_plan(100 + 10 * KILLS))  # never runs out of tasks
        acks.write_text("")
        rng = random.Random(4321)
        fork = multiprocessing.get_context("fork")  # starts in ms: kills land mid-update
        for _ in range(KILLS):
            ready = fork.Event()
            child = fork.Process(
                target=lease_workers.journal_killee, args=(str(path), str(acks), ready)
            )
            child.start()
            assert ready.wait(30)
            before = len(acks.read_text().splitlines())
            deadline = time.monotonic() + 60
            while len(acks.read_text().splitlines()) <= before and time.monotonic() < deadline:
                time.sleep(0.001)  # progress, not a fixed time
            time.sleep(rng.uniform(0.0, 0.02))
            assert child.pid is not None
            os.kill(child.pid, signal.SIGKILL)
            child.join(30)
            assert child.exitcode == -signal.SIGKILL
            self.check(path, acks)

    @staticmethod
    def check(path: Path, acks: Path) -> None:
        store = JsonFileStore(path)
        status = store.read()
        history = list(store.history())
        by_rev: dict[int, list[tuple[str, str | None, str | None]]] = {}
        for event in history:
            by_rev.setdefault(event.rev, []).append((event.kind, event.task, event.to_state))
        assert sorted(by_rev) == list(range(1, status.revision + 1)), "one line per revision"
        for line in acks.read_text().splitlines():
            rev, task, state = line.split()
            kind = "claimed" if state == "in_progress" else "moved"
            assert by_rev.get(int(rev)) == [(kind, task, state)], f"acknowledged {line} lost"
        journaled_done = {
            e.task for e in history if e.kind == "moved" and e.to_state == TaskState.COMPLETED.value
        }
        done = {t.id for t in status.tasks if t.status is TaskState.COMPLETED}
        assert journaled_done == done, "the journal and the status disagree on completions"
        claimed = {e.task for e in history if e.kind == "claimed"}
        in_progress = {t.id for t in status.tasks if t.status is TaskState.IN_PROGRESS}
        assert claimed == done | in_progress
        # Only the write in flight at the kill may have left a line above the status's
        # revision (the next write supersedes it).
        lines = Path(store.journal.path).read_text().splitlines()
        revisions = [decode_line(line) for line in lines]
        ahead = [
            events[0].rev for events in revisions if events and events[0].rev > status.revision
        ]
        assert len(ahead) <= 1
