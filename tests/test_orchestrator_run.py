"""statuskit run and demo as a user runs them: real processes, every task's final state checked."""

from __future__ import annotations

import json
import shlex
import threading
from pathlib import Path

import pytest

from statuskit import JsonFileStore, PlanStatus, TaskState
from statuskit.cli import EXIT_CODES
from statuskit.orchestrator import DEMO_PLAN, NO_REPORT

from .clihelp import Result, run
from .fakeclaude import (
    ONE_TASK_PLAN,
    environment,
    fake_claude,
    no_leftovers,
    status_of,
    status_path,
    statuskit,
    subreaper,
    write_plan,
)

__all__ = ["no_leftovers", "subreaper"]  # fixtures used by name

pytestmark = pytest.mark.usefixtures("no_leftovers")


def run_plan(
    folder: Path, *options: str, env: dict[str, str] | None = None
) -> tuple[Result, PlanStatus]:
    """``statuskit --plan plan.md run --no-tui ...``: what it said, and the final status."""
    result = statuskit("--plan", "plan.md", "run", "--no-tui", *options, cwd=folder, env=env)
    assert "Traceback" not in result.stderr, result.stderr
    return result, status_of(folder)


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A folder with the 10-task demo plan and its status."""
    write_plan(tmp_path, DEMO_PLAN)
    assert statuskit("--plan", "plan.md", "init", cwd=tmp_path).code == 0
    return tmp_path


class TestSimulated:
    """The whole loop with the simulated agent."""

    def test_ok_completes_in_batches(self, demo: Path) -> None:
        """A 10-task plan completes; the run is recorded with its counts; one log per session."""
        result, status = run_plan(demo, "--simulate", "ok", "--batch", "3")
        assert result.code == 0, result.stderr[-2000:]
        document = result.json
        assert document["outcome"] == "complete"
        assert document["verdict"].startswith("10/10 done in ")
        assert all(t.status is TaskState.COMPLETED for t in status.tasks)
        assert all(t.retry_count == 0 for t in status.tasks)
        assert all((t.notes or "").startswith("simulated: ") for t in status.tasks)
        run = status.runs[-1]
        assert (run.run_id, run.tasks_completed, run.tasks_failed) == (document["runId"], 10, 0)
        assert run.completed_at is not None
        logs = list((demo / "docs/plan-outputs/plan/logs").glob("*.jsonl"))
        assert len(logs) == document["sessions"] >= 4  # 10 tasks in batches of 3, phase order
        assert "COMPLETE: 10/10 done" in result.stderr

    def test_failing_task_blocks_with_a_verdict(self, demo: Path) -> None:
        """Task x.3 always fails: after its retries the run is blocked, never complete."""
        write_plan(demo, DEMO_PLAN.split("## Phase 2")[0])
        status_path(demo).unlink()
        result, status = run_plan(demo, "--simulate", "fail", "--retries", "1", "--backoff", "0.05")
        assert result.code == EXIT_CODES["blocked"], result.stdout
        error = result.json["error"]
        assert error["code"] == "blocked"
        assert error["details"]["failed"] == ["1.3"]
        assert error["message"].startswith("1.3 failed, retried 1 of 1 times: simulated failure")
        task = status.task("1.3")
        assert (task.status, task.retry_count) == (TaskState.FAILED, 1)
        assert [t.id for t in status.tasks if t.status is TaskState.COMPLETED] == [
            "1.1",
            "1.2",
            "1.4",
        ]
        assert not status.summary.in_progress
        assert status.runs[-1].completed_at is not None
        lines = result.stderr.splitlines()
        assert "BLOCKED: 1.3 failed" in lines[-1]  # the last thing said is the verdict
        assert any("task 1.3 retry 1 started" in line for line in lines)
        # The hint is a command that works as printed.
        hinted = shlex.split(error["hint"].split("`")[1])
        assert hinted[0] == "statuskit"
        assert hinted[-3:] == ["reset", "1.3", "--retries"]
        assert run(*hinted[1:], cwd=demo).code == 0
        reset = JsonFileStore(status_path(demo)).read().task("1.3")
        assert (reset.status, reset.retry_count) == (TaskState.PENDING, 0)  # all its retries

    def test_flaky_tasks_succeed_on_retry(self, tmp_path: Path) -> None:
        """Streamed (partial-message) output; 1.3 fails once, then succeeds, counted."""
        write_plan(tmp_path)
        result, status = run_plan(tmp_path, "--simulate", "flaky", "--backoff", "0.05")
        assert result.code == 0, result.stderr
        for task in status.tasks:
            assert task.status is TaskState.COMPLETED, task.id
            flaky = task.id == "1.3"
            assert task.retry_count == (1 if flaky else 0), task.id
            assert (task.last_error == "simulated failure: tests fail") is flaky
        assert "> Bash statuskit mark-complete 1.3" in result.stderr  # input known when said

    def test_crash_fails_the_task_then_retries(self, demo: Path) -> None:
        """An agent dying mid-task: the task fails with the exit code, then succeeds on retry."""
        write_plan(demo, ONE_TASK_PLAN)
        status_path(demo).unlink()
        result, status = run_plan(demo, "--simulate", "crash", "--backoff", "0.05")
        assert result.code == 0, result.stderr
        task = status.task("1.1")
        assert (task.status, task.retry_count) == (TaskState.COMPLETED, 1)
        assert task.last_error == f"{NO_REPORT} (no result line, exit code 3)"

    def test_out_of_iterations(self, demo: Path) -> None:
        """Running out of sessions has its own exit code; the rest stays pending."""
        result, status = run_plan(demo, "--simulate", "ok", "--max-iterations", "1")
        assert result.code == EXIT_CODES["out_of_iterations"]
        assert status.summary.completed == 1
        assert status.summary.pending == 9

    def test_demo_command(self, tmp_path: Path) -> None:
        """statuskit demo --no-tui runs the sample plan to completion in the given folder."""
        result = statuskit(
            "demo", "--no-tui", "--scenario", "ok", "--dir", str(tmp_path / "d"), cwd=tmp_path
        )
        assert result.code == 0, result.stderr[-2000:]
        assert result.json["outcome"] == "complete"
        assert JsonFileStore(tmp_path / "d" / "status.json").read().summary.completed == 10


class TestFreshPlanAndOptions:
    """run on a plan without a status, the lock timeout, the dry run, the agent command."""

    def test_run_creates_the_status(self, tmp_path: Path) -> None:
        """A plan with no status: run creates it, says so on stderr, and completes it."""
        write_plan(tmp_path, ONE_TASK_PLAN)
        result, status = run_plan(tmp_path, "--simulate", "ok")
        assert result.code == 0, result.stderr
        assert "plan.md had no status yet; created" in result.stderr
        assert status.task("1.1").status is TaskState.COMPLETED

    def test_lock_timeout_reaches_the_store(self, tmp_path: Path) -> None:
        """--lock-timeout 0.5 is the timeout the run's own writes wait, not the default 10."""
        write_plan(tmp_path, ONE_TASK_PLAN)
        assert statuskit("--plan", "plan.md", "init", cwd=tmp_path).code == 0
        holding, release = threading.Event(), threading.Event()

        def hold(status: PlanStatus) -> PlanStatus:
            holding.set()
            release.wait(120)
            return status

        store = JsonFileStore(status_path(tmp_path))
        holder = threading.Thread(target=store.update, args=(hold,))
        holder.start()
        try:
            assert holding.wait(60)
            result = statuskit(
                "--plan", "plan.md", "--lock-timeout", "0.5", "run", "--simulate", "ok",
                cwd=tmp_path,
            )  # fmt: skip
        finally:
            release.set()
            holder.join()
        assert result.code == EXIT_CODES["lock_busy"], result.stdout
        assert "within 0.5s" in result.json["error"]["message"]
        status = status_of(tmp_path)
        assert status.task("1.1").status is TaskState.PENDING
        assert status.runs == ()  # refused before anything was written

    def test_dry_run_shows_the_exact_claude_argv(self, tmp_path: Path) -> None:
        """The default agent: Claude Code allowed to edit and to run statuskit; nothing claimed."""
        write_plan(tmp_path)
        result = statuskit("--plan", "plan.md", "run", "--dry-run", "--batch", "2", cwd=tmp_path)
        document = result.json
        argv = document["argv"]
        assert argv[:2] == ["claude", "-p"]
        assert argv[argv.index("--output-format") + 1] == "stream-json"
        assert "--verbose" in argv
        assert argv[argv.index("--permission-mode") + 1] == "acceptEdits"
        assert "Bash(statuskit:*)" in argv[argv.index("--allowedTools") + 1].split(",")
        assert (document["agentSource"], document["promptOn"]) == ("default", "stdin")
        assert document["wouldClaim"] == ["1.1", "1.2"]
        assert "statuskit --plan plan.md mark-started TASK_ID" in document["prompt"]
        assert "would create" in result.stderr
        assert not status_path(tmp_path).exists()  # a dry run creates nothing

    def test_agent_command_sources(self, tmp_path: Path) -> None:
        """--agent-cmd beats $STATUSKIT_AGENT_CMD beats pyproject.toml; {prompt} goes in argv."""
        write_plan(tmp_path, ONE_TASK_PLAN)
        (tmp_path / "pyproject.toml").write_text(
            '[tool.statuskit]\nagent = ["my-agent", "--json", "{prompt}"]\n'
        )
        dry = ("--plan", "plan.md", "run", "--dry-run")
        from_file = statuskit(*dry, cwd=tmp_path).json
        assert from_file["argv"][:2] == ["my-agent", "--json"]
        assert from_file["argv"][2].startswith("You are carrying out tasks")
        assert (from_file["agentSource"], from_file["promptOn"]) == ("pyproject.toml", "argv")
        env = environment(STATUSKIT_AGENT_CMD="env-agent --flag")
        from_env = statuskit(*dry, cwd=tmp_path, env=env).json
        assert from_env["argv"] == ["env-agent", "--flag"]
        assert from_env["agentSource"] == "$STATUSKIT_AGENT_CMD"
        flag = statuskit(*dry, "--agent-cmd", "flag-agent 'two words'", cwd=tmp_path, env=env)
        assert flag.json["argv"] == ["flag-agent", "two words"]

    @pytest.mark.parametrize("value", ["", "   ", "'unbalanced"])
    def test_unusable_agent_command_is_a_usage_error(self, tmp_path: Path, value: str) -> None:
        """An empty --agent-cmd never silently means "the default"."""
        write_plan(tmp_path, ONE_TASK_PLAN)
        result = statuskit("--plan", "plan.md", "run", "--agent-cmd", value, cwd=tmp_path)
        assert result.code == EXIT_CODES["usage"], result.stdout
        assert "--agent-cmd" in result.json["error"]["message"]
        assert not status_path(tmp_path).exists()

    def test_missing_or_folder_agent_is_refused_before_claiming(self, tmp_path: Path) -> None:
        """A program that is not there, or a folder: agent_missing, and nothing is claimed."""
        write_plan(tmp_path, ONE_TASK_PLAN)
        for command in ("no-such-agent-binary", str(tmp_path)):
            result, status = run_plan(tmp_path, "--agent-cmd", command)
            assert result.code == EXIT_CODES["agent_missing"]
            assert status.task("1.1").status is TaskState.PENDING
            assert status.runs == ()


class TestFakeClaude:
    """The default command line against a fake claude replaying real captures."""

    def test_hang_after_result_is_ended_and_counts(self, tmp_path: Path) -> None:
        """It reported its task and printed its result, then hung: ended after the grace."""
        write_plan(tmp_path, ONE_TASK_PLAN)
        env = environment(**fake_claude(tmp_path, "report-then-hang"))
        result, status = run_plan(tmp_path, "--result-grace", "1", env=env)
        assert result.code == 0, result.stderr
        task = status.task("1.1")
        assert (task.status, task.notes, task.retry_count) == (TaskState.COMPLETED, "replayed", 0)
        assert "still running 1s after its result" in result.stderr
        called = json.loads((tmp_path / "claude-argv.json").read_text())
        assert called["argv"][0] == "-p"
        assert called["argv"][called["argv"].index("--permission-mode") + 1] == "acceptEdits"
        assert "- 1.1 [token 1]: The only thing" in called["stdin"]  # the prompt came on stdin

    @pytest.mark.parametrize(
        ("mode", "capture", "detail"),
        [
            ("replay", "charlieyou-gleam_cli2.1.3_bash-ls-roundtrip.jsonl", "it exited normally"),
            ("replay", "hive-mind_cli2.1.284_background-disabled.jsonl", "no result line"),
            ("mid-stream", "charlieyou-gleam_cli2.1.7_basic-query.ndjson", "exit code 1"),
        ],
        ids=["result-but-no-report", "no-result-line", "exits-mid-stream"],
    )
    def test_ending_without_reporting_fails_and_retries(
        self, tmp_path: Path, mode: str, capture: str, detail: str
    ) -> None:
        """A session that did not report its task fails it — and the retry fails it again."""
        write_plan(tmp_path, ONE_TASK_PLAN)
        env = environment(**fake_claude(tmp_path, mode, capture))
        result, status = run_plan(tmp_path, "--retries", "1", "--backoff", "0.05", env=env)
        assert result.code == EXIT_CODES["blocked"], result.stderr
        task = status.task("1.1")
        assert (task.status, task.retry_count) == (TaskState.FAILED, 1)
        assert task.error is not None
        assert task.error.startswith(NO_REPORT)
        assert detail in task.error
        assert result.json["error"]["details"]["sessions"] == 2

    def test_silent_agent_is_ended_at_the_timeout(self, tmp_path: Path) -> None:
        """An agent that never prints is ended at the timeout; its task fails saying so."""
        write_plan(tmp_path, ONE_TASK_PLAN)
        env = environment(**fake_claude(tmp_path, "silent"))
        result, status = run_plan(tmp_path, "--retries", "0", "--timeout", "1.5", env=env)
        assert result.code == EXIT_CODES["blocked"]
        task = status.task("1.1")
        assert task.status is TaskState.FAILED
        assert task.error == f"{NO_REPORT} (ended at the 1.5s timeout)"


class TestDemoFolder:
    """demo --dir never overwrites someone else's plan or status (issue 11, item 3)."""

    @pytest.mark.parametrize("holds", ["plan", "status"])
    def test_refuses_a_folder_with_another_plan_or_a_status(
        self, tmp_path: Path, holds: str
    ) -> None:
        """The folder's own files stay byte for byte; the error says which file."""
        write_plan(tmp_path, ONE_TASK_PLAN)
        mine = tmp_path / ("plan.md" if holds == "plan" else "status.json")
        if holds == "status":
            (tmp_path / "plan.md").write_text(DEMO_PLAN)
            mine.write_text('{"tasks": []}')
        before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
        result = statuskit("demo", "--no-tui", "--dir", ".", cwd=tmp_path)
        assert result.code == EXIT_CODES["exists"], result.stdout
        assert str(mine.name) in result.json["error"]["message"]
        assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before

    def test_runs_again_over_its_own_earlier_demo(self, tmp_path: Path) -> None:
        """An earlier demo's status is moved aside, not refused."""
        folder = tmp_path / "d"
        (folder).mkdir()
        write_plan(folder, DEMO_PLAN)
        statuskit("--status", "status.json", "--plan", "plan.md", "init", cwd=folder)
        # Sessions of 10 ms end before the agent can report: 1.1 fails 3 times, quickly.
        again = statuskit(
            "demo", "--no-tui", "--scenario", "ok", "--timeout", "0.01", "--dir", str(folder),
            cwd=tmp_path,
        )  # fmt: skip
        assert again.code == EXIT_CODES["blocked"], again.stdout
        assert (folder / "status.json.previous-demo").is_file()
        status = JsonFileStore(folder / "status.json").read()
        assert status.task("1.1").retry_count == 2
