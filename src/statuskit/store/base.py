"""The :class:`StatusStore` protocol, and the optional capabilities some backends add.

A backend implements the few primitives of :class:`StatusStore`; every operation statuskit
offers is built on them once, in :class:`~statuskit.Tracker`. What only some backends can do
is a small Protocol of its own, checked with ``isinstance`` (never probed with ``getattr``):

* :class:`Restorable`: bring back a stored status from a backup (the JSON file's ``.bak``);
* :class:`Watchable`: wait efficiently until the status may have changed (inotify on the
  folder, a database's change counter or notifications), for live views;
* :class:`PlanCatalog`: list the plans one store holds (database stores hold many);
* :class:`Importable`: take a status copied from another store as it is, with its journal
  (``statuskit migrate``);
* :class:`StoreClock`: the store's own clock (a database server's), which leases then use
  instead of each writer's.
* :class:`TaskScoped`: read and change a few tasks without loading the whole plan (database
  stores, where a task is a row: a one-task command then costs the same on 100 tasks or 10,000).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import attrs

from statuskit.errors import TaskNotFound
from statuskit.model import PlanStatus, Summary, Task, summarize

if TYPE_CHECKING:
    from typing_extensions import Self

    from statuskit.journal import JournalEvent
    from statuskit.store.repair import RepairReport

__all__ = [
    "Change",
    "ChangeFeed",
    "ClosingMixin",
    "Importable",
    "PlanCatalog",
    "PlanEntry",
    "Restorable",
    "StatusStore",
    "StoreClock",
    "TaskScoped",
    "TaskView",
    "Watchable",
]

#: A pure function from the current snapshot to the next one. Returning the argument itself
#: means "nothing to change": the store then writes nothing.
Change = Callable[[PlanStatus], PlanStatus]


@runtime_checkable
class StatusStore(Protocol):
    """Where a plan's status lives.

    Every mutation statuskit offers (mark started, complete, a batch, a claim, a repair) is a
    :data:`Change` passed to :meth:`update`, so a backend needs only these primitives and one
    contract test suite covers all backends. Stores are context managers: leaving the
    ``with`` block calls :meth:`close`.
    """

    @property
    def location(self) -> str:
        """Where the status is, for people: a path, or a URL and plan key (no password)."""
        ...

    def read(self) -> PlanStatus:
        """Return a consistent snapshot. Takes no lock and never writes.

        Raises:
            StatusMissing: there is no status yet.
            CorruptStatus: the stored status cannot be read.

        """
        ...

    def update(self, change: Change) -> PlanStatus:
        """Atomically apply ``change`` to the latest state and return the result.

        ``change`` sees the latest state; its result is durable when ``update`` returns.
        Concurrent updaters (threads or processes) are serialized. When ``change`` returns
        its argument unchanged, nothing is written. An exception raised by ``change``
        propagates and nothing is written. Every write goes through
        :func:`statuskit.store._journal.journaled`: the stored status's ``revision`` is one
        above the one ``change`` saw, and the write's events are recorded with it.

        Raises:
            StatusMissing: there is no status yet.
            CorruptStatus: the stored status cannot be read (nothing is written).
            LockTimeout: another writer held the lock for longer than the timeout.
            SchemaTooNew: the stored status was written by a newer statuskit.

        """
        ...

    def create(self, initial: PlanStatus, *, force: bool = False) -> None:
        """Store ``initial`` as a new status.

        A store that keeps backups refuses to start a new status over the backups of an
        earlier one (its status was deleted: restoring is the likely wish); ``force`` starts
        over anyway, and the backups are set aside, never deleted. Stores without backups
        ignore ``force``.

        Raises:
            StatusExists: a status is already stored (``force`` does not change that), or
                only backups of an earlier one are left and ``force`` is false.

        """
        ...

    def exists(self) -> bool:
        """Whether a status is stored (corrupt or not)."""
        ...

    def write_findings(self, task_id: str, text: str) -> str:
        """Store the findings text of a task, atomically; return where it went.

        Raises:
            InvalidTaskId: the id cannot be used as a file name (separators, ``..``, NUL).

        """
        ...

    def read_findings(self, task_id: str) -> str:
        """Return the findings text of a task.

        Raises:
            InvalidTaskId: the id cannot be used as a file name.
            FindingsNotFound: none were written.

        """
        ...

    def findings_location(self, task_id: str) -> str:
        """Where the findings of ``task_id`` are, or would be, stored (nothing is written).

        Raises:
            InvalidTaskId: the id cannot be used as a file name.

        """
        ...

    def history(self, since: int = 0, task: str | None = None) -> Sequence[JournalEvent]:
        """The journal: the events of every write after revision ``since``, in order.

        Each write's events are recorded atomically with the write (see
        :mod:`statuskit.journal`); only writes that produced the stored status are returned.

        Args:
            since: only events of revisions above this one.
            task: only the events about this task.

        Raises:
            StatusMissing: there is no status yet.
            CorruptStatus: the stored status cannot be read.

        """
        ...

    def close(self) -> None:
        """Release what the store holds (connections, descriptors). Idempotent."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class ClosingMixin:
    """``with store:`` support for backends: ``__exit__`` calls ``close()``."""

    def close(self) -> None:
        """Nothing to release (backends that hold resources override this)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


@runtime_checkable
class Restorable(Protocol):
    """A store that keeps backups and can restore one when the status is corrupt or gone."""

    def restore(
        self,
        *,
        now: datetime,
        rebuild: PlanStatus | None = None,
        dry_run: bool = False,
    ) -> RepairReport:
        """Replace a corrupt or missing status by its newest valid backup.

        The bad version is kept aside, never deleted. With no valid backup, ``rebuild`` (a
        fresh status, e.g. from the plan) is written with a loud marker; without it the
        restore is refused.

        Raises:
            RepairRefused: no valid backup and no ``rebuild``.

        """
        ...


@runtime_checkable
class ChangeFeed(Protocol):
    """An open subscription to changes of one status (see :class:`Watchable`)."""

    def wait(self, timeout: float) -> bool:
        """Block until the status may have changed (True) or ``timeout`` seconds pass (False).

        Spurious wake-ups are allowed; a change is never missed between two calls.
        """
        ...

    def close(self) -> None:
        """Stop listening. Idempotent."""
        ...


@runtime_checkable
class Watchable(Protocol):
    """A store that can tell when its status may have changed, without polling reads."""

    def watch(self) -> ChangeFeed:
        """Start listening for changes; close the feed when done."""
        ...


@attrs.frozen
class PlanEntry:
    """One plan held by a store (see :class:`PlanCatalog`)."""

    key: str
    """The plan key (by default the plan file's stem)."""
    plan_path: str | None
    """The plan file the status records."""
    plan_name: str | None
    """The plan's title."""
    summary: Summary
    """Counts per state."""
    last_updated_at: datetime | None
    """When the status last changed."""


@runtime_checkable
class PlanCatalog(Protocol):
    """A store that holds many plans under plan keys."""

    def plans(self) -> Sequence[PlanEntry]:
        """Every plan in the store, by key."""
        ...


@runtime_checkable
class Importable(Protocol):
    """A store that can take a status copied from another store exactly as it was.

    ``create`` makes a new status, journaled as a new revision; an import keeps the copy's
    ``revision`` and brings the journal that led to it, so that ``statuskit log`` reads the
    same in the new store as in the old one.
    """

    def import_status(self, status: PlanStatus, history: Sequence[JournalEvent]) -> None:
        """Store ``status`` as it is (its revision kept), with ``history`` as its journal.

        Raises:
            StatusExists: a status is already stored.

        """
        ...


@runtime_checkable
class StoreClock(Protocol):
    """A store with a clock of its own, shared by every writer (e.g. PostgreSQL's ``now()``).

    Leases expire by the clock of whoever checks them. With a store clock, writers on hosts
    whose clocks disagree still agree on when a lease ends; without one (a JSON file, SQLite)
    the writer's clock is used (see docs/concepts.md).
    """

    def now(self) -> datetime:
        """The store's current time, timezone-aware, with millisecond precision."""
        ...


def _no_suggestions(task_id: str) -> tuple[str, ...]:
    return ()


@attrs.frozen
class TaskView:
    """Some tasks of a plan, its plan-level fields, and the counts over the whole plan.

    What a :class:`TaskScoped` store hands to a change instead of the whole snapshot.
    """

    status: PlanStatus
    """The plan-level fields, exact; ``tasks`` holds only the tasks asked for that exist (the
    first task of each id, in plan order) and ``runs`` is empty."""
    summary: Summary
    """Counts per state over every task of the plan."""
    suggest: Callable[[str], tuple[str, ...]] = attrs.field(
        default=_no_suggestions, eq=False, repr=False
    )
    """The plan's ids closest to an unknown one, for :class:`~statuskit.TaskNotFound`."""
    duplicates: tuple[str, ...] = ()
    """Ids that name more than one task anywhere in the plan (a view shows only the first)."""

    def task(self, task_id: str) -> Task:
        """The task with this id.

        Raises:
            TaskNotFound: the plan has no such task (with the plan's closest ids).

        """
        for task in self.status.tasks:
            if task.id == task_id:
                return task
        raise TaskNotFound(task_id, self.suggest(task_id))

    def after(self, new: PlanStatus) -> TaskView:
        """The view once a change turned ``status`` into ``new`` (the same tasks, changed).

        The summary is adjusted by the tasks of the view that changed state, which is exact:
        the other tasks of the plan are not part of the change.
        """
        counts = self.summary.counts()
        for state, count in summarize(self.status.tasks).counts().items():
            counts[state] -= count
        for state, count in summarize(new.tasks).counts().items():
            counts[state] += count
        return TaskView(new, Summary.of(counts), self.suggest, self.duplicates)


@runtime_checkable
class TaskScoped(Protocol):
    """A store that can read and change a few tasks without loading the whole plan.

    The :class:`~statuskit.Tracker` uses it for operations on named tasks (start, complete,
    fail, skip, reset, findings), so that their cost does not grow with the plan. Everything
    that needs the whole plan (claims, ``next``, validation) still reads the whole snapshot.
    """

    def read_tasks(self, task_ids: Sequence[str]) -> TaskView:
        """A consistent view of these tasks (ids the plan lacks are simply absent).

        Raises:
            StatusMissing: there is no status yet.
            CorruptStatus: the stored status cannot be read.

        """
        ...

    def update_tasks(self, task_ids: Sequence[str], change: Change) -> TaskView:
        """Atomically apply ``change`` to a view of these tasks and return the view after it.

        The same contract as :meth:`StatusStore.update`, on a view: ``change`` may change the
        plan-level fields and the tasks it was given, but may not add, remove or reorder
        tasks, nor touch runs (``ValueError``). A :class:`~statuskit.TaskNotFound` it raises
        for an id absent from the view is re-raised with the plan's closest ids.

        Raises:
            StatusMissing: there is no status yet.
            CorruptStatus: the stored status cannot be read (nothing is written).
            LockTimeout: another writer held the lock for longer than the timeout.
            SchemaTooNew: the stored status was written by a newer statuskit.

        """
        ...
