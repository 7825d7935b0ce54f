"""A thin callback adapter over stream events, for UIs."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import attrs

from statuskit.stream.events import (
    Event,
    Text,
    ToolAbandoned,
    ToolFinished,
    ToolStarted,
    TurnResult,
)

__all__ = ["Callbacks"]


@attrs.define
class Callbacks:
    """Calls the matching function for each event; unset callbacks are skipped.

    Example:
        >>> from statuskit.stream import Callbacks, parse
        >>> started = []
        >>> callbacks = Callbacks(on_tool_start=lambda e: started.append(e.name))
        >>> block = '{"type":"tool_use","id":"t1","name":"Bash","input":{}}'
        >>> line = '{"type":"assistant","message":{"content":[' + block + ']}}'
        >>> callbacks.dispatch(parse(line + chr(10)))
        >>> started
        ['Bash']

    """

    on_tool_start: Callable[[ToolStarted], object] | None = None
    """Called when a tool starts."""
    on_tool_end: Callable[[ToolFinished | ToolAbandoned], object] | None = None
    """Called when a tool finishes, or is abandoned at end of input."""
    on_text: Callable[[Text], object] | None = None
    """Called for text the model writes."""
    on_result: Callable[[TurnResult], object] | None = None
    """Called when the turn ends."""
    on_event: Callable[[Event], object] | None = None
    """Called for every event, before the specific callback."""

    def __call__(self, event: Event) -> None:
        """Dispatch one event."""
        if self.on_event is not None:
            self.on_event(event)
        if isinstance(event, ToolStarted):
            if self.on_tool_start is not None:
                self.on_tool_start(event)
        elif isinstance(event, (ToolFinished, ToolAbandoned)):
            if self.on_tool_end is not None:
                self.on_tool_end(event)
        elif isinstance(event, Text):
            if self.on_text is not None:
                self.on_text(event)
        elif isinstance(event, TurnResult) and self.on_result is not None:
            self.on_result(event)

    def dispatch(self, events: Iterable[Event]) -> None:
        """Dispatch each event in order."""
        for event in events:
            self(event)
