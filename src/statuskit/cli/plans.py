"""Plan commands: init, validate, sync-check."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, Any

from statuskit.cli._common import dry
from statuskit.cli._context import Context
from statuskit.cli._errors import CliError
from statuskit.cli._output import warn

if TYPE_CHECKING:
    from statuskit import Plan


def _parse(ctx: Context, plan_path: str) -> Plan:
    from statuskit.planfile import parse_plan

    return parse_plan(ctx.read_plan_text(plan_path), source=plan_path)


def args_init(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--subtasks", action="store_true", help="track indented subtasks as tasks of their own"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="start over although backups of a deleted status remain (they are set aside)",
    )
    parser.add_argument(
        "--from-checkboxes",
        action="store_true",
        help="start tasks ticked in the plan (- [x]) as completed instead of pending",
    )


def _new_folder(status_path: str) -> str | None:
    """The outermost folder above ``status_path`` that does not exist yet (``None``: all do)."""
    folder = os.path.dirname(status_path)
    missing = None
    while folder and not os.path.exists(folder):
        missing = folder
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return missing


def _say_created(location: str, tasks: int, new: str | None, *, dry: bool) -> None:
    """One stderr line: where init wrote, and the folders it made for it."""
    import sys

    verb = "would create" if dry else "created"
    line = f"statuskit: {verb} {location} ({tasks} tasks)"
    if new is not None:
        made = "would make" if dry else "made"
        line += (
            f"; {made} the folder {new}{os.sep} for it (--output-dir DIR or --status FILE "
            "puts the status elsewhere)"
        )
    try:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass


def run_init(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    from statuskit import StatusExists
    from statuskit.planfile import status_from_plan
    from statuskit.tracker import utc_now

    plan_path = ctx.plan_path()
    assert plan_path is not None
    plan = _parse(ctx, plan_path)
    for warning in plan.warnings:
        warn(f"{plan_path}:{warning.line}: {warning.code}: {warning.message}")
    status = status_from_plan(
        plan,
        now=utc_now(),
        plan_path=plan_path,
        subtasks=args.subtasks,
        from_checkboxes=args.from_checkboxes,
    )
    store = ctx.store()
    # The JSON layout makes the folders it needs (docs/plan-outputs/<plan>/ by default, even
    # in a project without docs/): said, so that nobody has to look for the status.
    json_layout = ctx.status_arg is not None or ctx.store_url() is None
    new = _new_folder(ctx.status_path()) if json_layout else None
    if not args.dry_run:
        try:
            store.create(status, force=args.force)
        except StatusExists as exc:
            if not exc.backups:
                ctx.tracker().status()  # PlanMismatch when the status is another plan's
            raise
    _say_created(store.location, len(status.tasks), new, dry=args.dry_run)
    return {
        "ok": True,
        "created": not args.dry_run,
        "statusPath": store.location,
        "newFolder": new,
        "planPath": plan_path,
        "planName": status.plan_name,
        "tasks": len(status.tasks),
        "phases": len(plan.phases),
        "warnings": [warning.to_json() for warning in plan.warnings],
        **dry(args),
    }


def args_validate(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repair", action="store_true", help="fix, or restore the newest backup")
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="with no valid backup, rebuild from the plan (every task back to pending)",
    )


def run_validate(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    tracker = ctx.tracker()
    if args.repair or args.rebuild:
        rebuild = None
        if args.rebuild:
            from statuskit.planfile import status_from_plan
            from statuskit.tracker import utc_now

            plan_path = ctx.plan_path()
            assert plan_path is not None
            rebuild = status_from_plan(_parse(ctx, plan_path), now=utc_now(), plan_path=plan_path)
        report = tracker.repair(rebuild=rebuild, dry_run=args.dry_run)
        if "warning" in (document := report.to_json()):
            warn(document["warning"])
        return {"ok": True, **document, **dry(args), "store": tracker.store.location}
    from statuskit.validation import validate

    problems = validate(tracker.status())
    errors = [p for p in problems if p.severity == "error"]
    listed = [problem.to_json() for problem in problems]
    if errors:
        raise CliError(
            "check_failed",
            f"{len(errors)} error(s) in {tracker.store.location}",
            f"fix them by hand; {ctx.command('validate', '--repair')} fixes only what is safe",
            problems=listed,
        )
    return {"ok": True, "valid": True, "problems": listed}


def args_sync_check(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--strict", action="store_true", help="exit 10 when they differ (not with --apply)"
    )
    parser.add_argument(
        "--apply",
        action="store_true",
        help="bring the status up to date: add new tasks, follow titles, phases, dependencies",
    )
    parser.add_argument(
        "--prune",
        action="store_true",
        help="with --apply: drop tasks no longer in the plan that were never started",
    )


def run_sync_check(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    from statuskit.planfile import sync_check

    if args.prune and not args.apply:
        raise CliError("usage", "--prune only works with --apply", "add --apply")
    if args.strict and args.apply:
        raise CliError("usage", "--strict checks, --apply changes: choose one")
    tracker = ctx.tracker()
    status = tracker.status()
    plan_path = ctx.plan_path(required=False) or status.plan_path
    if not plan_path:
        raise CliError("usage", "no plan to compare with", "pass --plan PLAN.md")
    plan = _parse(ctx, plan_path)
    if args.apply:
        applied = tracker.sync(plan, prune=args.prune, dry_run=args.dry_run)
        return {
            "ok": True,
            "planPath": plan_path,
            "applied": applied.to_json(),
            **dry(args),
            "store": tracker.store.location,
        }
    from statuskit.plansync import sync_apply
    from statuskit.tracker import utc_now

    report = sync_check(plan, status)
    _, would = sync_apply(plan, status, now=utc_now())
    document = {"ok": True, "planPath": plan_path, **report.to_json(), "apply": would.to_json()}
    if not report.in_sync and args.strict:
        raise CliError(
            "check_failed",
            "plan and status differ",
            f"see the report; {ctx.command('sync-check', '--apply')} brings the status up to date",
            **{key: value for key, value in document.items() if key != "ok"},
        )
    return document
