"""Where statuses live: the :class:`StatusStore` protocol and its backends."""

from statuskit.store.base import Change, StatusStore
from statuskit.store.jsonfile import JsonFileStore, RepairReport
from statuskit.store.memory import MemoryStore

__all__ = [
    "Change",
    "JsonFileStore",
    "MemoryStore",
    "RepairReport",
    "StatusStore",
]
