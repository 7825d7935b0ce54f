r"""Pure state transitions: ``PlanStatus -> PlanStatus``.

Each function returns a new snapshot, or the *same object* when nothing changes (an idempotent
repeat such as completing a completed task), so callers can tell "unchanged" with ``is``.
They never read the clock: ``now`` is a parameter.

The table (rows: from, columns: to)::

    from \\ to    in_progress       completed   failed      skipped     pending
    pending      start             complete    fail        skip        (unchanged)
    in_progress  (unchanged)       complete    fail        skip        reset
    failed       retry (+1 count)  complete    (unchanged) skip        reset
    completed    force             (unchanged) force       force       force
    skipped      start             complete    forbidden   (unchanged) reset

``force=True`` allows the moves out of completed. A forbidden move raises
:class:`~statuskit.InvalidTransition`; an unknown id raises :class:`~statuskit.TaskNotFound`
with the closest ids.

Two repeats are changes, not idempotent successes, because they carry something new:

* completing a completed task with other ``notes`` replaces its notes (the earlier ones stay
  in the journal); its times are kept: it was not completed again;
* resetting a pending task with ``clear_retries`` clears a ``retry_count`` it kept.

A start with ``strict`` is refused while a dependency of the task is not done (see
:func:`unmet_dependencies`); without it the start goes ahead, and callers may warn.

Fencing (see :mod:`statuskit.leases`): every move goes through :func:`check_token` first, so
single moves and batches alike refuse a write to a leased task that does not carry its
current claim token (:class:`~statuskit.StaleClaim`, nothing written), and a write carrying a
token that is not the task's current one — even after the task left ``in_progress``. With
``force=True`` such a write goes ahead and the snapshot records a ``forced`` intent for the
journal. Tasks never claimed take writes without a token, as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import attrs

from statuskit._timestamps import format_timestamp
from statuskit.errors import InvalidTransition, StaleClaim, TaskNotFound
from statuskit.ids import closest_ids
from statuskit.model import Intent, PlanStatus, Task, TaskState
from statuskit.runs import complete_run, find_run, start_run

__all__ = [
    "Op",
    "apply_batch",
    "begin_attempt",
    "check_token",
    "complete",
    "complete_run",
    "fail",
    "find_run",
    "reset",
    "skip",
    "start",
    "start_run",
    "transition",
    "unmet_dependencies",
]

_P = TaskState.PENDING
_I = TaskState.IN_PROGRESS
_C = TaskState.COMPLETED
_F = TaskState.FAILED
_S = TaskState.SKIPPED

# (from, to) pairs that are never allowed, with the hint shown to the user.
_FORBIDDEN = {
    (_S, _F): "a skipped task was not attempted; start it first",
}


@attrs.frozen(kw_only=True)
class Op:
    """One transition in a batch (see :func:`apply_batch`)."""

    task_id: str
    """The task to change."""
    target: TaskState
    """The state to move it to."""
    notes: str | None = None
    """Notes for a completion."""
    error: str | None = None
    """The error for a failure (required when ``target`` is failed)."""
    reason: str | None = None
    """The reason for a skip."""
    force: bool = False
    """Allow moves out of completed."""
    owner: str | None = None
    """Who starts the task (for a start)."""
    token: int | None = None
    """The claim token the writer holds (required for a leased task)."""
    clear_retries: bool = False
    """For a reset: also clear the task's ``retry_count`` (it is kept by default)."""
    strict: bool = False
    """For a start: refuse it while a dependency of the task is not done."""


def unmet_dependencies(status: PlanStatus, task_id: str) -> tuple[tuple[str, str], ...]:
    """The dependencies of a task that are not done, each with its state.

    Returns:
        ``(id, state)`` pairs in the task's dependency order; ``state`` is the dependency's
        state value (``"pending"``, ``"failed"``...) or ``"missing"`` when the status has no
        task with that id (a dependency the plan does not define is never done).

    Raises:
        TaskNotFound: no task has this id.

    """
    task = status.tasks[_index(status, task_id)]
    states = {t.id: t.status for t in status.tasks if t.id in task.dependencies}
    unmet = []
    for dependency in task.dependencies:
        state = states.get(dependency)
        if state is None:
            unmet.append((dependency, "missing"))
        elif not state.is_done:
            unmet.append((dependency, state.value))
    return tuple(unmet)


def check_token(task: Task, token: int | None, *, force: bool = False) -> Intent | None:
    """Refuse a write to ``task`` that lacks its current claim token.

    * A write carrying a token must carry the task's current one, in whatever state the task
      is: a worker whose task was reclaimed, then finished by the new holder, is refused.
    * A write carrying none is refused only while the task is leased (in progress under a
      token); tasks never claimed, or finished, take tokenless writes as before.

    Returns:
        ``None`` when the write may go ahead; with ``force``, the ``forced`` intent that
        records an override for the journal.

    Raises:
        StaleClaim: the token is missing or not the current one (and no ``force``).

    """
    stale = token != task.token if token is not None else task.leased
    if not stale:
        return None
    if force:
        return Intent(
            kind="forced",
            task=task.id,
            details={"override": "token", "token": token, "current": task.token},
        )
    expires = task.lease_expires_at
    raise StaleClaim(
        task.id,
        token,
        task.token,
        task.owner,
        format_timestamp(expires) if expires is not None and task.leased else None,
    )


def _index(status: PlanStatus, task_id: str) -> int:
    for index, task in enumerate(status.tasks):
        if task.id == task_id:
            return index
    raise TaskNotFound(task_id, closest_ids(task_id, (task.id for task in status.tasks)))


def _duration(started: datetime | None, ended: datetime) -> int | None:
    if started is None:
        return None
    return max(0, round((ended - started).total_seconds() * 1000))


def _moved(
    task: Task,
    target: TaskState,
    *,
    now: datetime,
    notes: str | None,
    error: str | None,
    reason: str | None,
    owner: str | None,
    token: int | None,
    clear_retries: bool = False,
) -> Task:
    """The task after the move (the move is known to be allowed and to change something)."""
    if target is _I:
        if token != task.token:
            # A start without the claim's token (a person taking the task over, or a forced
            # start) ends the earlier claim: its holder's token no longer matches anything.
            task = _released(task)
        return begin_attempt(task, now=now, owner=owner)
    if target is _P:
        return _released(
            attrs.evolve(
                task,
                status=_P,
                started_at=None,
                completed_at=None,
                duration_ms=None,
                error=None,
                skip_reason=None,
                retry_count=0 if clear_retries else task.retry_count,
            )
        )
    # A terminal state: completed, failed or skipped. Only an attempt that was running has a
    # duration; completing straight from pending (or failed, skipped) records none rather than
    # an invented one.
    base = attrs.evolve(
        task,
        status=target,
        completed_at=now,
        duration_ms=_duration(task.started_at, now) if task.status is _I else None,
    )
    if target is _C:
        return attrs.evolve(
            base,
            notes=notes if notes is not None else task.notes,
            error=None,
            skip_reason=None,
        )
    if target is _F:
        return attrs.evolve(
            base, error=error, last_error=error, last_error_at=now, skip_reason=None
        )
    return attrs.evolve(base, skip_reason=reason, error=None)


def _released(task: Task) -> Task:
    """The task with no claim: no owner, token, lease or holder."""
    return attrs.evolve(
        task, owner=None, token=None, lease_expires_at=None, heartbeat_at=None, holder=None
    )


def begin_attempt(task: Task, *, now: datetime, owner: str | None = None) -> Task:
    """The task as a new attempt starts: in progress since ``now``, earlier outcome cleared.

    A failed task's start is a retry (``retry_count`` + 1). Claim fields are kept (a claim
    sets its own afterwards).
    """
    retry = task.status is _F
    return attrs.evolve(
        task,
        status=_I,
        started_at=now,
        completed_at=None,
        duration_ms=None,
        error=None,
        skip_reason=None,
        retry_count=task.retry_count + 1 if retry else task.retry_count,
        owner=owner if owner is not None else task.owner,
    )


def _check(task: Task, target: TaskState, force: bool, error: str | None) -> None:
    if task.status is _C and not force:
        raise InvalidTransition(
            task.id, task.status.value, target.value, "completed tasks change only with force"
        )
    hint = _FORBIDDEN.get((task.status, target))
    if hint is not None:
        raise InvalidTransition(task.id, task.status.value, target.value, hint)
    if target is _F and not error:
        raise InvalidTransition(
            task.id, task.status.value, target.value, "a failure needs an error message"
        )


def _repeated(task: Task, op: Op) -> Task:
    """The task after a move to the state it is already in: itself, or with what is new.

    A completion with other notes replaces them, and a reset that clears retries clears
    them; every other repeat changes nothing (agents retry commands).
    """
    if op.target is _C and op.notes is not None and op.notes != task.notes:
        return attrs.evolve(task, notes=op.notes)
    if op.target is _P and op.clear_retries and task.retry_count:
        return attrs.evolve(task, retry_count=0)
    return task


def _check_dependencies(status: PlanStatus, task: Task) -> None:
    unmet = unmet_dependencies(status, task.id)
    if unmet:
        listed = ", ".join(f"{dep} ({state})" for dep, state in unmet)
        raise InvalidTransition(
            task.id,
            task.status.value,
            _I.value,
            f"dependencies not done: {listed}; finish them first, or start it without strict",
        )


def _apply(status: PlanStatus, index: int, op: Op, now: datetime) -> PlanStatus:
    task = status.tasks[index]
    # Before the idempotence check: a stale worker must hear that it lost the task even
    # when its write would change nothing.
    forced = check_token(task, op.token, force=op.force)
    if task.status is op.target:
        new_task = _repeated(task, op)
        if new_task is task:
            return status
    else:
        _check(task, op.target, op.force, op.error)
        if op.target is _I and op.strict:
            _check_dependencies(status, task)
        new_task = _moved(
            task,
            op.target,
            now=now,
            notes=op.notes,
            error=op.error,
            reason=op.reason,
            owner=op.owner,
            token=op.token,
            clear_retries=op.clear_retries,
        )
    tasks = (*status.tasks[:index], new_task, *status.tasks[index + 1 :])
    phase = new_task.phase if op.target is _I and new_task.phase else status.current_phase
    intents = status.intents
    if forced is not None:
        intents = (*intents, forced)
    if task.status is _C and op.target is not _C:  # a notes update needs no override
        override = {"override": "completed", "to": op.target.value}
        intents = (*intents, Intent(kind="forced", task=task.id, details=override))
    return attrs.evolve(
        status, tasks=tasks, last_updated_at=now, current_phase=phase, intents=intents
    )


def transition(
    status: PlanStatus,
    task_id: str,
    target: TaskState,
    *,
    now: datetime,
    notes: str | None = None,
    error: str | None = None,
    reason: str | None = None,
    force: bool = False,
    owner: str | None = None,
    token: int | None = None,
    clear_retries: bool = False,
    strict: bool = False,
) -> PlanStatus:
    """Move one task to ``target``; return ``status`` itself when it is already there.

    A repeat that carries something new (other completion notes, a reset that clears
    retries) changes the task in place; see the module documentation.

    Raises:
        TaskNotFound: no task has this id.
        StaleClaim: the task is leased and ``token`` is not its current claim token, or
            ``token`` is given and is not the task's current one (see :func:`check_token`).
        InvalidTransition: the table forbids the move (or a failure has no error text, or
            a ``strict`` start has dependencies not done).

    """
    op = Op(
        task_id=task_id,
        target=target,
        notes=notes,
        error=error,
        reason=reason,
        force=force,
        owner=owner,
        token=token,
        clear_retries=clear_retries,
        strict=strict,
    )
    return _apply(status, _index(status, task_id), op, now)


def start(
    status: PlanStatus,
    task_id: str,
    *,
    now: datetime,
    force: bool = False,
    owner: str | None = None,
    token: int | None = None,
    strict: bool = False,
) -> PlanStatus:
    """Mark a task in progress (a retry when it had failed: ``retry_count`` + 1).

    Without ``token``, a start of a task that had a claim ends that claim (a person takes
    the task over; a leased task needs ``force`` for it). With ``strict``, a start while a
    dependency is not done raises :class:`~statuskit.InvalidTransition` (``force`` does not
    lift it); without it the start goes ahead (see :func:`unmet_dependencies`).
    """
    return transition(
        status, task_id, _I, now=now, force=force, owner=owner, token=token, strict=strict
    )


def complete(
    status: PlanStatus,
    task_id: str,
    *,
    now: datetime,
    notes: str | None = None,
    force: bool = False,
    token: int | None = None,
) -> PlanStatus:
    """Mark a task completed, with optional notes; ``duration_ms`` when it had been started.

    On a task already completed, other ``notes`` replace its notes (a change; its times are
    kept); the same notes, or none, change nothing.
    """
    return transition(status, task_id, _C, now=now, notes=notes, force=force, token=token)


def fail(
    status: PlanStatus,
    task_id: str,
    *,
    now: datetime,
    error: str,
    force: bool = False,
    token: int | None = None,
) -> PlanStatus:
    """Mark a task failed with an error (recorded in ``error`` and ``last_error``)."""
    return transition(status, task_id, _F, now=now, error=error, force=force, token=token)


def skip(
    status: PlanStatus,
    task_id: str,
    *,
    now: datetime,
    reason: str | None = None,
    force: bool = False,
    token: int | None = None,
) -> PlanStatus:
    """Mark a task skipped, with an optional reason."""
    return transition(status, task_id, _S, now=now, reason=reason, force=force, token=token)


def reset(
    status: PlanStatus,
    task_id: str,
    *,
    now: datetime,
    force: bool = False,
    token: int | None = None,
    clear_retries: bool = False,
) -> PlanStatus:
    """Put a task back to pending, its claim and its attempt's outcome cleared.

    ``retry_count`` and ``last_error`` are kept as history, so a retry limit counts the
    attempts made before the reset too; ``clear_retries`` sets ``retry_count`` to 0 (also
    on a task already pending), giving the task its whole retry budget again.
    """
    return transition(
        status, task_id, _P, now=now, force=force, token=token, clear_retries=clear_retries
    )


def apply_batch(status: PlanStatus, ops: Iterable[Op], *, now: datetime) -> PlanStatus:
    """Apply several transitions as one: all of them, or none (the first error is raised).

    Operations run in order, each seeing the result of the previous ones. Returns ``status``
    itself when no operation changed anything.
    """
    positions = {task.id: index for index, task in enumerate(status.tasks)}
    current = status
    for op in ops:
        index = positions.get(op.task_id)
        if index is None:
            raise TaskNotFound(op.task_id, closest_ids(op.task_id, positions))
        current = _apply(current, index, op, now)
    return current
