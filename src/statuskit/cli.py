"""The ``statuskit`` command: every status operation from the shell.

Contract (``docs/cli.md``): stdout carries exactly one JSON document per command — human text
only where a format option asks for it (``progress --text``, ``stream`` without ``--json``,
``--help``); warnings go to stderr; errors are ``{"ok": false, "error": {code, message,
hint}}`` with an exit code per kind (see :data:`EXIT_CODES`). No traceback reaches the user.

The module imports only what a command needs, so that a status update costs little more than
the interpreter's start-up.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from datetime import timedelta

    from statuskit.model import PlanStatus, Run, Task
    from statuskit.store.jsonfile import JsonFileStore
    from statuskit.tracker import Outcome, Tracker

__all__ = ["EXIT_CODES", "main"]

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
}

DEFAULT_OUTPUT_DIR = os.path.join("docs", "plan-outputs")

#: Every command, in the order of ``statuskit --help``.
COMMANDS = (
    "init", "status", "mark-started", "mark-complete", "mark-failed", "mark-skipped", "reset",
    "write-findings", "read-findings", "start-run", "complete-run", "next", "claim", "progress",
    "validate", "sync-check", "retryable", "detect-stuck", "stream", "run", "demo",
)  # fmt: skip
POINTER_FILE = os.path.join(".claude", "current-plan.txt")


class CliError(Exception):
    """An error reported as JSON with an exit code."""

    def __init__(self, code: str, message: str, hint: str = "", **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint
        self.details = details


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage and exiting."""

    def error(self, message: str) -> NoReturn:
        raise CliError("usage", message, f"see `{self.prog} --help`")


# --------------------------------------------------------------------------- output


def _emit(document: dict[str, Any]) -> None:
    indent = 2 if sys.stdout.isatty() else None
    sys.stdout.write(json.dumps(document, indent=indent, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _warn(message: str) -> None:
    sys.stderr.write(f"statuskit: warning: {message}\n")


def _task_json(task: Task) -> dict[str, Any]:
    from statuskit.codec import encode_task

    return encode_task(task)


def _run_json(run: Run) -> dict[str, Any]:
    from statuskit.codec import encode_run

    return encode_run(run)


# --------------------------------------------------------------------------- resolution


class Context:
    """Where the plan and the status are, resolved lazily from the global options."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.plan_arg: str | None = args.plan
        self.status_arg: str | None = args.status
        self.output_dir: str = args.output_dir or DEFAULT_OUTPUT_DIR
        self.lock_timeout: float = args.lock_timeout
        self._plan_source: str | None = None

    def plan_path(self, *, required: bool = True) -> str | None:
        """The plan's markdown file: --plan, $STATUSKIT_PLAN, then .claude/current-plan.txt."""
        if self.plan_arg:
            self._plan_source = "--plan"
            return self.plan_arg
        env = os.environ.get("STATUSKIT_PLAN")
        if env:
            self._plan_source = "$STATUSKIT_PLAN"
            return env
        try:
            with open(POINTER_FILE, encoding="utf-8") as handle:
                pointed = handle.read().strip()
        except OSError:
            pointed = ""
        if pointed:
            self._plan_source = POINTER_FILE
            return pointed
        if not required:
            return None
        raise CliError(
            "usage",
            "no plan chosen",
            "pass --plan PLAN.md (or --status STATUS.json), set STATUSKIT_PLAN, or write the "
            f"plan's path into {POINTER_FILE}",
        )

    def status_path(self) -> str:
        """--status, else ``<output-dir>/<plan stem>/status.json`` of the chosen plan."""
        if self.status_arg:
            return self.status_arg
        plan = self.plan_path()
        assert plan is not None
        stem = os.path.splitext(os.path.basename(plan))[0]
        return os.path.join(self.output_dir, stem, "status.json")

    def store(self) -> JsonFileStore:
        from statuskit.store.jsonfile import JsonFileStore

        return JsonFileStore(self.status_path(), lock_timeout=self.lock_timeout)

    def tracker(self) -> Tracker:
        from statuskit.tracker import Tracker

        return Tracker(self.store())

    def read_plan_text(self, path: str) -> str:
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.read()
        except FileNotFoundError:
            where = f" (from {self._plan_source})" if self._plan_source else ""
            raise CliError(
                "not_found", f"plan file {path} not found{where}", "check the plan's path"
            ) from None
        except UnicodeDecodeError as exc:
            raise CliError("plan_error", f"plan file {path} is not UTF-8 text: {exc}") from None


# --------------------------------------------------------------------------- commands


def _outcome(outcome: Outcome, args: argparse.Namespace) -> dict[str, Any]:
    task = outcome.task
    result: dict[str, Any] = {
        "ok": True,
        "changed": outcome.changed,
        "task": _task_json(task),
    }
    if not outcome.changed:
        result["message"] = f"unchanged: task {task.id} is already {task.status.value}"
    if args.dry_run:
        result["dryRun"] = True
    result["summary"] = _summary(outcome.status)
    return result


def _summary(status: PlanStatus) -> dict[str, Any]:
    from statuskit.codec import encode_summary
    from statuskit.summary import is_blocked, is_complete, progress_percent

    summary = status.summary
    return {
        **encode_summary(summary),
        "percent": progress_percent(summary),
        "complete": is_complete(summary),
        "blocked": is_blocked(summary),
    }


def cmd_init(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    from statuskit.planfile import parse_plan, status_from_plan
    from statuskit.tracker import utc_now

    plan_path = ctx.plan_path()
    assert plan_path is not None
    plan = parse_plan(ctx.read_plan_text(plan_path), source=plan_path)
    for warning in plan.warnings:
        _warn(f"{plan_path}:{warning.line}: {warning.code}: {warning.message}")
    status = status_from_plan(plan, now=utc_now(), plan_path=plan_path, subtasks=args.subtasks)
    store = ctx.store()
    if not args.dry_run:
        store.create(status)
    return {
        "ok": True,
        "created": not args.dry_run,
        "statusPath": store.path,
        "planPath": plan_path,
        "planName": status.plan_name,
        "tasks": len(status.tasks),
        "phases": len(plan.phases),
        "warnings": [{"line": w.line, "code": w.code, "message": w.message} for w in plan.warnings],
        **({"dryRun": True} if args.dry_run else {}),
    }


def cmd_status(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    store = ctx.store()
    status = store.read()
    in_progress = [t.id for t in status.tasks if t.status.value == "in_progress"]
    return {
        "ok": True,
        "statusPath": store.path,
        "planPath": status.plan_path,
        "planName": status.plan_name,
        "currentPhase": status.current_phase,
        "schemaVersion": status.schema_version,
        "summary": _summary(status),
        "inProgress": in_progress,
        "tasks": [_task_json(task) for task in status.tasks],
        "runs": [_run_json(run) for run in status.runs],
    }


def cmd_mark_started(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    outcome = ctx.tracker().start(
        args.task_id, force=args.force, owner=args.owner, dry_run=args.dry_run
    )
    return _outcome(outcome, args)


def cmd_mark_complete(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    outcome = ctx.tracker().complete(
        args.task_id, notes=args.notes, force=args.force, dry_run=args.dry_run
    )
    return _outcome(outcome, args)


def cmd_mark_failed(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    if not args.error.strip():
        raise CliError("usage", "--error must not be empty", "say what went wrong")
    outcome = ctx.tracker().fail(
        args.task_id, error=args.error, force=args.force, dry_run=args.dry_run
    )
    return _outcome(outcome, args)


def cmd_mark_skipped(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    outcome = ctx.tracker().skip(
        args.task_id, reason=args.reason, force=args.force, dry_run=args.dry_run
    )
    return _outcome(outcome, args)


def cmd_reset(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    outcome = ctx.tracker().reset(args.task_id, force=args.force, dry_run=args.dry_run)
    return _outcome(outcome, args)


def cmd_write_findings(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    if args.stdin:
        text = sys.stdin.read()
    else:
        try:
            with open(args.file, encoding="utf-8") as handle:
                text = handle.read()
        except FileNotFoundError:
            raise CliError("not_found", f"findings file {args.file} not found") from None
    location = ctx.tracker().write_findings(args.task_id, text, dry_run=args.dry_run)
    result: dict[str, Any] = {"ok": True, "task": args.task_id, "bytes": len(text.encode())}
    if args.dry_run:
        result["dryRun"] = True
    else:
        result["path"] = location
    return result


def cmd_read_findings(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    tracker = ctx.tracker()
    text = tracker.read_findings(args.task_id)
    store = tracker.store
    path = getattr(store, "findings_path", None)
    return {
        "ok": True,
        "task": args.task_id,
        "path": path(args.task_id) if callable(path) else None,
        "text": text,
    }


def cmd_start_run(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    run = ctx.tracker().start_run(args.run_id, dry_run=args.dry_run)
    return {"ok": True, "run": _run_json(run), **({"dryRun": True} if args.dry_run else {})}


def cmd_complete_run(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    run = ctx.tracker().complete_run(
        args.run_id, completed=args.completed, failed=args.failed, dry_run=args.dry_run
    )
    return {"ok": True, "run": _run_json(run), **({"dryRun": True} if args.dry_run else {})}


def cmd_next(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    from statuskit.scheduling import next_tasks

    status = ctx.store().read()
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
        "summary": _summary(status),
    }


def cmd_claim(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
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
        "claimed": [_task_json(task) for task in tasks],
        **({"dryRun": True} if args.dry_run else {}),
    }


def _bar(percent: float, width: int = 30) -> str:
    filled = round(width * percent / 100)
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def cmd_progress(ctx: Context, args: argparse.Namespace) -> dict[str, Any] | str:
    status = ctx.store().read()
    summary = _summary(status)
    if args.text:
        state = "complete" if summary["complete"] else "blocked" if summary["blocked"] else ""
        return (
            f"{_bar(summary['percent'])} {summary['percent']:.1f}% "
            f"({summary['completed'] + summary['skipped']}/{summary['totalTasks']} done, "
            f"{summary['in_progress']} in progress, {summary['failed']} failed, "
            f"{summary['pending']} pending){' ' + state if state else ''}"
        )
    phases: dict[str, dict[str, int]] = {}
    for task in status.tasks:
        entry = phases.setdefault(task.phase, {"total": 0, "done": 0})
        entry["total"] += 1
        entry["done"] += int(task.status.is_done)
    return {
        "ok": True,
        "summary": summary,
        "phases": [{"phase": name, **counts} for name, counts in phases.items()],
    }


def cmd_validate(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    from statuskit.errors import CorruptStatus

    store = ctx.store()
    if args.repair or args.rebuild:
        rebuild = None
        if args.rebuild:
            from statuskit.planfile import parse_plan, status_from_plan
            from statuskit.tracker import utc_now

            plan_path = ctx.plan_path()
            assert plan_path is not None
            plan = parse_plan(ctx.read_plan_text(plan_path), source=plan_path)
            rebuild = status_from_plan(plan, now=utc_now(), plan_path=plan_path)
        report = store.repair(rebuild=rebuild, dry_run=args.dry_run)
        result: dict[str, Any] = {
            "ok": True,
            "action": report.action,
            "fixed": [_problem_json(p) for p in report.fixed],
            "remaining": [_problem_json(p) for p in report.remaining],
        }
        if report.action in ("restored", "rebuilt"):
            result.update(
                corruptReason=report.corrupt_reason,
                quarantined=report.quarantined,
                restoredFrom=report.restored_from,
            )
            if report.restored_last_updated is not None:
                from statuskit.codec import format_timestamp

                moment = format_timestamp(report.restored_last_updated)
                result["restoredLastUpdatedAt"] = moment
                result["warning"] = f"changes made after {moment} may be lost"
                _warn(f"restored {report.restored_from}; changes after {moment} may be lost")
            if report.action == "rebuilt":
                result["warning"] = "rebuilt from the plan: every task state was reset to pending"
                _warn(result["warning"])
        if args.dry_run:
            result["dryRun"] = True
        return result
    try:
        status = store.read()
    except CorruptStatus as exc:
        raise CliError(
            "corrupt",
            str(exc),
            "run `statuskit validate --repair` to restore the newest valid backup",
            problems=[{"path": where, "message": why} for where, why in exc.problems],
        ) from None
    from statuskit.validation import validate

    problems = validate(status)
    errors = [p for p in problems if p.severity == "error"]
    document = {
        "ok": not errors,
        "valid": not errors,
        "problems": [_problem_json(p) for p in problems],
    }
    if errors:
        raise CliError(
            "check_failed",
            f"{len(errors)} error(s) in {store.path}",
            "fix them by hand; `statuskit validate --repair` fixes only what is safe",
            problems=document["problems"],
        )
    return document


def _problem_json(problem: Any) -> dict[str, Any]:
    return {
        "code": problem.code,
        "severity": problem.severity,
        "task": problem.task_id,
        "message": problem.message,
        "fixable": problem.fixable,
    }


def cmd_sync_check(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    from statuskit.planfile import parse_plan, sync_check

    status = ctx.store().read()
    plan_path = ctx.plan_path(required=False) or status.plan_path
    if not plan_path:
        raise CliError("usage", "no plan to compare with", "pass --plan PLAN.md")
    plan = parse_plan(ctx.read_plan_text(plan_path), source=plan_path)
    report = sync_check(plan, status)
    document = {
        "ok": True,
        "inSync": report.in_sync,
        "planPath": plan_path,
        "onlyInPlan": list(report.only_in_plan),
        "onlyInStatus": list(report.only_in_status),
        "titleChanged": [{"id": i, "plan": p, "status": s} for i, p, s in report.title_changed],
        "checkedNotDone": [{"id": i, "status": s} for i, s in report.checked_not_done],
        "doneNotChecked": list(report.done_not_checked),
    }
    if not report.in_sync and args.strict:
        raise CliError("check_failed", "plan and status differ", "see the report", **document)
    return document


def cmd_retryable(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    tasks = ctx.tracker().retryable(args.max)
    return {"ok": True, "max": args.max, "tasks": [_task_json(task) for task in tasks]}


def parse_duration(text: str) -> timedelta:
    """``90``, ``90s``, ``30m``, ``2h``, ``1h30m``, ``1d`` -> timedelta.

    Raises:
        ValueError: not a duration.

    """
    import re
    from datetime import timedelta

    text = text.strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return timedelta(seconds=float(text))
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)", text)
    if not parts or "".join(f"{n}{u}" for n, u in parts) != re.sub(r"\s+", "", text):
        raise ValueError(f"not a duration: {text!r} (use e.g. 90s, 30m, 2h, 1h30m)")
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
    return timedelta(seconds=sum(float(n) * units[u] for n, u in parts))


def cmd_detect_stuck(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    tracker = ctx.tracker()
    after = args.after
    if args.mark_failed:
        tasks = tracker.fail_stuck(after, dry_run=args.dry_run)
    else:
        tasks = tracker.stuck(after)
    return {
        "ok": True,
        "after": str(after),
        "markedFailed": bool(args.mark_failed and not args.dry_run),
        "stuck": [_task_json(task) for task in tasks],
        **({"dryRun": True} if args.dry_run else {}),
    }


def cmd_stream(ctx: Context, args: argparse.Namespace) -> int:
    """Print the events of a capture or of stdin (the engine is statuskit.stream.cli)."""
    from statuskit.stream.cli import print_stream

    if args.file == "-":
        stdin: Any = getattr(sys.stdin, "buffer", sys.stdin)  # tests swap in a text stream
        print_stream(stdin, sys.stdout, as_json=args.json, max_line=args.max_line)
        return 0
    try:
        source = open(args.file, "rb")  # noqa: SIM115 - closed by the with below
    except FileNotFoundError:
        raise CliError("not_found", f"stream file {args.file} not found") from None
    with source:
        print_stream(source, sys.stdout, as_json=args.json, max_line=args.max_line)
    return 0


def _lazy(module: str, name: str) -> Callable[[Context, argparse.Namespace], Any]:
    def run(ctx: Context, args: argparse.Namespace) -> Any:
        import importlib

        return getattr(importlib.import_module(module), name)(ctx, args)

    return run


# --------------------------------------------------------------------------- parser


def _duration(text: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0: {text}")
    return value


def _timeout(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0: {text}")
    return value


def _task_id(text: str) -> str:
    from statuskit.errors import InvalidTaskId
    from statuskit.ids import check_task_id

    try:
        return check_task_id(text)
    except InvalidTaskId as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _globals(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    default = argparse.SUPPRESS if suppress else None
    group = parser.add_argument_group("plan selection (also accepted after the command)")
    group.add_argument("--plan", default=default, help="the plan's markdown file")
    group.add_argument("--status", default=default, help="the status.json file (overrides)")
    group.add_argument(
        "--output-dir", default=default, help=f"where plan outputs live ({DEFAULT_OUTPUT_DIR})"
    )
    group.add_argument(
        "--lock-timeout",
        type=_timeout,
        default=argparse.SUPPRESS if suppress else 10.0,
        help="seconds to wait for another writer (10)",
    )


Handler = Callable[[Context, argparse.Namespace], Any]


class _Sink:
    """Stands in for the subparsers of commands that were not asked for (see build_parser)."""

    def add_argument(self, *args: Any, **kwargs: Any) -> None:
        return None

    def add_mutually_exclusive_group(self, **kwargs: Any) -> _Sink:
        return self

    def set_defaults(self, **kwargs: Any) -> None:
        return None


def build_parser(only: str | None = None) -> tuple[argparse.ArgumentParser, dict[str, Handler]]:
    """The argument parser and the handler of each command.

    With ``only``, just that command's subparser is built: building all of them costs more
    than the rest of a status update. Errors are then re-parsed with the full parser, so
    their messages are the same.
    """
    parser = _Parser(
        prog="statuskit",
        description="Execution state for plans carried out by AI coding agents.",
        epilog="Every command prints one JSON document on stdout; see docs/cli.md.",
    )
    parser.add_argument("--version", action="store_true", help="print the version as JSON")
    _globals(parser, suppress=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    handlers: dict[str, Handler] = {}

    def command(name: str, handler: Handler, help_text: str, *, mutating: bool = False) -> Any:
        handlers[name] = handler
        if only is not None and name != only:
            return _Sink()
        sub = commands.add_parser(name, help=help_text, description=help_text)
        _globals(sub, suppress=True)
        if mutating:
            sub.add_argument("--dry-run", action="store_true", help="show, change nothing")
        else:
            sub.set_defaults(dry_run=False)
        return sub

    sub = command("init", cmd_init, "create status.json from the plan", mutating=True)
    sub.add_argument(
        "--subtasks", action="store_true", help="track indented subtasks as tasks of their own"
    )
    command("status", cmd_status, "the whole status, with a summary")
    for name, handler, text in (
        ("mark-started", cmd_mark_started, "mark a task in progress"),
        ("mark-complete", cmd_mark_complete, "mark a task completed"),
        ("mark-failed", cmd_mark_failed, "mark a task failed"),
        ("mark-skipped", cmd_mark_skipped, "mark a task skipped"),
        ("reset", cmd_reset, "put a task back to pending"),
    ):
        sub = command(name, handler, text, mutating=True)
        sub.add_argument("task_id", type=_task_id, metavar="TASK_ID")
        sub.add_argument("--force", action="store_true", help="allow moves out of completed")
        if name == "mark-started":
            sub.add_argument("--owner", help="who works on it")
        elif name == "mark-complete":
            sub.add_argument("--notes", help="what was done")
        elif name == "mark-failed":
            sub.add_argument("--error", required=True, help="what went wrong")
        elif name == "mark-skipped":
            sub.add_argument("--reason", required=True, help="why it is skipped")
    sub = command("write-findings", cmd_write_findings, "store a task's findings", mutating=True)
    sub.add_argument("task_id", type=_task_id, metavar="TASK_ID")
    source = sub.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", help="read the findings from this file")
    source.add_argument("--stdin", action="store_true", help="read the findings from stdin")
    sub = command("read-findings", cmd_read_findings, "print a task's findings")
    sub.add_argument("task_id", type=_task_id, metavar="TASK_ID")
    sub = command("start-run", cmd_start_run, "open a run", mutating=True)
    sub.add_argument("--run-id", help="the run's id (default run-<epoch ms>)")
    sub = command("complete-run", cmd_complete_run, "close a run", mutating=True)
    sub.add_argument("--run-id", help="the run to close (default: the latest open one)")
    sub.add_argument("--completed", type=_count, help="tasks the run completed")
    sub.add_argument("--failed", type=_count, help="tasks the run failed")
    sub = command("next", cmd_next, "the tasks to do next, and why others wait")
    sub.add_argument("count", nargs="?", type=_count, default=1, metavar="N")
    sub.add_argument("--cross-phase", action="store_true", help="let dependencies alone decide")
    sub = command("claim", cmd_claim, "atomically take up to N ready tasks", mutating=True)
    sub.add_argument("count", nargs="?", type=_count, default=1, metavar="N")
    sub.add_argument("--owner", required=True, help="who takes them")
    sub.add_argument("--cross-phase", action="store_true", help="let dependencies alone decide")
    sub.add_argument("--max-retries", type=_count, help="also retry failed tasks below this")
    sub = command("progress", cmd_progress, "progress as JSON, or a text bar with --text")
    form = sub.add_mutually_exclusive_group()
    form.add_argument("--text", action="store_true", help="one line of text with a bar")
    form.add_argument("--json", action="store_true", help="JSON (the default)")
    sub = command(
        "validate", cmd_validate, "check the status; --repair fixes what is safe", mutating=True
    )
    sub.add_argument("--repair", action="store_true", help="fix, or restore the newest backup")
    sub.add_argument(
        "--rebuild",
        action="store_true",
        help="with no valid backup, rebuild from the plan (every task back to pending)",
    )
    sub = command("sync-check", cmd_sync_check, "compare the plan with the status")
    sub.add_argument("--strict", action="store_true", help="exit 10 when they differ")
    sub = command("retryable", cmd_retryable, "failed tasks that may be retried")
    sub.add_argument("--max", type=_count, default=2, help="retry limit (2)")
    sub = command("detect-stuck", cmd_detect_stuck, "tasks in progress for too long", mutating=True)
    sub.add_argument("--after", type=_duration, default=_duration("30m"), help="e.g. 30m (30m)")
    sub.add_argument("--mark-failed", action="store_true", help="mark them failed")
    sub = command(
        "stream",
        cmd_stream,
        "print the events of an agent's stream-json output",
    )
    sub.add_argument("file", nargs="?", default="-", help="a capture, or - for stdin (-)")
    sub.add_argument("--json", action="store_true", help="one JSON object per event")
    sub.add_argument("--max-line", type=_count, default=None, help="longest line, bytes")
    sub = command(
        "run",
        _lazy("statuskit.orchestrator.cli", "command_run"),
        "drive an agent through the plan",
        mutating=True,
    )
    _run_options(sub)
    sub = command(
        "demo",
        _lazy("statuskit.orchestrator.cli", "command_demo"),
        "the orchestrator on a sample plan with a simulated agent",
    )
    sub.add_argument("--dir", help="folder for the demo (default: a new temporary folder)")
    sub.add_argument("--no-tui", action="store_true", help="plain lines instead of the UI")
    sub.add_argument("--scenario", default="flaky", help="ok, flaky, fail, hang or crash")
    sub.add_argument("--timeout", type=_timeout, default=20.0, help="seconds per session (20)")
    return parser, handlers


def _run_options(sub: argparse.ArgumentParser) -> None:
    agent = sub.add_mutually_exclusive_group()
    agent.add_argument("--agent-cmd", help="the agent command (default: Claude Code)")
    agent.add_argument("--simulate", metavar="SCENARIO", help="ok, flaky, fail, hang or crash")
    sub.add_argument("--batch", type=_count, default=1, help="tasks per agent session (1)")
    sub.add_argument("--max-iterations", type=_count, default=50, help="agent sessions (50)")
    sub.add_argument("--timeout", type=_timeout, default=1800.0, help="seconds per session")
    sub.add_argument("--retries", type=_count, default=2, help="retries per task (2)")
    sub.add_argument("--stuck-after", type=_duration, default=None, help="e.g. 45m")
    sub.add_argument("--backoff", type=_timeout, default=2.0, help="seconds before a 1st retry")
    sub.add_argument("--no-tui", action="store_true", help="plain lines instead of the UI")


# --------------------------------------------------------------------------- errors


def _translate(exc: BaseException) -> CliError:
    """A statuskit (or OS) error as the CLI reports it."""
    from statuskit import errors

    if isinstance(exc, CliError):
        return exc
    if isinstance(exc, errors.TaskNotFound):
        hint = (
            "did you mean " + ", ".join(exc.suggestions) + "?"
            if exc.suggestions
            else "run `statuskit status` to list the tasks"
        )
        return CliError("not_found", str(exc), hint, task=exc.task_id)
    if isinstance(exc, (errors.RunNotFound, errors.FindingsNotFound)):
        return CliError("not_found", str(exc), "check the id")
    if isinstance(exc, errors.StatusMissing):
        return CliError(
            "not_found", str(exc), "create it with `statuskit init --plan PLAN.md`", path=exc.path
        )
    if isinstance(exc, errors.InvalidTaskId):
        return CliError("usage", str(exc), "task ids look like 1.2 or 3.4.1")
    if isinstance(exc, errors.InvalidTransition):
        return CliError(
            "invalid_transition",
            str(exc),
            exc.hint or "see the transition table in docs/concepts.md",
            task=exc.task_id,
            fromState=exc.from_state,
            toState=exc.to_state,
        )
    if isinstance(exc, errors.LockTimeout):
        who = f"process {exc.holder_pid}" if exc.holder_pid else "another writer"
        return CliError(
            "lock_busy",
            str(exc),
            f"{who} holds the lock; retry, raise --lock-timeout, or check that process",
            holder=exc.holder,
        )
    if isinstance(exc, errors.RepairRefused):
        return CliError("corrupt", str(exc), "restore a copy by hand, or use --rebuild")
    if isinstance(exc, errors.CorruptStatus):
        return CliError(
            "corrupt",
            str(exc),
            "run `statuskit validate --repair` to restore the newest valid backup"
            if exc.backups
            else "no backup exists: `statuskit validate --repair --rebuild` rebuilds from the plan",
            path=exc.path,
            backups=list(exc.backups),
        )
    if isinstance(exc, errors.SchemaTooNew):
        return CliError("schema_too_new", str(exc), "upgrade statuskit to change this file")
    if isinstance(exc, errors.StatusExists):
        return CliError(
            "exists", str(exc), "use `statuskit sync-check` to compare it with the plan"
        )
    if isinstance(exc, errors.PlanError):
        return CliError(
            "plan_error", str(exc), "a plan has '## Phase N: ...' and '- [ ] N.N' tasks"
        )
    if isinstance(exc, ValueError):
        return CliError("usage", str(exc), "")
    if isinstance(exc, OSError):
        return CliError("io_error", f"{exc.strerror or exc}: {exc.filename or ''}".strip(": "))
    return CliError(
        "internal",
        f"{type(exc).__name__}: {exc}",
        "this is a bug in statuskit; please report it with the command you ran",
    )


def _error_document(error: CliError) -> dict[str, Any]:
    body: dict[str, Any] = {"code": error.code, "message": error.message, "hint": error.hint}
    if error.details:
        body["details"] = error.details
    return {"ok": False, "error": body}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (the console script exits with it)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        only = next((arg for arg in args_list if arg in COMMANDS), None)
        parser, handlers = build_parser(only)
        try:
            args = parser.parse_args(args_list)
        except CliError:
            if only is None:
                raise
            parser, handlers = build_parser()  # the canonical message, from the full parser
            args = parser.parse_args(args_list)
        if args.version:
            from statuskit._version import __version__

            _emit({"ok": True, "version": __version__})
            return 0
        if args.command is None:
            raise CliError("usage", "no command given", "see `statuskit --help`")
        result = handlers[args.command](Context(args), args)
        if isinstance(result, int):
            return result  # a command that printed its own output (stream, run, demo)
        if isinstance(result, str):
            sys.stdout.write(result + "\n")
            sys.stdout.flush()
            return 0
        _emit(result)
        return 0
    except SystemExit as exc:  # --help and argparse's own exits
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        _emit(_error_document(CliError("internal", "interrupted", "")))
        return 130
    except BrokenPipeError:
        return 0
    except BaseException as exc:
        error = _translate(exc)
        if os.environ.get("STATUSKIT_DEBUG"):
            import traceback

            traceback.print_exc()
        _emit(_error_document(error))
        return EXIT_CODES[error.code]
