"""The owner name the orchestrator records on the tasks it claims.

A claim also names this process as the holder (``pid`` on this host), so a run killed with
SIGKILL does not block the next one: its tasks are taken back by the next claim as soon as
the holder is known dead, or when the lease runs out (see :mod:`statuskit.leases`). The name
says the same to people: ``orchestrator-<pid>@<host>``.
"""

from __future__ import annotations

import os
import socket

__all__ = ["holder_name"]


def holder_name(pid: int | None = None, host: str | None = None) -> str:
    """The owner this process records on the tasks it claims."""
    host = host or socket.gethostname() or "localhost"
    return f"orchestrator-{os.getpid() if pid is None else pid}@{host}"
