"""Run commands: start-run, complete-run."""

from __future__ import annotations

import argparse
from typing import Any

from statuskit.cli._args import count
from statuskit.cli._common import dry, run_json
from statuskit.cli._context import Context


def args_start_run(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run-id", metavar="ID", help="the run's id (default run-<epoch ms>)")


def run_start_run(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    tracker = ctx.tracker()
    run = tracker.start_run(args.run_id, dry_run=args.dry_run)
    return {"ok": True, "run": run_json(run), **dry(args), "store": tracker.store.location}


def args_complete_run(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--run-id", metavar="ID", help="the run to close (default: the latest open one)"
    )
    parser.add_argument(
        "--completed", type=count, metavar="N", help="how many tasks the run completed"
    )
    parser.add_argument("--failed", type=count, metavar="N", help="how many tasks the run failed")


def run_complete_run(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    tracker = ctx.tracker()
    run = tracker.complete_run(
        args.run_id, completed=args.completed, failed=args.failed, dry_run=args.dry_run
    )
    return {"ok": True, "run": run_json(run), **dry(args), "store": tracker.store.location}
