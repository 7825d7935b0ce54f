"""Answers sized to the question, not to the plan: shortened texts and lists that fit a budget.

Agents pay for every byte they read, so ``status`` and ``next`` print bounded documents
(the budgets are in docs/cli.md, "Output budgets"). Free texts are cut to a number of UTF-8
bytes, on a character boundary, with ``…`` marking the cut; lists keep their first entries
that fit both a count and a byte budget, and the caller reports how many were left out.
Lists keep a prefix (never skip an entry to fit a later, smaller one), so "the first k in plan
order" stays true.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

__all__ = ["fit", "one_line", "short"]

_MARK = "…"


def short(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes (``…`` included when it is cut)."""
    raw = text.encode("utf-8", "surrogatepass")
    if len(raw) <= limit:
        return text
    room = max(limit - len(_MARK.encode()), 0)
    # errors="ignore" drops a character split by the cut instead of printing half of it.
    return raw[:room].decode("utf-8", "ignore") + _MARK


def one_line(text: str, limit: int) -> str:
    """``text`` with every run of white space (newlines too) made one space, then shortened."""
    return short(" ".join(text.split()), limit)


def _size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass"))


def fit(entries: Iterable[dict[str, Any]], *, most: int, budget: int) -> tuple[list[Any], int]:
    """The first entries that fit ``most`` items and ``budget`` bytes of JSON, and how many not.

    Every entry is counted, so the second value is exactly how many were left out.
    """
    kept: list[Any] = []
    used = 2  # the brackets
    left_out = 0
    for entry in entries:
        if left_out:
            left_out += 1
            continue
        size = _size(entry) + 2  # a comma and a space between entries
        if len(kept) < most and used + size <= budget:
            kept.append(entry)
            used += size
        else:
            left_out = 1
    return kept, left_out
