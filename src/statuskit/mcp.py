"""``statuskit mcp``: the plan's operations as MCP tools, over stdio.

Why it looks like this:

* Each tool runs the very command an agent would type: its arguments become the command's
  argv, parsed by the CLI's own parser and run by the CLI's own ``run_<command>``. So a tool's
  result *is* the CLI's JSON document for the same state, its errors carry the same ``code``,
  and a new option of a command (a default, a range check) reaches the tool without a change
  here.
* The tool table is data (:data:`TOOLS`): a name, the command, a short description and the
  parameters, each mapped to an option or a positional argument. Adding a tool is one entry.
  Descriptions are short on purpose: an agent reads the whole list before its first call,
  and the list stays under ~6,000 characters of JSON (a test measures it).
* Only :func:`serve` imports the MCP SDK (the extra ``statuskit[mcp]``), so the table can be
  listed without it, and no other command pays for the import.
* Calls run one at a time, in a worker thread: a command may wait for a lock, which must not
  stall the protocol, and one agent's calls then apply in the order it sent them.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Mapping, Sequence
from importlib import import_module
from typing import Any, Literal, NamedTuple

from statuskit.cli._context import Context
from statuskit.cli._errors import CliError, error_document, translate
from statuskit.cli._main import build_parser
from statuskit.cli._table import by_name

__all__ = ["TOOLS", "Param", "Tool", "call", "serve", "tool_list"]


class Param(NamedTuple):
    """One parameter of a tool, and where it goes on the command line."""

    name: str
    """The parameter's name in the tool's input."""
    type: Literal["string", "integer"]
    """Its JSON type."""
    description: str
    """A few words for the agent."""
    flag: str | None = None
    """The command's option (``--notes``); ``None``: a positional argument, in order."""
    required: bool = False
    """The call fails without it."""
    as_file: bool = False
    """The value is text the command reads from a file (``--file``): a temporary one."""


class Tool(NamedTuple):
    """One MCP tool: a ``statuskit`` command with some of its arguments."""

    name: str
    """The tool's name."""
    command: str
    """The ``statuskit`` command it runs."""
    description: str
    """One short sentence."""
    params: tuple[Param, ...] = ()
    """Its parameters."""


_TASK = Param("task", "string", "task id, e.g. 1.2", required=True)
_COUNT = Param("count", "integer", "at most this many (1)")
_TOKEN = Param("token", "integer", "the token claim gave (needed once claimed)", "--token")
_LEASE = Param("lease", "string", "lease length, e.g. 30m", "--lease")

#: Every tool, in the order of ``tools/list``.
TOOLS: tuple[Tool, ...] = (
    Tool("status", "status", "Summary, current phase, tasks in progress and failed."),
    Tool("next", "next", "Tasks ready to start, with reasons; counts of the rest.", (_COUNT,)),
    Tool(
        "claim",
        "claim",
        "Atomically lease up to count ready tasks to owner; each has a token for its writes.",
        (Param("owner", "string", "who takes them", "--owner", required=True), _COUNT, _LEASE),
    ),
    Tool(
        "heartbeat",
        "heartbeat",
        "Extend the lease of a claimed task.",
        (_TASK, Param("token", "integer", "the claim's token", "--token", required=True), _LEASE),
    ),
    Tool("start", "mark-started", "Mark a task in progress.", (_TASK, _TOKEN)),
    Tool(
        "complete",
        "mark-complete",
        "Mark a task completed.",
        (_TASK, Param("notes", "string", "what was done", "--notes"), _TOKEN),
    ),
    Tool(
        "fail",
        "mark-failed",
        "Mark a task failed.",
        (_TASK, Param("error", "string", "what went wrong", "--error", required=True), _TOKEN),
    ),
    Tool(
        "skip",
        "mark-skipped",
        "Mark a task skipped.",
        (_TASK, Param("reason", "string", "why", "--reason", required=True), _TOKEN),
    ),
    Tool(
        "write_findings",
        "write-findings",
        "Store a task's findings (replaces earlier ones).",
        (
            _TASK,
            Param("text", "string", "markdown", "--file", required=True, as_file=True),
            _TOKEN,
        ),
    ),
    Tool("read_findings", "read-findings", "A task's findings.", (_TASK,)),
    Tool(
        "log",
        "log",
        "The journal: who changed what, when (newest last).",
        (
            Param("task", "string", "only this task"),
            Param("limit", "integer", "only the newest this many", "--limit"),
        ),
    ),
)

_BY_NAME = {tool.name: tool for tool in TOOLS}
_SEE = "see the tool's inputSchema in tools/list"


def _schema(tool: Tool) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            p.name: {"type": p.type, "description": p.description}
            | ({"minimum": 0} if p.type == "integer" else {})
            for p in tool.params
        },
    }
    required = [p.name for p in tool.params if p.required]
    if required:
        schema["required"] = required
    schema["additionalProperties"] = False
    return schema


def tool_list() -> list[dict[str, Any]]:
    """The tools as ``tools/list`` describes them: name, description, input schema."""
    return [
        {"name": tool.name, "description": tool.description, "inputSchema": _schema(tool)}
        for tool in TOOLS
    ]


def _check(tool: Tool, arguments: Mapping[str, Any]) -> None:
    """Arguments the schema allows, or a usage error naming the first that is not."""
    known = {p.name: p for p in tool.params}
    for name in arguments:
        if name not in known:
            allowed = "allowed: " + (", ".join(known) or "none")
            raise CliError("usage", f"{tool.name}: unknown argument {name!r}", allowed)
    for param in tool.params:
        value = arguments.get(param.name)
        if value is None:
            if param.required:
                raise CliError("usage", f"{tool.name}: {param.name!r} is required", _SEE)
            continue
        if param.type == "string" and not isinstance(value, str):
            raise CliError("usage", f"{tool.name}: {param.name!r} must be a string", _SEE)
        if param.type == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
            raise CliError("usage", f"{tool.name}: {param.name!r} must be a whole number", _SEE)


def _argv(tool: Tool, arguments: Mapping[str, Any], folder: str) -> list[str]:
    """The command's arguments (before the command's name is the caller's business)."""
    options: list[str] = []
    positionals: list[str] = []
    for param in tool.params:
        value = arguments.get(param.name)
        if value is None:
            continue
        text = str(value)
        if param.as_file:
            path = os.path.join(folder, param.name)
            # newline="" writes the text as given; the command reads it as it reads any file.
            with open(path, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
            text = path
        if param.flag is None:
            positionals.append(text)
        else:
            # --flag=VALUE: a value starting with "-" stays a value.
            options.append(f"{param.flag}={text}")
    # After "--" nothing is an option, so no value can turn into --help or another flag.
    return [*options, "--", *positionals] if positionals else options


def _run_command(argv: list[str], command_name: str) -> dict[str, Any]:
    """Parse ``argv`` with the CLI's parser and run the command as ``statuskit`` would."""
    command = by_name(command_name)
    assert command is not None, command_name
    args = build_parser(command_name).parse_args(argv)
    handler = getattr(import_module(command.module), "run_" + command.function_suffix)
    ctx = Context(args)
    try:
        result = handler(ctx, args)
    except Exception as exc:
        # Translated here, where the call's options are known: hints name the commands as
        # the CLI names them for the same options.
        raise translate(exc, ctx.hints()) from exc
    finally:
        ctx.close()
    if not isinstance(result, dict):  # pragma: no cover - every tool's command returns JSON
        raise CliError("internal", f"{command_name} printed no JSON document")
    return result


def call(
    name: str, arguments: Mapping[str, Any] | None, global_argv: Sequence[str]
) -> tuple[dict[str, Any], bool]:
    """Run tool ``name``: the CLI's document, and whether it is an error document.

    ``global_argv`` holds the options that choose the plan and store (``--plan=...``).
    """
    try:
        tool = _BY_NAME.get(name)
        if tool is None:
            raise CliError("usage", f"unknown tool {name!r}", "list the tools again")
        arguments = arguments or {}
        _check(tool, arguments)
        with tempfile.TemporaryDirectory(prefix="statuskit-mcp-") as folder:
            argv = [*global_argv, tool.command, *_argv(tool, arguments, folder)]
            return _run_command(argv, tool.command), False
    except SystemExit:  # pragma: no cover - "--" keeps argparse from exiting (no --help)
        return error_document(CliError("usage", f"{name}: bad arguments")), True
    except Exception as exc:
        return error_document(translate(exc)), True


def global_options(args: argparse.Namespace) -> list[str]:
    """The plan and store options of the ``mcp`` command, as argv for every tool call."""
    argv = []
    for dest, flag in (
        ("plan", "--plan"),
        ("status", "--status"),
        ("store", "--store"),
        ("plan_key", "--plan-key"),
        ("output_dir", "--output-dir"),
        ("lock_timeout", "--lock-timeout"),
    ):
        value = getattr(args, dest, None)
        if value is not None:
            argv.append(f"{flag}={value}")
    return argv


def serve(global_argv: Sequence[str]) -> None:
    """Serve the tools over stdin/stdout until the client closes the connection.

    Raises:
        ModuleNotFoundError: the MCP SDK is not installed (``pip install 'statuskit[mcp]'``).

    """
    import anyio
    from mcp import types
    from mcp.server.lowlevel import Server
    from mcp.server.stdio import stdio_server

    from statuskit import __version__
    from statuskit.cli._output import dumps_line

    listed = types.ListToolsResult(
        tools=[
            types.Tool(name=t["name"], description=t["description"], input_schema=t["inputSchema"])
            for t in tool_list()
        ]
    )
    one_at_a_time = anyio.Lock()

    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        return listed

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        async with one_at_a_time:
            document, failed = await anyio.to_thread.run_sync(
                call, params.name, params.arguments, global_argv
            )
        return types.CallToolResult(
            content=[types.TextContent(text=dumps_line(document))],
            structured_content=document,
            is_error=failed,
        )

    server: Server[Any] = Server(
        "statuskit",
        version=__version__,
        instructions="Execution state of one plan: pick work with next or claim, report with "
        "start/complete/fail/skip. Results are statuskit's JSON documents.",
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )

    async def main() -> None:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    anyio.run(main)
