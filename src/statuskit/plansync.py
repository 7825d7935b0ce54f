"""A plan and its status: create a status from a plan, compare them, bring a status up to date.

Pure: values in, values out, ``now`` is a parameter. Three steps of a plan's life:

* :func:`status_from_plan` - the first status, every task pending;
* :func:`sync_check` - what differs between the plan and the status (read-only);
* :func:`sync_apply` - the status brought up to date with an edited plan: new tasks are added
  as pending where the plan puts them; titles, phases, dependencies and sequential groups
  follow the plan. **No task's state, notes, timings, retries, owner, findings or unknown
  keys ever change**, and tasks only in the status are kept (``prune=True`` drops those never
  started). The very same status object comes back when nothing changes, so a store can skip
  the write.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import attrs

from statuskit.model import ExecutionConstraints, PlanStatus, Task, TaskState
from statuskit.planlines import same_title
from statuskit.planmodel import Plan, PlanTask

__all__ = [
    "ApplyReport",
    "SyncReport",
    "expected_tasks",
    "status_from_plan",
    "sync_apply",
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
    parents = {task.id: task.parent for task in plan.tasks}
    tracked = {task.id for task in chosen}
    tasks = tuple(
        Task(
            id=task.id,
            description=task.title,
            phase=task.phase,
            dependencies=tuple(
                dict.fromkeys([*_carried(task, parents, tracked), *children.get(task.id, ())])
            ),
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


def _carried(task: PlanTask, parents: dict[str, str | None], tracked: set[str]) -> list[str]:
    """The task's dependencies as the status can hold them.

    A dependency on a step (an untracked subtask) becomes one on the task that covers it, and
    a subtask does not depend on its own parent (which depends on it: ``Phase 1`` names both).
    Without this, ``(depends: Phase 1)`` named steps the status does not have, and an id the
    status does not have blocks its task for ever.
    """
    own = set()
    parent = task.parent
    while parent is not None:
        own.add(parent)
        parent = parents.get(parent)
    deps = []
    for dep in task.dependencies:
        covered = dep
        while covered not in tracked:
            up = parents.get(covered)
            if up is None:
                break
            covered = up
        if covered != task.id and covered not in own:
            deps.append(covered)
    return deps


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


def _group(constraints: ExecutionConstraints | None) -> dict[str, str | None] | None:
    if constraints is None or not constraints.sequential:
        return None
    return {"group": constraints.group, "reason": constraints.reason}


@attrs.frozen(kw_only=True)
class ApplyReport:
    """What :func:`sync_apply` changed in the status (or would change, on a dry run)."""

    added: tuple[str, ...] = ()
    """Tasks only in the plan, added as pending, in plan order."""
    retitled: tuple[tuple[str, str, str], ...] = ()
    """``(id, plan title, former description)``."""
    rephased: tuple[tuple[str, str, str], ...] = ()
    """``(id, plan phase, former phase)``."""
    dependencies_changed: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = ()
    """``(id, plan dependencies, former dependencies)``."""
    groups_changed: tuple[
        tuple[str, ExecutionConstraints | None, ExecutionConstraints | None], ...
    ] = ()
    """``(id, constraints now, former constraints)`` where the sequential group or its reason
    changed."""
    plan_name: tuple[str, str | None] | None = None
    """``(plan title, former planName)`` when the status had no name and the plan has a title."""
    only_in_status: tuple[str, ...] = ()
    """Tasks the plan no longer has; kept, except those in :attr:`pruned`."""
    pruned: tuple[str, ...] = ()
    """Tasks only in the status that were never started, dropped (``prune=True``)."""

    @property
    def changed(self) -> bool:
        """Whether the status changed at all."""
        return bool(
            self.added
            or self.retitled
            or self.rephased
            or self.dependencies_changed
            or self.groups_changed
            or self.plan_name
            or self.pruned
        )

    def to_json(self) -> dict[str, Any]:
        """The report with camelCase keys, ready to print."""
        return {
            "changed": self.changed,
            "added": list(self.added),
            "retitled": [{"id": i, "plan": p, "status": s} for i, p, s in self.retitled],
            "rephased": [{"id": i, "plan": p, "status": s} for i, p, s in self.rephased],
            "dependenciesChanged": [
                {"id": i, "plan": list(p), "status": list(s)}
                for i, p, s in self.dependencies_changed
            ],
            "groupsChanged": [
                {"id": i, "plan": _group(p), "status": _group(s)} for i, p, s in self.groups_changed
            ],
            "planName": (
                {"plan": self.plan_name[0], "status": self.plan_name[1]} if self.plan_name else None
            ),
            "onlyInStatus": list(self.only_in_status),
            "pruned": list(self.pruned),
        }


def _never_started(task: Task) -> bool:
    """Pending with no trace of an attempt: nothing is lost by dropping it."""
    return (
        task.status is TaskState.PENDING
        and task.started_at is None
        and task.completed_at is None
        and task.retry_count == 0
        and not (task.notes or task.error or task.last_error or task.findings_path)
    )


def _constraints(
    old: ExecutionConstraints | None, plan: ExecutionConstraints | None
) -> ExecutionConstraints | None:
    """The plan's sequential group, keeping unknown keys of the former constraints."""
    if old is None:
        return plan
    fields = (plan.sequential, plan.group, plan.reason) if plan is not None else (False, None, None)
    if (old.sequential, old.group, old.reason) == fields:
        return old
    if plan is None and not old.extra:
        return None
    return attrs.evolve(old, sequential=fields[0], group=fields[1], reason=fields[2])


class _Changes:
    """The per-task updates of one apply, and their report lines."""

    def __init__(self) -> None:
        self.retitled: list[tuple[str, str, str]] = []
        self.rephased: list[tuple[str, str, str]] = []
        self.deps: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = []
        self.groups: list[tuple[str, ExecutionConstraints | None, ExecutionConstraints | None]] = []
        self.reported: set[str] = set()

    def update(self, task: Task, plan: Task) -> Task:
        """``task`` with the plan's description, phase, dependencies and group."""
        report = task.id not in self.reported  # a duplicated id is reported once
        self.reported.add(task.id)
        changes: dict[str, Any] = {}
        if not same_title(task.id, plan.description, task.description):
            changes["description"] = plan.description
            if report:
                self.retitled.append((task.id, plan.description, task.description))
        if task.phase != plan.phase:
            changes["phase"] = plan.phase
            if report:
                self.rephased.append((task.id, plan.phase, task.phase))
        if task.dependencies != plan.dependencies:
            changes["dependencies"] = plan.dependencies
            if report:
                self.deps.append((task.id, plan.dependencies, task.dependencies))
        constraints = _constraints(task.constraints, plan.constraints)
        if constraints is not task.constraints:
            changes["constraints"] = constraints
            if report:
                self.groups.append((task.id, constraints, task.constraints))
        return attrs.evolve(task, **changes) if changes else task


def _placed(
    wanted: Sequence[Task], present: set[str]
) -> tuple[dict[str | None, list[Task]], str | None]:
    """New tasks by the existing task they follow in the plan, and where the rest go.

    The group under ``None`` precedes every existing task of the plan: it goes before the
    first of them (the second value), or at the end when there is none.
    """
    after: dict[str | None, list[Task]] = {}
    anchor: str | None = None
    first: str | None = None
    for task in wanted:
        if task.id in present:
            anchor = task.id
            first = first or task.id
        else:
            after.setdefault(anchor, []).append(task)
    return after, first


def sync_apply(
    plan: Plan, status: PlanStatus, *, now: datetime, prune: bool = False
) -> tuple[PlanStatus, ApplyReport]:
    """Bring ``status`` up to date with ``plan``; return the new status and what changed.

    * Tasks only in the plan are added as pending, each right after the task that precedes
      it in the plan (subtasks only when the status tracks subtasks: :func:`expected_tasks`).
    * Tasks in both take the plan's title (when it says something else:
      :func:`~statuskit.planlines.same_title`), phase, dependencies and sequential group.
    * Nothing else of a task changes: state, notes, times, retries, owner, findings, errors
      and unknown keys stay as they are.
    * Tasks only in the status are kept and reported; with ``prune=True`` those never started
      (pending, no trace of an attempt) are dropped, and other tasks stop depending on them.
    * The plan's title becomes ``planName`` when the status has none.

    Returns ``status`` itself, unchanged, when the plan brings nothing new. Applying the
    result again changes nothing.
    """
    wanted = status_from_plan(plan, now=now, subtasks=tracks_subtasks(plan, status)).tasks
    by_id = {task.id: task for task in wanted}
    present = {task.id for task in status.tasks}
    plan_ids = {task.id for task in plan.tasks}
    only_in_status = tuple(t.id for t in status.tasks if t.id not in plan_ids)
    pruned = (
        {t.id for t in status.tasks if t.id not in plan_ids and _never_started(t)}
        if prune
        else set()
    )
    after, first = _placed(wanted, present)
    head = after.pop(None, [])
    changes = _Changes()
    tasks: list[Task] = []
    for task in status.tasks:
        if task.id in pruned:
            continue
        if task.id == first:
            tasks += head
            head = []
        target = by_id.get(task.id)
        if target is not None:
            tasks.append(changes.update(task, target))
        elif pruned and any(dep in pruned for dep in task.dependencies):
            deps = tuple(dep for dep in task.dependencies if dep not in pruned)
            tasks.append(attrs.evolve(task, dependencies=deps))
        else:
            tasks.append(task)
        tasks += after.pop(task.id, [])
    tasks += head  # no task of the plan was in the status yet
    added = tuple(task.id for task in wanted if task.id not in present)
    # Only a missing name is filled: the first heading is not always a title people chose (one
    # real plan opens with a shouted reminder), and a name a status already shows is kept.
    name = (plan.title, None) if plan.title and not status.plan_name else None
    report = ApplyReport(
        added=added,
        retitled=tuple(changes.retitled),
        rephased=tuple(changes.rephased),
        dependencies_changed=tuple(changes.deps),
        groups_changed=tuple(changes.groups),
        plan_name=name,
        only_in_status=only_in_status,
        pruned=tuple(t.id for t in status.tasks if t.id in pruned),
    )
    if not report.changed:
        return status, report
    new = attrs.evolve(
        status,
        tasks=tuple(tasks),
        plan_name=name[0] if name else status.plan_name,
        last_updated_at=now,
    )
    return new, report
