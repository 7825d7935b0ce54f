"""Every error statuskit raises, under one root.

::

    StatusKitError
    ├── TaskNotFound          (LookupError)   an id that is not in the status
    ├── InvalidTaskId         (ValueError)    an id that cannot be a task id or a file name
    ├── InvalidTransition     (ValueError)    a move the transition table forbids
    ├── LockTimeout           (TimeoutError)  another writer held the lock too long
    ├── CorruptStatus         (ValueError)    a status document that cannot be read
    │   └── DuplicateTaskIds                  a status that holds one task id twice
    ├── SchemaTooNew          (ValueError)    a file written by a newer statuskit: read-only
    ├── StatusMissing         (FileNotFoundError)
    ├── StatusExists          (FileExistsError)
    ├── RepairRefused         (StatusKitError) repair would have to invent data
    ├── PlanError             (ValueError)    a markdown file that is not a plan
    ├── RunNotFound           (LookupError)   an unknown or already closed run
    ├── RunExists             (ValueError)    a new run whose id is taken
    ├── FindingsNotFound      (LookupError)   a task with no findings written yet
    ├── PlanMismatch          (ValueError)    a status that belongs to another plan file
    ├── StaleClaim            (StatusKitError) a write without the task's current claim token
    ├── StoreNotSupported     (ValueError)    a store URL no installed backend handles
    ├── StoreUnavailable      (ConnectionError) a store that cannot be reached right now
    └── UnsafePath            (PermissionError) a link or odd file where statuskit writes

Each error keeps the facts that caused it as attributes (a task id, a path, a holder pid),
renders a readable message with ``str()``, and survives pickling, so that errors raised in a
worker process arrive intact in its parent.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "CorruptStatus",
    "DuplicateTaskIds",
    "FindingsNotFound",
    "InvalidTaskId",
    "InvalidTransition",
    "LockTimeout",
    "PlanError",
    "PlanMismatch",
    "RepairRefused",
    "RunExists",
    "RunNotFound",
    "SchemaTooNew",
    "StaleClaim",
    "StatusExists",
    "StatusKitError",
    "StatusMissing",
    "StoreNotSupported",
    "StoreUnavailable",
    "TaskNotFound",
    "UnsafePath",
]


class StatusKitError(Exception):
    """The root of every error statuskit raises on purpose.

    Subclasses pass all of their constructor arguments, in order, to ``Exception.__init__``
    so that ``pickle`` can rebuild them with ``cls(*self.args)``.
    """

    def __str__(self) -> str:
        return self.message()

    def message(self) -> str:
        """The human-readable message (subclasses render it from their fields)."""
        return str(self.args[0]) if self.args else type(self).__name__


class TaskNotFound(StatusKitError, LookupError):
    """A task id that the status does not contain.

    Attributes:
        task_id: the id that was asked for.
        suggestions: the closest existing ids, best first (may be empty).

    """

    def __init__(self, task_id: str, suggestions: Sequence[str] = ()) -> None:
        super().__init__(task_id, tuple(suggestions))
        self.task_id = task_id
        self.suggestions = tuple(suggestions)

    def message(self) -> str:  # noqa: D102 - documented on the base class
        text = f"task {self.task_id!r} not found"
        if self.suggestions:
            text += "; did you mean " + ", ".join(repr(s) for s in self.suggestions) + "?"
        return text


class InvalidTaskId(StatusKitError, ValueError):
    """A string that cannot be used as a task id (empty, a path separator, ``..``, NUL...).

    Attributes:
        task_id: the rejected value.
        reason: why it was rejected.

    """

    def __init__(self, task_id: str, reason: str) -> None:
        super().__init__(task_id, reason)
        self.task_id = task_id
        self.reason = reason

    def message(self) -> str:  # noqa: D102
        return f"invalid task id {self.task_id!r}: {self.reason}"


class InvalidTransition(StatusKitError, ValueError):
    """A state change the transition table forbids (for example completed → failed without force).

    Attributes:
        task_id: the task.
        from_state: its current state (the string value, e.g. ``"completed"``).
        to_state: the state that was asked for.
        hint: what would make the move allowed, if anything.

    """

    def __init__(self, task_id: str, from_state: str, to_state: str, hint: str = "") -> None:
        super().__init__(task_id, from_state, to_state, hint)
        self.task_id = task_id
        self.from_state = from_state
        self.to_state = to_state
        self.hint = hint

    def message(self) -> str:  # noqa: D102
        text = f"task {self.task_id!r} cannot go from {self.from_state} to {self.to_state}"
        return f"{text} ({self.hint})" if self.hint else text


class LockTimeout(StatusKitError, TimeoutError):
    """The status lock stayed held by another writer for longer than the timeout.

    A live holder is never robbed of its lock (that would break mutual exclusion); the
    error names it instead, so that a person can decide what to do with it.

    Attributes:
        path: the lock file.
        timeout: the seconds waited.
        holder: what the holder wrote into the lock file (``pid``, ``host``, ``since``...),
            empty when the holder is unknown: no record, or one left by an earlier holder
            (another program may hold the lock without writing one).

    """

    def __init__(self, path: str, timeout: float, holder: dict[str, str] | None = None) -> None:
        super().__init__(path, timeout, dict(holder or {}))
        self.path = path
        self.timeout = timeout
        self.holder: dict[str, str] = dict(holder or {})

    @property
    def holder_pid(self) -> int | None:
        """The holder's process id, when it is known."""
        try:
            return int(self.holder["pid"])
        except (KeyError, ValueError):
            return None

    def message(self) -> str:  # noqa: D102
        text = f"could not lock {self.path} within {self.timeout:g}s"
        if self.holder:
            who = ", ".join(f"{k} {v}" for k, v in sorted(self.holder.items()))
            text += f"; held by {who}"
        else:
            text += "; held by an unknown holder"
        return text


class CorruptStatus(StatusKitError, ValueError):
    """A status document that cannot be read as a plan status.

    Raised for a file that is not JSON, and for JSON of the wrong shape; in the second case
    ``json_path`` names the first offending place (``$.tasks[3].status``) and ``problems``
    lists every one that was found.

    Attributes:
        reason: what is wrong, in words.
        path: the file, when there is one.
        json_path: where in the document (``$`` is the root), when known.
        position: ``(line, column)`` of a JSON syntax error, when known.
        backups: backup files that are valid and may be restored with an explicit repair.
        problems: every ``(json_path, reason)`` found, the first one included.

    """

    def __init__(
        self,
        reason: str,
        path: str | None = None,
        json_path: str | None = None,
        position: tuple[int, int] | None = None,
        backups: Sequence[str] = (),
        problems: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(reason, path, json_path, position, tuple(backups), tuple(problems))
        self.reason = reason
        self.path = path
        self.json_path = json_path
        self.position = position
        self.backups = tuple(backups)
        self.problems = tuple(problems) or ((json_path or "$", reason),)

    def with_file(self, path: str, backups: Sequence[str]) -> CorruptStatus:
        """The same error, told which file it came from and which backups exist."""
        return CorruptStatus(
            self.reason, path, self.json_path, self.position, backups, self.problems
        )

    def message(self) -> str:  # noqa: D102
        where = self.path or "status document"
        if self.position is not None:
            where += f" (line {self.position[0]}, column {self.position[1]})"
        text = f"{where} is corrupt"
        if self.json_path:
            text += f" at {self.json_path}"
        text += f": {self.reason}"
        if len(self.problems) > 1:
            text += f" (and {len(self.problems) - 1} more problem(s))"
        if self.path is not None:
            if self.backups:
                text += "; backups: " + ", ".join(self.backups)
            else:
                text += "; no valid backup exists"
        return text


class DuplicateTaskIds(CorruptStatus):
    """A status in which one task id names several tasks.

    Every operation by id would silently pick one of them, so writers refuse the status
    until a person removes or renumbers the duplicates (``statuskit validate`` lists them).

    Attributes:
        ids: the ids that occur more than once, in order of first occurrence.
        path: the status (its file, or the store's location), when known.

    """

    def __init__(self, ids: Sequence[str], path: str | None = None) -> None:
        ids = tuple(ids)
        super().__init__(
            "duplicate task ids: " + ", ".join(ids),
            path,
            "$.tasks",
            problems=[
                ("$.tasks", f"task id {task_id!r} appears more than once") for task_id in ids
            ],
        )
        self.args = (ids, path)  # what pickle passes back to __init__
        self.ids = ids

    def message(self) -> str:  # noqa: D102
        where = self.path or "the status"
        return (
            f"{where} holds duplicate task ids ({', '.join(self.ids)}): every write is refused "
            "until each id names one task"
        )


class SchemaTooNew(StatusKitError, ValueError):
    """A status file written by a newer statuskit: it can be read but not written.

    Attributes:
        version: the file's ``schemaVersion``.
        supported: the newest version this statuskit writes.

    """

    def __init__(self, version: int, supported: int) -> None:
        super().__init__(version, supported)
        self.version = version
        self.supported = supported

    def message(self) -> str:  # noqa: D102
        return (
            f"status file has schemaVersion {self.version}, newer than the {self.supported} "
            "this statuskit writes; it is read-only here (upgrade statuskit to change it)"
        )


class StatusMissing(StatusKitError, FileNotFoundError):
    """There is no status yet where one was expected.

    Attributes:
        path: where it was looked for.
        backups: backups of an earlier status that are still there (the status file itself
            was deleted): an explicit repair restores the newest valid one.

    """

    def __init__(self, path: str, backups: Sequence[str] = ()) -> None:
        super().__init__(path, tuple(backups))
        self.path = path
        self.backups = tuple(backups)

    def message(self) -> str:  # noqa: D102
        if self.backups:
            return f"no status at {self.path}, but backups of an earlier one exist: " + ", ".join(
                self.backups
            )
        return f"no status at {self.path} (create it first, e.g. `statuskit init`)"


class StatusExists(StatusKitError, FileExistsError):
    """``create`` was asked for a status that already exists.

    Attributes:
        path: the existing status.
        backups: when the status file itself is gone, the backups of the earlier status
            that are still there (creating over them would lose them in two writes).

    """

    def __init__(self, path: str, backups: Sequence[str] = ()) -> None:
        super().__init__(path, tuple(backups))
        self.path = path
        self.backups = tuple(backups)

    def message(self) -> str:  # noqa: D102
        if self.backups:
            return (
                f"{self.path} was deleted but backups of its earlier status exist ("
                + ", ".join(self.backups)
                + "); restore them, or start over explicitly"
            )
        return f"a status already exists at {self.path}"


class RepairRefused(StatusKitError):
    """A repair that would have to invent task states (for example: no valid backup).

    Attributes:
        reason: why repair stopped.

    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def message(self) -> str:  # noqa: D102
        return f"repair refused: {self.reason}"


class PlanError(StatusKitError, ValueError):
    """A markdown file that is not a plan (no phases and no tasks), or cannot be read as one.

    Attributes:
        reason: what is missing.
        source: the file name, when known.

    """

    def __init__(self, reason: str, source: str | None = None) -> None:
        super().__init__(reason, source)
        self.reason = reason
        self.source = source

    def message(self) -> str:  # noqa: D102
        return f"{self.source}: {self.reason}" if self.source else self.reason


class RunNotFound(StatusKitError, LookupError):
    """A run id that does not exist, or no open run when one was needed.

    Attributes:
        run_id: the id asked for (``None``: "the latest open run").

    """

    def __init__(self, run_id: str | None) -> None:
        super().__init__(run_id)
        self.run_id = run_id

    def message(self) -> str:  # noqa: D102
        if self.run_id is None:
            return "no open run (start one with start-run)"
        return f"run {self.run_id!r} not found"


class RunExists(StatusKitError, ValueError):
    """A new run was given an id that another run already has.

    Attributes:
        run_id: the id.

    """

    def __init__(self, run_id: str) -> None:
        super().__init__(run_id)
        self.run_id = run_id

    def message(self) -> str:  # noqa: D102
        return f"run {self.run_id!r} already exists"


class FindingsNotFound(StatusKitError, LookupError):
    """No findings have been written for this task.

    Attributes:
        task_id: the task.
        location: where they were looked for.

    """

    def __init__(self, task_id: str, location: str) -> None:
        super().__init__(task_id, location)
        self.task_id = task_id
        self.location = location

    def message(self) -> str:  # noqa: D102
        return f"no findings for task {self.task_id!r} (looked in {self.location})"


class PlanMismatch(StatusKitError, ValueError):
    """The status found for a plan was created from a different plan file.

    Two plans whose files share a stem (``a/plan.md`` and ``b/plan.md``) map to the same
    status location or plan key; applying one plan's commands to the other's status would
    silently corrupt it, so statuskit refuses.

    Attributes:
        given: the plan file the command named.
        recorded: the plan file the status records (``planPath``).
        where: the status (its path, or the store and plan key).

    """

    def __init__(self, given: str, recorded: str, where: str) -> None:
        super().__init__(given, recorded, where)
        self.given = given
        self.recorded = recorded
        self.where = where

    def message(self) -> str:  # noqa: D102
        return (
            f"{self.where} belongs to plan {self.recorded}, not to {self.given} "
            "(two plans share a name)"
        )


class StaleClaim(StatusKitError):
    """A write to a claimed task without its current fencing token.

    A worker whose lease expired (it paused, or was presumed dead) and whose task was given
    to another worker must not overwrite the new holder's work; its late writes carry an
    old token and are refused. Nothing is written.

    Attributes:
        task_id: the task.
        token: the token the write carried (``None``: none).
        current: the task's current claim token. Kept for programs, never put in the message:
            a stale worker reading the error must not be able to copy it and write anyway.
        holder: who holds the current claim (owner), when known.
        lease_expires_at: when the current lease ends, ISO 8601, when known.

    """

    def __init__(
        self,
        task_id: str,
        token: int | None,
        current: int | None,
        holder: str | None = None,
        lease_expires_at: str | None = None,
    ) -> None:
        super().__init__(task_id, token, current, holder, lease_expires_at)
        self.task_id = task_id
        self.token = token
        self.current = current
        self.holder = holder
        self.lease_expires_at = lease_expires_at

    def message(self) -> str:  # noqa: D102
        given = "no token" if self.token is None else f"token {self.token}, not the current one"
        text = f"task {self.task_id!r} is claimed; this write had {given}"
        if self.holder:
            text += f"; held by {self.holder}"
        if self.lease_expires_at:
            text += f" until {self.lease_expires_at}"
        return text


class StoreNotSupported(StatusKitError, ValueError):
    """A store target that no installed backend handles, or whose backend is not installed.

    Attributes:
        target: the target, with any password masked.
        reason: what is missing (an unknown scheme, an extra to install).

    """

    def __init__(self, target: str, reason: str) -> None:
        super().__init__(target, reason)
        self.target = target
        self.reason = reason

    def message(self) -> str:  # noqa: D102
        return f"cannot open store {self.target}: {self.reason}"


class StoreUnavailable(StatusKitError, ConnectionError):
    """A store that exists but cannot be reached now (a database server down or restarting).

    Nothing was written by the call that raised it; retrying later is safe.

    Attributes:
        target: the store, with any password masked.
        reason: what the backend reported.

    """

    def __init__(self, target: str, reason: str) -> None:
        super().__init__(target, reason)
        self.target = target
        self.reason = reason

    def message(self) -> str:  # noqa: D102
        return f"store {self.target} is unavailable: {self.reason}"


class UnsafePath(StatusKitError, PermissionError):
    """A path statuskit refuses to write through: a symbolic link, or not a regular file.

    statuskit writes only regular files and folders of its own next to the status: a link
    there (``status.json.lock -> /elsewhere``) would make it write, or create, a file outside
    the status folder, and a replaced ``status.json`` link would be silently detached. Nothing
    was written.

    Attributes:
        path: the offending path.
        reason: what it is (``"a symbolic link to /elsewhere"``, ``"a FIFO"``...).

    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(path, reason)
        self.path = path
        self.reason = reason

    def message(self) -> str:  # noqa: D102
        return f"refusing to use {self.path}: it is {self.reason}; nothing was written"
