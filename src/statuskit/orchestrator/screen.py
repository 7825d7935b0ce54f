"""The live screen (needs ``rich``): a fixed layout that fits an 80x24 terminal and uses more.

Drawn as whole lines, each cut to the terminal's width (never wrapped), in sections whose
heights depend only on the terminal's size and the plan's shape — so the screen does not jump
as things come and go. From the top: title, progress bar, phases (a window around the current
phase), the tasks in progress (from the status, or the retry waiting for its back-off),
the tools of the sessions with a separator between sessions, a heartbeat line (or, at the
end, the verdict), the agent's last message, and a chronological log of task changes and
notes. Foreign text is always placed as plain text, never read as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.text import Text

from statuskit import JournalEvent, PhaseProgress, PlanStatus, TaskState, phase_progress
from statuskit.orchestrator.state import LogEntry, ToolLine, ViewState
from statuskit.stream import Event

__all__ = ["Layout", "RichView", "layout"]

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
_LOG_MARKS = {
    "completed": ("✓", "green"),
    "failed": ("✗", "red"),
    "skipped": ("-", "dim"),
    "retrying": ("↻", "yellow"),
    "note": ("·", "dim"),
}
_FIXED_ROWS = 8  # title, progress, four rules, heartbeat, message


class Layout(NamedTuple):
    """Rows given to each section."""

    phases: int
    in_progress: int
    activity: int
    recent: int


def layout(height: int, phases: int, batch: int) -> Layout:
    """How many rows each section gets on a terminal ``height`` rows tall (one spare row)."""
    budget = max(height - 1 - _FIXED_ROWS, 4)
    shown_phases = max(1, min(phases, max(1, budget // 5)))
    in_progress = max(1, min(batch, 4, budget // 6))
    rest = max(2, budget - shown_phases - in_progress)
    recent = max(1, rest * 2 // 5)
    return Layout(shown_phases, in_progress, max(1, rest - recent), recent)


def _fit(left: Text, right: Text | str, width: int) -> Text:
    """``left`` cut with an ellipsis, then ``right`` flush right: exactly ``width`` cells."""
    right = Text(right) if isinstance(right, str) else right
    room = max(0, width - right.cell_len - (1 if right.cell_len else 0))
    line = left.copy()
    line.truncate(room, overflow="ellipsis", pad=True)
    if right.cell_len:
        line.append(" ")
        line.append_text(right)
    line.truncate(width, overflow="ellipsis")
    line.no_wrap = True
    return line


def _rule(title: str, width: int, note: str = "") -> Text:
    line = Text("── ", style="blue")
    line.append(title, style="bold")
    if note:
        line.append(f" · {note}", style="dim")
    line.append(" " + "─" * width, style="blue")
    line.truncate(width)
    line.no_wrap = True
    return line


def _bar(width: int, total: int, done: int, failed: int = 0, running: int = 0) -> Text:
    width = max(width, 1)
    total = max(total, 1)
    cells = [round(width * n / total) for n in (done, failed, running)]
    bar = Text()
    for count, char, style in zip(cells, "██▓", ("green", "red", "yellow"), strict=True):
        bar.append(char * count, style=style)
    bar.append("░" * max(0, width - bar.cell_len), style="dim")
    bar.truncate(width)
    return bar


def _since(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds // 60:.0f}m{seconds % 60:02.0f}s"
    return f"{seconds // 3600:.0f}h{seconds % 3600 // 60:02.0f}m"


class RichView:
    """The live screen on stderr (or on ``console``, e.g. a recording one in tests)."""

    def __init__(self, state: ViewState, console: Console | None = None) -> None:
        self.state = state
        self.console = console or Console(stderr=True)
        self._live: Live | None = None

    def start(self) -> None:  # noqa: D102 - documented on the View protocol
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
            self._live.stop()  # draws once more: the verdict stays on the screen
            self._live = None

    def status_changed(  # noqa: D102
        self, status: PlanStatus, events: Sequence[JournalEvent] | None = None
    ) -> None:
        self.state.update_status(status, events)

    def event(self, event: Event) -> None:  # noqa: D102
        self.state.add_event(event)

    def message(self, text: str) -> None:  # noqa: D102
        self.state.note(text)

    def tick(self) -> None:  # noqa: D102
        pass  # Live redraws on its own timer

    def finish(self, outcome: str, text: str) -> None:  # noqa: D102
        self.state.finish(outcome, text)

    # ------------------------------------------------------------------ drawing

    def render(self) -> RenderableType:
        """The whole screen for the console's current size."""
        width, height = self.console.size
        with self.state.lock:
            return Group(*self.lines(width, height))

    def lines(self, width: int, height: int) -> list[Text]:
        """The screen's lines (the caller holds the state's lock)."""
        state = self.state
        status = state.status
        phases = phase_progress(status.tasks) if status is not None else []
        rows = layout(height, len(phases), state.batch)
        now = state.clock()
        out = [self._title(width), self._progress(status, width)]
        out += self._phases(phases, rows.phases, width)
        out += self._in_progress(status, rows.in_progress, width, now)
        out += self._activity(rows.activity, width, now)
        out += self._recent(rows.recent, width)
        return out

    def _title(self, width: int) -> Text:
        state = self.state
        left = Text("statuskit", style="bold blue")
        left.append(f" · {state.plan_name or 'plan'}", style="bold")
        if state.run_id:
            left.append(f" · {state.run_id}", style="dim")
        right = f"session {state.iteration}/{state.max_iterations}" if state.iteration else ""
        return _fit(left, right, width)

    def _progress(self, status: PlanStatus | None, width: int) -> Text:
        if status is None:
            return _fit(Text("reading the status…", style="dim"), "", width)
        s = status.summary
        counts = (
            f" {s.percent:3.0f}%  {s.done}/{s.total} done · {s.in_progress} running · "
            f"{s.failed} failed · {s.pending} pending"
        )
        if len(counts) > width - 12:
            counts = f" {s.percent:3.0f}% {s.done}/{s.total} · {s.failed} failed"
        bar = _bar(max(8, width - len(counts)), s.total, s.done, s.failed, s.in_progress)
        counts_text = Text(counts, style="red" if s.failed else "")
        return _fit(bar, counts_text, width) if len(counts) >= width else bar + counts_text

    def _phases(self, phases: Sequence[PhaseProgress], slots: int, width: int) -> list[Text]:
        current = next((i for i, p in enumerate(phases) if p.done < p.total), len(phases) - 1)
        start = max(0, min(current - 1, len(phases) - slots))
        shown = phases[start : start + slots]
        note = f"{start + 1}-{start + len(shown)} of {len(phases)}" if len(phases) > slots else ""
        lines = [_rule("Phases", width, note)]
        name_width = max(10, width * 2 // 5)
        bar_width = max(6, width - name_width - 18)
        for phase in shown:
            name = Text(
                phase.phase or "(no phase)", style="bold" if phase.done < phase.total else ""
            )
            name.truncate(name_width, overflow="ellipsis", pad=True)
            line = name + Text(" ") + _bar(bar_width, phase.total, phase.done, phase.failed)
            right = Text(f"{phase.done}/{phase.total}")
            if phase.failed:
                right.append(f" {phase.failed} failed", style="red")
            lines.append(_fit(line, right, width))
        lines += [Text("")] * (slots - len(shown))
        return lines

    def _in_progress(
        self, status: PlanStatus | None, slots: int, width: int, now: float
    ) -> list[Text]:
        state = self.state
        running = [t for t in status.tasks if t.status is TaskState.IN_PROGRESS] if status else []
        lines = [_rule("In progress", width, f"{len(running)}" if running else "")]
        wall = state.wallclock()
        for task in running[: slots if len(running) <= slots else slots - 1]:
            left = Text(task.id, style="bold")
            left.append(f"  {task.description}")
            right = Text()
            if task.retry_count:
                right.append(f"retry {task.retry_count} · ", style="yellow")
            if task.owner and task.owner != state.owner:
                right.append(f"{task.owner} · ", style="dim")
            if task.started_at is not None:
                right.append(_since(max(0.0, (wall - task.started_at).total_seconds())))
            lines.append(_fit(left, right, width))
        if len(running) > slots:
            lines.append(Text(f"… and {len(running) - slots + 1} more", style="dim"))
        if not running:
            if state.next_retry is not None:
                ids, attempt, at = state.next_retry
                text = Text(f"{', '.join(ids)} failed · retry {attempt} in ", style="yellow")
                text.append(f"{max(0.0, at - now):.1f}s")
                lines.append(_fit(text, "", width))
            elif state.verdict is None:
                lines.append(Text("nothing in progress", style="dim"))
        return lines + [Text("")] * (slots + 1 - len(lines))

    def _tool_rows(self, width: int, now: float) -> list[Text]:
        state = self.state
        rows: list[Text] = []
        session = None
        tools = list(state.tools)
        ids = {line.tool_id for line in tools}
        children: dict[str, list[ToolLine]] = {}
        roots: list[ToolLine] = []
        for line in tools:
            if line.parent is not None and line.parent in ids:
                children.setdefault(line.parent, []).append(line)
            else:
                roots.append(line)
        for root in roots:
            for line, depth in [(root, 0)] + [(c, 1) for c in children.get(root.tool_id, ())]:
                if line.session != session:
                    session = line.session
                    rows.append(Text(f"┄┄ session {session} ┄┄", style="dim"))
                rows.append(self._tool(line, depth, width, now))
        return rows

    def _tool(self, line: ToolLine, depth: int, width: int, now: float) -> Text:
        final = self.state.verdict is not None
        if line.finished is None and not final:
            mark = Text(SPINNER[int(now * 10) % len(SPINNER)], style="yellow")
            took = f"{now - line.started:.1f}s…"
        elif line.abandoned or line.finished is None:
            mark, took = Text("!", style="red"), "no result"
        else:
            mark = Text("✗", style="red") if line.is_error else Text("✓", style="green")
            took = f"{line.finished - line.started:.1f}s"
        left = mark + Text(" " + "  └ " * depth)
        left.append(f"{line.name:<6} ", style="bold")
        left.append(line.detail)
        return _fit(left, Text(took, style="dim"), width)

    def _activity(self, slots: int, width: int, now: float) -> list[Text]:
        state = self.state
        note = (
            f"session {state.iteration} · {', '.join(state.session_tasks)}"
            if (state.session_started is not None)
            else ""
        )
        lines = [_rule("Activity", width, note)]
        rows = self._tool_rows(width, now)
        if not rows:
            rows = [Text("no tool activity yet", style="dim")]
        shown = rows[-slots:]
        lines += shown + [Text("")] * (slots - len(shown))
        if state.verdict is not None:
            lines += self._verdict(width)
            return lines
        lines.append(self._heartbeat(width, now))
        message = Text("> ", style="dim")
        message.append(state.agent_message[-(width * 2) :] if state.agent_message else "")
        lines.append(_fit(message, "", width))
        return lines

    def _verdict(self, width: int) -> list[Text]:
        """Two rows: the outcome and what decided it, then the rest (the counts)."""
        assert self.state.verdict is not None
        outcome, text = self.state.verdict
        good = outcome == "complete"
        style = "bold green" if good else "bold red"
        line = Text("✔ " if good else "✗ ", style=style)
        line.append(outcome.replace("_", " ").upper(), style=style)
        head, _, rest = text.rpartition("; ") if "; " in text else (text, "", "")
        line.append(f"  {head}")
        return [_fit(line, "", width), _fit(Text(f"  {rest}"), "", width)]

    def _heartbeat(self, width: int, now: float) -> Text:
        state = self.state
        frame = SPINNER[int(now * 10) % len(SPINNER)]
        if state.session_started is not None and state.last_event is not None:
            tasks = ", ".join(state.session_tasks)
            silent = now - state.last_event
            elapsed = _since(now - state.session_started)
            if state.waiting:
                line = Text(f"⏸ agent on {tasks} · {elapsed} · ", style="yellow")
                line.append(f"waiting: {state.waiting}", style="yellow")
                return _fit(line, f"{silent:.0f}s", width)
            line = Text(f"{frame} ", style="yellow")
            line.append(f"agent on {tasks} · {elapsed} · last event {silent:.1f}s ago")
            return _fit(line, "", width)
        if state.next_retry is not None:
            return _fit(Text(f"{frame} waiting for the retry back-off", style="dim"), "", width)
        return _fit(Text(f"{frame} between sessions", style="dim"), "", width)

    def _recent(self, slots: int, width: int) -> list[Text]:
        lines = [_rule("Recent", width)]
        entries: list[LogEntry] = list(self.state.log)[-slots:]
        for entry in entries:
            mark, style = _LOG_MARKS.get(entry.kind, ("·", "dim"))
            left = Text(_clock(entry.at) + " ", style="dim")
            left.append(mark + " ", style=style)
            task, sep, detail = entry.text.partition(" · ")
            if entry.kind == "note":
                left.append(entry.text, style="dim")
            else:
                left.append(f"{task} {entry.kind}", style=style)
                if sep:
                    left.append(f" · {detail}")
            lines.append(_fit(left, "", width))
        if not entries:
            lines.append(Text("nothing yet", style="dim"))
        return lines + [Text("")] * (slots + 1 - len(lines))


def _clock(at: datetime) -> str:
    return at.strftime("%H:%M:%S")
