"""Progress, completion and per-phase counts, always recomputed from the tasks.

:func:`summarize` lives with the model (a :class:`~statuskit.PlanStatus` computes its own
summary); this module answers the questions asked of a summary.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from statuskit.model import Summary, Task, TaskState, summarize

__all__ = [
    "PhaseProgress",
    "is_blocked",
    "is_complete",
    "phase_progress",
    "progress_percent",
    "summarize",
]


def progress_percent(summary: Summary) -> float:
    """The share of tasks that are done (completed or skipped), in percent, from 0 to 100.

    A plan with no tasks has nothing left to do and reports 100.0 — but it is *not* reported
    complete by :func:`is_complete` semantics alone: callers that care should check
    ``summary.total`` too. The value is rounded to one decimal so that ``99.95`` never shows
    as ``100.0`` while a task is left: it is capped at 99.9 until every task is done.
    """
    return summary.percent


def is_complete(summary: Summary) -> bool:
    """Every task is done (completed or skipped). A plan with a failed task is never complete."""
    return summary.complete


def is_blocked(summary: Summary) -> bool:
    """Some task failed, so the plan cannot be complete until it is retried, skipped or reset."""
    return summary.blocked


@attrs.frozen
class PhaseProgress:
    """How far one phase is."""

    phase: str
    """The phase as the status names it (``""`` for tasks without a phase)."""
    total: int
    """Tasks in the phase."""
    done: int
    """Completed or skipped."""
    failed: int
    """Failed."""

    def to_json(self) -> dict[str, object]:
        """The CLI's form: ``{"phase", "total", "done", "failed"}``."""
        return {"phase": self.phase, "total": self.total, "done": self.done, "failed": self.failed}


def phase_progress(tasks: Iterable[Task]) -> tuple[PhaseProgress, ...]:
    """Counts per phase, phases in the order their first task appears."""
    counts: dict[str, list[int]] = {}
    for task in tasks:
        entry = counts.setdefault(task.phase, [0, 0, 0])
        entry[0] += 1
        entry[1] += task.status.is_done
        entry[2] += task.status is TaskState.FAILED
    return tuple(
        PhaseProgress(phase, total, done, failed) for phase, (total, done, failed) in counts.items()
    )
