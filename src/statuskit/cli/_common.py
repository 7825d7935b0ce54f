"""JSON pieces several commands print: a task, a run, a summary, an outcome."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from statuskit.model import Summary

if TYPE_CHECKING:
    from statuskit import Outcome, PlanStatus, Run, Task

__all__ = ["dry", "outcome_json", "run_json", "summary_json", "task_json"]


def task_json(task: Task) -> dict[str, Any]:
    """A task in the file's form."""
    from statuskit.codec import encode_task

    return encode_task(task)


def run_json(run: Run) -> dict[str, Any]:
    """A run in the file's form."""
    from statuskit.codec import encode_run

    return encode_run(run)


def summary_json(status: PlanStatus | Summary) -> dict[str, Any]:
    """Counts per state, percent, and whether the plan is complete or blocked."""
    from statuskit.codec import encode_summary

    summary = status if isinstance(status, Summary) else status.summary
    return {
        **encode_summary(summary),
        "percent": summary.percent,
        "complete": summary.complete,
        "blocked": summary.blocked,
    }


def dry(args: argparse.Namespace) -> dict[str, Any]:
    """``{"dryRun": true}`` for a dry run, else nothing."""
    return {"dryRun": True} if getattr(args, "dry_run", False) else {}


def outcome_json(
    outcome: Outcome, args: argparse.Namespace, store: str, *, message: str | None = None
) -> dict[str, Any]:
    """The document of a task operation: the task after it, and the summary.

    ``message`` says what the operation did that the task alone does not show; an
    idempotent repeat says "unchanged" before it.
    """
    task = outcome.task
    result: dict[str, Any] = {"ok": True, "changed": outcome.changed, "task": task_json(task)}
    if not outcome.changed:
        unchanged = f"unchanged: task {task.id} is already {task.status.value}"
        result["message"] = f"{unchanged}; {message}" if message else unchanged
    elif message:
        result["message"] = message
    result.update(dry(args))
    result["summary"] = summary_json(outcome.summary)
    result["store"] = store
    return result
