"""The prompt given to the agent for one session: short, exact, and free of inline code."""

from __future__ import annotations

from collections.abc import Sequence

from statuskit import Task

__all__ = ["build_prompt"]


def build_prompt(tasks: Sequence[Task], *, cli: str, plan_path: str | None) -> str:
    """The session prompt for ``tasks``.

    Args:
        tasks: the claimed tasks (already marked in progress).
        cli: the exact command prefix the agent must use, e.g. ``statuskit --plan p.md``.
        plan_path: the plan file, for context.

    The prompt lists only the claimed tasks (never the whole plan), so its size does not grow
    with the plan: a 200-task plan costs the same as a 5-task one.

    """
    lines = []
    if plan_path:
        lines.append(f"You are carrying out tasks of the plan in {plan_path}.")
    else:
        lines.append("You are carrying out tasks of a plan.")
    lines.append("Implement each task below directly in this repository. Do not ask questions.")
    lines.append("")
    lines.append("Tasks:")
    for task in tasks:
        retry = (
            f" (retry {task.retry_count}; last error: {task.last_error})"
            if task.retry_count
            else ""
        )
        claim = f" [token {task.token}]" if task.token is not None else ""
        lines.append(f"- {task.id}{claim}: {task.description}{retry}")
    lines.append("")
    lines.append("Record progress with these shell commands, exactly as written:")
    # A claimed task is leased: every write must carry its token, or it is refused.
    token = " --token TOKEN" if any(task.token is not None for task in tasks) else ""
    lines.append(f"- before starting a task: {cli} mark-started TASK_ID{token}")
    lines.append(f'- when it is done: {cli} mark-complete TASK_ID{token} --notes "what you did"')
    lines.append(f'- if you cannot finish it: {cli} mark-failed TASK_ID{token} --error "why"')
    lines.append(f"- to save longer findings: {cli} write-findings TASK_ID{token} --stdin")
    lines.append("Each command prints JSON; ok=true means it was recorded.")
    lines.append("Report every task as complete or failed before you stop. Never edit status.json.")
    return "\n".join(lines) + "\n"
