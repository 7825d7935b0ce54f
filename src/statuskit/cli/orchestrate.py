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
    from statuskit import PlanStatus
    from statuskit.orchestrator import AgentCommand, RunResult

_MIB = 1024 * 1024


def _run_options(parser: argparse.ArgumentParser) -> None:
    agent = parser.add_mutually_exclusive_group()
    agent.add_argument(
        "--agent-cmd",
        metavar="CMD",
        help="the agent command; {prompt} is replaced by the prompt, else it goes to stdin "
        "(default: $STATUSKIT_AGENT_CMD, [tool.statuskit] agent in pyproject.toml, "
        "agent in .statuskit.toml, then Claude Code; see docs/howto/claude-code.md)",
    )
    agent.add_argument(
        "--simulate",
        metavar="SCENARIO",
        help="use the built-in simulated agent: ok, flaky, fail, hang or crash",
    )
    parser.add_argument(
        "--batch", type=count, default=1, metavar="N", help="tasks per agent session (1)"
    )
    parser.add_argument(
        "--max-iterations", type=count, default=50, metavar="N", help="agent sessions at most (50)"
    )
    parser.add_argument(
        "--timeout",
        type=seconds,
        default=1800.0,
        metavar="S",
        help="seconds an agent session may last before it is ended (1800)",
    )
    parser.add_argument(
        "--result-grace",
        type=seconds,
        default=10.0,
        metavar="S",
        help="seconds an agent may run on after its result line before it is ended (10)",
    )
    parser.add_argument(
        "--retries",
        type=count,
        default=2,
        metavar="N",
        help="times a failed task is retried (2); `reset TASK_ID --retries` gives it them again",
    )
    parser.add_argument(
        "--lease",
        type=duration,
        default=None,
        metavar="D",
        help="how long a claim lasts between heartbeats, e.g. 45m (default: longer than a session)",
    )
    parser.add_argument(
        "--stuck-after",
        type=duration,
        default=None,
        metavar="D",
        help="mark tasks in progress for longer than D failed, e.g. 45m (default: never)",
    )
    parser.add_argument(
        "--backoff",
        type=seconds,
        default=2.0,
        metavar="S",
        help="seconds before a first retry, doubled for each further one (2)",
    )
    parser.add_argument(
        "--log-cap",
        type=count,
        default=16,
        metavar="MIB",
        help="MiB per session log file before it is rotated (16)",
    )
    parser.add_argument("--no-tui", action="store_true", help="plain lines instead of the UI")
    parser.add_argument(
        "--mcp",
        action="store_true",
        help="also give a Claude Code agent statuskit's MCP tools (--mcp-config; see "
        "docs/howto/mcp.md)",
    )


def _with_mcp(argv: tuple[str, ...], prefix: list[str], log_dir: str) -> tuple[str, ...]:
    """Claude Code's argv with statuskit's MCP server added and its tools allowed.

    The server runs with this installation's Python, on the same plan and store as the
    commands in the prompt; its configuration is written beside the session logs.
    """
    import json

    os.makedirs(log_dir, exist_ok=True)
    config = os.path.join(os.path.abspath(log_dir), "mcp.json")
    server = {"command": sys.executable, "args": ["-m", "statuskit", "mcp", *prefix[1:]]}
    with open(config, "w", encoding="utf-8") as handle:
        json.dump({"mcpServers": {"statuskit": server}}, handle, indent=2)
    words = list(argv)
    if "--allowedTools" in words[:-1]:
        at = words.index("--allowedTools") + 1
        words[at] = f"{words[at]},mcp__statuskit"
    else:
        words += ["--allowedTools", "mcp__statuskit"]
    return (*words, "--mcp-config", config)


def _cli_prefix(ctx: Context) -> list[str]:
    """The statuskit command the agent must run, pointing at the same status."""
    if ctx.status_arg:
        prefix = ["statuskit", "--status", ctx.status_arg]
    else:
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
    if ctx.lock_timeout != 10.0:
        prefix += ["--lock-timeout", f"{ctx.lock_timeout:g}"]
    return prefix


def _log_dir(ctx: Context) -> str:
    """``logs/`` beside the JSON status, or under the output folder for other stores."""
    if ctx.status_arg or ctx.store_url() is None:
        return os.path.join(os.path.dirname(os.path.abspath(ctx.status_path())), "logs")
    return os.path.join(ctx.output_dir, ctx.plan_key(), "logs")


def _agent(args: argparse.Namespace) -> AgentCommand:
    from statuskit.orchestrator import AgentCommand, CommandError, resolve_agent

    if args.simulate:
        from statuskit.orchestrator.simulate import SCENARIOS

        if args.simulate not in SCENARIOS:
            raise CliError(
                "usage", f"unknown scenario {args.simulate!r}", "choose " + ", ".join(SCENARIOS)
            )
        argv = (sys.executable, "-m", "statuskit.orchestrator.simulate", args.simulate)
        return AgentCommand(argv, "--simulate")
    try:
        return resolve_agent(args.agent_cmd)
    except CommandError as exc:
        raise CliError(
            "usage",
            str(exc),
            "give the command to run, e.g. --agent-cmd 'claude -p --output-format stream-json "
            "--verbose'; see docs/howto/claude-code.md",
        ) from None


def _check_agent(agent: AgentCommand) -> None:
    """A missing or unusable agent program is reported before any task is claimed."""
    import shutil

    program = agent.argv[0]
    found = shutil.which(program)
    if found is None and not os.path.exists(program):
        raise CliError(
            "agent_missing",
            f"agent command {program!r} not found (from {agent.source})",
            "install Claude Code (the `claude` command), pass --agent-cmd, or try --simulate ok",
        )
    path = found or program
    if os.path.isdir(path) or not os.access(path, os.X_OK):
        raise CliError(
            "agent_missing",
            f"agent command {program!r} is not an executable file (from {agent.source})",
            "check --agent-cmd",
        )


def _shown(path: str) -> str:
    """A path relative to the current folder when it is inside it (shorter, stable)."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def _result_document(result: RunResult) -> dict[str, Any]:
    document = {
        "outcome": result.outcome,
        "verdict": result.verdict,
        "runId": result.run_id,
        "sessions": result.sessions,
        "summary": summary_json(result.status),
        "failed": list(result.failed),
        "released": list(result.released),
        "logs": _shown(result.log_dir),
    }
    if result.stopped_by:
        document["signal"] = result.stopped_by
    return document


def _fresh_status(ctx: Context, *, dry_run: bool) -> PlanStatus | None:
    """A plan without a status yet gets one (said on stderr); ``None`` when there is one."""
    store = ctx.store()
    if store.exists():
        return None
    plan_path = ctx.plan_path(required=False) if not ctx.status_arg else ctx.plan_arg
    if plan_path is None:
        return None  # nothing to build it from: the read reports not_found with its hint
    from statuskit import status_from_plan, utc_now
    from statuskit.cli._output import warn
    from statuskit.planfile import parse_plan

    plan = parse_plan(ctx.read_plan_text(plan_path), source=plan_path)
    for warning in plan.warnings:
        warn(f"{plan_path}:{warning.line}: {warning.code}: {warning.message}")
    status = status_from_plan(plan, now=utc_now(), plan_path=plan_path)
    if not dry_run:
        store.create(status)
    verb = "would create" if dry_run else "created"
    sys.stderr.write(
        f"statuskit: {plan_path} had no status yet; {verb} {store.location} "
        f"({len(status.tasks)} tasks)\n"
    )
    return status


def _execute(ctx: Context, args: argparse.Namespace, *, backoff: float) -> dict[str, Any]:
    from statuskit.orchestrator import (
        AgentCommand,
        Orchestrator,
        RunConfig,
        ViewState,
        agent_argv,
        build_prompt,
        make_view,
    )

    agent = _agent(args)
    if getattr(args, "mcp", False):
        if args.simulate:
            raise CliError("usage", "--mcp is for a Claude Code agent, not --simulate")
        agent = AgentCommand(_with_mcp(agent.argv, _cli_prefix(ctx), _log_dir(ctx)), agent.source)
    fresh = _fresh_status(ctx, dry_run=args.dry_run)
    tracker = ctx.tracker()
    # Not found / corrupt / another plan's status: said before anything starts.
    status = fresh if fresh is not None and args.dry_run else tracker.status()
    config = RunConfig(
        cli=_cli_prefix(ctx),
        plan_path=ctx.plan_path(required=False) or status.plan_path,
        agent=agent.argv,
        batch=max(1, args.batch),
        max_iterations=args.max_iterations,
        timeout=args.timeout,
        result_grace=args.result_grace,
        retries=args.retries,
        backoff=backoff,
        stuck_after=args.stuck_after,
        lease=getattr(args, "lease", None),
        log_dir=_log_dir(ctx),
        log_cap=max(1, args.log_cap) * _MIB,
    )
    if args.dry_run:
        from statuskit import next_tasks

        tasks = [pick.task for pick in next_tasks(status, config.batch).ready]
        prompt = build_prompt(tasks, cli=shlex.join(config.cli), plan_path=config.plan_path)
        argv, stdin = agent_argv(agent.argv, prompt)
        return {
            "ok": True,
            "dryRun": True,
            "argv": argv,
            "agentSource": agent.source,
            "promptOn": "argv" if stdin is None else "stdin",
            "wouldClaim": [task.id for task in tasks],
            "prompt": prompt,
        }
    if not args.simulate:
        _check_agent(agent)
    view = make_view(ViewState(plan_name=status.plan_name or ""), tui=not args.no_tui)
    result = Orchestrator(config, view, tracker.store).run()
    document = _result_document(result)
    if result.outcome == "complete":
        return {"ok": True, **document}
    # --retries: a plain reset keeps the retry count, so the next run would try only once.
    failed = result.failed[0] if result.failed else "TASK_ID"
    reset = shlex.join([*config.cli, "reset", failed, "--retries"])
    hints = {
        "blocked": f"fix the cause, then `{reset}` (its retries again) and run again",
        "out_of_iterations": "run again, or raise --max-iterations",
        "interrupted": "run again to go on: the tasks it held are pending again",
        "agent_missing": "check --agent-cmd (see docs/howto/claude-code.md)",
    }
    code = "interrupted" if result.outcome == "interrupted" else result.outcome
    raise CliError(code, result.verdict, hints.get(code, ""), **document)


def args_run(parser: argparse.ArgumentParser) -> None:
    _run_options(parser)


def run_run(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    return _execute(ctx, args, backoff=args.backoff)


def args_demo(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dir", help="folder for the demo (default: a new temporary folder)")
    parser.add_argument("--no-tui", action="store_true", help="plain lines instead of the UI")
    parser.add_argument(
        "--scenario",
        default="flaky",
        metavar="NAME",
        help="what the simulated agent does: ok, flaky, fail, hang or crash (flaky)",
    )
    parser.add_argument(
        "--timeout",
        type=seconds,
        default=20.0,
        metavar="S",
        help="seconds an agent session may last before it is ended (20)",
    )


def _demo_folder(folder: str, plan_text: str) -> None:
    """Refuse a folder holding anything of someone else's: another plan, or a status.

    The only status it accepts is an earlier demo's (the folder's plan is the demo plan, and
    the status is that plan's): it is moved aside to ``status.json.previous-demo``.
    """
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise CliError("usage", f"--dir {folder} is a file, not a folder")
    plan_path = os.path.join(folder, "plan.md")
    status_path = os.path.join(folder, "status.json")
    hint = "choose an empty folder (or leave --dir out for a temporary one)"
    same_plan = False
    if os.path.lexists(plan_path):
        try:
            with open(plan_path, encoding="utf-8") as handle:
                same_plan = handle.read() == plan_text
        except (OSError, UnicodeDecodeError):
            same_plan = False
        if not same_plan or os.path.islink(plan_path):
            raise CliError("exists", f"{plan_path} exists and is not the demo plan", hint)
    if os.path.lexists(status_path):
        from statuskit import JsonFileStore, StatusKitError, parse_plan

        try:
            earlier = JsonFileStore(status_path).read()
        except StatusKitError:
            earlier = None
        # Recorded paths are relative to wherever that demo ran from: compare what they name.
        ours = (
            earlier is not None
            and os.path.basename(earlier.plan_path or "") == "plan.md"
            and earlier.plan_name == parse_plan(plan_text).title
        )
        if not (same_plan and ours) or os.path.islink(status_path):
            raise CliError("exists", f"{status_path} exists and is not an earlier demo's", hint)
        os.replace(status_path, status_path + ".previous-demo")


def run_demo(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    from statuskit import open_store, parse_plan, status_from_plan, utc_now
    from statuskit.orchestrator import DEMO_PLAN

    folder = args.dir or tempfile.mkdtemp(prefix="statuskit-demo-")
    _demo_folder(folder, DEMO_PLAN)
    os.makedirs(folder, exist_ok=True)
    plan_path = os.path.join(folder, "plan.md")
    with open(plan_path, "w", encoding="utf-8") as handle:
        handle.write(DEMO_PLAN)
    status_path = os.path.join(folder, "status.json")
    with open_store(status_path) as store:
        store.create(status_from_plan(parse_plan(DEMO_PLAN), now=utc_now(), plan_path=plan_path))
    run_args = argparse.Namespace(
        simulate=args.scenario,
        agent_cmd=None,
        batch=1,
        max_iterations=40,
        timeout=args.timeout,
        result_grace=10.0,
        retries=2,
        stuck_after=None,
        log_cap=16,
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
