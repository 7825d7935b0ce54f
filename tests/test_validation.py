"""validate() finds problems; repair() fixes only what needs no invented data."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import attrs

from statuskit import PlanStatus, Summary, Task, TaskState, decode, repair, validate
from statuskit.validation import Problem

from .helpers import corpus_dir

UTC = timezone.utc
T0 = datetime(2025, 6, 1, tzinfo=UTC)


def codes(status: PlanStatus) -> list[str]:
    return sorted(problem.code for problem in validate(status))


class TestValidate:
    """Each kind of problem is reported."""

    def test_clean(self) -> None:
        """A consistent status has no problems."""
        assert codes(PlanStatus(tasks=(Task(id="1.1"),))) == []

    def test_summary_mismatch(self) -> None:
        """A stored summary that disagrees is reported, not believed."""
        status = PlanStatus(tasks=(Task(id="1.1"),), stored_summary=Summary(total=1, completed=1))
        assert codes(status) == ["summary_mismatch"]
        assert status.summary.pending == 1

    def test_duplicates_unknown_deps_cycles(self) -> None:
        """Duplicate ids, unknown dependencies, cycles and self-dependencies."""
        status = PlanStatus(
            tasks=(
                Task(id="1.1", dependencies=("1.2",)),
                Task(id="1.2", dependencies=("1.3",)),
                Task(id="1.3", dependencies=("1.1", "7.7")),
                Task(id="1.4", dependencies=("1.4",)),
                Task(id="1.4"),
            )
        )
        assert codes(status) == [
            "dependency_cycle",
            "duplicate_id",
            "self_dependency",
            "unknown_dependency",
        ]
        cycle = next(p for p in validate(status) if p.code == "dependency_cycle")
        assert cycle.message == "dependency cycle: 1.1 -> 1.2 -> 1.3 -> 1.1"

    def test_tangle_reported_once(self) -> None:
        """Two loops through the same tasks are one tangle: one problem, its shortest loop."""
        status = PlanStatus(
            tasks=(
                Task(id="1.1", dependencies=("1.2", "1.3")),
                Task(id="1.2", dependencies=("1.3",)),
                Task(id="1.3", dependencies=("1.1",)),
            )
        )
        cycles = [p for p in validate(status) if p.code == "dependency_cycle"]
        assert [(p.task_id, p.message) for p in cycles] == [
            ("1.1", "dependency cycle: 1.1 -> 1.3 -> 1.1")
        ]

    def test_long_chain_and_ring(self) -> None:
        """5,000 tasks deep: no RecursionError; a ring is one error with a short message."""
        count = 5000
        chain = tuple(
            Task(id=f"1.{i}", dependencies=(f"1.{i - 1}",) if i > 1 else ())
            for i in range(1, count + 1)
        )
        assert validate(PlanStatus(tasks=chain)) == ()
        ring = (attrs.evolve(chain[0], dependencies=(f"1.{count}",)), *chain[1:])
        (problem,) = validate(PlanStatus(tasks=ring))
        assert (problem.code, problem.severity, problem.task_id) == (
            "dependency_cycle",
            "error",
            "1.1",
        )
        assert problem.message.startswith("dependency cycle: 1.1 -> 1.5000 -> 1.4999 -> ")
        assert len(problem.message) < 300

    def test_to_json(self) -> None:
        """A problem serializes with the keys the CLI prints."""
        problem = Problem(code="self_dependency", message="m", task_id="1.4", severity="error")
        assert problem.to_json() == {
            "code": "self_dependency",
            "severity": "error",
            "task": "1.4",
            "message": "m",
            "fixable": False,
        }

    def test_timestamps(self) -> None:
        """Out-of-order times, wrong durations, missing times, stale completion."""
        status = PlanStatus(
            tasks=(
                Task(
                    id="1",
                    status=TaskState.COMPLETED,
                    started_at=T0,
                    completed_at=T0 - timedelta(seconds=1),
                    duration_ms=5,
                ),
                Task(
                    id="2",
                    status=TaskState.COMPLETED,
                    started_at=T0,
                    completed_at=T0 + timedelta(seconds=2),
                    duration_ms=5,
                ),
                Task(id="3", status=TaskState.COMPLETED),
                Task(id="4", status=TaskState.IN_PROGRESS),
                Task(id="5", status=TaskState.PENDING, completed_at=T0, duration_ms=3),
                Task(id="6", status=TaskState.FAILED, completed_at=T0),
            )
        )
        assert codes(status) == [
            "duration_mismatch",
            "duration_mismatch",
            "failed_without_error",
            "missing_completed_at",
            "missing_started_at",
            "stale_completion",
            "timestamps_out_of_order",
        ]


class TestRepair:
    """repair() fixes the fixable and nothing else."""

    def test_fixes(self) -> None:
        """Durations recomputed or dropped, stale completion cleared, summary recounted."""
        status = PlanStatus(
            tasks=(
                Task(
                    id="1",
                    status=TaskState.COMPLETED,
                    started_at=T0,
                    completed_at=T0 - timedelta(seconds=1),
                    duration_ms=5,
                ),
                Task(
                    id="2",
                    status=TaskState.COMPLETED,
                    started_at=T0,
                    completed_at=T0 + timedelta(seconds=2),
                    duration_ms=5,
                ),
                Task(id="3", status=TaskState.PENDING, completed_at=T0),
                Task(id="4", status=TaskState.COMPLETED),
            ),
            stored_summary=Summary(total=9),
        )
        new, fixed = repair(status, now=T0)
        assert sorted(p.code for p in fixed) == [
            "duration_mismatch",
            "duration_mismatch",
            "stale_completion",
            "summary_mismatch",
        ]
        assert [t.duration_ms for t in new.tasks] == [None, 2000, None, None]
        assert new.tasks[2].completed_at is None
        assert [t.status for t in new.tasks] == [t.status for t in status.tasks]
        # Reported, never invented or "corrected": the recorded times stay as they were.
        assert codes(new) == ["missing_completed_at", "timestamps_out_of_order"]
        assert repair(new, now=T0) == (new, ())

    def test_corpus_needs_no_state_changes(self) -> None:
        """Repairing real files never changes a task state."""
        for path in corpus_dir("status").glob("*.json"):
            status = decode(json.loads(path.read_text()))
            new, _ = repair(status, now=T0)
            assert [t.status for t in new.tasks] == [t.status for t in status.tasks]
            assert [attrs.evolve(t, duration_ms=None) for t in new.tasks] == [
                attrs.evolve(t, duration_ms=None) for t in status.tasks
            ]
