"""``statuskit run`` and ``statuskit demo``."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
from typing import Any

from statuskit.cli import CliError, Context
from statuskit.orchestrator.agent import AgentMissing
from statuskit.orchestrator.loop import DEFAULT_AGENT, Orchestrator, RunConfig, RunResult
from statuskit.orchestrator.ui import ViewState, make_view

__all__ = ["DEMO_PLAN", "command_demo", "command_run"]

DEMO_PLAN = """\
# Demo: Add a config loader

A sample plan for `statuskit demo`. A simulated agent carries it out.

## Phase 1: Foundations

- [ ] 1.1 Create the package layout
- [ ] 1.2 Add the configuration schema
- [ ] 1.3 Write the loader (depends: 1.2)
- [ ] 1.4 Document the configuration keys

## Phase 2: Behaviour

**Execution Note:** Tasks 2.1-2.2 are [SEQUENTIAL] - both edit loader.py

- [ ] 2.1 Validate values against the schema
- [ ] 2.2 Report errors with line numbers
- [ ] 2.3 Add environment overrides

## Phase 3: Release

- [ ] 3.1 Write the tests
- [ ] 3.2 Update the changelog
- [ ] 3.3 Tag the release (depends: 3.1, 3.2)
"""


def _cli_prefix(ctx: Context) -> list[str]:
    """The statuskit command the agent must run, pointing at the same status."""
    if ctx.status_arg:
        return ["statuskit", "--status", ctx.status_arg]
    plan = ctx.plan_path()
    assert plan is not None
    prefix = ["statuskit", "--plan", plan]
    if ctx.output_dir != os.path.join("docs", "plan-outputs"):
        prefix += ["--output-dir", ctx.output_dir]
    return prefix


def _agent(args: argparse.Namespace) -> list[str]:
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
    from statuskit.codec import encode_summary

    return {
        "outcome": result.outcome,
        "runId": result.run_id,
        "sessions": result.sessions,
        "summary": encode_summary(result.status.summary),
        "failed": list(result.failed),
        "logs": _shown(result.log_dir),
    }


def _execute(ctx: Context, args: argparse.Namespace, *, backoff: float) -> dict[str, Any]:
    store = ctx.store()
    status = store.read()  # not found / corrupt: reported before anything starts
    agent = _agent(args)
    config = RunConfig(
        status_path=store.path,
        cli=_cli_prefix(ctx),
        plan_path=ctx.plan_path(required=False) or status.plan_path,
        agent=agent,
        batch=max(1, args.batch),
        max_iterations=args.max_iterations,
        timeout=args.timeout,
        retries=args.retries,
        backoff=backoff,
        stuck_after=args.stuck_after,
    )
    if args.dry_run:
        from statuskit.orchestrator.prompt import build_prompt
        from statuskit.scheduling import next_tasks

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
        result = Orchestrator(config, view).run()
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


def command_run(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    """``statuskit run``: drive an agent through the plan."""
    return _execute(ctx, args, backoff=args.backoff)


def command_demo(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    """``statuskit demo``: the whole loop on a sample plan with the simulated agent."""
    from statuskit.planfile import parse_plan, status_from_plan
    from statuskit.tracker import utc_now

    folder = args.dir or tempfile.mkdtemp(prefix="statuskit-demo-")
    os.makedirs(folder, exist_ok=True)
    plan_path = os.path.join(folder, "plan.md")
    with open(plan_path, "w", encoding="utf-8") as handle:
        handle.write(DEMO_PLAN)
    status_path = os.path.join(folder, "status.json")
    from statuskit import JsonFileStore

    store = JsonFileStore(status_path)
    if store.exists():
        os.replace(status_path, status_path + ".previous-demo")
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
