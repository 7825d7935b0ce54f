r"""The incremental parser: bytes or text in, typed events out. It never raises on input.

Inputs understood:

* Claude Code ``--output-format stream-json --verbose`` lines: ``system`` (``init`` and other
  subtypes, ``task_started``/``task_progress``/``task_notification``, ``api_retry``),
  ``assistant`` (one line per content block; lines of one message share its id), ``user``
  (``tool_result`` blocks), ``result``, ``stream_event`` (``--include-partial-messages``),
  ``tool_progress`` and ``rate_limit_event``;
* raw Messages API events (``message_start``, ``content_block_start``/``delta``/``stop``,
  ``message_delta``, ``message_stop``, ``ping``, ``error``), also in SSE ``event:``/``data:``
  framing.

Unknown types, subtypes, block types and fields are skipped.

Tool semantics: a tool *starts* at its first sign (a ``content_block_start`` of a ``tool_use``
block, or the ``assistant`` line carrying it), once per id; its input is *ready* when the block's
partial JSON is complete (or the snapshot arrives); it *finishes* when the ``tool_result`` with
its id arrives — in any order, interleaved with subagent lines — or, for a backgrounded tool, on
its task notification. ``content_block_stop`` only ends the model's writing of the call. Tools
still open when the input ends are reported abandoned.

Robustness: lines are split on ``\\n`` only (``str.splitlines`` would also split on U+2028 inside
a JSON string), a trailing ``\\r`` is dropped, UTF-8 is decoded incrementally across chunk seams
(invalid bytes become U+FFFD), and a line longer than ``max_line`` bytes is skipped as it
arrives — memory stays bounded — and reported as one ``malformed`` event.
"""

from __future__ import annotations

import codecs
import json
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from statuskit.stream.events import (
    ApiError,
    Event,
    Malformed,
    SessionStarted,
    Text,
    ToolAbandoned,
    ToolFinished,
    ToolInputReady,
    ToolProgress,
    ToolStarted,
    TurnResult,
)

__all__ = ["DEFAULT_MAX_LINE", "StreamParser", "parse"]

#: The default longest line, in bytes (Claude Code puts whole file contents on one line).
DEFAULT_MAX_LINE = 16 * 1024 * 1024
PREVIEW = 120
EXCERPT = 80

_loads = json.loads
# The decoder's scanner: what json.loads calls after two Python layers (typeshed omits it).
_scan: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


class _Tool:
    __slots__ = ("background", "input_ready", "name", "parent", "started_at")

    def __init__(self, name: str, parent: str | None, started_at: float) -> None:
        self.name = name
        self.parent = parent
        self.started_at = started_at
        self.input_ready = False
        self.background = False


def _preview(content: Any) -> str:
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, dict):
                text = block.get("text")
                parts.append(text if isinstance(text, str) else f"[{block.get('type', '?')}]")
            else:
                parts.append(str(block))
        content = " ".join(parts)
    elif content is None:
        content = ""
    elif not isinstance(content, str):
        content = json.dumps(content, ensure_ascii=False)[: PREVIEW * 2]
    text = " ".join(content[: PREVIEW * 4].split())
    return text if len(text) <= PREVIEW else text[: PREVIEW - 1] + "…"


class StreamParser:
    """Turns an agent's output into events, incrementally.

    Args:
        clock: monotonic seconds, for tool durations (default ``time.monotonic``).
        max_line: the longest line in bytes; a longer one becomes a ``malformed`` event.

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
        self.clock = clock
        self.max_line = max_line
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer: list[str] = []
        self._buffered = 0
        self._skipping = False
        self._line = 0
        self._closed = False
        self._tools: dict[str, _Tool] = {}
        self._order: list[str] = []
        # Partial messages: (parent tool, message id) of the message being streamed, per parent,
        # and per (parent, message id, block index) the block's kind and accumulated text.
        self._current_message: dict[str | None, str] = {}
        self._blocks: dict[tuple[str | None, str, int], list[Any]] = {}
        self._streamed_text: dict[str, list[str]] = {}
        self._backgrounded: set[str] = set()

    # ------------------------------------------------------------------ input

    def feed(self, chunk: bytes | str) -> list[Event]:
        """Consume a chunk; return the events of every line it completes."""
        text = self._decoder.decode(chunk) if isinstance(chunk, (bytes, bytearray)) else chunk
        events: list[Event] = []
        if not text:
            return events
        lines = text.split("\n")
        tail = lines.pop()  # the part after the last newline: an unfinished line
        if lines:
            start = 0
            if self._buffer or self._skipping:
                self._take(lines[0], complete=True, events=events)
                start = 1
            # The common case, inline: whole lines that fit within the limit.
            limit = self.max_line
            quick = limit // 4  # a line this short cannot exceed the limit in UTF-8
            handle = self._handle_line
            for index in range(start, len(lines)):
                line = lines[index]
                if len(line) > quick:
                    self._take(line, complete=True, events=events)
                    continue
                self._line += 1
                if line:
                    if line[-1] == "\r":
                        line = line[:-1]
                        if not line:
                            continue
                    handle(line, events, truncated=False)
        if tail:
            self._take(tail, complete=False, events=events)
        return events

    def close(self) -> list[Event]:
        """End of input: the last line without a newline, then every tool still open."""
        if self._closed:
            return []
        self._closed = True
        events: list[Event] = []
        tail = self._decoder.decode(b"", final=True)
        if tail:
            self._take(tail, complete=False, events=events)
        if self._skipping:
            self._skipping = False
        elif self._buffer:
            line = "".join(self._buffer)
            self._buffer, self._buffered = [], 0
            self._line += 1
            if line.strip():
                self._handle_line(line, events, truncated=True)
        for tool_id in self._order:
            tool = self._tools.get(tool_id)
            if tool is not None:
                events.append(ToolAbandoned(0, tool_id, tool.name))
        self._tools.clear()
        return events

    def iter_events(self, chunks: Iterable[bytes | str]) -> Iterator[Event]:
        """Every event of a whole input given as chunks, end of input included."""
        for chunk in chunks:
            yield from self.feed(chunk)
        yield from self.close()

    def _take(self, piece: str, *, complete: bool, events: list[Event]) -> None:
        if self._skipping:
            if complete:
                self._skipping = False
            return
        size = len(piece) if piece.isascii() else len(piece.encode("utf-8", "surrogatepass"))
        if self._buffered + size > self.max_line:
            self._line += 1
            head = ("".join(self._buffer) + piece)[:EXCERPT]
            events.append(
                Malformed(self._line, f"line longer than {self.max_line} bytes; skipped", head)
            )
            self._buffer, self._buffered = [], 0
            self._skipping = not complete
            return
        if not complete:
            self._buffer.append(piece)
            self._buffered += size
            return
        if self._buffer:
            self._buffer.append(piece)
            piece = "".join(self._buffer)
            self._buffer, self._buffered = [], 0
        self._line += 1
        if piece.endswith("\r"):
            piece = piece[:-1]
        if piece:
            self._handle_line(piece, events, truncated=False)

    # ------------------------------------------------------------------ lines

    def _handle_line(self, line: str, events: list[Event], *, truncated: bool) -> None:
        if line[0] == "{":
            # json.loads minus its two Python layers: the C scanner it ends up in.
            try:
                obj, end = _scan(line, 0)
            except (StopIteration, ValueError, RecursionError):
                pass
            else:
                if end == len(line) or line[end:].isspace():
                    self._dispatch(obj, line, events)
                    return
            # Not clean JSON: the careful path below says why.
        first = line[0]
        if first != "{":
            stripped = line.lstrip()
            if not stripped:
                return  # a blank line
            if stripped.startswith("data:"):
                line = stripped[5:].strip()
                if not line or line == "[DONE]":
                    return
            elif stripped.startswith(("event:", ":", "id:", "retry:")):
                return  # SSE framing: the data line carries the type
            elif not stripped.startswith("{"):
                try:
                    _loads(stripped)
                    reason = "JSON value is not an object"
                except (ValueError, RecursionError):
                    reason = "not JSON (truncated last line)" if truncated else "not JSON"
                events.append(Malformed(self._line, reason, line[:EXCERPT]))
                return
        try:
            obj = _loads(line)
        except ValueError as exc:
            reason = "truncated last line" if truncated else f"invalid JSON: {exc}"
            events.append(Malformed(self._line, reason, line[:EXCERPT]))
            return
        except RecursionError:
            events.append(Malformed(self._line, "JSON nested too deeply", line[:EXCERPT]))
            return
        if not isinstance(obj, dict):
            events.append(Malformed(self._line, "JSON value is not an object", line[:EXCERPT]))
            return
        self._dispatch(obj, line, events)

    def _dispatch(self, obj: dict[str, Any], line: str, events: list[Event]) -> None:
        kind = obj.get("type")
        handler = _HANDLERS.get(kind) if isinstance(kind, str) else None
        if handler is not None:
            try:
                handler(self, obj, events)
            except (AttributeError, TypeError, ValueError, KeyError) as exc:
                # A known type with an unexpected shape: report it, never raise.
                events.append(Malformed(self._line, f"unexpected shape: {exc}", line[:EXCERPT]))

    # ------------------------------------------------------------------ tools

    def _start_tool(
        self, tool_id: str, name: str, parent: str | None, tool_input: Any, events: list[Event]
    ) -> _Tool | None:
        if tool_id in self._tools or not isinstance(tool_id, str):
            return self._tools.get(tool_id)
        tool = _Tool(name if isinstance(name, str) else "", parent, self.clock())
        if tool_id in self._backgrounded:
            tool.background = True
        self._tools[tool_id] = tool
        self._order.append(tool_id)
        events.append(ToolStarted(self._line, tool_id, tool.name, parent, tool_input))
        return tool

    def _input_ready(self, tool_id: str, tool_input: Any, events: list[Event]) -> None:
        tool = self._tools.get(tool_id)
        if tool is None or tool.input_ready:
            return
        tool.input_ready = True
        if isinstance(tool_input, dict) and tool_input.get("run_in_background") is True:
            tool.background = True
        events.append(ToolInputReady(self._line, tool_id, tool.name, tool_input))

    def _finish_tool(
        self, tool_id: str, is_error: bool, preview: str, parent: str | None, events: list[Event]
    ) -> None:
        tool = self._tools.pop(tool_id, None)
        if tool is None:
            events.append(ToolFinished(self._line, tool_id, "", parent, is_error, None, preview))
            return
        self._order.remove(tool_id)
        duration = round(max(0.0, self.clock() - tool.started_at), 6)
        events.append(
            ToolFinished(self._line, tool_id, tool.name, tool.parent, is_error, duration, preview)
        )

    # ------------------------------------------------------------------ message kinds

    def _system(self, obj: dict[str, Any], events: list[Event]) -> None:
        subtype = obj.get("subtype")
        if subtype == "init":
            events.append(
                SessionStarted(self._line, obj.get("session_id"), obj.get("model"), obj.get("cwd"))
            )
        elif subtype == "task_started":
            tool_id = obj.get("tool_use_id")
            if isinstance(tool_id, str) and obj.get("is_backgrounded") is True:
                self._backgrounded.add(tool_id)
                if tool_id in self._tools:
                    self._tools[tool_id].background = True
        elif subtype == "task_progress":
            tool_id = obj.get("tool_use_id")
            tool = self._tools.get(tool_id) if isinstance(tool_id, str) else None
            if tool is not None and isinstance(tool_id, str):
                elapsed = round(self.clock() - tool.started_at, 3)
                events.append(ToolProgress(self._line, tool_id, elapsed))
        elif subtype == "task_notification":
            tool_id = obj.get("tool_use_id")
            if isinstance(tool_id, str) and tool_id in self._backgrounded:
                self._backgrounded.discard(tool_id)
                status = obj.get("status")
                summary = obj.get("summary")
                self._finish_tool(
                    tool_id,
                    status != "completed",
                    _preview(summary if summary is not None else status),
                    None,
                    events,
                )
        elif subtype in ("api_retry", "api_error"):
            message = obj.get("error") or obj.get("message") or subtype
            events.append(ApiError(self._line, _preview(message), subtype == "api_retry"))

    def _assistant(self, obj: dict[str, Any], events: list[Event]) -> None:
        message = obj.get("message")
        if not isinstance(message, dict):
            return
        parent = obj.get("parent_tool_use_id")
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

    def _already_streamed(self, parent: str | None, message_id: str, text: str) -> bool:
        """Whether partial deltas of this message already delivered this text block."""
        streamed = self._streamed_text.get(message_id)
        if streamed and text in streamed:
            streamed.remove(text)
            return True
        for (owner, message, _), block in self._blocks.items():
            if (
                owner == parent
                and message == message_id
                and block[0] == "text"
                and "".join(block[2]) == text
            ):
                block[2] = ["\x00delivered"]  # the snapshot came first: deliver once
                return True
        return False

    def _user(self, obj: dict[str, Any], events: list[Event]) -> None:
        message = obj.get("message")
        if not isinstance(message, dict):
            return
        content = message.get("content")
        if not isinstance(content, list):
            return
        parent = obj.get("parent_tool_use_id")
        for block in content:
            if not isinstance(block, dict) or block.get("type") != "tool_result":
                continue
            tool_id = block.get("tool_use_id")
            if not isinstance(tool_id, str):
                continue
            tool = self._tools.get(tool_id)
            if tool is not None and (tool.background or tool_id in self._backgrounded):
                # The call returned at once; the work finishes with its task notification.
                self._backgrounded.add(tool_id)
                continue
            self._finish_tool(
                tool_id, block.get("is_error") is True, _preview(block.get("content")), parent,
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
                obj.get("duration_ms") if isinstance(obj.get("duration_ms"), int) else None,
                cost if isinstance(cost, (int, float)) else None,
                obj.get("num_turns") if isinstance(obj.get("num_turns"), int) else None,
                usage if isinstance(usage, dict) else None,
            )
        )

    def _tool_progress(self, obj: dict[str, Any], events: list[Event]) -> None:
        tool_id = obj.get("tool_use_id")
        if not isinstance(tool_id, str):
            return
        elapsed = obj.get("elapsed_time_seconds")
        events.append(
            ToolProgress(
                self._line, tool_id, elapsed if isinstance(elapsed, (int, float)) else None
            )
        )

    def _stream_event(self, obj: dict[str, Any], events: list[Event]) -> None:
        event = obj.get("event")
        if isinstance(event, dict):
            self._api_event(event, obj.get("parent_tool_use_id"), events)

    # ------------------------------------------------------------------ API events

    def _api_event(self, event: dict[str, Any], parent: str | None, events: list[Event]) -> None:
        kind = event.get("type")
        if kind == "content_block_delta":
            key = (parent, self._current_message.get(parent, ""), event.get("index"))
            block = self._blocks.get(key)  # type: ignore[arg-type]
            delta = event.get("delta")
            if block is None or not isinstance(delta, dict):
                return
            if delta.get("type") == "input_json_delta" and block[0] == "tool_use":
                partial = delta.get("partial_json")
                if isinstance(partial, str):
                    block[2].append(partial)
            elif delta.get("type") == "text_delta" and block[0] == "text":
                text = delta.get("text")
                if isinstance(text, str) and text:
                    block[2].append(text)
                    events.append(Text(self._line, text, parent))
        elif kind == "content_block_start":
            block = event.get("content_block")
            index = event.get("index")
            if not isinstance(block, dict) or not isinstance(index, int):
                return
            message_id = self._current_message.setdefault(parent, f"anonymous-{self._line}")
            kind = block.get("type")
            if kind == "tool_use":
                tool_id = block.get("id")
                if isinstance(tool_id, str):
                    self._blocks[(parent, message_id, index)] = ["tool_use", tool_id, []]
                    self._start_tool(tool_id, block.get("name", ""), parent, {}, events)
            elif kind == "text":
                initial = block.get("text")
                parts = [initial] if isinstance(initial, str) and initial else []
                self._blocks[(parent, message_id, index)] = ["text", None, parts]
                if parts:
                    events.append(Text(self._line, initial, parent))  # type: ignore[arg-type]
        elif kind == "content_block_stop":
            message_id = self._current_message.get(parent, "")
            block = self._blocks.pop((parent, message_id, event.get("index")), None)  # type: ignore[arg-type]
            if block is None:
                return
            if block[0] == "tool_use":
                raw = "".join(block[2])
                try:
                    tool_input = _loads(raw) if raw.strip() else {}
                except ValueError:
                    tool_input = raw  # cut short (e.g. max_tokens): keep what arrived
                self._input_ready(block[1], tool_input, events)
            elif block[0] == "text" and block[2]:
                self._streamed_text.setdefault(message_id, []).append("".join(block[2]))
        elif kind == "message_start":
            message = event.get("message")
            new_id = message.get("id") if isinstance(message, dict) else None
            self._current_message[parent] = (
                new_id if isinstance(new_id, str) else f"anonymous-{self._line}"
            )
        elif kind == "message_stop":
            ended = self._current_message.pop(parent, None)
            if ended is not None:
                for key in [k for k in self._blocks if k[0] == parent and k[1] == ended]:
                    del self._blocks[key]
        elif kind == "error":
            error = event.get("error")
            message = error.get("message") if isinstance(error, dict) else error
            events.append(ApiError(self._line, _preview(message or "error"), False))

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
    "rate_limit_event": _ignore,
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
