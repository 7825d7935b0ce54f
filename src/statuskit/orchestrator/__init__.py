"""The example orchestrator: drives an agent through a plan, with a live view.

Built only on statuskit's public API. ``statuskit run`` and ``statuskit demo`` are its
command-line faces. :class:`RichView` needs ``rich`` (``pip install 'statuskit[tui]'``) and is
imported only when used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from statuskit.orchestrator.agent import AgentMissing
from statuskit.orchestrator.command import (
    DEFAULT_AGENT,
    AgentCommand,
    CommandError,
    agent_argv,
    resolve_agent,
)
from statuskit.orchestrator.demo import DEMO_PLAN
from statuskit.orchestrator.holder import holder_name
from statuskit.orchestrator.loop import NO_REPORT, Orchestrator, RunConfig, RunResult
from statuskit.orchestrator.prompt import build_prompt
from statuskit.orchestrator.state import ViewState
from statuskit.orchestrator.ui import PlainView, make_view
from statuskit.orchestrator.watch import StatusWatcher

if TYPE_CHECKING:
    from statuskit.orchestrator.screen import RichView

__all__ = [
    "DEFAULT_AGENT",
    "DEMO_PLAN",
    "NO_REPORT",
    "AgentCommand",
    "AgentMissing",
    "CommandError",
    "Orchestrator",
    "PlainView",
    "RichView",
    "RunConfig",
    "RunResult",
    "StatusWatcher",
    "ViewState",
    "agent_argv",
    "build_prompt",
    "holder_name",
    "make_view",
    "resolve_agent",
]


def __getattr__(name: str) -> Any:
    if name == "RichView":  # needs rich: imported on first use only
        from statuskit.orchestrator.screen import RichView

        return RichView
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
