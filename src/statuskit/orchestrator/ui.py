"""What the orchestrator shows: a rich terminal UI, or plain timestamped lines.

Both views render one :class:`ViewState`, fed from two sources: the status file (progress,
phases, the tasks *actually* in progress, recent completions and failures — never guessed from
"next") and the agent's stream events (tools as they start and finish, with durations,
subagent tools nested under their parent). The rich view redraws ten times a second on its own
timer, so the heartbeat moves and counts the seconds since the last event while the agent is
silent. Everything is drawn on stderr: stdout keeps the command's one JSON document.
"""

from __future__ import annotations

import collections
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any, Protocol

import attrs

from statuskit import PlanStatus, TaskState, phase_progress
from statuskit.stream import (
    ApiError,
    Event,
    Malformed,
    Text,
    ToolAbandoned,
    ToolFinished,
    ToolInputReady,
    ToolStarted,
    TurnResult,
)

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

__all__ = ["PlainView", "RichView", "View", "ViewState", "make_view"]

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


@attrs.define
class ToolLine:
    """One tool in the activity panel."""

    tool_id: str
    name: str
    detail: str
    parent: str | None
    started: float
    finished: float | None = None
    is_error: bool = False
    abandoned: bool = False
    detail_late: bool = False


@attrs.define
class ViewState:
    """Everything the views draw; updated from the loop, the watcher and the stream."""

    clock: Callable[[], float] = time.monotonic
    status: PlanStatus | None = None
    plan_name: str = ""
    run_id: str = ""
    iteration: int = 0
    max_iterations: int = 0
    session_tasks: tuple[str, ...] = ()
    session_started: float | None = None
    last_event: float | None = None
    tools: collections.deque[ToolLine] = attrs.field(factory=lambda: collections.deque(maxlen=12))
    recent: collections.deque[tuple[str, str, str]] = attrs.field(
        factory=lambda: collections.deque(maxlen=8)
    )
    messages: collections.deque[str] = attrs.field(factory=lambda: collections.deque(maxlen=4))
    last_text: str = ""
    status_updates: int = 0
    lock: threading.Lock = attrs.field(factory=threading.Lock)

    def update_status(self, status: PlanStatus) -> list[tuple[str, str, str]]:
        """Take a new snapshot; return the (id, state, detail) changes to done or failed."""
        with self.lock:
            previous = {t.id: t.status for t in self.status.tasks} if self.status else {}
            self.status = status
            self.status_updates += 1
            self.plan_name = status.plan_name or self.plan_name
            changes = []
            for task in status.tasks:
                before = previous.get(task.id)
                if (
                    before is not None
                    and before is not task.status
                    and task.status
                    in (
                        TaskState.COMPLETED,
                        TaskState.FAILED,
                        TaskState.SKIPPED,
                    )
                ):
                    detail = task.error or task.notes or task.skip_reason or task.description
                    changes.append((task.id, task.status.value, detail or ""))
            for change in changes:
                self.recent.appendleft(change)
            return changes

    def add_event(self, event: Event) -> ToolLine | None:
        """Record a stream event; return the tool line it touched, if any."""
        now = self.clock()
        with self.lock:
            self.last_event = now
            if isinstance(event, ToolStarted):
                line = ToolLine(
                    event.tool_id, event.name, _detail(event.input), event.parent_tool_id, now
                )
                self.tools.appendleft(line)
                return line
            if isinstance(event, ToolInputReady):
                for line in self.tools:
                    if line.tool_id == event.tool_id and not line.detail:
                        line.detail = _detail(event.input)
                        line.detail_late = bool(line.detail)
                        return line
                return None
            if isinstance(event, (ToolFinished, ToolAbandoned)):
                for line in self.tools:
                    if line.tool_id == event.tool_id:
                        line.finished = now
                        line.is_error = isinstance(event, ToolFinished) and event.is_error
                        line.abandoned = isinstance(event, ToolAbandoned)
                        return line
                return None
            if isinstance(event, Text) and event.parent_tool_id is None:
                self.last_text = (self.last_text + event.text)[-200:]
            return None

    def begin_session(self, iteration: int, tasks: tuple[str, ...]) -> None:
        """A new agent session starts."""
        with self.lock:
            self.iteration = iteration
            self.session_tasks = tasks
            self.session_started = self.last_event = self.clock()
            self.last_text = ""

    def note(self, message: str) -> None:
        """An orchestrator message (claimed, retrying, killed...)."""
        with self.lock:
            self.messages.appendleft(message)


def _nested(lines: list[ToolLine]) -> list[ToolLine]:
    """Lines in start order, each subagent's tools right under their parent tool."""
    shown = {line.tool_id for line in lines}
    children: dict[str, list[ToolLine]] = {}
    roots = []
    for line in lines:
        if line.parent is not None and line.parent in shown:
            children.setdefault(line.parent, []).append(line)
        else:
            roots.append(line)
    ordered: list[ToolLine] = []
    for root in roots:
        ordered.append(root)
        ordered.extend(children.get(root.tool_id, ()))
    return ordered


def _detail(tool_input: Any) -> str:
    if isinstance(tool_input, dict):
        for key in ("command", "file_path", "path", "pattern", "description", "prompt"):
            value = tool_input.get(key)
            if isinstance(value, str) and value:
                return " ".join(value.split())[:60]
    return ""


class View(Protocol):
    """A way of showing the run."""

    state: ViewState

    def start(self) -> None:
        """Begin showing."""

    def stop(self) -> None:
        """Stop showing (restore the terminal)."""

    def status_changed(self, status: PlanStatus) -> None:
        """The status file changed."""

    def event(self, event: Event) -> None:
        """A stream event arrived."""

    def message(self, text: str) -> None:
        """The orchestrator has something to say."""

    def tick(self) -> None:
        """Called often by the loop while it waits."""


class PlainView:
    """Timestamped lines on a stream (stderr by default): for logs, CI, and no rich."""

    def __init__(self, state: ViewState, out: IO[str] | None = None, heartbeat: float = 10.0):
        self.state = state
        self.out = out or sys.stderr
        self.heartbeat = heartbeat
        self._last_beat = 0.0
        self._last_progress = ""
        self._lock = threading.Lock()

    def _print(self, text: str) -> None:
        with self._lock:
            self.out.write(f"{datetime.now().strftime('%H:%M:%S')} {text}\n")
            self.out.flush()

    def start(self) -> None:  # noqa: D102 - documented on the protocol
        pass

    def stop(self) -> None:  # noqa: D102
        pass

    def status_changed(self, status: PlanStatus) -> None:  # noqa: D102
        for task_id, state, detail in self.state.update_status(status):
            mark = {"completed": "done", "failed": "FAILED", "skipped": "skipped"}[state]
            self._print(f"task {task_id} {mark}: {detail}")
        summary = status.summary
        line = (
            f"progress {summary.percent:.0f}% ({summary.done}/{summary.total} done,"
            f" {summary.failed} failed)"
        )
        if line != self._last_progress:
            self._last_progress = line
            self._print(line)

    def event(self, event: Event) -> None:  # noqa: D102
        line = self.state.add_event(event)
        indent = "    " if line is not None and line.parent else "  "
        if isinstance(event, ToolStarted):
            self._print(f"{indent}> {event.name} {_detail(event.input)}".rstrip())
        elif isinstance(event, ToolInputReady) and line is not None and line.detail_late:
            self._print(f"{indent}  {line.name} {line.detail}")
        elif isinstance(event, ToolFinished) and line is not None:
            took = (line.finished or line.started) - line.started
            self._print(f"{indent}< {line.name} {'error' if event.is_error else 'ok'} {took:.1f}s")
        elif isinstance(event, ToolAbandoned):
            self._print(f"  ! {event.name} never finished")
        elif isinstance(event, TurnResult):
            self._print(f"  agent turn {'failed' if event.is_error else 'done'}: {event.subtype}")
        elif isinstance(event, ApiError):
            self._print(f"  api error: {event.message}")
        elif isinstance(event, Malformed):
            self._print(f"  unreadable agent output line {event.line}: {event.reason}")

    def message(self, text: str) -> None:  # noqa: D102
        self.state.note(text)
        self._print(text)

    def tick(self) -> None:  # noqa: D102
        state = self.state
        if state.session_started is None or state.last_event is None:
            return
        now = state.clock()
        silent = now - state.last_event
        if silent >= self.heartbeat and now - self._last_beat >= self.heartbeat:
            self._last_beat = now
            self._print(f"  ... agent silent for {silent:.0f}s")


class RichView:
    """The terminal UI (needs ``rich``: ``pip install 'statuskit[tui]'``)."""

    def __init__(self, state: ViewState, console: Console | None = None) -> None:
        from rich.console import Console

        self.state = state
        self.console = console or Console(stderr=True)
        self._live: Any = None

    def start(self) -> None:  # noqa: D102
        from rich.live import Live

        self._live = Live(
            get_renderable=self.render,
            console=self.console,
            refresh_per_second=10,
            transient=False,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._live.start()

    def stop(self) -> None:  # noqa: D102
        if self._live is not None:
            self._live.stop()
            self._live = None

    def status_changed(self, status: PlanStatus) -> None:  # noqa: D102
        self.state.update_status(status)

    def event(self, event: Event) -> None:  # noqa: D102
        self.state.add_event(event)

    def message(self, text: str) -> None:  # noqa: D102
        self.state.note(text)

    def tick(self) -> None:  # noqa: D102
        pass  # Live redraws on its own timer

    # ------------------------------------------------------------------ drawing

    def render(self) -> RenderableType:
        """The whole screen, from the current state."""
        from rich.console import Group
        from rich.panel import Panel

        with self.state.lock:
            parts = [
                self._progress(),
                self._phases(),
                self._in_progress(),
                self._activity(),
                self._recent(),
            ]
        title = f"statuskit · {self.state.plan_name or 'plan'}"
        if self.state.run_id:
            title += f" · {self.state.run_id}"
        return Panel(Group(*parts), title=title, border_style="blue")

    def _progress(self) -> RenderableType:
        from rich.panel import Panel
        from rich.progress_bar import ProgressBar
        from rich.table import Table

        status = self.state.status
        grid = Table.grid(expand=True)
        grid.add_column(ratio=3)
        grid.add_column(ratio=2, justify="right")
        if status is None:
            grid.add_row("waiting for the status…", "")
        else:
            summary = status.summary
            percent = summary.percent
            grid.add_row(
                ProgressBar(total=max(summary.total, 1), completed=summary.done),
                f"{percent:5.1f}%  {summary.done}/{summary.total} done · "
                f"{summary.in_progress} in progress · {summary.failed} failed · "
                f"{summary.pending} pending",
            )
        iteration = (
            f"session {self.state.iteration}/{self.state.max_iterations}"
            if self.state.iteration
            else ""
        )
        return Panel(grid, title="Progress", subtitle=iteration, title_align="left")

    def _phases(self) -> RenderableType:
        from rich.panel import Panel
        from rich.progress_bar import ProgressBar
        from rich.table import Table

        table = Table.grid(expand=True, padding=(0, 1))
        table.add_column(ratio=3, no_wrap=True, overflow="ellipsis")
        table.add_column(ratio=2)
        table.add_column(justify="right")
        status = self.state.status
        if status is not None:
            for phase in phase_progress(status.tasks):
                mark = f" [red]{phase.failed} failed[/]" if phase.failed else ""
                table.add_row(
                    phase.phase or "(no phase)",
                    ProgressBar(total=phase.total, completed=phase.done),
                    f"{phase.done}/{phase.total}{mark}",
                )
        return Panel(table, title="Phases", title_align="left")

    def _in_progress(self) -> RenderableType:
        from rich.panel import Panel
        from rich.table import Table

        table = Table.grid(padding=(0, 1))
        status = self.state.status
        rows = 0
        if status is not None:
            now = datetime.now().astimezone()
            for task in status.tasks:
                if task.status is TaskState.IN_PROGRESS:
                    since = ""
                    if task.started_at is not None:
                        since = f"{(now - task.started_at).total_seconds():.0f}s"
                    retry = f"retry {task.retry_count}" if task.retry_count else ""
                    table.add_row(
                        f"[bold]{task.id}[/]", task.description[:70], since, retry, task.owner or ""
                    )
                    rows += 1
        if not rows:
            table.add_row("[dim]nothing in progress[/]")
        return Panel(table, title="In progress", title_align="left")

    def _activity(self) -> RenderableType:
        from rich.panel import Panel
        from rich.table import Table

        state = self.state
        now = state.clock()
        table = Table.grid(padding=(0, 1))
        for line in _nested(list(reversed(state.tools))[-8:]):
            nest = "  └ " if line.parent else ""
            if line.finished is None:
                mark = f"[yellow]{SPINNER[int(now * 10) % len(SPINNER)]}[/]"
                took = f"{now - line.started:.1f}s…"
            elif line.abandoned:
                mark, took = "[red]![/]", "no result"
            else:
                mark = "[red]✗[/]" if line.is_error else "[green]✓[/]"
                took = f"{line.finished - line.started:.1f}s"
            table.add_row(mark, f"{nest}{line.name}", line.detail, took)
        if not state.tools:
            table.add_row("", "[dim]no tool activity yet[/]")
        beat = ""
        if state.session_started is not None and state.last_event is not None:
            silent = now - state.last_event
            frame = SPINNER[int(now * 10) % len(SPINNER)]
            tasks = ", ".join(state.session_tasks)
            beat = f"{frame} agent on {tasks} · last event {silent:.1f}s ago"
        if state.last_text:
            beat += f"\n[dim]{state.last_text[-100:]}[/]"
        from rich.console import Group

        return Panel(Group(table, beat) if beat else table, title="Activity", title_align="left")

    def _recent(self) -> RenderableType:
        from rich.panel import Panel
        from rich.table import Table

        table = Table.grid(padding=(0, 1))
        for task_id, state, detail in list(self.state.recent)[:5]:
            mark = {"completed": "[green]✓[/]", "failed": "[red]✗[/]", "skipped": "[dim]-[/]"}[
                state
            ]
            table.add_row(mark, task_id, state, detail[:70])
        for message in list(self.state.messages)[:3]:
            table.add_row("", "", "[dim]note[/]", f"[dim]{message[:80]}[/]")
        if not self.state.recent and not self.state.messages:
            table.add_row("[dim]nothing yet[/]")
        return Panel(table, title="Recent", title_align="left")


def make_view(state: ViewState, *, tui: bool) -> View:
    """The rich UI when asked for, installed and on a terminal; plain lines otherwise."""
    if tui and sys.stderr.isatty():
        try:
            return RichView(state)
        except ImportError:
            pass  # rich is optional: fall back to lines, never crash
    return PlainView(state)
