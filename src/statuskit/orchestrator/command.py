"""The agent command: Claude Code by default, or the user's, from a flag, the environment or a file.

Where the command comes from, first found wins:

1. ``statuskit run --agent-cmd "..."`` (an empty value is a mistake, not "the default");
2. the ``STATUSKIT_AGENT_CMD`` environment variable (empty counts as unset);
3. ``agent = "..."`` (or a list of arguments) under ``[tool.statuskit]`` in the
   ``pyproject.toml`` of the current folder, or at the top of a ``.statuskit.toml`` there;
4. :data:`DEFAULT_AGENT`: Claude Code, headless, streaming JSON, allowed to edit files and to
   run ``statuskit`` and a few usual project commands (see ``docs/howto/claude-code.md`` for
   what that permits).

A string is split like a shell would (``shlex``). An argument ``{prompt}`` is replaced by the
prompt; without one, the prompt goes to the agent's stdin, which ``claude -p`` reads, and which
neither shows the prompt in ``ps`` nor limits its size.
"""

from __future__ import annotations

import importlib
import os
import shlex
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

__all__ = [
    "ALLOWED_TOOLS",
    "CONFIG_FILES",
    "DEFAULT_AGENT",
    "ENV_VAR",
    "AgentCommand",
    "CommandError",
    "agent_argv",
    "resolve_agent",
]

ENV_VAR = "STATUSKIT_AGENT_CMD"
CONFIG_FILES = ("pyproject.toml", ".statuskit.toml")

#: What the default command lets Claude Code run without asking: statuskit itself, read-only
#: git, and the usual test runners. File edits are allowed by ``--permission-mode acceptEdits``.
ALLOWED_TOOLS = (
    "Bash(statuskit:*)",
    "Bash(git status:*)",
    "Bash(git diff:*)",
    "Bash(git log:*)",
    "Bash(pytest:*)",
    "Bash(python -m pytest:*)",
    "Bash(python3 -m pytest:*)",
    "Bash(npm test:*)",
)

#: Claude Code, headless (``-p``, prompt on stdin), one JSON event per line.
DEFAULT_AGENT: tuple[str, ...] = (
    "claude",
    "-p",
    "--output-format",
    "stream-json",
    "--verbose",
    "--permission-mode",
    "acceptEdits",
    "--allowedTools",
    ",".join(ALLOWED_TOOLS),
)


class CommandError(ValueError):
    """The agent command given is not usable (empty, unbalanced quotes, wrong type)."""


@attrs.frozen
class AgentCommand:
    """An agent command and where it came from."""

    argv: tuple[str, ...]
    """The command, ``{prompt}`` not yet replaced."""
    source: str
    """``--agent-cmd``, ``$STATUSKIT_AGENT_CMD``, a config file's name, or ``default``."""

    @property
    def prompt_on_stdin(self) -> bool:
        """Whether the prompt is written to stdin (no ``{prompt}`` argument)."""
        return "{prompt}" not in self.argv


def _split(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        try:
            argv = tuple(shlex.split(value))
        except ValueError as exc:
            raise CommandError(f"the agent command in {where} cannot be split: {exc}") from None
    elif isinstance(value, list) and all(isinstance(part, str) for part in value):
        argv = tuple(value)
    else:
        raise CommandError(f"the agent command in {where} must be a string or a list of strings")
    if not argv or not argv[0].strip():
        raise CommandError(f"the agent command in {where} is empty")
    return argv


def _load_toml(path: str) -> dict[str, Any] | None:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    try:
        # Python 3.11+ has tomllib; on 3.10 the backport is used when installed (documented).
        toml = importlib.import_module("tomllib" if sys.version_info >= (3, 11) else "tomli")
    except ImportError:
        return None
    try:
        loaded: dict[str, Any] = toml.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, toml.TOMLDecodeError) as exc:
        raise CommandError(f"{path} is not valid TOML: {exc}") from None
    return loaded


def _from_config(folder: str) -> AgentCommand | None:
    for name in CONFIG_FILES:
        path = os.path.join(folder, name)
        data = _load_toml(path)
        if data is None:
            continue
        if name == "pyproject.toml":
            tool = data.get("tool")
            section = tool.get("statuskit") if isinstance(tool, dict) else None
        else:
            section = data
        if isinstance(section, dict) and "agent" in section:
            where = f"{name} ({'[tool.statuskit] ' if name == 'pyproject.toml' else ''}agent)"
            return AgentCommand(_split(section["agent"], where), name)
    return None


def resolve_agent(
    flag: str | None, *, env: Mapping[str, str] | None = None, folder: str = "."
) -> AgentCommand:
    """The agent command: the flag, the environment, a config file, or the default.

    Raises:
        CommandError: the chosen value is empty or cannot be split.

    """
    if flag is not None:
        return AgentCommand(_split(flag, "--agent-cmd"), "--agent-cmd")
    value = (os.environ if env is None else env).get(ENV_VAR)
    if value:
        return AgentCommand(_split(value, f"${ENV_VAR}"), f"${ENV_VAR}")
    return _from_config(folder) or AgentCommand(DEFAULT_AGENT, "default")


def agent_argv(command: Sequence[str], prompt: str) -> tuple[list[str], str | None]:
    """The exact argv to run and what goes to stdin (``None``: nothing)."""
    argv = list(command)
    if "{prompt}" in argv:
        return [prompt if part == "{prompt}" else part for part in argv], None
    return argv, prompt
