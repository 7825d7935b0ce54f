"""Read commands: status, next, progress, retryable, detect-stuck (which may also write).

``status`` shows each task in progress with its lease (``leaseExpiresAt``, ``expired``) and
``detect-stuck`` lists every lease (``leases``) with its holder: expired leases are visible
before anyone reclaims the task. Tokens are not shown: a token is the holder's, and a worker
that lost its task must stop, not borrow the new holder's.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING, Any

from statuskit.cli._args import count, duration
from statuskit.cli._brief import fit, one_line, short
from statuskit.cli._common import dry, run_json, summary_json, task_json
from statuskit.cli._context import Context
from statuskit.model import TaskState

if TYPE_CHECKING:
    from statuskit import Run, Task
    from statuskit.scheduling import WaitKind


# Output budgets (docs/cli.md, "Output budgets"): `status` stays under 2 KB and each task of
# `next` under ~0.5 KB, however many tasks the plan has and however long their texts are.
LISTED = 10
"""At most this many tasks in each list of ``status``."""
LIST_BYTES = 450
"""... and at most this many bytes of JSON per list."""
NAME_BYTES = 100
"""Plan name, phase, reasons, owners and errors are cut to this many bytes."""
ID_BYTES = 64
"""Run ids are cut to this many bytes (task ids are never longer)."""
DESCRIPTION_BYTES = 200
"""A ready task's description is cut to this many bytes."""
WAIT_KINDS: tuple[WaitKind, ...] = (
    "dependency",
    "unknown_dependency",
    "sequential_group",
    "earlier_phase",
)
"""The keys of ``waitingByReason``, always all present, in this order."""


def args_status(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tasks", action="store_true", help="add every task and every run (the whole status)"
    )


def _in_progress_json(task: Task, now: datetime) -> dict[str, Any]:
    from statuskit._timestamps import format_timestamp

    entry: dict[str, Any] = {"id": task.id, "owner": None, "startedAt": None}
    if task.owner is not None:
        entry["owner"] = one_line(task.owner, NAME_BYTES)
    if task.started_at is not None:
        entry["startedAt"] = format_timestamp(task.started_at)
    if task.leased and task.lease_expires_at is not None:
        entry["leaseExpiresAt"] = format_timestamp(task.lease_expires_at)
        entry["expired"] = now >= task.lease_expires_at
        if task.holder is not None:
            from statuskit.store._process import holder_is_dead

            entry["holderDead"] = holder_is_dead(task)
    return entry


def _failed_json(task: Task) -> dict[str, Any]:
    error = task.error or task.last_error
    return {
        "id": task.id,
        "error": None if error is None else one_line(error, NAME_BYTES),
        "retryCount": task.retry_count,
    }


def _last_run_json(run: Run) -> dict[str, Any]:
    from statuskit._timestamps import format_timestamp

    return {
        "runId": short(run.run_id, ID_BYTES),
        "startedAt": None if run.started_at is None else format_timestamp(run.started_at),
        "completedAt": None if run.completed_at is None else format_timestamp(run.completed_at),
        "tasksCompleted": run.tasks_completed,
        "tasksFailed": run.tasks_failed,
    }


def _name(text: str | None) -> str | None:
    return None if text is None else one_line(text, NAME_BYTES)


if TYPE_CHECKING:
    from statuskit.leases import Lease


def lease_json(lease: Lease) -> dict[str, Any]:
    """A lease as ``detect-stuck`` shows it (no token: see the module doc)."""
    from statuskit.codec import format_timestamp

    out: dict[str, Any] = {
        "task": lease.task_id,
        "owner": lease.owner,
        "leaseExpiresAt": format_timestamp(lease.expires_at) if lease.expires_at else None,
        "expired": lease.expired,
    }
    if lease.holder is not None:
        out["holder"] = {"host": lease.holder.host, "pid": lease.holder.pid}
        out["holderDead"] = lease.holder_dead
    return out


def run_status(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    tracker = ctx.tracker()
    status = tracker.status()
    now = tracker.clock()
    in_progress, more_in_progress = fit(
        (_in_progress_json(t, now) for t in status.tasks if t.status is TaskState.IN_PROGRESS),
        most=LISTED,
        budget=LIST_BYTES,
    )
    failed, more_failed = fit(
        (_failed_json(t) for t in status.tasks if t.status is TaskState.FAILED),
        most=LISTED,
        budget=LIST_BYTES,
    )
    document: dict[str, Any] = {
        "ok": True,
        "store": tracker.store.location,
        "planPath": status.plan_path,
        "planName": _name(status.plan_name),
        "currentPhase": _name(status.current_phase),
        "schemaVersion": status.schema_version,
        "summary": summary_json(status),
        "inProgress": in_progress,
        "failed": failed,
        "omitted": {"inProgress": more_in_progress, "failed": more_failed},
        "runCount": len(status.runs),
        "lastRun": _last_run_json(status.runs[-1]) if status.runs else None,
    }
    if args.tasks:
        document["tasks"] = [task_json(task) for task in status.tasks]
        document["runs"] = [run_json(run) for run in status.runs]
    return document


def args_next(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "count", nargs="?", type=count, default=1, metavar="N", help="how many tasks at most (1)"
    )
    parser.add_argument("--cross-phase", action="store_true", help="let dependencies alone decide")
    parser.add_argument(
        "--why", action="store_true", help="add every waiting task with all its reasons"
    )


def run_next(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    from statuskit.scheduling import next_tasks

    status = ctx.tracker().status()
    report = next_tasks(status, args.count, cross_phase=args.cross_phase)
    by_kind = report.waiting_by_kind
    document: dict[str, Any] = {
        "ok": True,
        "ready": [
            {
                "id": p.task.id,
                "description": short(p.task.description, DESCRIPTION_BYTES),
                "phase": one_line(p.task.phase, NAME_BYTES),
                "reason": one_line(p.reason, NAME_BYTES),
            }
            for p in report.ready
        ],
        "waitingCount": len(report.waiting),
        "waitingByReason": {kind: by_kind.get(kind, 0) for kind in WAIT_KINDS},
        "summary": summary_json(status),
    }
    if args.why:
        document["waiting"] = [
            {"id": w.task.id, "reasons": list(w.reasons)} for w in report.waiting
        ]
    return document


def args_progress(parser: argparse.ArgumentParser) -> None:
    form = parser.add_mutually_exclusive_group()
    form.add_argument("--text", action="store_true", help="one line of text with a bar")
    form.add_argument("--json", action="store_true", help="JSON (the default)")


def _bar(percent: float, width: int = 30) -> str:
    filled = round(width * percent / 100)
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def run_progress(ctx: Context, args: argparse.Namespace) -> dict[str, Any] | str:
    from statuskit.summary import phase_progress

    status = ctx.tracker().status()
    summary = summary_json(status)
    if args.text:
        state = "complete" if summary["complete"] else "blocked" if summary["blocked"] else ""
        return (
            f"{_bar(summary['percent'])} {summary['percent']:.1f}% "
            f"({summary['completed'] + summary['skipped']}/{summary['totalTasks']} done, "
            f"{summary['in_progress']} in progress, {summary['failed']} failed, "
            f"{summary['pending']} pending){' ' + state if state else ''}"
        )
    return {
        "ok": True,
        "summary": summary,
        "phases": [phase.to_json() for phase in phase_progress(status.tasks)],
    }


def args_retryable(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max",
        type=count,
        default=2,
        metavar="N",
        help="the retry limit: tasks retried fewer times than this (2)",
    )


def run_retryable(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    tasks = ctx.tracker().retryable(args.max)
    return {"ok": True, "max": args.max, "tasks": [task_json(task) for task in tasks]}


def args_detect_stuck(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--after",
        type=duration,
        default=duration("30m"),
        metavar="D",
        help="unleased tasks in progress this long are stuck, e.g. 45m, 2h (30m); leased "
        "ones are stuck when their lease expired",
    )
    parser.add_argument("--mark-failed", action="store_true", help="mark them failed")


def run_detect_stuck(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    tracker = ctx.tracker()
    if args.mark_failed:
        tasks = tracker.fail_stuck(args.after, dry_run=args.dry_run)
    else:
        tasks = tracker.stuck(args.after)
    return {
        "ok": True,
        "after": str(args.after),
        "markedFailed": bool(args.mark_failed and not args.dry_run),
        "stuck": [task_json(task) for task in tasks],
        "leases": [lease_json(lease) for lease in tracker.leases()],
        **dry(args),
        "store": tracker.store.location,
    }
