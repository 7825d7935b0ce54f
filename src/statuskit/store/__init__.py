"""Where statuses live: the :class:`StatusStore` protocol and its backends."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from statuskit.store.base import Change, StatusStore
from statuskit.store.jsonfile import JsonFileStore
from statuskit.store.memory import MemoryStore

if TYPE_CHECKING:
    from statuskit.store.repair import RepairReport

__all__ = [
    "Change",
    "JsonFileStore",
    "MemoryStore",
    "RepairReport",
    "StatusStore",
]


def __getattr__(name: str) -> Any:
    if name == "RepairReport":  # only repairs need it; its class costs start-up time
        from statuskit.store.repair import RepairReport

        return RepairReport
    raise AttributeError(f"module 'statuskit.store' has no attribute {name!r}")
