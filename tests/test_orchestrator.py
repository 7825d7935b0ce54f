"""The orchestrator: the whole loop with the simulated agent, the live view, the prompt."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from statuskit import JsonFileStore, PlanStatus, Task, TaskState, Tracker
from statuskit.cli import EXIT_CODES
from statuskit.orchestrator import (
    DEMO_PLAN,
    PlainView,
    RichView,
    StatusWatcher,
    ViewState,
    build_prompt,
)
from statuskit.orchestrator.agent import AgentSession
from statuskit.orchestrator.ui import make_view
from statuskit.planfile import parse_plan, status_from_plan
from statuskit.stream import ToolFinished, ToolStarted

from .clihelp import SRC, Result
from .procs import become_subreaper, cmdline, descendants

FAST = {"STATUSKIT_SIM_DELAY": "0.005"}


def statuskit(*argv: str, cwd: Path, timeout: float = 240) -> Result:
    env = {**os.environ, **FAST, "PYTHONPATH": str(SRC)}
    done = subprocess.run(
        [sys.executable, "-m", "statuskit", *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A folder with the 10-task demo plan and its status."""
    (tmp_path / "plan.md").write_text(DEMO_PLAN)
    result = statuskit("--plan", "plan.md", "init", cwd=tmp_path)
    assert result.code == 0, result.stdout
    return tmp_path


def run_plan(folder: Path, *options: str) -> tuple[Result, PlanStatus]:
    result = statuskit(
        "--plan", "plan.md", "run", "--no-tui", "--backoff", "0.05", *options, cwd=folder
    )
    assert "Traceback" not in result.stderr, result.stderr
    status = JsonFileStore(folder / "docs/plan-outputs/plan/status.json").read()
    return result, status


def leftover_agents(scenario: str) -> list[int]:
    """Simulated agents of this scenario that this test process started and are still alive."""
    found = []
    for pid in descendants():
        args = cmdline(pid)
        if b"statuskit.orchestrator.simulate" in args and scenario.encode() in args:
            found.append(pid)
    return found


class TestEndToEnd:
    """statuskit run --simulate ..., as real processes, every task checked."""

    def test_ok_completes(self, demo: Path) -> None:
        """A 10-task plan completes with no intervention; the run is recorded."""
        result, status = run_plan(demo, "--simulate", "ok", "--batch", "3")
        assert result.code == 0, (result.stdout, result.stderr[-2000:])
        document = json.loads(result.stdout)
        assert document["outcome"] == "complete"
        assert all(t.status is TaskState.COMPLETED for t in status.tasks)
        assert all(t.retry_count == 0 for t in status.tasks)
        assert all((t.notes or "").startswith("simulated: ") for t in status.tasks)
        run = status.runs[-1]
        assert (run.run_id, run.tasks_completed, run.tasks_failed) == (document["runId"], 10, 0)
        assert run.completed_at is not None
        logs = list((demo / "docs/plan-outputs/plan/logs").glob("*.jsonl"))
        assert len(logs) == document["sessions"] >= 4  # 10 tasks in batches of 3, phase order

    def test_flaky_succeeds_on_retry(self, demo: Path) -> None:
        """Tasks that fail once succeed on retry, with the retry counted in the status."""
        result, status = run_plan(demo, "--simulate", "flaky")
        assert result.code == 0, result.stdout
        for task in status.tasks:
            assert task.status is TaskState.COMPLETED, task.id
            flaky = task.id.endswith(".3")
            assert task.retry_count == (1 if flaky else 0), task.id
            assert (task.last_error == "simulated failure: tests fail") is flaky

    def test_always_failing_task_blocks(self, demo: Path) -> None:
        """A task that always fails ends the run as blocked after 2 retries; not complete."""
        result, status = run_plan(demo, "--simulate", "fail", "--retries", "2")
        assert result.code == EXIT_CODES["blocked"]
        document = json.loads(result.stdout)
        assert document["ok"] is False
        assert document["error"]["code"] == "blocked"
        assert document["error"]["details"]["failed"] == ["1.3"]
        task = status.task("1.3")
        assert (task.status, task.retry_count) == (TaskState.FAILED, 2)
        done = [t.id for t in status.tasks if t.status is TaskState.COMPLETED]
        assert done == ["1.1", "1.2", "1.4"]  # 1.4 does not depend on 1.3
        later = [t for t in status.tasks if not t.id.startswith("1.")]
        assert all(t.status is TaskState.PENDING for t in later)  # phase 1 is unfinished
        assert not status.summary.in_progress

    def test_hanging_agent_is_killed_and_task_retried(self, demo: Path) -> None:
        """A silent agent is killed at the timeout (its group too); the task fails, then retries."""
        started = time.monotonic()
        result, status = run_plan(demo, "--simulate", "hang", "--timeout", "3")
        assert result.code == 0, result.stdout
        assert time.monotonic() - started < 200
        first = status.task("1.1")
        assert (first.status, first.retry_count) == (TaskState.COMPLETED, 1)
        assert first.last_error == "agent killed after 3s timeout"
        assert leftover_agents("hang") == []

    def test_crashing_agent_is_handled(self, demo: Path) -> None:
        """An agent that dies mid-task: the task is failed with the exit code, then retried."""
        result, status = run_plan(demo, "--simulate", "crash")
        assert result.code == 0, result.stdout
        first = status.task("1.1")
        assert (first.status, first.retry_count) == (TaskState.COMPLETED, 1)
        assert first.last_error == "agent exited with code 3 without reporting the task"

    def test_out_of_iterations_and_missing_agent(self, demo: Path) -> None:
        """Distinct exit codes for running out of sessions and for a missing agent binary."""
        result, status = run_plan(demo, "--simulate", "ok", "--max-iterations", "1")
        assert result.code == EXIT_CODES["out_of_iterations"]
        assert status.summary.completed == 1
        missing, _ = run_plan(demo, "--agent-cmd", "no-such-agent-binary {prompt}")
        assert missing.code == EXIT_CODES["agent_missing"]
        assert "not found" in json.loads(missing.stdout)["error"]["message"]

    def test_dry_run_shows_prompt(self, demo: Path) -> None:
        """--dry-run claims nothing and shows the prompt it would send."""
        result, status = run_plan(demo, "--dry-run", "--batch", "2")
        document = json.loads(result.stdout)
        assert document["wouldClaim"] == ["1.1", "1.2"]
        assert "statuskit --plan plan.md mark-started TASK_ID" in document["prompt"]
        assert status.summary.pending == 10

    def test_demo_command(self, tmp_path: Path) -> None:
        """statuskit demo --no-tui runs the sample plan to completion in the given folder."""
        result = statuskit("demo", "--no-tui", "--dir", str(tmp_path / "d"), cwd=tmp_path)
        assert result.code == 0, result.stderr[-2000:]
        document = json.loads(result.stdout)
        assert document["outcome"] == "complete"
        status = JsonFileStore(tmp_path / "d" / "status.json").read()
        assert status.summary.completed == 10


class TestPrompt:
    """The prompt is short, exact and code-free."""

    def test_pinned(self) -> None:
        """Size for a 200-task plan, the exact commands, failure reporting, no inline code."""
        lines = ["# Big"] + [
            f"## Phase {p}: P{p}\n"
            + "\n".join(f"- [ ] {p}.{i} Do thing {i} of phase {p}" for i in range(1, 21))
            for p in range(1, 11)
        ]
        status = status_from_plan(parse_plan("\n".join(lines)), now=_now())
        assert len(status.tasks) == 200
        tasks = status.tasks[:3]
        prompt = build_prompt(tasks, cli="statuskit --plan docs/plans/big.md", plan_path="big.md")
        assert len(prompt) / 4 < 2000  # ~4 characters per token
        assert len(prompt) < 1500
        assert "`" not in prompt
        assert "```" not in prompt
        for task in tasks:
            assert f"- {task.id}: {task.description}" in prompt
        assert "statuskit --plan docs/plans/big.md mark-started TASK_ID" in prompt
        assert "statuskit --plan docs/plans/big.md mark-complete TASK_ID" in prompt
        assert 'statuskit --plan docs/plans/big.md mark-failed TASK_ID --error "why"' in prompt
        assert "Implement each task below directly" in prompt
        whole = build_prompt(status.tasks, cli="statuskit", plan_path=None)
        assert len(whole) / 4 < 2000 * 2  # even all 200 at once stays small

    def test_retry_context(self) -> None:
        """A retried task carries its last error."""
        task = Task(id="1.1", description="X", retry_count=1, last_error="tests failed")
        assert "(retry 1; last error: tests failed)" in build_prompt(
            [task], cli="statuskit", plan_path=None
        )


def _now() -> Any:
    from statuskit import utc_now

    return utc_now()


class TestWatcher:
    """The live view sees changes made by anyone, renames included."""

    @pytest.mark.parametrize("polling", [False, True], ids=["inotify", "polling"])
    def test_external_mark_complete(self, demo: Path, polling: bool) -> None:
        """An external `statuskit mark-complete` is noticed (latency is a benchmark)."""
        path = demo / "docs/plan-outputs/plan/status.json"
        seen = threading.Event()
        store = JsonFileStore(path)

        def changed() -> None:
            if store.read().task("1.1").status is TaskState.COMPLETED:
                seen.set()

        watcher = StatusWatcher(store, changed, force_polling=polling).start()
        try:
            assert watcher.mode == ("polling" if polling else "watch")
            result = statuskit("--plan", "plan.md", "mark-complete", "1.1", cwd=demo)
            assert result.code == 0
            assert seen.wait(10)
        finally:
            watcher.stop()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def sample_state(clock: FakeClock) -> ViewState:
    state = ViewState(clock=clock, plan_name="Demo plan", run_id="run-1", max_iterations=9)
    plan = status_from_plan(parse_plan(DEMO_PLAN), now=_now())
    tracker = Tracker(_memory(plan))
    state.update_status(tracker.status())
    tracker.complete("1.1", notes="laid out")
    tracker.start("1.2", owner="me")
    tracker.start("1.2")
    state.update_status(tracker.status())
    tracker.fail("1.2", error="schema broken")
    state.update_status(tracker.status())
    tracker.start("1.2", owner="me")
    state.update_status(tracker.status())
    state.begin_session(3, ("1.2",))
    state.add_event(ToolStarted(1, "agent", "Agent", None, {"prompt": "explore"}))
    state.add_event(ToolStarted(2, "sub", "Grep", "agent", {"pattern": "schema"}))
    clock.now += 1.5
    state.add_event(ToolFinished(3, "sub", "Grep", "agent", False, 1.5, "3 matches"))
    state.add_event(ToolStarted(4, "bash", "Bash", None, {"command": "pytest -q"}))
    return state


def _memory(status: PlanStatus) -> Any:
    from statuskit import MemoryStore

    return MemoryStore(status)


def render(view: RichView) -> str:
    console = Console(file=io.StringIO(), width=120, record=True, color_system=None)
    console.print(view.render())
    return console.export_text()


class TestRichView:
    """The terminal UI, rendered headlessly."""

    def test_panels(self) -> None:
        """Progress, phases, the tasks in progress (from the status), activity, recent."""
        clock = FakeClock()
        screen = render(RichView(sample_state(clock)))
        for title in ("Progress", "Phases", "In progress", "Activity", "Recent"):
            assert title in screen
        assert "statuskit · Demo: Add a config loader · run-1" in screen  # name from the status
        assert "1/10 done" in screen
        assert "1 in progress" in screen
        assert "Phase 1: Foundations" in screen
        assert "1/4" in screen
        in_progress = screen.split("In progress")[1].split("Activity")[0]
        assert "1.2" in in_progress
        assert "retry 1" in in_progress
        assert "1.3" not in in_progress  # ready next is not "in progress"
        activity = screen.split("Activity")[1].split("Recent")[0]
        rows = [row for row in activity.splitlines() if "Agent" in row or "Grep" in row]
        assert "Agent" in rows[0]
        assert "└ Grep" in rows[1]
        assert "1.5s" in rows[1]
        assert "Bash" in activity
        assert "pytest -q" in activity
        recent = screen.split("Recent")[1]
        assert "1.2 failed" in recent
        assert "schema broken" in recent
        assert "1.1 completed" in recent

    def test_heartbeat_moves_while_silent(self) -> None:
        """With no events, the heartbeat counts up and the spinner changes."""
        clock = FakeClock()
        view = RichView(sample_state(clock))
        first = render(view)
        clock.now += 7.25
        second = render(view)
        assert "last event 0.0s ago" in first
        assert "last event 7.2s ago" in second
        beat = next(line for line in second.splitlines() if "last event" in line)
        assert beat not in first


class TestPlainView:
    """Plain lines: timestamped, with a heartbeat while the agent is silent."""

    def test_lines_and_heartbeat(self) -> None:
        """Tool lines, status changes and 'silent for' lines."""
        clock = FakeClock()
        out = io.StringIO()
        state = ViewState(clock=clock)
        view = PlainView(state, out=out, heartbeat=5)
        plan = status_from_plan(parse_plan(DEMO_PLAN), now=_now())
        view.status_changed(plan)
        state.begin_session(1, ("1.1",))
        view.event(ToolStarted(1, "t", "Bash", None, {"command": "ls"}))
        clock.now += 2
        view.event(ToolFinished(2, "t", "Bash", None, False, 2.0, "ok"))
        tracker = Tracker(_memory(plan))
        tracker.complete("1.1", notes="done it")
        view.status_changed(tracker.status())
        clock.now += 6
        view.tick()
        view.tick()  # not twice within the heartbeat period
        text = out.getvalue()
        assert "> Bash ls" in text
        assert "< Bash ok 2.0s" in text
        assert "task 1.1 done: done it" in text
        assert text.count("agent silent for 6s") == 1

    def test_without_rich_falls_back(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """--no-tui, no terminal, or no rich installed: plain lines, never a crash."""
        monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
        assert isinstance(make_view(ViewState(), tui=True), RichView)
        assert isinstance(make_view(ViewState(), tui=False), PlainView)
        monkeypatch.setitem(sys.modules, "rich", None)
        monkeypatch.setitem(sys.modules, "rich.console", None)
        assert isinstance(make_view(ViewState(), tui=True), PlainView)


class TestAgentSession:
    """The subprocess wrapper: stderr drained, timeouts kill the whole group."""

    def test_stderr_drained_and_logged(self, tmp_path: Path) -> None:
        """An agent writing 2 MiB to stderr does not block; the log has it all."""
        code = "import sys; sys.stderr.write('e' * (2 << 20)); print('{}')"
        session = AgentSession(
            [sys.executable, "-c", code],
            prompt=None,
            cwd=str(tmp_path),
            env=dict(os.environ),
            timeout=60,
            stream_log=str(tmp_path / "s.jsonl"),
            stderr_log=str(tmp_path / "e.log"),
        )
        while not session.poll():
            time.sleep(0.05)
        end = session.wait()
        assert (end.exit_code, end.timed_out) == (0, False)
        assert (tmp_path / "e.log").stat().st_size == 2 << 20
        assert (tmp_path / "s.jsonl").read_text() == "{}\n"

    def test_timeout_kills_group(self, tmp_path: Path) -> None:
        """A silent agent and its child are killed at the timeout."""
        marker = tmp_path / "child.pid"
        code = (
            "import subprocess, sys, time; "
            f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']); "
            f"open({str(marker)!r}, 'w').write(str(p.pid)); time.sleep(600)"
        )
        session = AgentSession(
            [sys.executable, "-c", code],
            prompt=None,
            cwd=str(tmp_path),
            env=dict(os.environ),
            timeout=1.5,
            grace=0.5,
            stream_log=str(tmp_path / "s.jsonl"),
            stderr_log=str(tmp_path / "e.log"),
        )
        while not session.poll():
            time.sleep(0.05)
        end = session.wait()
        assert end.timed_out
        assert 1.4 < end.duration_s < 30
        child = int(marker.read_text())
        deadline = time.monotonic() + 10
        while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        stat = Path(f"/proc/{child}/stat")
        assert not stat.exists() or stat.read_text().split()[2] == "Z"


@pytest.fixture(scope="module", autouse=True)
def _reap_orphans() -> None:
    """Orphaned agents come back to this process, so leftovers are found among our own."""
    if not become_subreaper():
        pytest.skip("needs Linux (a child subreaper) to find leftover agents")


@pytest.fixture(autouse=True)
def _no_stray_agents(_reap_orphans: None) -> Iterator[None]:
    yield
    for scenario in ("ok", "flaky", "fail", "hang", "crash"):
        assert leftover_agents(scenario) == [], scenario
