"""Argument types with ranges, and the global options every plan command accepts.

Values out of range are usage errors at parse time, never an ``OverflowError`` later: lock
timeouts and session timeouts up to a day, durations up to ten years, counts up to a million.
"""

from __future__ import annotations

import argparse
import re
from datetime import timedelta

__all__ = [
    "DEFAULT_OUTPUT_DIR",
    "MAX_BYTES",
    "MAX_COUNT",
    "MAX_DURATION",
    "MAX_SECONDS",
    "add_plan_options",
    "byte_size",
    "count",
    "duration",
    "nonempty",
    "parse_duration",
    "seconds",
    "task_id",
    "token",
]

DEFAULT_OUTPUT_DIR = "docs/plan-outputs"
MAX_SECONDS = 86_400.0
"""The longest timeout accepted (a day)."""
MAX_DURATION = timedelta(days=3650)
"""The longest duration accepted (ten years)."""
MAX_COUNT = 1_000_000
"""The largest count accepted."""

MAX_BYTES = 1 << 30
"""The largest size accepted (1 GiB)."""

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_SIZE = r"(\d{1,10})\s*([kmg]i?b?|b)?"
_SIZE_UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
_NUMBER = r"\d{1,12}(?:\.\d{1,9})?"
_PART = rf"({_NUMBER})\s*(ms|s|m|h|d)"


def parse_duration(text: str) -> timedelta:
    """``90``, ``90s``, ``30m``, ``2h``, ``1h30m``, ``1d`` -> timedelta (at most ten years).

    Raises:
        ValueError: not a duration, or longer than :data:`MAX_DURATION`.

    """
    text = text.strip().lower()
    if re.fullmatch(_NUMBER, text):
        seconds_ = float(text)
    else:
        parts = re.findall(_PART, text)
        if not parts or "".join(f"{n}{u}" for n, u in parts) != re.sub(r"\s+", "", text):
            raise ValueError(f"not a duration: {text!r} (use e.g. 90s, 30m, 2h, 1h30m)")
        seconds_ = sum(float(n) * _UNITS[u] for n, u in parts)
    if seconds_ > MAX_DURATION.total_seconds():
        raise ValueError(f"duration {text!r} is longer than {MAX_DURATION.days} days")
    return timedelta(seconds=seconds_)


def duration(text: str) -> timedelta:
    """Argparse type: a duration."""
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def count(text: str) -> int:
    """Argparse type: a whole number from 0 to :data:`MAX_COUNT`."""
    digits = text.strip()
    if not digits.isascii() or not digits.isdigit():
        raise argparse.ArgumentTypeError(f"not a whole number >= 0: {text!r}")
    digits = digits.lstrip("0") or "0"
    value = int(digits) if len(digits) <= 9 else MAX_COUNT + 1
    if value > MAX_COUNT:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_COUNT}: {text}")
    return value


def token(text: str) -> int:
    """Argparse type: a claim token (a whole number, as ``claim`` printed it)."""
    digits = text.strip()
    if not digits.isascii() or not digits.isdigit() or len(digits.lstrip("0")) > 16:
        raise argparse.ArgumentTypeError(f"not a claim token: {text!r} (use the number claim gave)")
    return int(digits)


def seconds(text: str) -> float:
    """Argparse type: seconds, a finite number from 0 to :data:`MAX_SECONDS`."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= value <= MAX_SECONDS:
        raise argparse.ArgumentTypeError(
            f"must be a number of seconds from 0 to {MAX_SECONDS:g}: {text}"
        )
    return value


def byte_size(text: str) -> int:
    """Argparse type: a size in bytes, ``4096``, ``512k``, ``10M``, ``1G`` (binary units).

    Raises:
        argparse.ArgumentTypeError: not a size, or above :data:`MAX_BYTES`.

    """
    match = re.fullmatch(_SIZE, text.strip().lower())
    if match is None:
        raise argparse.ArgumentTypeError(
            f"not a size in bytes: {text!r} (use e.g. 4096, 512k, 10M)"
        )
    number, unit = match.groups()
    value = int(number) * _SIZE_UNITS[(unit or "")[:1]]
    if value > MAX_BYTES:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_BYTES} bytes (1G): {text}")
    return value


def nonempty(text: str) -> str:
    """Argparse type: any text but an empty one (an empty path would mean "the default")."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text


def task_id(text: str) -> str:
    """Argparse type: a valid task id."""
    from statuskit.errors import InvalidTaskId
    from statuskit.ids import check_task_id

    try:
        return check_task_id(text)
    except InvalidTaskId as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_plan_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """The options that choose the plan and its store (also accepted after the command)."""
    default = argparse.SUPPRESS if suppress else None
    group = parser.add_argument_group("plan and store (also accepted after the command)")
    group.add_argument(
        "--plan",
        type=nonempty,
        default=default,
        metavar="PLAN.md",
        help="the plan's markdown file ($STATUSKIT_PLAN, else .claude/current-plan.txt)",
    )
    group.add_argument(
        "--status",
        type=nonempty,
        default=default,
        metavar="FILE",
        help="the status.json file itself (overrides --plan's layout and --store)",
    )
    group.add_argument(
        "--store",
        type=nonempty,
        default=default,
        metavar="URL",
        help="where statuses live: a path, sqlite:PATH, postgresql://..., memory: "
        "($STATUSKIT_STORE; default: the JSON layout under --output-dir)",
    )
    group.add_argument(
        "--plan-key",
        type=nonempty,
        default=default,
        metavar="KEY",
        help="the plan's name in the store (default: the plan file's stem)",
    )
    group.add_argument(
        "--output-dir",
        type=nonempty,
        default=default,
        metavar="DIR",
        help=f"where the JSON layout keeps plan outputs ({DEFAULT_OUTPUT_DIR})",
    )
    group.add_argument(
        "--lock-timeout",
        type=seconds,
        default=argparse.SUPPRESS if suppress else 10.0,
        metavar="S",
        help="seconds to wait for another writer (10)",
    )
