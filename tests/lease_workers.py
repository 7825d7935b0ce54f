"""Child-process workers of the lease and journal tests (importable, for ``spawn``).

Each returns plain data (or writes acknowledgements to a file) so the parent can assert on
exactly what happened.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from statuskit import PlanStatus, StaleClaim, StatusStore, Task, Tracker, claim, utc_now

#: What a race worker reports: (task, token, outcome) per completion it attempted.
Attempt = tuple[str, int, str]


def race_worker(
    make_store: Callable[[], StatusStore],
    worker: int,
    lease_s: float,
    pauses: int,
    pause_s: float,
    work_s: float,
    start: Any,
    deadline_s: float,
) -> dict[str, Any]:
    """Claim one task at a time with a short lease and complete it with the token.

    The first ``pauses`` claims are followed by a sleep past the lease (a stalled worker);
    the others take up to ``work_s`` seconds of "work". Returns every claim and every
    completion's outcome: ``accepted`` (the write changed the task), ``unchanged`` (already
    completed, by this token) or ``stale`` (refused with StaleClaim).
    """
    store = make_store()
    tracker = Tracker(store)
    start.wait()
    claims: list[tuple[str, int]] = []
    attempts: list[Attempt] = []
    lease = timedelta(seconds=lease_s)
    owner = f"w{worker}"
    stop = time.monotonic() + deadline_s
    while time.monotonic() < stop:
        got = tracker.claim(1, owner, lease=lease)
        if not got:
            summary = tracker.summary()
            if summary.completed == summary.total:
                break
            time.sleep(0.01 + random.random() * 0.02)  # others hold every task: look again
            continue
        task = got[0]
        assert task.token is not None
        claims.append((task.id, task.token))
        if pauses > 0:
            pauses -= 1
            time.sleep(pause_s)
        else:
            time.sleep(random.random() * work_s)
        try:
            outcome = tracker.complete(task.id, token=task.token, notes=f"{owner}#{task.token}")
        except StaleClaim:
            attempts.append((task.id, task.token, "stale"))
        else:
            attempts.append((task.id, task.token, "accepted" if outcome.changed else "unchanged"))
    store.close()
    return {"worker": worker, "claims": claims, "attempts": attempts}


def journal_killee(path: str, acks: str, ready: Any) -> None:
    """Claim and complete tasks one by one until killed; acknowledge every returned write.

    After each update returns, ``<rev> <task> <state>`` is appended to ACKS and fsynced: an
    acknowledged write must be in the status and in the journal, whenever the kill comes.
    """
    from statuskit import JsonFileStore

    store = JsonFileStore(path, lock_timeout=60)
    tracker = Tracker(store)
    with open(acks, "a", encoding="utf-8") as log:

        def ack(status: PlanStatus, task_id: str, state: str) -> None:
            log.write(f"{status.revision} {task_id} {state}\n")
            log.flush()
            os.fsync(log.fileno())

        ready.set()
        while True:
            taken: list[Task] = []

            def change(status: PlanStatus, taken: list[Task] = taken) -> PlanStatus:
                new, got = claim(status, 1, f"pid{os.getpid()}", now=utc_now())
                taken[:] = got
                return new

            status = store.update(change)
            if not taken:
                time.sleep(0.01)
                continue
            ack(status, taken[0].id, "in_progress")
            done = tracker.complete(taken[0].id, token=taken[0].token)
            ack(done.status, taken[0].id, "completed")
