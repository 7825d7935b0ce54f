"""Print the events of an agent's output (what ``statuskit stream [FILE|-] [--json]`` runs)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

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
from statuskit.stream.parser import DEFAULT_MAX_LINE, StreamParser

__all__ = ["describe", "print_stream"]


def _short(value: Any, width: int = 70) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def describe(event: Event) -> str:
    """One human line for an event."""
    nest = "    " if getattr(event, "parent_tool_id", None) else ""
    if isinstance(event, ToolStarted):
        return f"{nest}> {event.name} started ({event.tool_id})"
    if isinstance(event, ToolInputReady):
        return f"{nest}  {event.name} input: {_short(event.input)}"
    if isinstance(event, ToolFinished):
        mark = "x" if event.is_error else "ok"
        took = f" {event.duration_s:.2f}s" if event.duration_s is not None else ""
        name = event.name or event.tool_id
        return f"{nest}< {name} {mark}{took}: {_short(event.preview)}"
    if isinstance(event, ToolAbandoned):
        return f"! {event.name} ({event.tool_id}) had no result when the stream ended"
    if isinstance(event, ToolProgress):
        elapsed = f" {event.elapsed_s:.0f}s" if event.elapsed_s is not None else ""
        return f"{nest}  ... {event.tool_id} still running{elapsed}"
    if isinstance(event, Text):
        return f"{nest}  {_short(event.text, 100)}"
    if isinstance(event, SessionStarted):
        return f"session {event.session_id} ({event.model}) in {event.cwd}"
    if isinstance(event, TurnResult):
        cost = f", ${event.cost_usd:.4f}" if event.cost_usd is not None else ""
        outcome = "failed" if event.is_error else "succeeded"
        return f"turn {outcome}: {event.subtype}, {event.num_turns} turn(s){cost}"
    if isinstance(event, ApiError):
        return f"api error{' (retrying)' if event.retrying else ''}: {event.message}"
    if isinstance(event, Malformed):
        return f"malformed line {event.line}: {event.reason}: {_short(event.excerpt, 60)}"
    return event.kind  # pragma: no cover - every kind is handled above


def _chunks(source: IO[Any]) -> Iterator[bytes | str]:
    """Chunks as soon as they are available (``read1``), so events show as the agent writes."""
    read = getattr(source, "read1", None) or source.read
    while True:
        chunk = read(65536)
        if not chunk:
            return
        yield chunk


def print_stream(
    source: IO[bytes], out: IO[str], *, as_json: bool, max_line: int | None = None
) -> None:
    """Print the events of an agent's output as it arrives: text lines, or JSON records.

    Errors writing to ``out`` (a closed or full stdout) propagate as ``OSError``.
    """
    parser = StreamParser(max_line=max_line or DEFAULT_MAX_LINE)
    for chunk in _chunks(source):
        for event in parser.feed(chunk):
            out.write(_render(event, as_json))
        out.flush()
    for event in parser.close():
        out.write(_render(event, as_json))
    out.flush()


def _render(event: Event, as_json: bool) -> str:
    if as_json:
        # U+2028/U+2029 are escaped so that a record is one line for every line splitter
        # (str.splitlines breaks on them; JSON allows either form).
        text = json.dumps(event.to_json(), ensure_ascii=False)
        return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029") + "\n"
    return describe(event) + "\n"
