"""The loop: claim, prompt, run the agent, watch it live, retry, and stop honestly.

Built only on statuskit's public API. One iteration:

1. read the status; stop when every task is done (*complete*);
2. with ``stuck_after``, mark tasks in progress for too long failed;
3. claim up to ``batch`` ready tasks (failed ones below the retry limit included: the claim
   counts the retry); wait ``backoff * 2**(retry-1)`` seconds before a retry;
4. run the agent with a prompt naming the tasks and the exact statuskit commands, parse its
   stream live, kill it (and its process group) at the timeout;
5. any claimed task the agent left in progress is marked failed with the reason.

When nothing can be claimed and nothing is running, the plan is *blocked* (a failed task is
out of retries, or dependencies can no longer be met) — never reported complete.
"""

from __future__ import annotations

import contextlib
import os
import queue
import shlex
import sys
import time
from collections.abc import Sequence
from datetime import timedelta

import attrs

from statuskit import (
    PlanStatus,
    StatusKitError,
    StatusStore,
    Task,
    TaskState,
    Tracker,
    is_complete,
)
from statuskit.orchestrator.agent import AgentSession, SessionEnd
from statuskit.orchestrator.prompt import build_prompt
from statuskit.orchestrator.ui import View
from statuskit.orchestrator.watch import StatusWatcher

__all__ = ["DEFAULT_AGENT", "Orchestrator", "RunConfig", "RunResult"]

#: Claude Code, headless, streaming JSON events; ``{prompt}`` is replaced by the prompt.
DEFAULT_AGENT = "claude -p {prompt} --output-format stream-json --verbose"


@attrs.frozen(kw_only=True)
class RunConfig:
    """What the orchestrator needs to know."""

    cli: Sequence[str]
    """The statuskit command prefix the agent must use (``statuskit --plan plan.md``)."""
    plan_path: str | None = None
    """The plan, named in the prompt."""
    agent: Sequence[str] = attrs.field(factory=lambda: shlex.split(DEFAULT_AGENT))
    """The agent command; a ``{prompt}`` argument is replaced, else the prompt goes to stdin."""
    batch: int = 1
    """Tasks per agent session."""
    max_iterations: int = 50
    """Agent sessions at most."""
    timeout: float = 1800.0
    """Seconds per session before the agent is killed."""
    retries: int = 2
    """Times a failed task is retried."""
    backoff: float = 2.0
    """Seconds before a first retry; doubled for each further one (capped at 5 minutes)."""
    stuck_after: timedelta | None = None
    """Mark tasks in progress for longer than this failed (any owner's)."""
    owner: str = attrs.field(factory=lambda: f"orchestrator-{os.getpid()}")
    """The owner recorded on claimed tasks."""
    cwd: str = "."
    """The agent's working folder."""
    log_dir: str = "logs"
    """Where session logs go."""


@attrs.frozen
class RunResult:
    """How a run ended."""

    outcome: str
    """``complete``, ``blocked`` or ``out_of_iterations``."""
    run_id: str
    """The run recorded in the status."""
    sessions: int
    """Agent sessions started."""
    status: PlanStatus
    """The final status."""
    log_dir: str
    """Where the session logs are."""

    @property
    def failed(self) -> tuple[str, ...]:
        """Ids of tasks that are failed at the end."""
        return tuple(t.id for t in self.status.tasks if t.status is TaskState.FAILED)


class Orchestrator:
    """Drive agents through a plan until it is complete, blocked, or out of sessions."""

    def __init__(self, config: RunConfig, view: View, store: StatusStore) -> None:
        self.config = config
        self.view = view
        self.store = store
        self.tracker = Tracker(store, plan_path=config.plan_path)
        self.log_dir = config.log_dir

    # ------------------------------------------------------------------ helpers

    def _refresh(self) -> None:
        # A corrupt or missing file while someone repairs it: the next change will be read.
        with contextlib.suppress(StatusKitError):
            self.view.status_changed(self.store.read())

    def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            self.view.tick()
            time.sleep(min(0.1, left))

    def _agent_argv(self, prompt: str) -> tuple[list[str], str | None]:
        argv = list(self.config.agent)
        if "{prompt}" in argv:
            return [prompt if part == "{prompt}" else part for part in argv], None
        return argv, prompt

    def _agent_env(self) -> dict[str, str]:
        env = dict(os.environ)
        # The agent runs `statuskit ...`: make sure it finds this installation's command.
        bindir = os.path.dirname(sys.executable)
        env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
        env.pop("STATUSKIT_PLAN", None)
        return env

    # ------------------------------------------------------------------ the loop

    def run(self) -> RunResult:
        """Run until complete, blocked or out of iterations; see the module docstring."""
        config = self.config
        os.makedirs(self.log_dir, exist_ok=True)
        state = self.view.state
        state.max_iterations = config.max_iterations
        run = self.tracker.start_run()
        state.run_id = run.run_id
        watcher = StatusWatcher(self.store, self._refresh).start()
        self.view.start()
        sessions = 0
        outcome = "blocked"
        before = {t.id for t in self.store.read().tasks if t.status is TaskState.COMPLETED}
        try:
            while True:
                status = self.store.read()
                self.view.status_changed(status)
                if is_complete(status.summary):
                    outcome = "complete"
                    break
                if config.stuck_after is not None:
                    for task in self.tracker.fail_stuck(config.stuck_after):
                        self.view.message(f"{task.id} was stuck; marked failed")
                if sessions >= config.max_iterations:
                    outcome = "out_of_iterations"
                    break
                claimed = self.tracker.claim(config.batch, config.owner, max_retries=config.retries)
                if not claimed:
                    running = [
                        t for t in self.store.read().tasks if t.status is TaskState.IN_PROGRESS
                    ]
                    if running:
                        self.view.message(
                            "waiting: " + ", ".join(f"{t.id} ({t.owner})" for t in running)
                        )
                        self._sleep(1.0)
                        continue
                    outcome = "blocked"
                    break
                sessions += 1
                retry = max(task.retry_count for task in claimed)
                if retry:
                    delay = min(config.backoff * 2 ** (retry - 1), 300.0)
                    self.view.message(
                        f"retry {retry} of {', '.join(t.id for t in claimed)} in {delay:.1f}s"
                    )
                    self._sleep(delay)
                self._session(sessions, claimed)
        finally:
            final = self.store.read()
            completed = {t.id for t in final.tasks if t.status is TaskState.COMPLETED}
            failed = sum(1 for t in final.tasks if t.status is TaskState.FAILED)
            self.tracker.complete_run(run.run_id, completed=len(completed - before), failed=failed)
            watcher.stop()
            self.view.stop()
        return RunResult(outcome, run.run_id, sessions, self.store.read(), self.log_dir)

    def _session(self, number: int, claimed: Sequence[Task]) -> SessionEnd:
        config = self.config
        tasks = tuple(claimed)
        ids = tuple(t.id for t in tasks)
        self.view.state.begin_session(number, ids)
        self.view.message(f"session {number}: {', '.join(ids)}")
        prompt = build_prompt(tasks, cli=shlex.join(config.cli), plan_path=config.plan_path)
        argv, stdin_prompt = self._agent_argv(prompt)
        base = os.path.join(self.log_dir, f"{self.view.state.run_id}-session-{number}")
        session = AgentSession(
            argv,
            prompt=stdin_prompt,
            cwd=config.cwd,
            env=self._agent_env(),
            timeout=config.timeout,
            stream_log=base + ".jsonl",
            stderr_log=base + ".stderr.log",
        )
        stream_done = False
        while True:
            try:
                event = session.events.get(timeout=0.1)
            except queue.Empty:
                event = None
            else:
                if event is None:
                    stream_done = True
                else:
                    self.view.event(event)
                    continue
            self.view.tick()
            exited = session.poll()
            if exited and stream_done:
                break
            if exited and session.timed_out:
                # Killed: the pipes close with the process group; drain what is left.
                while (event := session.events.get(timeout=10)) is not None:
                    self.view.event(event)
                break
        end = session.wait()
        if end.timed_out:
            self.view.message(f"session {number} killed after {config.timeout:g}s (timeout)")
        elif end.exit_code:
            self.view.message(f"session {number}: agent exited with code {end.exit_code}")
        self._fail_leftovers(ids, end)
        self._refresh()
        return end

    def _fail_leftovers(self, ids: tuple[str, ...], end: SessionEnd) -> None:
        """Tasks this session claimed and the agent left in progress are failed, with why."""
        status = self.store.read()
        if end.timed_out:
            reason = f"agent killed after {self.config.timeout:g}s timeout"
        elif end.exit_code:
            reason = f"agent exited with code {end.exit_code} without reporting the task"
        else:
            reason = "agent ended without reporting the task"
        for task_id in ids:
            task = status.task(task_id)
            if task.status is TaskState.IN_PROGRESS and task.owner == self.config.owner:
                self.tracker.fail(task_id, error=reason)
                self.view.message(f"{task_id} failed: {reason}")
