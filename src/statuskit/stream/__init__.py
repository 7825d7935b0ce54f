"""Agent output streams: lines in, typed events out. Knows nothing else of statuskit.

See :class:`StreamParser` for the semantics and ``docs/stream.md`` for the event records.
:mod:`statuskit.stream.cli` prints them (``print_stream``, ``describe``).
"""

from statuskit.stream.callbacks import Callbacks
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
from statuskit.stream.parser import DEFAULT_MAX_LINE, StreamParser, parse
from statuskit.stream.text import printable

__all__ = [
    "DEFAULT_MAX_LINE",
    "ApiError",
    "Callbacks",
    "Event",
    "Malformed",
    "SessionStarted",
    "StreamParser",
    "Text",
    "TextEnd",
    "ToolAbandoned",
    "ToolFinished",
    "ToolInputReady",
    "ToolProgress",
    "ToolStarted",
    "TurnResult",
    "Waiting",
    "parse",
    "printable",
]
