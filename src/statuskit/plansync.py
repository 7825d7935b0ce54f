"""A plan and its status: create a status from a plan, compare them, bring a status up to date.

Pure: values in, values out, ``now`` is a parameter. Two steps of a plan's life:

* :func:`status_from_plan` - the first status, every task pending;
* :func:`sync_check` - what differs between the plan and the status (read-only).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from statuskit.model import ExecutionConstraints, PlanStatus, Task, TaskState
from statuskit.planlines import same_title
from statuskit.planmodel import Plan, PlanTask

__all__ = [
    "SyncReport",
    "expected_tasks",
    "status_from_plan",
    "sync_check",
    "tracked_tasks",
    "tracks_subtasks",
]


def tracked_tasks(plan: Plan, *, subtasks: bool = False) -> tuple[PlanTask, ...]:
    """The plan tasks a status tracks.

    A subtask indented under a task (``parent`` set) is a *step* of that task by default: the
    status tracks the parent, whose completion covers its steps. With ``subtasks=True`` every
    subtask is tracked as a task of its own.
    """
    if subtasks:
        return plan.tasks
    return tuple(task for task in plan.tasks if task.parent is None)


def tracks_subtasks(plan: Plan, status: PlanStatus) -> bool:
    """Whether ``status`` tracks the plan's subtasks as tasks (it holds one of them)."""
    ids = {task.id for task in status.tasks}
    return any(task.parent is not None and task.id in ids for task in plan.tasks)


def status_from_plan(
    plan: Plan,
    *,
    now: datetime,
    plan_path: str | None = None,
    subtasks: bool = False,
    from_checkboxes: bool = False,
) -> PlanStatus:
    """A fresh status for a plan: every task pending, dependencies and groups carried over.

    Args:
        plan: the parsed plan.
        now: the creation time.
        plan_path: recorded as ``planPath``.
        subtasks: track indented subtasks as tasks of their own (see :func:`tracked_tasks`);
            a parent then also depends on its subtasks.
        from_checkboxes: start the tasks ticked in the markdown (``- [x]``) completed, at
            ``now``, with a note saying so. By default a checkmark is not progress: every task
            starts pending (``parse_plan`` warns ``checked_task``).

    """
    chosen = tracked_tasks(plan, subtasks=subtasks)
    children: dict[str, list[str]] = {}
    if subtasks:
        for task in chosen:
            if task.parent is not None:
                children.setdefault(task.parent, []).append(task.id)
    tasks = tuple(
        Task(
            id=task.id,
            description=task.title,
            phase=task.phase,
            dependencies=tuple(dict.fromkeys((*task.dependencies, *children.get(task.id, ())))),
            constraints=ExecutionConstraints(
                sequential=True, group=task.sequential_group, reason=task.sequential_reason
            )
            if task.sequential_group
            else None,
            **(_checked_done(now) if from_checkboxes and task.checked else {}),
        )
        for task in chosen
    )
    return PlanStatus(
        tasks=tasks,
        plan_path=plan_path,
        plan_name=plan.title or None,
        created_at=now,
        last_updated_at=now,
        current_phase=tasks[0].phase if tasks else None,
    )


def _checked_done(now: datetime) -> dict[str, Any]:
    return {
        "status": TaskState.COMPLETED,
        "completed_at": now,
        "notes": "checked in the plan when the status was created",
    }


@attrs.frozen
class SyncReport:
    """Differences between a plan and a status (read-only; nothing is changed)."""

    only_in_plan: tuple[str, ...]
    """Task ids in the plan but not in the status."""
    only_in_status: tuple[str, ...]
    """Task ids in the status but not in the plan."""
    title_changed: tuple[tuple[str, str, str], ...]
    """``(id, plan title, status description)`` where they differ."""
    checked_not_done: tuple[tuple[str, str], ...]
    """``(id, status)``: ticked in the markdown but not completed/skipped in the status."""
    done_not_checked: tuple[str, ...]
    """Done in the status but unticked in the markdown (normal: the markdown is reference)."""

    @property
    def in_sync(self) -> bool:
        """No task is missing on either side and no title or checkbox disagrees."""
        return not (
            self.only_in_plan or self.only_in_status or self.title_changed or self.checked_not_done
        )

    def to_json(self) -> dict[str, Any]:
        """The report as ``sync-check`` prints it (camelCase keys; the CLI adds ``planPath``)."""
        return {
            "inSync": self.in_sync,
            "onlyInPlan": list(self.only_in_plan),
            "onlyInStatus": list(self.only_in_status),
            "titleChanged": [{"id": i, "plan": p, "status": s} for i, p, s in self.title_changed],
            "checkedNotDone": [{"id": i, "status": s} for i, s in self.checked_not_done],
            "doneNotChecked": list(self.done_not_checked),
        }


def expected_tasks(plan: Plan, status: PlanStatus) -> tuple[PlanTask, ...]:
    """The plan tasks ``status`` should hold.

    Every top-level task; subtasks too when the status tracks subtasks (it holds one of them),
    else only those it already holds (steps of their parent otherwise).
    """
    if tracks_subtasks(plan, status):
        return plan.tasks
    return tracked_tasks(plan)


def sync_check(plan: Plan, status: PlanStatus) -> SyncReport:
    """Compare a plan with a status and report every difference."""
    status_by_id = {task.id: task for task in status.tasks}
    plan_set = {task.id for task in plan.tasks}
    titles = []
    checked = []
    done = []
    for task in plan.tasks:
        other = status_by_id.get(task.id)
        if other is None:
            continue
        if not same_title(task.id, task.title, other.description):
            titles.append((task.id, task.title, other.description))
        if task.checked and not other.status.is_done:
            checked.append((task.id, other.status.value))
        if other.status.is_done and not task.checked:
            done.append(task.id)
    return SyncReport(
        only_in_plan=tuple(t.id for t in expected_tasks(plan, status) if t.id not in status_by_id),
        only_in_status=tuple(t.id for t in status.tasks if t.id not in plan_set),
        title_changed=tuple(titles),
        checked_not_done=tuple(checked),
        done_not_checked=tuple(done),
    )
