"""Pure changes to a status's run history: open a run, close it, find it.

A run is one orchestrator or agent session over the plan (``runs`` in the file). These are
changes like the task transitions (:mod:`statuskit.transitions`, which re-exports them): they
return a new snapshot, or the same object when nothing changes, and never read the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import attrs

from statuskit.errors import RunExists, RunNotFound
from statuskit.model import PlanStatus, Run

__all__ = ["complete_run", "find_run", "start_run"]


def _run_id(now: datetime, taken: Sequence[Run]) -> str:
    base = f"run-{round(now.timestamp() * 1000)}"
    ids = {run.run_id for run in taken}
    candidate, suffix = base, 1
    while candidate in ids:
        suffix += 1
        candidate = f"{base}-{suffix}"
    return candidate


def _run_index(status: PlanStatus, run_id: str | None) -> int:
    for position in range(len(status.runs) - 1, -1, -1):
        run = status.runs[position]
        if (run_id is None and run.completed_at is None) or run.run_id == run_id:
            return position
    raise RunNotFound(run_id)


def find_run(status: PlanStatus, run_id: str | None = None) -> Run:
    """The run with this id, or the latest open run when ``run_id`` is ``None``.

    Raises:
        RunNotFound: no such run, or no open run.

    """
    return status.runs[_run_index(status, run_id)]


def start_run(status: PlanStatus, *, now: datetime, run_id: str | None = None) -> PlanStatus:
    """Append a new open run (id ``run-<epoch ms>`` unless given).

    Raises:
        RunExists: ``run_id`` is already used.

    """
    if run_id is not None and any(run.run_id == run_id for run in status.runs):
        raise RunExists(run_id)
    new = Run(run_id=run_id or _run_id(now, status.runs), started_at=now)
    return attrs.evolve(status, runs=(*status.runs, new), last_updated_at=now)


def complete_run(
    status: PlanStatus,
    *,
    now: datetime,
    run_id: str | None = None,
    completed: int | None = None,
    failed: int | None = None,
) -> PlanStatus:
    """Close a run (the latest open one unless ``run_id`` is given) with its counts.

    Returns ``status`` itself when the run is already closed with the same counts.

    Raises:
        RunNotFound: no such run, or no open run.

    """
    index = _run_index(status, run_id)
    run = status.runs[index]
    new = attrs.evolve(
        run,
        completed_at=run.completed_at or now,
        tasks_completed=run.tasks_completed if completed is None else completed,
        tasks_failed=run.tasks_failed if failed is None else failed,
    )
    if new == run:
        return status
    runs = (*status.runs[:index], new, *status.runs[index + 1 :])
    return attrs.evolve(status, runs=runs, last_updated_at=now)
