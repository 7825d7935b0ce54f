r"""Bytes or text in, JSON objects out: the line framing under :class:`StreamParser`.

Lines are split on ``\n`` only (``str.splitlines`` would also split on U+2028 inside a JSON
string), a trailing ``\r`` is dropped, UTF-8 is decoded incrementally across chunk seams
(invalid bytes become U+FFFD), and a line longer than ``max_line`` bytes is skipped as it
arrives — memory stays bounded — and reported as one ``malformed`` event. SSE framing
(``event:``, ``data:``, comments) is unwrapped. Every line that is not a JSON object becomes a
``malformed`` event with its line number; objects go to :meth:`LineFramer._dispatch`.

The common case (whole lines within the limit) runs inline in :meth:`LineFramer.feed`, and
objects are decoded with the C scanner that ``json.loads`` ends in: the parser's throughput is
measured against bare ``json.loads`` in ``benchmarks/bench_stream.py``.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable
from typing import Any

from statuskit.stream.events import Event, Malformed

__all__ = ["EXCERPT", "LineFramer"]

#: How much of a bad line a ``malformed`` event quotes.
EXCERPT = 80

_loads = json.loads
# The decoder's scanner: what json.loads calls after two Python layers (typeshed omits it).
_scan: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


class LineFramer:
    """Splits input into lines and lines into JSON objects; subclasses give them meaning."""

    def __init__(self, max_line: int) -> None:
        self.max_line = max_line
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer: list[str] = []
        self._buffered = 0
        self._skipping = False
        self._line = 0
        self._closed = False

    def _dispatch(self, obj: dict[str, Any], line: str, events: list[Event]) -> None:
        raise NotImplementedError  # pragma: no cover - the parser overrides it

    def _end_of_input(self, events: list[Event]) -> None:
        raise NotImplementedError  # pragma: no cover - the parser overrides it

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
        """End of input: the last line without a newline, then what the parser still holds."""
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
        self._end_of_input(events)
        return events

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
