"""Summaries and progress, always recomputed from the tasks.

The replaced tool kept its summary up to date incrementally and it drifted; here the summary is
a pure function of the task list, so it cannot disagree with it.
"""

from __future__ import annotations

from collections.abc import Iterable

from statuskit.model import Summary, Task, TaskState

__all__ = ["is_blocked", "is_complete", "progress_percent", "summarize"]


def summarize(tasks: Iterable[Task]) -> Summary:
    """Count the tasks in each state."""
    counts = dict.fromkeys(TaskState, 0)
    total = 0
    for task in tasks:
        counts[task.status] += 1
        total += 1
    return Summary(
        total=total,
        pending=counts[TaskState.PENDING],
        in_progress=counts[TaskState.IN_PROGRESS],
        completed=counts[TaskState.COMPLETED],
        failed=counts[TaskState.FAILED],
        skipped=counts[TaskState.SKIPPED],
    )


def progress_percent(summary: Summary) -> float:
    """The share of tasks that are done (completed or skipped), in percent, from 0 to 100.

    A plan with no tasks has nothing left to do and reports 100.0 — but it is *not* reported
    complete by :func:`is_complete` semantics alone: callers that care should check
    ``summary.total`` too. The value is rounded to one decimal so that ``99.95`` never shows
    as ``100.0`` while a task is left: it is capped at 99.9 until every task is done.
    """
    if summary.total == 0:
        return 100.0
    done = summary.completed + summary.skipped
    if done >= summary.total:
        return 100.0
    return min(round(100.0 * done / summary.total, 1), 99.9)


def is_complete(summary: Summary) -> bool:
    """Every task is done (completed or skipped). A plan with a failed task is never complete."""
    return summary.completed + summary.skipped == summary.total


def is_blocked(summary: Summary) -> bool:
    """Some task failed, so the plan cannot be complete until it is retried, skipped or reset."""
    return summary.failed > 0
