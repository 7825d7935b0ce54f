"""The ``statuskit`` command: a table of commands, one module per group.

:func:`main` runs it; :data:`EXIT_CODES` maps each ``error.code`` to its exit code;
:data:`COMMAND_NAMES` lists the commands in help order. Only the invoked command's module is
imported, so a status update costs little more than the interpreter's start-up.
"""

from __future__ import annotations

from statuskit.cli._args import parse_duration
from statuskit.cli._errors import EXIT_CODES, CliError
from statuskit.cli._main import console, main
from statuskit.cli._table import COMMANDS as _COMMANDS

__all__ = ["COMMANDS", "EXIT_CODES", "CliError", "console", "main", "parse_duration"]

#: Every command name, in the order of ``statuskit --help``.
COMMANDS: tuple[str, ...] = tuple(command.name for command in _COMMANDS)
