"""The report of a repair (imported only when repairing)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from statuskit.validation import Problem

__all__ = ["RepairReport"]


@attrs.frozen(kw_only=True)
class RepairReport:
    """What :meth:`statuskit.Tracker.repair` (or a store's ``restore``) did."""

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

    def to_json(self) -> dict[str, Any]:
        """The CLI's form of the report (camelCase keys; warnings when data may be lost)."""
        from statuskit.codec import format_timestamp

        result: dict[str, Any] = {
            "action": self.action,
            "fixed": [problem.to_json() for problem in self.fixed],
            "remaining": [problem.to_json() for problem in self.remaining],
        }
        if self.action in ("restored", "rebuilt"):
            result.update(
                corruptReason=self.corrupt_reason,
                quarantined=self.quarantined,
                restoredFrom=self.restored_from,
            )
        if self.restored_last_updated is not None:
            moment = format_timestamp(self.restored_last_updated)
            result["restoredLastUpdatedAt"] = moment
            result["warning"] = f"changes made after {moment} may be lost"
        if self.action == "rebuilt":
            result["warning"] = "rebuilt from the plan: every task state was reset to pending"
        return result
