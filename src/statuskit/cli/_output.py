"""What the command prints: one strict JSON document on stdout, diagnostics on stderr.

The document is strict JSON (no ``NaN``/``Infinity``) on one line for every line splitter:
``str.splitlines`` also breaks on U+2028, U+2029, U+0085 and a few control characters, which
``json.dumps(ensure_ascii=False)`` writes raw, so they are escaped.
"""

from __future__ import annotations

import json
import math
import os
import sys
from typing import Any

from statuskit._jsontext import escape

__all__ = [
    "GuardedStdout",
    "OutputFailed",
    "dumps_line",
    "emit",
    "emit_raw",
    "emit_text",
    "flush",
    "warn",
]


class OutputFailed(Exception):
    """stdout is closed or full: the result could not be printed."""

    mutating: bool | None = None
    """Whether the command that ran may have changed a status (``None``: not known)."""


def _finite(value: Any) -> Any:
    """The value with non-finite floats replaced by ``None`` (strict JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def dumps_line(document: Any, *, indent: int | None = None) -> str:
    """Strict JSON text of ``document``: one line (unless ``indent``), no NaN, no raw splitters."""
    try:
        text = json.dumps(document, indent=indent, ensure_ascii=False, allow_nan=False)
    except ValueError:
        text = json.dumps(_finite(document), indent=indent, ensure_ascii=False, allow_nan=False)
    return escape(text)


def _write(text: str) -> None:
    """Write and flush."""
    _write_only(text, flush=True)


def flush() -> None:
    """Flush what was printed; a closed or full stdout raises :class:`OutputFailed`.

    Without it, a failure would surface only in the interpreter's own flush at exit: a
    message about an ignored exception and exit code 120, after the command said 0.
    """
    if sys.stdout is not None:
        _write_only("", flush=True)


def _write_only(text: str, *, flush: bool = False) -> None:
    out = sys.stdout
    if out is None:  # started with stdout closed (`>&-`)
        raise OutputFailed("stdout is closed")
    try:
        if text:
            out.write(text)
        if flush:
            out.flush()
    except (OSError, ValueError) as exc:
        _silence_stdout()
        raise OutputFailed(str(exc) or type(exc).__name__) from None


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush cannot fail loudly."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):
        sys.stdout = None


class GuardedStdout:
    """stdout for commands that print as they go: a failed write raises :class:`OutputFailed`."""

    def write(self, text: str) -> int:
        """Write to stdout."""
        _write_only(text)
        return len(text)

    def flush(self) -> None:
        """Flush stdout."""
        _write("")


def emit(document: dict[str, Any]) -> None:
    """Print the command's JSON document (indented when stdout is a terminal)."""
    out = sys.stdout
    indent = 2 if out is not None and _isatty(out) else None
    _write(dumps_line(document, indent=indent) + "\n")


def _isatty(out: Any) -> bool:
    try:
        return bool(out.isatty())
    except (OSError, ValueError):
        return False


def emit_text(text: str) -> None:
    """Print human text (commands whose format option asks for it)."""
    _write(text if text.endswith("\n") else text + "\n")


def emit_raw(text: str) -> None:
    """Print ``text`` exactly: its UTF-8 bytes, no newline added, no newline translation.

    Written to the binary stream under stdout when there is one, so that neither the
    locale's encoding nor the platform's line endings change a byte.
    """
    out = sys.stdout
    binary = getattr(out, "buffer", None)
    if binary is None:
        _write(text)
        return
    try:
        out.flush()  # anything already written as text goes first
        binary.write(text.encode("utf-8"))
        binary.flush()
    except (OSError, ValueError) as exc:
        _silence_stdout()
        raise OutputFailed(str(exc) or type(exc).__name__) from None


def warn(message: str) -> None:
    """A warning on stderr (never stdout); a closed stderr is ignored."""
    try:
        sys.stderr.write(f"statuskit: warning: {message}\n")
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass
