"""Pure scheduling: which tasks are ready, why the others are not, and what a claim may take.

Rules, in order:

1. Only pending tasks are ready (failed ones too, for a claim with ``max_retries``).
2. Every explicit dependency must be done (completed or skipped); a dependency on an id that
   does not exist keeps the task waiting (validation reports it).
3. Phase order: while an earlier phase has a task that is not done, later phases wait.
   ``cross_phase=True`` drops this rule and lets dependencies alone order the work.
4. Sequential groups: at most one task of a group is in progress, and a single claim never
   takes two tasks of the same group.

Ready tasks come in phase order, then natural id order (``2.9`` before ``2.10``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Literal

import attrs

from statuskit.ids import natural_key
from statuskit.model import PlanStatus, Task, TaskState
from statuskit.transitions import Op, apply_batch

__all__ = [
    "NextReport",
    "Pick",
    "WaitKind",
    "Waiting",
    "claimable",
    "fail_stuck",
    "next_tasks",
    "pick",
    "ready",
    "retryable",
    "stuck",
]


@attrs.frozen
class Pick:
    """A task that may start now, and why."""

    task: Task
    """The task."""
    reason: str
    """Why it is ready (``"no dependencies"``, ``"dependencies done: 1.1, 1.2"``)."""


WaitKind = Literal["dependency", "unknown_dependency", "sequential_group", "earlier_phase"]
"""What keeps a task waiting: an unfinished dependency, a dependency on an id the plan does not
have, its sequential group (busy, or another of its tasks offered first), an earlier phase."""


@attrs.frozen
class Waiting:
    """A pending task that may not start yet, and every reason why not."""

    task: Task
    """The task."""
    reasons: tuple[str, ...]
    """Each obstacle: a dependency, a busy sequential group, an unfinished earlier phase."""
    kinds: tuple[WaitKind, ...] = ()
    """The kind of each reason, in the same order (what ``next`` counts by)."""


@attrs.frozen
class NextReport:
    """The answer of :func:`next_tasks`."""

    ready: tuple[Pick, ...]
    """Up to ``n`` tasks to do next, in order."""
    waiting: tuple[Waiting, ...]
    """Every pending task that is not ready, with reasons."""

    @property
    def waiting_by_kind(self) -> Mapping[WaitKind, int]:
        """How many waiting tasks each kind of reason holds back (a task counts once per kind)."""
        return Counter(kind for wait in self.waiting for kind in dict.fromkeys(wait.kinds))


def _phase_rank(status: PlanStatus) -> dict[str, int]:
    ranks: dict[str, int] = {}
    for task in status.tasks:
        ranks.setdefault(task.phase, len(ranks))
    return ranks


def _obstacles(status: PlanStatus, *, cross_phase: bool) -> dict[str, list[tuple[WaitKind, str]]]:
    """For every pending or failed task, the reasons it cannot start (empty: it can)."""
    by_id = {task.id: task for task in status.tasks}
    ranks = _phase_rank(status)
    # The first unfinished task of the earliest phase (in plan order) that has one.
    first_open: Task | None = None
    for task in status.tasks:
        if not task.status.is_done and (
            first_open is None or ranks[task.phase] < ranks[first_open.phase]
        ):
            first_open = task
    busy_groups: dict[str, str] = {}
    for task in status.tasks:
        group = task.sequential_group
        if group is not None and task.status is TaskState.IN_PROGRESS:
            busy_groups.setdefault(group, task.id)
    result: dict[str, list[tuple[WaitKind, str]]] = {}
    for task in status.tasks:
        if task.status not in (TaskState.PENDING, TaskState.FAILED):
            continue
        reasons: list[tuple[WaitKind, str]] = []
        for dep in task.dependencies:
            other = by_id.get(dep)
            if other is None:
                reasons.append(("unknown_dependency", f"depends on unknown task {dep}"))
            elif not other.status.is_done:
                reasons.append(("dependency", f"waiting for {dep} ({other.status.value})"))
        group = task.sequential_group
        if group is not None and group in busy_groups:
            reasons.append(
                (
                    "sequential_group",
                    f"sequential group {group} busy: {busy_groups[group]} in progress",
                )
            )
        if (
            not cross_phase
            and first_open is not None
            and ranks[task.phase] > ranks[first_open.phase]
        ):
            reasons.append(
                (
                    "earlier_phase",
                    f"earlier phase {first_open.phase!r} unfinished "
                    f"({first_open.id} {first_open.status.value})",
                )
            )
        result[task.id] = reasons
    return result


def _order(status: PlanStatus, tasks: list[Task]) -> list[Task]:
    ranks = _phase_rank(status)
    return sorted(tasks, key=lambda task: (ranks[task.phase], natural_key(task.id)))


def _why_ready(task: Task) -> str:
    if not task.dependencies:
        return "no dependencies"
    return "dependencies done: " + ", ".join(task.dependencies)


def ready(status: PlanStatus, *, cross_phase: bool = False) -> tuple[Task, ...]:
    """Every pending task that may start now, in order."""
    obstacles = _obstacles(status, cross_phase=cross_phase)
    candidates = [
        task for task in status.tasks if task.status is TaskState.PENDING and not obstacles[task.id]
    ]
    return tuple(_order(status, candidates))


def _select(tasks: list[Task], n: int) -> list[Task]:
    """Up to ``n`` tasks, never two of the same sequential group."""
    chosen: list[Task] = []
    groups: set[str] = set()
    for task in tasks:
        if len(chosen) >= n:
            break
        group = task.sequential_group
        if group is not None:
            if group in groups:
                continue
            groups.add(group)
        chosen.append(task)
    return chosen


def next_tasks(status: PlanStatus, n: int = 1, *, cross_phase: bool = False) -> NextReport:
    """Up to ``n`` tasks to do next (each with a reason) and why the other pending ones wait.

    Read-only: nothing is claimed. Two tasks of one sequential group are never both offered.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    obstacles = _obstacles(status, cross_phase=cross_phase)
    pending = [task for task in status.tasks if task.status is TaskState.PENDING]
    free = _order(status, [task for task in pending if not obstacles[task.id]])
    picks = _select(free, n)
    picked = {task.id for task in picks}
    waiting = [
        Waiting(
            task,
            tuple(text for _, text in obstacles[task.id]),
            tuple(kind for kind, _ in obstacles[task.id]),
        )
        for task in _order(status, [task for task in pending if obstacles[task.id]])
    ]
    picked_groups = {task.sequential_group: task.id for task in picks if task.sequential_group}
    for task in free:
        sibling = picked_groups.get(task.sequential_group or "")
        if task.id not in picked and sibling is not None:
            waiting.append(
                Waiting(task, (f"sequential group: {sibling} goes first",), ("sequential_group",))
            )
    return NextReport(
        ready=tuple(Pick(task, _why_ready(task)) for task in picks), waiting=tuple(waiting)
    )


def claimable(
    status: PlanStatus,
    *,
    cross_phase: bool = False,
    max_retries: int | None = None,
    reclaimable: Iterable[Task] = (),
) -> list[Task]:
    """Every task a claim may take now, in order (see :func:`statuskit.leases.claim`).

    Ready pending tasks; with ``max_retries``, failed tasks retried fewer times than that,
    subject to the same rules (a failed 1.1 is retried before 1.2 starts); and the
    ``reclaimable`` in-progress tasks (their holder's lease ended), which already passed the
    rules when they were first claimed.
    """
    obstacles = _obstacles(status, cross_phase=cross_phase)
    taken_back = {task.id for task in reclaimable}

    def eligible(task: Task) -> bool:
        if task.status is TaskState.IN_PROGRESS:
            return task.id in taken_back
        if obstacles.get(task.id):
            return False
        if task.status is TaskState.PENDING:
            return True
        return (
            max_retries is not None
            and task.status is TaskState.FAILED
            and task.retry_count < max_retries
        )

    return _order(status, [task for task in status.tasks if eligible(task)])


def pick(candidates: Iterable[Task], n: int) -> list[Task]:
    """The first ``n`` of ``candidates``, never two of the same sequential group."""
    if n < 0:
        raise ValueError("n must be >= 0")
    return _select(list(candidates), n)


def retryable(status: PlanStatus, max_retries: int) -> tuple[Task, ...]:
    """Failed tasks that have been retried fewer than ``max_retries`` times."""
    return tuple(
        task
        for task in status.tasks
        if task.status is TaskState.FAILED and task.retry_count < max_retries
    )


def _is_stuck(task: Task, now: datetime, after: timedelta) -> bool:
    if task.status is not TaskState.IN_PROGRESS:
        return False
    if task.token is not None and task.lease_expires_at is not None:
        # A leased task is alive while its holder heartbeats, however long it runs.
        return now >= task.lease_expires_at
    return task.started_at is not None and now - task.started_at > after


def stuck(status: PlanStatus, now: datetime, after: timedelta) -> tuple[Task, ...]:
    """Tasks in progress that look abandoned.

    A leased task is stuck once its lease has expired (its holder stopped heartbeating); any
    other task in progress is stuck after running longer than ``after`` (by ``started_at``).
    """
    return tuple(task for task in status.tasks if _is_stuck(task, now, after))


def _stuck_error(task: Task, after: timedelta) -> str:
    if task.token is not None and task.lease_expires_at is not None:
        return (
            f"stuck: the lease of {task.owner or 'its holder'} (token {task.token}) expired "
            f"at {task.lease_expires_at}"
        )
    return f"stuck: in progress for more than {after} (started {task.started_at})"


def fail_stuck(status: PlanStatus, now: datetime, after: timedelta) -> PlanStatus:
    """Mark every stuck task failed, with an error that says why it is considered stuck.

    Leased tasks are failed past their token (an explicit override, recorded as forced).
    """
    ops = [
        Op(task_id=task.id, target=TaskState.FAILED, error=_stuck_error(task, after), force=True)
        for task in stuck(status, now, after)
    ]
    return apply_batch(status, ops, now=now)
