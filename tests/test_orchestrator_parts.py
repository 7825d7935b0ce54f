"""The orchestrator's parts: prompt, agent command, holders, logs, session, watcher."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import attrs
import pytest

from statuskit import JsonFileStore, Task, TaskState, parse_plan, status_from_plan, utc_now
from statuskit.orchestrator import (
    DEFAULT_AGENT,
    DEMO_PLAN,
    AgentMissing,
    CommandError,
    StatusWatcher,
    agent_argv,
    build_prompt,
    holder_name,
    resolve_agent,
)
from statuskit.orchestrator.agent import AgentSession, SessionEnd
from statuskit.orchestrator.logs import CappedLog, prune_runs
from statuskit.store._process import holder_state, host_name
from statuskit.stream import TurnResult, Waiting

from .fakeclaude import no_leftovers, statuskit, subreaper, write_plan

__all__ = ["no_leftovers", "subreaper"]  # fixtures used by name

PY = sys.executable


class TestPrompt:
    """The prompt is short, exact and code-free."""

    def test_tokens_of_claimed_tasks(self) -> None:
        """Claimed (leased) tasks: each line names its token, every command takes it."""
        from statuskit import MemoryStore, Tracker

        plan = "# P\n\n## Phase 1: W\n\n- [ ] 1.1 One\n- [ ] 1.2 Two\n"
        tracker = Tracker(MemoryStore(status_from_plan(parse_plan(plan), now=utc_now())))
        claimed = tracker.claim(2, "me")
        prompt = build_prompt(claimed, cli="statuskit --plan p.md", plan_path="p.md")
        for task in claimed:
            assert f"- {task.id} [token {task.token}]: {task.description}" in prompt
        assert "statuskit --plan p.md mark-complete TASK_ID --token TOKEN --notes" in prompt
        assert "write-findings TASK_ID --token TOKEN --stdin" in prompt

    def test_pinned(self) -> None:
        """Size for a 200-task plan, the exact commands, failure reporting, no inline code."""
        lines = ["# Big"] + [
            f"## Phase {p}: P{p}\n"
            + "\n".join(f"- [ ] {p}.{i} Do thing {i} of phase {p}" for i in range(1, 21))
            for p in range(1, 11)
        ]
        status = status_from_plan(parse_plan("\n".join(lines)), now=utc_now())
        assert len(status.tasks) == 200
        tasks = status.tasks[:3]
        prompt = build_prompt(tasks, cli="statuskit --plan docs/plans/big.md", plan_path="big.md")
        assert len(prompt) < 1500
        assert "`" not in prompt
        for task in tasks:
            assert f"- {task.id}: {task.description}" in prompt
        assert "statuskit --plan docs/plans/big.md mark-started TASK_ID" in prompt
        assert "statuskit --plan docs/plans/big.md mark-complete TASK_ID" in prompt
        assert 'statuskit --plan docs/plans/big.md mark-failed TASK_ID --error "why"' in prompt
        whole = build_prompt(status.tasks, cli="statuskit", plan_path=None)
        assert len(whole) / 4 < 2000 * 2  # even all 200 at once stays small

    def test_retry_context(self) -> None:
        """A retried task carries its last error."""
        task = Task(id="1.1", description="X", retry_count=1, last_error="tests failed")
        assert "(retry 1; last error: tests failed)" in build_prompt(
            [task], cli="statuskit", plan_path=None
        )


class TestAgentCommand:
    """Where the agent command comes from, and how the prompt reaches it."""

    def test_default_is_claude_code_allowed_to_work(self, tmp_path: Path) -> None:
        """Headless, streaming, edits accepted, statuskit allowed; the prompt on stdin."""
        command = resolve_agent(None, env={}, folder=str(tmp_path))
        assert (command.argv, command.source) == (DEFAULT_AGENT, "default")
        assert command.prompt_on_stdin
        argv, stdin = agent_argv(command.argv, "do it")
        assert (argv, stdin) == (list(DEFAULT_AGENT), "do it")
        tools = DEFAULT_AGENT[DEFAULT_AGENT.index("--allowedTools") + 1].split(",")
        assert tools[0] == "Bash(statuskit:*)"
        assert "Bash(git diff:*)" in tools

    def test_order_flag_env_file(self, tmp_path: Path) -> None:
        """--agent-cmd, then the environment (empty is unset), then the config files."""
        (tmp_path / ".statuskit.toml").write_text('agent = "dot-agent -x"\n')
        folder = str(tmp_path)
        assert resolve_agent(None, env={}, folder=folder).argv == ("dot-agent", "-x")
        assert resolve_agent(None, env={}, folder=folder).source == ".statuskit.toml"
        (tmp_path / "pyproject.toml").write_text('[tool.statuskit]\nagent = "py-agent"\n')
        assert resolve_agent(None, env={}, folder=folder).argv == ("py-agent",)
        env = {"STATUSKIT_AGENT_CMD": "env-agent '{prompt}'"}
        assert resolve_agent(None, env=env, folder=folder).argv == ("env-agent", "{prompt}")
        assert resolve_agent(None, env={"STATUSKIT_AGENT_CMD": ""}, folder=folder).argv == (
            "py-agent",
        )
        assert resolve_agent("flag", env=env, folder=folder).argv == ("flag",)
        assert agent_argv(("a", "{prompt}", "b"), "P") == (["a", "P", "b"], None)

    @pytest.mark.parametrize(
        ("flag", "config"),
        [
            ("", None),
            ("  ", None),
            ("'open", None),
            (None, '[tool.statuskit]\nagent = ""\n'),
            (None, "[tool.statuskit]\nagent = 3\n"),
            (None, "[tool.statuskit\n"),
        ],
    )
    def test_unusable_values_are_errors(
        self, tmp_path: Path, flag: str | None, config: str | None
    ) -> None:
        """Empty, unsplittable, of the wrong type, or not TOML: a CommandError naming where."""
        if config is not None:
            (tmp_path / "pyproject.toml").write_text(config)
        with pytest.raises(CommandError, match=r"--agent-cmd|pyproject\.toml"):
            resolve_agent(flag, env={}, folder=str(tmp_path))

    def test_pyproject_without_the_entry_is_ignored(self, tmp_path: Path) -> None:
        """A project's pyproject.toml without [tool.statuskit] agent leaves the default."""
        (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
        assert resolve_agent(None, env={}, folder=str(tmp_path)).source == "default"


class TestHolder:
    """Who holds a task, and whether that holder still lives."""

    def test_name(self) -> None:
        """orchestrator-<pid>@<host>: what people read in the owner field."""
        assert holder_name(42, "box-1.lan") == "orchestrator-42@box-1.lan"
        assert holder_name() == f"orchestrator-{os.getpid()}@{socket.gethostname()}"

    def test_alive_dead_reused_and_unknown(self) -> None:
        """This process lives; a reaped child is dead; a pid born after the claim was reused."""
        now = datetime.now(timezone.utc)
        here = host_name()
        assert holder_state(here, os.getpid(), now) == "alive"
        child = subprocess.Popen([PY, "-c", "pass"])
        child.wait()
        assert holder_state(here, child.pid, now) == "dead"
        sleeper = subprocess.Popen([PY, "-c", "import time; time.sleep(60)"])
        try:
            assert holder_state(here, sleeper.pid, now - timedelta(seconds=5)) in (
                "alive",  # started within the tolerance of the claim
                "dead",
            )
            assert holder_state(here, sleeper.pid, now - timedelta(hours=1)) == "dead"
            assert holder_state(here, sleeper.pid, now + timedelta(minutes=1)) == "alive"
        finally:
            sleeper.kill()
            sleeper.wait()
        assert holder_state("another-host", os.getpid(), now) == "unknown"


class TestDeadHolders:
    """A run's claim takes back only what a dead holder on this host held."""

    def test_only_dead_holders_are_taken_back(self, tmp_path: Path) -> None:
        """Live holder, dead holder, another host, a person: only the dead one's task moves."""
        from statuskit import Holder, MemoryStore, Tracker
        from statuskit.orchestrator import Orchestrator, PlainView, RunConfig, ViewState

        plan = "# P\n\n## Phase 1: W\n\n" + "".join(f"- [ ] 1.{i} T{i}\n" for i in range(1, 6))
        store = MemoryStore(status_from_plan(parse_plan(plan), now=utc_now()))
        tracker = Tracker(store)
        gone = subprocess.Popen([PY, "-c", "pass"])
        gone.wait()
        live = subprocess.Popen([PY, "-c", "import time; time.sleep(60)"])
        config = RunConfig(cli=("statuskit",), log_dir=str(tmp_path), batch=5)
        try:
            (live_task,) = tracker.claim(1, "worker-live", pid=live.pid)
            # The far holder first: once it is on another host, it is never judged dead.
            (far_task,) = tracker.claim(1, "worker-far", pid=gone.pid)
            store.update(
                lambda s: attrs.evolve(
                    s,
                    tasks=tuple(
                        attrs.evolve(t, holder=Holder(host="another-host", pid=gone.pid))
                        if t.id == far_task.id
                        else t
                        for t in s.tasks
                    ),
                )
            )
            (dead_task,) = tracker.claim(1, "worker-gone", pid=gone.pid)
            tracker.start("1.4", owner="alice")
            view = PlainView(ViewState(), out=open(os.devnull, "w"))  # noqa: SIM115
            taken = Orchestrator(config, view, store)._claim(dry_run=False)
        finally:
            live.kill()
            live.wait()
            view.out.close()
        assert sorted(t.id for t in taken) == [dead_task.id, "1.5"]
        states = {t.id: (t.status, t.owner, t.reclaim_count) for t in store.read().tasks}
        assert states[dead_task.id] == (TaskState.IN_PROGRESS, config.owner, 1)
        assert states[live_task.id][1:] == ("worker-live", 0)
        assert states[far_task.id][1:] == ("worker-far", 0)
        assert states["1.4"][1] == "alice"


class TestLogs:
    """Session logs are capped and rotated; old runs' logs are pruned."""

    def test_rotation_keeps_at_most_twice_the_cap(self, tmp_path: Path) -> None:
        """Writes past the cap move the full file to .1; the newest bytes are always kept."""
        path = tmp_path / "s.jsonl"
        log = CappedLog(str(path), cap=1000)
        for index in range(35):
            log.write(f"{index:04d}".encode() * 25)  # 100 bytes each
        log.close()
        assert log.rotations == 3
        assert path.stat().st_size == 500
        assert (tmp_path / "s.jsonl.1").stat().st_size == 1000
        assert path.read_bytes().endswith(b"0034" * 25)

    def test_prune_keeps_the_newest_runs(self, tmp_path: Path) -> None:
        """Only the newest runs' session logs stay (and the current run's, always)."""
        for number, run in enumerate(("run-1", "run-2", "run-3")):
            for name in (f"{run}-session-1.jsonl", f"{run}-session-1.stderr.log"):
                (tmp_path / name).write_text("x")
                os.utime(tmp_path / name, (1000 + number, 1000 + number))
        (tmp_path / "notes.txt").write_text("mine")
        deleted = prune_runs(str(tmp_path), keep_runs=1, keep="run-1")
        assert sorted(Path(p).name for p in deleted) == [
            "run-2-session-1.jsonl",
            "run-2-session-1.stderr.log",
        ]
        assert (tmp_path / "notes.txt").exists()


def session(tmp_path: Path, argv: list[str], **options: float) -> AgentSession:
    return AgentSession(
        argv,
        prompt=None,
        cwd=str(tmp_path),
        env=dict(os.environ),
        timeout=options.pop("timeout", 60.0),
        stream_log=str(tmp_path / "s.jsonl"),
        stderr_log=str(tmp_path / "e.log"),
        grace=0.5,
        **options,  # type: ignore[arg-type]
    )


def drain(agent: AgentSession) -> tuple[list[object], SessionEnd]:
    events: list[object] = []
    deadline = time.monotonic() + 120
    while not agent.finished and time.monotonic() < deadline:
        events += agent.pump(0.05)
    return events, agent.close()


@pytest.mark.usefixtures("no_leftovers")
class TestAgentSession:
    """The session: drained pipes, capped logs, its clocks, start failures."""

    def test_stderr_drained_and_logged(self, tmp_path: Path) -> None:
        """An agent writing 2 MiB to stderr does not block; the log has it all."""
        code = "import sys; sys.stderr.write('e' * (2 << 20)); print('{}')"
        _, end = drain(session(tmp_path, [PY, "-c", code]))
        assert (end.exit_code, end.timed_out, end.ended_by) == (0, False, None)
        assert (tmp_path / "e.log").stat().st_size == 2 << 20
        assert (tmp_path / "s.jsonl").read_text() == "{}\n"

    def test_stream_log_is_capped(self, tmp_path: Path) -> None:
        """3 MB of output with a 1 MB cap: at most 2 MB kept, the newest."""
        code = (
            "import sys\n"
            "for i in range(3000): sys.stdout.write('{\"n\": %d}' % i + ' ' * 990 + '\\n')"
        )
        _, end = drain(session(tmp_path, [PY, "-c", code], log_cap=1 << 20))
        assert end.exit_code == 0
        assert (tmp_path / "s.jsonl").stat().st_size <= 1 << 20
        assert (tmp_path / "s.jsonl.1").stat().st_size == 1 << 20
        assert (tmp_path / "s.jsonl").read_bytes().rstrip().endswith(b'{"n": 2999}')

    def test_rate_limit_lines_become_waiting(self, tmp_path: Path) -> None:
        """A rejected rate limit is shown as waiting; an allowed one is not news."""
        lines = [
            {"type": "rate_limit_event", "rate_limit_info": {"status": "allowed"}},
            {
                "type": "rate_limit_event",
                "rate_limit_info": {"status": "rejected", "rateLimitType": "five_hour"},
            },
            {"type": "result", "subtype": "success", "is_error": False},
        ]
        code = f"import json\nfor line in {lines!r}: print(json.dumps(line), flush=True)"
        events, end = drain(session(tmp_path, [PY, "-c", code]))
        waits = [e for e in events if isinstance(e, Waiting)]
        assert [(w.reason, w.resets_at) for w in waits] == [("rate_limit", None)]
        assert "five_hour" in waits[0].message
        assert isinstance(end.result, TurnResult)

    def test_close_of_a_running_session_ends_it_at_once(self, tmp_path: Path) -> None:
        """close(hurry=True) on a live agent and its child: both gone, no waiting on them."""
        code = (
            "import subprocess, sys, time; "
            "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']); "
            "print('{}', flush=True); time.sleep(600)"
        )
        agent = session(tmp_path, [PY, "-c", code])
        while not (tmp_path / "s.jsonl").read_bytes():
            agent.pump(0.05)
        end = agent.close(hurry=True)
        assert end.ended_by == "interrupted"
        assert end.exit_code is not None
        assert end.exit_code < 0

    @pytest.mark.parametrize("kind", ["folder", "missing", "too-long"])
    def test_start_failures(self, tmp_path: Path, kind: str) -> None:
        """A folder, a missing program, an argv too long: AgentMissing saying why."""
        argv = {
            "folder": [str(tmp_path)],
            "missing": [str(tmp_path / "nothing-here")],
            "too-long": [PY, "-c", "pass", "x" * 300_000],
        }[kind]
        with pytest.raises(AgentMissing) as raised:
            session(tmp_path, argv)
        expected = {
            "folder": "Permission denied",
            "missing": "No such file",
            "too-long": "Argument list too long",
        }[kind]
        assert expected in str(raised.value)


class TestWatcher:
    """The live view sees changes made by anyone, renames included."""

    @pytest.mark.parametrize("polling", [False, True], ids=["inotify", "polling"])
    def test_external_mark_complete(self, tmp_path: Path, polling: bool) -> None:
        """An external `statuskit mark-complete` is noticed (latency is a benchmark)."""
        write_plan(tmp_path, DEMO_PLAN)
        assert statuskit("--plan", "plan.md", "init", cwd=tmp_path).code == 0
        path = tmp_path / "docs/plan-outputs/plan/status.json"
        seen = threading.Event()
        store = JsonFileStore(path)

        def changed() -> None:
            if store.read().task("1.1").status is TaskState.COMPLETED:
                seen.set()

        watcher = StatusWatcher(store, changed, force_polling=polling).start()
        try:
            assert watcher.mode == ("polling" if polling else "watch")
            result = statuskit("--plan", "plan.md", "mark-complete", "1.1", cwd=tmp_path)
            assert result.code == 0
            assert seen.wait(30)
        finally:
            watcher.stop()
        assert json.loads(result.stdout)["ok"] is True
