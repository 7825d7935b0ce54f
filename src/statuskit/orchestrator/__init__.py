"""The example orchestrator: drives an agent through a plan, with a live view.

Built only on statuskit's public API. ``statuskit run`` and ``statuskit demo`` are its
command-line faces.
"""

from statuskit.orchestrator.agent import AgentMissing
from statuskit.orchestrator.demo import DEMO_PLAN
from statuskit.orchestrator.loop import DEFAULT_AGENT, Orchestrator, RunConfig, RunResult
from statuskit.orchestrator.prompt import build_prompt
from statuskit.orchestrator.ui import PlainView, RichView, ViewState, make_view
from statuskit.orchestrator.watch import StatusWatcher

__all__ = [
    "DEFAULT_AGENT",
    "DEMO_PLAN",
    "AgentMissing",
    "Orchestrator",
    "PlainView",
    "RichView",
    "RunConfig",
    "RunResult",
    "StatusWatcher",
    "ViewState",
    "build_prompt",
    "make_view",
]
