"""``MemoryStore``: the reference backend, and the test double for code that uses a store."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from statuskit.errors import FindingsNotFound, SchemaTooNew, StatusExists, StatusMissing
from statuskit.ids import check_task_id, findings_file_name
from statuskit.journal import JournalEvent, select
from statuskit.model import SCHEMA_VERSION, PlanStatus
from statuskit.store._journal import journaled
from statuskit.store.base import Change, ClosingMixin

__all__ = ["MemoryStore"]


class MemoryStore(ClosingMixin):
    """A thread-safe store that keeps the status in memory.

    It follows the :class:`~statuskit.StatusStore` contract exactly (updates serialized,
    unchanged results not "written", findings ids validated, every write journaled), so it
    can stand in for a file store in tests of code that uses statuskit. The journal is a list
    that starts with the first write (an ``initial`` status has none).

    Args:
        initial: the status to start with; ``None`` starts empty (``exists()`` is false).

    """

    def __init__(self, initial: PlanStatus | None = None) -> None:
        self._lock = threading.RLock()
        self._status = initial
        self._findings: dict[str, str] = {}
        self._journal: list[JournalEvent] = []
        self.writes = 0
        """How many updates actually changed the status (for tests)."""

    @property
    def location(self) -> str:  # noqa: D102 - documented on the protocol
        return "<memory>"

    def read(self) -> PlanStatus:  # noqa: D102
        status = self._status
        if status is None:
            raise StatusMissing("<memory>")
        return status

    def update(self, change: Change) -> PlanStatus:  # noqa: D102
        with self._lock:
            current = self.read()
            new = change(current)
            if new is current or new == current:
                return current
            if current.schema_version > SCHEMA_VERSION:
                raise SchemaTooNew(current.schema_version, SCHEMA_VERSION)
            new, events = journaled(current, new)
            self._journal += events
            self._status = new
            self.writes += 1
            return new

    def create(self, initial: PlanStatus, *, force: bool = False) -> None:  # noqa: D102
        with self._lock:
            if self._status is not None:
                raise StatusExists("<memory>")
            self._status, events = journaled(None, initial)
            self._journal += events

    def import_status(  # noqa: D102 - documented on the Importable protocol
        self, status: PlanStatus, history: Sequence[JournalEvent]
    ) -> None:
        with self._lock:
            if self._status is not None:
                raise StatusExists("<memory>")
            self._status = status
            self._journal = list(history)

    def history(  # noqa: D102
        self, since: int = 0, task: str | None = None
    ) -> Sequence[JournalEvent]:
        with self._lock:
            self.read()
            return select(self._journal, since=since, task=task)

    def exists(self) -> bool:  # noqa: D102
        return self._status is not None

    def write_findings(self, task_id: str, text: str) -> str:  # noqa: D102
        location = self.findings_location(task_id)
        with self._lock:
            self._findings[task_id] = text
        return location

    def findings_location(self, task_id: str) -> str:  # noqa: D102
        return f"findings/{findings_file_name(task_id)}"

    def read_findings(self, task_id: str) -> str:  # noqa: D102
        check_task_id(task_id)
        try:
            return self._findings[task_id]
        except KeyError:
            raise FindingsNotFound(task_id, "<memory>") from None
