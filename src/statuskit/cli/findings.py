"""Findings commands: write-findings, read-findings."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from statuskit.cli._args import task_id
from statuskit.cli._common import dry
from statuskit.cli._context import Context
from statuskit.cli._errors import CliError
from statuskit.cli.tasks import add_token


def args_write_findings(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "task_id", type=task_id, metavar="TASK_ID", help="the task, as the plan numbers it (1.2)"
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", help="read the findings from this file")
    source.add_argument("--stdin", action="store_true", help="read the findings from stdin")
    add_token(parser)


def run_write_findings(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    if args.stdin:
        text = sys.stdin.read()
    else:
        try:
            with open(args.file, encoding="utf-8") as handle:
                text = handle.read()
        except FileNotFoundError:
            raise CliError("not_found", f"findings file {args.file} not found") from None
    tracker = ctx.tracker()
    location = tracker.write_findings(args.task_id, text, token=args.token, dry_run=args.dry_run)
    return {
        "ok": True,
        "task": args.task_id,
        "bytes": len(text.encode()),
        "path": location,
        **dry(args),
        "store": tracker.store.location,
    }


def args_read_findings(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "task_id", type=task_id, metavar="TASK_ID", help="the task, as the plan numbers it (1.2)"
    )


def run_read_findings(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    tracker = ctx.tracker()
    text = tracker.read_findings(args.task_id)
    return {
        "ok": True,
        "task": args.task_id,
        "path": tracker.store.findings_location(args.task_id),
        "text": text,
    }
