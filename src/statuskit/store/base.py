"""The :class:`StatusStore` protocol, and the optional capabilities some backends add.

A backend implements the few primitives of :class:`StatusStore`; every operation statuskit
offers is built on them once, in :class:`~statuskit.Tracker`. What only some backends can do
is a small Protocol of its own, checked with ``isinstance`` (never probed with ``getattr``):

* :class:`Restorable`: bring back a stored status from a backup (the JSON file's ``.bak``);
* :class:`Watchable`: wait efficiently until the status may have changed (inotify on the
  folder, a database's change counter or notifications), for live views;
* :class:`PlanCatalog`: list the plans one store holds (database stores hold many);
* :class:`StoreClock`: the store's own clock (a database server's), which leases then use
  instead of each writer's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import attrs

from statuskit.model import PlanStatus, Summary

if TYPE_CHECKING:
    from typing_extensions import Self

    from statuskit.journal import JournalEvent
    from statuskit.store.repair import RepairReport

__all__ = [
    "Change",
    "ChangeFeed",
    "ClosingMixin",
    "PlanCatalog",
    "PlanEntry",
    "Restorable",
    "StatusStore",
    "StoreClock",
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
class StoreClock(Protocol):
    """A store with a clock of its own, shared by every writer (e.g. PostgreSQL's ``now()``).

    Leases expire by the clock of whoever checks them. With a store clock, writers on hosts
    whose clocks disagree still agree on when a lease ends; without one (a JSON file, SQLite)
    the writer's clock is used (see docs/concepts.md).
    """

    def now(self) -> datetime:
        """The store's current time, timezone-aware, with millisecond precision."""
        ...
