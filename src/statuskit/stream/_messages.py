"""Streamed messages: partial messages and raw Messages API events, block by block.

A message arrives as ``message_start``, then per content block a ``content_block_start``, its
deltas and a ``content_block_stop``, then ``message_stop``; Claude Code wraps each in a
``stream_event`` line carrying the subagent's ``parent_tool_use_id``, and may then repeat each
block whole in an ``assistant`` line (the snapshot).

What is kept, and why it stays bounded: per thread (main or subagent) the message being
streamed; per open block either the tool input received so far (at most ``max_line`` bytes) or,
for text, only its UTF-8 length and CRC-32 — never the text; and those fingerprints for the
:data:`RECENT_MESSAGES` most recent messages, which is all that recognising a snapshot needs
(Claude Code sends it right after the block; raw API streams never do). Open blocks per message
and open messages are capped; past a cap the oldest is ended as if its stop had come.
"""

from __future__ import annotations

import contextlib
import zlib
from typing import Any

from statuskit.stream._framing import _loads
from statuskit.stream._values import preview
from statuskit.stream.events import ApiError, Event, Text, TextEnd

__all__ = ["MAX_OPEN_BLOCKS", "MAX_OPEN_MESSAGES", "RECENT_MESSAGES", "StreamedMessages"]

#: Messages whose streamed text blocks are remembered for their snapshot.
RECENT_MESSAGES = 64
#: Open blocks per message, and open messages (one per subagent), before the oldest is ended:
#: real messages have a few of each, and a cap keeps a hostile stream from growing state.
MAX_OPEN_BLOCKS = 256
MAX_OPEN_MESSAGES = 1024


class _Block:
    """A content block being streamed: a tool's partial input, or a text's fingerprint."""

    __slots__ = ("consumed", "crc", "cut", "kind", "parts", "said", "size", "tool_id")

    def __init__(self, kind: str, tool_id: str = "") -> None:
        self.kind = kind
        self.tool_id = tool_id
        self.parts: list[str] = []
        self.size = 0
        self.crc = 0
        self.said = False  # a text event was emitted for it
        self.consumed = False  # its snapshot already arrived
        self.cut = False  # the input outgrew the line limit; what arrived is kept


class _Message:
    __slots__ = ("blocks", "id")

    def __init__(self, message_id: str) -> None:
        self.id = message_id
        self.blocks: dict[int, _Block] = {}


def _fingerprint(text: str) -> tuple[int, int]:
    data = text.encode("utf-8", "surrogatepass")
    return len(data), zlib.crc32(data)


class StreamedMessages:
    """The streamed-message half of :class:`~statuskit.stream.StreamParser` (a mixin)."""

    # Provided by the parser.
    _line: int
    max_line: int

    def _start_tool(
        self, tool_id: str, name: Any, parent: str | None, tool_input: Any, events: list[Event]
    ) -> None:
        raise NotImplementedError  # pragma: no cover - the parser defines it

    def _input_ready(self, tool_id: str, tool_input: Any, events: list[Event]) -> None:
        raise NotImplementedError  # pragma: no cover - the parser defines it

    def _init_messages(self) -> None:
        self._messages: dict[str | None, _Message] = {}  # being streamed, per thread
        self._delivered: dict[str, list[tuple[int, int]]] = {}  # message id -> text blocks

    def _end_messages(self, events: list[Event]) -> None:
        """End of input: every open message ends."""
        for parent in list(self._messages):
            self._end_message(self._messages.pop(parent), parent, events)

    def _end_thread(self, parent: str, events: list[Event]) -> None:
        """A subagent's tool finished: the message it left open ends."""
        message = self._messages.pop(parent, None)
        if message is not None:
            self._end_message(message, parent, events)

    def _already_streamed(self, parent: str | None, message_id: str, text: str) -> bool:
        """Whether partial deltas of this message already delivered this text block."""
        delivered = self._delivered.get(message_id)
        current = self._messages.get(parent)
        streaming = current is not None and current.id == message_id
        if delivered is None and not streaming:
            return False  # the common case without partial messages: nothing to hash
        mark = _fingerprint(text)
        if delivered is not None and mark in delivered:
            delivered.remove(mark)
            if not delivered:
                del self._delivered[message_id]
            return True
        if current is not None and streaming:
            for block in current.blocks.values():
                if block.kind == "text" and not block.consumed and (block.size, block.crc) == mark:
                    block.consumed = True  # the snapshot came before the block's end
                    return True
        return False

    def _api_event(self, event: dict[str, Any], parent: str | None, events: list[Event]) -> None:
        kind = event.get("type")
        if kind == "content_block_delta":
            message = self._messages.get(parent)
            index = event.get("index")
            block = (
                message.blocks.get(index) if message is not None and type(index) is int else None
            )
            delta = event.get("delta")
            if block is None or not isinstance(delta, dict):
                return
            delta_kind = delta.get("type")
            if delta_kind == "text_delta" and block.kind == "text":
                text = delta.get("text")
                if isinstance(text, str) and text:
                    self._add_text(block, text)
                    events.append(Text(self._line, text, parent))
            elif delta_kind == "input_json_delta" and block.kind == "tool_use":
                partial = delta.get("partial_json")
                if isinstance(partial, str) and not block.cut:
                    block.size += len(partial)
                    if block.size > self.max_line:
                        block.cut = True  # keep memory bounded; the input will be the raw text
                    else:
                        block.parts.append(partial)
        elif kind == "content_block_start":
            content = event.get("content_block")
            index = event.get("index")
            if not isinstance(content, dict) or type(index) is not int:
                return
            message = self._messages.get(parent)
            if message is None:
                message = self._open_message(parent, f"anonymous-{self._line}", events)
            old = message.blocks.pop(index, None)
            if old is not None:
                self._end_block(message.id, old, parent, events, stopped=False)
            elif len(message.blocks) >= MAX_OPEN_BLOCKS:
                oldest = next(iter(message.blocks))
                self._end_block(
                    message.id, message.blocks.pop(oldest), parent, events, stopped=False
                )
            block_kind = content.get("type")
            if block_kind == "tool_use":
                tool_id = content.get("id")
                if isinstance(tool_id, str):
                    message.blocks[index] = _Block("tool_use", tool_id)
                    self._start_tool(tool_id, content.get("name", ""), parent, {}, events)
            elif block_kind == "text":
                block = message.blocks[index] = _Block("text")
                initial = content.get("text")
                if isinstance(initial, str) and initial:
                    self._add_text(block, initial)
                    events.append(Text(self._line, initial, parent))
        elif kind == "content_block_stop":
            message = self._messages.get(parent)
            index = event.get("index")
            if message is not None and type(index) is int:
                block = message.blocks.pop(index, None)
                if block is not None:
                    self._end_block(message.id, block, parent, events, stopped=True)
        elif kind == "message_start":
            content = event.get("message")
            new_id = content.get("id") if isinstance(content, dict) else None
            self._open_message(
                parent, new_id if isinstance(new_id, str) else f"anonymous-{self._line}", events
            )
        elif kind == "message_stop":
            message = self._messages.pop(parent, None)
            if message is not None:
                self._end_message(message, parent, events)
        elif kind == "error":
            error = event.get("error")
            message_text = error.get("message") if isinstance(error, dict) else error
            events.append(ApiError(self._line, preview(message_text or "error"), False))

    def _open_message(self, parent: str | None, message_id: str, events: list[Event]) -> _Message:
        old = self._messages.pop(parent, None)
        if old is not None:
            self._end_message(old, parent, events)  # a new message ends the one left open
        elif len(self._messages) >= MAX_OPEN_MESSAGES:
            oldest = next(iter(self._messages))
            self._end_message(self._messages.pop(oldest), oldest, events)
        message = self._messages[parent] = _Message(message_id)
        return message

    def _end_message(self, message: _Message, parent: str | None, events: list[Event]) -> None:
        """A message ended (or was cut off): its open text blocks end; tool inputs are dropped."""
        for block in message.blocks.values():
            if block.kind == "text":
                self._end_block(message.id, block, parent, events, stopped=False)
        message.blocks.clear()

    def _end_block(
        self,
        message_id: str,
        block: _Block,
        parent: str | None,
        events: list[Event],
        *,
        stopped: bool,
    ) -> None:
        if block.kind == "tool_use":
            if stopped:
                raw = "".join(block.parts)
                block.parts = []
                tool_input: Any = raw  # cut short (e.g. max_tokens): keep what arrived
                if not raw.strip():
                    tool_input = {}
                elif not block.cut:
                    with contextlib.suppress(ValueError, RecursionError):
                        tool_input = _loads(raw)
                self._input_ready(block.tool_id, tool_input, events)
            return
        if not block.said:
            return
        if not block.consumed:
            self._remember(message_id, (block.size, block.crc))
        events.append(TextEnd(self._line, parent))

    def _add_text(self, block: _Block, text: str) -> None:
        data = text.encode("utf-8", "surrogatepass")
        block.size += len(data)
        block.crc = zlib.crc32(data, block.crc)
        block.said = True

    def _remember(self, message_id: str, mark: tuple[int, int]) -> None:
        """Keep a streamed block's fingerprint until its snapshot comes (bounded)."""
        delivered = self._delivered.get(message_id)
        if delivered is None:
            if len(self._delivered) >= RECENT_MESSAGES:
                del self._delivered[next(iter(self._delivered))]
            self._delivered[message_id] = [mark]
        elif len(delivered) < MAX_OPEN_BLOCKS:
            delivered.append(mark)
