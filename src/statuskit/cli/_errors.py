"""Errors as the command reports them: one table from error class to code, exit and hint.

Every failure leaves as ``{"ok": false, "error": {code, message, hint, details}}`` with the
exit code of its kind. Only statuskit's own errors, the operating system's refusals and a
few named outside errors are translated; anything else is ``internal`` — a bug in statuskit,
never blamed on the user.

A hint that names a command names it runnable as printed: with the plan and store options
the failed call was given (:class:`Hints`), so that copying it acts on the same status.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence
from typing import Any

from statuskit import errors

__all__ = ["EXIT_CODES", "CliError", "Hints", "error_document", "translate"]

#: Exit code for each error code (``error.code`` in the JSON).
EXIT_CODES: dict[str, int] = {
    "internal": 1,
    "usage": 2,
    "not_found": 3,
    "invalid_transition": 4,
    "lock_busy": 5,
    "plan_error": 6,
    "corrupt": 7,
    "schema_too_new": 8,
    "exists": 9,
    "check_failed": 10,
    "io_error": 11,
    "blocked": 12,
    "out_of_iterations": 13,
    "agent_missing": 14,
    "stale_claim": 15,
    "plan_mismatch": 16,
    "unavailable": 17,
    "interrupted": 130,
}


class CliError(Exception):
    """An error reported as JSON with an exit code."""

    def __init__(self, code: str, message: str, hint: str = "", **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint
        self.details = details

    @property
    def exit_code(self) -> int:
        """The process exit code of this error's kind."""
        return EXIT_CODES[self.code]


class Hints:
    """How hints name commands: ``statuskit`` and the options of the call that failed.

    Args:
        prefix: ``statuskit`` and the plan and store options as the call was given them.
        plan_known: the call's plan file is known (from an option, ``$STATUSKIT_PLAN`` or the
            pointer file), so a command that needs it finds it as printed.

    """

    def __init__(self, prefix: Sequence[str] = ("statuskit",), *, plan_known: bool = True):
        self.prefix = tuple(prefix)
        self.plan_known = plan_known

    def command(self, *words: str, needs_plan: bool = False) -> str:
        """The command line, quoted for a shell and in backticks.

        ``needs_plan``: the command reads the plan file; when this call did not know it, a
        ``--plan PLAN.md`` placeholder says what is missing.
        """
        plan = ["--plan", "PLAN.md"] if needs_plan and not self.plan_known else []
        return "`" + shlex.join([*self.prefix, *plan, *words]) + "`"


def _not_found_task(exc: errors.TaskNotFound, hints: Hints) -> CliError:
    hint = (
        "did you mean " + ", ".join(exc.suggestions) + "?"
        if exc.suggestions
        else f"run {hints.command('status', '--tasks')} to list the tasks"
    )
    return CliError("not_found", str(exc), hint, task=exc.task_id)


def _transition(exc: errors.InvalidTransition, hints: Hints) -> CliError:
    return CliError(
        "invalid_transition",
        str(exc),
        exc.hint or "see the transition table in docs/concepts.md",
        task=exc.task_id,
        fromState=exc.from_state,
        toState=exc.to_state,
    )


def _lock(exc: errors.LockTimeout, hints: Hints) -> CliError:
    if exc.holder_pid:
        hint = (
            f"process {exc.holder_pid} holds the lock; retry, raise --lock-timeout, or check "
            "that process"
        )
    else:
        hint = (
            "the holder is unknown (a program that locks without saying who it is, e.g. "
            "flock(1)); retry, or raise --lock-timeout"
        )
    return CliError("lock_busy", str(exc), hint, holder=exc.holder)


def _corrupt(exc: errors.CorruptStatus, hints: Hints) -> CliError:
    hint = (
        f"run {hints.command('validate', '--repair')} to restore the newest valid backup"
        if exc.backups
        else "no backup exists: "
        + hints.command("validate", "--repair", "--rebuild", needs_plan=True)
        + " rebuilds from the plan (every task pending)"
    )
    return CliError(
        "corrupt",
        str(exc),
        hint,
        path=exc.path,
        backups=list(exc.backups),
        problems=[{"path": where, "message": why} for where, why in exc.problems],
    )


def _stale(exc: errors.StaleClaim, hints: Hints) -> CliError:
    if exc.token is None:
        hint = (
            "the task is claimed: pass the claim's token (--token T, as `claim` printed it), "
            "or --force to override (recorded in the journal)"
        )
    else:
        hint = (
            "this token is not the task's current claim (it was taken over, or released): "
            "stop working on the task, or pass --force to override (recorded in the journal)"
        )
    return CliError(
        "stale_claim",
        str(exc),
        hint,
        task=exc.task_id,
        token=exc.token,
        holder=exc.holder,
        leaseExpiresAt=exc.lease_expires_at,
    )


def _os_error(exc: OSError, hints: Hints) -> CliError:
    where = f": {exc.filename}" if exc.filename else ""
    return CliError("io_error", f"{exc.strerror or exc}{where}", "check the path and permissions")


def _status_missing(exc: errors.StatusMissing, hints: Hints) -> CliError:
    if exc.backups:
        return CliError(
            "not_found",
            str(exc),
            f"{hints.command('validate', '--repair')} restores the newest valid backup",
            path=exc.path,
            backups=list(exc.backups),
        )
    return CliError(
        "not_found",
        f"no status at {exc.path}",
        f"create it from the plan with {hints.command('init', needs_plan=True)}",
        path=exc.path,
        backups=[],
    )


def _status_exists(exc: errors.StatusExists, hints: Hints) -> CliError:
    if exc.backups:
        hint = (
            f"{hints.command('validate', '--repair')} restores the newest valid backup; "
            f"{hints.command('init', '--force', needs_plan=True)} starts over (the backups "
            "are set aside, not deleted)"
        )
    else:
        hint = (
            f"{hints.command('sync-check', needs_plan=True)} compares it with the plan, "
            f"{hints.command('sync-check', '--apply', needs_plan=True)} brings it up to date"
        )
    return CliError("exists", str(exc), hint, backups=list(exc.backups))


def _findings_missing(exc: errors.FindingsNotFound, hints: Hints) -> CliError:
    return CliError(
        "not_found",
        str(exc),
        f"findings were never written for task {exc.task_id}; "
        f"{hints.command('write-findings', exc.task_id, '--stdin')} stores the text it reads "
        "on stdin (or --file PATH)",
        task=exc.task_id,
    )


def _fixed(code: str, hint: str) -> Callable[[Any, Hints], CliError]:
    """A builder for an error whose hint names no command."""
    return lambda exc, hints: CliError(code, str(exc), hint)


# Most specific first: the first class the error is an instance of decides.
_TABLE: tuple[tuple[type[BaseException], Callable[[Any, Hints], CliError]], ...] = (
    (CliError, lambda exc, hints: exc),
    (errors.TaskNotFound, _not_found_task),
    (
        errors.RunNotFound,
        lambda exc, hints: CliError(
            "not_found",
            str(exc),
            f"{hints.command('status', '--tasks')} lists the runs; "
            f"{hints.command('start-run')} opens one",
        ),
    ),
    (errors.RunExists, _fixed("exists", "choose another --run-id, or leave it out")),
    (errors.FindingsNotFound, _findings_missing),
    (errors.StatusMissing, _status_missing),
    (errors.InvalidTaskId, _fixed("usage", "task ids look like 1.2 or 3.4.1")),
    (errors.InvalidTransition, _transition),
    (errors.LockTimeout, _lock),
    (errors.RepairRefused, _fixed("corrupt", "restore a copy by hand, or use --rebuild")),
    (
        errors.DuplicateTaskIds,
        lambda exc, hints: CliError(
            "corrupt",
            str(exc),
            f"edit the status so that each id names one task ({hints.command('validate')} "
            "lists them); no write is accepted before",
            ids=list(exc.ids),
        ),
    ),
    (errors.CorruptStatus, _corrupt),
    (errors.SchemaTooNew, _fixed("schema_too_new", "upgrade statuskit to change this status")),
    (errors.StatusExists, _status_exists),
    (errors.PlanError, _fixed("plan_error", "a plan has '## Phase N: ...' and '- [ ] N.N' tasks")),
    (
        errors.PlanMismatch,
        lambda exc, hints: CliError(
            "plan_mismatch",
            str(exc),
            "give this plan its own status: --plan-key KEY, or another --output-dir / --status",
            given=exc.given,
            recorded=exc.recorded,
        ),
    ),
    (errors.StaleClaim, _stale),
    (errors.StoreNotSupported, _fixed("usage", "see docs/cli.md, 'Choosing the store'")),
    (
        errors.StoreUnavailable,
        _fixed("unavailable", "nothing was written; retry when the store is back"),
    ),
    (
        errors.UnsafePath,
        lambda exc, hints: CliError(
            "io_error",
            str(exc),
            "statuskit writes only regular files and folders of its own next to the status: "
            "remove the link or the odd file (a status link: use its target's path)",
            path=exc.path,
        ),
    ),
    (KeyboardInterrupt, lambda exc, hints: CliError("interrupted", "interrupted", "")),
    (OSError, _os_error),
)


def translate(exc: BaseException, hints: Hints | None = None) -> CliError:
    """A statuskit (or OS) error as the CLI reports it; anything else is ``internal``.

    ``hints``: how the call was made, for hints that name a command (default: plain
    ``statuskit``).
    """
    for kind, build in _TABLE:
        if isinstance(exc, kind):
            return build(exc, hints or Hints())
    return CliError(
        "internal",
        f"{type(exc).__name__}: {exc}",
        "this is a bug in statuskit; please report it with the command you ran "
        "(STATUSKIT_DEBUG=1 prints the traceback)",
    )


def error_document(error: CliError) -> dict[str, Any]:
    """The JSON document of an error."""
    body: dict[str, Any] = {"code": error.code, "message": error.message, "hint": error.hint}
    if error.details:
        body["details"] = error.details
    return {"ok": False, "error": body}
