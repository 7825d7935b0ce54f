"""The values statuskit works with: immutable, timezone-aware, and free of I/O.

A :class:`PlanStatus` is one snapshot of a plan's execution state. Every change produces a
new snapshot (see :mod:`statuskit.transitions`); nothing here is mutated in place.

Keys of the file that statuskit does not know are kept in each value's ``extra`` mapping and
written back untouched, so tools that add their own fields do not lose them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs

from statuskit.errors import TaskNotFound
from statuskit.ids import closest_ids

__all__ = [
    "DEFAULT_LEASE",
    "SCHEMA_VERSION",
    "ExecutionConstraints",
    "Holder",
    "Intent",
    "PlanStatus",
    "Run",
    "Summary",
    "Task",
    "TaskState",
    "summarize",
]

#: The newest ``schemaVersion`` this statuskit reads *and writes*. Files without the key are
#: version 0 (the format of the tool statuskit replaces) and are upgraded on their next write.
#: Version 2 added leases, fencing tokens and the revision: a statuskit that knows only
#: version 1 would write a leased task without checking its token and without journaling, so
#: it must treat these files as read-only (it does: newer versions are never overwritten).
SCHEMA_VERSION = 2

#: The lease a claim takes when none is given (see :mod:`statuskit.leases`).
DEFAULT_LEASE = timedelta(minutes=30)


class TaskState(str, enum.Enum):
    """The state of one task; the values are the strings stored in the file."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"

    @property
    def is_done(self) -> bool:
        """Completed or skipped: nothing more will happen to the task."""
        return self in (TaskState.COMPLETED, TaskState.SKIPPED)

    @property
    def is_terminal(self) -> bool:
        """A state that sets ``completed_at``: completed, failed or skipped."""
        return self in (TaskState.COMPLETED, TaskState.FAILED, TaskState.SKIPPED)

    def __str__(self) -> str:
        return self.value


def _frozen_mapping(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return dict(value)


@attrs.frozen(kw_only=True)
class ExecutionConstraints:
    """How a task must be scheduled relative to others (``executionConstraints`` in the file)."""

    sequential: bool = False
    """The task belongs to a group whose tasks must not run at the same time."""
    group: str | None = None
    """The group's name (``sequentialGroup``), e.g. ``"1.3-1.7"``."""
    reason: str | None = None
    """Why the group must run one task at a time."""
    extra: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen_mapping)
    """Keys statuskit does not know, kept verbatim."""


@attrs.frozen(kw_only=True)
class Holder:
    """The process working on a claimed task, when the claim named one (``holder``).

    A claim that names its process lets the task be taken back as soon as that process is
    known to be dead on its host, without waiting for the lease to run out.
    """

    host: str
    """The host name the process runs on."""
    pid: int
    """The process id on that host."""
    extra: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen_mapping)
    """Keys statuskit does not know, kept verbatim."""


@attrs.frozen(kw_only=True)
class Task:
    """One task of a plan and everything recorded about its execution."""

    id: str
    """The task id from the plan (``1.1``, ``3.4.1``, ``V1``)."""
    description: str = ""
    """What the task is (``description``; legacy files say ``title``)."""
    phase: str = ""
    """The phase the task belongs to, as the file names it (``"Phase 1: Setup"`` or ``"1"``)."""
    status: TaskState = TaskState.PENDING
    """The task's state."""
    started_at: datetime | None = None
    """When the task was last started."""
    completed_at: datetime | None = None
    """When the task last reached completed, failed or skipped."""
    duration_ms: int | None = None
    """``completed_at - started_at`` in whole milliseconds, when both are known."""
    notes: str | None = None
    """Free text the agent left when completing the task."""
    error: str | None = None
    """The error of the current failure (cleared when the task is started again)."""
    skip_reason: str | None = None
    """Why the task was skipped (``skipReason``; legacy files say ``reason``)."""
    findings_path: str | None = None
    """Where the task's findings file is, relative to the status file's folder."""
    dependencies: tuple[str, ...] = ()
    """Ids of tasks that must be done (completed or skipped) before this one is ready."""
    constraints: ExecutionConstraints | None = None
    """Scheduling constraints (sequential groups)."""
    retry_count: int = 0
    """How many times the task was started again after failing."""
    last_error: str | None = None
    """The most recent failure's error; kept across retries."""
    last_error_at: datetime | None = None
    """When the most recent failure happened."""
    owner: str | None = None
    """Who claimed the task (set by ``claim``; cleared when the task is reset)."""
    token: int | None = None
    """The fencing token of the task's latest claim (``claimToken``). While the task is in
    progress with a token it is *leased*: every write must carry this token. Kept after the
    task finishes (a late write with an older token is still refused); cleared by a reset."""
    lease_expires_at: datetime | None = None
    """When the lease of the latest claim ends unless a heartbeat extends it."""
    heartbeat_at: datetime | None = None
    """When the holder last extended the lease (``heartbeatAt``)."""
    holder: Holder | None = None
    """The process working on the task, when the claim named one."""
    reclaim_count: int = 0
    """How many times the task was taken from a holder whose lease expired or who died."""
    extra: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen_mapping)
    """Keys statuskit does not know, kept verbatim."""

    @property
    def leased(self) -> bool:
        """In progress under a claim token: writes must carry the token."""
        return self.status is TaskState.IN_PROGRESS and self.token is not None

    @property
    def sequential_group(self) -> str | None:
        """The task's sequential group, or ``None``."""
        if self.constraints is None or not self.constraints.sequential:
            return None
        return self.constraints.group or "sequential"


@attrs.frozen(kw_only=True)
class Run:
    """One run of an orchestrator or agent session over the plan."""

    run_id: str
    """The run's id (``runId``; one legacy file says ``id``)."""
    started_at: datetime | None = None
    """When the run started."""
    completed_at: datetime | None = None
    """When the run ended; ``None`` while it is open (or when it was never closed)."""
    tasks_completed: int = 0
    """Tasks the run reports as completed."""
    tasks_failed: int = 0
    """Tasks the run reports as failed."""
    extra: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen_mapping)
    """Keys statuskit does not know, kept verbatim."""


@attrs.frozen(kw_only=True)
class Summary:
    """Counts of tasks per state. Always computed from the tasks, never maintained by hand."""

    total: int = 0
    """All tasks."""
    pending: int = 0
    """Tasks not started."""
    in_progress: int = 0
    """Tasks being worked on."""
    completed: int = 0
    """Tasks finished successfully."""
    failed: int = 0
    """Tasks whose last attempt failed."""
    skipped: int = 0
    """Tasks deliberately not done."""

    @property
    def complete(self) -> bool:
        """Every task is done (completed or skipped); a plan with a failed task never is."""
        return self.completed + self.skipped == self.total

    @property
    def blocked(self) -> bool:
        """Some task failed: the plan cannot complete until it is retried, skipped or reset."""
        return self.failed > 0

    @classmethod
    def of(cls, counts: Mapping[TaskState, int]) -> Summary:
        """The summary of these counts per state (states left out count 0)."""
        return cls(
            total=sum(counts.values()),
            pending=counts.get(TaskState.PENDING, 0),
            in_progress=counts.get(TaskState.IN_PROGRESS, 0),
            completed=counts.get(TaskState.COMPLETED, 0),
            failed=counts.get(TaskState.FAILED, 0),
            skipped=counts.get(TaskState.SKIPPED, 0),
        )

    def counts(self) -> dict[TaskState, int]:
        """The count of each state (the inverse of :meth:`of`)."""
        return {
            TaskState.PENDING: self.pending,
            TaskState.IN_PROGRESS: self.in_progress,
            TaskState.COMPLETED: self.completed,
            TaskState.FAILED: self.failed,
            TaskState.SKIPPED: self.skipped,
        }

    @property
    def done(self) -> int:
        """Completed plus skipped."""
        return self.completed + self.skipped

    @property
    def percent(self) -> float:
        """Progress in percent, 0 to 100, one decimal; 100.0 only when every task is done.

        A plan with no tasks has nothing left to do and reports 100.0. Otherwise the value is
        capped at 99.9 until every task is done, so that 99.95 never shows as 100.0.
        """
        if self.total == 0:
            return 100.0
        done = self.completed + self.skipped
        if done >= self.total:
            return 100.0
        return min(round(100.0 * done / self.total, 1), 99.9)


@attrs.frozen(kw_only=True)
class Intent:
    """Why a change was made, where the two snapshots cannot show it (a force, a repair).

    A change attaches intents to the snapshot it returns (``PlanStatus.intents``); the store's
    write path turns them into journal events and drops them. They are never stored.
    """

    kind: str
    """``"forced"``, ``"repaired"``, ``"synced"``, ``"restored"``, or ``"by"`` (who acted)."""
    task: str | None = None
    """The task concerned, if one is."""
    details: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen_mapping)
    """What else the event records (JSON values)."""


@attrs.frozen(kw_only=True)
class PlanStatus:
    """One snapshot of a plan's execution state: the content of a ``status.json``."""

    tasks: tuple[Task, ...] = ()
    """Every task, in plan order."""
    runs: tuple[Run, ...] = ()
    """Run history, oldest first."""
    plan_path: str | None = None
    """The plan's markdown file, as recorded when the status was created."""
    plan_name: str | None = None
    """The plan's title."""
    created_at: datetime | None = None
    """When the status was created."""
    last_updated_at: datetime | None = None
    """When the status last changed."""
    current_phase: str | None = None
    """The phase of the most recently started task."""
    schema_version: int = SCHEMA_VERSION
    """The file's schema version (0 for files from before statuskit)."""
    stored_summary: Summary | None = None
    """The summary the file carried when it was read: reported by validation, never trusted."""
    revision: int = 0
    """How many writes produced this snapshot: every write adds one (0 for files from before
    revisions). Journal events carry the revision their write produced."""
    last_token: int = 0
    """The last fencing token a claim took (``lastClaimToken``); the next claim takes more."""
    extra: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen_mapping)
    """Top-level keys statuskit does not know, kept verbatim."""
    intents: tuple[Intent, ...] = attrs.field(default=(), eq=False, repr=False)
    """Why the change that returned this snapshot was made, for the journal (never stored;
    not part of equality)."""

    @property
    def summary(self) -> Summary:
        """Counts recomputed from ``tasks``."""
        return summarize(self.tasks)

    def task(self, task_id: str) -> Task:
        """The task with this id.

        Raises:
            TaskNotFound: with the closest existing ids.

        """
        for task in self.tasks:
            if task.id == task_id:
                return task
        raise TaskNotFound(task_id, closest_ids(task_id, (t.id for t in self.tasks)))

    def annotated(self, *intents: Intent) -> PlanStatus:
        """The snapshot with ``intents`` added: why the change that returns it was made."""
        return attrs.evolve(self, intents=(*self.intents, *intents))

    def has_task(self, task_id: str) -> bool:
        """Whether a task with this id exists."""
        return any(task.id == task_id for task in self.tasks)


def summarize(tasks: Iterable[Task]) -> Summary:
    """Count the tasks in each state.

    The replaced tool kept its summary up to date incrementally and it drifted; here the
    summary is a pure function of the task list, so it cannot disagree with it.
    """
    counts = dict.fromkeys(TaskState, 0)
    for task in tasks:
        counts[task.status] += 1
    return Summary.of(counts)
