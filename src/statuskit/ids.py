"""Task ids: natural ordering, validation, file names, and "did you mean" suggestions.

Ids look like ``1.1``, ``2.10``, ``3.4.1``, ``3.1.A`` or ``V1``. They are compared part by part,
numbers as numbers, so ``2.10`` sorts after ``2.9`` and ``3.4.1`` after ``3.4``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from statuskit.errors import InvalidTaskId

__all__ = ["check_task_id", "closest_ids", "duplicate_ids", "findings_file_name", "natural_key"]

_CHUNK = re.compile(r"\d+|\D+")
# Path separators and C0 controls; non-ASCII characters are checked one by one (a regex with
# non-ASCII ranges costs ~0.5 ms to compile on every CLI start).
_FORBIDDEN_ASCII = re.compile(r"[/\\\x00-\x1f\x7f]")
MAX_ID_LENGTH = 64


def natural_key(task_id: str) -> tuple[tuple[tuple[int, int, str], ...], ...]:
    """A sort key that orders ids naturally: ``2.9 < 2.10 < 3 < 3.4 < 3.4.1 < 3.A``.

    Each dot-separated part is split into runs of digits and non-digits; digit runs compare
    as integers and sort before letters in the same position.
    """
    parts = []
    for part in task_id.split("."):
        chunks = []
        for chunk in _CHUNK.findall(part):
            if chunk.isdigit():
                chunks.append((0, int(chunk), ""))
            else:
                chunks.append((1, 0, chunk.lower()))
        parts.append(tuple(chunks))
    return tuple(parts)


def check_task_id(task_id: str) -> str:
    """Return ``task_id`` if it is safe to use as an id and inside a file name.

    Raises:
        InvalidTaskId: empty, too long, leading or trailing white space, a path separator,
            a control character or line separator, a lone surrogate, ``..`` anywhere, or
            ``.`` alone; ``reason`` says which.

    """
    if not task_id:
        raise InvalidTaskId(task_id, "empty")
    if len(task_id) > MAX_ID_LENGTH:
        raise InvalidTaskId(task_id, f"longer than {MAX_ID_LENGTH} characters")
    if task_id.strip() != task_id:
        raise InvalidTaskId(task_id, "leading or trailing white space")
    bad = _FORBIDDEN_ASCII.search(task_id)
    if bad and bad.group() in "/\\":
        raise InvalidTaskId(task_id, "contains a path separator ('/' or '\\')")
    if bad:
        raise InvalidTaskId(task_id, f"contains the control character U+{ord(bad.group()):04X}")
    if not task_id.isascii():
        _check_non_ascii(task_id)
    if ".." in task_id:
        raise InvalidTaskId(task_id, "contains '..'")
    if task_id == ".":
        raise InvalidTaskId(task_id, "'.' names the current folder, not a task")
    return task_id


def _check_non_ascii(task_id: str) -> None:
    for char in task_id:
        # C1 controls and the line/paragraph separators break file names and output lines.
        if "\x7f" <= char <= "\x9f" or char in "\u2028\u2029":
            raise InvalidTaskId(task_id, f"contains the control character U+{ord(char):04X}")
        if "\ud800" <= char <= "\udfff":
            raise InvalidTaskId(task_id, "contains a lone surrogate (not text; invalid UTF-8?)")


def closest_ids(task_id: str, known: Iterable[str], limit: int = 3) -> tuple[str, ...]:
    """The existing ids closest to ``task_id``, best first, for error messages."""
    import difflib  # noqa: PLC0415 - only error paths need it; keeps CLI start-up lean

    pool = list(dict.fromkeys(known))
    close = difflib.get_close_matches(task_id, pool, n=limit, cutoff=0.5)
    if len(close) < limit:
        # Same leading part ("2.x" for "2.99") is a better hint than nothing.
        head = task_id.split(".", 1)[0]
        for candidate in pool:
            if len(close) >= limit:
                break
            if candidate.split(".", 1)[0] == head and candidate not in close:
                close.append(candidate)
    return tuple(close)


def findings_file_name(task_id: str) -> str:
    """The findings file name of a task: ``1.2`` → ``1-2.md``, ``1-2`` → ``1.2.md``.

    The id is validated first, then ``.`` and ``-`` are swapped: ids without ``-`` keep the
    names the replaced tool gave them (``.`` → ``-``), and no two ids share a file (a swap
    is undone by swapping again).
    """
    return check_task_id(task_id).translate(_SWAP) + ".md"


_SWAP = str.maketrans(".-", "-.")


def duplicate_ids(task_ids: Iterable[str]) -> tuple[str, ...]:
    """The ids that occur more than once, each once, in order of first occurrence.

    ``duplicate_ids(task.id for task in status.tasks)``: a status with duplicates is
    ambiguous, since every operation by id would pick one of them.
    """
    counts = Counter(task_ids)
    return tuple(task_id for task_id, count in counts.items() if count > 1)
