"""`status` and `next` answer in bytes proportional to the answer, not to the plan.

The budgets of docs/cli.md ("Output budgets"), measured on the bytes the command prints, at
1,000 tasks and more, with every list and every text as long as a hostile file can make it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import attrs
import pytest

from statuskit import JsonFileStore, PlanStatus, Run, Task, TaskState

from .clihelp import Result, run

STATUS = Path("docs/plan-outputs/plan/status.json")
BUDGET = 2048
T0 = datetime(2025, 6, 1, tzinfo=timezone.utc)


def big_plan(phases: int, per_phase: int) -> str:
    """A plan of phases x per_phase tasks; every third task depends on the one before."""
    lines = ["# Plan: Big", ""]
    for phase in range(1, phases + 1):
        lines.append(f"## Phase {phase}: Part {phase}")
        for task in range(1, per_phase + 1):
            depends = f" (depends: {phase}.{task - 1})" if task % 3 == 0 else ""
            lines.append(f"- [ ] {phase}.{task} Do step {task} of part {phase}{depends}")
        lines.append("")
    return "\n".join(lines)


def project(folder: Path, plan: str) -> Path:
    (folder / "plan.md").write_text(plan)
    assert run("--plan", "plan.md", "init", cwd=folder).code == 0
    return folder


def change(folder: Path, edit: Callable[[PlanStatus], PlanStatus]) -> None:
    with JsonFileStore(folder / STATUS) as store:
        store.update(edit)


def sk(folder: Path, *argv: str) -> Result:
    result = run("--plan", "plan.md", *argv, cwd=folder)
    assert result.code == 0, result.stdout
    return result


def size(result: Result) -> int:
    return len(result.stdout.encode("utf-8"))


def with_states(status: PlanStatus, state: Callable[[int, Task], Task]) -> PlanStatus:
    return attrs.evolve(status, tasks=tuple(state(i, t) for i, t in enumerate(status.tasks)))


class TestStatus:
    """`status` stays under 2 KB; its lists are capped and say how much they left out."""

    def test_thousand_tasks(self, tmp_path: Path) -> None:
        """1,000 fresh tasks: a small document; --tasks lists them all."""
        folder = project(tmp_path, big_plan(10, 100))
        lean = sk(folder, "status")
        assert size(lean) < BUDGET
        doc = lean.json
        assert doc["summary"]["totalTasks"] == 1000
        assert (doc["inProgress"], doc["failed"]) == ([], [])
        assert doc["omitted"] == {"inProgress": 0, "failed": 0}
        assert "tasks" not in doc
        full = sk(folder, "status", "--tasks").json
        assert [t["id"] for t in full["tasks"]][:3] == ["1.1", "1.2", "1.3"]
        assert len(full["tasks"]) == 1000
        assert {k: v for k, v in full.items() if k not in ("tasks", "runs")} == doc

    def test_thousand_in_progress_and_thousand_failed(self, tmp_path: Path) -> None:
        """2,000 tasks, half in progress and half failed: the first of each, and the counts."""
        folder = project(tmp_path, big_plan(20, 100))

        def state(index: int, task: Task) -> Task:
            if index % 2 == 0:
                return attrs.evolve(
                    task, status=TaskState.IN_PROGRESS, owner=f"worker-{index}", started_at=T0
                )
            error = f"step {index} failed:\n  Traceback (most recent call last)\n" + "x" * 500
            return attrs.evolve(task, status=TaskState.FAILED, error=error, retry_count=1)

        change(folder, lambda status: with_states(status, state))
        result = sk(folder, "status")
        assert size(result) < BUDGET
        doc = result.json
        assert doc["summary"]["in_progress"] == doc["summary"]["failed"] == 1000
        ids = [t.id for t in JsonFileStore(folder / STATUS).read().tasks]
        shown = [entry["id"] for entry in doc["inProgress"]]
        assert shown == ids[0 : 2 * len(shown) : 2]  # the first ones, in plan order
        assert len(shown) + doc["omitted"]["inProgress"] == 1000
        failed = doc["failed"]
        assert [entry["id"] for entry in failed] == ids[1 : 2 * len(failed) : 2]
        assert len(failed) + doc["omitted"]["failed"] == 1000
        assert shown
        assert failed
        assert doc["inProgress"][0] == {
            "id": "1.1",
            "owner": "worker-0",
            "startedAt": "2025-06-01T00:00:00.000Z",
        }
        first_error = failed[0]["error"]
        assert first_error.startswith("step 1 failed: Traceback (most recent call last) xxx")
        assert first_error.endswith("…")
        assert "\n" not in first_error
        assert len(first_error.encode()) <= 100

    def test_hostile_lengths(self, tmp_path: Path) -> None:
        """Longest ids, huge owners, errors, names, phases and run ids: still under 2 KB."""
        long_id = "1." + "9" * 62
        tasks = [
            Task(
                id=f"{long_id[:-3]}{i:03d}",
                phase="Phase 1: " + "é" * 5000,
                description="d" * 10_000,
                status=TaskState.IN_PROGRESS if i % 2 else TaskState.FAILED,
                owner="o" * 10_000,
                started_at=T0,
                error="e\n" * 10_000,
            )
            for i in range(300)
        ]
        status = PlanStatus(
            tasks=tuple(tasks),
            plan_path="plan.md",
            plan_name="N" * 10_000,
            current_phase=tasks[0].phase,
            runs=tuple(Run(run_id=f"{i}-" + "r" * 5000, started_at=T0) for i in range(50)),
        )
        (tmp_path / "plan.md").write_text("## Phase 1: A\n- [ ] 1.1 A\n")
        with JsonFileStore(tmp_path / STATUS) as store:
            store.create(status)
        result = sk(tmp_path, "status")
        assert size(result) < BUDGET, size(result)
        doc = result.json
        assert doc["runCount"] == 50
        assert doc["lastRun"]["runId"].startswith("49-rrr")
        entries = doc["inProgress"] + doc["failed"]
        assert entries
        assert all(len(json.dumps(e, ensure_ascii=False).encode()) < 300 for e in entries)
        assert len(doc["inProgress"]) + doc["omitted"]["inProgress"] == 150


class TestNext:
    """`next N` lists N tasks and counts the rest; `--why` gives every reason."""

    def test_thousand_tasks(self, tmp_path: Path) -> None:
        """next 3 on 1,000 tasks: three tasks, exact counts by reason, under 2 KB."""
        folder = project(tmp_path, big_plan(10, 100))
        result = sk(folder, "next", "3")
        assert size(result) < BUDGET
        doc = result.json
        assert [(t["id"], t["reason"]) for t in doc["ready"]] == [
            ("1.1", "no dependencies"),
            ("1.2", "no dependencies"),
            ("1.4", "no dependencies"),
        ]
        # Waiting: the 900 tasks of later phases (297 of them also on a dependency) and the 33
        # of phase 1 on their dependency; the other 64 ready ones are simply not asked for.
        assert doc["waitingCount"] == 900 + 33
        assert doc["waitingByReason"] == {
            "dependency": 33 + 9 * 33,
            "unknown_dependency": 0,
            "sequential_group": 0,
            "earlier_phase": 900,
        }
        why = sk(folder, "next", "3", "--why").json
        assert len(why["waiting"]) == doc["waitingCount"]
        assert why["waiting"][0] == {"id": "1.3", "reasons": ["waiting for 1.2 (pending)"]}
        assert {k: v for k, v in why.items() if k != "waiting"} == doc

    def test_hostile_lengths(self, tmp_path: Path) -> None:
        """Long descriptions, phases and many dependencies: each task stays small."""
        deps = ", ".join(f"1.{i}" for i in range(1, 201))
        plan = (
            "## Phase 1: "
            + "P" * 3000
            + "\n"
            + "".join(f"- [ ] 1.{i} {'word ' * 2000}\n" for i in range(1, 201))
        )
        plan += "".join(f"- [ ] 1.{i} last {'x' * 9000} (depends: {deps})\n" for i in (300, 301))
        folder = project(tmp_path, plan)
        change(
            folder,
            lambda status: with_states(
                status,
                lambda i, t: attrs.evolve(t, status=TaskState.COMPLETED) if i < 200 else t,
            ),
        )
        result = sk(folder, "next", "3")
        assert size(result) < BUDGET, size(result)
        ready = result.json["ready"]
        assert [t["id"] for t in ready] == ["1.300", "1.301"]
        assert ready[0]["reason"].startswith("dependencies done: 1.1, 1.2")
        assert ready[0]["description"].endswith("…")


@pytest.mark.parametrize("count", [1, 3, 10])
def test_next_grows_with_n_not_with_the_plan(tmp_path: Path, count: int) -> None:
    """The same N on 100 and 1,000 tasks prints the same number of bytes, give or take."""
    (tmp_path / "small").mkdir()
    (tmp_path / "big").mkdir()
    small = sk(project(tmp_path / "small", big_plan(1, 100)), "next", str(count))
    big = sk(project(tmp_path / "big", big_plan(10, 100)), "next", str(count))
    assert [t["id"] for t in small.json["ready"]] == [t["id"] for t in big.json["ready"]]
    assert len(big.json["ready"]) == count
    # Only the counts' digits and the summary's differ.
    assert abs(size(big) - size(small)) < 40
