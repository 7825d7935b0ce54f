"""Every command of ``statuskit``, in one table: name, module, help, and what it needs.

Building the argument parser of a command costs time, and importing its module more, so the
table names each command's module as a string: only the invoked command's module is imported,
and only its parser gets its arguments. A command module defines, for a command ``mark-started``,
``args_mark_started(parser)`` (optional) and ``run_mark_started(ctx, args)``.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["COMMANDS", "Command", "by_name"]


class Command(NamedTuple):
    """One command of the table."""

    name: str
    """What the user types."""
    module: str
    """Where its ``args_*``/``run_*`` functions are."""
    help: str
    """One line for ``statuskit --help`` and the command's own help."""
    mutating: bool = False
    """It can write: it accepts ``--dry-run``."""
    plan: bool = True
    """It works on a plan's status: the plan/store options apply to it."""

    @property
    def function_suffix(self) -> str:
        """``mark-started`` → ``mark_started``."""
        return self.name.replace("-", "_")


_T = "statuskit.cli.tasks"
_Q = "statuskit.cli.query"
_P = "statuskit.cli.plans"
_F = "statuskit.cli.findings"
_R = "statuskit.cli.runs"

#: Every command, in the order of ``statuskit --help``.
COMMANDS: tuple[Command, ...] = (
    Command("init", _P, "create the status from the plan", mutating=True),
    Command("status", _Q, "the summary, the current phase, what is in progress and failed"),
    Command("mark-started", _T, "mark a task in progress", mutating=True),
    Command("mark-complete", _T, "mark a task completed", mutating=True),
    Command("mark-failed", _T, "mark a task failed", mutating=True),
    Command("mark-skipped", _T, "mark a task skipped", mutating=True),
    Command("reset", _T, "put a task back to pending", mutating=True),
    Command("write-findings", _F, "store a task's findings", mutating=True),
    Command("read-findings", _F, "print a task's findings"),
    Command("start-run", _R, "open a run", mutating=True),
    Command("complete-run", _R, "close a run", mutating=True),
    Command("next", _Q, "the tasks to do next, and why others wait"),
    Command("claim", _T, "atomically lease up to N ready tasks, each with a token", mutating=True),
    Command("heartbeat", _T, "extend the lease of a claimed task", mutating=True),
    Command("progress", _Q, "progress as JSON, or a text bar with --text"),
    Command("validate", _P, "check the status; --repair fixes what is safe", mutating=True),
    Command(
        "sync-check",
        _P,
        "compare the plan with the status; --apply brings the status up to date",
        mutating=True,
    ),
    Command("retryable", _Q, "failed tasks that may be retried"),
    Command("detect-stuck", _Q, "tasks in progress for too long", mutating=True),
    Command("log", "statuskit.cli.journal", "the journal: who changed what, when"),
    Command("mcp", "statuskit.cli.mcp", "serve the plan's operations to MCP clients (stdio)"),
    Command("plans", "statuskit.cli.stores", "the plans a store holds, with their progress"),
    Command(
        "migrate",
        "statuskit.cli.stores",
        "copy the plan's status and findings to another store",
        mutating=True,
    ),
    Command("stream", "statuskit.cli.stream", "print the events of an agent's output", plan=False),
    Command("run", "statuskit.cli.orchestrate", "drive an agent through the plan", mutating=True),
    Command(
        "demo",
        "statuskit.cli.orchestrate",
        "the orchestrator on a sample plan with a simulated agent",
        plan=False,
    ),
)

_BY_NAME = {command.name: command for command in COMMANDS}


def by_name(name: str) -> Command | None:
    """The command called ``name``, if there is one."""
    return _BY_NAME.get(name)
