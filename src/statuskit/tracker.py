"""``Tracker``: the everyday operations over any :class:`~statuskit.StatusStore`.

Each operation is a pure function of :mod:`statuskit.transitions`, :mod:`statuskit.scheduling`
or :mod:`statuskit.validation`, applied through the store's ``update`` so that it is atomic
with respect to every other writer. The tracker adds the clock, checks that the status
belongs to the plan the caller works on, and reports what happened. The CLI, the MCP server
and the orchestrator all go through it: this is the one place the operations live.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Generic, TypeVar

import attrs

from statuskit import transitions
from statuskit.errors import CorruptStatus, PlanMismatch, StatusMissing, TaskNotFound
from statuskit.ids import findings_file_name
from statuskit.model import PlanStatus, Run, Summary, Task
from statuskit.store.base import Change, Restorable, StatusStore, TaskScoped, TaskView

if TYPE_CHECKING:
    from statuskit.scheduling import NextReport
    from statuskit.store.repair import RepairReport

__all__ = ["Outcome", "Tracker", "utc_now"]

R = TypeVar("R")


def utc_now() -> datetime:
    """The current UTC time, truncated to the millisecond precision of the file format."""
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


@attrs.frozen
class Outcome:
    """The result of a task operation.

    ``status`` is the whole status after the operation. A store that changes single tasks in
    place (:class:`~statuskit.store.TaskScoped`, the database stores) does not load it for the
    operation: it is read on first access, and may then include later changes by other
    writers. ``summary`` is always the exact count right after the operation.
    """

    task: Task
    """The task after the operation."""
    changed: bool
    """False for an idempotent repeat (the task was already in that state)."""
    _status: PlanStatus | Callable[[], PlanStatus] = attrs.field(
        alias="status", eq=False, repr=False
    )
    _summary: Summary | None = attrs.field(default=None, alias="summary")

    @property
    def status(self) -> PlanStatus:
        """The whole status after the operation (see the class documentation)."""
        status = self._status
        if not isinstance(status, PlanStatus):
            status = status()
            object.__setattr__(self, "_status", status)  # a cache: the value never changes
        return status

    @property
    def summary(self) -> Summary:
        """Counts per state over the whole plan, right after the operation."""
        return self._summary if self._summary is not None else self.status.summary


class _Step(Generic[R]):
    """A change that also yields a value (which tasks a claim took, which run it closed).

    ``update`` may call its change more than once (a backend that retries a transaction);
    the value kept is the one of the call whose result was stored: the last.
    """

    def __init__(self, step: Callable[[PlanStatus], tuple[PlanStatus, R]]) -> None:
        self.step = step
        self.value: R
        self.changed = False

    def __call__(self, current: PlanStatus) -> PlanStatus:
        new, self.value = self.step(current)
        self.changed = new is not current
        return new


def same_plan(recorded: str | None, given: str) -> bool:
    """Whether a status recording plan file ``recorded`` may be used for plan file ``given``.

    Equal paths, or two names of one file, match. A status that records no plan, or a plan
    file that no longer exists where it was (moved, or recorded from another folder), is not
    refused: only two different files that both exist are a proven mismatch.
    """
    if not recorded or os.path.normpath(recorded) == os.path.normpath(given):
        return True
    try:
        return os.path.samefile(recorded, given)
    except OSError:
        return not (os.path.exists(recorded) and os.path.exists(given))


class Tracker:
    """Task operations over a store, with an injectable clock.

    Args:
        store: any :class:`~statuskit.StatusStore`.
        clock: returns the current aware datetime (default :func:`utc_now`).
        plan_path: the plan file the caller works from; a status that records another,
            existing plan file is refused with :class:`~statuskit.PlanMismatch` (two plans
            whose files share a name map to the same status location or plan key).

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

    def __init__(
        self,
        store: StatusStore,
        *,
        clock: Callable[[], datetime] = utc_now,
        plan_path: str | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.plan_path = plan_path

    # ------------------------------------------------------------------ plumbing

    def _check(self, status: PlanStatus) -> PlanStatus:
        if self.plan_path is not None and not same_plan(status.plan_path, self.plan_path):
            raise PlanMismatch(self.plan_path, status.plan_path or "", self.store.location)
        return status

    def _run(
        self, step: Callable[[PlanStatus], tuple[PlanStatus, R]], *, dry_run: bool
    ) -> tuple[PlanStatus, R, bool]:
        """Apply ``step`` through ``update`` (or to a read, for a dry run)."""
        checked = _Step(lambda current: step(self._check(current)))
        if dry_run:
            current = self.store.read()
            result = checked(current)
        else:
            result = self.store.update(checked)
        return result, checked.value, checked.changed

    def _change(self, change: Change, *, dry_run: bool) -> tuple[PlanStatus, bool]:
        status, _, changed = self._run(lambda current: (change(current), None), dry_run=dry_run)
        return status, changed

    def _task_op(self, task_id: str, change: Change, *, dry_run: bool) -> Outcome:
        store = self.store
        if not isinstance(store, TaskScoped):
            status, changed = self._change(change, dry_run=dry_run)
            return Outcome(status.task(task_id), changed, status)
        view, changed = self._scoped(store, (task_id,), change, dry_run=dry_run)
        if dry_run:
            return Outcome(
                view.task(task_id),
                changed,
                lambda: change(self._check(self.store.read())),
                summary=view.summary,
            )
        return Outcome(view.task(task_id), changed, self.store.read, summary=view.summary)

    def _scoped(
        self, store: TaskScoped, task_ids: tuple[str, ...], change: Change, *, dry_run: bool
    ) -> tuple[TaskView, bool]:
        """Apply ``change`` to a view of a few tasks (the store loads nothing else)."""
        checked = _Step(lambda current: (change(self._check(current)), None))
        if not dry_run:
            return store.update_tasks(task_ids, checked), checked.changed
        view = store.read_tasks(task_ids)
        try:
            new = checked(view.status)
        except TaskNotFound as exc:
            if exc.suggestions or view.status.has_task(exc.task_id):
                raise
            raise TaskNotFound(exc.task_id, view.suggest(exc.task_id)) from None
        return view.after(new), checked.changed

    def _view(self, task_id: str) -> Task:
        """The task, checked to belong to this plan: a scoped read where the store has one."""
        if isinstance(self.store, TaskScoped):
            view = self.store.read_tasks((task_id,))
            self._check(view.status)
            return view.task(task_id)
        return self.status().task(task_id)

    # ------------------------------------------------------------------ reading

    def status(self) -> PlanStatus:
        """The current status."""
        return self._check(self.store.read())

    def summary(self) -> Summary:
        """Counts per state, recomputed from the tasks."""
        return self.status().summary

    def next(self, n: int = 1, *, cross_phase: bool = False) -> NextReport:
        """Up to ``n`` ready tasks with reasons, and why the others wait (read-only)."""
        from statuskit.scheduling import next_tasks

        return next_tasks(self.status(), n, cross_phase=cross_phase)

    def retryable(self, max_retries: int) -> tuple[Task, ...]:
        """Failed tasks retried fewer than ``max_retries`` times."""
        from statuskit.scheduling import retryable

        return retryable(self.status(), max_retries)

    def stuck(self, after: timedelta) -> tuple[Task, ...]:
        """Tasks in progress for longer than ``after``."""
        from statuskit.scheduling import stuck

        return stuck(self.status(), self.clock(), after)

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
        now = self.clock()
        return self._task_op(
            task_id,
            lambda s: transitions.start(s, task_id, now=now, force=force, owner=owner),
            dry_run=dry_run,
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
        now = self.clock()
        return self._task_op(
            task_id,
            lambda s: transitions.complete(s, task_id, now=now, notes=notes, force=force),
            dry_run=dry_run,
        )

    def fail(
        self, task_id: str, *, error: str, force: bool = False, dry_run: bool = False
    ) -> Outcome:
        """Mark a task failed with an error message."""
        now = self.clock()
        return self._task_op(
            task_id,
            lambda s: transitions.fail(s, task_id, now=now, error=error, force=force),
            dry_run=dry_run,
        )

    def skip(
        self,
        task_id: str,
        *,
        reason: str | None = None,
        force: bool = False,
        dry_run: bool = False,
    ) -> Outcome:
        """Mark a task skipped, with an optional reason."""
        now = self.clock()
        return self._task_op(
            task_id,
            lambda s: transitions.skip(s, task_id, now=now, reason=reason, force=force),
            dry_run=dry_run,
        )

    def reset(self, task_id: str, *, force: bool = False, dry_run: bool = False) -> Outcome:
        """Put a task back to pending."""
        now = self.clock()
        return self._task_op(
            task_id,
            lambda s: transitions.reset(s, task_id, now=now, force=force),
            dry_run=dry_run,
        )

    def batch(self, ops: Iterable[transitions.Op], *, dry_run: bool = False) -> PlanStatus:
        """Apply several transitions as one update: all of them or none."""
        now = self.clock()
        ops = tuple(ops)
        status, _ = self._change(
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
        _, claimed, _ = self._run(
            lambda current: claim(
                current, n, owner, now=now, cross_phase=cross_phase, max_retries=max_retries
            ),
            dry_run=dry_run,
        )
        return claimed

    def fail_stuck(self, after: timedelta, *, dry_run: bool = False) -> tuple[Task, ...]:
        """Mark tasks in progress for longer than ``after`` failed; return them."""
        from statuskit.scheduling import fail_stuck, stuck

        now = self.clock()

        def step(current: PlanStatus) -> tuple[PlanStatus, tuple[str, ...]]:
            ids = tuple(task.id for task in stuck(current, now, after))
            return fail_stuck(current, now, after), ids

        status, ids, _ = self._run(step, dry_run=dry_run)
        return tuple(task for task in status.tasks if task.id in ids)

    # ------------------------------------------------------------------ runs

    def start_run(self, run_id: str | None = None, *, dry_run: bool = False) -> Run:
        """Open a new run and return it."""
        now = self.clock()
        status, _ = self._change(
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

        def step(current: PlanStatus) -> tuple[PlanStatus, str]:
            chosen = transitions.find_run(current, run_id).run_id
            new = transitions.complete_run(
                current, now=now, run_id=chosen, completed=completed, failed=failed
            )
            return new, chosen

        status, chosen, _ = self._run(step, dry_run=dry_run)
        return transitions.find_run(status, chosen)

    # ------------------------------------------------------------------ findings

    def write_findings(self, task_id: str, text: str, *, dry_run: bool = False) -> str:
        """Store a task's findings and record where in the task; return the location.

        With ``dry_run`` nothing is written and the location it would go to is returned.
        """
        self._view(task_id)  # TaskNotFound before anything is written
        if dry_run:
            return self.store.findings_location(task_id)
        location = self.store.write_findings(task_id, text)
        # Recorded relative to the status, the same for every backend (and after a migrate).
        recorded = f"findings/{findings_file_name(task_id)}"
        now = self.clock()

        def change(current: PlanStatus) -> PlanStatus:
            task = current.task(task_id)
            if task.findings_path == recorded:
                return current
            tasks = tuple(
                attrs.evolve(t, findings_path=recorded) if t.id == task_id else t
                for t in current.tasks
            )
            return attrs.evolve(current, tasks=tasks, last_updated_at=now)

        if isinstance(self.store, TaskScoped):
            self._scoped(self.store, (task_id,), change, dry_run=False)
        else:
            self._change(change, dry_run=False)
        return location

    def read_findings(self, task_id: str) -> str:
        """A task's findings text."""
        self._view(task_id)
        return self.store.read_findings(task_id)

    # ------------------------------------------------------------------ repair

    def repair(self, *, rebuild: PlanStatus | None = None, dry_run: bool = False) -> RepairReport:
        """Fix what is safe to fix; restore a backup over a corrupt status where one is kept.

        * A readable status gets the safe fixes of :func:`statuskit.validation.repair`,
          through ``update`` (so on every backend); task states are never changed.
        * A corrupt (or lost) status of a :class:`~statuskit.store.base.Restorable` store is
          replaced by its newest valid backup, or by ``rebuild`` when none is valid.

        Raises:
            CorruptStatus: the status is corrupt and the store keeps no backups.
            RepairRefused: no valid backup and no ``rebuild``.

        """
        from statuskit.store.repair import RepairReport
        from statuskit.validation import repair, validate

        now = self.clock()
        if isinstance(self.store, Restorable):
            try:
                self.store.read()
            except (CorruptStatus, StatusMissing):
                return self.store.restore(now=now, rebuild=rebuild, dry_run=dry_run)
        status, fixed, changed = self._run(
            lambda current: repair(current, now=now), dry_run=dry_run
        )
        remaining = tuple(problem for problem in validate(status) if not problem.fixable)
        if not changed:
            return RepairReport(action="none", remaining=remaining)
        return RepairReport(action="fixed", fixed=fixed, remaining=remaining)
