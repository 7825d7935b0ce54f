"""Static typing test (checked by mypy, not run): every backend satisfies StatusStore."""

from __future__ import annotations

from statuskit import JsonFileStore, MemoryStore, StatusStore

memory: StatusStore = MemoryStore()
jsonfile: StatusStore = JsonFileStore("status.json", lock_timeout=1.0)
