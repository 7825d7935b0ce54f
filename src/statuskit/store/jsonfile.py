"""``JsonFileStore``: ``status.json`` on a local filesystem, with a durability protocol.

Write path (inside the writer lock, see :mod:`statuskit.store._lock`):

1. read and decode the current file (a corrupt file stops here: nothing is written);
2. apply the change; an unchanged result writes nothing;
3. serialize, write a unique temp file in the same folder, flush and ``fsync`` it, with the
   old file's permission bits;
4. append the write's journal line and ``fdatasync`` it (:mod:`statuskit.store._journal`);
5. keep the current file as the newest backup (a hard link: no copy) and rotate older ones;
6. ``os.replace`` the temp file over ``status.json`` and ``fsync`` the folder.

A reader therefore sees the old or the new file, never a torn one, and an update that returned
survives a crash or power loss. Reads take no lock and never write.

What the store refuses to write through (:class:`~statuskit.UnsafePath`, nothing written):

* a ``status.json`` that is a symbolic link: ``os.replace`` would put a regular file in the
  link's place and silently detach its target (point the store at the target instead);
* a lock file that is a link or not a regular file (see :mod:`statuskit.store._lock`);
* a ``findings`` folder that is a link, or a findings file that is one: findings are written
  and read relative to a descriptor of the real folder, never through a link.

Temp files of writers killed mid-write (``.status.json.<pid>.<hex>.tmp``, and the same in
``findings/``) are removed by the next write of the folder: every statuskit writer of the
folder holds the lock while its temp file exists, so under the lock any such file is stale.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import attrs

from statuskit.codec import dumps, format_timestamp, loads
from statuskit.errors import (
    CorruptStatus,
    FindingsNotFound,
    RepairRefused,
    StatusExists,
    StatusMissing,
    UnsafePath,
)
from statuskit.ids import findings_file_name
from statuskit.model import PlanStatus
from statuskit.store._journal import JournalFile, journal_path, journaled, restoring
from statuskit.store._lock import WriterLock, describe_kind
from statuskit.store.base import Change, ChangeFeed, ClosingMixin

if TYPE_CHECKING:
    from statuskit.journal import JournalEvent
    from statuskit.store.repair import RepairReport

from statuskit.store._files import (
    CLOEXEC,
    DIRECTORY,
    FINDINGS_TEMPS,
    NOFOLLOW,
    TEMP,
    atomic_write,
    read_regular,
    remove_stale_temps,
)

__all__ = ["JsonFileStore"]


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
        base = re.escape(os.path.basename(self.path))
        self._status_temps = re.compile(rf"\.{base}(?:\..*)?{TEMP}|{base}\.bak{TEMP}")
        self.journal = JournalFile(journal_path(self.path), fsync=fsync)  # status.journal.jsonl

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
            return read_regular(self.path)
        except FileNotFoundError:
            raise StatusMissing(self.path, self.backup_paths()) from None

    def read(self) -> PlanStatus:
        """Return the status in the file. No lock, no write (see the protocol).

        Raises:
            StatusMissing: no file (``backups`` lists what an earlier status left).
            CorruptStatus: the file cannot be read; ``backups`` lists only the backups that
                are valid, the ones an explicit repair can restore.
            UnsafePath: the path is a FIFO, a device or a folder (a link is followed).

        """
        try:
            return self._parse(self._read_bytes(), self.path)
        except CorruptStatus as exc:
            if exc.path != self.path:
                raise
            raise exc.with_file(self.path, self.valid_backups()) from None

    def valid_backups(self) -> list[str]:
        """The backups that decode, newest first: what a repair could restore."""
        valid = []
        for candidate in self.backup_paths():
            try:
                self._parse(read_regular(candidate, follow=False), candidate)
            except (OSError, CorruptStatus):
                continue
            valid.append(candidate)
        return valid

    def exists(self) -> bool:
        """Whether ``status.json`` exists (corrupt or not)."""
        return os.path.exists(self.path)

    # ------------------------------------------------------------------ writing

    def _lock(self) -> WriterLock:
        folder = os.path.dirname(self.path) or "."
        if not os.path.isdir(folder):
            raise StatusMissing(self.path)
        return WriterLock(self.lock_path, self.lock_timeout)

    def _writable_target(self) -> None:
        """Refuse to replace a link (or anything but a regular file) at the status path."""
        try:
            mode = os.lstat(self.path).st_mode
        except FileNotFoundError:
            return
        if stat.S_ISLNK(mode):
            try:
                target = os.readlink(self.path)
            except OSError:  # pragma: no cover - it was a link a moment ago
                target = "?"
            raise UnsafePath(
                self.path,
                f"a symbolic link (to {target}); each write replaces the file, which would "
                "detach the link: use the target's path as the status instead",
            )
        if not stat.S_ISREG(mode):
            raise UnsafePath(self.path, describe_kind(mode))

    def _clean(self) -> None:
        """Remove temp files of writers killed mid-write (we hold the lock: none is live)."""
        remove_stale_temps(os.path.dirname(self.path) or ".", self._status_temps)

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
        self, status: PlanStatus, events: Sequence[JournalEvent] = (), *, keep_backup: bool
    ) -> PlanStatus:
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

        atomic_write(self.path, data, mode=mode, fsync=self.fsync, before_replace=before_replace)
        return status

    def update(self, change: Change) -> PlanStatus:
        """Apply ``change`` atomically and durably (see the protocol and the module doc)."""
        with self._lock():
            current = self.read()
            new = change(current)
            # The transitions return their input when nothing changes; an equal copy is no
            # change either: no write, no revision, no journal line.
            if new is current or new == current:
                return current
            self._writable_target()
            self._clean()
            return self._write(*journaled(current, new), keep_backup=True)

    def create(self, initial: PlanStatus, *, force: bool = False) -> None:
        """Write ``initial`` as a new file (its folder is created if needed).

        When ``status.json`` was deleted but its backups are still there, the backups are
        the earlier status: creating over them would rotate them away within two writes.
        That is refused unless ``force``, which sets them aside as
        ``status.json.earlier-<time>.bak...`` (outside the rotation, never deleted).

        Raises:
            StatusExists: the file exists already (even a dangling link counts), or only
                its backups do and ``force`` is false.
            UnsafePath: the status path is a link or not a regular file.

        """
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        with self._lock():
            self._make_way(force=force)
            self._write(*journaled(None, initial), keep_backup=False)

    def _make_way(self, *, force: bool) -> None:
        """Under the lock, before a new status: refuse to replace one, or to bury backups."""
        if os.path.lexists(self.path):
            self._writable_target()
            raise StatusExists(self.path)
        earlier = self.backup_paths()
        if earlier and not force:
            raise StatusExists(self.path, earlier)
        self._clean()
        if earlier:
            self._set_aside(earlier)

    def import_status(self, status: PlanStatus, history: Sequence[JournalEvent]) -> None:
        """Write a status copied from another store as it is, after its journal's lines.

        Raises:
            StatusExists: the file, or backups of an earlier status, exist already.
            UnsafePath: the status path is a link or not a regular file.

        """
        from statuskit.journal import writes

        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        with self._lock():
            self._make_way(force=False)
            for events in writes(history):  # each line durable before the status lands
                self.journal.append(events)
            self._write(status, keep_backup=False)

    def history(self, since: int = 0, task: str | None = None) -> Sequence[JournalEvent]:
        """The journal up to the status read now (see :meth:`JournalFile.history`)."""
        return self.journal.history(self.read().revision, since=since, task=task)

    def _set_aside(self, backups: list[str]) -> None:
        stamp = format_timestamp(datetime.now(timezone.utc)).replace(":", "").replace("-", "")
        for backup in backups:
            suffix = backup[len(self.path) :]  # ".bak", ".bak.1", ...
            os.replace(backup, f"{self.path}.earlier-{stamp}{suffix}")

    # ------------------------------------------------------------------ findings

    def findings_location(self, task_id: str) -> str:
        """Where the findings of ``task_id`` are, or would be, stored."""
        return os.path.join(self.findings_dir, findings_file_name(task_id))

    def _findings_fd(self, *, create: bool) -> int:
        """A descriptor of the real ``findings`` folder; a link in its place is refused."""
        if create:
            with contextlib.suppress(FileExistsError):
                os.mkdir(self.findings_dir)
        try:
            return os.open(self.findings_dir, os.O_RDONLY | DIRECTORY | NOFOLLOW | CLOEXEC)
        except OSError as exc:
            try:
                mode = os.lstat(self.findings_dir).st_mode
            except OSError:
                raise exc from None
            if stat.S_ISLNK(mode):
                reason = f"a symbolic link (to {os.readlink(self.findings_dir)})"
                raise UnsafePath(self.findings_dir, reason) from None
            if not stat.S_ISDIR(mode):
                raise UnsafePath(self.findings_dir, describe_kind(mode)) from None
            raise

    def write_findings(self, task_id: str, text: str) -> str:
        """Write a task's findings atomically; return the file's path.

        Raises:
            UnsafePath: ``findings`` is a link or not a folder.
            UnicodeEncodeError: ``text`` holds lone surrogates (not text).

        """
        target = self.findings_location(task_id)
        data = text.encode("utf-8")
        # Findings may come before their status (a migrate copies them first), like the
        # other stores accept: the status's folder is made as create would make it.
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        # Under the writer lock: temp files found in the folder are then all stale.
        with self._lock():
            fd = self._findings_fd(create=True)
            try:
                remove_stale_temps(fd, FINDINGS_TEMPS, unless_alive=True)
                name = os.path.basename(target)
                atomic_write(name, data, mode=None, fsync=self.fsync, dir_fd=fd)
            finally:
                os.close(fd)
        return target

    def read_findings(self, task_id: str) -> str:
        """Return a task's findings text (never through a link).

        Raises:
            FindingsNotFound: none were written.
            UnsafePath: ``findings`` or the file is a link, or not what it should be.

        """
        target = self.findings_location(task_id)
        try:
            fd = self._findings_fd(create=False)
        except FileNotFoundError:
            raise FindingsNotFound(task_id, target) from None
        try:
            raw = read_regular(os.path.basename(target), dir_fd=fd)
        except FileNotFoundError:
            raise FindingsNotFound(task_id, target) from None
        finally:
            os.close(fd)
        # Written by statuskit as UTF-8; bytes someone else put there that are not UTF-8
        # show as U+FFFD rather than stopping the read.
        return raw.decode("utf-8", errors="replace")

    # ------------------------------------------------------------------ capabilities

    def restore(
        self,
        *,
        now: datetime,
        rebuild: PlanStatus | None = None,
        dry_run: bool = False,
    ) -> RepairReport:
        """Restore the newest valid backup over a corrupt or deleted file (see :class:`Restorable`).

        * A readable file is left alone: the report's action is ``"none"`` (safe fixes of a
          readable status are :meth:`statuskit.Tracker.repair`'s job, through ``update``).
        * A corrupt file is kept aside as ``status.json.corrupt-<timestamp>`` and the newest
          backup that decodes is restored; the report says from when.
        * A deleted file whose backups remain gets the newest valid backup back.
        * With no valid backup, restore refuses (:class:`~statuskit.RepairRefused`) unless
          ``rebuild`` is given (e.g. a fresh status from the plan), which is then written
          with a loud ``rebuiltAt``/``rebuiltFrom`` marker at the top level.

        With ``dry_run`` the report is computed and nothing is written.

        Raises:
            StatusMissing: no file and no backup: there is nothing to restore.
            RepairRefused: no valid backup and no ``rebuild``.
            UnsafePath: the status path is a link or not a regular file.

        """
        from statuskit.store.repair import RepairReport

        with self._lock():
            self._writable_target()
            try:
                raw = self._read_bytes()
            except StatusMissing as exc:
                if not exc.backups:
                    raise
                return self._restore(None, "the file was deleted", now, rebuild, dry_run)
            try:
                self._parse(raw, self.path)
            except CorruptStatus as exc:
                return self._restore(raw, exc.reason, now, rebuild, dry_run)
            return RepairReport(action="none")

    def watch(self) -> ChangeFeed:
        """Listen for replacements of the file (inotify on its folder, else polling)."""
        from statuskit.store._watch import FileChangeFeed

        return FileChangeFeed(self.path)

    def _restore(
        self,
        raw: bytes | None,
        reason: str,
        now: datetime,
        rebuild: PlanStatus | None,
        dry_run: bool,
    ) -> RepairReport:
        """Put the newest valid backup (or ``rebuild``) in place; ``raw`` None: no file."""
        from statuskit.store.repair import RepairReport

        chosen: tuple[str, bytes, PlanStatus] | None = None
        for candidate in self.backup_paths():
            # Any bad backup is skipped, whatever is wrong with it: a newer one must never
            # stop repair before an older good one. Only a regular file is read (a FIFO would
            # block, a link may point anywhere).
            try:
                data = read_regular(candidate, follow=False)  # UnsafePath is an OSError
                chosen = (candidate, data, self._parse(data, candidate))
                break
            except (OSError, CorruptStatus):
                continue
        if chosen is None and rebuild is None:
            state = "is corrupt" if raw is not None else "is missing"
            raise RepairRefused(
                f"{self.path} {state} ({reason}) and no valid backup exists; "
                "rebuild it from the plan explicitly (statuskit validate --repair --rebuild)"
            )
        stamp = format_timestamp(now).replace(":", "").replace("-", "")
        quarantine = f"{self.path}.corrupt-{stamp}" if raw is not None else None
        if chosen is not None:
            source, data, restored = chosen
            report = RepairReport(
                action="restored",
                restored_from=source,
                quarantined=quarantine,
                restored_last_updated=restored.last_updated_at,
                corrupt_reason=reason,
            )
        else:
            assert rebuild is not None
            extra = dict(rebuild.extra)
            extra["rebuiltAt"] = format_timestamp(now)
            extra["rebuiltFrom"] = "plan (no valid backup: task states were reset to pending)"
            restored = attrs.evolve(rebuild, extra=extra)
            report = RepairReport(action="rebuilt", quarantined=quarantine, corrupt_reason=reason)
        if not dry_run:
            self._clean()
            if raw is not None and quarantine is not None:
                # Keep the corrupt bytes aside before anything replaces them.
                atomic_write(quarantine, raw, mode=None, fsync=self.fsync)
            self._write(*restoring(self.journal, restored, report), keep_backup=False)
        return report
