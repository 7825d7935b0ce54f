r"""The incremental parser: bytes or text in, typed events out. It never raises on input.

Inputs understood:

* Claude Code ``--output-format stream-json --verbose`` lines: ``system`` (``init`` and other
  subtypes, ``task_started``/``task_progress``/``task_updated``/``task_notification``,
  ``api_retry``), ``assistant`` (one line per content block; lines of one message share its
  id), ``user`` (``tool_result`` blocks), ``result``, ``stream_event``
  (``--include-partial-messages``), ``tool_progress`` and ``rate_limit_event``;
* raw Messages API events (``message_start``, ``content_block_start``/``delta``/``stop``,
  ``message_delta``, ``message_stop``, ``ping``, ``error``), also in SSE ``event:``/``data:``
  framing.

Unknown types, subtypes, block types and fields are skipped. The line framing (splitting,
decoding, the line limit, ``malformed`` lines) is in :mod:`statuskit.stream._framing`, the
block-by-block streamed messages (partial messages, raw API events) in
:mod:`statuskit.stream._messages`; this module holds the tools and Claude Code's line kinds.

Tool semantics: a tool *starts* at its first sign (a ``content_block_start`` of a ``tool_use``
block, or the ``assistant`` line carrying it), once per id; its input is *ready* when the block's
partial JSON is complete (or the snapshot arrives); it *finishes* when the ``tool_result`` with
its id arrives — in any order, interleaved with subagent lines — or, for a backgrounded tool, on
its task notification (or a ``task_updated`` to a final status). Claude Code before 2.1 sends
no task notifications, so for a session whose ``init`` names such a version a background call
finishes on its immediate result. ``content_block_stop`` only ends the model's writing of the
call. Tools still open when the input ends are reported abandoned.

Cost: every event is O(1) amortized. Open tools live in one dict (its insertion order is the
start order that abandoned tools are reported in). Streamed text is not kept (see
:mod:`~statuskit.stream._messages`), so memory is bounded by the open tools and the tool inputs
being streamed, whatever the length of the stream.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from statuskit.stream._framing import EXCERPT, LineFramer
from statuskit.stream._messages import StreamedMessages
from statuskit.stream._values import as_int, as_number, as_str, preview
from statuskit.stream.events import (
    ApiError,
    Event,
    Malformed,
    SessionStarted,
    Text,
    TextEnd,
    ToolAbandoned,
    ToolFinished,
    ToolInputReady,
    ToolProgress,
    ToolStarted,
    TurnResult,
    Waiting,
)

__all__ = ["DEFAULT_MAX_LINE", "StreamParser", "parse"]

#: The default longest line, in bytes (Claude Code puts whole file contents on one line).
DEFAULT_MAX_LINE = 16 * 1024 * 1024

_FINAL_TASK_STATUSES = frozenset({"completed", "failed", "killed", "stopped", "cancelled"})
_VERSION = re.compile(r"\s*(\d+)\.(\d+)")


class _Tool:
    __slots__ = ("background", "input_ready", "name", "parent", "returned", "started_at", "task")

    def __init__(self, name: str, parent: str | None, started_at: float) -> None:
        self.name = name
        self.parent = parent
        self.started_at = started_at
        self.input_ready = False
        self.background = False  # finishes on its task notification, not its tool_result
        self.returned = False  # a background call's immediate tool_result has arrived
        self.task: str | None = None  # the background task's id


class StreamParser(LineFramer, StreamedMessages):
    """Turns an agent's output into events, incrementally.

    Args:
        clock: monotonic seconds, for tool durations (default ``time.monotonic``).
        max_line: the longest line in bytes; a longer one becomes a ``malformed`` event.
            It also bounds one streamed tool input.

    Feed it with :meth:`feed` (bytes or str chunks of any size) and finish with
    :meth:`close`; both return the events found. :meth:`iter_events` does both over an
    iterable of chunks.

    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_line: int = DEFAULT_MAX_LINE,
    ) -> None:
        super().__init__(max_line)
        self.clock = clock
        self._tools: dict[str, _Tool] = {}
        self._announced: dict[str, str | None] = {}  # backgrounded before their start -> task
        self._tasks: dict[str, str] = {}  # background task id -> tool id
        self._early: set[str] = set()  # notified before their immediate tool_result
        self._notifies = True  # this Claude Code sends task notifications (2.1 and later)
        self._init_messages()

    def iter_events(self, chunks: Iterable[bytes | str]) -> Iterator[Event]:
        """Every event of a whole input given as chunks, end of input included."""
        for chunk in chunks:
            yield from self.feed(chunk)
        yield from self.close()

    def _end_of_input(self, events: list[Event]) -> None:
        self._end_messages(events)
        for tool_id, tool in self._tools.items():
            events.append(ToolAbandoned(0, tool_id, tool.name))
        self._tools.clear()

    def _dispatch(self, obj: dict[str, Any], line: str, events: list[Event]) -> None:
        kind = obj.get("type")
        handler = _HANDLERS.get(kind) if isinstance(kind, str) else None
        if handler is not None:
            try:
                handler(self, obj, events)
            except (AttributeError, TypeError, ValueError, KeyError, RecursionError) as exc:
                # A known type with an unexpected shape: report it, never raise.
                events.append(Malformed(self._line, f"unexpected shape: {exc}", line[:EXCERPT]))

    # ------------------------------------------------------------------ tools

    def _start_tool(
        self, tool_id: str, name: Any, parent: str | None, tool_input: Any, events: list[Event]
    ) -> None:
        if tool_id in self._tools:
            return
        tool = _Tool(name if isinstance(name, str) else "", parent, self.clock())
        if tool_id in self._announced:
            tool.background = True
            tool.task = self._announced.pop(tool_id)
        self._tools[tool_id] = tool
        events.append(ToolStarted(self._line, tool_id, tool.name, parent, tool_input))

    def _input_ready(self, tool_id: str, tool_input: Any, events: list[Event]) -> None:
        tool = self._tools.get(tool_id)
        if tool is None or tool.input_ready:
            return
        tool.input_ready = True
        if (
            self._notifies
            and isinstance(tool_input, dict)
            and tool_input.get("run_in_background") is True
        ):
            tool.background = True
        events.append(ToolInputReady(self._line, tool_id, tool.name, tool_input))

    def _finish_tool(
        self, tool_id: str, is_error: bool, preview: str, parent: str | None, events: list[Event]
    ) -> None:
        tool = self._tools.pop(tool_id, None)
        if tool is None:
            events.append(ToolFinished(self._line, tool_id, "", parent, is_error, None, preview))
            return
        if tool.task is not None:
            self._tasks.pop(tool.task, None)
        self._end_thread(tool_id, events)  # a subagent's unfinished message
        duration = round(max(0.0, self.clock() - tool.started_at), 6)
        events.append(
            ToolFinished(self._line, tool_id, tool.name, tool.parent, is_error, duration, preview)
        )

    def _finish_background(
        self, tool_id: str, status: Any, summary: Any, events: list[Event]
    ) -> None:
        tool = self._tools.get(tool_id)
        if tool is None or not tool.background:
            return  # a foreground task (its tool_result ends it), or already finished
        if not tool.returned:
            self._early.add(tool_id)  # swallow the immediate result still to come
        detail = summary if summary is not None else status
        self._finish_tool(tool_id, status != "completed", preview(detail), None, events)

    # ------------------------------------------------------------------ message kinds

    def _system(self, obj: dict[str, Any], events: list[Event]) -> None:
        subtype = obj.get("subtype")
        if subtype == "init":
            version = obj.get("claude_code_version")
            match = _VERSION.match(version) if isinstance(version, str) else None
            self._notifies = match is None or (int(match[1]), int(match[2])) >= (2, 1)
            events.append(
                SessionStarted(
                    self._line,
                    as_str(obj.get("session_id")),
                    as_str(obj.get("model")),
                    as_str(obj.get("cwd")),
                )
            )
        elif subtype == "task_started":
            tool_id = obj.get("tool_use_id")
            if isinstance(tool_id, str) and obj.get("is_backgrounded") is True:
                task_id = as_str(obj.get("task_id"))
                if task_id is not None:
                    self._tasks[task_id] = tool_id
                tool = self._tools.get(tool_id)
                if tool is None:
                    self._announced[tool_id] = task_id
                else:
                    tool.background = True
                    tool.task = task_id
        elif subtype == "task_progress":
            tool_id = obj.get("tool_use_id")
            tool = self._tools.get(tool_id) if isinstance(tool_id, str) else None
            if tool is not None and isinstance(tool_id, str):
                elapsed = round(self.clock() - tool.started_at, 3)
                events.append(ToolProgress(self._line, tool_id, elapsed))
        elif subtype == "task_notification":
            tool_id = obj.get("tool_use_id")
            if isinstance(tool_id, str):
                self._finish_background(tool_id, obj.get("status"), obj.get("summary"), events)
        elif subtype == "task_updated":
            # A task stopped (TaskStop, a kill) may end with this and no notification.
            patch = obj.get("patch")
            status = patch.get("status") if isinstance(patch, dict) else None
            task_id = obj.get("task_id")
            if status in _FINAL_TASK_STATUSES and isinstance(task_id, str):
                tool_id = self._tasks.get(task_id)
                if tool_id is not None:
                    self._finish_background(tool_id, status, None, events)
        elif subtype == "api_retry":
            error = obj.get("error")
            message = error if isinstance(error, str) and error else "API error"
            status = as_int(obj.get("error_status"))
            if status is not None:
                message = f"{message} (HTTP {status})"
            delay = as_number(obj.get("retry_delay_ms"))
            events.append(
                Waiting(
                    self._line,
                    "api_retry",
                    preview(message),
                    round(delay / 1000, 3) if delay is not None and delay >= 0 else None,
                    None,
                    as_int(obj.get("attempt")),
                    as_int(obj.get("max_retries")),
                )
            )
        elif subtype == "api_error":
            message = obj.get("error") or obj.get("message") or subtype
            events.append(ApiError(self._line, preview(message), False))

    def _rate_limit(self, obj: dict[str, Any], events: list[Event]) -> None:
        info = obj.get("rate_limit_info")
        if not isinstance(info, dict):
            return
        status = info.get("status")
        if status in ("allowed", "allowed_warning"):
            return  # sent with requests that go through: news, not a wait
        kind = info.get("rateLimitType")
        limit = f"{kind} limit" if isinstance(kind, str) and kind else "rate limit"
        message = f"{limit}: {status if isinstance(status, str) else 'limited'}"
        events.append(
            Waiting(
                self._line,
                "rate_limit",
                preview(message),
                None,
                as_number(info.get("resetsAt")),
                None,
                None,
            )
        )

    def _assistant(self, obj: dict[str, Any], events: list[Event]) -> None:
        message = obj.get("message")
        if not isinstance(message, dict):
            return
        parent = as_str(obj.get("parent_tool_use_id"))
        content = message.get("content")
        if not isinstance(content, list):
            return
        message_id = message.get("id")
        for block in content:
            if not isinstance(block, dict):
                continue
            kind = block.get("type")
            if kind == "tool_use":
                tool_id = block.get("id")
                if not isinstance(tool_id, str):
                    continue
                tool_input = block.get("input", {})
                self._start_tool(tool_id, block.get("name", ""), parent, tool_input, events)
                self._input_ready(tool_id, tool_input, events)
            elif kind == "text":
                text = block.get("text")
                if not isinstance(text, str) or not text:
                    continue
                if isinstance(message_id, str) and self._already_streamed(parent, message_id, text):
                    continue
                events.append(Text(self._line, text, parent))
                events.append(TextEnd(self._line, parent))

    def _user(self, obj: dict[str, Any], events: list[Event]) -> None:
        message = obj.get("message")
        if not isinstance(message, dict):
            return
        content = message.get("content")
        if not isinstance(content, list):
            return
        parent = as_str(obj.get("parent_tool_use_id"))
        for block in content:
            if not isinstance(block, dict) or block.get("type") != "tool_result":
                continue
            tool_id = block.get("tool_use_id")
            if not isinstance(tool_id, str):
                continue
            tool = self._tools.get(tool_id)
            if tool is not None and tool.background:
                tool.returned = True  # the call returned at once; its notification ends it
                continue
            if tool is None and tool_id in self._early:
                self._early.discard(tool_id)
                continue
            self._finish_tool(
                tool_id, block.get("is_error") is True, preview(block.get("content")), parent,
                events,
            )  # fmt: skip

    def _result(self, obj: dict[str, Any], events: list[Event]) -> None:
        subtype = obj.get("subtype")
        subtype = subtype if isinstance(subtype, str) else "unknown"
        is_error = obj.get("is_error") is True or subtype != "success"
        cost = obj.get("total_cost_usd", obj.get("cost_usd"))
        usage = obj.get("usage")
        events.append(
            TurnResult(
                self._line,
                subtype,
                is_error,
                as_int(obj.get("duration_ms")),
                as_number(cost),
                as_int(obj.get("num_turns")),
                usage if isinstance(usage, dict) else None,
            )
        )

    def _tool_progress(self, obj: dict[str, Any], events: list[Event]) -> None:
        tool_id = obj.get("tool_use_id")
        if isinstance(tool_id, str):
            elapsed = as_number(obj.get("elapsed_time_seconds"))
            events.append(ToolProgress(self._line, tool_id, elapsed))

    def _stream_event(self, obj: dict[str, Any], events: list[Event]) -> None:
        event = obj.get("event")
        if isinstance(event, dict):
            self._api_event(event, as_str(obj.get("parent_tool_use_id")), events)

    def _raw_api_event(self, obj: dict[str, Any], events: list[Event]) -> None:
        self._api_event(obj, None, events)


def _ignore(parser: StreamParser, obj: dict[str, Any], events: list[Event]) -> None:
    return None


_HANDLERS: dict[str, Callable[[StreamParser, dict[str, Any], list[Event]], None]] = {
    "system": StreamParser._system,
    "assistant": StreamParser._assistant,
    "user": StreamParser._user,
    "result": StreamParser._result,
    "stream_event": StreamParser._stream_event,
    "tool_progress": StreamParser._tool_progress,
    "rate_limit_event": StreamParser._rate_limit,
    # Raw Messages API events (also what SSE data lines carry).
    "message_start": StreamParser._raw_api_event,
    "content_block_start": StreamParser._raw_api_event,
    "content_block_delta": StreamParser._raw_api_event,
    "content_block_stop": StreamParser._raw_api_event,
    "message_delta": _ignore,
    "message_stop": StreamParser._raw_api_event,
    "ping": _ignore,
    "error": StreamParser._raw_api_event,
}


def parse(
    data: bytes | str | Iterable[bytes | str],
    *,
    clock: Callable[[], float] = time.monotonic,
    max_line: int = DEFAULT_MAX_LINE,
) -> list[Event]:
    """Every event of a whole input (a bytes/str value, or an iterable of chunks)."""
    parser = StreamParser(clock=clock, max_line=max_line)
    chunks: Iterable[bytes | str] = [data] if isinstance(data, (bytes, str)) else data
    return list(parser.iter_events(chunks))
