"""``statuskit stream [FILE|-] [--json]``: the events of an agent's output, as they arrive."""

from __future__ import annotations

import argparse
import sys
from typing import IO, Any, cast

from statuskit.cli._args import count
from statuskit.cli._context import Context
from statuskit.cli._errors import CliError
from statuskit.cli._output import GuardedStdout


def args_stream(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file", nargs="?", default="-", metavar="FILE", help="a capture, or - for stdin (-)"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per event")
    parser.add_argument(
        "--max-line",
        type=count,
        default=None,
        metavar="BYTES",
        help="the longest input line; a longer one becomes an error event (16 MiB)",
    )


def run_stream(ctx: Context, args: argparse.Namespace) -> int:
    from statuskit.stream.cli import print_stream

    out = cast("IO[str]", GuardedStdout())
    if args.file == "-":
        source: IO[Any] = getattr(sys.stdin, "buffer", sys.stdin)
        print_stream(source, out, as_json=args.json, max_line=args.max_line)
        return 0
    try:
        handle = open(args.file, "rb")  # noqa: SIM115 - closed by the with below
    except FileNotFoundError:
        raise CliError("not_found", f"stream file {args.file} not found") from None
    except IsADirectoryError:
        raise CliError("usage", f"{args.file} is a folder, not a stream capture") from None
    with handle:
        print_stream(handle, out, as_json=args.json, max_line=args.max_line)
    return 0
