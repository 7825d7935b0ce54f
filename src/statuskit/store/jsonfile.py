"""``JsonFileStore``: ``status.json`` on a local filesystem, with a durability protocol.

Write path (inside the writer lock, see :mod:`statuskit.store._lock`):

1. read and decode the current file (a corrupt file stops here: nothing is written);
2. apply the change; an unchanged result writes nothing;
3. serialize, write a unique temp file in the same folder, flush and ``fsync`` it, with the
   old file's permission bits;
4. append the write's journal events to ``status.journal.jsonl`` and ``fsync`` it (see
   :mod:`statuskit.store._journal`): an event is durable before its change;
5. keep the current file as the newest backup (a hard link: no copy) and rotate older ones;
6. ``os.replace`` the temp file over ``status.json`` and ``fsync`` the folder.

A reader therefore sees the old or the new file, never a torn one, and an update that returned
survives a crash or power loss. Reads take no lock and never write.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from statuskit.codec import dumps, format_timestamp, loads
from statuskit.errors import (
    CorruptStatus,
    FindingsNotFound,
    RepairRefused,
    StatusExists,
    StatusMissing,
)
from statuskit.ids import findings_file_name
from statuskit.model import Intent, PlanStatus
from statuskit.store._journal import JournalFile, journal_path, journaled
from statuskit.store._lock import WriterLock
from statuskit.store.base import Change, ChangeFeed, ClosingMixin

if TYPE_CHECKING:
    from statuskit.journal import JournalEvent
    from statuskit.store.repair import RepairReport

__all__ = ["JsonFileStore"]


def _fsync_dir(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some filesystems refuse; the rename stands
        pass
    finally:
        os.close(fd)


def _atomic_write(
    path: str,
    data: bytes,
    *,
    mode: int | None,
    fsync: bool,
    before_replace: Callable[[], None] | None = None,
) -> None:
    """Write ``data`` to ``path`` through a temp file, ``fsync`` and ``os.replace``."""
    folder = os.path.dirname(path) or "."
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.{os.urandom(6).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        try:
            if mode is not None:
                os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        if before_replace is not None:
            before_replace()
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if fsync:
        _fsync_dir(folder)


class JsonFileStore(ClosingMixin):
    """A plan status kept in a JSON file, safe for many concurrent writer processes.

    Args:
        path: the ``status.json`` file.
        lock_timeout: seconds to wait for another writer before :class:`~statuskit.LockTimeout`.
        backups: generations of previous good versions to keep (``status.json.bak``,
            ``status.json.bak.1``, ...); 0 keeps none.
        fsync: ``False`` skips the ``fsync`` calls — faster, and an update that returned may
            then be lost on power failure (never torn). For throwaway data only.
        indent: the file's layout: ``"lines"`` (one task per line, the default), ``None``
            (compact) or an integer indentation (see :func:`statuskit.codec.dumps`).

    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        lock_timeout: float = 10.0,
        *,
        backups: int = 2,
        fsync: bool = True,
        indent: int | str | None = "lines",
    ) -> None:
        if backups < 0:
            raise ValueError("backups must be >= 0")
        self.path = os.fspath(path)
        self.lock_path = self.path + ".lock"
        self.lock_timeout = lock_timeout
        self.backups = backups
        self.fsync = fsync
        self.indent = indent
        self.findings_dir = os.path.join(os.path.dirname(self.path) or ".", "findings")
        self.journal = JournalFile(journal_path(self.path), fsync=fsync)
        """The journal file beside the status (``status.journal.jsonl``)."""

    def __repr__(self) -> str:
        return f"JsonFileStore({self.path!r}, lock_timeout={self.lock_timeout!r})"

    @property
    def location(self) -> str:
        """The status file's path."""
        return self.path

    # ------------------------------------------------------------------ reading

    def backup_paths(self) -> list[str]:
        """Existing backup files, newest first."""
        names = [self.path + ".bak"] + [f"{self.path}.bak.{i}" for i in range(1, self.backups)]
        return [name for name in names if os.path.exists(name)]

    def _parse(self, raw: bytes, origin: str) -> PlanStatus:
        try:
            return loads(raw, origin=origin)  # raises CorruptStatus and nothing else
        except CorruptStatus as exc:
            raise exc.with_file(origin, self.backup_paths()) from None

    def _read_bytes(self) -> bytes:
        try:
            with open(self.path, "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            raise StatusMissing(self.path) from None

    def read(self) -> PlanStatus:
        """Return the status in the file. No lock, no write (see the protocol)."""
        return self._parse(self._read_bytes(), self.path)

    def exists(self) -> bool:
        """Whether ``status.json`` exists (corrupt or not)."""
        return os.path.exists(self.path)

    # ------------------------------------------------------------------ writing

    def _lock(self) -> WriterLock:
        folder = os.path.dirname(self.path) or "."
        if not os.path.isdir(folder):
            raise StatusMissing(self.path)
        return WriterLock(self.lock_path, self.lock_timeout)

    def _serialize(self, status: PlanStatus) -> bytes:
        return dumps(status, indent=self.indent).encode("utf-8")

    def _rotate_backups(self) -> None:
        """Keep the current file as ``.bak`` (a hard link: no copy), shifting older ones."""
        if self.backups == 0:
            return
        for index in range(self.backups - 1, 0, -1):
            older = self.path + (".bak" if index == 1 else f".bak.{index - 1}")
            with contextlib.suppress(FileNotFoundError):
                os.replace(older, f"{self.path}.bak.{index}")
        link = f"{self.path}.bak.{os.getpid()}.{os.urandom(4).hex()}.tmp"
        try:
            os.link(self.path, link)
        except OSError:
            # Filesystems without hard links: copy the bytes instead.
            with open(self.path, "rb") as source, open(link, "wb") as target:
                target.write(source.read())
        os.replace(link, self.path + ".bak")

    def _write(
        self, status: PlanStatus, *, keep_backup: bool, events: Sequence[JournalEvent] = ()
    ) -> None:
        data = self._serialize(status)
        try:
            mode: int | None = os.stat(self.path).st_mode & 0o7777
        except FileNotFoundError:
            mode = None

        def before_replace() -> None:
            if events:  # serialized already: a status that cannot be written logs nothing
                self.journal.append(events, mode=mode)
            if keep_backup:
                self._rotate_backups()

        _atomic_write(self.path, data, mode=mode, fsync=self.fsync, before_replace=before_replace)

    def update(self, change: Change) -> PlanStatus:
        """Apply ``change`` atomically and durably (see the protocol and the module doc)."""
        with self._lock():
            current = self.read()
            new = change(current)
            if new is current:  # the transitions return their input when nothing changes
                return current
            new, events = journaled(current, new)
            self._write(new, keep_backup=True, events=events)
            return new

    def create(self, initial: PlanStatus) -> None:
        """Write ``initial`` as a new file (its folder is created if needed).

        Raises:
            StatusExists: the file exists already.

        """
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        with self._lock():
            if self.exists():
                raise StatusExists(self.path)
            new, events = journaled(None, initial)
            self._write(new, keep_backup=False, events=events)

    def history(self, since: int = 0, task: str | None = None) -> Sequence[JournalEvent]:
        """The journal's events after ``since`` (see the protocol), up to the status read now.

        Lines of the journal above the status's revision (a write that crashed before its
        status landed, or is landing now) are not part of its history and are left out.
        """
        from statuskit.journal import select

        return select(self.journal.read(self.read().revision), since=since, task=task)

    # ------------------------------------------------------------------ findings

    def findings_location(self, task_id: str) -> str:
        """Where the findings of ``task_id`` are, or would be, stored."""
        return os.path.join(self.findings_dir, findings_file_name(task_id))

    def write_findings(self, task_id: str, text: str) -> str:
        """Write a task's findings atomically; return the file's path."""
        target = self.findings_location(task_id)
        os.makedirs(self.findings_dir, exist_ok=True)
        _atomic_write(target, text.encode("utf-8"), mode=None, fsync=self.fsync)
        return target

    def read_findings(self, task_id: str) -> str:
        """Return a task's findings text."""
        target = self.findings_location(task_id)
        try:
            with open(target, encoding="utf-8", newline="") as handle:
                return handle.read()
        except FileNotFoundError:
            raise FindingsNotFound(task_id, target) from None

    # ------------------------------------------------------------------ capabilities

    def restore(
        self,
        *,
        now: datetime,
        rebuild: PlanStatus | None = None,
        dry_run: bool = False,
    ) -> RepairReport:
        """Restore the newest valid backup over a corrupt file (see :class:`Restorable`).

        * A readable file is left alone: the report's action is ``"none"`` (safe fixes of a
          readable status are :meth:`statuskit.Tracker.repair`'s job, through ``update``).
        * A corrupt file is kept aside as ``status.json.corrupt-<timestamp>`` and the newest
          backup that decodes is restored; the report says from when.
        * With no valid backup, restore refuses (:class:`~statuskit.RepairRefused`) unless
          ``rebuild`` is given (e.g. a fresh status from the plan), which is then written
          with a loud ``rebuiltAt``/``rebuiltFrom`` marker at the top level.

        With ``dry_run`` the report is computed and nothing is written.
        """
        from statuskit.store.repair import RepairReport

        with self._lock():
            raw = self._read_bytes()
            try:
                self._parse(raw, self.path)
            except CorruptStatus as exc:
                return self._restore(raw, exc, now, rebuild, dry_run)
            return RepairReport(action="none")

    def watch(self) -> ChangeFeed:
        """Listen for replacements of the file (inotify on its folder, else polling)."""
        from statuskit.store._watch import FileChangeFeed

        return FileChangeFeed(self.path)

    def _restore(
        self,
        raw: bytes,
        error: CorruptStatus,
        now: datetime,
        rebuild: PlanStatus | None,
        dry_run: bool,
    ) -> RepairReport:
        from statuskit.store.repair import RepairReport

        chosen: tuple[str, bytes, PlanStatus] | None = None
        for candidate in self.backup_paths():
            # Any bad backup is skipped, whatever is wrong with it: a newer one must never
            # stop repair before an older good one. Only a regular file is read (a FIFO would
            # block, a link may point anywhere).
            try:
                flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
                fd = os.open(candidate, flags)
                with open(fd, "rb") as handle:
                    if not stat.S_ISREG(os.fstat(fd).st_mode):
                        continue
                    data = handle.read()
                chosen = (candidate, data, self._parse(data, candidate))
                break
            except (OSError, CorruptStatus):
                continue
        if chosen is None and rebuild is None:
            raise RepairRefused(
                f"{self.path} is corrupt ({error.reason}) and no valid backup exists; "
                "rebuild it from the plan explicitly (statuskit validate --repair --rebuild)"
            )
        stamp = format_timestamp(now).replace(":", "").replace("-", "")
        quarantine = f"{self.path}.corrupt-{stamp}"
        if chosen is not None:
            source, data, restored = chosen
            report = RepairReport(
                action="restored",
                restored_from=source,
                quarantined=quarantine,
                restored_last_updated=restored.last_updated_at,
                corrupt_reason=error.reason,
            )
        else:
            assert rebuild is not None
            extra = dict(rebuild.extra)
            extra["rebuiltAt"] = format_timestamp(now)
            extra["rebuiltFrom"] = "plan (no valid backup: task states were reset to pending)"
            restored = attrs.evolve(rebuild, extra=extra)
            report = RepairReport(
                action="rebuilt", quarantined=quarantine, corrupt_reason=error.reason
            )
        if not dry_run:
            # Keep the corrupt bytes aside before anything replaces them.
            _atomic_write(quarantine, raw, mode=None, fsync=self.fsync)
            self._write_restored(restored, report)
        return report

    def _write_restored(self, restored: PlanStatus, report: RepairReport) -> None:
        """Write a restored status as a new revision, with a ``restored`` journal event.

        The backup's revision is older than the journal's last one: the new revision follows
        the backup's, so the lost revisions' lines drop out of the history (they stay in the
        file) and the event names them.
        """
        last = self.journal.last_revision()
        details: dict[str, object] = {
            "action": report.action,
            "from": report.restored_from,
            "revision": restored.revision,
        }
        if last > restored.revision:
            details["lost"] = [restored.revision + 1, last]
        intent = Intent(kind="restored", details=details)
        new, events = journaled(None, attrs.evolve(restored, intents=(intent,)))
        self._write(new, keep_backup=False, events=events)
