"""Zero lost updates: 16 spawned processes and 16 threads, every task's final state checked.

Each scenario runs on the JSON file and on SQLite (a plan key in a database file).
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from pathlib import Path

import pytest

from statuskit import PlanStatus, Task, TaskState

from . import workers
from .workers import open_target

WORKERS = 16
UPDATES = 25
ROUNDS = 20


def own_tasks_plan() -> PlanStatus:
    return PlanStatus(
        tasks=tuple(
            Task(id=f"{w}.{j}", phase=f"Phase {w}", description=f"task {w}.{j}")
            for w in range(1, WORKERS + 1)
            for j in range(1, UPDATES + 1)
        )
    )


def shared_plan() -> PlanStatus:
    return PlanStatus(
        tasks=(
            *(Task(id=f"s.{i}", phase="S") for i in range(1, 5)),
            Task(id="c.1", phase="S"),
        )
    )


def check_own_tasks(target: str, results: list[list[str]]) -> None:
    with open_target(target) as store:
        status = store.read()
    assert len(status.tasks) == WORKERS * UPDATES
    for task in status.tasks:
        worker, update = task.id.split(".")
        assert task.status is TaskState.COMPLETED, task.id
        assert task.notes == f"written by worker {worker} update {update}", task.id
        assert task.completed_at is not None
    claimed = [task_id for result in results for task_id in result]
    assert sorted(claimed) == sorted(t.id for t in status.tasks)
    assert status.summary.completed == WORKERS * UPDATES


def check_shared(target: str, results: list[dict[str, int]]) -> None:
    with open_target(target) as store:
        status = store.read()
    for i in range(1, 5):
        tokens = (status.task(f"s.{i}").notes or "").split("|")[1:]
        expected = {f"{w}-{j}" for w in range(WORKERS) for j in range(ROUNDS) if j % 4 + 1 == i}
        assert Counter(tokens) == Counter(expected), f"s.{i}: lost or doubled appends"
    totals = Counter[str]()
    for counts in results:
        totals.update(counts)
    # Exactly one start and one completion moved the task; every other completion replaced
    # the notes (each worker's differ); every late failure was refused.
    assert totals == Counter(
        start_changed=1, complete_changed=1, notes_replaced=WORKERS - 1, fail_refused=WORKERS
    )
    final = status.task("c.1")
    assert final.status is TaskState.COMPLETED
    assert final.notes is not None
    assert final.notes.startswith("winner ")
    assert final.error is None


SPAWN = multiprocessing.get_context("spawn")


@pytest.fixture(params=["jsonfile", "sqlite"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where the scenario's status lives, as a worker target (see ``workers.open_target``)."""
    if request.param == "jsonfile":
        return str(tmp_path / "status.json")
    return f"sqlite:{tmp_path / 'statuskit.db'}#plan"


def create(target: str, status: PlanStatus) -> None:
    with open_target(target) as store:
        store.create(status)


def run_processes(target: object, args: list[tuple[object, ...]]) -> list[object]:
    """Start one spawned process per argument tuple; return their results in order."""
    queue = SPAWN.Queue()
    procs = [
        SPAWN.Process(target=workers.report, args=(queue, i, target, a)) for i, a in enumerate(args)
    ]
    for proc in procs:
        proc.start()
    results: list[object] = [None] * len(args)
    try:
        for _ in procs:
            index, ok, value = queue.get(timeout=300)  # a generous ceiling against hangs
            assert ok, value
            results[index] = value
    finally:
        for proc in procs:
            proc.join(timeout=60)
            if proc.is_alive():  # pragma: no cover - only after a failure
                proc.kill()
    assert [proc.exitcode for proc in procs] == [0] * len(procs)
    return results


class TestProcesses:
    """Real processes (spawn), started together on a barrier."""

    def test_own_tasks(self, target: str) -> None:
        """16 processes x 25 updates to their own tasks: all 400 present with their notes."""
        create(target, own_tasks_plan())
        barrier = SPAWN.Barrier(WORKERS)
        results = run_processes(
            workers.complete_own_tasks,
            [(target, w, UPDATES, barrier) for w in range(1, WORKERS + 1)],
        )
        check_own_tasks(target, results)  # type: ignore[arg-type]

    def test_shared_tasks(self, target: str) -> None:
        """16 processes on the same tasks: no append lost, one winner per conflicting move."""
        create(target, shared_plan())
        barrier = SPAWN.Barrier(WORKERS)
        results = run_processes(
            workers.hammer_shared, [(target, w, ROUNDS, barrier) for w in range(WORKERS)]
        )
        check_shared(target, results)  # type: ignore[arg-type]

    def test_two_plans_one_database(self, tmp_path: Path) -> None:
        """8 processes on each of two plans of one database: each plan gets exactly its own."""
        database = tmp_path / "statuskit.db"
        first, second = f"sqlite:{database}#first", f"sqlite:{database}#second"
        half = WORKERS // 2
        for key in (first, second):
            create(key, own_tasks_plan())
        barrier = SPAWN.Barrier(WORKERS)
        args: list[tuple[object, ...]] = [
            (first if w <= half else second, w, UPDATES, barrier) for w in range(1, WORKERS + 1)
        ]
        results = run_processes(workers.complete_own_tasks, args)
        for key, owners in ((first, range(1, half + 1)), (second, range(half + 1, WORKERS + 1))):
            with open_target(key) as store:
                status = store.read()
            for task in status.tasks:
                worker, update = task.id.split(".")
                if int(worker) in owners:
                    assert task.status is TaskState.COMPLETED, (key, task.id)
                    assert task.notes == f"written by worker {worker} update {update}"
                else:  # the other plan's writers never touched this one
                    assert task.status is TaskState.PENDING, (key, task.id)
                    assert task.notes is None
        assert sum(len(r) for r in results if isinstance(r, list)) == WORKERS * UPDATES


class _ThreadBarrier:
    """Adapts threading.Barrier to the multiprocessing Barrier type the workers expect."""

    def __init__(self, parties: int) -> None:
        self._barrier = threading.Barrier(parties)

    def wait(self, timeout: float | None = None) -> int:
        return self._barrier.wait(timeout)


def run_threads(target: object, args: list[tuple[object, ...]]) -> list[object]:
    results: list[object] = [None] * len(args)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            results[index] = target(*args[index])  # type: ignore[operator]
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(args))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    return results


class TestThreads:
    """The same scenarios with 16 threads of one process."""

    def test_own_tasks(self, target: str) -> None:
        """16 threads x 25 updates: all present."""
        create(target, own_tasks_plan())
        barrier = _ThreadBarrier(WORKERS)
        results = run_threads(
            workers.complete_own_tasks,
            [(target, w, UPDATES, barrier) for w in range(1, WORKERS + 1)],
        )
        check_own_tasks(target, results)  # type: ignore[arg-type]

    def test_shared_tasks(self, target: str) -> None:
        """16 threads on the same tasks."""
        create(target, shared_plan())
        barrier = _ThreadBarrier(WORKERS)
        results = run_threads(
            workers.hammer_shared, [(target, w, ROUNDS, barrier) for w in range(WORKERS)]
        )
        check_shared(target, results)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _no_leftovers(tmp_path: Path) -> object:
    """After every concurrency test, no temp file is left behind."""
    yield None
    leftovers = [p.name for p in tmp_path.glob(".*.tmp")]
    assert leftovers == []
