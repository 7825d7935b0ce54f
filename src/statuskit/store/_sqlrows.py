"""Rows <-> model for the SQL stores: the row documents, the diff, the counts. No I/O.

A task row's document is the task exactly as ``status.json`` holds it
(:func:`statuskit.codec.encode_task` as compact JSON, key order kept, unknown keys included);
the plan row's is the top level without ``tasks``, ``runs`` and the summary counts, which are
derived (counted from the rows). The diff compares a new snapshot with the one that was read:
a row object that is the very same (transitions reuse untouched tasks) is skipped without
encoding; any other is encoded and compared with the stored text, so only rows that differ
are written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone
from typing import Any, NamedTuple

import attrs

from statuskit.codec import decode, encode, encode_run, encode_task, format_timestamp
from statuskit.errors import CorruptStatus
from statuskit.model import PlanStatus, Run, Summary, Task, TaskState

__all__ = [
    "Corrupt",
    "PlanRow",
    "Snapshot",
    "Writes",
    "counts",
    "decode_rows",
    "diff",
    "duplicate_ids",
    "now_text",
    "patch",
    "plan_text",
    "run_text",
    "task_text",
]

_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_COUNT_KEYS = frozenset({"totalTasks", "pending", "in_progress", "completed", "failed", "skipped"})
_STATES = {state.value: state for state in TaskState}
_POSITION = re.compile(r"^\$\.(tasks|runs)\[(\d+)\]")

#: Builds the error for a plan whose rows cannot be decoded: ``(reason, json_path, **extra)``.
Corrupt = Callable[..., CorruptStatus]


def task_text(task: Task) -> str:
    """A task row's document: the task as ``status.json`` holds it, compact."""
    return _encoder.encode(encode_task(task))


def run_text(run: Run) -> str:
    """A run row's document."""
    return _encoder.encode(encode_run(run))


def plan_text(status: PlanStatus) -> str:
    """The plan row's document: the top level without tasks, runs and summary counts.

    Raises:
        SchemaTooNew: the status came from a newer statuskit.

    """
    doc = encode(attrs.evolve(status, tasks=(), runs=()))
    del doc["tasks"], doc["runs"]
    extra = {k: v for k, v in doc.pop("summary").items() if k not in _COUNT_KEYS}
    if extra:  # unknown keys of the file's summary object are kept, counts are not
        doc["summary"] = extra
    return _encoder.encode(doc)


def now_text() -> str:
    """The current UTC time as the format writes it."""
    return format_timestamp(datetime.now(timezone.utc))


@attrs.frozen
class Snapshot:
    """A plan as last read or written by this store, with the stored text of each row."""

    incarnation: str
    seq: int
    status: PlanStatus
    plan_text: str
    task_texts: tuple[str, ...]
    run_texts: tuple[str, ...]


class PlanRow(NamedTuple):
    """The plan row: what a read or a write needs to know before touching task rows."""

    incarnation: str
    seq: int
    task_count: int
    run_count: int
    duplicates: str
    """The ids that name more than one task, as a JSON list (see :func:`duplicate_ids`)."""
    doc: str


def duplicate_ids(tasks: Iterable[Task]) -> str:
    """Ids naming more than one task, in plan order, as the plan row's JSON list.

    Kept in the plan row so that an operation on one task can know it without reading them
    all; exact, because every write that can change ids writes it from the whole snapshot
    (a change of a view may not change ids).
    """
    seen: set[str] = set()
    twice: dict[str, None] = {}
    for task in tasks:
        if task.id in seen:
            twice[task.id] = None
        seen.add(task.id)
    return _encoder.encode(list(twice))


@attrs.frozen
class Writes:
    """The rows one change alters (positions are plan positions)."""

    tasks: list[tuple[int, str, str, str]]  # position, id, status, doc
    runs: list[tuple[int, str, str]]  # position, run id, doc
    task_count: int
    run_count: int
    duplicates: str
    plan_text: str
    task_cut: int | None = None  # delete task rows from this position on
    run_cut: int | None = None

    @property
    def empty(self) -> bool:
        """No row to write (the plan row may still differ)."""
        return not self.tasks and not self.runs and self.task_cut is None and self.run_cut is None


def _diff_rows(
    old: Sequence[Any], old_texts: Sequence[str], new: Sequence[Any], text: Any
) -> tuple[list[tuple[int, Any, str]], list[str]]:
    """Rows of ``new`` that differ from ``old`` by position, and the texts of all of ``new``."""
    changed = []
    texts = list(old_texts[: len(new)])
    for position, item in enumerate(new):
        if position < len(old) and item is old[position]:
            continue  # the very same object: unchanged, not even encoded
        encoded = text(item)
        if position < len(old) and encoded == old_texts[position]:
            continue
        if position < len(texts):
            texts[position] = encoded
        else:
            texts.append(encoded)
        changed.append((position, item, encoded))
    return changed, texts


def diff(old: Snapshot, new: PlanStatus) -> tuple[Writes, tuple[str, ...], tuple[str, ...]]:
    """The rows ``new`` changes against ``old``, and the stored texts of ``new``'s rows."""
    tasks, task_texts = _diff_rows(old.status.tasks, old.task_texts, new.tasks, task_text)
    runs, run_texts = _diff_rows(old.status.runs, old.run_texts, new.runs, run_text)
    writes = Writes(
        tasks=[(p, t.id, t.status.value, doc) for p, t, doc in tasks],
        runs=[(p, r.run_id, doc) for p, r, doc in runs],
        task_count=len(new.tasks),
        run_count=len(new.runs),
        duplicates=duplicate_ids(new.tasks),
        plan_text=plan_text(new),
        task_cut=len(new.tasks) if len(new.tasks) < len(old.status.tasks) else None,
        run_cut=len(new.runs) if len(new.runs) < len(old.status.runs) else None,
    )
    return writes, tuple(task_texts), tuple(run_texts)


def counts(rows: Iterable[tuple[str, int]]) -> Summary:
    """A summary from ``(status, count)`` rows (a ``GROUP BY status``)."""
    counts = dict.fromkeys(TaskState, 0)
    for state, count in rows:
        known = _STATES.get(state)
        if known is not None:
            counts[known] += int(count)
    return Summary.of(counts)


def patch(
    old: Sequence[Any],
    old_texts: Sequence[str],
    count: int,
    rows: Sequence[tuple[int, str]],
    decoded: Sequence[Any],
) -> tuple[list[Any], list[str]]:
    """The cached rows, cut to ``count``, with the rows written since put in place.

    Every position whose content changed was rewritten with a newer ``seq`` (a shorter
    plan deletes its tail, a longer one writes its new positions), so this is exact.
    """
    items: list[Any] = list(old[:count])
    texts = list(old_texts[:count])
    items += [None] * (count - len(items))
    texts += [""] * (count - len(texts))
    for (position, text), item in zip(rows, decoded, strict=True):
        if position >= count:
            continue  # not part of the plan (reported as a count mismatch if it matters)
        items[position] = item
        texts[position] = text
    return items, texts


def _parse(text: object, where: str, corrupt: Corrupt) -> Any:
    if not isinstance(text, (str, bytes)):
        raise corrupt(f"the row of {where} holds {type(text).__name__}, not JSON", where)
    try:
        return json.loads(text)
    except ValueError as exc:
        raise corrupt(f"the row of {where} is not JSON ({exc})", where) from None


def decode_rows(
    plan_doc: object,
    tasks: Sequence[tuple[int, object]],
    runs: Sequence[tuple[int, object]],
    corrupt: Corrupt,
) -> PlanStatus:
    """The plan row's document and ``(position, doc)`` rows -> a status (no stored summary).

    Problems are raised through ``corrupt(reason, json_path, problems=...)``, with the JSON
    paths naming plan positions (``$.tasks[412].status``), not places in the list given.
    """
    top = _parse(plan_doc, "$", corrupt)
    if not isinstance(top, dict):
        raise corrupt("the plan row is not a JSON object", "$")
    top["tasks"] = [_parse(doc, f"$.tasks[{p}]", corrupt) for p, doc in tasks]
    top["runs"] = [_parse(doc, f"$.runs[{p}]", corrupt) for p, doc in runs]
    positions = {"tasks": [p for p, _ in tasks], "runs": [p for p, _ in runs]}

    def real(path: str) -> str:
        match = _POSITION.match(path)
        if match is None:
            return path
        kind, index = match.group(1), int(match.group(2))
        return f"$.{kind}[{positions[kind][index]}]" + path[match.end() :]

    try:
        status = decode(top)
    except CorruptStatus as exc:
        problems = [(real(where), why) for where, why in exc.problems]
        raise corrupt(exc.reason, real(exc.json_path or "$"), problems=problems) from None
    return attrs.evolve(status, stored_summary=None)
