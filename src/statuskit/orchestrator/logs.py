"""Session logs with a size cap: an agent that prints gigabytes must not fill the disk.

Each session writes its raw stdout (``<run>-session-<n>.jsonl``) and its stderr
(``<run>-session-<n>.stderr.log``) into the run's log folder. A log that reaches its cap is
rotated: the full file becomes ``<name>.1`` (replacing an older ``.1``) and a new one starts, so
one stream never takes more than twice the cap and the newest output is always kept. When a
run starts, the logs of all but the newest ``keep_runs`` runs in the folder are deleted.
"""

from __future__ import annotations

import contextlib
import os
import re
from typing import BinaryIO

__all__ = ["DEFAULT_KEEP_RUNS", "DEFAULT_LOG_CAP", "CappedLog", "prune_runs"]

DEFAULT_LOG_CAP = 16 * 1024 * 1024
"""Bytes per log file before it is rotated."""
DEFAULT_KEEP_RUNS = 20
"""Runs whose session logs are kept in a log folder."""

_SESSION_FILE = re.compile(r"^(?P<run>.+)-session-\d+\.(?:jsonl|stderr\.log)(?:\.1)?$")


class CappedLog:
    """An append-only log file rotated at ``cap`` bytes (one previous generation kept)."""

    def __init__(self, path: str, cap: int = DEFAULT_LOG_CAP) -> None:
        self.path = path
        self.cap = max(1, cap)
        self.rotations = 0
        self._file: BinaryIO = open(path, "ab")  # noqa: SIM115 - closed by close()
        self._size = self._file.tell()

    def write(self, data: bytes) -> None:
        """Append ``data``, rotating first when it would pass the cap."""
        while data:
            room = self.cap - self._size
            if room <= 0:
                self._rotate()
                room = self.cap
            part, data = data[:room], data[room:]
            self._file.write(part)
            self._size += len(part)
        self._file.flush()

    def _rotate(self) -> None:
        self._file.close()
        os.replace(self.path, self.path + ".1")
        self._file = open(self.path, "ab")  # noqa: SIM115 - closed by close()
        self._size = 0
        self.rotations += 1

    def close(self) -> None:
        """Close the file (idempotent)."""
        self._file.close()


def prune_runs(folder: str, keep_runs: int = DEFAULT_KEEP_RUNS, *, keep: str = "") -> list[str]:
    """Delete session logs of all but the newest ``keep_runs`` runs (and never run ``keep``).

    Runs are ordered by their newest file's modification time. Returns the deleted paths.
    """
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    runs: dict[str, list[str]] = {}
    for name in names:
        match = _SESSION_FILE.match(name)
        if match:
            runs.setdefault(match.group("run"), []).append(os.path.join(folder, name))

    def newest(paths: list[str]) -> float:
        times = []
        for path in paths:
            with contextlib.suppress(OSError):
                times.append(os.stat(path).st_mtime)
        return max(times, default=0.0)

    ordered = sorted(runs, key=lambda run: newest(runs[run]), reverse=True)
    deleted = []
    for run in ordered[max(0, keep_runs) :]:
        if run == keep:
            continue
        for path in runs[run]:
            with contextlib.suppress(OSError):
                os.unlink(path)
                deleted.append(path)
    return deleted
