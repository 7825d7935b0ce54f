"""Processes on this host: who writes (for the journal), and which holder is dead.

A claim may name the process that works on its tasks (a :class:`~statuskit.model.Holder`).
When that process is gone, its tasks need not wait for their lease to run out. Only a holder
on *this* host can be judged — a pid means nothing elsewhere — and a pid can be reused: a
process that started after the claim was made is not the one the claim named.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from statuskit.model import Task

__all__ = ["holder_is_dead", "holder_state", "host_name", "process_started"]

# Process start times come from clock ticks since boot and the boot time in whole seconds:
# a process born this little after a claim may still be the one that made it.
_SLACK_SECONDS = 2.0


def host_name() -> str:
    """The name of the host, as holders and journal actors record it."""
    return os.uname().nodename or "localhost"


def _stat_fields(pid: int) -> list[str] | None:
    """``/proc/<pid>/stat`` after the command name (which may hold spaces and parentheses)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            raw = handle.read()
    except OSError:
        return None
    _, _, rest = raw.rpartition(b")")
    return rest.decode("ascii", "replace").split()


def process_started(pid: int) -> datetime | None:
    """When process ``pid`` started (Linux), or ``None`` when that cannot be known."""
    fields = _stat_fields(pid)
    if fields is None or len(fields) < 20:
        return None
    try:
        with open("/proc/stat", "rb") as handle:
            boot = next(int(line.split()[1]) for line in handle if line.startswith(b"btime "))
        ticks_per_second = os.sysconf("SC_CLK_TCK")
        # Field 22 of stat is the start time in ticks; fields[0] here is field 3.
        ticks = int(fields[19])
    except (OSError, ValueError, StopIteration, IndexError):
        return None
    return datetime.fromtimestamp(boot + ticks / ticks_per_second, tz=timezone.utc)


def holder_state(
    host: str, pid: int, claimed_at: datetime | None
) -> Literal["alive", "dead", "unknown"]:
    """Whether the holder process ``pid`` on ``host`` still lives.

    ``unknown`` for another host (or a platform that cannot tell); ``dead`` when no such
    process exists, it is a zombie, or the pid now belongs to a process that started after
    ``claimed_at`` (the pid was reused).
    """
    if host != host_name() or pid <= 0:
        return "unknown"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return "dead"
    except PermissionError:
        pass  # it exists, under another user
    except OSError:
        return "unknown"
    fields = _stat_fields(pid)
    if fields and fields[0] in ("Z", "X"):
        return "dead"
    started = process_started(pid)
    if (
        started is not None
        and claimed_at is not None
        and (started - claimed_at).total_seconds() > _SLACK_SECONDS
    ):
        return "dead"
    return "alive"


def holder_is_dead(task: Task) -> bool:
    """Whether the process a task's claim named as its holder is known dead (this host only)."""
    holder = task.holder
    if holder is None:
        return False
    return holder_state(holder.host, holder.pid, task.started_at) == "dead"
