"""The :class:`StatusStore` protocol: the handful of primitives every backend implements."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from statuskit.model import PlanStatus

__all__ = ["Change", "StatusStore"]

#: A pure function from the current snapshot to the next one. Returning the argument itself
#: means "nothing to change": the store then writes nothing.
Change = Callable[[PlanStatus], PlanStatus]


@runtime_checkable
class StatusStore(Protocol):
    """Where a plan's status lives.

    Every mutation statuskit offers (mark started, complete, a batch, a claim, a repair) is a
    :data:`Change` passed to :meth:`update`, so a backend needs only these primitives and one
    contract test suite covers all backends.
    """

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
        propagates and nothing is written.

        Raises:
            StatusMissing: there is no status yet.
            CorruptStatus: the stored status cannot be read (nothing is written).
            LockTimeout: another writer held the lock for longer than the timeout.
            SchemaTooNew: the stored status was written by a newer statuskit.

        """
        ...

    def create(self, initial: PlanStatus) -> None:
        """Store ``initial`` as a new status.

        Raises:
            StatusExists: a status is already stored.

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
