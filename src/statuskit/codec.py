"""``status.json`` <-> model: the one place that knows the file format.

:func:`decode` takes the parsed JSON value and returns a :class:`~statuskit.PlanStatus`;
:func:`encode` returns a JSON-ready ``dict``. The pair is lossless for every key of the format
and every key it does not know (kept in ``extra``), apart from the normalizations listed in
``docs/file-format.md``:

* timestamps are written as UTC ISO 8601 with milliseconds and ``Z``;
* the ``summary`` is recomputed from the tasks (it is derived data);
* legacy spellings are written in their current form: ``title`` → ``description``,
  ``reason`` → ``skipReason``, a run's ``id`` → ``runId``;
* ``notes: true`` (a bug of the replaced tool: a flag with no text) is dropped;
* ``findingsPath: null`` and ``dependencies: []`` are omitted (absent means the same);
* a numeric ``phase`` is written as a string;
* ``schemaVersion`` is written (the current version);
* ``revision``, ``lastClaimToken``, ``claimToken``, ``reclaimCount`` are omitted when 0 or
  absent (absent means the same).

Whatever :func:`decode` accepts can be written again: unknown values must be JSON values with
finite numbers, nested at most :data:`MAX_NESTING` levels; known integers are at most
:data:`MAX_INTEGER`; timestamps lie where every time zone can show them. :func:`loads` turns
the bytes of a file into a status and fails only with :class:`~statuskit.CorruptStatus`;
:func:`dumps` and :func:`dumps_line` write strict JSON (see :mod:`statuskit._jsontext`).

The hot path (the CLI reads and writes a status on every call) is written by hand against the
field table in :mod:`statuskit._decode`: one pass over each task's keys, every problem named by
its JSON path.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from statuskit._decode import MAX_INTEGER, decode
from statuskit._jsontext import MAX_NESTING, dumps_line, parse, render
from statuskit._timestamps import format_timestamp, parse_timestamp
from statuskit.errors import CorruptStatus, SchemaTooNew
from statuskit.model import (
    SCHEMA_VERSION,
    PlanStatus,
    Run,
    Summary,
    Task,
    TaskState,
    summarize,
)

__all__ = [
    "MAX_INTEGER",
    "MAX_NESTING",
    "decode",
    "dumps",
    "dumps_line",
    "encode",
    "encode_run",
    "encode_summary",
    "encode_task",
    "format_timestamp",
    "loads",
    "parse_timestamp",
]

_STATE_VALUES = {state: state.value for state in TaskState}  # skips the enum descriptor

# --------------------------------------------------------------------------- encoding


def _put_time(out: dict[str, Any], key: str, value: datetime | None) -> None:
    if value is not None:
        out[key] = format_timestamp(value)


def encode_task(task: Task) -> dict[str, Any]:
    """The file's form of one task (the same dict :func:`encode` puts in ``tasks``)."""
    out: dict[str, Any] = {
        "id": task.id,
        "phase": task.phase,
        "description": task.description,
        "status": _STATE_VALUES[task.status],
    }
    _put_time(out, "startedAt", task.started_at)
    _put_time(out, "completedAt", task.completed_at)
    if task.duration_ms is not None:
        out["duration"] = task.duration_ms
    for key, text in (
        ("notes", task.notes),
        ("error", task.error),
        ("skipReason", task.skip_reason),
        ("findingsPath", task.findings_path),
    ):
        if text is not None:
            out[key] = text
    if task.dependencies:
        out["dependencies"] = list(task.dependencies)
    if task.constraints is not None:
        constraints: dict[str, Any] = {"sequential": task.constraints.sequential}
        if task.constraints.group is not None:
            constraints["sequentialGroup"] = task.constraints.group
        if task.constraints.reason is not None:
            constraints["reason"] = task.constraints.reason
        constraints.update(task.constraints.extra)
        out["executionConstraints"] = constraints
    if task.retry_count:
        out["retryCount"] = task.retry_count
    if task.last_error is not None:
        out["lastError"] = task.last_error
    _put_time(out, "lastErrorAt", task.last_error_at)
    if task.owner is not None:
        out["owner"] = task.owner
    if task.token is not None:
        out["claimToken"] = task.token
    _put_time(out, "leaseExpiresAt", task.lease_expires_at)
    _put_time(out, "heartbeatAt", task.heartbeat_at)
    if task.holder is not None:
        holder: dict[str, Any] = {"host": task.holder.host, "pid": task.holder.pid}
        for key, value in task.holder.extra.items():
            holder.setdefault(key, value)
        out["holder"] = holder
    if task.reclaim_count:
        out["reclaimCount"] = task.reclaim_count
    for key, value in task.extra.items():
        out.setdefault(key, value)
    return out


def encode_run(run: Run) -> dict[str, Any]:
    """The file's form of one run."""
    out: dict[str, Any] = {"runId": run.run_id}
    _put_time(out, "startedAt", run.started_at)
    _put_time(out, "completedAt", run.completed_at)
    out["tasksCompleted"] = run.tasks_completed
    out["tasksFailed"] = run.tasks_failed
    for key, value in run.extra.items():
        out.setdefault(key, value)
    return out


def encode_summary(summary: Summary) -> dict[str, int]:
    """The file's form of a summary: ``{totalTasks, pending, in_progress, ...}``."""
    return {
        "totalTasks": summary.total,
        "pending": summary.pending,
        "in_progress": summary.in_progress,
        "completed": summary.completed,
        "failed": summary.failed,
        "skipped": summary.skipped,
    }


def encode(status: PlanStatus) -> dict[str, Any]:
    """The JSON-ready ``dict`` for a :class:`~statuskit.PlanStatus`, summary recomputed.

    Raises:
        SchemaTooNew: the status came from a file of a newer schema version, which this
            statuskit must not overwrite.

    """
    if status.schema_version > SCHEMA_VERSION:
        raise SchemaTooNew(status.schema_version, SCHEMA_VERSION)
    out: dict[str, Any] = {}
    extra = dict(status.extra)
    summary_extra = extra.pop("summary", None)
    for key, value in extra.items():
        out[key] = value
    out["schemaVersion"] = SCHEMA_VERSION
    # Absent means 0: a file nobody wrote since revisions exist keeps its exact shape.
    if status.revision:
        out["revision"] = status.revision
    if status.last_token:
        out["lastClaimToken"] = status.last_token
    out["planPath"] = status.plan_path
    out["planName"] = status.plan_name
    out["createdAt"] = format_timestamp(status.created_at) if status.created_at else None
    out["lastUpdatedAt"] = (
        format_timestamp(status.last_updated_at) if status.last_updated_at else None
    )
    out["currentPhase"] = status.current_phase
    out["tasks"] = [encode_task(task) for task in status.tasks]
    out["runs"] = [encode_run(run) for run in status.runs]
    summary: dict[str, Any] = encode_summary(summarize(status.tasks))
    if isinstance(summary_extra, Mapping):
        for key, value in summary_extra.items():
            summary.setdefault(key, value)
    out["summary"] = summary
    return out


def dumps(status: PlanStatus, *, indent: int | str | None = "lines") -> str:
    """Serialize a status to strict JSON text (ending with a newline).

    The text never holds ``NaN``/``Infinity``, nor a raw character ``str.splitlines`` breaks
    a line on (U+0085, U+2028, U+2029 are escaped), nor a lone surrogate, so it is valid
    UTF-8 and line-oriented tools see the layout below.

    Args:
        status: the status to write.
        indent: ``"lines"`` (the default) puts every task and run on a line of its own —
            readable, diff-friendly, and produced by the C encoder; ``None`` writes one
            compact line; an integer indents fully like ``json.dumps(indent=...)``, which is
            several times slower on large plans (Python's pure-Python encoder).

    Raises:
        SchemaTooNew: see :func:`encode`.
        ValueError: a value built in Python (not decoded) holds a non-finite number.

    """
    return render(encode(status), indent)


def loads(raw: bytes | str, *, origin: str | None = None) -> PlanStatus:
    """Read a status from the text of a file: :func:`decode` of strict JSON.

    Args:
        raw: the file's bytes (UTF-8) or text.
        origin: the file it came from, named in the error.

    Raises:
        CorruptStatus: whatever is wrong — not UTF-8, not JSON, ``NaN``, nesting or numbers
            too large, the wrong shape — and nothing else.

    """
    try:
        return decode(parse(raw))
    except CorruptStatus as exc:
        if origin is None:
            raise
        raise exc.with_file(origin, exc.backups) from None
