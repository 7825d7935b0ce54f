"""A process race on short leases: stalled workers never overwrite their replacements' work.

:func:`run_lease_race` takes a store factory (picklable: it is called in every worker), so
the same race runs against any backend; the JSON file is the one exercised here.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from statuskit import JsonFileStore, PlanStatus, StatusStore, Task, TaskState

from . import lease_workers

SPAWN = multiprocessing.get_context("spawn")
WORKERS = 16
TASKS = 40
LEASE_S = 1.0
PAUSE_S = 2.5  # past the lease: a stalled worker
WORK_S = 0.4  # up to this long per task, so that frozen workers are caught mid-task


def race_plan(tasks: int) -> PlanStatus:
    return PlanStatus(
        tasks=tuple(
            Task(id=f"1.{i}", phase="Phase 1", description=f"t{i}") for i in range(1, tasks + 1)
        )
    )


def run_lease_race(
    make_store: Callable[[], StatusStore],
    *,
    workers: int = WORKERS,
    tasks: int = TASKS,
    pausers: int = 4,
    stopped: int = 2,
) -> dict[str, int]:
    """Race ``workers`` processes over ``tasks`` tasks with 1-second leases; check everything.

    Workers 0..pausers-1 sleep past their lease after their first claims; workers
    ``pausers..pausers+stopped-1`` are frozen with SIGSTOP for longer than a lease while they
    work. Afterwards: every task completed, each accepted exactly once, by the holder of its
    final token; every refused (stale) completion carried an older token; one reclaim per
    refusal; tokens unique and dense; the journal tells the same story.

    Returns:
        Counts: claims, stale (refused completions), reclaims.

    """
    with make_store() as store:
        store.create(race_plan(tasks))
    start = SPAWN.Barrier(workers + 1)  # every worker ready (imported, store open), and us
    queue = SPAWN.Queue()
    procs = [
        SPAWN.Process(
            target=_report,
            args=(
                queue,
                partial(
                    lease_workers.race_worker,
                    make_store,
                    w,
                    LEASE_S,
                    2 if w < pausers else 0,
                    PAUSE_S,
                    WORK_S,
                    start,
                    240.0,
                ),
            ),
        )
        for w in range(workers)
    ]
    for proc in procs:
        proc.start()
    results: list[dict[str, Any]] = []
    try:
        start.wait(timeout=300)
        # Freeze some workers mid-work for longer than a lease, then let them go on.
        time.sleep(0.5)
        frozen = procs[pausers : pausers + stopped]
        for proc in frozen:
            assert proc.pid is not None
            os.kill(proc.pid, signal.SIGSTOP)
        time.sleep(PAUSE_S)
        for proc in frozen:
            assert proc.pid is not None
            os.kill(proc.pid, signal.SIGCONT)
        for _ in procs:
            ok, value = queue.get(timeout=300)  # a generous ceiling against hangs
            assert ok, value
            results.append(value)
    finally:
        for proc in procs:
            if proc.pid is not None and proc.is_alive():
                os.kill(proc.pid, signal.SIGCONT)
            proc.join(timeout=60)
            if proc.is_alive():  # pragma: no cover - only after a failure
                proc.kill()
    assert [proc.exitcode for proc in procs] == [0] * workers

    with make_store() as store:
        final = store.read()
        history = list(store.history())
    by_id = {task.id: task for task in final.tasks}
    assert [task.status for task in final.tasks] == [TaskState.COMPLETED] * tasks

    claims = [claim for result in results for claim in result["claims"]]
    attempts = [attempt for result in results for attempt in result["attempts"]]
    tokens = [token for _, token in claims]
    assert sorted(tokens) == list(range(1, len(claims) + 1)), "tokens unique and dense"
    assert final.last_token == len(claims)
    assert sorted((t, k) for t, k, _ in attempts) == sorted(claims), "each claim tried once"

    accepted = Counter(task_id for task_id, _, outcome in attempts if outcome == "accepted")
    assert accepted == Counter(dict.fromkeys(by_id, 1)), "each accepted exactly once"
    for task_id, token, outcome in attempts:
        current = by_id[task_id].token
        if outcome == "accepted":
            assert token == current, f"{task_id}: accepted from a holder that is not current"
            owner = by_id[task_id].owner
            assert by_id[task_id].notes == f"{owner}#{token}"
        else:
            assert outcome == "stale", (task_id, token, outcome)
            assert token != current
    stale = sum(1 for *_, outcome in attempts if outcome == "stale")
    reclaims = sum(task.reclaim_count for task in final.tasks)
    assert stale == reclaims == len(claims) - tasks

    revisions = sorted({event.rev for event in history})
    assert revisions == list(range(1, final.revision + 1))
    kinds = Counter(event.kind for event in history)
    assert kinds["claimed"] + kinds["reclaimed"] == len(claims)
    assert kinds["reclaimed"] == reclaims
    completions = [e for e in history if e.kind == "moved" and e.to_state == "completed"]
    assert sorted(e.task or "" for e in completions) == sorted(by_id)
    assert all(e.token == by_id[e.task or ""].token for e in completions)
    return {"claims": len(claims), "stale": stale, "reclaims": reclaims}


def _report(queue: Any, func: Callable[[], object]) -> None:
    try:
        queue.put((True, func()))
    except BaseException as exc:
        queue.put((False, f"{type(exc).__name__}: {exc}"))
        raise


class TestLeaseRace:
    """16 processes, 40 tasks, 1-second leases, stalled and frozen workers."""

    def test_json_file(self, tmp_path: Path) -> None:
        """On the JSON file: stale completions refused, every task completed once."""
        counts = run_lease_race(partial(JsonFileStore, tmp_path / "status.json", 60.0))
        # The stalled workers slept 2.5 s on a 1 s lease while others were looking for work.
        assert counts["stale"] >= 4, counts
