"""``Tracker``: the everyday operations over any :class:`~statuskit.StatusStore`.

Each operation is a pure function of :mod:`statuskit.transitions` or
:mod:`statuskit.scheduling`, applied through the store's ``update`` so that it is atomic with
respect to every other writer. The tracker adds the clock and reports what happened.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import attrs

from statuskit import transitions
from statuskit.model import PlanStatus, Run, Summary, Task, TaskState
from statuskit.store.base import Change, StatusStore

if TYPE_CHECKING:
    from statuskit.scheduling import NextReport

__all__ = ["Outcome", "Tracker", "utc_now"]


def utc_now() -> datetime:
    """The current UTC time, truncated to the millisecond precision of the file format."""
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


@attrs.frozen
class Outcome:
    """The result of a task operation."""

    task: Task
    """The task after the operation."""
    changed: bool
    """False for an idempotent repeat (the task was already in that state)."""
    status: PlanStatus
    """The whole status after the operation."""


class Tracker:
    """Task operations over a store, with an injectable clock.

    Args:
        store: any :class:`~statuskit.StatusStore`.
        clock: returns the current aware datetime (default :func:`utc_now`).

    Example:
        >>> from statuskit import MemoryStore, PlanStatus, Task, Tracker
        >>> tracker = Tracker(MemoryStore(PlanStatus(tasks=(Task(id="1.1"), Task(id="1.2")))))
        >>> tracker.start("1.1").changed
        True
        >>> tracker.complete("1.1", notes="done").task.status.value
        'completed'
        >>> tracker.summary().percent
        50.0

    """

    def __init__(self, store: StatusStore, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.store = store
        self.clock = clock

    def _apply(self, change: Change, *, dry_run: bool) -> tuple[PlanStatus, bool]:
        if dry_run:
            current = self.store.read()
            new = change(current)
            return new, new is not current
        seen: list[bool] = []

        def tracked(current: PlanStatus) -> PlanStatus:
            new = change(current)
            seen.append(new is not current)
            return new

        result = self.store.update(tracked)
        return result, seen[-1]

    def _task_op(
        self,
        task_id: str,
        target: TaskState,
        *,
        dry_run: bool,
        **options: object,
    ) -> Outcome:
        now = self.clock()

        def change(status: PlanStatus) -> PlanStatus:
            return transitions.transition(status, task_id, target, now=now, **options)  # type: ignore[arg-type]

        status, changed = self._apply(change, dry_run=dry_run)
        return Outcome(status.task(task_id), changed, status)

    # ------------------------------------------------------------------ reading

    def status(self) -> PlanStatus:
        """The current status."""
        return self.store.read()

    def summary(self) -> Summary:
        """Counts per state, recomputed from the tasks."""
        return self.store.read().summary

    def next(self, n: int = 1, *, cross_phase: bool = False) -> NextReport:
        """Up to ``n`` ready tasks with reasons, and why the others wait (read-only)."""
        from statuskit.scheduling import next_tasks

        return next_tasks(self.store.read(), n, cross_phase=cross_phase)

    def retryable(self, max_retries: int) -> tuple[Task, ...]:
        """Failed tasks retried fewer than ``max_retries`` times."""
        from statuskit.scheduling import retryable

        return retryable(self.store.read(), max_retries)

    def stuck(self, after: timedelta) -> tuple[Task, ...]:
        """Tasks in progress for longer than ``after``."""
        from statuskit.scheduling import stuck

        return stuck(self.store.read(), self.clock(), after)

    # ------------------------------------------------------------------ task operations

    def start(
        self,
        task_id: str,
        *,
        force: bool = False,
        owner: str | None = None,
        dry_run: bool = False,
    ) -> Outcome:
        """Mark a task in progress (a retry, counted, when it had failed)."""
        return self._task_op(
            task_id, TaskState.IN_PROGRESS, dry_run=dry_run, force=force, owner=owner
        )

    def complete(
        self,
        task_id: str,
        *,
        notes: str | None = None,
        force: bool = False,
        dry_run: bool = False,
    ) -> Outcome:
        """Mark a task completed, with optional notes."""
        return self._task_op(
            task_id, TaskState.COMPLETED, dry_run=dry_run, notes=notes, force=force
        )

    def fail(
        self, task_id: str, *, error: str, force: bool = False, dry_run: bool = False
    ) -> Outcome:
        """Mark a task failed with an error message."""
        return self._task_op(task_id, TaskState.FAILED, dry_run=dry_run, error=error, force=force)

    def skip(
        self,
        task_id: str,
        *,
        reason: str | None = None,
        force: bool = False,
        dry_run: bool = False,
    ) -> Outcome:
        """Mark a task skipped, with an optional reason."""
        return self._task_op(
            task_id, TaskState.SKIPPED, dry_run=dry_run, reason=reason, force=force
        )

    def reset(self, task_id: str, *, force: bool = False, dry_run: bool = False) -> Outcome:
        """Put a task back to pending."""
        return self._task_op(task_id, TaskState.PENDING, dry_run=dry_run, force=force)

    def batch(self, ops: Iterable[transitions.Op], *, dry_run: bool = False) -> PlanStatus:
        """Apply several transitions as one update: all of them or none."""
        now = self.clock()
        ops = tuple(ops)
        status, _ = self._apply(
            lambda current: transitions.apply_batch(current, ops, now=now), dry_run=dry_run
        )
        return status

    def claim(
        self,
        n: int,
        owner: str,
        *,
        cross_phase: bool = False,
        max_retries: int | None = None,
        dry_run: bool = False,
    ) -> tuple[Task, ...]:
        """Atomically choose up to ``n`` ready tasks and mark them in progress for ``owner``."""
        from statuskit.scheduling import claim

        now = self.clock()
        claimed: list[tuple[Task, ...]] = []

        def change(current: PlanStatus) -> PlanStatus:
            new, tasks = claim(
                current, n, owner, now=now, cross_phase=cross_phase, max_retries=max_retries
            )
            claimed.append(tasks)
            return new

        self._apply(change, dry_run=dry_run)
        return claimed[-1]

    def fail_stuck(self, after: timedelta, *, dry_run: bool = False) -> tuple[Task, ...]:
        """Mark tasks in progress for longer than ``after`` failed; return them."""
        from statuskit.scheduling import fail_stuck, stuck

        now = self.clock()
        found: list[tuple[Task, ...]] = []

        def change(current: PlanStatus) -> PlanStatus:
            found.append(stuck(current, now, after))
            return fail_stuck(current, now, after)

        status, _ = self._apply(change, dry_run=dry_run)
        ids = {task.id for task in found[-1]}
        return tuple(task for task in status.tasks if task.id in ids)

    # ------------------------------------------------------------------ runs

    def start_run(self, run_id: str | None = None, *, dry_run: bool = False) -> Run:
        """Open a new run and return it."""
        now = self.clock()
        status, _ = self._apply(
            lambda current: transitions.start_run(current, now=now, run_id=run_id),
            dry_run=dry_run,
        )
        return status.runs[-1]

    def complete_run(
        self,
        run_id: str | None = None,
        *,
        completed: int | None = None,
        failed: int | None = None,
        dry_run: bool = False,
    ) -> Run:
        """Close a run (the latest open one by default) with its counts; return it."""
        now = self.clock()
        closed: list[str] = []

        def change(current: PlanStatus) -> PlanStatus:
            closed.append(transitions.find_run(current, run_id).run_id)
            return transitions.complete_run(
                current, now=now, run_id=closed[-1], completed=completed, failed=failed
            )

        status, _ = self._apply(change, dry_run=dry_run)
        return transitions.find_run(status, closed[-1])

    # ------------------------------------------------------------------ findings

    def write_findings(self, task_id: str, text: str, *, dry_run: bool = False) -> str:
        """Store a task's findings and record where in the task; return the location."""
        status = self.store.read()
        status.task(task_id)  # TaskNotFound before anything is written
        if dry_run:
            return task_id
        location = self.store.write_findings(task_id, text)
        relative = location
        path = getattr(self.store, "path", None)
        if isinstance(path, str):
            relative = os.path.relpath(location, os.path.dirname(os.path.abspath(path)))
        now = self.clock()

        def change(current: PlanStatus) -> PlanStatus:
            task = current.task(task_id)
            if task.findings_path == relative:
                return current
            tasks = tuple(
                attrs.evolve(t, findings_path=relative) if t.id == task_id else t
                for t in current.tasks
            )
            return attrs.evolve(current, tasks=tasks, last_updated_at=now)

        self.store.update(change)
        return location

    def read_findings(self, task_id: str) -> str:
        """A task's findings text."""
        self.store.read().task(task_id)
        return self.store.read_findings(task_id)
