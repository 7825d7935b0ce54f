"""Task commands: mark-* and reset, and the lease commands claim and heartbeat.

Every write to a task takes ``--token T``: once a task is claimed, its writes must carry the
token the claim gave (exit 15 ``stale_claim`` otherwise); ``--force`` overrides, recorded.

What a first hour trips over is said, not silently done: ``mark-started`` of a task whose
dependencies are not done warns on stderr and lists them (``--strict`` refuses); a repeated
``mark-complete`` with other notes replaces the notes and says so; ``reset`` says whether it
kept the retry count (``--retries`` clears it).
"""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from statuskit.cli._args import count, duration, task_id, token
from statuskit.cli._common import dry, outcome_json, task_json
from statuskit.cli._context import Context
from statuskit.cli._errors import CliError
from statuskit.cli._output import warn


def add_token(parser: argparse.ArgumentParser) -> None:
    """``--token T``: the claim token a write to a leased task must carry."""
    parser.add_argument(
        "--token",
        type=token,
        metavar="T",
        help="the claim token `claim` gave for this task (required once it is claimed)",
    )


def _task_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "task_id", type=task_id, metavar="TASK_ID", help="the task, as the plan numbers it (1.2)"
    )
    add_token(parser)
    parser.add_argument(
        "--force",
        action="store_true",
        help="override a claim's token or a completed task (recorded in the journal)",
    )


def args_mark_started(parser: argparse.ArgumentParser) -> None:
    _task_args(parser)
    parser.add_argument("--owner", help="who works on it")
    parser.add_argument(
        "--strict",
        action="store_true",
        help="refuse to start while a dependency is not done (exit 4); without it, a warning",
    )


def run_mark_started(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    tracker = ctx.tracker()
    outcome = tracker.start(
        args.task_id,
        force=args.force,
        owner=args.owner,
        token=args.token,
        strict=args.strict,
        dry_run=args.dry_run,
    )
    document = outcome_json(outcome, args, tracker.store.location)
    if outcome.waiting_for:
        listed = ", ".join(f"{dep} ({state})" for dep, state in outcome.waiting_for)
        verb = "would start" if args.dry_run else "started"
        warn(
            f"task {args.task_id} {verb} before its dependencies are done: {listed} "
            "(--strict refuses such a start)"
        )
        document["waitingFor"] = [
            {"id": dep, "status": state} for dep, state in outcome.waiting_for
        ]
    return document


def args_mark_complete(parser: argparse.ArgumentParser) -> None:
    _task_args(parser)
    parser.add_argument(
        "--notes",
        help="what was done; on a task already completed, other notes replace the recorded "
        "ones (the journal keeps the earlier notes)",
    )


def run_mark_complete(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    tracker = ctx.tracker()
    outcome = tracker.complete(
        args.task_id, notes=args.notes, force=args.force, token=args.token, dry_run=args.dry_run
    )
    message = None
    before = outcome.before
    if outcome.changed and before is not None and before.status is outcome.task.status:
        message = (
            f"task {args.task_id} was already completed: its notes were replaced (the "
            f"journal keeps the earlier ones: {ctx.command('log', args.task_id)})"
        )
    return outcome_json(outcome, args, tracker.store.location, message=message)


def args_mark_failed(parser: argparse.ArgumentParser) -> None:
    _task_args(parser)
    parser.add_argument("--error", required=True, help="what went wrong")


def run_mark_failed(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    if not args.error.strip():
        raise CliError("usage", "--error must not be empty", "say what went wrong")
    tracker = ctx.tracker()
    outcome = tracker.fail(
        args.task_id, error=args.error, force=args.force, token=args.token, dry_run=args.dry_run
    )
    return outcome_json(outcome, args, tracker.store.location)


def args_mark_skipped(parser: argparse.ArgumentParser) -> None:
    _task_args(parser)
    parser.add_argument("--reason", required=True, help="why it is skipped")


def run_mark_skipped(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    tracker = ctx.tracker()
    outcome = tracker.skip(
        args.task_id, reason=args.reason, force=args.force, token=args.token, dry_run=args.dry_run
    )
    return outcome_json(outcome, args, tracker.store.location)


def args_reset(parser: argparse.ArgumentParser) -> None:
    _task_args(parser)
    parser.add_argument(
        "--retries",
        action="store_true",
        help="also clear the retry count, giving the task all its retries again (by default "
        "it is kept, with the last error, and counts against --max-retries / run --retries)",
    )


def run_reset(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    tracker = ctx.tracker()
    outcome = tracker.reset(
        args.task_id,
        force=args.force,
        token=args.token,
        clear_retries=args.retries,
        dry_run=args.dry_run,
    )
    before = outcome.before
    kept = outcome.task.retry_count
    message = None
    if args.retries:
        was = before.retry_count if before is not None else 0
        message = f"retry count cleared (was {was})" if was else "retry count was already 0"
    elif kept:
        message = (
            f"retry count kept: {kept} (it counts against the retry limit; "
            f"{ctx.command('reset', args.task_id, '--retries')} clears it)"
        )
    return outcome_json(outcome, args, tracker.store.location, message=message)


def lease(text: str) -> timedelta:
    """Argparse type: a lease length, longer than zero."""
    value = duration(text)
    if value <= timedelta(0):
        raise argparse.ArgumentTypeError(f"a lease must be longer than zero: {text!r}")
    return value


def args_claim(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "count", nargs="?", type=count, default=1, metavar="N", help="how many tasks at most (1)"
    )
    parser.add_argument("--owner", required=True, help="who takes them")
    parser.add_argument(
        "--lease",
        type=lease,
        default=timedelta(minutes=30),
        metavar="D",
        help="how long the claim lasts without a heartbeat, e.g. 10m, 2h (30m)",
    )
    parser.add_argument(
        "--pid",
        type=count,
        metavar="PID",
        help="the process on this host that works on the tasks: when it dies, they may be "
        "claimed again at once",
    )
    parser.add_argument(
        "--cross-phase",
        action="store_true",
        help="let dependencies alone decide (later phases need not wait for earlier ones)",
    )
    parser.add_argument(
        "--max-retries",
        type=count,
        metavar="N",
        help="also claim failed tasks retried fewer than N times (default: none)",
    )


def run_claim(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    tracker = ctx.tracker()
    tasks = tracker.claim(
        args.count,
        args.owner,
        lease=args.lease,
        pid=args.pid,
        cross_phase=args.cross_phase,
        max_retries=args.max_retries,
        dry_run=args.dry_run,
    )
    return {
        "ok": True,
        "owner": args.owner,
        "claimed": [{**task_json(task), "token": task.token} for task in tasks],
        **dry(args),
        "store": tracker.store.location,
    }


def args_heartbeat(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "task_id", type=task_id, metavar="TASK_ID", help="the task, as the plan numbers it (1.2)"
    )
    parser.add_argument(
        "--token", type=token, required=True, metavar="T", help="the token `claim` gave"
    )
    parser.add_argument(
        "--lease",
        type=lease,
        metavar="D",
        help="extend the lease to now + D (default: the length it had)",
    )


def run_heartbeat(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    from statuskit.codec import format_timestamp

    tracker = ctx.tracker()
    task = tracker.heartbeat(args.task_id, args.token, lease=args.lease, dry_run=args.dry_run)
    expires = task.lease_expires_at
    return {
        "ok": True,
        "task": task.id,
        "owner": task.owner,
        "token": task.token,
        "leaseExpiresAt": format_timestamp(expires) if expires is not None else None,
        **dry(args),
        "store": tracker.store.location,
    }
