"""Where statuses live: the :class:`StatusStore` protocol, its capabilities, its backends."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from statuskit.store.base import (
    Change,
    ChangeFeed,
    PlanCatalog,
    PlanEntry,
    Restorable,
    StatusStore,
    StoreClock,
    TaskScoped,
    TaskView,
    Watchable,
)
from statuskit.store.jsonfile import JsonFileStore
from statuskit.store.memory import MemoryStore
from statuskit.store.registry import open_store

if TYPE_CHECKING:
    from statuskit.store.repair import RepairReport

__all__ = [
    "Change",
    "ChangeFeed",
    "JsonFileStore",
    "MemoryStore",
    "PlanCatalog",
    "PlanEntry",
    "RepairReport",
    "Restorable",
    "StatusStore",
    "StoreClock",
    "TaskScoped",
    "TaskView",
    "Watchable",
    "open_store",
]


def __getattr__(name: str) -> Any:
    if name == "RepairReport":  # only repairs need it; its class costs start-up time
        from statuskit.store.repair import RepairReport

        return RepairReport
    raise AttributeError(f"module 'statuskit.store' has no attribute {name!r}")
