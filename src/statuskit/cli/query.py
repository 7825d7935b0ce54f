"""Read commands: status, next, progress, retryable, detect-stuck (which may also write).

``status`` and ``detect-stuck`` list the leases (``leases``): every task in progress under a
claim, its holder, when the lease ends and whether it has expired — visible before anyone
reclaims the task.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from statuskit.cli._args import count, duration
from statuskit.cli._common import dry, run_json, summary_json, task_json
from statuskit.cli._context import Context

if TYPE_CHECKING:
    from statuskit.leases import Lease


def lease_json(lease: Lease) -> dict[str, Any]:
    """A lease as ``status`` and ``detect-stuck`` show it."""
    from statuskit.codec import format_timestamp

    out: dict[str, Any] = {
        "task": lease.task_id,
        "owner": lease.owner,
        "token": lease.token,
        "leaseExpiresAt": format_timestamp(lease.expires_at) if lease.expires_at else None,
        "expired": lease.expired,
    }
    if lease.holder is not None:
        out["holder"] = {"host": lease.holder.host, "pid": lease.holder.pid}
        out["holderDead"] = lease.holder_dead
    return out


def run_status(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    from statuskit.leases import leases
    from statuskit.store._process import holder_is_dead

    tracker = ctx.tracker()
    status = tracker.status()
    held = leases(status.tasks, tracker.clock(), holder_is_dead)
    return {
        "ok": True,
        "statusPath": tracker.store.location,
        "planPath": status.plan_path,
        "planName": status.plan_name,
        "currentPhase": status.current_phase,
        "schemaVersion": status.schema_version,
        "summary": summary_json(status),
        "inProgress": [t.id for t in status.tasks if t.status.value == "in_progress"],
        "leases": [lease_json(lease) for lease in held],
        "tasks": [task_json(task) for task in status.tasks],
        "runs": [run_json(run) for run in status.runs],
    }


def args_next(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "count", nargs="?", type=count, default=1, metavar="N", help="how many tasks at most (1)"
    )
    parser.add_argument("--cross-phase", action="store_true", help="let dependencies alone decide")


def run_next(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    from statuskit.scheduling import next_tasks

    status = ctx.tracker().status()
    report = next_tasks(status, args.count, cross_phase=args.cross_phase)
    return {
        "ok": True,
        "ready": [
            {
                "id": p.task.id,
                "description": p.task.description,
                "phase": p.task.phase,
                "reason": p.reason,
            }
            for p in report.ready
        ],
        "waiting": [{"id": w.task.id, "reasons": list(w.reasons)} for w in report.waiting],
        "summary": summary_json(status),
    }


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
    parser.add_argument("--max", type=count, default=2, help="retry limit (2)")


def run_retryable(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    tasks = ctx.tracker().retryable(args.max)
    return {"ok": True, "max": args.max, "tasks": [task_json(task) for task in tasks]}


def args_detect_stuck(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--after",
        type=duration,
        default=duration("30m"),
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
