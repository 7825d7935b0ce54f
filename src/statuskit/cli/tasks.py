"""Task commands: mark-started, mark-complete, mark-failed, mark-skipped, reset, claim."""

from __future__ import annotations

import argparse
from typing import Any

from statuskit.cli._args import count, task_id
from statuskit.cli._common import dry, outcome_json, task_json
from statuskit.cli._context import Context
from statuskit.cli._errors import CliError


def _task_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "task_id", type=task_id, metavar="TASK_ID", help="the task, as the plan numbers it (1.2)"
    )
    parser.add_argument("--force", action="store_true", help="allow moves out of completed")


def args_mark_started(parser: argparse.ArgumentParser) -> None:
    _task_args(parser)
    parser.add_argument("--owner", help="who works on it")


def run_mark_started(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    tracker = ctx.tracker()
    outcome = tracker.start(args.task_id, force=args.force, owner=args.owner, dry_run=args.dry_run)
    return outcome_json(outcome, args, tracker.store.location)


def args_mark_complete(parser: argparse.ArgumentParser) -> None:
    _task_args(parser)
    parser.add_argument("--notes", help="what was done")


def run_mark_complete(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    tracker = ctx.tracker()
    outcome = tracker.complete(
        args.task_id, notes=args.notes, force=args.force, dry_run=args.dry_run
    )
    return outcome_json(outcome, args, tracker.store.location)


def args_mark_failed(parser: argparse.ArgumentParser) -> None:
    _task_args(parser)
    parser.add_argument("--error", required=True, help="what went wrong")


def run_mark_failed(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    if not args.error.strip():
        raise CliError("usage", "--error must not be empty", "say what went wrong")
    tracker = ctx.tracker()
    outcome = tracker.fail(args.task_id, error=args.error, force=args.force, dry_run=args.dry_run)
    return outcome_json(outcome, args, tracker.store.location)


def args_mark_skipped(parser: argparse.ArgumentParser) -> None:
    _task_args(parser)
    parser.add_argument("--reason", required=True, help="why it is skipped")


def run_mark_skipped(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    tracker = ctx.tracker()
    outcome = tracker.skip(args.task_id, reason=args.reason, force=args.force, dry_run=args.dry_run)
    return outcome_json(outcome, args, tracker.store.location)


def args_reset(parser: argparse.ArgumentParser) -> None:
    _task_args(parser)


def run_reset(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    tracker = ctx.tracker()
    outcome = tracker.reset(args.task_id, force=args.force, dry_run=args.dry_run)
    return outcome_json(outcome, args, tracker.store.location)


def args_claim(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "count", nargs="?", type=count, default=1, metavar="N", help="how many tasks at most (1)"
    )
    parser.add_argument("--owner", required=True, help="who takes them")
    parser.add_argument("--cross-phase", action="store_true", help="let dependencies alone decide")
    parser.add_argument("--max-retries", type=count, help="also retry failed tasks below this")


def run_claim(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    tracker = ctx.tracker()
    tasks = tracker.claim(
        args.count,
        args.owner,
        cross_phase=args.cross_phase,
        max_retries=args.max_retries,
        dry_run=args.dry_run,
    )
    return {
        "ok": True,
        "owner": args.owner,
        "claimed": [task_json(task) for task in tasks],
        **dry(args),
        "store": tracker.store.location,
    }
