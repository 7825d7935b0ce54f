"""The plumbing under :class:`~statuskit.Tracker`: how an operation reaches a store.

An operation is a pure step ``PlanStatus -> (PlanStatus, value)``. It is applied through the
store's ``update`` (or, for a store that changes single tasks in place,
:class:`~statuskit.store.base.TaskScoped`, through ``update_tasks``), after two checks every
backend shares: the status belongs to the caller's plan file, and no id names two tasks. The
public operations are in :mod:`statuskit.tracker`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Generic, TypeVar

import attrs

from statuskit.errors import (
    DuplicateTaskIds,
    PlanMismatch,
    TaskNotFound,
)
from statuskit.ids import duplicate_ids
from statuskit.model import Intent, PlanStatus, Summary, Task
from statuskit.store.base import (
    Change,
    StatusStore,
    StoreClock,
    TaskScoped,
    TaskView,
)

if TYPE_CHECKING:
    pass

__all__ = ["Outcome", "TrackerBase", "same_plan", "utc_now"]

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
    _before: Task | Callable[[], Task] | None = attrs.field(
        default=None, alias="before", kw_only=True, eq=False, repr=False
    )
    _waiting_for: tuple[tuple[str, str], ...] | Callable[[], tuple[tuple[str, str], ...]] = (
        attrs.field(default=(), alias="waiting_for", kw_only=True, eq=False, repr=False)
    )

    @property
    def status(self) -> PlanStatus:
        """The whole status after the operation (see the class documentation)."""
        status = self._status
        if not isinstance(status, PlanStatus):
            status = status()
            object.__setattr__(self, "_status", status)  # a cache: the value never changes
        return status

    @property
    def before(self) -> Task | None:
        """The task right before the operation (``None`` where it was not recorded).

        Looked up on first access, so an operation whose caller does not ask pays nothing.
        """
        before = self._before
        if before is not None and not isinstance(before, Task):
            before = before()
            object.__setattr__(self, "_before", before)  # a cache: the value never changes
        return before

    @property
    def waiting_for(self) -> tuple[tuple[str, str], ...]:
        """For a start: the task's dependencies not done when it started; else empty.

        ``(id, state)`` pairs (see :func:`statuskit.transitions.unmet_dependencies`), looked
        up on first access, like :attr:`before`.
        """
        waiting = self._waiting_for
        if not isinstance(waiting, tuple):
            waiting = waiting()
            object.__setattr__(self, "_waiting_for", waiting)  # a cache, as above
        return waiting

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


def _finder(seen: list[PlanStatus], task_id: str) -> Callable[[], Task]:
    """The lookup of ``task_id`` in the snapshot an operation saw (kept by reference)."""
    snapshot = seen[0]
    return lambda: snapshot.task(task_id)


def _acting(status: PlanStatus, owner: str | None) -> PlanStatus:
    """``status`` annotated with who acted, for the journal's actor."""
    return (
        status if owner is None else status.annotated(Intent(kind="by", details={"owner": owner}))
    )


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


class TrackerBase:
    """The store, the clock and the checked ways of applying a step (see the module doc)."""

    def __init__(
        self,
        store: StatusStore,
        *,
        clock: Callable[[], datetime] | None = None,
        plan_path: str | None = None,
    ) -> None:
        self.store = store
        if clock is None:
            clock = store.now if isinstance(store, StoreClock) else utc_now
        self.clock: Callable[[], datetime] = clock
        self.plan_path = plan_path

    # ------------------------------------------------------------------ plumbing

    def _check(self, status: PlanStatus) -> PlanStatus:
        if self.plan_path is not None and not same_plan(status.plan_path, self.plan_path):
            raise PlanMismatch(self.plan_path, status.plan_path or "", self.store.location)
        return status

    def _writable(self, status: PlanStatus) -> PlanStatus:
        # A status in which one id names two tasks is ambiguous: an operation by id would
        # silently pick one of them. Every backend gets the same refusal, inside the update.
        duplicates = duplicate_ids(task.id for task in status.tasks)
        if duplicates:
            raise DuplicateTaskIds(duplicates, self.store.location)
        return self._check(status)

    def _run(
        self,
        step: Callable[[PlanStatus], tuple[PlanStatus, R]],
        *,
        dry_run: bool,
        repairing: bool = False,
    ) -> tuple[PlanStatus, R, bool]:
        """Apply ``step`` through ``update`` (or to a read, for a dry run).

        The status is checked first: it must belong to the tracker's plan and, unless
        ``repairing`` (repair changes no task and reports duplicates), hold each id once.
        """
        check = self._check if repairing else self._writable
        checked = _Step(lambda current: step(check(current)))
        if dry_run:
            current = self.store.read()
            result = checked(current)
        else:
            result = self.store.update(checked)
        return result, checked.value, checked.changed

    def _change(self, change: Change, *, dry_run: bool) -> tuple[PlanStatus, bool]:
        status, _, changed = self._run(lambda current: (change(current), None), dry_run=dry_run)
        return status, changed

    def _task_op(
        self,
        task_id: str,
        change: Change,
        *,
        dry_run: bool,
        token: int | None = None,
        owner: str | None = None,
        also: tuple[str, ...] = (),
    ) -> Outcome:
        """Apply ``change`` to one task; ``also``: other tasks a scoped store must load."""
        seen: list[PlanStatus] = []

        def step(current: PlanStatus) -> PlanStatus:
            new = change(current)
            seen[:] = [current]  # the task before, found only if someone asks (see Outcome)
            if new is current:
                return new
            # Who acted (for the journal): the owner named, or the holder whose token was given.
            holder = current.task(task_id).owner if token is not None else None
            who = owner if owner is not None else holder
            return _acting(new, who)

        store = self.store
        if not isinstance(store, TaskScoped):
            status, changed = self._change(step, dry_run=dry_run)
            return Outcome(status.task(task_id), changed, status, before=_finder(seen, task_id))
        ids = tuple(dict.fromkeys((task_id, *also)))
        view, changed = self._scoped(store, ids, step, dry_run=dry_run)
        before = seen[0].task(task_id)  # a view of a few tasks: no cost worth deferring
        if dry_run:
            return Outcome(
                view.task(task_id),
                changed,
                lambda: step(self._check(self.store.read())),
                summary=view.summary,
                before=before,
            )
        return Outcome(
            view.task(task_id), changed, self.store.read, summary=view.summary, before=before
        )

    def _checked_view(self, view: TaskView) -> None:
        """A view's plan must be this tracker's, and hold each id once (as :meth:`_writable`)."""
        if view.duplicates:
            raise DuplicateTaskIds(view.duplicates, self.store.location)
        self._check(view.status)

    def _scoped(
        self, store: TaskScoped, task_ids: tuple[str, ...], change: Change, *, dry_run: bool
    ) -> tuple[TaskView, bool]:
        """Apply ``change`` to a view of a few tasks (the store loads nothing else).

        Duplicate ids anywhere in the plan stop the write: the store refuses them inside its
        transaction (:meth:`TaskScoped.update_tasks`), the dry run here.
        """
        checked = _Step(lambda current: (change(self._check(current)), None))
        if not dry_run:
            return store.update_tasks(task_ids, checked), checked.changed
        view = store.read_tasks(task_ids)
        self._checked_view(view)
        try:
            new = checked(view.status)
        except TaskNotFound as exc:
            if exc.suggestions or view.status.has_task(exc.task_id):
                raise
            raise TaskNotFound(exc.task_id, view.suggest(exc.task_id)) from None
        return view.after(new), checked.changed

    def _view(self, task_id: str, *, writing: bool = True) -> Task:
        """The task, checked (its plan; for a write, no duplicate ids): scoped where it can be."""
        if isinstance(self.store, TaskScoped):
            view = self.store.read_tasks((task_id,))
            if writing:
                self._checked_view(view)
            else:
                self._check(view.status)
            return view.task(task_id)
        status = self.store.read()
        return (self._writable(status) if writing else self._check(status)).task(task_id)
