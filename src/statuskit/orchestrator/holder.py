"""Who holds a claimed task, and whether that holder is still alive.

The orchestrator claims tasks as ``orchestrator-<pid>@<host>``. A run killed with SIGKILL
cannot release its tasks, so the next run looks at the holders of tasks in progress: a holder
on this host whose process is gone — or whose pid now belongs to a process started after the
task was claimed (the pid was reused) — is dead, and its tasks are released.

Holders on other hosts, and owners in any other form (a person's ``mark-started``, an old
``orchestrator-<pid>`` without a host), are never judged: only a lease can expire those. This
module is the one place that knows the form, so that leases can replace it.
"""

from __future__ import annotations

import os
import re
import socket
from datetime import datetime, timezone

__all__ = ["holder_name", "holder_state", "parse_holder"]

_FORM = re.compile(r"^orchestrator-(?P<pid>\d{1,10})@(?P<host>[^\s@]+)$")
# A process that started this long after the claim cannot have made it (clock granularity:
# the boot time is in whole seconds, process start times in clock ticks).
_TOLERANCE_S = 2.0


def _host() -> str:
    return socket.gethostname() or "localhost"


def holder_name(pid: int | None = None, host: str | None = None) -> str:
    """The owner this process records on the tasks it claims."""
    return f"orchestrator-{os.getpid() if pid is None else pid}@{host or _host()}"


def parse_holder(owner: str | None) -> tuple[int, str] | None:
    """``(pid, host)`` of an orchestrator holder, or ``None`` for any other owner."""
    match = _FORM.match(owner or "")
    if match is None:
        return None
    return int(match.group("pid")), match.group("host")


def _started_at(pid: int) -> datetime | None:
    """When a process started (Linux ``/proc``), or ``None`` where that cannot be known."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        with open("/proc/stat", encoding="ascii") as handle:
            boot = next(int(line.split()[1]) for line in handle if line.startswith("btime "))
        ticks = os.sysconf("SC_CLK_TCK")
        return datetime.fromtimestamp(boot + int(fields[19]) / ticks, tz=timezone.utc)
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def _state(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def holder_state(owner: str | None, claimed_at: datetime | None) -> str:
    """``"alive"``, ``"dead"`` or ``"unknown"`` (another host, another form of owner).

    Args:
        owner: the task's owner.
        claimed_at: when the task was claimed (its ``started_at``), to detect a reused pid.

    """
    parsed = parse_holder(owner)
    if parsed is None or parsed[1] != _host():
        return "unknown"
    pid = parsed[0]
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return "dead"
    except PermissionError:
        pass  # exists, owned by someone else: look closer below
    except OSError:
        return "unknown"
    if _state(pid) in ("Z", "X"):
        return "dead"
    started = _started_at(pid)
    if (
        started is not None
        and claimed_at is not None
        and (started - claimed_at).total_seconds() > _TOLERANCE_S
    ):
        return "dead"  # the pid was reused by a process born after the claim
    return "alive"
