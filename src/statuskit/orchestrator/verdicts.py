"""How runs and sessions ended, in words: a failed task's error, and a run's verdict.

Kept apart from the loop so that the wording people and tests rely on lives in one place.
"""

from __future__ import annotations

import signal
from collections.abc import Sequence

from statuskit import PlanStatus, TaskState
from statuskit.orchestrator.agent import SessionEnd

__all__ = ["NO_REPORT", "session_reason", "verdict"]

#: The start of the error of a task the agent did not report.
NO_REPORT = "agent ended without reporting the task"


def session_reason(end: SessionEnd, timeout: float) -> str:
    """Why a session's unreported tasks failed: the session's end, in a few words."""
    if end.timed_out:
        detail = f"ended at the {timeout:g}s timeout"
    elif end.result is not None and end.result.is_error:
        detail = f"result {end.result.subtype}"
    elif end.result is None and (end.exit_code or 0) >= 0 and end.exit_code is not None:
        detail = "no result line" + (f", exit code {end.exit_code}" if end.exit_code else "")
    elif end.exit_code is not None and end.exit_code < 0:
        try:
            name = signal.Signals(-end.exit_code).name
        except ValueError:
            name = f"signal {-end.exit_code}"
        detail = f"killed by {name}"
    elif end.exit_code:
        detail = f"exit code {end.exit_code}"
    elif end.exit_code is None:
        detail = "its exit is unknown"
    else:
        detail = "it exited normally"
    if end.ended_by and not end.timed_out:
        detail += f"; {end.ended_by}"
    return f"{NO_REPORT} ({detail})"


def verdict(
    outcome: str,
    why: str,
    status: PlanStatus | None,
    sessions: int,
    released: Sequence[str],
    retries: int,
) -> str:
    """The one line that says how the run ended."""
    if status is None:
        return why or outcome
    summary = status.summary
    counts = f"{summary.done}/{summary.total} done in {sessions} session{'s' * (sessions != 1)}"
    if outcome == "complete":
        return counts
    if outcome == "blocked":
        failed = [t for t in status.tasks if t.status is TaskState.FAILED]
        if failed:
            first = failed[0]
            more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
            tries = f"retried {first.retry_count} of {retries} times"
            return f"{first.id} failed, {tries}{more}: {first.error or '?'}; {counts}"
        return f"no task can start; {counts}"
    if outcome == "out_of_iterations":
        return f"stopped after {sessions} sessions with work left; {counts}"
    back = f"; {', '.join(released)} pending again" if released else ""
    return f"{why}{back}; {counts}"
