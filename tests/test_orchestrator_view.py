"""What a person sees: real frames of a real run, rendered at 80x24 and 140x45, and plain lines."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from statuskit import JsonFileStore, MemoryStore, TaskState, Tracker, parse_plan, utc_now
from statuskit.orchestrator import (
    DEMO_PLAN,
    Orchestrator,
    PlainView,
    RunConfig,
    ViewState,
    make_view,
)
from statuskit.orchestrator.screen import SPINNER, RichView, layout
from statuskit.orchestrator.simulate import SCENARIOS
from statuskit.orchestrator.state import clean, tool_detail
from statuskit.planfile import status_from_plan
from statuskit.stream import Text, TextEnd, ToolFinished, ToolStarted, TurnResult, Waiting

from .fakeclaude import FAST, no_leftovers, subreaper
from .procs import descendants, leftovers

__all__ = ["no_leftovers", "subreaper"]  # fixtures used by name

SIZES = ((80, 24), (140, 45))

MARKUP_PLAN = """\
# Plan [bold]with[/] markup [/static]

## Phase 1: Build [/]

- [ ] 1.1 Make [red]the[/red] thing
- [ ] 1.2 Check it
- [ ] 1.3 Ship it [/]
"""


def frame(view: RichView, width: int, height: int) -> list[str]:
    """The screen as a terminal of that size shows it (plain text, one string per row)."""
    console = Console(
        file=io.StringIO(), width=width, height=height, record=True, color_system=None
    )
    view.console = console
    console.print(view.render())
    rows = console.export_text().split("\n")
    return rows[:-1] if rows[-1] == "" else rows  # the last row's newline, not a row


class Recorder(RichView):
    """The real screen, drawn at both sizes after every change instead of on a timer."""

    def __init__(self, state: ViewState) -> None:
        super().__init__(state, Console(file=io.StringIO()))
        self.frames: dict[tuple[int, int], list[list[str]]] = {size: [] for size in SIZES}
        self.during_backoff: list[str] = []

    def start(self) -> None:
        pass

    def stop(self) -> None:
        self._snap()

    def _snap(self) -> None:
        for size in SIZES:
            self.frames[size].append(frame(self, *size))

    def event(self, event: Any) -> None:
        super().event(event)
        self._snap()

    def message(self, text: str) -> None:
        super().message(text)
        if text.startswith("retry "):
            self.during_backoff = frame(self, 80, 24)
        self._snap()


@pytest.fixture(scope="module")
def blocked_run(tmp_path_factory: pytest.TempPathFactory, subreaper: None) -> Recorder:
    """A real run (simulated agent, markup in every title) that ends blocked on 1.3."""
    before = set(descendants())
    folder = tmp_path_factory.mktemp("view")
    plan = folder / "plan.md"
    plan.write_text(MARKUP_PLAN)
    path = folder / "status.json"
    status = status_from_plan(parse_plan(MARKUP_PLAN), now=utc_now(), plan_path=str(plan))
    JsonFileStore(path).create(status)
    assert "fail" in SCENARIOS
    monkey = pytest.MonkeyPatch()
    monkey.setenv("STATUSKIT_SIM_DELAY", FAST["STATUSKIT_SIM_DELAY"])
    monkey.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[1] / "src"))
    config = RunConfig(
        cli=("statuskit", "--status", str(path)),
        plan_path=str(plan),
        agent=(sys.executable, "-m", "statuskit.orchestrator.simulate", "fail"),
        retries=1,
        backoff=0.05,
        timeout=120,
        log_dir=str(folder / "logs"),
        cwd=str(folder),
    )
    view = Recorder(ViewState())
    try:
        with JsonFileStore(path) as store:
            result = Orchestrator(config, view, store).run()
    finally:
        monkey.undo()
    assert result.outcome == "blocked"
    assert leftovers(before) == []
    return view


class TestRealFrames:
    """The screens of a real run that ends blocked."""

    @pytest.mark.parametrize(("width", "height"), SIZES)
    def test_final_screen_fits_and_says_the_verdict(
        self, blocked_run: Recorder, width: int, height: int
    ) -> None:
        """Fits the terminal, no live spinner, the verdict and the failed task with its reason."""
        screen = blocked_run.frames[(width, height)][-1]
        assert len(screen) < height
        assert all(len(row) <= width for row in screen)
        text = "\n".join(screen)
        assert not set(SPINNER) & set(text)
        verdict = next(row for row in screen if "BLOCKED" in row)
        assert "1.3 failed" in verdict
        recent = text.split("── Recent")[1]
        assert "1.3 failed · simulated failure: tests fail" in recent

    def test_title_and_progress(self, blocked_run: Recorder) -> None:
        """Foreign markup is shown as typed; the progress line says the counts on one row."""
        screen = blocked_run.frames[(140, 45)][-1]
        assert "statuskit · Plan [bold]with[/] markup [/static] · run-" in screen[0]
        assert "2/3 done · 0 running · 1 failed · 0 pending" in screen[1]
        assert "Phase 1: Build [/]" in screen[3]
        narrow = blocked_run.frames[(80, 24)][-1]
        assert re.search(r"█ +67%  2/3 done · 0 running · 1 failed · 0 pending$", narrow[1])

    @pytest.mark.parametrize(("width", "height"), SIZES)
    def test_each_tool_line_says_which_command(
        self, blocked_run: Recorder, width: int, height: int
    ) -> None:
        """`Bash statuskit mark-started 1.3` and `... mark-failed 1.3` look different."""
        rows = [row for screen in blocked_run.frames[(width, height)] for row in screen]
        for command in ("mark-started 1.1", "mark-complete 1.1", "mark-failed 1.3"):
            assert any(f"Bash   statuskit {command}" in row for row in rows), command
        assert not any("--status" in row for row in rows)  # where the status is: left out

    @pytest.mark.parametrize(("width", "height"), SIZES)
    def test_the_layout_does_not_jump(self, blocked_run: Recorder, width: int, height: int) -> None:
        """Every frame has the same rows, sections in the same places."""
        frames = blocked_run.frames[(width, height)]
        assert len(frames) > 20
        assert len({len(screen) for screen in frames}) == 1
        for title in ("── Phases", "── In progress", "── Activity", "── Recent"):
            assert len({screen.index(next(r for r in screen if r.startswith(title)))
                        for screen in frames}) == 1, title  # fmt: skip

    def test_sessions_are_separated_and_recent_is_chronological(
        self, blocked_run: Recorder
    ) -> None:
        """A separator per session in Activity; Recent oldest first, completions in order."""
        screen = blocked_run.frames[(140, 45)][-1]
        text = "\n".join(screen)
        assert "┄┄ session 4 ┄┄" in text
        recent = text.split("── Recent")[1].splitlines()[1:]
        order = [row.split()[2] for row in recent if re.match(r"\d\d:\d\d:\d\d [✓✗↻]", row)]
        assert order[:2] == ["1.1", "1.2"]
        assert order[-1] == "1.3"
        times = [row[:8] for row in recent if re.match(r"\d\d:\d\d:\d\d", row)]
        assert times == sorted(times)

    def test_backoff_shows_the_task_failed_not_running(self, blocked_run: Recorder) -> None:
        """While a retry waits, 1.3 is failed with its countdown, not in progress."""
        screen = blocked_run.during_backoff
        section = "\n".join(screen).split("── In progress")[1].split("── Activity")[0]
        assert "1.3 failed · retry 1 in" in section
        assert "Ship it" not in section


def sample_state(clock: list[float]) -> ViewState:
    state = ViewState(clock=lambda: clock[0], plan_name="Demo", run_id="run-1", max_iterations=9)
    tracker = Tracker(MemoryStore(status_from_plan(parse_plan(DEMO_PLAN), now=utc_now())))
    state.update_status(tracker.status())
    tracker.start("1.1", owner="me")
    state.update_status(tracker.status())
    state.begin_session(1, ("1.1",))
    return state


class TestJournalLog:
    """The log reads the journal: every writer's changes, in order, named by who made them."""

    def test_other_workers_changes_are_shown(self, tmp_path: Path) -> None:
        """A run observing the store logs another worker's completion and failure by name."""
        from statuskit.orchestrator import Orchestrator, PlainView, RunConfig

        store = MemoryStore()
        store.create(status_from_plan(parse_plan(DEMO_PLAN), now=utc_now()))
        config = RunConfig(cli=("statuskit",), log_dir=str(tmp_path), owner="orchestrator-1")
        out = io.StringIO()
        view = PlainView(ViewState(owner="orchestrator-1"), out=out)
        orchestrator = Orchestrator(config, view, store)
        orchestrator._seen = store.read().revision
        other = Tracker(store)
        (mine,) = other.claim(1, "worker-2")
        other.complete(mine.id, token=mine.token, notes="done elsewhere")
        (second,) = other.claim(1, "worker-2")
        other.fail(second.id, token=second.token, error="broke")
        orchestrator._observe(store.read())
        texts = [entry.text for entry in view.state.log]
        assert texts == [
            f"{mine.id} · done elsewhere (by worker-2)",
            f"{second.id} · broke (by worker-2)",
        ]
        assert [entry.kind for entry in view.state.log] == ["completed", "failed"]
        orchestrator._observe(store.read())  # nothing new: nothing logged twice
        assert len(view.state.log) == 2
        assert "task " + mine.id + " done: done elsewhere (by worker-2)" in out.getvalue()


class TestScreenParts:
    """Pieces of the screen, with a fake clock."""

    def test_heartbeat_moves_while_silent(self) -> None:
        """With no events, the heartbeat counts up and the spinner changes."""
        clock = [1000.0]
        view = RichView(sample_state(clock))
        first = frame(view, 80, 24)
        clock[0] += 7.25
        second = frame(view, 80, 24)
        beat = next(row for row in second if "last event" in row)
        assert "last event 7.2s ago" in beat
        assert beat not in first

    def test_waiting_on_the_api_is_shown(self) -> None:
        """A rate limit keeps the heartbeat alive and says what the agent waits for."""
        clock = [1000.0]
        state = sample_state(clock)
        state.add_event(
            Waiting(0, "rate_limit", "five_hour limit rejected", None, None, None, None)
        )
        beat = next(row for row in frame(RichView(state), 80, 24) if "agent on" in row)
        assert "waiting: five_hour limit rejected" in beat
        state.add_event(Text(3, "back", None))
        assert state.waiting is None

    def test_foreign_text_never_breaks_the_screen(self) -> None:
        """Markup, escapes and a non-string parent id from the agent: shown as text, no crash."""
        clock = [1000.0]
        state = sample_state(clock)
        state.add_event(Text(1, "Edit [/] the \x1b[31mloader\x1b[0m\x1b]0;pwned\x07.", None))
        state.add_event(ToolStarted(2, "t1", "Bash", {"odd": 1}, {"command": "echo [/static]"}))  # type: ignore[arg-type]
        state.add_event(ToolStarted(3, "t2", "Grep", ["x"], {"pattern": "[bold]"}))  # type: ignore[arg-type]
        state.add_event(ToolFinished(4, "t1", "Bash", None, False, 0.1, ""))
        text = "\n".join(frame(RichView(state), 80, 24))
        assert "> Edit [/] the loader." in text
        assert "echo [/static]" in text
        assert "[bold]" in text
        assert "pwned" not in text

    def test_messages_are_not_glued(self) -> None:
        """Two messages with work between them: the second replaces the first."""
        state = sample_state([1000.0])
        state.add_event(Text(1, "Write the loader", None))
        state.add_event(ToolStarted(2, "t", "Edit", None, {"file_path": "a.py"}))
        state.add_event(Text(3, "All done", None))
        assert state.agent_message == "All done"
        state.add_event(Text(4, " now", None))  # a streamed delta continues it
        assert state.agent_message == "All done now"
        state.add_event(TextEnd(4, None))  # the block ended: the next text is a new message
        state.add_event(Text(5, "Reporting", None))
        assert state.agent_message == "Reporting"

    def test_layout_budget(self) -> None:
        """Rows per section fit the terminal's height, from 24 rows up."""
        for height in (24, 30, 45, 60):
            rows = layout(height, phases=9, batch=3)
            assert sum(rows) + 8 <= height - 1
            assert min(rows) >= 1
        assert layout(45, 9, 1).activity > layout(24, 9, 1).activity


class TestToolDetail:
    """What tells two tool calls apart."""

    @pytest.mark.parametrize(
        ("command", "shown"),
        [
            (
                "statuskit --status /tmp/x/status.json mark-started 1.3",
                "statuskit mark-started 1.3",
            ),
            (
                "statuskit --plan p.md --lock-timeout=5 mark-complete 1.3 --notes 'did it'",
                'statuskit mark-complete 1.3 --notes "did it"',
            ),
            ("cd /w && python -m statuskit --plan p.md next", "cd /w && python -m statuskit next"),
            ("pytest -q   tests/", "pytest -q tests/"),
            ("echo 'unbalanced", "echo 'unbalanced"),
        ],
    )
    def test_commands(self, command: str, shown: str) -> None:
        """The status location is left out; the subcommand and the task stay."""
        assert tool_detail("Bash", {"command": command}) == shown

    def test_paths_relative_to_the_agents_folder(self) -> None:
        """A file inside the agent's folder is shown relative to it."""
        assert tool_detail("Edit", {"file_path": "/w/src/a.py"}, "/w") == "src/a.py"
        assert tool_detail("Edit", {"file_path": "/elsewhere/a.py"}, "/w") == "/elsewhere/a.py"
        assert tool_detail("Edit", "not a dict") == ""

    def test_clean(self) -> None:
        """Escapes removed, control characters and newlines become single spaces."""
        # \x9b is the 8-bit CSI: with its final byte "f" it is one sequence, removed whole.
        assert clean("a\x1b[1mb\x1b[0m\nc\td\x07e\x9bf") == "ab c de"
        assert clean(None) == ""
        assert clean(42) == "42"


class TestPlainView:
    """Plain lines: timestamped, honest, with a verdict at the end."""

    def test_lines_heartbeat_and_verdict(self) -> None:
        """Tool lines, a retry explained, silent-for lines once per period, the verdict last."""
        clock = [1000.0]
        out = io.StringIO()
        state = ViewState(clock=lambda: clock[0])
        view = PlainView(state, out=out, heartbeat=5)
        tracker = Tracker(MemoryStore(status_from_plan(parse_plan(DEMO_PLAN), now=utc_now())))
        view.status_changed(tracker.status())
        state.begin_session(1, ("1.1",))
        view.event(ToolStarted(1, "t", "Bash", None, {}))  # input still streaming: not yet
        view.event(ToolFinished(2, "t", "Bash", None, False, 2.0, "ok"))
        view.event(ToolStarted(3, "u", "Bash", None, {"command": "statuskit mark-failed 1.1"}))
        tracker.start("1.1")
        tracker.fail("1.1", error="it broke")
        view.status_changed(tracker.status())
        view.event(TurnResult(4, "success", False, 10, 0.0, 3))
        tracker.start("1.1")
        view.status_changed(tracker.status())
        clock[0] += 6
        view.tick()
        view.tick()  # not twice within the heartbeat period
        view.finish("blocked", "1.1 failed")
        lines = [line.split(" ", 1)[1] for line in out.getvalue().splitlines()]
        assert "  > Bash" in lines
        assert "  > Bash statuskit mark-failed 1.1" in lines
        assert "task 1.1 FAILED: it broke" in lines
        assert "  agent turn ended (3 turns)" in lines
        assert "task 1.1 retry 1 started" in lines
        assert lines.count("  ... agent silent for 6s") == 1
        assert lines[-1] == "BLOCKED: 1.1 failed"
        assert not any("success" in line for line in lines)

    def test_without_rich_says_how_to_get_it_once(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """No rich on a terminal: plain lines, and one line saying how to install it."""
        from statuskit.orchestrator import ui

        monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
        assert isinstance(make_view(ViewState(), tui=True), RichView)
        assert isinstance(make_view(ViewState(), tui=False), PlainView)
        monkeypatch.setattr(ui, "_said_rich_missing", False)
        monkeypatch.setitem(sys.modules, "statuskit.orchestrator.screen", None)
        assert isinstance(make_view(ViewState(), tui=True), PlainView)
        assert isinstance(make_view(ViewState(), tui=True), PlainView)
        said = capsys.readouterr().err
        assert said.count("pip install 'statuskit[tui]'") == 1

    def test_status_snapshot_changes(self) -> None:
        """Only changes to done, failed or retrying are reported, each once."""
        state = ViewState()
        tracker = Tracker(MemoryStore(status_from_plan(parse_plan(DEMO_PLAN), now=utc_now())))
        assert state.update_status(tracker.status()) == []
        tracker.complete("1.1", notes="n")
        kinds = [e.kind for e in state.update_status(tracker.status())]
        assert kinds == ["completed"]
        assert state.update_status(tracker.status()) == []
        assert tracker.status().task("1.1").status is TaskState.COMPLETED
