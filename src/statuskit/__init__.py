"""statuskit: trustworthy execution state for plans carried out by AI coding agents.

The public API is exactly the names in ``__all__``; everything else may change. Submodules
are imported on first use of one of their names, so that ``import statuskit`` and the
``statuskit`` command stay fast (a command imports only what it needs).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from statuskit.errors import (
    CorruptStatus,
    DuplicateTaskIds,
    FindingsNotFound,
    InvalidTaskId,
    InvalidTransition,
    LockTimeout,
    PlanError,
    PlanMismatch,
    RepairRefused,
    RunExists,
    RunNotFound,
    SchemaTooNew,
    StaleClaim,
    StatusExists,
    StatusKitError,
    StatusMissing,
    StoreNotSupported,
    StoreUnavailable,
    TaskNotFound,
    UnsafePath,
)
from statuskit.model import (
    SCHEMA_VERSION,
    ExecutionConstraints,
    Holder,
    Intent,
    PlanStatus,
    Run,
    Summary,
    Task,
    TaskState,
    summarize,
)

if TYPE_CHECKING:
    from statuskit.codec import (
        decode,
        encode,
    )
    from statuskit.ids import (
        natural_key,
    )
    from statuskit.journal import Actor, JournalEvent
    from statuskit.leases import Lease, claim, heartbeat
    from statuskit.planfile import (
        Criterion,
        Phase,
        Plan,
        PlanTask,
        PlanWarning,
        SyncReport,
        parse_plan,
        status_from_plan,
        sync_check,
    )
    from statuskit.plansync import ApplyReport, sync_apply
    from statuskit.scheduling import (
        NextReport,
        Pick,
        Waiting,
        next_tasks,
        ready,
        retryable,
        stuck,
    )
    from statuskit.store import (
        ChangeFeed,
        JsonFileStore,
        MemoryStore,
        PlanCatalog,
        PlanEntry,
        RepairReport,
        Restorable,
        StatusStore,
        StoreClock,
        Watchable,
        open_store,
    )
    from statuskit.summary import (
        PhaseProgress,
        is_blocked,
        is_complete,
        phase_progress,
        progress_percent,
    )
    from statuskit.tracker import (
        Outcome,
        Tracker,
        utc_now,
    )
    from statuskit.transitions import (
        Op,
        apply_batch,
    )
    from statuskit.validation import (
        Problem,
        repair,
        validate,
    )

# Where each lazily imported public name lives.
_LAZY = {
    "decode": "statuskit.codec",
    "encode": "statuskit.codec",
    "natural_key": "statuskit.ids",
    "Actor": "statuskit.journal",
    "JournalEvent": "statuskit.journal",
    "Lease": "statuskit.leases",
    "claim": "statuskit.leases",
    "heartbeat": "statuskit.leases",
    "Criterion": "statuskit.planfile",
    "Phase": "statuskit.planfile",
    "Plan": "statuskit.planfile",
    "PlanTask": "statuskit.planfile",
    "PlanWarning": "statuskit.planfile",
    "SyncReport": "statuskit.planfile",
    "parse_plan": "statuskit.planfile",
    "status_from_plan": "statuskit.planfile",
    "sync_check": "statuskit.planfile",
    "ApplyReport": "statuskit.plansync",
    "sync_apply": "statuskit.plansync",
    "NextReport": "statuskit.scheduling",
    "Pick": "statuskit.scheduling",
    "Waiting": "statuskit.scheduling",
    "next_tasks": "statuskit.scheduling",
    "ready": "statuskit.scheduling",
    "retryable": "statuskit.scheduling",
    "stuck": "statuskit.scheduling",
    "ChangeFeed": "statuskit.store.base",
    "JsonFileStore": "statuskit.store",
    "MemoryStore": "statuskit.store",
    "PlanCatalog": "statuskit.store.base",
    "PlanEntry": "statuskit.store.base",
    "RepairReport": "statuskit.store.repair",
    "Restorable": "statuskit.store.base",
    "StatusStore": "statuskit.store.base",
    "StoreClock": "statuskit.store.base",
    "Watchable": "statuskit.store.base",
    "open_store": "statuskit.store.registry",
    "PhaseProgress": "statuskit.summary",
    "is_blocked": "statuskit.summary",
    "is_complete": "statuskit.summary",
    "phase_progress": "statuskit.summary",
    "progress_percent": "statuskit.summary",
    "Outcome": "statuskit.tracker",
    "Tracker": "statuskit.tracker",
    "utc_now": "statuskit.tracker",
    "Op": "statuskit.transitions",
    "apply_batch": "statuskit.transitions",
    "Problem": "statuskit.validation",
    "repair": "statuskit.validation",
    "validate": "statuskit.validation",
}

__all__ = [
    "SCHEMA_VERSION",
    "Actor",
    "ApplyReport",
    "ChangeFeed",
    "CorruptStatus",
    "Criterion",
    "DuplicateTaskIds",
    "ExecutionConstraints",
    "FindingsNotFound",
    "Holder",
    "Intent",
    "InvalidTaskId",
    "InvalidTransition",
    "JournalEvent",
    "JsonFileStore",
    "Lease",
    "LockTimeout",
    "MemoryStore",
    "NextReport",
    "Op",
    "Outcome",
    "Phase",
    "PhaseProgress",
    "Pick",
    "Plan",
    "PlanCatalog",
    "PlanEntry",
    "PlanError",
    "PlanMismatch",
    "PlanStatus",
    "PlanTask",
    "PlanWarning",
    "Problem",
    "RepairRefused",
    "RepairReport",
    "Restorable",
    "Run",
    "RunExists",
    "RunNotFound",
    "SchemaTooNew",
    "StaleClaim",
    "StatusExists",
    "StatusKitError",
    "StatusMissing",
    "StatusStore",
    "StoreClock",
    "StoreNotSupported",
    "StoreUnavailable",
    "Summary",
    "SyncReport",
    "Task",
    "TaskNotFound",
    "TaskState",
    "Tracker",
    "UnsafePath",
    "Waiting",
    "Watchable",
    "apply_batch",
    "claim",
    "decode",
    "encode",
    "heartbeat",
    "is_blocked",
    "is_complete",
    "natural_key",
    "next_tasks",
    "open_store",
    "parse_plan",
    "phase_progress",
    "progress_percent",
    "ready",
    "repair",
    "retryable",
    "status_from_plan",
    "stuck",
    "summarize",
    "sync_apply",
    "sync_check",
    "utc_now",
    "validate",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from statuskit._version import __version__

        return __version__
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'statuskit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
