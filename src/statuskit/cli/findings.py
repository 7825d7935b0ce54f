"""Findings commands: write-findings, read-findings.

Findings come from a regular file, a pipe (``--file <(cmd)``) or stdin, and are read up to a
limit (:data:`DEFAULT_MAX_BYTES`, ``--max-bytes``, ``$STATUSKIT_FINDINGS_MAX_BYTES``): at most
one byte more than the limit is ever read, so ``--file /dev/zero`` or an endless pipe stops
with a clear error instead of filling memory. Devices, sockets and folders are refused before
they are opened. The text must be UTF-8; the error names the source and the byte. Findings
that are empty or only whitespace are refused (``--allow-empty`` stores them on purpose): an
empty pipe (``< /dev/null``, a command that printed nothing) is a mistake far more often
than a finding.

``read-findings --raw`` prints the text exactly as stored (bytes as written, no newline
added) instead of a JSON document; errors are still JSON, with their exit code.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
from typing import IO, TYPE_CHECKING, Any

from statuskit.cli._args import byte_size, task_id
from statuskit.cli._common import dry
from statuskit.cli._context import Context
from statuskit.cli._errors import CliError
from statuskit.cli._output import emit_raw
from statuskit.cli.tasks import add_token

if TYPE_CHECKING:
    from statuskit import FindingsNotFound

DEFAULT_MAX_BYTES = 10 << 20
"""The largest findings accepted by default: 10 MiB."""
MAX_BYTES_ENV = "STATUSKIT_FINDINGS_MAX_BYTES"
_CHUNK = 1 << 16


def args_write_findings(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "task_id", type=task_id, metavar="TASK_ID", help="the task, as the plan numbers it (1.2)"
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", help="read the findings from this file (or a pipe)")
    source.add_argument("--stdin", action="store_true", help="read the findings from stdin")
    add_token(parser)
    parser.add_argument(
        "--max-bytes",
        type=byte_size,
        default=None,
        metavar="N",
        help=f"the largest findings accepted, e.g. 512k, 50M (${MAX_BYTES_ENV}; 10M)",
    )
    parser.add_argument(
        "--allow-empty",
        action="store_true",
        help="store findings that are empty or only whitespace (refused by default)",
    )


def _limit(args: argparse.Namespace) -> int:
    if args.max_bytes is not None:
        return int(args.max_bytes)
    env = os.environ.get(MAX_BYTES_ENV)
    if not env:
        return DEFAULT_MAX_BYTES
    try:
        return byte_size(env)
    except argparse.ArgumentTypeError as exc:
        raise CliError("usage", f"${MAX_BYTES_ENV}: {exc}", "unset it, or give e.g. 10M") from None


def _too_large(source: str, limit: int) -> CliError:
    return CliError(
        "usage",
        f"{source} holds more than the findings limit of {limit} bytes; nothing was written",
        f"raise the limit with --max-bytes (or ${MAX_BYTES_ENV}), or write a shorter summary",
        limit=limit,
    )


def _read_bytes(handle: IO[bytes], limit: int, source: str) -> bytes:
    """Read to the end, but never more than ``limit + 1`` bytes."""
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = handle.read(min(_CHUNK, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise _too_large(source, limit)


def _read_text_stream(handle: IO[str], limit: int, source: str) -> bytes:
    """A text stdin (no binary buffer, e.g. a test's): the same limit, counted in bytes."""
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = handle.read(min(_CHUNK, limit + 1 - total)).encode("utf-8", "surrogatepass")
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise _too_large(source, limit)


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CliError(
            "usage",
            f"{source} is not UTF-8 text: byte 0x{data[exc.start]:02x} at offset {exc.start} "
            f"({exc.reason}); nothing was written",
            "findings are UTF-8 text; convert the file first (e.g. with iconv)",
        ) from None


def _from_stdin(limit: int) -> str:
    stream = sys.stdin
    if stream is None:
        raise CliError("usage", "stdin is closed: no findings to read", "pipe them in, or --file")
    binary = getattr(stream, "buffer", None)
    if binary is not None:
        data = _read_bytes(binary, limit, "stdin")
    else:
        data = _read_text_stream(stream, limit, "stdin")
    return _decode(data, "stdin")


def _kind_refused(path: str, mode: int) -> CliError:
    from statuskit.store._lock import describe_kind

    return CliError(
        "usage",
        f"findings file {path} is {describe_kind(mode)}, not a file or a pipe",
        "give a regular file, a pipe (--file <(command)), or use --stdin",
    )


def _from_file(path: str, limit: int) -> str:
    # Looked at before opening: opening a device can have effects of its own, and reading
    # one (/dev/zero) never ends.
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise CliError("not_found", f"findings file {path} not found") from None
    if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
        raise _kind_refused(path, mode)
    with open(path, "rb") as handle:
        mode = os.fstat(handle.fileno()).st_mode  # what was opened, not what was looked at
        if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
            raise _kind_refused(path, mode)
        data = _read_bytes(handle, limit, f"findings file {path}")
    return _decode(data, f"findings file {path}")


def _refuse_empty(text: str, source: str) -> None:
    if text.strip():
        return
    size = len(text.encode("utf-8"))
    unit = "byte" if size == 1 else "bytes"
    held = "nothing (0 bytes)" if not size else f"only whitespace ({size} {unit})"
    raise CliError(
        "usage",
        f"{source} held {held}: no findings to store; nothing was written",
        "pipe the findings in, or give --file PATH; --allow-empty stores empty findings on purpose",
        bytes=size,
    )


def run_write_findings(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    limit = _limit(args)
    text = _from_stdin(limit) if args.stdin else _from_file(args.file, limit)
    if not args.allow_empty:
        _refuse_empty(text, "stdin" if args.stdin else f"findings file {args.file}")
    tracker = ctx.tracker()
    location = tracker.write_findings(args.task_id, text, token=args.token, dry_run=args.dry_run)
    return {
        "ok": True,
        "task": args.task_id,
        "bytes": len(text.encode()),
        "path": location,
        **dry(args),
        "store": tracker.store.location,
    }


def args_read_findings(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "task_id", type=task_id, metavar="TASK_ID", help="the task, as the plan numbers it (1.2)"
    )
    parser.add_argument(
        "--raw",
        action="store_true",
        help="print the text exactly as stored, not a JSON document (errors stay JSON)",
    )


def _missing(ctx: Context, exc: FindingsNotFound) -> CliError:
    """Never written, or written and then lost: the hint differs."""
    from statuskit import StatusKitError

    try:
        recorded = ctx.tracker().status().task(exc.task_id).findings_path
    except StatusKitError:
        recorded = None
    write = ctx.command("write-findings", exc.task_id, "--stdin")
    if recorded is None:
        hint = (
            f"findings were never written for task {exc.task_id}; {write} stores the text it "
            "reads on stdin (or --file PATH)"
        )
    else:
        hint = (
            f"task {exc.task_id} records findings at {recorded}, but they are gone (deleted "
            f"or moved?); write them again with {write}"
        )
    return CliError("not_found", str(exc), hint, task=exc.task_id, recorded=recorded)


def run_read_findings(ctx: Context, args: argparse.Namespace) -> dict[str, Any] | int:
    from statuskit import FindingsNotFound

    tracker = ctx.tracker()
    try:
        text = tracker.read_findings(args.task_id)
    except FindingsNotFound as exc:
        raise _missing(ctx, exc) from None
    if args.raw:
        emit_raw(text)
        return 0
    return {
        "ok": True,
        "task": args.task_id,
        "path": tracker.store.findings_location(args.task_id),
        "text": text,
    }
