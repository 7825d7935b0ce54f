"""What every backend's write path shares for the journal, and the JSON backend's journal file.

:func:`journaled` is the one call a backend makes between applying a change and storing its
result: it numbers the revision and derives the events (:func:`statuskit.journal.commit`),
with this process as the actor and the wall clock as the time. The backend then records the
events atomically with the snapshot (a list in memory, a table in the same transaction, or,
for the JSON file, :class:`JournalFile` appended *before* the snapshot is replaced).

:class:`JournalFile` — ``status.journal.jsonl`` beside ``status.json``:

* one line per revision, appended with ``O_APPEND`` under the writer lock and made durable
  (``fdatasync``) before ``status.json`` is replaced: an event is durable before the change
  it describes;
* a line torn by a crash is left as it is: the next append starts on a new line, and
  readers skip what does not parse;
* like every file of the store, never opened through a symbolic link, and refused when it is
  not a regular file (:class:`~statuskit.UnsafePath`);
* never rewritten, never truncated, never rotated by statuskit (see docs/file-format.md for
  moving an old journal aside by hand);
* read together with the status (:func:`statuskit.journal.read_lines`): lines above the
  status's revision belong to a write that has not landed, or never will.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import attrs

from statuskit.journal import Actor, JournalEvent, commit, encode_line, read_lines, select
from statuskit.model import Intent, PlanStatus
from statuskit.store._lock import open_regular
from statuskit.store._process import host_name

if TYPE_CHECKING:
    from statuskit.store.repair import RepairReport

__all__ = ["JournalFile", "journal_path", "journaled", "restoring", "this_process"]


def _datasync(fd: int) -> None:
    sync = getattr(os, "fdatasync", os.fsync)  # macOS has no fdatasync
    sync(fd)


def this_process() -> Actor:
    """The writing process as a journal actor."""
    return Actor(host=host_name(), pid=os.getpid())


def _now() -> datetime:
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def journaled(
    old: PlanStatus | None, new: PlanStatus
) -> tuple[PlanStatus, tuple[JournalEvent, ...]]:
    """The snapshot to store and the events to record for a write (see the module doc)."""
    return commit(old, new, actor=this_process(), at=_now())


def restoring(
    journal: JournalFile, restored: PlanStatus, report: RepairReport
) -> tuple[PlanStatus, tuple[JournalEvent, ...]]:
    """The snapshot and events that write a restored (or rebuilt) status as a new revision.

    A backup's revision is older than the journal's last one. The new revision follows the
    backup's, so the lost revisions' lines drop out of the history (they stay in the file,
    and the ``restored`` event names them).
    """
    last = journal.last_revision()
    details: dict[str, object] = {
        "action": report.action,
        "from": report.restored_from,
        "revision": restored.revision,
    }
    if last > restored.revision:
        details["lost"] = [restored.revision + 1, last]
    intent = Intent(kind="restored", details=details)
    return journaled(None, attrs.evolve(restored, intents=(intent,)))


def journal_path(status_path: str) -> str:
    """``status.json`` → ``status.journal.jsonl``, in the same folder."""
    stem = status_path[:-5] if status_path.endswith(".json") else status_path
    return stem + ".journal.jsonl"


class JournalFile:
    """An append-only JSON-lines journal (see the module doc).

    Args:
        path: the journal file.
        fsync: ``fsync`` every append (and the folder when the file is created).

    """

    def __init__(self, path: str, *, fsync: bool = True) -> None:
        self.path = path
        self.fsync = fsync

    def append(self, events: Sequence[JournalEvent], *, mode: int | None = None) -> None:
        """Append the events of one write as one line, durably. Call under the writer lock.

        ``mode``: the permission bits of a journal this call creates (the status file's, so
        that the journal shows no more than the status does).
        """
        line = (encode_line(events) + "\n").encode("utf-8")
        created = not os.path.exists(self.path)
        # Never through a link, never into a FIFO or a device planted in its place.
        fd = open_regular(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT)
        try:
            if created and mode is not None:
                os.fchmod(fd, mode)
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                line = b"\n" + line  # a crash tore the last line: never glue onto it
            view = memoryview(line)
            while view:
                view = view[os.write(fd, view) :]
            if self.fsync:
                # The data and the size needed to read it back: what an append must make
                # durable. Skipping the timestamps halves what the journal adds to a write.
                _datasync(fd)
        finally:
            os.close(fd)
        if created and self.fsync:
            # The new file's name must be durable before a status that its events explain.
            folder = os.path.dirname(self.path) or "."
            with contextlib.suppress(OSError):
                dfd = os.open(folder, os.O_RDONLY)
                try:
                    os.fsync(dfd)
                finally:
                    os.close(dfd)

    def _lines(self) -> list[bytes]:
        try:
            fd = open_regular(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return []
        with open(fd, "rb") as handle:
            data = handle.read()
        lines = data.split(b"\n")
        # The last piece has no newline: empty, or a line being written or torn by a crash.
        return lines[:-1]

    def read(self, revision: int) -> list[JournalEvent]:
        """The history of the status at ``revision``, in order."""
        return read_lines(self._lines(), revision)

    def history(
        self, revision: int, *, since: int = 0, task: str | None = None
    ) -> list[JournalEvent]:
        """The events after ``since`` (about ``task``) of the status at ``revision``.

        Lines above ``revision`` (a write that crashed before its status landed, or is
        landing now) are not part of its history and are left out.
        """
        return select(self.read(revision), since=since, task=task)

    def last_revision(self) -> int:
        """The highest revision any line records (0 without a journal)."""
        events = read_lines(self._lines(), 2**63)
        return events[-1].rev if events else 0
