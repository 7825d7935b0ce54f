"""Every backend the shared tests run on, in one list: add a backend by adding an entry.

Each entry opens an empty store for one plan in a fresh folder, and knows how to make the
stored status "written by a newer statuskit" (the one thing no protocol method can do).
The contract suite (``test_store_contract``) and the stateful equivalence test
(``test_store_stateful``) are parametrized over :data:`BACKENDS`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import attrs

from statuskit import JsonFileStore, MemoryStore, PlanStatus, StatusStore, Task
from statuskit.store.sqlite import SqliteStore

PLAN_KEY = "plan"


@attrs.frozen
class Backend:
    """How to get a store of one backend, and how to age its status."""

    name: str
    open: Callable[[Path], StatusStore]
    """An empty store for plan key :data:`PLAN_KEY` in a fresh folder."""
    make_too_new: Callable[[StatusStore], None]
    """Rewrite the stored status as if written with ``schemaVersion`` 99."""


def _json_too_new(store: StatusStore) -> None:
    assert isinstance(store, JsonFileStore)
    raw = json.loads(Path(store.path).read_text())
    raw["schemaVersion"] = 99
    Path(store.path).write_text(json.dumps(raw))


def _memory_too_new(store: StatusStore) -> None:
    assert isinstance(store, MemoryStore)
    store._status = attrs.evolve(store.read(), schema_version=99)


def _sqlite_open(folder: Path) -> StatusStore:
    """A store in a database that already holds another plan, which must stay invisible."""
    path = folder / "statuskit.db"
    with SqliteStore(path, "neighbour") as other:
        other.create(PlanStatus(tasks=(Task(id="1.1", phase="N", description="not yours"),)))
    return SqliteStore(path, PLAN_KEY, lock_timeout=5)


def _sqlite_too_new(store: StatusStore) -> None:
    assert isinstance(store, SqliteStore)
    with sqlite3.connect(store.path) as conn:
        (doc,) = conn.execute(
            "SELECT doc FROM statuskit_plans WHERE plan_key = ?", (store.plan,)
        ).fetchone()
        top = json.loads(doc)
        top["schemaVersion"] = 99
        conn.execute(
            "UPDATE statuskit_plans SET doc = ?, seq = seq + 1 WHERE plan_key = ?",
            (json.dumps(top), store.plan),
        )
    conn.close()


BACKENDS: dict[str, Backend] = {
    backend.name: backend
    for backend in (
        Backend("memory", lambda folder: MemoryStore(), _memory_too_new),
        Backend(
            "jsonfile",
            lambda folder: JsonFileStore(folder / "status.json", lock_timeout=5),
            _json_too_new,
        ),
        Backend("sqlite", _sqlite_open, _sqlite_too_new),
    )
}
