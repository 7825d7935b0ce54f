"""How a run is shown: the rich screen (:mod:`.screen`), or plain timestamped lines.

Both views draw one :class:`~statuskit.orchestrator.state.ViewState`. Everything is written
on stderr: stdout keeps the command's one JSON document. Plain lines are for logs, CI, and
terminals without ``rich``; when the screen was wanted but ``rich`` is missing, that is said
once, with the command that installs it.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import IO, Protocol

from statuskit import JournalEvent, PlanStatus
from statuskit.orchestrator.state import ViewState, clean
from statuskit.stream import (
    ApiError,
    Event,
    Malformed,
    ToolAbandoned,
    ToolFinished,
    ToolInputReady,
    ToolStarted,
    TurnResult,
    Waiting,
)

__all__ = ["RICH_MISSING", "PlainView", "View", "make_view"]

RICH_MISSING = (
    "statuskit: the live screen needs rich (pip install 'statuskit[tui]'); showing plain lines"
)
_MARKS = {"completed": "done", "failed": "FAILED", "skipped": "skipped"}


class View(Protocol):
    """A way of showing the run."""

    state: ViewState

    def start(self) -> None:
        """Begin showing."""

    def stop(self) -> None:
        """Stop showing (restore the terminal); the verdict, if any, stays visible."""

    def status_changed(
        self, status: PlanStatus, events: Sequence[JournalEvent] | None = None
    ) -> None:
        """The status changed; ``events`` are the journal's since the last call, if read."""

    def event(self, event: Event) -> None:
        """A stream event arrived."""

    def message(self, text: str) -> None:
        """The orchestrator has something to say."""

    def tick(self) -> None:
        """Called often by the loop while it waits."""

    def finish(self, outcome: str, text: str) -> None:
        """The run is over: show the verdict."""


class PlainView:
    """Timestamped lines on a stream (stderr by default)."""

    def __init__(self, state: ViewState, out: IO[str] | None = None, heartbeat: float = 10.0):
        self.state = state
        self.out = out or sys.stderr
        self.heartbeat = heartbeat
        self._last_beat = 0.0
        self._last_progress = ""
        self._last_waiting: str | None = None
        self._shown: set[str] = set()
        self._lock = threading.Lock()

    def _print(self, text: str) -> None:
        with self._lock:
            try:
                self.out.write(f"{datetime.now().strftime('%H:%M:%S')} {text}\n")
                self.out.flush()
            except (OSError, ValueError):
                pass  # a closed stderr must not end the run

    def start(self) -> None:  # noqa: D102 - documented on the protocol
        pass

    def stop(self) -> None:  # noqa: D102
        pass

    def status_changed(  # noqa: D102
        self, status: PlanStatus, events: Sequence[JournalEvent] | None = None
    ) -> None:
        for entry in self.state.update_status(status, events):
            task_id, _, detail = entry.text.partition(" · ")
            if entry.kind == "retrying":
                self._print(f"task {task_id} {detail} started")
            elif entry.kind == "note":
                self._print(entry.text)
            else:
                self._print(f"task {task_id} {_MARKS[entry.kind]}: {detail}")
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
        waiting = self.state.waiting
        if waiting != self._last_waiting:
            self._last_waiting = waiting
            if waiting:
                self._print(f"  waiting: {waiting}")
        if isinstance(event, (ToolStarted, ToolInputReady)) and line is not None:
            # A streamed call starts before its input is known: say it once, with the input.
            if line.detail and line.tool_id not in self._shown:
                self._shown.add(line.tool_id)
                self._print(f"{indent}> {line.name} {line.detail}")
        elif isinstance(event, ToolFinished) and line is not None:
            if line.tool_id not in self._shown:
                self._shown.add(line.tool_id)
                self._print(f"{indent}> {line.name}")
            took = (line.finished or line.started) - line.started
            self._print(f"{indent}< {line.name} {'error' if event.is_error else 'ok'} {took:.1f}s")
        elif isinstance(event, ToolAbandoned):
            self._print(f"  ! {clean(event.name, 60)} never finished")
        elif isinstance(event, TurnResult):
            turns = f" ({event.num_turns} turns)" if event.num_turns is not None else ""
            if event.is_error:
                self._print(f"  agent turn ended in error: {clean(event.subtype, 80)}{turns}")
            else:
                self._print(f"  agent turn ended{turns}")
        elif isinstance(event, ApiError):
            self._print(f"  api error: {clean(event.message, 300)}")
        elif isinstance(event, Malformed):
            self._print(f"  unreadable agent output line {event.line}: {clean(event.reason)}")
        elif isinstance(event, Waiting):
            pass  # said above, once per change

    def message(self, text: str) -> None:  # noqa: D102
        self.state.note(text)
        self._print(clean(text, 2000))

    def tick(self) -> None:  # noqa: D102
        state = self.state
        if state.session_started is None or state.last_event is None:
            return
        now = state.clock()
        silent = now - state.last_event
        if silent >= self.heartbeat and now - self._last_beat >= self.heartbeat:
            self._last_beat = now
            what = f"waiting ({state.waiting})" if state.waiting else "silent"
            self._print(f"  ... agent {what} for {silent:.0f}s")

    def finish(self, outcome: str, text: str) -> None:  # noqa: D102
        self.state.finish(outcome, text)
        self._print(f"{outcome.upper().replace('_', ' ')}: {clean(text, 2000)}")


_said_rich_missing = False


def make_view(state: ViewState, *, tui: bool) -> View:
    """The rich screen when asked for and on a terminal; plain lines otherwise.

    When the screen was asked for on a terminal but ``rich`` is not installed, one line on
    stderr says how to get it.
    """
    global _said_rich_missing  # noqa: PLW0603 - said once per process
    if tui and sys.stderr.isatty():
        try:
            from statuskit.orchestrator.screen import RichView

            return RichView(state)
        except ImportError:
            if not _said_rich_missing:
                _said_rich_missing = True
                sys.stderr.write(RICH_MISSING + "\n")
    return PlainView(state)
