r"""One line of plan markdown: headings, dependency annotations, execution notes.

Pure and linear in the line's length, whatever the line holds. A pattern such as
``(.+?)\s*#*\s*$`` looks harmless but backtracks over every split of a long run of spaces:
``# a`` + 2,000 spaces + ``b`` took 18 s. So the parts that must find an *end* (a closing
``#`` sequence, the ``are [SEQUENTIAL]`` of a note, the ``)`` of an annotation) are found with
string methods and single-pass scans here. The regular expressions that remain match at a
fixed start or search for a marker that begins with a literal (``(depends``, a backtick,
``[SEQUENTIAL]``, a separator), and none has two adjacent quantifiers that can take the same
characters.
``tests/test_planfile.py`` feeds lines of tens of thousands of spaces, dashes, dots, digits,
brackets and markers to every kind of line to keep it so.
"""

from __future__ import annotations

import re

__all__ = [
    "heading",
    "phase_heading",
    "same_title",
    "sequential_note",
    "split_spec",
    "strip_depends",
]

_PHASE = re.compile(r"Phase\s+(\d+[A-Za-z]?)\b", re.IGNORECASE)
_PHASE_SEPARATORS = ":.-\u2013\u2014"
_DEPENDS_OPEN = re.compile(r"\((?:depends\s+on|depends:)", re.IGNORECASE)
_CODE_SPAN = re.compile(r"`[^`]*`")
_TASKS = re.compile(r"Tasks?(?=\s)", re.IGNORECASE)
_SEQUENTIAL = re.compile(r"\[SEQUENTIAL\]", re.IGNORECASE)
_NOTE_SEPARATORS = "-\u2013\u2014:"
_SPEC_SEPARATOR = re.compile(r",|;|&|\band\b", re.IGNORECASE)


def heading(line: str) -> tuple[int, str] | None:
    """``(level, text)`` of an ATX heading written at column 0, or ``None``.

    A closing run of ``#`` is dropped when white space precedes it (``## Setup ##``), so a
    heading ending in ``C#`` keeps its ``#``.
    """
    level = len(line) - len(line.lstrip("#"))
    if not 1 <= level <= 6 or level == len(line) or not line[level].isspace():
        return None
    text = line[level:].strip()
    bare = text.rstrip("#")
    if len(bare) != len(text) and (not bare or bare[-1].isspace()):
        text = bare.rstrip()
    return level, text


def phase_heading(text: str) -> tuple[str, str] | None:
    """``(number, title)`` of a heading text such as ``Phase 2A: Build``, or ``None``."""
    match = _PHASE.match(text)
    if match is None:
        return None
    rest = text[match.end() :].lstrip()
    if rest and rest[0] in _PHASE_SEPARATORS:
        rest = rest[1:]
    return match.group(1), rest.strip()


def strip_depends(text: str) -> tuple[str, list[str]]:
    """The text without its ``(depends: ...)`` annotations, and the annotations' contents.

    ``(depends on ...)`` is read too. Annotations inside inline code (`` `(depends: 1.1)` ``)
    are examples, not dependencies; the white space before an annotation goes with it.
    """
    masked = text
    if "`" in text:
        # The same text with code spans blanked out, so that positions match the original.
        pieces, last = [], 0
        for span in _CODE_SPAN.finditer(text):
            pieces += [text[last : span.start()], "\x00" * (span.end() - span.start())]
            last = span.end()
        masked = "".join([*pieces, text[last:]])
    kept: list[str] = []
    found: list[str] = []
    last = 0
    for opening in _DEPENDS_OPEN.finditer(masked):
        if opening.start() < last:
            continue  # inside the annotation just read
        close = masked.find(")", opening.end())
        if close < 0:
            break  # no annotation can close after this point either
        before = masked[last : opening.start()]
        kept.append(text[last : last + len(before.rstrip())])
        found.append(text[opening.end() : close].strip())
        last = close + 1
    kept.append(text[last:])
    return "".join(kept).strip(), found


def _space_after(text: str, start: int) -> int:
    """The end of the run of white space that starts at ``start``."""
    while start < len(text) and text[start].isspace():
        start += 1
    return start


def _space_before(text: str, end: int, floor: int) -> int:
    """The start of the run of white space that ends at ``end`` (not below ``floor``)."""
    while end > floor and text[end - 1].isspace():
        end -= 1
    return end


def sequential_note(text: str) -> tuple[str, str | None] | None:
    """``(spec, reason)`` of ``Tasks 1.3-1.7 are [SEQUENTIAL] - reason``, or ``None``.

    ``Task``/``Tasks``, ``are``/``is``, and a ``-``, en/em dash or ``:`` before the reason are
    accepted. The first ``[SEQUENTIAL]`` that completes such a sentence wins.
    """
    text = text.strip()
    head = _TASKS.match(text)
    if head is None:
        return None
    for mark in _SEQUENTIAL.finditer(text, head.end()):
        tail = _space_after(text, mark.end())
        if tail < len(text) and text[tail] not in _NOTE_SEPARATORS:
            continue
        word_end = _space_before(text, mark.start(), head.end())
        if word_end == mark.start():
            continue
        if text[word_end - 3 : word_end].lower() == "are":
            word_start = word_end - 3
        elif text[word_end - 2 : word_end].lower() == "is":
            word_start = word_end - 2
        else:
            continue
        spec_end = _space_before(text, word_start, head.end())
        spec = text[head.end() : spec_end].strip()
        if spec_end == word_start or not spec:
            continue
        reason = text[tail + 1 :].strip() if tail < len(text) else ""
        return spec, reason or None
    return None


def split_spec(spec: str) -> list[str]:
    """The tokens of a dependency or note spec: split on ``,``, ``;``, ``&`` and ``and``.

    Tokens are stripped, empty ones dropped, repeats dropped (first kept).
    """
    tokens = (raw.strip().strip("`*") for raw in _SPEC_SEPARATOR.split(spec.strip().strip(".")))
    return list(dict.fromkeys(token for token in tokens if token))


def same_title(task_id: str, first: str, second: str) -> bool:
    """Whether two titles of a task say the same thing.

    A leading copy of the id, dependency annotations and white space do not count: a status
    written by another tool may say ``1.1 Set up (depends: 0.1)`` for the title ``Set up``.
    """
    return _comparable(task_id, first) == _comparable(task_id, second)


def _comparable(task_id: str, text: str) -> str:
    text = text.strip()
    if text.startswith(task_id + " "):
        text = text[len(task_id) + 1 :]
    text, _ = strip_depends(text)
    return " ".join(text.split())
