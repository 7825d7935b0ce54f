"""Errors as the command reports them: one table from error class to code, exit and hint.

Every failure leaves as ``{"ok": false, "error": {code, message, hint, details}}`` with the
exit code of its kind. Only statuskit's own errors, the operating system's refusals and a
few named outside errors are translated; anything else is ``internal`` — a bug in statuskit,
never blamed on the user.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from statuskit import errors

__all__ = ["EXIT_CODES", "CliError", "error_document", "translate"]

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


def _not_found_task(exc: errors.TaskNotFound) -> CliError:
    hint = (
        "did you mean " + ", ".join(exc.suggestions) + "?"
        if exc.suggestions
        else "run `statuskit status --tasks` to list the tasks"
    )
    return CliError("not_found", str(exc), hint, task=exc.task_id)


def _transition(exc: errors.InvalidTransition) -> CliError:
    return CliError(
        "invalid_transition",
        str(exc),
        exc.hint or "see the transition table in docs/concepts.md",
        task=exc.task_id,
        fromState=exc.from_state,
        toState=exc.to_state,
    )


def _lock(exc: errors.LockTimeout) -> CliError:
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


def _corrupt(exc: errors.CorruptStatus) -> CliError:
    hint = (
        "run `statuskit validate --repair` to restore the newest valid backup"
        if exc.backups
        else "no backup exists: `statuskit validate --repair --rebuild` rebuilds from the plan"
    )
    return CliError(
        "corrupt",
        str(exc),
        hint,
        path=exc.path,
        backups=list(exc.backups),
        problems=[{"path": where, "message": why} for where, why in exc.problems],
    )


def _stale(exc: errors.StaleClaim) -> CliError:
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


def _os_error(exc: OSError) -> CliError:
    where = f": {exc.filename}" if exc.filename else ""
    return CliError("io_error", f"{exc.strerror or exc}{where}", "check the path and permissions")


# Most specific first: the first class the error is an instance of decides.
_TABLE: tuple[tuple[type[BaseException], Callable[[Any], CliError]], ...] = (
    (CliError, lambda exc: exc),
    (errors.TaskNotFound, _not_found_task),
    (
        errors.RunNotFound,
        lambda exc: CliError("not_found", str(exc), "list the runs with `statuskit status`"),
    ),
    (
        errors.RunExists,
        lambda exc: CliError("exists", str(exc), "choose another --run-id, or leave it out"),
    ),
    (
        errors.FindingsNotFound,
        lambda exc: CliError(
            "not_found", str(exc), "write them first with `statuskit write-findings`"
        ),
    ),
    (
        errors.StatusMissing,
        lambda exc: CliError(
            "not_found",
            str(exc),
            "`statuskit validate --repair` restores the newest valid backup"
            if exc.backups
            else "create it with `statuskit --plan PLAN.md init`",
            path=exc.path,
            backups=list(exc.backups),
        ),
    ),
    (
        errors.InvalidTaskId,
        lambda exc: CliError("usage", str(exc), "task ids look like 1.2 or 3.4.1"),
    ),
    (errors.InvalidTransition, _transition),
    (errors.LockTimeout, _lock),
    (
        errors.RepairRefused,
        lambda exc: CliError("corrupt", str(exc), "restore a copy by hand, or use --rebuild"),
    ),
    (
        errors.DuplicateTaskIds,
        lambda exc: CliError(
            "corrupt",
            str(exc),
            "edit the status so that each id names one task (`statuskit validate` lists "
            "them); no write is accepted before",
            ids=list(exc.ids),
        ),
    ),
    (errors.CorruptStatus, _corrupt),
    (
        errors.SchemaTooNew,
        lambda exc: CliError("schema_too_new", str(exc), "upgrade statuskit to change this status"),
    ),
    (
        errors.StatusExists,
        lambda exc: CliError(
            "exists",
            str(exc),
            "`statuskit validate --repair` restores the newest valid backup; `statuskit "
            "init --force` starts over (the backups are set aside, not deleted)"
            if exc.backups
            else "use `statuskit sync-check` to compare it with the plan",
            backups=list(exc.backups),
        ),
    ),
    (
        errors.PlanError,
        lambda exc: CliError(
            "plan_error", str(exc), "a plan has '## Phase N: ...' and '- [ ] N.N' tasks"
        ),
    ),
    (
        errors.PlanMismatch,
        lambda exc: CliError(
            "plan_mismatch",
            str(exc),
            "give this plan its own status: --plan-key KEY, or another --output-dir / --status",
            given=exc.given,
            recorded=exc.recorded,
        ),
    ),
    (errors.StaleClaim, _stale),
    (
        errors.StoreNotSupported,
        lambda exc: CliError("usage", str(exc), "see docs/cli.md, 'Choosing the store'"),
    ),
    (
        errors.StoreUnavailable,
        lambda exc: CliError(
            "unavailable", str(exc), "nothing was written; retry when the store is back"
        ),
    ),
    (
        errors.UnsafePath,
        lambda exc: CliError(
            "io_error",
            str(exc),
            "statuskit writes only regular files and folders of its own next to the status: "
            "remove the link or the odd file (a status link: use its target's path)",
            path=exc.path,
        ),
    ),
    (KeyboardInterrupt, lambda exc: CliError("interrupted", "interrupted", "")),
    (OSError, _os_error),
)


def translate(exc: BaseException) -> CliError:
    """A statuskit (or OS) error as the CLI reports it; anything else is ``internal``."""
    for kind, build in _TABLE:
        if isinstance(exc, kind):
            return build(exc)
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
