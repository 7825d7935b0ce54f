r"""Strict JSON text: what statuskit reads is JSON or corrupt, what it writes is JSON on one line.

:mod:`json` alone falls short in four ways, each of which once broke a command:

* ``json.loads`` fails with more than ``JSONDecodeError``: deep nesting raises
  ``RecursionError``, an integer longer than Python's digit limit ``ValueError``, bytes that
  are not text ``UnicodeDecodeError``. :func:`parse` turns every one into
  :class:`~statuskit.CorruptStatus`, and rejects ``NaN``/``Infinity`` and numbers too large
  for a float (``1e999``), which are not JSON.
* ``json.dumps`` writes ``NaN`` and ``Infinity`` unless told not to: here it never does
  (a non-finite number raises ``ValueError``).
* with ``ensure_ascii=False`` it writes U+0085, U+2028 and U+2029 raw, and ``str.splitlines``
  splits a line on each of them (it splits on the ASCII ones too, which JSON always escapes);
* it writes lone surrogates raw (from a ``\ud800`` escape in a file, or an argument that was
  not UTF-8), and such text cannot be written as UTF-8.

:func:`escape` fixes the last two on finished text: those characters only ever appear inside
JSON strings, where their ``\uXXXX`` escape means the same. The C encoder does the rest.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from statuskit.errors import CorruptStatus

__all__ = [
    "MAX_NESTING",
    "SCALARS",
    "dumps_line",
    "escape",
    "excerpt",
    "parse",
    "render",
    "unwritable",
]

#: The deepest nesting of arrays and objects a status document may have, counted from the
#: document itself (1). Far below what :mod:`json` can read and write again (~1000 minus the
#: caller's stack), so a file that decodes never makes a later write fail.
MAX_NESTING = 64


# Characters str.splitlines() splits on that JSON does not escape by itself (it escapes every
# character below U+0020).
_LINE_BREAKS = ("\x85", "\u2028", "\u2029")
_INF = float("inf")


class _NotJson(ValueError):
    """A number JSON cannot hold, found while parsing."""


def _constant(name: str) -> float:
    raise _NotJson(f"{name} is not a JSON number")


def _float(text: str) -> float:
    value = float(text)
    if value in (_INF, -_INF):
        raise _NotJson(f"the number {text[:40]} is too large for a float")
    return value


# Built once: json.loads with hooks would build a decoder per call (~2 us, 10 % of a small file).
_DECODER = json.JSONDecoder(parse_constant=_constant, parse_float=_float)


def parse(raw: bytes | str) -> object:
    """Parse JSON text strictly; every way it can fail is :class:`~statuskit.CorruptStatus`.

    Raises:
        CorruptStatus: not UTF-8, not JSON, ``NaN``/``Infinity`` or a number that overflows a
            float, nesting too deep for the parser, an integer above Python's digit limit.

    """
    try:
        if isinstance(raw, (bytes, bytearray)):  # as json.loads does it
            raw = raw.decode(json.detect_encoding(raw), "surrogatepass")
        return _DECODER.decode(raw)
    except UnicodeDecodeError as exc:
        reason = f"not UTF-8 text ({exc.reason} at byte {exc.start})"
        raise CorruptStatus(reason) from None
    except json.JSONDecodeError as exc:
        reason = "empty file" if not raw.strip() else f"invalid JSON: {exc.msg}"
        raise CorruptStatus(reason, position=(exc.lineno, exc.colno)) from None
    except _NotJson as exc:
        raise CorruptStatus(f"invalid JSON: {exc}") from None
    except RecursionError:
        raise CorruptStatus("invalid JSON: arrays or objects nested too deeply to read") from None
    except ValueError as exc:
        # The only other ValueError of the decoder: an integer longer than the interpreter's
        # limit for int(str) (sys.set_int_max_str_digits, 4300 digits by default).
        limit = getattr(sys, "get_int_max_str_digits", lambda: 0)()
        reason = f"an integer of more than {limit} digits" if limit else str(exc)
        raise CorruptStatus(f"invalid JSON: {reason}") from None


# Types that need no check: anything else is looked at by unwritable().
SCALARS = frozenset({str, int, bool, type(None)})


def unwritable(value: object, level: int) -> tuple[str, str] | None:
    """Why ``value`` could not be written again as strict JSON, or ``None`` when it can.

    Returns ``(path suffix, reason)`` of the first bad part (``"[3].x"``). ``level`` is the
    nesting level ``value`` has as a container, the document being 1. The recursion is
    bounded by :data:`MAX_NESTING`.
    """
    if isinstance(value, float):  # NaN fails both comparisons
        return None if -_INF < value < _INF else ("", f"{value} is not a JSON number")
    if isinstance(value, (list, tuple)):
        if level > MAX_NESTING:
            return ("", f"arrays or objects nested more than {MAX_NESTING} levels deep")
        for index, item in enumerate(value):
            if type(item) not in SCALARS and (found := unwritable(item, level + 1)):
                return (f"[{index}]{found[0]}", found[1])
        return None
    if isinstance(value, dict):
        if level > MAX_NESTING:
            return ("", f"arrays or objects nested more than {MAX_NESTING} levels deep")
        for key, item in value.items():
            if not isinstance(key, str):
                return ("", f"an object key that is not a string ({type(key).__name__})")
            if type(item) not in SCALARS and (found := unwritable(item, level + 1)):
                return (f".{key}{found[0]}", found[1])
        return None
    if value is None or isinstance(value, (str, int)):
        return None
    return ("", f"a {type(value).__name__} is not a JSON value")


def excerpt(text: str, limit: int = 60) -> str:
    """``repr`` of a string from a document, cut short: error messages stay readable."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "..."


def escape(text: str) -> str:
    """Escape what ``str.splitlines`` splits on, and lone surrogates, in finished JSON text.

    Only call it on JSON text: there these characters can only be inside strings. (A high
    surrogate directly followed by a low one, which only Python code can build, reads back
    as the one character the pair encodes: that is what the escapes mean in JSON.)
    """
    if text.isascii():  # O(1): the common case costs nothing
        return text
    for char in _LINE_BREAKS:
        if char in text:
            text = text.replace(char, f"\\u{ord(char):04x}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # only lone surrogates fail: escape each of them
        import re  # noqa: PLC0415 - compiling this pattern costs ~0.3 ms: only when needed

        surrogate = re.compile("[\ud800-\udfff]")
        text = surrogate.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
    return text


def _not_json(value: object) -> Any:
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def _c_encoder() -> Callable[[object], str]:
    """One-line JSON (``", "``/``": "``, non-ASCII kept) by CPython's C encoder, built once.

    ``json.dumps`` builds a new C encoder on every call, which costs as much as encoding a
    task; building it once makes the one-task-per-line layout as fast as a compact dump.
    No circular-reference markers: the values are trees (decoded JSON or statuskit's own).
    """
    from json import encoder  # noqa: PLC0415

    make = getattr(encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - PyPy and other implementations
        return json.JSONEncoder(
            ensure_ascii=False, allow_nan=False, separators=(", ", ": "), default=_not_json
        ).encode
    c_encode = make(
        None, _not_json, encoder.encode_basestring, None, ": ", ", ", False, False, False
    )
    return lambda value: "".join(c_encode(value, 0))


_compact: Callable[[object], str] | None = None


def _encoder() -> Callable[[object], str]:
    global _compact  # noqa: PLW0603 - a lazily built module singleton
    if _compact is None:
        _compact = _c_encoder()
    return _compact


def dumps_line(value: object) -> str:
    """One line of strict JSON for ``value``, without a newline.

    Non-ASCII text is kept as it is, except the characters ``str.splitlines`` breaks on and
    lone surrogates, which are escaped; so every line splitter sees exactly one line.

    Raises:
        ValueError: ``value`` holds ``NaN`` or an infinity (not JSON).
        TypeError: ``value`` holds something that is not a JSON value.

    """
    return escape(_encoder()(value))


def render(doc: dict[str, Any], indent: int | str | None) -> str:
    """The text of a status document (see :func:`statuskit.codec.dumps`), newline-terminated."""
    if indent != "lines":
        text = json.dumps(doc, indent=indent, ensure_ascii=False, allow_nan=False)
        return escape(text) + "\n"
    compact = _encoder()
    parts = []
    for key, value in doc.items():
        if key in ("tasks", "runs") and value:
            rows = ",\n    ".join(compact(item) for item in value)
            parts.append(f"  {compact(key)}: [\n    {rows}\n  ]")
        else:
            parts.append(f"  {compact(key)}: {compact(value)}")
    return escape("{\n" + ",\n".join(parts) + "\n}\n")
