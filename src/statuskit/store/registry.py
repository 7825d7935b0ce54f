"""``open_store``: one way to get a store from a target string, for every caller.

Targets:

============================================  ===============================================
``docs/plan-outputs/x/status.json``           :class:`~statuskit.JsonFileStore` on that file
``file:PATH`` / ``file:///abs/PATH``          the same
a folder (``docs/plan-outputs``) + ``plan``   ``<folder>/<plan>/status.json`` (the JSON layout)
``memory:`` / ``memory:NAME``                 a :class:`~statuskit.MemoryStore`, shared by name
                                              and plan key within this process
``sqlite:///abs/path.db``, ``sqlite:rel.db``  the SQLite backend (many plans in one file)
``postgresql://…`` / ``postgres://…``         the PostgreSQL backend (many plans, many hosts)
``SCHEME:…``                                  a backend registered by another package in the
                                              ``statuskit.stores`` entry-point group
============================================  ===============================================

A backend factory is called as ``factory(target, plan=..., lock_timeout=..., **options)``
and returns a :class:`~statuskit.StatusStore`. Built-in backends are imported only when their
scheme is used, so opening a JSON file never imports a database driver; entry points are
looked up only for schemes statuskit does not know (reading them costs tens of milliseconds).
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Callable
from typing import Any

from statuskit.errors import StoreNotSupported
from statuskit.ids import check_task_id
from statuskit.store.base import StatusStore

__all__ = [
    "ENTRY_POINT_GROUP",
    "Factory",
    "check_plan_key",
    "mask_password",
    "open_store",
    "scheme_of",
]

#: The entry-point group where other packages register backends: ``scheme = "pkg.mod:factory"``.
ENTRY_POINT_GROUP = "statuskit.stores"

Factory = Callable[..., StatusStore]

# scheme -> (module, factory name, extra that provides its driver)
_BUILTIN: dict[str, tuple[str, str, str | None]] = {
    "file": ("statuskit.store.registry", "_open_file", None),
    "memory": ("statuskit.store.registry", "_open_memory", None),
    "sqlite": ("statuskit.store.sqlite", "open_sqlite", None),
    "postgresql": ("statuskit.store.postgres", "open_postgres", "postgres"),
    "postgres": ("statuskit.store.postgres", "open_postgres", "postgres"),
}

_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789+.-")


def mask_password(target: str) -> str:
    """``postgresql://u:secret@h/db`` → ``postgresql://u:***@h/db`` (also ``password=`` pairs)."""
    import re  # only error messages and displays need it

    masked = re.sub(r"(//[^:/@]*:)([^@/]*)(@)", r"\1***\3", target)
    return re.sub(r"(?i)(password=)[^&\s]*", r"\1***", masked)


def check_plan_key(key: str) -> str:
    """Return ``key`` if it can name a plan (it may become a folder name).

    Raises:
        InvalidTaskId: the same rules as a task id (no separators, no ``..``, no NUL...).

    """
    return check_task_id(key)


def scheme_of(target: str) -> str | None:
    """The URL scheme of a target, or ``None`` for a plain path.

    A scheme is a letter and at least one more letter, digit, ``+``, ``.`` or ``-`` before the
    first ``:``; a single letter is a Windows drive (``C:``), not a scheme.
    """
    head, colon, _ = target.partition(":")
    scheme = head.lower()
    if not colon or len(scheme) < 2 or not scheme[0].isalpha() or not scheme.isascii():
        return None
    return scheme if set(scheme) <= _SCHEME_CHARS else None


def _json_path(path: str, plan: str | None) -> str:
    """A status file, or ``<folder>/<plan>/status.json`` for a folder and a plan key."""
    if plan is not None and (os.path.isdir(path) or path.endswith(("/", os.sep))):
        return os.path.join(path, plan, "status.json")
    return path


def _open_file(target: str, *, plan: str | None, lock_timeout: float, **options: Any) -> Any:
    from statuskit.store.jsonfile import JsonFileStore

    path = target
    if scheme_of(target) == "file":
        path = target[len("file:") :]
        if path.startswith("//"):  # file:///abs/path (an empty host)
            path = path[2:]
    if not path:
        raise StoreNotSupported(target, "no path given")
    return JsonFileStore(_json_path(path, plan), lock_timeout=lock_timeout, **options)


_memory_guard = threading.Lock()
_memory_stores: dict[tuple[str, str], Any] = {}


def _open_memory(target: str, *, plan: str | None, lock_timeout: float, **options: Any) -> Any:
    from statuskit.store.memory import MemoryStore

    if options:
        raise StoreNotSupported(target, f"unknown options {sorted(options)}")
    key = (target[len("memory:") :], plan or "")
    with _memory_guard:
        store = _memory_stores.get(key)
        if store is None:
            store = _memory_stores[key] = MemoryStore()
        return store


def _entry_point(scheme: str) -> Factory | None:
    from importlib.metadata import entry_points

    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name.lower() == scheme:
            factory: Factory = entry.load()
            return factory
    return None


def _factory(scheme: str, target: str) -> Factory:
    builtin = _BUILTIN.get(scheme)
    if builtin is None:
        factory = _entry_point(scheme)
        if factory is None:
            known = ", ".join(sorted(_BUILTIN))
            raise StoreNotSupported(
                mask_password(target),
                f"unknown scheme {scheme!r} (built in: {known}; others come from packages "
                f"registering the {ENTRY_POINT_GROUP!r} entry point)",
            )
        return factory
    module_name, name, extra = builtin
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        if extra is not None and exc.name != module_name:
            raise StoreNotSupported(
                mask_password(target),
                f"its driver is not installed (pip install 'statuskit[{extra}]')",
            ) from exc
        raise StoreNotSupported(
            mask_password(target), f"the {scheme} backend is not available in this version"
        ) from exc
    return getattr(module, name)  # type: ignore[no-any-return]


def open_store(
    target: str | os.PathLike[str],
    *,
    plan: str | None = None,
    lock_timeout: float = 10.0,
    **options: Any,
) -> StatusStore:
    """Open the store a target names (see the module documentation for the targets).

    Args:
        target: a path or a URL.
        plan: the plan key, for stores that hold many plans (and for a folder of the JSON
            layout); by default the plan file's stem is used by the CLI.
        lock_timeout: seconds to wait for another writer before
            :class:`~statuskit.LockTimeout`.
        **options: passed to the backend (e.g. ``backups=`` for the JSON file).

    Returns:
        The store; use it as a context manager, or call ``close()`` when done.

    Raises:
        StoreNotSupported: an unknown scheme, or a backend whose driver is not installed.
        StoreUnavailable: the backend cannot be reached (a database server down).

    Example:
        >>> from statuskit import open_store
        >>> with open_store("memory:doctest", plan="demo") as store:
        ...     store.exists()
        False

    """
    text = os.fspath(target)
    if not isinstance(text, str) or not text:
        raise StoreNotSupported(repr(target), "empty target")
    if plan is not None:
        check_plan_key(plan)
    scheme = scheme_of(text) or "file"
    return _factory(scheme, text)(text, plan=plan, lock_timeout=lock_timeout, **options)
