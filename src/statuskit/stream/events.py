"""The typed events of an agent's output stream.

Every event is frozen and carries ``line``, the 1-based input line it came from (0 for events
produced at end of input). ``to_json()`` gives the record ``statuskit stream --json`` prints;
those records are a contract (``docs/stream.md``).
"""

from __future__ import annotations

from typing import Any, ClassVar

import attrs

__all__ = [
    "ApiError",
    "Event",
    "Malformed",
    "SessionStarted",
    "Text",
    "TextEnd",
    "ToolAbandoned",
    "ToolFinished",
    "ToolInputReady",
    "ToolProgress",
    "ToolStarted",
    "TurnResult",
    "Waiting",
]


@attrs.frozen
class Event:
    """Base of every stream event."""

    kind: ClassVar[str] = "event"
    line: int
    """The input line the event came from (0: produced at end of input)."""

    def to_json(self) -> dict[str, Any]:
        """The JSON record of the event: ``event``, ``line`` and the event's fields."""
        record: dict[str, Any] = {"event": self.kind}
        record.update(attrs.asdict(self, recurse=False))
        record.pop("usage", None)
        return record


@attrs.frozen
class SessionStarted(Event):
    """The agent session began (Claude Code's ``system``/``init`` line)."""

    kind: ClassVar[str] = "session_started"
    session_id: str | None
    """The session's id."""
    model: str | None
    """The model in use."""
    cwd: str | None
    """The agent's working directory."""


@attrs.frozen
class Text(Event):
    """Text the model wrote (a streamed delta, or a whole block when not streamed)."""

    kind: ClassVar[str] = "text"
    text: str
    """The text."""
    parent_tool_id: str | None
    """The subagent tool this text belongs to, or ``None`` for the main thread."""


@attrs.frozen
class TextEnd(Event):
    """A text block is complete: the text events since the last one form one block.

    It follows every block, streamed (its ``content_block_stop``, or the end of its message)
    or whole (an ``assistant`` line), so a reader can end a line or a paragraph there instead
    of gluing one block to the next.
    """

    kind: ClassVar[str] = "text_end"
    parent_tool_id: str | None
    """The subagent tool the text belongs to, or ``None`` for the main thread."""


@attrs.frozen
class ToolStarted(Event):
    """A tool call began: the first sign of it, once per tool id."""

    kind: ClassVar[str] = "tool_started"
    tool_id: str
    """The tool_use id."""
    name: str
    """The tool's name."""
    parent_tool_id: str | None
    """The subagent tool this call belongs to, or ``None``."""
    input: Any
    """The input as known so far (``{}`` while it is still being streamed)."""


@attrs.frozen
class ToolInputReady(Event):
    """The tool call's input is complete."""

    kind: ClassVar[str] = "tool_input_ready"
    tool_id: str
    """The tool_use id."""
    name: str
    """The tool's name."""
    input: Any
    """The whole input (the raw text when it was not valid JSON)."""


@attrs.frozen
class ToolProgress(Event):
    """A running tool is still running."""

    kind: ClassVar[str] = "tool_progress"
    tool_id: str
    """The tool_use id the progress is about."""
    elapsed_s: float | None
    """Seconds it has run, as reported (or measured since its start)."""


@attrs.frozen
class ToolFinished(Event):
    """A tool's result came back (or, for a background tool, its task notification)."""

    kind: ClassVar[str] = "tool_finished"
    tool_id: str
    """The tool_use id."""
    name: str
    """The tool's name (``""`` when its start was never seen)."""
    parent_tool_id: str | None
    """The subagent tool this call belongs to, or ``None``."""
    is_error: bool
    """The result says the tool failed."""
    duration_s: float | None
    """Seconds from the start to the result, by receive times (``None``: start not seen)."""
    preview: str
    """The start of the result, on one line."""


@attrs.frozen
class ToolAbandoned(Event):
    """A tool that had started but had no result when the input ended."""

    kind: ClassVar[str] = "tool_abandoned"
    tool_id: str
    """The tool_use id."""
    name: str
    """The tool's name."""


@attrs.frozen
class TurnResult(Event):
    """The agent's turn ended (Claude Code's ``result`` line)."""

    kind: ClassVar[str] = "turn_result"
    subtype: str
    """``success``, ``error_max_turns``, ``error_during_execution``, ..."""
    is_error: bool
    """True unless the turn succeeded (``subtype`` is checked, not only ``is_error``)."""
    duration_ms: int | None
    """Wall time of the turn."""
    cost_usd: float | None
    """The reported cost."""
    num_turns: int | None
    """Model turns taken."""
    usage: dict[str, Any] | None = None
    """Token usage as reported (not part of the JSON record)."""


@attrs.frozen
class ApiError(Event):
    """The API reported an error (an ``error`` event, or a ``system``/``api_error`` line).

    An error the agent retries is a :class:`Waiting` event instead.
    """

    kind: ClassVar[str] = "api_error"
    message: str
    """What the API said."""
    retrying: bool
    """Whether the agent said it will retry (kept in the record; retries are ``waiting``)."""


@attrs.frozen
class Waiting(Event):
    """The agent is alive but held up by the API: a retry after an error, or a rate limit.

    A UI shows it as "waiting" and keeps counting the session as alive.
    """

    kind: ClassVar[str] = "waiting"
    reason: str
    """``api_retry`` (Claude Code's ``system``/``api_retry``) or ``rate_limit``
    (a ``rate_limit_event`` whose status is not ``allowed``/``allowed_warning``)."""
    message: str
    """What was said: the error (e.g. ``overloaded (HTTP 529)``) or the limit and its status."""
    retry_in_s: float | None
    """Seconds until the next attempt, when announced."""
    resets_at: float | None
    """When the limit resets, in Unix seconds, when announced."""
    attempt: int | None
    """Which retry this is (1-based), when announced."""
    max_retries: int | None
    """The most retries the agent will make, when announced."""


@attrs.frozen
class Malformed(Event):
    """A line that could not be read: not JSON, too long, cut off, not an object."""

    kind: ClassVar[str] = "malformed"
    reason: str
    """Why it was not read."""
    excerpt: str
    """The start of the line."""
