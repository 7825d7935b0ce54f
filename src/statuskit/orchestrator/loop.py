"""The loop: claim, prompt, run the agent, watch it live, retry, and stop honestly — on every path.

Built only on statuskit's public API. One iteration:

1. read the status; stop when every task is done (*complete*);
2. with ``stuck_after``, mark tasks in progress for too long failed;
3. look at what a claim would take; a retry first waits ``backoff * 2**(retry-1)`` seconds
   (the task stays *failed* meanwhile, so the screen does not show it running), then claims;
4. run the agent under a keeper with a prompt naming the tasks and the exact statuskit
   commands; parse its stream live; end it at the timeout, or soon after its ``result``;
5. a claimed task the agent left in progress *fails*: "agent ended without reporting the task"
   with the detail (exit code, timeout, no result line) — retried like any failure.

When nothing can be claimed, tasks held by a dead orchestrator on this host are released;
tasks held by a live one are waited for; with nothing left to wait for, the plan is *blocked*
(a failed task is out of retries, or dependencies can no longer be met) — never complete.

Every other way out — the agent cannot start, Ctrl-C, SIGTERM, SIGHUP, an error in this code —
ends the session's whole process tree, *releases* the tasks this run holds (back to pending:
the stop was not the task's fault, so no retry is counted), closes the run, and shows a verdict.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from typing import Any

import attrs

from statuskit import (
    InvalidTransition,
    Lease,
    Op,
    PlanStatus,
    StaleClaim,
    StatusKitError,
    StatusStore,
    Task,
    TaskState,
    Tracker,
    apply_batch,
    is_complete,
    utc_now,
)
from statuskit.orchestrator.agent import AgentMissing, AgentSession
from statuskit.orchestrator.command import DEFAULT_AGENT, agent_argv
from statuskit.orchestrator.holder import holder_name
from statuskit.orchestrator.logs import DEFAULT_KEEP_RUNS, DEFAULT_LOG_CAP, prune_runs
from statuskit.orchestrator.prompt import build_prompt
from statuskit.orchestrator.ui import View
from statuskit.orchestrator.verdicts import NO_REPORT, session_reason, verdict
from statuskit.orchestrator.watch import StatusWatcher

__all__ = ["NO_REPORT", "Orchestrator", "RunConfig", "RunResult"]

_STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


@attrs.frozen(kw_only=True)
class RunConfig:
    """What the orchestrator needs to know."""

    cli: Sequence[str]
    """The statuskit command prefix the agent must use (``statuskit --plan plan.md``)."""
    plan_path: str | None = None
    """The plan, named in the prompt."""
    agent: Sequence[str] = DEFAULT_AGENT
    """The agent command; a ``{prompt}`` argument is replaced, else the prompt goes to stdin."""
    batch: int = 1
    """Tasks per agent session."""
    max_iterations: int = 50
    """Agent sessions at most."""
    timeout: float = 1800.0
    """Seconds per session (pipes included) before the agent is ended."""
    result_grace: float = 10.0
    """Seconds an agent may keep running after printing its ``result`` line."""
    kill_grace: float = 3.0
    """Seconds between SIGTERM and SIGKILL when a session is ended."""
    retries: int = 2
    """Times a failed task is retried."""
    backoff: float = 2.0
    """Seconds before a first retry; doubled for each further one (capped at 5 minutes)."""
    stuck_after: timedelta | None = None
    """Mark tasks in progress for longer than this failed (any owner's)."""
    owner: str = attrs.field(factory=holder_name)
    """The holder recorded on claimed tasks (``orchestrator-<pid>@<host>``)."""
    lease: timedelta | None = None
    """How long a claim lasts without a heartbeat; by default longer than a whole session
    (timeout + result grace + two minutes), so only a dead or stalled run loses it."""
    cwd: str = "."
    """The agent's working folder."""
    log_dir: str = "logs"
    """Where session logs go."""
    log_cap: int = DEFAULT_LOG_CAP
    """Bytes per session log file before it is rotated."""
    keep_runs: int = DEFAULT_KEEP_RUNS
    """Runs whose session logs are kept."""


@attrs.frozen
class RunResult:
    """How a run ended."""

    outcome: str
    """``complete``, ``blocked``, ``out_of_iterations``, ``interrupted`` or ``agent_missing``."""
    run_id: str
    """The run recorded in the status."""
    sessions: int
    """Agent sessions started."""
    status: PlanStatus
    """The final status."""
    log_dir: str
    """Where the session logs are."""
    verdict: str = ""
    """One line saying what happened."""
    released: tuple[str, ...] = ()
    """Tasks this run held and gave back (pending again) when it stopped."""
    stopped_by: str | None = None
    """The signal that interrupted the run (``SIGINT``...)."""

    @property
    def failed(self) -> tuple[str, ...]:
        """Ids of tasks that are failed at the end."""
        return tuple(t.id for t in self.status.tasks if t.status is TaskState.FAILED)


def session_lease(config: RunConfig) -> timedelta:
    """The lease of a claim: the configured one, or longer than a whole session."""
    if config.lease is not None:
        return config.lease
    return timedelta(seconds=config.timeout + config.result_grace + config.kill_grace + 120)


class Orchestrator:
    """Drive agents through a plan until it is complete, blocked, out of sessions, or stopped."""

    def __init__(self, config: RunConfig, view: View, store: StatusStore) -> None:
        self.config = config
        self.view = view
        self.store = store
        self.tracker = Tracker(store, plan_path=config.plan_path)
        self.log_dir = config.log_dir
        self._stop: str | None = None
        self._stops = 0
        self._session_now: AgentSession | None = None
        self._waiting_for: tuple[str, ...] = ()
        self._lost: set[str] = set()
        self._observing = threading.Lock()
        self._seen = 0  # the last journal revision shown (set when the run starts)

    # ------------------------------------------------------------------ helpers

    def _refresh(self) -> None:
        # A corrupt or missing file while someone repairs it: the next change will be read.
        with contextlib.suppress(StatusKitError):
            self._observe(self.store.read())

    def _observe(self, status: PlanStatus) -> None:
        """Show a snapshot with the journal's events since the last one shown.

        The watcher's thread and the loop both call this; the lock keeps each event shown
        once, in journal order.
        """
        with self._observing:
            try:
                events = self.tracker.history(since=self._seen)
            except StatusKitError:
                events = []
            if events:
                self._seen = max(self._seen, events[-1].rev)
            self.view.status_changed(status, events)

    def _stopping(self) -> bool:
        # A method, not a field test: a signal handler sets the field between two reads.
        return self._stop is not None

    def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0 and self._stop is None:
            self.view.tick()
            time.sleep(min(0.1, left))

    def _agent_env(self) -> dict[str, str]:
        env = dict(os.environ)
        # The agent runs `statuskit ...`: make sure it finds this installation's command.
        bindir = os.path.dirname(sys.executable)
        env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
        env.pop("STATUSKIT_PLAN", None)
        return env

    @contextlib.contextmanager
    def _signals(self) -> Iterator[None]:
        """Turn Ctrl-C, SIGTERM and SIGHUP into a request to stop, checked at safe points.

        A signal never lands in the middle of a status write this way; the loop notices it
        within a tenth of a second. A second signal skips the agent's grace period.
        """
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def request(signum: int, frame: Any) -> None:
            self._stop = signal.Signals(signum).name
            self._stops += 1

        previous = {sig: signal.signal(sig, request) for sig in _STOP_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _settle(
        self, ids: Sequence[str], owners: set[str], target: TaskState, error: str
    ) -> list[str]:
        """Move the tasks among ``ids`` still in progress under one of ``owners``, atomically."""
        now = utc_now()
        moved: list[str] = []

        def change(current: PlanStatus) -> PlanStatus:
            ops = [
                Op(
                    task_id=task.id,
                    target=target,
                    error=error if target is TaskState.FAILED else None,
                    token=task.token,
                )
                for task in current.tasks
                if task.id in ids and task.status is TaskState.IN_PROGRESS and task.owner in owners
            ]
            moved[:] = [op.task_id for op in ops]
            return apply_batch(current, ops, now=now) if ops else current

        self.store.update(change)
        return moved

    # ------------------------------------------------------------------ the run

    def run(self) -> RunResult:
        """Run until complete, blocked, out of iterations or stopped; see the module docstring.

        The outcome is one of ``complete``, ``blocked``, ``out_of_iterations``,
        ``interrupted`` (a signal) or ``agent_missing`` (the agent command cannot start).
        An error of the orchestrator's own is raised — after the same clean-up.
        """
        config = self.config
        os.makedirs(self.log_dir, exist_ok=True)
        state = self.view.state
        state.max_iterations, state.batch = config.max_iterations, config.batch
        state.owner, state.cwd = config.owner, os.path.abspath(config.cwd)
        first = self.tracker.status()
        self._seen = first.revision  # earlier history is not this run's news
        before = {t.id for t in first.tasks if t.status is TaskState.COMPLETED}
        sessions: list[int] = [0]
        outcome, why, failure = "blocked", "", None
        watcher: StatusWatcher | None = None
        with self._signals():
            run = self.tracker.start_run()
            state.run_id = run.run_id
            try:
                prune_runs(self.log_dir, config.keep_runs, keep=run.run_id)
                watcher = StatusWatcher(self.store, self._refresh).start()
                self.view.start()
                outcome = self._loop(sessions)
            except AgentMissing as exc:
                outcome, why = "agent_missing", str(exc)
            except KeyboardInterrupt:  # only where no handler could be set (not main thread)
                self._stop = self._stop or "SIGINT"
                outcome = "interrupted"
            except BaseException as exc:
                failure = exc
                raise
            finally:
                result = self._wind_down(run.run_id, before, outcome, why, failure, sessions[0])
                if watcher is not None:
                    watcher.stop()
                self.view.stop()
        return result

    def _loop(self, sessions: list[int]) -> str:
        config = self.config
        while True:
            if self._stop is not None:
                return "interrupted"
            status = self.tracker.status()
            self._observe(status)
            if is_complete(status.summary):
                return "complete"
            if config.stuck_after is not None:
                for task in self.tracker.fail_stuck(config.stuck_after):
                    self.view.message(f"{task.id} was stuck; marked failed")
            if sessions[0] >= config.max_iterations:
                return "out_of_iterations"
            preview = self._claim(dry_run=True)
            if not preview:
                running = [t for t in self.store.read().tasks if t.status is TaskState.IN_PROGRESS]
                if not running:
                    return "blocked"
                self._wait_for(running)
                continue
            self._waiting_for = ()
            retried = [t for t in preview if status.task(t.id).status is TaskState.FAILED]
            if retried:
                attempt = max(t.retry_count for t in retried)
                delay = min(config.backoff * 2 ** (attempt - 1), 300.0)
                ids = tuple(t.id for t in retried)
                self.view.state.schedule_retry(ids, attempt, delay)
                self.view.message(f"retry {attempt} of {', '.join(ids)} in {delay:.1f}s")
                self._sleep(delay)
                if self._stopping():
                    return "interrupted"
            before = {lease.task_id: lease for lease in self.tracker.leases()}
            claimed = self._claim(dry_run=False)
            self._say_reclaims(claimed, before)
            if self._stopping():
                return "interrupted"  # what was just claimed is released by the wind-down
            if not claimed:
                continue
            sessions[0] += 1
            self._session(sessions[0], claimed)

    def _claim(self, *, dry_run: bool) -> tuple[Task, ...]:
        """Lease up to ``batch`` tasks to this run, naming this process as their holder.

        Tasks of a holder that died on this host (a run killed with SIGKILL) or whose lease
        ran out are taken back by the claim itself.
        """
        config = self.config
        return self.tracker.claim(
            config.batch,
            config.owner,
            lease=session_lease(config),
            pid=os.getpid(),
            max_retries=config.retries,
            dry_run=dry_run,
        )

    def _heartbeat(self, tasks: Sequence[Task]) -> None:
        """Extend the leases of this session's tasks still in progress (the agent lives)."""
        for task in tasks:
            if task.token is None or task.id in self._lost:
                continue
            try:
                self.tracker.heartbeat(task.id, task.token)
            except StaleClaim as exc:
                self._lost.add(task.id)
                self.view.message(f"lost the claim on {task.id}: {exc}")
            except (InvalidTransition, StatusKitError):
                continue  # reported (done) or unreadable right now: the next beat retries

    def _wait_for(self, running: Sequence[Task]) -> None:
        """Tasks held by someone alive: say so once (holder, lease end), then wait."""
        leases = {lease.task_id: lease for lease in self.tracker.leases()}

        def held_by(task: Task) -> str:
            lease = leases.get(task.id)
            if lease is None or lease.expires_at is None:
                return f"{task.id} ({task.owner or 'no owner'}, no lease)"
            until = lease.expires_at.astimezone().strftime("%H:%M:%S")
            return f"{task.id} ({task.owner or 'no owner'}, lease until {until})"

        held = tuple(sorted(held_by(task) for task in running))
        if held != self._waiting_for:
            self._waiting_for = held
            unleased = [t.id for t in running if t.id not in leases]
            reset = shlex.join([*self.config.cli, "reset", unleased[0]]) if unleased else ""
            hint = f"; if its holder is gone, `{reset}` frees a task" if unleased else ""
            self.view.message("waiting for " + ", ".join(held) + hint)
        self._sleep(1.0)

    def _say_reclaims(self, claimed: Sequence[Task], before: dict[str, Lease]) -> None:
        """Name the holders this claim took tasks back from (dead, or out of lease)."""
        for task in claimed:
            lease = before.get(task.id)
            if lease is not None:
                why = "no longer running" if lease.holder_dead else "its lease ran out"
                self.view.message(f"took back {task.id} from {lease.owner}: {why}")

    def _session(self, number: int, claimed: Sequence[Task]) -> None:
        config = self.config
        tasks = tuple(claimed)
        ids = tuple(t.id for t in tasks)
        self.view.state.begin_session(number, ids)
        self.view.message(f"session {number}: {', '.join(ids)}")
        prompt = build_prompt(tasks, cli=shlex.join(config.cli), plan_path=config.plan_path)
        argv, stdin_prompt = agent_argv(config.agent, prompt)
        base = os.path.join(self.log_dir, f"{self.view.state.run_id}-session-{number}")
        session = AgentSession(
            argv,
            prompt=stdin_prompt,
            cwd=config.cwd,
            env=self._agent_env(),
            timeout=config.timeout,
            stream_log=base + ".jsonl",
            stderr_log=base + ".stderr.log",
            grace=config.kill_grace,
            result_grace=config.result_grace,
            log_cap=config.log_cap,
        )
        self._session_now = session
        self._lost.clear()
        every = max(1.0, min(60.0, session_lease(config).total_seconds() / 3))
        next_beat = time.monotonic() + every
        try:
            while not session.finished:
                for event in session.pump(0.1):
                    self.view.event(event)
                self.view.tick()
                if time.monotonic() >= next_beat:
                    next_beat = time.monotonic() + every
                    self._heartbeat(tasks)
                if self._stop is not None:
                    session.end(f"interrupted by {self._stop}", hurry=self._stops > 1)
        finally:
            self._session_now = None
            end = session.close(hurry=self._stop is not None)
            self.view.state.end_session()
        if self._stop is not None:
            return  # released by the wind-down, not failed: the stop was not the task's fault
        failed = self._settle(
            ids, {config.owner}, TaskState.FAILED, session_reason(end, config.timeout)
        )
        if not failed and (end.ended_by or end.exit_code):
            how = end.ended_by or f"exit code {end.exit_code}"
            self.view.message(f"session {number} ended ({how}) after reporting its tasks")
        self._refresh()

    # ------------------------------------------------------------------ every way out

    def _wind_down(
        self,
        run_id: str,
        before: set[str],
        outcome: str,
        why: str,
        failure: BaseException | None,
        sessions: int,
    ) -> RunResult:
        """End the session, release this run's tasks, close the run, say the verdict.

        Each step runs even when an earlier one failed; the first failure is raised at the
        end unless the run is already leaving with an exception of its own.
        """
        problems: list[BaseException] = []

        def attempt(step: Callable[[], Any]) -> Any:
            try:
                return step()
            except Exception as exc:  # collected, raised below
                problems.append(exc)
                return None

        session = self._session_now
        if session is not None:
            attempt(lambda: session.close(hurry=True))
            self.view.state.end_session()
        if failure is not None:
            outcome, why = "error", f"stopped by an error: {type(failure).__name__}"
        elif outcome == "interrupted":
            why = f"interrupted by {self._stop}"
        released: list[str] = []
        if outcome != "complete":
            status = attempt(self.store.read)
            ours = [
                t.id
                for t in (status.tasks if status is not None else ())
                if t.status is TaskState.IN_PROGRESS and t.owner == self.config.owner
            ]
            if ours:
                moved = attempt(
                    lambda: self._settle(ours, {self.config.owner}, TaskState.PENDING, "")
                )
                released = list(moved or ())
        final = attempt(self.store.read)
        if final is not None:
            completed = {t.id for t in final.tasks if t.status is TaskState.COMPLETED}
            failed = sum(1 for t in final.tasks if t.status is TaskState.FAILED)
            attempt(
                lambda: self.tracker.complete_run(
                    run_id, completed=len(completed - before), failed=failed
                )
            )
        final = attempt(self.store.read) or final
        said = verdict(outcome, why, final, sessions, released, self.config.retries)
        if released:
            attempt(
                lambda: self.view.message(f"released {', '.join(released)} ({why}): pending again")
            )
        attempt(lambda: self.view.finish(outcome, said))
        if problems and failure is None:
            raise problems[0]
        return RunResult(
            outcome,
            run_id,
            sessions,
            final if final is not None else PlanStatus(tasks=()),
            self.log_dir,
            said,
            tuple(released),
            self._stop,
        )
