"""Processes a test started, found without looking at anyone else's.

The test process becomes a *child subreaper* (Linux ``PR_SET_CHILD_SUBREAPER``): an agent
orphaned by the orchestrator it belonged to is re-parented to the test process instead of
init, so "what did this test leave running" is a walk over our own descendants — never a
scan of every process on the machine, which other runs (a demo in another terminal) share.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import sys
import time
from pathlib import Path

_PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    """Make this process the reaper of its orphaned descendants (False where unsupported)."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    return bool(libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def descendants(pid: int | None = None) -> list[int]:
    """Every descendant of ``pid`` (default: this process), zombies included."""
    todo = _children(os.getpid() if pid is None else pid)
    seen: list[int] = []
    while todo:
        child = todo.pop()
        if child in seen:
            continue
        seen.append(child)
        todo += _children(child)
    return seen


def state(pid: int) -> str:
    """A process's state letter (``Z`` for a zombie; ``""`` once it is gone)."""
    try:
        return (Path(f"/proc/{pid}") / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return ""


def cmdline(pid: int) -> list[bytes]:
    """A process's arguments (empty for a zombie or a process that is gone)."""
    try:
        return (Path(f"/proc/{pid}") / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return []


def _reap(pids: list[int]) -> None:
    """Collect zombies among our own children (orphans re-parented to us end as those)."""
    mine = set(_children(os.getpid()))
    for pid in pids:
        if pid in mine and state(pid) == "Z":
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)


def leftovers(before: set[int], wait: float = 15.0) -> list[int]:
    """Live descendants not in ``before``, after giving them ``wait`` seconds to end.

    A process being killed needs a moment to go; the wait ends as soon as none is left, so
    it costs nothing when all is well and only bounds a real leak.
    """
    deadline = time.monotonic() + wait
    while True:
        found = [pid for pid in descendants() if pid not in before]
        _reap(found)
        alive = [pid for pid in found if state(pid) not in ("", "Z")]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.05)
