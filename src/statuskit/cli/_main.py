"""``statuskit``'s entry point: parse, dispatch through the table, report.

Contract (``docs/cli.md``): stdout carries exactly one JSON document per command — human text
only where a format option asks for it; warnings go to stderr; errors are ``{"ok": false,
"error": {code, message, hint}}`` with an exit code per kind (:data:`EXIT_CODES`). No
traceback reaches the user, whatever happens: a closed stdout, Ctrl-C, a bug.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from statuskit.cli._args import add_plan_options
from statuskit.cli._context import Context
from statuskit.cli._errors import CliError, Hints, error_document, translate
from statuskit.cli._output import OutputFailed, emit, emit_text, flush
from statuskit.cli._table import COMMANDS, Command, by_name

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

__all__ = ["build_parser", "main"]


class _Formatter(argparse.HelpFormatter):
    """argparse's formatter without ``shutil`` (and its compression modules) on every call.

    argparse builds a formatter for each argument added; the stock one asks ``shutil`` for
    the terminal width each time, and importing shutil costs ~3 ms a call.
    """

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24):
        super().__init__(prog, indent_increment, max_help_position, width=_width())


def _width() -> int:
    try:
        columns = int(os.environ.get("COLUMNS", "0")) or os.get_terminal_size(2).columns
    except (OSError, ValueError):
        columns = 80
    return max(columns - 2, 40)


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage and exiting."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(**kwargs)

    def error(self, message: str) -> NoReturn:
        raise CliError("usage", message, f"see `{self.prog} --help`")

    def print_help(self, file: SupportsWrite[str] | None = None) -> None:
        """Help on stdout through the guarded writer (argparse ignores write errors)."""
        if file is None:
            emit_text(self.format_help())
        else:
            super().print_help(file)


_EPILOG = (
    "Every command prints one JSON document on stdout (see docs/cli.md). Exit codes: 0 ok, "
    "1 internal, 2 usage, 3 not_found, 4 invalid_transition, 5 lock_busy, 6 plan_error, "
    "7 corrupt, 8 schema_too_new, 9 exists, 10 check_failed, 11 io_error, 12 blocked, "
    "13 out_of_iterations, 14 agent_missing, 15 stale_claim, 16 plan_mismatch, "
    "17 unavailable, 130 interrupted."
)


# argparse translates every message it builds through gettext, and each lookup searches the
# locale folders for a catalogue (a dozen stat calls): about 5 ms per command, a tenth of a
# status update. statuskit's messages are English only, so the lookup is skipped.
argparse._ = lambda message: message  # type: ignore[attr-defined]


def _module(command: Command) -> Any:
    return importlib.import_module(command.module)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; with ``only``, just that command's parser is built.

    Building a subparser costs as much as the rest of a status update, and its arguments mean
    importing its module, so a call builds only the command it names. Whenever that parse
    fails, :func:`_dispatch` parses again with every command built, so help and error
    messages are those of the complete parser.
    """
    parser = _Parser(
        prog="statuskit",
        description="Execution state for plans carried out by AI coding agents.",
        epilog=_EPILOG,
    )
    parser.add_argument("--version", action="store_true", help="print the version as JSON")
    add_plan_options(parser, suppress=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for command in COMMANDS:
        if only is not None and command.name != only:
            continue
        sub = commands.add_parser(
            command.name, help=command.help, description=command.help, epilog=_EPILOG
        )
        if command.plan:
            add_plan_options(sub, suppress=True)
        if command.mutating:
            sub.add_argument("--dry-run", action="store_true", help="show, change nothing")
        else:
            sub.set_defaults(dry_run=False)
        add = getattr(_module(command), "args_" + command.function_suffix, None)
        if add is not None:
            add(sub)
    return parser


def _not_text(argv: list[str]) -> CliError | None:
    """A usage error for the first argument that is not UTF-8 text, naming it.

    The operating system hands over bytes; Python keeps undecodable ones as lone surrogates,
    which cannot be written into a status or printed as JSON. Caught here, before anything
    runs, the error can say which argument and which byte (not a position in some file).
    """
    for index, arg in enumerate(argv):
        at = next((i for i, char in enumerate(arg) if "\ud800" <= char <= "\udfff"), None)
        if at is None:
            continue
        offset = len(arg[:at].encode("utf-8", "surrogateescape"))
        code = ord(arg[at])
        byte = f"byte 0x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else "a lone surrogate"
        if arg.startswith("--") and "=" in arg:
            name = arg.split("=", 1)[0]
        elif index > 0 and argv[index - 1].startswith("-") and argv[index - 1] != "--":
            name = argv[index - 1]
        else:
            name = f"argument {index + 1}"
        return CliError(
            "usage",
            f"{name} is not valid UTF-8 text ({byte} at offset {offset}); nothing was done",
            "statuskit's arguments, file names included, must be UTF-8: they are written into JSON",
            argument=index + 1,
        )
    return None


def _dispatch(args_list: list[str], contexts: list[Context]) -> int:
    """Parse and run one command; its Context is appended to ``contexts`` (for the hints)."""
    problem = _not_text(args_list)
    if problem is not None:
        raise problem
    # Guess the command from argv (a value such as `--plan init` can look like one); if the
    # parse says otherwise, parse again with the right command's arguments.
    only = next((arg for arg in args_list if by_name(arg) is not None), None)
    try:
        args = build_parser(only).parse_args(args_list)
    except CliError:
        if only is None:
            raise
        args = build_parser().parse_args(args_list)  # the canonical message, every command built
    if args.command is not None and args.command != only:
        args = build_parser(args.command).parse_args(args_list)
    if args.version:
        from statuskit._version import __version__

        emit({"ok": True, "version": __version__})
        return 0
    if args.command is None:
        raise CliError("usage", "no command given", "see `statuskit --help`")
    command = by_name(args.command)
    assert command is not None
    handler = getattr(_module(command), "run_" + command.function_suffix)
    ctx = Context(args)
    contexts.append(ctx)
    try:
        result = handler(ctx, args)
        location = ctx.location()
    finally:
        ctx.close()
    try:
        if isinstance(result, int):
            flush()  # a command that printed its own output (stream): did it all get out?
            return result
        if isinstance(result, str):
            emit_text(result)
            return 0
        if command.mutating and location is not None and result.get("ok"):
            # Every change says which status it changed (two plans may share a name).
            result.setdefault("store", location)
        emit(result)
    except OutputFailed as exc:
        exc.mutating = command.mutating
        raise
    return 0


def _hints(contexts: list[Context]) -> Hints | None:
    """The hints of the call that failed (``None`` before its options were parsed)."""
    try:
        return contexts[0].hints() if contexts else None
    except Exception:  # a hint must never hide the error it explains
        return None


def _report(error: CliError) -> int:
    try:
        emit(error_document(error))
    except OutputFailed:
        _stderr(f"statuskit: {error.code}: {error.message}")
    return error.exit_code


def _stderr(text: str) -> None:
    try:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass


def _on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (the console script exits with it)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    contexts: list[Context] = []
    try:
        try:
            return _dispatch(args_list, contexts)
        except SystemExit as exc:  # --help and argparse's own exits
            flush()
            return exc.code if isinstance(exc.code, int) else 0
    except OutputFailed as exc:
        done: dict[bool | None, str] = {
            True: ", and any change it made is stored",
            False: " and changed nothing",
        }
        _stderr(
            f"statuskit: could not write the result to stdout ({exc}); the command ran"
            + done.get(exc.mutating, "")
        )
        return CliError("io_error", "").exit_code
    except BaseException as exc:
        if os.environ.get("STATUSKIT_DEBUG"):
            import traceback

            traceback.print_exc()
        return _report(translate(exc, _hints(contexts)))


def console() -> NoReturn:
    """The ``statuskit`` console script: :func:`main`, Ctrl-C and SIGTERM reported, not dumped."""
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, _on_sigterm)
    sys.exit(main())
