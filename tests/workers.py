"""Worker functions run in child processes (importable, for the ``spawn`` start method).

Each returns plain data so that the parent can assert on exactly what happened. A worker's
``target`` is a status file path, or ``URL#plan-key`` for a database store (:func:`open_target`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from functools import partial
from multiprocessing.synchronize import Barrier, Event
from typing import Any

import attrs

from statuskit import InvalidTransition, PlanStatus, StatusStore, TaskState, Tracker, open_store
from statuskit.store._lock import WriterLock


def open_target(target: str, lock_timeout: float = 60) -> StatusStore:
    """``path`` → the JSON file store; ``sqlite:/x.db#key`` → plan ``key`` in that database."""
    url, _, key = target.partition("#")
    return open_store(url, plan=key or None, lock_timeout=lock_timeout)


def complete_own_tasks(target: str, worker: int, count: int, barrier: Barrier) -> list[str]:
    """Complete tasks ``w<worker>.<j>`` one update each, with a note naming the writer."""
    with open_target(target) as store:
        tracker = Tracker(store)
        barrier.wait()
        done = []
        for j in range(1, count + 1):
            task_id = f"{worker}.{j}"
            outcome = tracker.complete(task_id, notes=f"written by worker {worker} update {j}")
            assert outcome.changed
            done.append(task_id)
    return done


def append_token(status: PlanStatus, task_id: str, token: str) -> PlanStatus:
    """A read-modify-write of one task's notes: any lost update loses a token."""
    tasks = tuple(
        attrs.evolve(t, notes=f"{t.notes or ''}|{token}") if t.id == task_id else t
        for t in status.tasks
    )
    return attrs.evolve(status, tasks=tasks)


def hammer_shared(target: str, worker: int, rounds: int, barrier: Barrier) -> dict[str, int]:
    """All workers on the same few tasks: appends, idempotent and conflicting transitions."""
    with open_target(target) as store:
        return _hammer(store, worker, rounds, barrier)


def _hammer(store: StatusStore, worker: int, rounds: int, barrier: Barrier) -> dict[str, int]:
    tracker = Tracker(store)
    barrier.wait()
    for j in range(rounds):
        store.update(partial(append_token, task_id=f"s.{j % 4 + 1}", token=f"{worker}-{j}"))
    counts = {"start_changed": 0, "complete_changed": 0, "notes_replaced": 0, "fail_refused": 0}
    barrier.wait()
    if tracker.start("c.1").changed:
        counts["start_changed"] += 1
    barrier.wait()
    completed = tracker.complete("c.1", notes=f"winner {worker}")
    if completed.changed:
        # One completion moves the task; each later one with other notes replaces them.
        assert completed.before is not None
        moved = completed.before.status is not TaskState.COMPLETED
        counts["complete_changed" if moved else "notes_replaced"] += 1
    barrier.wait()
    try:
        tracker.fail("c.1", error=f"late {worker}")
    except InvalidTransition:
        counts["fail_refused"] += 1
    return counts


def hold_lock(lock_path: str, ready: Event) -> None:
    """Take the writer lock, say so, and hold it until killed."""
    with WriterLock(lock_path, timeout=30):
        ready.set()
        while True:
            time.sleep(1)


def crash_writer(target: str, acks: str, start: int, ready: Event) -> None:
    """Append token ``#k`` to task ``1.(k mod N + 1)`` for k = start, start+1, ... until killed.

    After each update returns, k is appended to ACKS (one line, flushed and fsynced): every
    acknowledged token must be in the file whatever moment the kill comes.
    """
    store = open_target(target, lock_timeout=30)
    total = len(store.read().tasks)
    with open(acks, "a", encoding="utf-8") as log:
        ready.set()
        k = start
        while True:
            task_id = f"1.{k % total + 1}"
            store.update(partial(append_token, task_id=task_id, token=f"#{k}"))
            log.write(f"{k}\n")
            log.flush()
            os.fsync(log.fileno())
            k += 1


def report(queue: Any, index: int, func: Callable[..., object], args: tuple[object, ...]) -> None:
    """Run ``func(*args)`` and put ``(index, result or exception text)`` on ``queue``."""
    try:
        queue.put((index, True, func(*args)))
    except BaseException as exc:
        queue.put((index, False, f"{type(exc).__name__}: {exc}"))
        raise
