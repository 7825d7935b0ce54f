"""Decoding a parsed ``status.json`` value into the model (see :mod:`statuskit.codec`).

Written by hand against one field table: one pass over each task's keys, every problem named
by its JSON path, unknown keys kept in ``extra`` — and refused when they could not be written
back (not JSON, non-finite numbers, nested deeper than :data:`~statuskit.codec.MAX_NESTING`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from statuskit._jsontext import SCALARS, excerpt, unwritable
from statuskit._timestamps import parse_timestamp
from statuskit.errors import CorruptStatus
from statuskit.model import (
    ExecutionConstraints,
    Holder,
    PlanStatus,
    Run,
    Summary,
    Task,
    TaskState,
)

__all__ = ["MAX_INTEGER", "decode"]

#: The largest integer a known key (``duration``, ``retryCount``, counts) may hold: 2^53 - 1,
#: the largest every JSON reader keeps exactly, and far inside ``timedelta``'s range.
MAX_INTEGER = 2**53 - 1

_STATES = {state.value: state for state in TaskState}

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
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or (isinstance(value, float) and not value.is_integer())  # 5.0 is read as 5
    ):
        problems.add(f"{where}.{key}", f"expected an integer, found {_describe(value)}")
        return None
    if 0 <= value <= MAX_INTEGER:
        return int(value)
    # Never str() a huge int: it may exceed the interpreter's digit limit.
    if value > MAX_INTEGER:
        shown = "a number above it"
    elif value < -MAX_INTEGER:
        shown = "a number below -(2^53 - 1)"
    else:
        shown = f"{value:.0f}"
    problems.add(
        f"{where}.{key}", f"expected an integer from 0 to 2^53 - 1 ({MAX_INTEGER}), found {shown}"
    )
    return None


def _time(value: object, where: str, key: str, problems: _Problems) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        problems.add(f"{where}.{key}", f"expected a timestamp string, found {_describe(value)}")
        return None
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        problems.add(f"{where}.{key}", str(exc))
        return None


def _check_unknown(extra: Mapping[str, Any], where: str, level: int, problems: _Problems) -> None:
    """Unknown values are written back verbatim, so each must be writable JSON.

    ``level`` is the nesting level of the object that holds them (the document is 1).
    """
    for key, value in extra.items():
        if type(value) in SCALARS:
            continue
        found = unwritable(value, level + 1)
        if found is not None:
            problems.add(f"{where}.{key}{found[0]}", found[1])


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
    if extra:
        _check_unknown(extra, where, 4, problems)  # $ > tasks > task > constraints
    return ExecutionConstraints(sequential=sequential, group=group, reason=reason, extra=extra)


def _holder(value: object, where: str, problems: _Problems) -> Holder | None:
    if not isinstance(value, dict):
        problems.add(where, f"expected an object {{host, pid}}, found {_describe(value)}")
        return None
    count = len(problems.items)
    host = value.get("host")
    if not isinstance(host, str) or not host:
        problems.add(f"{where}.host", f"expected a host name, found {_describe(host)}")
    pid = _int(value.get("pid"), where, "pid", problems)
    if value.get("pid") is None:
        problems.add(f"{where}.pid", "expected a process id, found none")
    extra = {key: item for key, item in value.items() if key not in ("host", "pid")}
    if extra:
        _check_unknown(extra, where, 4, problems)  # $ > tasks > task > holder
    if len(problems.items) != count or pid is None or not isinstance(host, str):
        return None
    return Holder(host=host, pid=pid, extra=extra)


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
_STR, _TIME, _INT, _DEPS, _CONSTRAINTS, _STATUS, _HOLDER = range(7)
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
    "claimToken": ("token", _INT),
    "leaseExpiresAt": ("lease_expires_at", _TIME),
    "heartbeatAt": ("heartbeat_at", _TIME),
    "holder": ("holder", _HOLDER),
    "reclaimCount": ("reclaim_count", _INT),
}


def _legacy_task_keys(
    obj: dict[str, Any],
    fields: dict[str, Any],
    extra: dict[str, Any],
    where: str,
    problems: _Problems,
) -> None:
    """Read the spellings of the replaced tool; keep them as unknown keys when both exist."""
    if "title" in extra and "description" not in fields and "description" not in obj:
        fields["description"] = _str(extra.pop("title"), where, "title", problems) or ""
    if "reason" in extra and "skip_reason" not in fields and "skipReason" not in obj:
        fields["skip_reason"] = _str(extra.pop("reason"), where, "reason", problems)


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
                shown = excerpt(value) if isinstance(value, str) else _describe(value)
                problems.add(
                    f"{where}.status",
                    f"unknown status {shown} (expected one of: {', '.join(_STATES)})",
                )
            else:
                fields[name] = state
        elif kind == _INT:
            fields[name] = _int(value, where, key, problems)
        elif kind == _DEPS:
            fields[name] = _dependencies(value, f"{where}.{key}", problems)
        elif kind == _HOLDER:
            fields[name] = _holder(value, f"{where}.{key}", problems)
        else:
            fields[name] = _constraints(value, f"{where}.{key}", problems)
    if "title" in extra or "reason" in extra:
        _legacy_task_keys(obj, fields, extra, where, problems)
    if extra:
        _check_unknown(extra, where, 3, problems)  # $ > tasks > task
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
    if extra:
        _check_unknown(extra, where, 3, problems)  # $ > runs > run
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
    if extra:
        _check_unknown(extra, "$.summary", 2, problems)
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
        "revision",
        "lastClaimToken",
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
    version = _int(obj.get("schemaVersion"), "$", "schemaVersion", problems) or 0
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
    if extra:
        _check_unknown(extra, "$", 1, problems)
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
        revision=_int(obj.get("revision"), "$", "revision", problems) or 0,
        last_token=_int(obj.get("lastClaimToken"), "$", "lastClaimToken", problems) or 0,
        extra=extra,
    )
    problems.raise_if_any()
    return status
