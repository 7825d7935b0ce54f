"""Pure leases: claim with a lease and a fencing token, heartbeat, reclaim.

A claim is a lease. :func:`claim` marks tasks in progress for an owner until
``lease_expires_at`` and gives each a **fencing token**: the next integer of a per-plan
counter (``PlanStatus.last_token``) that only grows. While the task is in progress under that
token, every write to it must carry the token (:func:`statuskit.transitions.check_token`,
which every transition runs first). :func:`heartbeat` extends the lease.

A claim takes ready tasks and also *reclaims* tasks whose holder is gone: in progress under a
token whose lease has expired, or whose named holder process is known to be dead
(``is_dead``, supplied by the caller: this module does no I/O). The reclaimed task gets a new
token, so the old holder's late writes are refused (:class:`~statuskit.StaleClaim`) and can
never overwrite the new holder's work. Reclaims are counted on the task.

Expiry alone takes nothing away: a holder whose lease ran out may still heartbeat or finish
with its token until someone actually reclaims the task. Time is ``now``, a parameter: the
caller's clock (the writer's) or a store's clock where the store has one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

import attrs

from statuskit.errors import InvalidTransition
from statuskit.model import DEFAULT_LEASE, Holder, Intent, PlanStatus, Task, TaskState
from statuskit.scheduling import claimable, pick
from statuskit.transitions import begin_attempt, check_token

__all__ = [
    "DEFAULT_LEASE",
    "HolderCheck",
    "Lease",
    "claim",
    "expired",
    "heartbeat",
    "leases",
    "reclaimable",
]

#: Whether the process named as a task's holder is known to be dead (the caller looks).
HolderCheck = Callable[[Task], bool]


def _millis(moment: datetime) -> datetime:
    """The file keeps milliseconds: so does every lease, whatever backend holds it."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _expiry(now: datetime, lease: timedelta) -> datetime:
    if lease <= timedelta(0):
        raise ValueError(f"a lease must be longer than zero, not {lease}")
    try:
        return _millis(now + lease)
    except OverflowError:
        raise ValueError(f"a lease of {lease} ends beyond the calendar") from None


def expired(task: Task, now: datetime) -> bool:
    """Whether the task is leased and its lease has run out at ``now``."""
    return task.leased and task.lease_expires_at is not None and now >= task.lease_expires_at


def reclaimable(
    status: PlanStatus, now: datetime, is_dead: HolderCheck | None = None
) -> tuple[Task, ...]:
    """Leased tasks a claim may take back: lease expired, or holder process known dead."""
    return tuple(
        task
        for task in status.tasks
        if task.leased
        and (
            expired(task, now)
            or (task.holder is not None and is_dead is not None and is_dead(task))
        )
    )


def _next_token(status: PlanStatus) -> int:
    # The counter, and never below a token a task carries: a counter lost from a file edited
    # by hand must not hand out a token again.
    highest = max((task.token for task in status.tasks if task.token is not None), default=0)
    return max(status.last_token, highest) + 1


def claim(
    status: PlanStatus,
    n: int,
    owner: str,
    *,
    now: datetime,
    lease: timedelta = DEFAULT_LEASE,
    holder: Holder | None = None,
    is_dead: HolderCheck | None = None,
    cross_phase: bool = False,
    max_retries: int | None = None,
) -> tuple[PlanStatus, tuple[Task, ...]]:
    """Lease up to ``n`` tasks to ``owner``, as one change: each gets a new fencing token.

    Candidates, in plan order (see :func:`statuskit.scheduling.claimable`): ready pending
    tasks, failed ones below ``max_retries``, and leased tasks whose holder is gone
    (:func:`reclaimable`). Passed to a store's ``update``, this is atomic: two claimers never
    lease the same task, and tokens strictly increase.

    Args:
        status: the current snapshot.
        n: how many tasks at most.
        owner: who takes them (recorded as the tasks' ``owner``).
        now: the current time.
        lease: how long the lease lasts without a heartbeat.
        holder: the process that will work on the tasks, when the claimer names one: its
            death (``is_dead``) frees the tasks before the lease ends.
        is_dead: tells whether a task's named holder process is dead.
        cross_phase: let dependencies alone order the work.
        max_retries: also retry failed tasks retried fewer times than this.

    Returns:
        The new status and the claimed tasks as they are after the claim (``token``,
        ``lease_expires_at`` set).

    Raises:
        ValueError: ``n`` is negative or ``lease`` is not positive.

    """
    if n < 0:
        raise ValueError("n must be >= 0")
    until = _expiry(now, lease)
    taken_back = reclaimable(status, now, is_dead)
    chosen = pick(
        claimable(status, cross_phase=cross_phase, max_retries=max_retries, reclaimable=taken_back),
        n,
    )
    if not chosen:
        return status, ()
    token = _next_token(status)
    replaced: dict[int, Task] = {}  # by identity: ids may repeat in a damaged status
    for task in chosen:
        again = task.status is TaskState.IN_PROGRESS
        replaced[id(task)] = attrs.evolve(
            begin_attempt(task, now=now, owner=owner),
            owner=owner,
            token=token,
            lease_expires_at=until,
            heartbeat_at=None,
            holder=holder,
            reclaim_count=task.reclaim_count + 1 if again else task.reclaim_count,
        )
        token += 1
    tasks = tuple(replaced.get(id(task), task) for task in status.tasks)
    claimed = tuple(replaced[id(task)] for task in chosen)
    new = attrs.evolve(
        status,
        tasks=tasks,
        last_token=token - 1,
        last_updated_at=now,
        current_phase=claimed[-1].phase or status.current_phase,
        intents=(*status.intents, Intent(kind="by", details={"owner": owner})),
    )
    return new, claimed


def heartbeat(
    status: PlanStatus,
    task_id: str,
    token: int,
    *,
    now: datetime,
    lease: timedelta | None = None,
) -> tuple[PlanStatus, Task]:
    """Extend the lease of ``task_id`` held with ``token`` to ``now + lease``.

    ``lease`` defaults to the length the lease had when it was last taken or extended. A
    holder whose lease ran out may still heartbeat as long as nobody reclaimed the task.

    Returns:
        The new status (``status`` itself when nothing changed) and the task after it.

    Raises:
        TaskNotFound: no task has this id.
        StaleClaim: ``token`` is not the task's current claim token.
        InvalidTransition: the task is no longer in progress (there is nothing to extend).
        ValueError: ``lease`` is not positive.

    """
    task = status.task(task_id)
    check_token(task, token)
    if task.status is not TaskState.IN_PROGRESS:
        raise InvalidTransition(
            task.id,
            task.status.value,
            TaskState.IN_PROGRESS.value,
            "the task is no longer in progress: stop working on it",
        )
    if lease is None:
        since = task.heartbeat_at or task.started_at
        if task.lease_expires_at is not None and since is not None:
            lease = task.lease_expires_at - since
        if lease is None or lease <= timedelta(0):
            lease = DEFAULT_LEASE
    until = _expiry(now, lease)
    if until == task.lease_expires_at and task.heartbeat_at == now:
        return status, task
    new_task = attrs.evolve(task, lease_expires_at=until, heartbeat_at=now)
    tasks = tuple(new_task if t is task else t for t in status.tasks)
    intents = (*status.intents, Intent(kind="by", details={"owner": task.owner}))
    return attrs.evolve(status, tasks=tasks, last_updated_at=now, intents=intents), new_task


@attrs.frozen(kw_only=True)
class Lease:
    """A task in progress under a claim, as :func:`leases` reports it."""

    task_id: str
    """The task."""
    owner: str | None
    """Who holds it."""
    token: int
    """The claim's fencing token."""
    expires_at: datetime | None
    """When the lease ends unless extended."""
    expired: bool
    """The lease has run out: the next claim may take the task back."""
    holder: Holder | None = None
    """The process named as the holder, if any."""
    holder_dead: bool = False
    """The named holder process is known to be dead (the next claim takes the task back)."""


def leases(
    tasks: Iterable[Task], now: datetime, is_dead: HolderCheck | None = None
) -> tuple[Lease, ...]:
    """Every leased task, expired or not, with its holder.

    Expired leases are listed (``expired``) before anyone reclaims them.
    """
    return tuple(
        Lease(
            task_id=task.id,
            owner=task.owner,
            token=task.token,
            expires_at=task.lease_expires_at,
            expired=expired(task, now),
            holder=task.holder,
            holder_dead=bool(task.holder is not None and is_dead is not None and is_dead(task)),
        )
        for task in tasks
        if task.leased and task.token is not None
    )
