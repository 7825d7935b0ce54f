"""Timestamps in ``status.json``: ISO 8601 in, UTC with milliseconds and ``Z`` out.

Any offset is read, but only instants a day inside ``datetime``'s range at both ends
(0001-01-02 .. 9999-12-30 UTC): such a time can be converted to every time zone (offsets are
under 24 hours), so no later display or arithmetic raises ``OverflowError``. Differences of
two accepted times are under 10,000 years, far inside ``timedelta``'s range.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from statuskit._jsontext import excerpt

__all__ = ["format_timestamp", "parse_timestamp"]

_UTC = timezone.utc
_TIMESTAMP = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d+))?)?"
    r"(Z|z|[+-]\d\d:?[0-5]\d)?"
)
# Accepted instants (see the module docstring).
_EARLIEST = datetime(1, 1, 2, tzinfo=_UTC)
_LATEST = datetime(9999, 12, 31, tzinfo=_UTC)  # exclusive


def parse_timestamp(text: str) -> datetime:
    """Parse an ISO 8601 timestamp into an aware datetime.

    Any UTC offset is accepted (``Z``, ``+00:00``, ``-06:00``); a value without one is taken
    as UTC. Fractions beyond microseconds are truncated.

    Raises:
        ValueError: the text is not a date and time, or its instant lies outside
            0001-01-02 .. 9999-12-30 UTC (it could not be shown in every time zone).

    """
    moment = None
    if len(text) == 24 and text[23] == "Z" and text[10] == "T" and text[19] == ".":
        # The canonical form statuskit writes: the C parser, ~10x faster than the regex.
        try:
            moment = datetime.fromisoformat(text[:23]).replace(tzinfo=_UTC)
        except ValueError:
            pass
        else:
            if 1 < moment.year < 9999:  # the range check below, without two comparisons
                return moment
    if moment is None:
        moment = _parse_general(text)
    if not _EARLIEST <= moment < _LATEST:
        raise ValueError(
            f"timestamp {excerpt(text)} is out of range (its UTC time must lie between "
            "0001-01-02 and 9999-12-30)"
        )
    return moment


def _parse_general(text: str) -> datetime:
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        raise ValueError(f"expected an ISO 8601 timestamp, found {excerpt(text)}")
    year, month, day, hour, minute, second, frac, offset = match.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    tz = _UTC
    try:
        if offset and offset not in ("Z", "z"):
            sign = -1 if offset[0] == "-" else 1
            digits = offset[1:].replace(":", "")
            delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            tz = timezone(sign * delta) if delta else _UTC
        return datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, tz
        )
    except ValueError as exc:  # month 13, hour 25, an offset of 24 hours or more...
        raise ValueError(f"expected an ISO 8601 timestamp, found {excerpt(text)} ({exc})") from None


def format_timestamp(moment: datetime) -> str:
    """Format an aware datetime as UTC ISO 8601 with milliseconds: ``2025-12-25T02:58:33.338Z``.

    Raises:
        ValueError: the datetime is naive (statuskit never guesses a time zone when writing).

    """
    if moment.tzinfo is None:
        raise ValueError("naive datetime: statuskit only writes timezone-aware times")
    utc = moment.astimezone(_UTC)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:"
        f"{utc.second:02d}.{utc.microsecond // 1000:03d}Z"
    )
