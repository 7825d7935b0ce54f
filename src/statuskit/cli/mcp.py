"""The ``mcp`` command: serve the plan's operations to MCP clients over stdio."""

from __future__ import annotations

import argparse
from typing import Any

from statuskit.cli._context import Context
from statuskit.cli._errors import CliError


def args_mcp(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--list-tools",
        action="store_true",
        help="print the tools as JSON and exit (needs no MCP package)",
    )


def run_mcp(ctx: Context, args: argparse.Namespace) -> dict[str, Any] | int:
    from statuskit.mcp import global_options, serve, tool_list

    if args.list_tools:
        return {"ok": True, "tools": tool_list()}
    try:
        import mcp  # noqa: F401 - only to say clearly that the extra is missing
    except ImportError:
        raise CliError(
            "usage",
            "`statuskit mcp` needs the MCP package",
            "install it: pip install 'statuskit[mcp]'",
        ) from None
    try:
        serve(global_options(args))
    except KeyboardInterrupt:
        # stdout belonged to the protocol: end quietly, as a server stopped by its client.
        return 130
    return 0
