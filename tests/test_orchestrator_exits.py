"""Every way out of a run leaves nothing behind: no process, no task held, no open run.

Each path is taken end to end with real processes: the orchestrator is a ``statuskit run``
subprocess (or, for a fault injected into its own code, a Python process driving it), the
agent a real command. After each test, nothing the test started may still run — checked
among the test's own descendants only (:func:`tests.procs.leftovers`).
"""

from __future__ import annotations

import shlex
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from statuskit import PlanStatus, TaskState
from statuskit.cli import EXIT_CODES
from statuskit.orchestrator import NO_REPORT
from statuskit.orchestrator.holder import holder_name

from .clihelp import SRC, Result
from .fakeclaude import (
    ONE_TASK_PLAN,
    environment,
    finish,
    no_leftovers,
    start,
    status_of,
    status_path,
    statuskit,
    subreaper,
    wait_for,
    write_plan,
)
from .procs import descendants, leftovers

__all__ = ["no_leftovers", "subreaper"]  # fixtures used by name

pytestmark = pytest.mark.usefixtures("no_leftovers")

PY = sys.executable


def python_agent(code: str) -> str:
    """An --agent-cmd running ``code`` with this Python (no shell, no other program)."""
    return shlex.join([PY, "-c", code])


def run(folder: Path, *options: str) -> tuple[Result, PlanStatus]:
    result = statuskit("--plan", "plan.md", "run", "--no-tui", *options, cwd=folder)
    assert "Traceback" not in result.stderr, result.stderr
    return result, status_of(folder)


def assert_closed(status: PlanStatus) -> None:
    """No task in progress, and the run is closed."""
    assert [t.id for t in status.tasks if t.status is TaskState.IN_PROGRESS] == []
    assert status.runs
    assert status.runs[-1].completed_at is not None


class TestSessionEnds:
    """The agent exits, times out, or its children hold its output."""

    def test_background_child_holding_stdout(self, tmp_path: Path) -> None:
        """`sleep 600 & exit 0`: ended after a short linger, the child killed, the task failed."""
        write_plan(tmp_path, ONE_TASK_PLAN)
        agent = python_agent(
            "import subprocess, sys; "
            "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])"
        )
        result, status = run(tmp_path, "--agent-cmd", agent, "--retries", "0")
        assert result.code == EXIT_CODES["blocked"], result.stdout
        task = status.task("1.1")
        assert task.status is TaskState.FAILED
        assert task.error == (
            f"{NO_REPORT} (no result line; exited, but a process it started kept its output open)"
        )
        assert_closed(status)

    def test_timeout_with_a_setsid_grandchild_holding_the_pipe(self, tmp_path: Path) -> None:
        """A grandchild in its own session keeps the pipe: the timeout still ends it all."""
        write_plan(tmp_path, ONE_TASK_PLAN)
        agent = python_agent(
            "import subprocess, sys, time; "
            "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'], "
            "start_new_session=True); time.sleep(600)"
        )
        result, status = run(tmp_path, "--agent-cmd", agent, "--retries", "0", "--timeout", "1")
        assert result.code == EXIT_CODES["blocked"], result.stdout
        assert status.task("1.1").error == f"{NO_REPORT} (ended at the 1s timeout)"
        assert_closed(status)

    def test_cannot_start_argument_list_too_long(self, tmp_path: Path) -> None:
        """A prompt too long for argv: agent_missing, the task released, the run closed."""
        write_plan(tmp_path, ONE_TASK_PLAN.replace("The only thing", "x" * 300_000))
        result, status = run(tmp_path, "--agent-cmd", shlex.join([PY, "-c", "pass", "{prompt}"]))
        assert result.code == EXIT_CODES["agent_missing"], result.stdout
        error = result.json["error"]
        assert "Argument list too long" in error["message"]
        assert error["details"]["released"] == ["1.1"]
        task = status.task("1.1")
        assert (task.status, task.retry_count, task.owner) == (TaskState.PENDING, 0, None)
        assert_closed(status)


def hanging_run(folder: Path, *options: str) -> subprocess.Popen[str]:
    """A run whose agent marked 1.1 started and now hangs silently (until the test acts)."""
    write_plan(folder, ONE_TASK_PLAN)
    process = start(
        "--plan", "plan.md", "run", "--no-tui", "--simulate", "hang", "--timeout", "600",
        *options, cwd=folder,
    )  # fmt: skip
    logs = status_path(folder).parent / "logs"

    def agent_working() -> bool:
        # The simulated agent says "Working on 1.1" after its mark-started returned.
        return any(b"Working on 1.1" in p.read_bytes() for p in logs.glob("*.jsonl"))

    wait_for(lambda: process.poll() is not None or agent_working(), "the agent to start 1.1")
    assert process.poll() is None, finish(process)
    return process


class TestLease:
    """The run holds its claims as leases: named holder, heartbeats while the agent lives."""

    def test_heartbeats_keep_a_short_lease_alive(self, tmp_path: Path) -> None:
        """A 3 s lease on a silent agent: renewed while it lives, held by the run's pid."""
        process = hanging_run(tmp_path, "--lease", "3s")
        try:
            first = status_of(tmp_path).task("1.1")
            assert first.token is not None
            assert first.holder is not None
            assert first.holder.pid == process.pid
            assert first.lease_expires_at is not None
            later = first.lease_expires_at + timedelta(seconds=2)

            def renewed() -> bool:
                task = status_of(tmp_path).task("1.1")
                return task.lease_expires_at is not None and task.lease_expires_at > later

            wait_for(renewed, "a heartbeat to extend the lease")
            task = status_of(tmp_path).task("1.1")
            assert (task.status, task.token, task.reclaim_count) == (
                TaskState.IN_PROGRESS,
                first.token,
                0,
            )
        finally:
            process.send_signal(signal.SIGINT)
            finish(process)


class TestStopped:
    """Ctrl-C, SIGTERM, SIGKILL, and a fault in the orchestrator's own code."""

    @pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
    def test_signal_releases_and_closes(self, tmp_path: Path, sig: signal.Signals) -> None:
        """Exit 130 `interrupted`; the agent's tree ended; 1.1 pending again; run closed."""
        process = hanging_run(tmp_path)
        process.send_signal(sig)
        result = finish(process)
        assert result.code == EXIT_CODES["interrupted"] == 130, result.stdout
        assert "Traceback" not in result.stderr
        error = result.json["error"]
        assert error["code"] == "interrupted"
        assert error["message"].startswith(f"interrupted by {sig.name}")
        assert (error["details"]["signal"], error["details"]["released"]) == (sig.name, ["1.1"])
        status = status_of(tmp_path)
        task = status.task("1.1")
        assert (task.status, task.retry_count, task.owner) == (TaskState.PENDING, 0, None)
        assert_closed(status)
        assert "INTERRUPTED: interrupted by" in result.stderr.splitlines()[-1]

    def test_sigkilled_orchestrator_does_not_block_the_next_run(self, tmp_path: Path) -> None:
        """Its agent dies with it; the next run's claim takes 1.1 back from the dead holder."""
        before = set(descendants())
        process = hanging_run(tmp_path)
        holder = holder_name(process.pid)
        assert status_of(tmp_path).task("1.1").owner == holder
        process.kill()
        finish(process)
        assert leftovers(before) == []  # the keeper ended the agent when its parent died
        result, status = run(tmp_path, "--simulate", "ok")
        assert result.code == 0, result.stderr
        assert f"took back 1.1 from {holder}: no longer running" in result.stderr
        task = status.task("1.1")
        assert (task.status, task.retry_count, task.reclaim_count) == (TaskState.COMPLETED, 0, 1)
        assert_closed(status)

    def test_error_in_the_orchestrators_own_code(self, tmp_path: Path) -> None:
        """A bug (the view raising) is reported as internal; the agent ended; 1.1 released."""
        write_plan(tmp_path, ONE_TASK_PLAN)
        script = (
            "import sys\n"
            "from statuskit.cli import main\n"
            "from statuskit.orchestrator.ui import PlainView\n"
            "def boom(self, event):\n"
            "    if type(event).__name__ == 'ToolStarted':\n"
            "        raise RuntimeError('a bug in the view')\n"
            "PlainView.event = boom\n"
            "sys.exit(main(sys.argv[1:]))\n"
        )
        done = subprocess.run(
            [PY, "-c", script, "--plan", "plan.md", "run", "--no-tui", "--simulate", "hang"],
            cwd=tmp_path,
            env={**environment(), "PYTHONPATH": str(SRC)},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == EXIT_CODES["internal"], done.stdout
        assert "RuntimeError: a bug in the view" in done.stdout
        status = status_of(tmp_path)
        assert status.task("1.1").status is TaskState.PENDING
        assert_closed(status)
