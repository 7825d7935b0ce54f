r"""Agent text made safe to show on a terminal, one line at a time.

Agent output is data, not terminal commands: a tool result that holds ``ESC ] 52`` can set
the clipboard, ``ESC [ 2 J`` clears the screen, ``\r`` overwrites what was printed, and bidi
overrides reorder what a reader sees. :func:`printable` removes all of them.
"""

from __future__ import annotations

import re

__all__ = ["printable"]

# Escape sequences, removed whole so that their parameters do not remain as text:
# CSI (7- and 8-bit), the string commands OSC/DCS/SOS/PM/APC up to their terminator (or the
# end of the text), and the short ESC sequences (charset selection, save cursor, reset, ...).
_SEQUENCE = re.compile(
    r"""
      \x1b\[ [0-?]* [ -/]* [@-~]
    | \x9b [0-?]* [ -/]* [@-~]
    | (?: \x1b[P\]X^_] | [\x90\x98\x9d\x9e\x9f] ) .*? (?: \x07 | \x1b\\ | \x9c | \Z )
    | \x1b [ -/]* [0-~]
    """,
    re.VERBOSE | re.DOTALL,
)
# What str.splitlines() breaks on (a terminal may too): shown as a space.
_BREAK = re.compile("[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# The other C0/C1 controls (a tab is kept), DEL, bidi embeddings/overrides/isolates, and lone
# surrogates (which no terminal encoding can write).
_DROP = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def printable(text: str) -> str:
    r"""``text`` as one terminal-safe line: escape sequences and control characters removed.

    Line breaks of every kind become spaces; tabs are kept; lone surrogates become U+FFFD.

    Example:
        >>> printable("\x1b[31mred\x1b[0m\r\nnext\x07")
        'red  next'

    """
    if text.isascii() and text.isprintable():
        return text  # the common case, at the cost of two C scans
    text = _SEQUENCE.sub("", text)
    text = _BREAK.sub(" ", text)
    text = _DROP.sub("", text)
    return _SURROGATE.sub("\ufffd", text)
