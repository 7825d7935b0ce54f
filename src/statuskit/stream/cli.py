"""Printing a stream's events: the engine of ``statuskit stream`` (the CLI opens the file).

:func:`print_stream` reads an agent's output as it arrives and prints one JSON record per
event (``as_json``) or human lines. Both forms are safe for any reader:

* a JSON record is strict JSON on one line: no ``NaN``/``Infinity`` (non-finite numbers become
  ``null``), and every character that some line splitter breaks on (U+0085, U+2028, U+2029; the
  C0 ones are escaped by JSON itself) is escaped, as are C1 controls and lone surrogates;
* a human line holds no escape sequence and no control character (see
  :func:`~statuskit.stream.text.printable`), streamed text is shown in whole lines, a session's
  header once, progress at most every ten seconds per tool, and subagent work indented by its
  nesting depth.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import math
import re
import time
from collections.abc import Callable
from typing import IO, Any

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
from statuskit.stream.parser import DEFAULT_MAX_LINE, StreamParser
from statuskit.stream.text import printable

__all__ = ["describe", "print_stream"]

#: Seconds between two progress lines of one tool in human mode (and the first one's minimum).
PROGRESS_EVERY = 10.0
#: A streamed line longer than this is shown in pieces, so a text without newlines still shows.
LONGEST_TEXT_LINE = 4096
_INDENT = "    "
_CHUNK = 65536
_REMEMBERED = 4096  # sessions and unknown tools remembered by the human printer


def print_stream(
    source: IO[bytes], out: IO[str], *, as_json: bool, max_line: int | None = None
) -> None:
    """Print the events of an agent's output as it arrives.

    Args:
        source: the agent's stdout or a capture, read with ``read1`` when it has it, so each
            event is printed as soon as its line is complete.
        out: where the lines go; flushed after each chunk read.
        as_json: one JSON record per event (``docs/stream.md``), else human lines.
        max_line: the longest input line in bytes (default 16 MiB).

    Raises:
        OSError: from ``out`` (a closed pipe, a full disk) or from ``source``; nothing else
            is raised, whatever the input holds.

    """
    parser = StreamParser(max_line=DEFAULT_MAX_LINE if max_line is None else max(1, max_line))
    printer: _Json | _Human = _Json(out) if as_json else _Human(out)
    read: Callable[[int], bytes] = getattr(source, "read1", None) or source.read
    while True:
        chunk = read(_CHUNK)
        if not chunk:
            break
        text = printer.render(parser.feed(chunk))
        if text:
            out.write(text)
            out.flush()
    out.write(printer.render(parser.close()) + printer.finish())
    out.flush()


# --------------------------------------------------------------------------- JSON


_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def _strict(value: Any, depth: int = 0) -> Any:
    """A JSON-ready copy: non-finite floats become ``None``, very deep parts a marker."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if depth > 200:
        return "[nested too deeply]"
    if isinstance(value, dict):
        return {str(key): _strict(item, depth + 1) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strict(item, depth + 1) for item in value]
    if value is None or isinstance(value, (str, int)):
        return value
    return str(value)


def _is_unicode(out: IO[str]) -> bool:
    try:
        return codecs.lookup(getattr(out, "encoding", None) or "utf-8").name.startswith("utf")
    except LookupError:
        return False


class _Json:
    """One strict JSON record per event, one line each."""

    def __init__(self, out: IO[str]) -> None:
        # An output that cannot encode every character gets ASCII records (same JSON values).
        self.ascii = not _is_unicode(out)

    def render(self, events: list[Event]) -> str:
        return "".join(self.record(event) for event in events)

    def finish(self) -> str:
        return ""

    def record(self, event: Event) -> str:
        record = event.to_json()
        try:
            text = json.dumps(record, ensure_ascii=self.ascii, allow_nan=False)
        except (ValueError, RecursionError):
            text = json.dumps(_strict(record), ensure_ascii=self.ascii, allow_nan=False)
        if not self.ascii:
            text = _UNSAFE.sub(_escape, text)
        return text + "\n"


# --------------------------------------------------------------------------- human lines


def _short_id(tool_id: str) -> str:
    """The last six characters of a tool id: enough to tell a session's tools apart."""
    return printable(tool_id[-6:])


def _clip(value: Any, width: int) -> str:
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, ensure_ascii=False)
        except (ValueError, RecursionError):
            text = f"[{type(value).__name__}]"
    text = " ".join(printable(text[: width * 4]).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _seconds(value: float | None) -> str:
    return f" {value:.2f}s" if value is not None and math.isfinite(value) else ""


def _describe(event: Event, name: str) -> str:
    """The line for ``event``, with ``name`` the tool's name when the event lacks it."""
    if isinstance(event, ToolStarted):
        return f"> {printable(name)} [{_short_id(event.tool_id)}] started"
    if isinstance(event, ToolInputReady):
        return f"  {printable(name)} [{_short_id(event.tool_id)}] input: {_clip(event.input, 70)}"
    if isinstance(event, ToolFinished):
        mark = "error" if event.is_error else "ok"
        who = f"{printable(name)} " if name else ""
        preview = _clip(event.preview, 70)
        return f"< {who}[{_short_id(event.tool_id)}] {mark}{_seconds(event.duration_s)}: {preview}"
    if isinstance(event, ToolAbandoned):
        who = f"{printable(name)} " if name else ""
        return f"! {who}[{_short_id(event.tool_id)}] had no result when the stream ended"
    if isinstance(event, ToolProgress):
        who = f"{printable(name)} " if name else ""
        elapsed = event.elapsed_s
        took = f" {elapsed:.0f}s" if elapsed is not None and math.isfinite(elapsed) else ""
        return f"  ... {who}[{_short_id(event.tool_id)}] still running{took}"
    if isinstance(event, Text):
        return f"  {_clip(event.text, 100)}"
    if isinstance(event, TextEnd):
        return ""
    if isinstance(event, SessionStarted):
        session, model = printable(str(event.session_id)), printable(str(event.model))
        return f"session {session} ({model}) in {printable(str(event.cwd))}"
    if isinstance(event, TurnResult):
        cost = event.cost_usd
        shown = f", ${cost:.4f}" if cost is not None and math.isfinite(cost) else ""
        outcome = "failed" if event.is_error else "succeeded"
        return f"turn {outcome}: {printable(event.subtype)}, {event.num_turns} turn(s){shown}"
    if isinstance(event, Waiting):
        return f"waiting{_waiting(event)}: {printable(event.message)}"
    if isinstance(event, ApiError):
        return f"api error{' (retrying)' if event.retrying else ''}: {printable(event.message)}"
    if isinstance(event, Malformed):
        return f"malformed line {event.line}: {printable(event.reason)}: {_clip(event.excerpt, 60)}"
    return event.kind  # pragma: no cover - every kind is handled above


def _waiting(event: Waiting) -> str:
    parts = [event.reason.replace("_", " ")]
    if event.attempt is not None:
        parts[0] += f" {event.attempt}" + (f"/{event.max_retries}" if event.max_retries else "")
    if event.retry_in_s is not None:
        parts.append(f"next in {event.retry_in_s:.1f}s")
    if event.resets_at is not None:
        with contextlib.suppress(OverflowError, OSError, ValueError):
            reset = time.gmtime(event.resets_at)
            parts.append("resets " + time.strftime("%Y-%m-%d %H:%M UTC", reset))
    return " (" + ", ".join(printable(part) for part in parts) + ")"


def describe(event: Event) -> str:
    """One human line for an event, on its own: no state, no indentation.

    Terminal-safe (no escape sequence or control character from the agent). ``text_end``
    gives ``""``: it ends a block of text rather than saying something. :func:`print_stream`
    adds what needs the events around it: whole lines of streamed text, tool names on
    progress lines, indentation by subagent depth, one header per session.
    """
    return _describe(event, getattr(event, "name", ""))


class _Tool:
    __slots__ = ("depth", "name", "shown_at")

    def __init__(self, name: str, depth: int) -> None:
        self.name = name
        self.depth = depth
        self.shown_at = 0.0  # the elapsed seconds of the last progress line shown


class _Human:
    """The human lines, with what they need to remember of earlier events."""

    def __init__(self, out: IO[str]) -> None:
        self.tools: dict[str, _Tool] = {}
        self.unknown: dict[str, _Tool] = {}  # progress of tools whose start was not seen
        self.sessions: dict[str | None, None] = {}
        self.pending: dict[str | None, list[str]] = {}  # unfinished text line, per thread
        self.pending_size: dict[str | None, int] = {}
        unicode = _is_unicode(out)
        encoding = getattr(out, "encoding", None) or "ascii"
        # A terminal that cannot show a character gets a replacement, never an exception.
        self.encode: Callable[[str], str] | None = (
            None if unicode else lambda text: text.encode(encoding, "replace").decode(encoding)
        )

    def render(self, events: list[Event]) -> str:
        lines: list[str] = []
        for event in events:
            if isinstance(event, Text):
                self._text(event.text, event.parent_tool_id, lines)
            elif isinstance(event, TextEnd):
                self._flush(event.parent_tool_id, lines)
            else:
                for parent in list(self.pending):  # keep the order things happened in
                    self._flush(parent, lines)
                line = self._line(event)
                if line is not None:
                    lines.append(line)
        return self._join(lines)

    def finish(self) -> str:
        lines: list[str] = []
        for parent in list(self.pending):
            self._flush(parent, lines)
        return self._join(lines)

    def _join(self, lines: list[str]) -> str:
        if not lines:
            return ""
        text = "\n".join(lines) + "\n"
        return self.encode(text) if self.encode is not None else text

    def _depth(self, parent: str | None) -> int:
        if parent is None:
            return 0
        tool = self.tools.get(parent)
        return tool.depth + 1 if tool is not None else 1

    def _text(self, text: str, parent: str | None, lines: list[str]) -> None:
        pieces = text.split("\n")
        for piece in pieces[:-1]:
            self._add(parent, piece)
            self._flush(parent, lines)
        self._add(parent, pieces[-1])
        if self.pending_size.get(parent, 0) > LONGEST_TEXT_LINE:
            self._flush(parent, lines)

    def _add(self, parent: str | None, piece: str) -> None:
        if piece:
            self.pending.setdefault(parent, []).append(piece)
            self.pending_size[parent] = self.pending_size.get(parent, 0) + len(piece)

    def _flush(self, parent: str | None, lines: list[str]) -> None:
        pieces = self.pending.pop(parent, None)
        self.pending_size.pop(parent, None)
        if pieces:
            text = printable("".join(pieces)).rstrip()
            if text.strip():
                lines.append(_INDENT * self._depth(parent) + "  " + text)

    def _line(self, event: Event) -> str | None:
        if isinstance(event, SessionStarted):
            if event.session_id in self.sessions:
                return None  # Claude Code repeats the init line each turn
            if len(self.sessions) >= _REMEMBERED:
                del self.sessions[next(iter(self.sessions))]
            self.sessions[event.session_id] = None
            return _describe(event, "")
        if isinstance(event, ToolStarted):
            depth = self._depth(event.parent_tool_id)
            self.tools[event.tool_id] = _Tool(event.name, depth)
            return _INDENT * depth + _describe(event, event.name)
        if isinstance(event, (ToolFinished, ToolAbandoned)):
            tool = self.tools.pop(event.tool_id, None)
            self.unknown.pop(event.tool_id, None)
            depth = (
                tool.depth
                if tool is not None
                else self._depth(getattr(event, "parent_tool_id", None))
            )
            name = event.name or (tool.name if tool is not None else "")
            return _INDENT * depth + _describe(event, name)
        if isinstance(event, ToolProgress):
            return self._progress(event)
        if isinstance(event, ToolInputReady):
            tool = self.tools.get(event.tool_id)
            return _INDENT * (tool.depth if tool is not None else 0) + _describe(event, event.name)
        return _describe(event, "")

    def _progress(self, event: ToolProgress) -> str | None:
        elapsed = event.elapsed_s
        if elapsed is None or not math.isfinite(elapsed):
            return None
        tool = self.tools.get(event.tool_id)
        if tool is None:
            tool = self.unknown.get(event.tool_id)
            if tool is None:
                if len(self.unknown) >= _REMEMBERED:
                    del self.unknown[next(iter(self.unknown))]
                tool = self.unknown[event.tool_id] = _Tool("", 0)
        if elapsed < PROGRESS_EVERY or elapsed - tool.shown_at < PROGRESS_EVERY:
            return None
        tool.shown_at = elapsed
        return _INDENT * tool.depth + _describe(event, tool.name)
