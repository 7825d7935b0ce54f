"""Small readers of JSON values from agent output: they never trust a field's type."""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["PREVIEW", "as_int", "as_number", "as_str", "preview"]

#: The longest preview of a tool result.
PREVIEW = 120


def as_number(value: Any) -> float | None:
    """A finite JSON number, else ``None`` (``json.loads`` accepts NaN and Infinity)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value if math.isfinite(value) else None
    return None


def as_int(value: Any) -> int | None:
    """An integer (not a bool), else ``None``."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def as_str(value: Any) -> str | None:
    """A string, else ``None``."""
    return value if isinstance(value, str) else None


def preview(content: Any) -> str:
    """The start of a tool result (a string, content blocks, or any value) on one line."""
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, dict):
                text = block.get("text")
                parts.append(text if isinstance(text, str) else f"[{block.get('type', '?')}]")
            else:
                parts.append(str(block))
        content = " ".join(parts)
    elif content is None:
        content = ""
    elif not isinstance(content, str):
        try:
            content = json.dumps(content, ensure_ascii=False)[: PREVIEW * 2]
        except (ValueError, RecursionError):  # a very deep value
            content = f"[{type(content).__name__}]"
    text = " ".join(content[: PREVIEW * 4].split())
    return text if len(text) <= PREVIEW else text[: PREVIEW - 1] + "…"
