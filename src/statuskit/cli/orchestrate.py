"""``statuskit run`` and ``statuskit demo``: the orchestrator's command-line faces."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
from typing import TYPE_CHECKING, Any

from statuskit.cli._args import DEFAULT_OUTPUT_DIR, count, duration, seconds
from statuskit.cli._common import summary_json
from statuskit.cli._context import Context
from statuskit.cli._errors import CliError

if TYPE_CHECKING:
    from statuskit.orchestrator import RunResult


def _run_options(parser: argparse.ArgumentParser) -> None:
    agent = parser.add_mutually_exclusive_group()
    agent.add_argument("--agent-cmd", help="the agent command (default: Claude Code)")
    agent.add_argument("--simulate", metavar="SCENARIO", help="ok, flaky, fail, hang or crash")
    parser.add_argument("--batch", type=count, default=1, help="tasks per agent session (1)")
    parser.add_argument("--max-iterations", type=count, default=50, help="agent sessions (50)")
    parser.add_argument(
        "--timeout", type=seconds, default=1800.0, help="seconds per session (1800)"
    )
    parser.add_argument("--retries", type=count, default=2, help="retries per task (2)")
    parser.add_argument(
        "--stuck-after", type=duration, default=None, help="fail tasks in progress longer (45m)"
    )
    parser.add_argument(
        "--backoff", type=seconds, default=2.0, help="seconds before a first retry (2)"
    )
    parser.add_argument("--no-tui", action="store_true", help="plain lines instead of the UI")


def _cli_prefix(ctx: Context) -> list[str]:
    """The statuskit command the agent must run, pointing at the same status."""
    if ctx.status_arg:
        return ["statuskit", "--status", ctx.status_arg]
    plan = ctx.plan_path()
    assert plan is not None
    prefix = ["statuskit", "--plan", plan]
    url = ctx.store_url()
    if url is not None:
        prefix += ["--store", url]
    if ctx.plan_key_arg:
        prefix += ["--plan-key", ctx.plan_key_arg]
    if ctx.output_dir != DEFAULT_OUTPUT_DIR:
        prefix += ["--output-dir", ctx.output_dir]
    return prefix


def _log_dir(ctx: Context) -> str:
    """``logs/`` beside the JSON status, or under the output folder for other stores."""
    if ctx.status_arg or ctx.store_url() is None:
        return os.path.join(os.path.dirname(os.path.abspath(ctx.status_path())), "logs")
    return os.path.join(ctx.output_dir, ctx.plan_key(), "logs")


def _agent(args: argparse.Namespace) -> list[str]:
    from statuskit.orchestrator import DEFAULT_AGENT

    if args.simulate:
        from statuskit.orchestrator.simulate import SCENARIOS

        if args.simulate not in SCENARIOS:
            raise CliError(
                "usage", f"unknown scenario {args.simulate!r}", "choose " + ", ".join(SCENARIOS)
            )
        return [sys.executable, "-m", "statuskit.orchestrator.simulate", args.simulate]
    return shlex.split(args.agent_cmd or DEFAULT_AGENT)


def _shown(path: str) -> str:
    """A path relative to the current folder when it is inside it (shorter, stable)."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def _result_document(result: RunResult) -> dict[str, Any]:
    return {
        "outcome": result.outcome,
        "runId": result.run_id,
        "sessions": result.sessions,
        "summary": summary_json(result.status),
        "failed": list(result.failed),
        "logs": _shown(result.log_dir),
    }


def _execute(ctx: Context, args: argparse.Namespace, *, backoff: float) -> dict[str, Any]:
    from statuskit.orchestrator import (
        AgentMissing,
        Orchestrator,
        RunConfig,
        ViewState,
        build_prompt,
        make_view,
    )

    tracker = ctx.tracker()
    status = tracker.status()  # not found / corrupt / another plan: before anything starts
    agent = _agent(args)
    config = RunConfig(
        cli=_cli_prefix(ctx),
        plan_path=ctx.plan_path(required=False) or status.plan_path,
        agent=agent,
        batch=max(1, args.batch),
        max_iterations=args.max_iterations,
        timeout=args.timeout,
        retries=args.retries,
        backoff=backoff,
        stuck_after=args.stuck_after,
        log_dir=_log_dir(ctx),
    )
    if args.dry_run:
        from statuskit import next_tasks

        report = next_tasks(status, config.batch)
        tasks = [pick.task for pick in report.ready]
        return {
            "ok": True,
            "dryRun": True,
            "agent": agent,
            "wouldClaim": [task.id for task in tasks],
            "prompt": build_prompt(tasks, cli=shlex.join(config.cli), plan_path=config.plan_path),
        }
    if not args.simulate:
        import shutil

        if shutil.which(agent[0]) is None and not os.path.exists(agent[0]):
            raise CliError(
                "agent_missing",
                f"agent command {agent[0]!r} not found",
                "install Claude Code (the `claude` command), pass --agent-cmd, or try "
                "--simulate ok",
            )
    view = make_view(ViewState(plan_name=status.plan_name or ""), tui=not args.no_tui)
    try:
        result = Orchestrator(config, view, tracker.store).run()
    except AgentMissing as exc:
        raise CliError("agent_missing", str(exc), "check --agent-cmd") from None
    document = _result_document(result)
    if result.outcome == "complete":
        return {"ok": True, **document}
    if result.outcome == "blocked":
        raise CliError(
            "blocked",
            "the plan is blocked: "
            + (
                f"{', '.join(result.failed)} failed beyond {args.retries} retries"
                if result.failed
                else "no task can start"
            ),
            "fix the cause, then `statuskit reset TASK_ID` and run again",
            **document,
        )
    raise CliError(
        "out_of_iterations",
        f"stopped after {result.sessions} sessions with work left",
        "run again, or raise --max-iterations",
        **document,
    )


def args_run(parser: argparse.ArgumentParser) -> None:
    _run_options(parser)


def run_run(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    return _execute(ctx, args, backoff=args.backoff)


def args_demo(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dir", help="folder for the demo (default: a new temporary folder)")
    parser.add_argument("--no-tui", action="store_true", help="plain lines instead of the UI")
    parser.add_argument(
        "--scenario", default="flaky", help="ok, flaky, fail, hang or crash (flaky)"
    )
    parser.add_argument(
        "--timeout", type=seconds, default=20.0, help="seconds per agent session (20)"
    )


def run_demo(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    from statuskit import open_store, parse_plan, status_from_plan, utc_now
    from statuskit.orchestrator import DEMO_PLAN

    folder = args.dir or tempfile.mkdtemp(prefix="statuskit-demo-")
    os.makedirs(folder, exist_ok=True)
    plan_path = os.path.join(folder, "plan.md")
    with open(plan_path, "w", encoding="utf-8") as handle:
        handle.write(DEMO_PLAN)
    status_path = os.path.join(folder, "status.json")
    if os.path.exists(status_path):
        os.replace(status_path, status_path + ".previous-demo")
    with open_store(status_path) as store:
        store.create(status_from_plan(parse_plan(DEMO_PLAN), now=utc_now(), plan_path=plan_path))
    run_args = argparse.Namespace(
        simulate=args.scenario,
        agent_cmd=None,
        batch=1,
        max_iterations=40,
        timeout=args.timeout,
        retries=2,
        stuck_after=None,
        no_tui=args.no_tui,
        dry_run=False,
    )
    ctx.status_arg = status_path
    ctx.plan_arg = plan_path
    sys.stderr.write(f"statuskit demo in {folder} (scenario {args.scenario})\n")
    try:
        document = _execute(ctx, run_args, backoff=0.5)
    except CliError as exc:
        exc.details["folder"] = folder
        raise
    return {**document, "folder": folder}
