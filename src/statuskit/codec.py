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
* ``schemaVersion`` is written (the current version).

The hot path (the CLI reads and writes a status on every call) is written by hand against the
field table below: one pass over each task's keys, every problem named by its JSON path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from statuskit.errors import CorruptStatus, SchemaTooNew
from statuskit.model import (
    SCHEMA_VERSION,
    ExecutionConstraints,
    PlanStatus,
    Run,
    Summary,
    Task,
    TaskState,
)
from statuskit.summary import summarize

__all__ = [
    "decode",
    "dumps",
    "encode",
    "encode_run",
    "encode_summary",
    "encode_task",
    "format_timestamp",
    "parse_timestamp",
]

_UTC = timezone.utc
_STATES = {state.value: state for state in TaskState}
_STATE_VALUES = {state: state.value for state in TaskState}  # skips the enum descriptor
_TIMESTAMP = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d+))?)?"
    r"(Z|z|[+-]\d\d:?\d\d)?"
)


# --------------------------------------------------------------------------- timestamps


def parse_timestamp(text: str) -> datetime:
    """Parse an ISO 8601 timestamp into an aware datetime.

    Any UTC offset is accepted (``Z``, ``+00:00``, ``-06:00``); a value without one is taken
    as UTC. Fractions beyond microseconds are truncated.

    Raises:
        ValueError: the text is not a date and time.

    """
    if len(text) == 24 and text[23] == "Z" and text[10] == "T" and text[19] == ".":
        # The canonical form statuskit writes: the C parser, ~10x faster than the regex.
        try:
            return datetime.fromisoformat(text[:23]).replace(tzinfo=_UTC)
        except ValueError:
            pass
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        raise ValueError(f"not an ISO 8601 timestamp: {text!r}")
    year, month, day, hour, minute, second, frac, offset = match.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    tz = _UTC
    if offset and offset not in ("Z", "z"):
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        tz = timezone(sign * delta) if delta else _UTC
    return datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, tz
    )


def format_timestamp(moment: datetime) -> str:
    """Format an aware datetime as UTC ISO 8601 with milliseconds: ``2025-12-25T02:58:33.338Z``.

    Raises:
        ValueError: the datetime is naive (statuskit never guesses a time zone when writing).

    """
    if moment.tzinfo is None:
        raise ValueError("naive datetime: statuskit only writes timezone-aware times")
    utc = moment.astimezone(_UTC)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:"
        f"{utc.second:02d}.{utc.microsecond // 1000:03d}Z"
    )


# --------------------------------------------------------------------------- decoding


class _Problems:
    """Collects every problem of a document so that one error can list them all."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, where: str, reason: str) -> None:
        self.items.append((where, reason))

    def raise_if_any(self) -> None:
        if self.items:
            where, reason = self.items[0]
            raise CorruptStatus(reason, json_path=where, problems=self.items)


def _describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object" if isinstance(value, dict) else type(value).__name__


# The helpers take the JSON path of the containing object and the key separately: the full
# path is only built when there is a problem to report (decoding is on every command's path).


def _str(value: object, where: str, key: str, problems: _Problems) -> str | None:
    if value is None or type(value) is str:
        return value
    if isinstance(value, str):
        return str(value)
    problems.add(f"{where}.{key}", f"expected a string, found {_describe(value)}")
    return None


def _int(value: object, where: str, key: str, problems: _Problems) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer() and value >= 0:
            return int(value)
        problems.add(f"{where}.{key}", f"expected an integer, found {_describe(value)}")
        return None
    if value < 0:
        problems.add(f"{where}.{key}", f"expected a non-negative integer, found {value}")
        return None
    return value


def _time(value: object, where: str, key: str, problems: _Problems) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        problems.add(f"{where}.{key}", f"expected a timestamp string, found {_describe(value)}")
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        problems.add(f"{where}.{key}", f"expected an ISO 8601 timestamp, found {value!r}")
        return None


def _constraints(value: object, where: str, problems: _Problems) -> ExecutionConstraints | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.add(where, f"expected an object, found {_describe(value)}")
        return None
    extra = {}
    sequential = False
    group = reason = None
    for key, item in value.items():
        if key == "sequential":
            if isinstance(item, bool):
                sequential = item
            else:
                problems.add(f"{where}.sequential", f"expected a boolean, found {_describe(item)}")
        elif key == "sequentialGroup":
            group = _str(item, where, "sequentialGroup", problems)
        elif key == "reason":
            reason = _str(item, where, "reason", problems)
        else:
            extra[key] = item
    return ExecutionConstraints(sequential=sequential, group=group, reason=reason, extra=extra)


def _dependencies(value: object, where: str, problems: _Problems) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.add(where, f"expected an array of task ids, found {_describe(value)}")
        return ()
    deps = []
    for index, item in enumerate(value):
        if isinstance(item, str):
            deps.append(item)
        else:
            problems.add(f"{where}[{index}]", f"expected a task id string, found {_describe(item)}")
    return tuple(deps)


# key in the file -> (Task attribute, kind). One pass over each task's keys looks every key up
# once; keys not in this table go to ``extra``.
_STR, _TIME, _INT, _DEPS, _CONSTRAINTS, _STATUS = range(6)
_TASK_FIELDS: dict[str, tuple[str, int]] = {
    "id": ("id", _STR),
    "description": ("description", _STR),
    "phase": ("phase", _STR),
    "status": ("status", _STATUS),
    "startedAt": ("started_at", _TIME),
    "completedAt": ("completed_at", _TIME),
    "duration": ("duration_ms", _INT),
    "notes": ("notes", _STR),
    "error": ("error", _STR),
    "skipReason": ("skip_reason", _STR),
    "findingsPath": ("findings_path", _STR),
    "dependencies": ("dependencies", _DEPS),
    "executionConstraints": ("constraints", _CONSTRAINTS),
    "retryCount": ("retry_count", _INT),
    "lastError": ("last_error", _STR),
    "lastErrorAt": ("last_error_at", _TIME),
    "owner": ("owner", _STR),
}


def _legacy_task_keys(obj: dict[str, Any], fields: dict[str, Any], extra: dict[str, Any]) -> None:
    """Read the spellings of the replaced tool; keep them as unknown keys when both exist."""
    if "title" in extra and "description" not in fields and "description" not in obj:
        fields["description"] = extra.pop("title")
    if "reason" in extra and "skip_reason" not in fields and "skipReason" not in obj:
        fields["skip_reason"] = extra.pop("reason")


def _task(obj: object, where: str, problems: _Problems) -> Task | None:
    if not isinstance(obj, dict):
        problems.add(where, f"expected a task object, found {_describe(obj)}")
        return None
    count = len(problems.items)
    fields: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in obj.items():
        spec = _TASK_FIELDS.get(key)
        if spec is None:
            extra[key] = value
            continue
        name, kind = spec
        if value is None:
            continue
        if kind == _STR:
            if type(value) is str:
                fields[name] = value
            elif key == "notes" and isinstance(value, bool):
                pass  # legacy: `--notes` without a value stored `true`
            elif key == "phase" and type(value) is int:
                fields[name] = str(value)  # a bare number: written back as a string
            else:
                fields[name] = _str(value, where, key, problems)
        elif kind == _TIME:
            fields[name] = _time(value, where, key, problems)
        elif kind == _STATUS:
            state = _STATES.get(value) if isinstance(value, str) else None
            if state is None:
                problems.add(
                    f"{where}.status",
                    f"unknown status {value!r} (expected one of: {', '.join(_STATES)})",
                )
            else:
                fields[name] = state
        elif kind == _INT:
            fields[name] = _int(value, where, key, problems)
        elif kind == _DEPS:
            fields[name] = _dependencies(value, f"{where}.{key}", problems)
        else:
            fields[name] = _constraints(value, f"{where}.{key}", problems)
    if "title" in extra or "reason" in extra:
        _legacy_task_keys(obj, fields, extra)
    task_id = fields.get("id")
    if not task_id:
        problems.add(
            f"{where}.id", f"expected a non-empty task id, found {_describe(obj.get('id'))}"
        )
    if len(problems.items) != count:
        return None
    fields["extra"] = extra
    return Task(**fields)


_RUN_KEYS = frozenset({"runId", "id", "startedAt", "completedAt", "tasksCompleted", "tasksFailed"})


def _run(obj: object, where: str, problems: _Problems) -> Run | None:
    if not isinstance(obj, dict):
        problems.add(where, f"expected a run object, found {_describe(obj)}")
        return None
    count = len(problems.items)
    extra = {key: value for key, value in obj.items() if key not in _RUN_KEYS}
    run_id = obj.get("runId")
    if run_id is None:
        run_id = obj.get("id")
    elif "id" in obj:
        extra["id"] = obj["id"]
    if not isinstance(run_id, str) or not run_id:
        problems.add(f"{where}.runId", f"expected a run id string, found {_describe(run_id)}")
    run = Run(
        run_id=run_id if isinstance(run_id, str) else "",
        started_at=_time(obj.get("startedAt"), where, "startedAt", problems),
        completed_at=_time(obj.get("completedAt"), where, "completedAt", problems),
        tasks_completed=_int(obj.get("tasksCompleted"), where, "tasksCompleted", problems) or 0,
        tasks_failed=_int(obj.get("tasksFailed"), where, "tasksFailed", problems) or 0,
        extra=extra,
    )
    return run if len(problems.items) == count else None


_SUMMARY_KEYS = {
    "totalTasks": "total",
    "pending": "pending",
    "in_progress": "in_progress",
    "completed": "completed",
    "failed": "failed",
    "skipped": "skipped",
}


def _summary(obj: object, problems: _Problems) -> tuple[Summary | None, dict[str, Any]]:
    if obj is None:
        return None, {}
    if not isinstance(obj, dict):
        problems.add("$.summary", f"expected an object, found {_describe(obj)}")
        return None, {}
    counts = {}
    extra = {}
    for key, value in obj.items():
        field = _SUMMARY_KEYS.get(key)
        if field is None:
            extra[key] = value
        else:
            counts[field] = _int(value, "$.summary", key, problems) or 0
    return Summary(**counts), extra


_TOP_KEYS = frozenset(
    {
        "planPath",
        "planName",
        "createdAt",
        "lastUpdatedAt",
        "currentPhase",
        "tasks",
        "runs",
        "summary",
        "schemaVersion",
    }
)


def decode(obj: object) -> PlanStatus:
    """Build a :class:`~statuskit.PlanStatus` from a parsed ``status.json`` value.

    Every problem in the document is collected before raising, so the error lists them all.

    Raises:
        CorruptStatus: the value is not a status document; ``json_path`` names the first
            problem (e.g. ``$.tasks[3].status``) and ``problems`` all of them.

    """
    problems = _Problems()
    if not isinstance(obj, dict):
        raise CorruptStatus(f"expected a status object, found {_describe(obj)}", json_path="$")
    version = obj.get("schemaVersion", 0)
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        problems.add("$.schemaVersion", f"expected a non-negative integer, found {version!r}")
        version = 0
    raw_tasks = obj.get("tasks")
    if not isinstance(raw_tasks, list):
        problems.add("$.tasks", f"expected an array of tasks, found {_describe(raw_tasks)}")
        raw_tasks = []
    tasks = [_task(item, f"$.tasks[{index}]", problems) for index, item in enumerate(raw_tasks)]
    raw_runs = obj.get("runs", [])
    if raw_runs is None:
        raw_runs = []
    if not isinstance(raw_runs, list):
        problems.add("$.runs", f"expected an array of runs, found {_describe(raw_runs)}")
        raw_runs = []
    runs = [_run(item, f"$.runs[{index}]", problems) for index, item in enumerate(raw_runs)]
    stored_summary, summary_extra = _summary(obj.get("summary"), problems)
    extra = {key: value for key, value in obj.items() if key not in _TOP_KEYS}
    if summary_extra:
        extra["summary"] = summary_extra
    status = PlanStatus(
        tasks=tuple(task for task in tasks if task is not None),
        runs=tuple(run for run in runs if run is not None),
        plan_path=_str(obj.get("planPath"), "$", "planPath", problems),
        plan_name=_str(obj.get("planName"), "$", "planName", problems),
        created_at=_time(obj.get("createdAt"), "$", "createdAt", problems),
        last_updated_at=_time(obj.get("lastUpdatedAt"), "$", "lastUpdatedAt", problems),
        current_phase=_str(obj.get("currentPhase"), "$", "currentPhase", problems),
        schema_version=version,
        stored_summary=stored_summary,
        extra=extra,
    )
    problems.raise_if_any()
    return status


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


def _compact_encoder() -> Callable[[object], str]:
    """One-line JSON for a value; CPython's C encoder directly when it is there.

    ``json.dumps`` builds a new C encoder on every call, which costs as much as encoding a
    task; building it once makes the one-task-per-line layout as fast as a compact dump.
    """
    from json import encoder  # noqa: PLC0415

    make = getattr(encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - PyPy and other implementations
        return json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
    c_encode = make(None, None, encoder.encode_basestring, None, ": ", ", ", False, False, True)
    return lambda value: "".join(c_encode(value, 0))


def dumps(status: PlanStatus, *, indent: int | str | None = "lines") -> str:
    """Serialize a status to JSON text (ending with a newline).

    Args:
        status: the status to write.
        indent: ``"lines"`` (the default) puts every task and run on a line of its own —
            readable, diff-friendly, and produced by the C encoder; ``None`` writes one
            compact line; an integer indents fully like ``json.dumps(indent=...)``, which is
            several times slower on large plans (Python's pure-Python encoder).

    """
    doc = encode(status)
    if indent != "lines":
        return json.dumps(doc, indent=indent, ensure_ascii=False) + "\n"
    compact = _compact_encoder()
    parts = []
    for key, value in doc.items():
        if key in ("tasks", "runs") and value:
            rows = ",\n    ".join(compact(item) for item in value)
            parts.append(f"  {compact(key)}: [\n    {rows}\n  ]")
        else:
            parts.append(f"  {compact(key)}: {compact(value)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"
