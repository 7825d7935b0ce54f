"""One contract, every backend: what any StatusStore must do.

The backends come from ``tests/backends.py``: add one there and this suite runs on it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import attrs
import pytest

from statuskit import (
    FindingsNotFound,
    InvalidTaskId,
    InvalidTransition,
    Op,
    PlanStatus,
    SchemaTooNew,
    StatusExists,
    StatusMissing,
    StatusStore,
    Task,
    TaskNotFound,
    TaskState,
    Tracker,
    decode,
    encode,
)

from .backends import BACKENDS, Backend

UTC = timezone.utc
T0 = datetime(2025, 6, 1, tzinfo=UTC)


def sample() -> PlanStatus:
    return PlanStatus(
        tasks=(
            Task(id="1.1", phase="Phase 1", description="first"),
            Task(id="1.2", phase="Phase 1", description="second", dependencies=("1.1",)),
            Task(id="2.1", phase="Phase 2", description="third"),
        ),
        plan_name="Sample",
        created_at=T0,
    )


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each backend of the shared list."""
    return BACKENDS[request.param]


@pytest.fixture
def store(backend: Backend, tmp_path: Path) -> Iterator[StatusStore]:
    """An empty store of each backend (closed after the test)."""
    with backend.open(tmp_path) as opened:
        yield opened


@pytest.fixture
def tracker(store: StatusStore) -> Tracker:
    """A tracker over a store holding the sample plan, with a ticking clock."""
    store.create(sample())
    ticks = iter(T0 + timedelta(seconds=i) for i in range(1, 10_000))
    return Tracker(store, clock=lambda: next(ticks))


class TestLifecycle:
    """create / exists / read."""

    def test_empty(self, store: StatusStore) -> None:
        """A new store has no status."""
        assert not store.exists()
        with pytest.raises(StatusMissing):
            store.read()
        with pytest.raises(StatusMissing):
            store.update(lambda s: s)

    def test_create_read(self, store: StatusStore) -> None:
        """What is created is read back; creating twice fails."""
        store.create(sample())
        assert store.exists()
        assert store.read().tasks == sample().tasks
        with pytest.raises(StatusExists):
            store.create(sample())
        assert store.read().tasks == sample().tasks


class TestUpdate:
    """update() semantics."""

    def test_change_sees_latest(self, store: StatusStore) -> None:
        """Each change sees the result of the previous one."""
        store.create(sample())
        for _ in range(3):
            store.update(
                lambda s: attrs.evolve(s, plan_name=(s.plan_name or "") + "!", last_updated_at=T0)
            )
        assert store.read().plan_name == "Sample!!!"

    def test_exception_writes_nothing(self, store: StatusStore) -> None:
        """A change that raises leaves the status as it was."""
        store.create(sample())
        before = store.read()

        def boom(status: PlanStatus) -> PlanStatus:
            raise RuntimeError("no")

        with pytest.raises(RuntimeError):
            store.update(boom)
        assert store.read() == before

    def test_too_new_schema_is_read_only(self, store: StatusStore, backend: Backend) -> None:
        """A status from a newer statuskit is readable but refuses updates."""
        store.create(sample())
        backend.make_too_new(store)
        assert store.read().schema_version == 99
        with pytest.raises(SchemaTooNew):
            Tracker(store).start("1.1")
        assert store.read().tasks[0].status is TaskState.PENDING


class TestTrackerOperations:
    """The everyday operations, over every backend."""

    def test_start_complete(self, tracker: Tracker) -> None:
        """Start then complete with notes; repeats are unchanged."""
        assert tracker.start("1.1").changed
        assert not tracker.start("1.1").changed
        done = tracker.complete("1.1", notes="did it")
        assert (done.changed, done.task.status, done.task.notes) == (
            True,
            TaskState.COMPLETED,
            "did it",
        )
        assert done.task.duration_ms == 2000  # one tick per call, the repeat included
        assert not tracker.complete("1.1").changed
        assert tracker.summary().completed == 1

    def test_fail_skip_reset(self, tracker: Tracker) -> None:
        """Fail with error, retry counts, skip with reason, reset."""
        tracker.start("1.1")
        assert tracker.fail("1.1", error="boom").task.error == "boom"
        retried = tracker.start("1.1").task
        assert (retried.retry_count, retried.last_error) == (1, "boom")
        assert tracker.skip("2.1", reason="later").task.skip_reason == "later"
        assert tracker.reset("2.1").task.status is TaskState.PENDING

    def test_errors_leave_status_intact(self, tracker: Tracker) -> None:
        """Unknown ids and forbidden moves raise and write nothing."""
        before = tracker.status()
        with pytest.raises(TaskNotFound):
            tracker.start("9.9")
        tracker.complete("1.1")
        after = tracker.status()
        with pytest.raises(InvalidTransition):
            tracker.fail("1.1", error="x")
        assert tracker.status() == after
        assert before.tasks[1:] == after.tasks[1:]

    def test_dry_run_writes_nothing(self, tracker: Tracker) -> None:
        """dry_run computes the outcome and leaves the store alone."""
        before = tracker.status()
        outcome = tracker.start("1.1", dry_run=True)
        assert outcome.changed
        assert outcome.task.status is TaskState.IN_PROGRESS
        assert tracker.status() == before

    def test_batch_all_or_nothing(self, tracker: Tracker) -> None:
        """A batch with one bad op changes nothing."""
        before = tracker.status()
        with pytest.raises(TaskNotFound):
            tracker.batch(
                [
                    Op(task_id="1.1", target=TaskState.COMPLETED),
                    Op(task_id="7.7", target=TaskState.COMPLETED),
                ]
            )
        assert tracker.status() == before
        tracker.batch([Op(task_id=t, target=TaskState.COMPLETED) for t in ("1.1", "1.2")])
        assert tracker.summary().completed == 2

    def test_claim(self, tracker: Tracker) -> None:
        """claim marks ready tasks in progress for the owner, honouring dependencies."""
        got = tracker.claim(5, "w1")
        assert [t.id for t in got] == ["1.1"]
        assert tracker.status().task("1.1").owner == "w1"
        assert tracker.claim(5, "w2") == ()
        tracker.complete("1.1", token=got[0].token)
        assert [t.id for t in tracker.claim(5, "w2")] == ["1.2"]

    def test_runs(self, tracker: Tracker) -> None:
        """start_run / complete_run."""
        run = tracker.start_run()
        closed = tracker.complete_run(completed=2, failed=1)
        assert closed.run_id == run.run_id
        assert (closed.tasks_completed, closed.tasks_failed) == (2, 1)
        assert closed.completed_at is not None

    def test_stuck(self, tracker: Tracker) -> None:
        """fail_stuck marks long-running tasks failed."""
        tracker.start("1.1")
        assert tracker.stuck(timedelta(hours=1)) == ()
        failed = tracker.fail_stuck(timedelta(milliseconds=1))
        assert [t.id for t in failed] == ["1.1"]
        assert tracker.status().task("1.1").status is TaskState.FAILED

    def test_findings(self, tracker: Tracker) -> None:
        """Findings round-trip, are recorded on the task, and ids are validated."""
        location = tracker.write_findings("1.2", "# Found\nthings\n")
        assert tracker.read_findings("1.2") == "# Found\nthings\n"
        assert tracker.status().task("1.2").findings_path is not None
        assert location
        with pytest.raises(FindingsNotFound):
            tracker.read_findings("1.1")
        with pytest.raises(TaskNotFound):
            tracker.write_findings("9.9", "x")
        for bad in ("../1.1", "a/b", "1.1\x00"):
            with pytest.raises(InvalidTaskId):
                tracker.store.write_findings(bad, "x")

    def test_threads_lose_nothing(self, tracker: Tracker) -> None:
        """8 threads appending to one field through update: every append survives."""
        store = tracker.store

        def append(tag: str) -> Callable[[PlanStatus], PlanStatus]:
            def change(status: PlanStatus) -> PlanStatus:
                return attrs.evolve(status, plan_name=f"{status.plan_name},{tag}")

            return change

        def worker(n: int) -> None:
            for j in range(10):
                store.update(append(f"{n}.{j}"))

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        tags = (store.read().plan_name or "").split(",")[1:]
        assert sorted(tags) == sorted(f"{n}.{j}" for n in range(8) for j in range(10))


class TestLossless:
    """Keys statuskit does not know survive a store, at every level, through updates."""

    def test_unknown_keys_everywhere(self, store: StatusStore) -> None:
        """Top level, tasks, constraints, runs and the summary object keep their extra keys."""
        document = {
            "planPath": "plan.md",
            "myTool": {"nested": [1, 2.5, None, "é"]},
            "summary": {"totalTasks": 2, "myRatio": 0.5},
            "tasks": [
                {
                    "id": "1.1",
                    "phase": "P",
                    "status": "pending",
                    "x-owner": {"team": "a"},
                    "executionConstraints": {"sequential": True, "lane": 3},
                },
                {"id": "1.2", "phase": "P", "status": "failed", "error": "e", "title": "legacy"},
            ],
            "runs": [{"runId": "r1", "host": "ci-7"}],
        }
        store.create(decode(document))
        Tracker(store, clock=lambda: T0).start("1.1")
        Tracker(store, clock=lambda: T0).start_run("r2")
        out = encode(store.read())
        assert out["myTool"] == {"nested": [1, 2.5, None, "é"]}
        assert out["summary"]["myRatio"] == 0.5
        assert out["summary"]["totalTasks"] == 2
        assert out["tasks"][0]["x-owner"] == {"team": "a"}
        assert out["tasks"][0]["executionConstraints"] == {"sequential": True, "lane": 3}
        assert out["tasks"][0]["status"] == "in_progress"
        assert out["tasks"][1]["description"] == "legacy"
        assert out["runs"][0] == {
            "runId": "r1",
            "tasksCompleted": 0,
            "tasksFailed": 0,
            "host": "ci-7",
        }
        assert [run["runId"] for run in out["runs"]] == ["r1", "r2"]
