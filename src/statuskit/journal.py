"""The journal, pure: the events that turn one snapshot into the next.

Every store's write path makes one call, :func:`commit`, with the snapshot it read and the one
the change returned. It gets back the snapshot to store — its ``revision`` one higher — and the
events of that revision, which it records atomically with the snapshot.

Events are derived from the two snapshots: task moves ``{task, from, to}`` with the claim they
were made under (``owner``, ``token``), claims, reclaims and heartbeats, notes and error
changes, tasks added or removed, runs started and ended. What a diff cannot show — a write
that overrode a token or a completed task (``forced``), a repair, a sync, a restore, and who
acted — the change attaches to the snapshot it returns as :class:`~statuskit.model.Intent`
values; :func:`commit` turns them into events and drops them. A write that changes something
no event describes still gets one (``updated`` with the fields), so every revision has events.

In a file, one line per revision (:func:`encode_line`): ``{"rev", "at", "actor", "events":
[...]}``. A line is written whole or not at all, which lets a reader tell a revision's events
from those of a write that crashed before its snapshot landed (see :func:`read_lines`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs

from statuskit._jsontext import dumps_line, parse
from statuskit._timestamps import format_timestamp, parse_timestamp
from statuskit.errors import CorruptStatus
from statuskit.model import Intent, PlanStatus, Run, Task

__all__ = [
    "Actor",
    "JournalEvent",
    "commit",
    "decode_line",
    "diff",
    "encode_line",
    "read_lines",
    "select",
    "writes",
]


@attrs.frozen(kw_only=True)
class Actor:
    """Who made a change: the writing process, and the owner when the change names one."""

    host: str | None = None
    """The host the writing process ran on."""
    pid: int | None = None
    """The writing process."""
    owner: str | None = None
    """The worker the change was made for (a claimer, a token's holder), when known."""

    def to_json(self) -> dict[str, Any]:
        """``{host, pid, owner}`` without the unknown ones."""
        return {
            key: value
            for key, value in (("host", self.host), ("pid", self.pid), ("owner", self.owner))
            if value is not None
        }


def _drop_none(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    return {key: value for key, value in pairs if value is not None}


def _frozen(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return dict(value)


@attrs.frozen(kw_only=True)
class JournalEvent:
    """One event of the journal: what a write did, at which revision, when, and by whom."""

    rev: int
    """The revision the write produced (the status's ``revision`` after it)."""
    at: datetime
    """When the write was recorded."""
    kind: str
    """What happened (``event`` in JSON): ``claimed``, ``reclaimed``, ``heartbeat``,
    ``moved``, ``updated``, ``added``, ``removed``, ``run_started``, ``run_ended``,
    ``run_updated``, ``plan_updated``, ``created``, ``forced``, ``repaired``, ``synced``,
    ``restored``."""
    actor: Actor = Actor()
    """The writing process (and owner when known)."""
    task: str | None = None
    """The task concerned, for task events."""
    from_state: str | None = None
    """The task's state before (``from``)."""
    to_state: str | None = None
    """The task's state after (``to``)."""
    owner: str | None = None
    """The owner of the claim the event concerns."""
    token: int | None = None
    """The token of the claim the event concerns."""
    details: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen)
    """Everything else, JSON-ready: ``notes``, ``error``, ``reason``, ``leaseExpiresAt``,
    ``previous`` (the claim a reclaim replaced), ``released``, ``fields``, ``run``..."""

    @property
    def is_move(self) -> bool:
        """A task changed state (``from`` and ``to`` differ)."""
        return self.from_state is not None and self.from_state != self.to_state

    def body(self) -> dict[str, Any]:
        """The event without ``rev``, ``at`` and ``actor`` (as a journal line holds it)."""
        out = _drop_none(
            (
                ("event", self.kind),
                ("task", self.task),
                ("from", self.from_state),
                ("to", self.to_state),
                ("owner", self.owner),
                ("token", self.token),
            )
        )
        for key, value in self.details.items():
            out.setdefault(key, value)
        return out

    def to_json(self) -> dict[str, Any]:
        """The event as ``statuskit log`` prints it.

        ``{rev, at, event, task, from, to, owner, token, ...details, actor}``.
        """
        return {
            "rev": self.rev,
            "at": format_timestamp(self.at),
            **self.body(),
            "actor": self.actor.to_json(),
        }


# --------------------------------------------------------------------------- the diff

# Task attributes and their names in the file, for ``updated`` events.
_FILE_NAMES = {
    "description": "description",
    "phase": "phase",
    "status": "status",
    "started_at": "startedAt",
    "completed_at": "completedAt",
    "duration_ms": "duration",
    "notes": "notes",
    "error": "error",
    "skip_reason": "skipReason",
    "findings_path": "findingsPath",
    "dependencies": "dependencies",
    "constraints": "executionConstraints",
    "retry_count": "retryCount",
    "last_error": "lastError",
    "last_error_at": "lastErrorAt",
    "owner": "owner",
    "token": "claimToken",
    "lease_expires_at": "leaseExpiresAt",
    "heartbeat_at": "heartbeatAt",
    "holder": "holder",
    "reclaim_count": "reclaimCount",
    "extra": "extra",
}


def _time(moment: datetime | None) -> str | None:
    return format_timestamp(moment) if moment is not None else None


def _changed_fields(a: Task, b: Task) -> list[str]:
    return [file for name, file in _FILE_NAMES.items() if getattr(a, name) != getattr(b, name)]


def _task_event(a: Task, b: Task, rev: int, at: datetime, actor: Actor) -> JournalEvent:
    """The one event for a task that changed between two snapshots."""
    details: dict[str, Any] = {}
    owner = b.owner if b.owner is not None else a.owner
    token = b.token if b.token is not None else a.token
    if b.leased and b.token != a.token:
        kind = "reclaimed" if a.leased else "claimed"
        details["leaseExpiresAt"] = _time(b.lease_expires_at)
        if a.leased:
            details["previous"] = {"owner": a.owner, "token": a.token}
        if b.holder is not None:
            details["holder"] = {"host": b.holder.host, "pid": b.holder.pid}
        owner, token = b.owner, b.token
    elif a.status is not b.status:
        kind = "moved"
        if a.token is not None and b.token is None:
            details["released"] = {"owner": a.owner, "token": a.token}
    elif a.token == b.token and (
        a.lease_expires_at != b.lease_expires_at or a.heartbeat_at != b.heartbeat_at
    ):
        kind = "heartbeat"
        details["leaseExpiresAt"] = _time(b.lease_expires_at)
    else:
        kind = "updated"
        details["fields"] = _changed_fields(a, b)
    if b.notes != a.notes and b.notes is not None:
        details["notes"] = b.notes
    if b.error != a.error and b.error is not None:
        details["error"] = b.error
    if b.skip_reason != a.skip_reason and b.skip_reason is not None:
        details["reason"] = b.skip_reason
    return JournalEvent(
        rev=rev,
        at=at,
        kind=kind,
        actor=actor,
        task=b.id,
        from_state=a.status.value,
        to_state=b.status.value,
        owner=owner,
        token=token,
        details=details,
    )


def _task_events(
    old: Sequence[Task], new: Sequence[Task], rev: int, at: datetime, actor: Actor
) -> list[JournalEvent]:
    events: list[JournalEvent] = []
    if len(old) == len(new):
        # The usual write changes a few tasks in place: unchanged tasks are the very same
        # objects, so this pass costs a pointer comparison per task.
        aligned = True
        for a, b in zip(old, new, strict=True):
            if a is b:
                continue
            if a.id != b.id:
                aligned = False
                break
            if a != b:
                events.append(_task_event(a, b, rev, at, actor))
        if aligned:
            return events
        events = []
    before: dict[str, Task] = {}
    for task in old:
        before.setdefault(task.id, task)
    after_ids = set()
    for b in new:
        if b.id in after_ids:
            continue  # a duplicate id (validation reports it): the first one counts
        after_ids.add(b.id)
        earlier = before.get(b.id)
        if earlier is None:
            events.append(
                JournalEvent(
                    rev=rev, at=at, kind="added", actor=actor, task=b.id, to_state=b.status.value
                )
            )
        elif earlier is not b and earlier != b:
            events.append(_task_event(earlier, b, rev, at, actor))
    for task_id, gone in before.items():
        if task_id not in after_ids:
            events.append(
                JournalEvent(
                    rev=rev,
                    at=at,
                    kind="removed",
                    actor=actor,
                    task=task_id,
                    from_state=gone.status.value,
                )
            )
    return events


def _run_events(
    old: Sequence[Run], new: Sequence[Run], rev: int, at: datetime, actor: Actor
) -> list[JournalEvent]:
    events: list[JournalEvent] = []
    before = {run.run_id: run for run in old}
    for run in new:
        found = before.pop(run.run_id, None)
        if found == run:
            continue
        counts = {"tasksCompleted": run.tasks_completed, "tasksFailed": run.tasks_failed}
        previous = found if found is not None else attrs.evolve(run, completed_at=None)
        if found is None:
            events.append(
                JournalEvent(
                    rev=rev, at=at, kind="run_started", actor=actor, details={"run": run.run_id}
                )
            )
        if previous.completed_at is None and run.completed_at is not None:
            kind = "run_ended"
        elif previous != run:
            kind = "run_updated"
        else:
            continue
        events.append(
            JournalEvent(
                rev=rev, at=at, kind=kind, actor=actor, details={"run": run.run_id, **counts}
            )
        )
    for run_id in before:
        events.append(
            JournalEvent(rev=rev, at=at, kind="run_removed", actor=actor, details={"run": run_id})
        )
    return events


_PLAN_FIELDS = (
    ("plan_path", "planPath"),
    ("plan_name", "planName"),
    ("created_at", "createdAt"),
    ("extra", "extra"),
)


def diff(
    old: PlanStatus, new: PlanStatus, *, rev: int, at: datetime, actor: Actor = Actor()
) -> list[JournalEvent]:
    """The events that turn ``old`` into ``new`` (intents not included; see :func:`commit`).

    Task events come in the new snapshot's task order, then removed tasks, then runs.
    """
    events = []
    if old.tasks is not new.tasks:
        events += _task_events(old.tasks, new.tasks, rev, at, actor)
    if old.runs is not new.runs:
        events += _run_events(old.runs, new.runs, rev, at, actor)
    fields = [file for name, file in _PLAN_FIELDS if getattr(old, name) != getattr(new, name)]
    if fields:
        events.append(
            JournalEvent(
                rev=rev, at=at, kind="plan_updated", actor=actor, details={"fields": fields}
            )
        )
    return events


def _intent_event(intent: Intent, rev: int, at: datetime, actor: Actor) -> JournalEvent:
    return JournalEvent(
        rev=rev, at=at, kind=intent.kind, actor=actor, task=intent.task, details=intent.details
    )


def commit(
    old: PlanStatus | None, new: PlanStatus, *, actor: Actor, at: datetime
) -> tuple[PlanStatus, tuple[JournalEvent, ...]]:
    """The snapshot to store for a write from ``old`` to ``new``, and the write's events.

    The stored snapshot is ``new`` with ``revision`` one above ``old``'s (``new``'s own plus
    one when ``old`` is ``None``: a status being created or restored) and no intents.

    Args:
        old: the snapshot the write read, or ``None`` for a creation.
        new: the snapshot the change returned (with its intents).
        actor: the writing process; a ``by`` intent supplies the owner.
        at: when the write happens (the store's clock).

    """
    rev = (old.revision if old is not None else new.revision) + 1
    for intent in new.intents:
        if intent.kind == "by" and actor.owner is None:
            owner = intent.details.get("owner")
            if isinstance(owner, str):
                actor = attrs.evolve(actor, owner=owner)
    events = [
        _intent_event(intent, rev, at, actor) for intent in new.intents if intent.kind != "by"
    ]
    if old is None:
        if not events:
            events.append(
                JournalEvent(
                    rev=rev, at=at, kind="created", actor=actor, details={"tasks": len(new.tasks)}
                )
            )
    else:
        events += diff(old, new, rev=rev, at=at, actor=actor)
    if not events:
        events.append(JournalEvent(rev=rev, at=at, kind="updated", actor=actor))
    return attrs.evolve(new, revision=rev, intents=()), tuple(events)


# --------------------------------------------------------------------------- lines of a file


def encode_line(events: Sequence[JournalEvent]) -> str:
    """One journal line (no newline) for the events of one revision (all share rev/at/actor).

    Raises:
        ValueError: ``events`` is empty.

    """
    if not events:
        raise ValueError("a journal line holds the events of one write: none given")
    first = events[0]
    return dumps_line(
        {
            "rev": first.rev,
            "at": format_timestamp(first.at),
            "actor": first.actor.to_json(),
            "events": [event.body() for event in events],
        }
    )


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


_BODY_KEYS = frozenset({"event", "task", "from", "to", "owner", "token"})


def decode_line(text: str | bytes) -> tuple[JournalEvent, ...] | None:
    """The events of one journal line, or ``None`` when it is not one (a torn or foreign line)."""
    try:
        doc = parse(text)
    except CorruptStatus:
        return None
    if not isinstance(doc, dict):
        return None
    rev, at, raw_actor, bodies = (
        _int(doc.get("rev")),
        doc.get("at"),
        doc.get("actor"),
        doc.get("events"),
    )
    if rev is None or not isinstance(at, str) or not isinstance(bodies, list):
        return None
    try:
        moment = parse_timestamp(at)
    except ValueError:
        return None
    actor_doc = raw_actor if isinstance(raw_actor, dict) else {}
    actor = Actor(
        host=_str(actor_doc.get("host")),
        pid=_int(actor_doc.get("pid")),
        owner=_str(actor_doc.get("owner")),
    )
    events = []
    for body in bodies:
        if not isinstance(body, dict) or not isinstance(body.get("event"), str):
            return None
        events.append(
            JournalEvent(
                rev=rev,
                at=moment,
                kind=body["event"],
                actor=actor,
                task=_str(body.get("task")),
                from_state=_str(body.get("from")),
                to_state=_str(body.get("to")),
                owner=_str(body.get("owner")),
                token=_int(body.get("token")),
                details={key: value for key, value in body.items() if key not in _BODY_KEYS},
            )
        )
    return tuple(events)


def read_lines(lines: Iterable[str | bytes], revision: int) -> list[JournalEvent]:
    """The history of a status at ``revision`` from the lines of its journal, in order.

    A write appends its line *before* its snapshot replaces the old one, so a line may
    describe a write that never landed (the writer crashed in between): its ``rev`` is then
    above the stored revision, and the next write appends a line with the same ``rev``. Hence:

    * lines whose ``rev`` is above ``revision`` are ignored (not, or not yet, committed);
    * of several lines with one ``rev``, the last one counts (earlier ones never landed; a
      restored backup's lineage also replaces the revisions it lost);
    * lines that do not parse (a torn last line) are skipped.
    """
    by_rev: dict[int, tuple[JournalEvent, ...]] = {}
    for line in lines:
        events = decode_line(line)
        if events and events[0].rev <= revision:
            by_rev[events[0].rev] = events
    return [event for rev in sorted(by_rev) for event in by_rev[rev]]


def select(
    events: Iterable[JournalEvent], *, since: int = 0, task: str | None = None
) -> list[JournalEvent]:
    """The events after revision ``since`` (about ``task`` when given), in order."""
    return [event for event in events if event.rev > since and (task is None or event.task == task)]


def writes(events: Iterable[JournalEvent]) -> list[tuple[JournalEvent, ...]]:
    """Events grouped by the write (revision) that produced them, in order: one line each."""
    grouped: dict[int, list[JournalEvent]] = {}
    for event in events:
        grouped.setdefault(event.rev, []).append(event)
    return [tuple(group) for _, group in sorted(grouped.items())]
