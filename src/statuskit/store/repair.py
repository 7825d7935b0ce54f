"""The report of :meth:`statuskit.JsonFileStore.repair` (imported only when repairing)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from statuskit.validation import Problem

__all__ = ["RepairReport"]


@attrs.frozen(kw_only=True)
class RepairReport:
    """What :meth:`JsonFileStore.repair` did."""

    action: str
    """``"none"`` (the file was fine), ``"fixed"`` (safe fixes applied), ``"restored"`` (a
    backup replaced a corrupt file) or ``"rebuilt"`` (a fresh status replaced it)."""
    fixed: tuple[Problem, ...] = ()
    """Problems fixed in place (action ``fixed``)."""
    restored_from: str | None = None
    """The backup that was restored."""
    quarantined: str | None = None
    """Where the corrupt file was kept aside."""
    restored_last_updated: datetime | None = None
    """``lastUpdatedAt`` of the restored version: changes after it may be lost."""
    corrupt_reason: str | None = None
    """Why the file was corrupt."""
    remaining: tuple[Problem, ...] = ()
    """Problems that repair does not fix (they need a person)."""
