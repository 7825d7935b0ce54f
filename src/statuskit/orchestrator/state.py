"""What the views show, as data: a :class:`ViewState` fed by the loop, the watcher and the stream.

Two sources, never mixed up: the status (progress, phases, the tasks *actually* in progress,
completions and failures) and the agent's stream (tools as they start and finish, its last
message, whether it waits on the API). Everything that comes from outside — plan titles,
agent text, tool input — is cleaned here (terminal escapes and control characters removed)
before any view sees it; the rich view also never reads it as markup.
"""

from __future__ import annotations

import collections
import os
import shlex
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import attrs

from statuskit import JournalEvent, PlanStatus, Task, TaskState
from statuskit.stream import (
    Event,
    Text,
    TextEnd,
    ToolAbandoned,
    ToolFinished,
    ToolInputReady,
    ToolStarted,
    TurnResult,
    Waiting,
    printable,
)

__all__ = ["LogEntry", "ToolLine", "ViewState", "clean", "tool_detail", "waiting_text"]

# statuskit's global options that only say where the status is: the same in every command of a
# session, so they are left out of what is shown (the subcommand and the task id are what
# tell two commands apart).
_WHERE_OPTIONS = {"--plan", "--status", "--store", "--plan-key", "--output-dir", "--lock-timeout"}


def clean(text: Any, limit: int = 2000) -> str:
    """``text`` made safe for a terminal line (see :func:`statuskit.stream.printable`), cut."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    return " ".join(printable(text[: limit * 2]).split())[:limit]


def waiting_text(event: Waiting) -> str:
    """What the agent waits for, for people: ``rate limit ... until 14:05``, ``API retry 2/10``."""
    text = event.message or event.reason.replace("_", " ")
    if event.reason == "api_retry":
        attempt = (
            f" {event.attempt}/{event.max_retries}" if event.attempt and event.max_retries else ""
        )
        text = f"API retry{attempt}: {text}"
    if event.retry_in_s is not None:
        text += f", next try in {event.retry_in_s:.0f}s"
    elif event.resets_at is not None and 0 < event.resets_at < 1e11:
        text += time.strftime(" until %H:%M", time.localtime(event.resets_at))
    return text


def _command(command: str) -> str:
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    shown: list[str] = []
    skipping = False
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        if skipping:
            option = word.split("=", 1)[0]
            if option in _WHERE_OPTIONS:
                index += 0 if "=" in word else 1
                continue
            skipping = False
        if os.path.basename(word) == "statuskit":
            skipping = True
        shown.append(word if word and not any(c.isspace() for c in word) else f'"{word}"')
    return " ".join(shown)


def _relative(path: str, cwd: str) -> str:
    if cwd and os.path.isabs(path):
        inside = os.path.relpath(path, cwd)
        if not inside.startswith(".."):
            return inside
    return path


def tool_detail(name: str, tool_input: Any, cwd: str = "") -> str:
    """The part of a tool call that tells it apart from the others, on one line."""
    if not isinstance(tool_input, dict):
        return ""
    command = tool_input.get("command")
    if isinstance(command, str) and command:
        return clean(_command(command))
    for key in ("file_path", "notebook_path", "path"):
        value = tool_input.get(key)
        if isinstance(value, str) and value:
            return clean(_relative(value, cwd))
    for key in ("pattern", "url", "query", "description", "prompt", "subject"):
        value = tool_input.get(key)
        if isinstance(value, str) and value:
            return clean(value)
    return ""


@attrs.define
class ToolLine:
    """One tool call of the activity list."""

    tool_id: str
    name: str
    detail: str
    parent: str | None
    started: float
    session: int
    finished: float | None = None
    is_error: bool = False
    abandoned: bool = False
    detail_late: bool = False


@attrs.frozen
class LogEntry:
    """One line of the chronological log: a task change or an orchestrator note."""

    at: datetime
    kind: str
    """``completed``, ``failed``, ``skipped``, ``retrying`` or ``note``."""
    text: str


def _now() -> datetime:
    return datetime.now().astimezone()


@attrs.define
class ViewState:
    """Everything the views draw; updated from the loop, the watcher and the stream."""

    clock: Callable[[], float] = time.monotonic
    wallclock: Callable[[], datetime] = _now
    status: PlanStatus | None = None
    plan_name: str = ""
    run_id: str = ""
    owner: str = ""
    cwd: str = ""
    batch: int = 1
    iteration: int = 0
    max_iterations: int = 0
    session_tasks: tuple[str, ...] = ()
    session_started: float | None = None
    last_event: float | None = None
    waiting: str | None = None
    next_retry: tuple[tuple[str, ...], int, float] | None = None
    """``(task ids, attempt, monotonic time)`` of a retry waiting for its back-off."""
    tools: collections.deque[ToolLine] = attrs.field(factory=lambda: collections.deque(maxlen=60))
    log: collections.deque[LogEntry] = attrs.field(factory=lambda: collections.deque(maxlen=60))
    agent_message: str = ""
    verdict: tuple[str, str] | None = None
    """``(outcome, one line)`` once the run is over."""
    status_updates: int = 0
    lock: threading.Lock = attrs.field(factory=threading.Lock)
    _text_open: bool = False

    def update_status(
        self, status: PlanStatus, events: Sequence[JournalEvent] | None = None
    ) -> list[LogEntry]:
        """Take a new snapshot; return (and log) what finished, failed, retries or was taken.

        With ``events`` (the journal since the last snapshot), the log says what every writer
        did, this run's agents or any other worker's, in the order the journal has it, named
        by who did it. Without, it compares the two snapshots.
        """
        with self.lock:
            previous = {t.id: t for t in self.status.tasks} if self.status else {}
            self.status = status
            self.status_updates += 1
            self.plan_name = clean(status.plan_name or self.plan_name, 200)
            if events is None:
                changes = self._snapshot_changes(previous, status)
            else:
                changes = [e for e in (self._journal_entry(ev, status) for ev in events) if e]
            self.log.extend(changes)
            return changes

    def _snapshot_changes(self, previous: dict[str, Task], status: PlanStatus) -> list[LogEntry]:
        changes = []
        now = self.wallclock()
        for task in status.tasks:
            before = previous.get(task.id)
            if before is None or before.status is task.status:
                continue
            if task.status in (TaskState.COMPLETED, TaskState.FAILED, TaskState.SKIPPED):
                detail = task.error or task.notes or task.skip_reason or task.description
                changes.append(LogEntry(now, task.status.value, f"{task.id} · {clean(detail)}"))
            elif task.status is TaskState.IN_PROGRESS and before.status is TaskState.FAILED:
                changes.append(LogEntry(now, "retrying", f"{task.id} · retry {task.retry_count}"))
        return changes

    def _journal_entry(self, event: JournalEvent, status: PlanStatus) -> LogEntry | None:
        """One log line for a journal event worth a line (moves, reclaims, overrides)."""
        task = event.task or ""
        who = event.actor.owner or event.owner
        by = f" (by {clean(who, 80)})" if who and who != self.owner else ""
        at = event.at.astimezone()
        done = (TaskState.COMPLETED.value, TaskState.FAILED.value, TaskState.SKIPPED.value)
        if event.kind == "moved" and event.to_state in done:
            detail = next(
                (event.details[k] for k in ("error", "notes", "reason") if event.details.get(k)),
                status.task(task).description if status.has_task(task) else "",
            )
            return LogEntry(at, event.to_state or "", f"{task} · {clean(detail)}{by}")
        if event.kind == "moved" and event.to_state == TaskState.PENDING.value:
            return LogEntry(at, "note", f"{task} back to pending{by}")
        if event.kind in ("claimed", "moved") and event.from_state == TaskState.FAILED.value:
            retry = status.task(task).retry_count if status.has_task(task) else 0
            return LogEntry(at, "retrying", f"{task} · retry {retry}{by}")
        if event.kind == "reclaimed":
            return LogEntry(at, "note", f"{task} taken back by {clean(who or '?', 80)}")
        if event.kind == "forced":
            return LogEntry(at, "note", f"{task or 'plan'} · forced write{by}")
        return None

    def add_event(self, event: Event) -> ToolLine | None:
        """Record a stream event; return the tool line it touched, if any."""
        now = self.clock()
        with self.lock:
            self.last_event = now
            if isinstance(event, Waiting):
                self.waiting = clean(waiting_text(event), 200)
                return None
            self.waiting = None
            if isinstance(event, TextEnd):
                if event.parent_tool_id is None:
                    self._text_open = False  # the next text is a new message
                return None
            if isinstance(event, Text):
                if event.parent_tool_id is None:
                    text = clean(event.text, 500)
                    joined = f"{self.agent_message} {text}" if self._text_open else text
                    self.agent_message = joined[-500:].strip()
                    self._text_open = True
                return None
            self._text_open = False  # a tool between two texts: a new message too
            if isinstance(event, ToolStarted):
                parent = event.parent_tool_id if isinstance(event.parent_tool_id, str) else None
                line = ToolLine(
                    clean(event.tool_id, 100),
                    clean(event.name, 60) or "?",
                    tool_detail(event.name, event.input, self.cwd),
                    parent,
                    now,
                    self.iteration,
                )
                self.tools.append(line)
                return line
            if isinstance(event, ToolInputReady):
                known = self._line(event.tool_id)
                if known is not None and not known.detail:
                    known.detail = tool_detail(event.name, event.input, self.cwd)
                    known.detail_late = bool(known.detail)
                return known
            if isinstance(event, (ToolFinished, ToolAbandoned)):
                known = self._line(event.tool_id)
                if known is not None:
                    known.finished = now
                    known.is_error = isinstance(event, ToolFinished) and event.is_error
                    known.abandoned = isinstance(event, ToolAbandoned)
                return known
            if isinstance(event, TurnResult):
                self._text_open = False
            return None

    def _line(self, tool_id: Any) -> ToolLine | None:
        key = clean(tool_id, 100)
        for line in reversed(self.tools):
            if line.tool_id == key:
                return line
        return None

    def begin_session(self, iteration: int, tasks: tuple[str, ...]) -> None:
        """A new agent session starts."""
        with self.lock:
            self.iteration = iteration
            self.session_tasks = tasks
            self.session_started = self.last_event = self.clock()
            self.agent_message = ""
            self.waiting = None
            self.next_retry = None
            self._text_open = False

    def end_session(self) -> None:
        """The session is over: no heartbeat until the next one."""
        with self.lock:
            self.session_started = None
            self.waiting = None
            for line in self.tools:
                if line.finished is None:
                    line.finished, line.abandoned = self.clock(), True

    def schedule_retry(self, ids: tuple[str, ...], attempt: int, delay: float) -> None:
        """A retry waits ``delay`` seconds (its tasks stay failed until it starts)."""
        with self.lock:
            self.next_retry = (ids, attempt, self.clock() + delay)

    def note(self, message: str) -> None:
        """An orchestrator message (a session started, a retry scheduled, a holder gone...)."""
        with self.lock:
            self.log.append(LogEntry(self.wallclock(), "note", clean(message, 500)))

    def finish(self, outcome: str, text: str) -> None:
        """The run is over: the verdict replaces the heartbeat."""
        with self.lock:
            self.verdict = (outcome, clean(text, 500))
            self.session_started = None
            self.next_retry = None
            self.waiting = None
