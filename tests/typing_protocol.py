"""Static typing test (checked by mypy, not run): every backend satisfies StatusStore."""

from __future__ import annotations

from statuskit import JsonFileStore, MemoryStore, StatusStore

memory: StatusStore = MemoryStore()
jsonfile: StatusStore = JsonFileStore("status.json", lock_timeout=1.0)

# The SQLite backend, with every capability it claims.
from statuskit import PlanCatalog, Restorable, Watchable  # noqa: E402
from statuskit.store import TaskScoped  # noqa: E402
from statuskit.store.sqlite import SqliteStore  # noqa: E402

sqlite: StatusStore = SqliteStore("statuskit.db", "plan")
sqlite_catalog: PlanCatalog = SqliteStore("statuskit.db")
sqlite_restorable: Restorable = SqliteStore("statuskit.db", "plan")
sqlite_watchable: Watchable = SqliteStore("statuskit.db", "plan")
sqlite_scoped: TaskScoped = SqliteStore("statuskit.db", "plan")
