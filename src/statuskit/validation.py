"""Pure checks of a :class:`~statuskit.PlanStatus`, and the repairs that are safe to make.

:func:`validate` lists problems; :func:`repair` fixes only what can be fixed without inventing
data (a stale stored summary, a duration that disagrees with its timestamps, completion
times left on a task that is pending again). It never changes a task's state and never makes
up a time: problems like a completed task without ``completedAt`` are reported, not "fixed".

Documents that cannot be decoded at all (unknown statuses, wrong types) never get here: they
raise :class:`~statuskit.CorruptStatus` with every JSON path at fault, and the file store's
repair restores a backup instead.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any, Literal

import attrs

from statuskit.graph import describe_cycle, find_cycles
from statuskit.model import PlanStatus, Task, TaskState, summarize

__all__ = ["Problem", "repair", "validate"]

Severity = Literal["error", "warning"]


@attrs.frozen(kw_only=True)
class Problem:
    """One thing wrong with a status."""

    code: str
    """A stable identifier, e.g. ``"summary_mismatch"``, ``"duplicate_id"``."""
    message: str
    """What is wrong, in words."""
    task_id: str | None = None
    """The task concerned, if one is."""
    severity: Severity = "warning"
    """``error`` for states statuskit cannot schedule correctly, else ``warning``."""
    fixable: bool = False
    """Whether :func:`repair` fixes it."""

    def to_json(self) -> dict[str, Any]:
        """``{"code", "severity", "task", "message", "fixable"}``, as the CLI prints it."""
        return {
            "code": self.code,
            "severity": self.severity,
            "task": self.task_id,
            "message": self.message,
            "fixable": self.fixable,
        }


def _task_problems(task: Task) -> list[Problem]:
    out = []
    tid = task.id
    if task.started_at and task.completed_at and task.completed_at < task.started_at:
        out.append(
            Problem(
                code="timestamps_out_of_order",
                message=f"{tid}: completedAt is before startedAt",
                task_id=tid,
            )
        )
        if task.duration_ms is not None:
            out.append(
                Problem(
                    code="duration_mismatch",
                    message=f"{tid}: duration {task.duration_ms} ms with out-of-order timestamps",
                    task_id=tid,
                    fixable=True,
                )
            )
    elif task.duration_ms is not None and task.started_at and task.completed_at:
        expected = round((task.completed_at - task.started_at).total_seconds() * 1000)
        if abs(expected - task.duration_ms) > 1:
            out.append(
                Problem(
                    code="duration_mismatch",
                    message=f"{tid}: duration {task.duration_ms} ms, timestamps say {expected} ms",
                    task_id=tid,
                    fixable=True,
                )
            )
    if task.status.is_terminal and task.completed_at is None:
        out.append(
            Problem(
                code="missing_completed_at",
                message=f"{tid}: {task.status.value} without completedAt",
                task_id=tid,
            )
        )
    if task.status is TaskState.IN_PROGRESS and task.started_at is None:
        out.append(
            Problem(
                code="missing_started_at",
                message=f"{tid}: in_progress without startedAt (cannot be detected as stuck)",
                task_id=tid,
            )
        )
    if not task.status.is_terminal and (task.completed_at or task.duration_ms is not None):
        out.append(
            Problem(
                code="stale_completion",
                message=f"{tid}: {task.status.value} but carries completedAt/duration",
                task_id=tid,
                fixable=True,
            )
        )
    if task.status is TaskState.FAILED and not task.error:
        out.append(
            Problem(
                code="failed_without_error",
                message=f"{tid}: failed with no error text",
                task_id=tid,
            )
        )
    if tid in task.dependencies:
        out.append(
            Problem(
                code="self_dependency",
                message=f"{tid} depends on itself",
                task_id=tid,
                severity="error",
            )
        )
    return out


def validate(status: PlanStatus) -> tuple[Problem, ...]:
    """Every problem found in ``status``, errors and warnings, in task order."""
    problems: list[Problem] = []
    if status.stored_summary is not None and status.stored_summary != summarize(status.tasks):
        problems.append(
            Problem(
                code="summary_mismatch",
                message=(
                    f"stored summary {attrs.asdict(status.stored_summary)} disagrees with the "
                    f"tasks {attrs.asdict(summarize(status.tasks))}"
                ),
                fixable=True,
            )
        )
    counts = Counter(task.id for task in status.tasks)
    for task_id, count in counts.items():
        if count > 1:
            problems.append(
                Problem(
                    code="duplicate_id",
                    message=f"task id {task_id} appears {count} times",
                    task_id=task_id,
                    severity="error",
                )
            )
    known = set(counts)
    for task in status.tasks:
        problems.extend(_task_problems(task))
        for dep in task.dependencies:
            if dep not in known:
                problems.append(
                    Problem(
                        code="unknown_dependency",
                        message=f"{task.id} depends on {dep}, which does not exist",
                        task_id=task.id,
                    )
                )
    # Self-dependencies are reported above as self_dependency; find_cycles leaves them out.
    graph = {task.id: task.dependencies for task in status.tasks}
    for cycle in find_cycles(graph):
        problems.append(
            Problem(
                code="dependency_cycle",
                message="dependency cycle: " + describe_cycle(cycle),
                task_id=cycle[0],
                severity="error",
            )
        )
    run_ids = Counter(run.run_id for run in status.runs)
    for run_id, count in run_ids.items():
        if count > 1:
            problems.append(
                Problem(code="duplicate_run_id", message=f"run id {run_id} appears {count} times")
            )
    for run in status.runs:
        if run.started_at and run.completed_at and run.completed_at < run.started_at:
            problems.append(
                Problem(
                    code="run_timestamps_out_of_order",
                    message=f"run {run.run_id}: completedAt is before startedAt",
                )
            )
    return tuple(problems)


def _repair_task(task: Task) -> Task:
    if not task.status.is_terminal and (task.completed_at or task.duration_ms is not None):
        task = attrs.evolve(task, completed_at=None, duration_ms=None)
    if task.started_at and task.completed_at and task.duration_ms is not None:
        if task.completed_at < task.started_at:
            return attrs.evolve(task, duration_ms=None)
        expected = round((task.completed_at - task.started_at).total_seconds() * 1000)
        if abs(expected - task.duration_ms) > 1:
            return attrs.evolve(task, duration_ms=expected)
    return task


def repair(status: PlanStatus, *, now: datetime) -> tuple[PlanStatus, tuple[Problem, ...]]:
    """Fix the fixable problems; return the new status and the problems that were fixed.

    Returns ``status`` itself (and no fixes) when nothing was fixable. Task states are never
    changed; times are only removed or recomputed from other recorded times, never invented.
    """
    fixed = tuple(problem for problem in validate(status) if problem.fixable)
    if not fixed:
        return status, ()
    tasks = tuple(_repair_task(task) for task in status.tasks)
    new = attrs.evolve(status, tasks=tasks, stored_summary=summarize(tasks), last_updated_at=now)
    return new, fixed
