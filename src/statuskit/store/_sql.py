"""What the SQL backends share: the tables, rows <-> model, the snapshot cache, the diff.

A backend subclasses :class:`SqlStore` and supplies transactions (``_reading``,
``_writing``), its DDL and its error mapping; everything about *what* is stored lives here,
once, so SQLite and PostgreSQL store the same rows.

The tables (``statuskit_`` prefix, so they can share a database with an application)::

    statuskit_schema   (version, applied_at)              one row per applied migration
    statuskit_plans    (plan_key, incarnation, seq, task_count, run_count, doc, updated_at)
    statuskit_tasks    (plan_key, position, id, status, seq, doc)    key (plan_key, position)
    statuskit_runs     (plan_key, position, run_id, seq, doc)        key (plan_key, position)
    statuskit_findings (plan_key, task_id, text, written_at)         key (plan_key, task_id)

Why they look like this:

* **Lossless through the codec.** A task row's ``doc`` is the task exactly as
  ``status.json`` holds it (:func:`statuskit.codec.encode_task` as compact JSON, key order
  kept), unknown keys included; the plan row's ``doc`` is the top level without ``tasks``,
  ``runs`` and the summary counts (derived: counted from the rows). Fields the model gains
  later (leases, a revision, a fencing-token counter) flow through these documents with no
  schema change. ``id`` and ``status`` are columns derived from the document, for lookups
  and counts; they are written together with it.
* **Rows by position.** Tasks keep plan order, duplicates included, as in the file.
* **Writes cost what they change.** An update diffs the new snapshot against the one it
  read: a task object that is the very same (transitions reuse untouched tasks) is skipped
  without encoding, any other is encoded and compared with the stored text. Only rows that
  differ are written; a change that alters nothing writes nothing.
* **Reads cost what changed.** Every write bumps the plan's ``seq`` and stamps the rows it
  wrote with it. A store keeps the last snapshot it saw; the next read fetches only rows
  with a newer ``seq`` (and truncates to ``task_count``), so a long-lived process (the
  orchestrator) does not decode 10,000 tasks per update. ``incarnation`` (random, set at
  creation) tells a re-created plan from the one that was cached.
* **Operations on named tasks** (:class:`~statuskit.store.base.TaskScoped`) read those rows
  and the counts only: a one-task command costs the same on 100 tasks and on 10,000.

Later work plugs in here: the journal is one more table written by ``_commit`` in the same
transaction, from the same old/new pair the diff uses.
"""

from __future__ import annotations

import abc
import json
import os
import re
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timezone
from typing import Any, ClassVar, Protocol

import attrs

from statuskit.codec import decode, encode, encode_run, encode_task, format_timestamp
from statuskit.errors import (
    CorruptStatus,
    FindingsNotFound,
    SchemaTooNew,
    StatusExists,
    StatusMissing,
    StoreNotSupported,
    TaskNotFound,
)
from statuskit.ids import check_task_id, closest_ids, findings_file_name
from statuskit.model import SCHEMA_VERSION, PlanStatus, Run, Summary, Task, TaskState
from statuskit.store.base import Change, ClosingMixin, PlanEntry, TaskView

__all__ = ["Cursor", "SqlStore", "plan_text", "run_text", "task_text"]

_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_COUNT_KEYS = frozenset({"totalTasks", "pending", "in_progress", "completed", "failed", "skipped"})
_STATES = {state.value: state for state in TaskState}
_POSITION = re.compile(r"^\$\.(tasks|runs)\[(\d+)\]")


class Cursor(Protocol):
    """The part of a DB-API cursor the shared code uses (sqlite3 and psycopg both have it)."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Any: ...
    def executemany(self, sql: str, seq: Iterable[Sequence[Any]], /) -> Any: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


# --------------------------------------------------------------------------- rows


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


def _now_text() -> str:
    return format_timestamp(datetime.now(timezone.utc))


@attrs.frozen
class _Snapshot:
    """A plan as last read or written by this store, with the stored text of each row."""

    incarnation: str
    seq: int
    status: PlanStatus
    plan_text: str
    task_texts: tuple[str, ...]
    run_texts: tuple[str, ...]


@attrs.frozen
class _Writes:
    """The rows one change alters (positions are plan positions)."""

    tasks: list[tuple[int, str, str, str]]  # position, id, status, doc
    runs: list[tuple[int, str, str]]  # position, run id, doc
    task_count: int
    run_count: int
    plan_text: str
    task_cut: int | None = None  # delete task rows from this position on
    run_cut: int | None = None

    @property
    def empty(self) -> bool:
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


def _diff(old: _Snapshot, new: PlanStatus) -> tuple[_Writes, tuple[str, ...], tuple[str, ...]]:
    tasks, task_texts = _diff_rows(old.status.tasks, old.task_texts, new.tasks, task_text)
    runs, run_texts = _diff_rows(old.status.runs, old.run_texts, new.runs, run_text)
    writes = _Writes(
        tasks=[(p, t.id, t.status.value, doc) for p, t, doc in tasks],
        runs=[(p, r.run_id, doc) for p, r, doc in runs],
        task_count=len(new.tasks),
        run_count=len(new.runs),
        plan_text=plan_text(new),
        task_cut=len(new.tasks) if len(new.tasks) < len(old.status.tasks) else None,
        run_cut=len(new.runs) if len(new.runs) < len(old.status.runs) else None,
    )
    return writes, tuple(task_texts), tuple(run_texts)


def _counts(rows: Iterable[tuple[str, int]]) -> Summary:
    counts = dict.fromkeys(TaskState, 0)
    for state, count in rows:
        known = _STATES.get(state)
        if known is not None:
            counts[known] += int(count)
    return Summary(
        total=sum(counts.values()),
        pending=counts[TaskState.PENDING],
        in_progress=counts[TaskState.IN_PROGRESS],
        completed=counts[TaskState.COMPLETED],
        failed=counts[TaskState.FAILED],
        skipped=counts[TaskState.SKIPPED],
    )


# --------------------------------------------------------------------------- the store


class SqlStore(ClosingMixin, abc.ABC):
    """The logic of a SQL backend; subclasses supply connections and transactions.

    Args:
        plan: the plan key; ``None`` opens the database for :meth:`plans` only.

    """

    #: Table names (a backend may put them in a schema of their own).
    PLANS: ClassVar[str] = "statuskit_plans"
    TASKS: ClassVar[str] = "statuskit_tasks"
    RUNS: ClassVar[str] = "statuskit_runs"
    FINDINGS: ClassVar[str] = "statuskit_findings"

    def __init__(self, plan: str | None) -> None:
        if plan is not None:
            check_task_id(plan)
        self.plan = plan
        self._cache: _Snapshot | None = None

    # ------------------------------------------------------------------ for subclasses

    @property
    @abc.abstractmethod
    def url(self) -> str:
        """The database, as a URL without secrets."""

    @abc.abstractmethod
    def _reading(self) -> AbstractContextManager[Cursor]:
        """A read transaction on one consistent snapshot.

        Raises ``StatusMissing`` when the database or its tables do not exist.
        """

    @abc.abstractmethod
    def _writing(self, *, create: bool = False) -> AbstractContextManager[Cursor]:
        """A write transaction, serialized with every other writer of this plan.

        With ``create`` the database and its tables are created when missing.
        """

    def _sql(self, statement: str) -> str:
        """The statement in the driver's parameter style (written here with ``?``)."""
        return statement

    # ------------------------------------------------------------------ identity

    def _key(self) -> str:
        if self.plan is None:
            raise StoreNotSupported(
                self.url,
                "no plan key given: this database holds many plans; choose one "
                "(open_store(..., plan=KEY); the CLI uses the plan file's stem or --plan-key)",
            )
        return self.plan

    @property
    def location(self) -> str:
        """``URL#plan-key``: the database and the plan in it."""
        return self.url if self.plan is None else f"{self.url}#{self.plan}"

    def findings_location(self, task_id: str) -> str:
        """``URL#plan-key/findings/1-2.md`` (the Tracker records ``findings/1-2.md``)."""
        return f"{self.url}#{self._key()}/findings/{findings_file_name(task_id)}"

    # ------------------------------------------------------------------ decoding

    def _corrupt(self, reason: str, json_path: str = "$", **kwargs: Any) -> CorruptStatus:
        """A plan whose rows cannot be decoded (``json_path`` set: the file itself is fine)."""
        return CorruptStatus(
            f"plan {self.plan!r}: {reason}; restore the database from a copy, or rebuild this "
            "plan from its markdown (statuskit validate --repair --rebuild)",
            self.url,
            json_path,
            **kwargs,
        )

    def _parse(self, text: object, where: str) -> Any:
        if not isinstance(text, (str, bytes)):
            raise self._corrupt(f"the row of {where} holds {type(text).__name__}, not JSON", where)
        try:
            return json.loads(text)
        except ValueError as exc:
            raise self._corrupt(f"the row of {where} is not JSON ({exc})", where) from None

    def _decode(
        self,
        plan_doc: object,
        tasks: Sequence[tuple[int, object]] = (),
        runs: Sequence[tuple[int, object]] = (),
    ) -> PlanStatus:
        """Rows -> a status; problems are reported at their plan positions."""
        top = self._parse(plan_doc, "$")
        if not isinstance(top, dict):
            raise self._corrupt("the plan row is not a JSON object", "$")
        top["tasks"] = [self._parse(doc, f"$.tasks[{p}]") for p, doc in tasks]
        top["runs"] = [self._parse(doc, f"$.runs[{p}]") for p, doc in runs]
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
            raise self._corrupt(exc.reason, real(exc.json_path or "$"), problems=problems) from None
        return attrs.evolve(status, stored_summary=None)

    # ------------------------------------------------------------------ reading

    def _plan_row(self, cur: Cursor) -> tuple[str, int, int, int, str]:
        cur.execute(
            self._sql(
                f"SELECT incarnation, seq, task_count, run_count, doc FROM {self.PLANS} "
                "WHERE plan_key = ?"
            ),
            (self._key(),),
        )
        row = cur.fetchone()
        if row is None:
            raise StatusMissing(self.location)
        incarnation, seq, task_count, run_count, doc = row
        return str(incarnation), int(seq), int(task_count), int(run_count), doc

    def _rows(self, cur: Cursor, table: str, since: int | None) -> list[tuple[int, str]]:
        query = f"SELECT position, doc FROM {table} WHERE plan_key = ?"
        params: tuple[Any, ...] = (self._key(),)
        if since is not None:
            query += " AND seq > ?"
            params += (since,)
        cur.execute(self._sql(query + " ORDER BY position"), params)
        return [(int(position), doc) for position, doc in cur.fetchall()]

    def _load(self, cur: Cursor) -> _Snapshot:
        """The plan's snapshot, fetching only the rows changed since the cached one."""
        incarnation, seq, task_count, run_count, doc = self._plan_row(cur)
        cached = self._cache
        if cached is not None and cached.incarnation == incarnation and cached.seq == seq:
            return cached
        since = (
            cached.seq
            if cached is not None and cached.incarnation == incarnation and cached.seq < seq
            else None
        )
        task_rows = self._rows(cur, self.TASKS, since)
        run_rows = self._rows(cur, self.RUNS, since)
        fresh = self._decode(doc, task_rows, run_rows)
        if since is None or cached is None:
            tasks: list[Task] = list(fresh.tasks)
            runs: list[Run] = list(fresh.runs)
            task_texts = [text for _, text in task_rows]
            run_texts = [text for _, text in run_rows]
        else:
            tasks, task_texts = self._patch(
                cached.status.tasks, cached.task_texts, task_count, task_rows, fresh.tasks
            )
            runs, run_texts = self._patch(
                cached.status.runs, cached.run_texts, run_count, run_rows, fresh.runs
            )
        if (
            len(tasks) != task_count
            or len(runs) != run_count
            or any(item is None for item in (*tasks, *runs))
        ):
            raise self._corrupt(
                f"the plan row counts {task_count} tasks and {run_count} runs, the rows "
                f"{len(tasks)} and {len(runs)}"
            )
        status = attrs.evolve(fresh, tasks=tuple(tasks), runs=tuple(runs))
        snapshot = _Snapshot(incarnation, seq, status, doc, tuple(task_texts), tuple(run_texts))
        self._cache = snapshot
        return snapshot

    @staticmethod
    def _patch(
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

    def read(self) -> PlanStatus:
        """The plan's status (a consistent snapshot; no lock, no write)."""
        with self._reading() as cur:
            return self._load(cur).status

    def exists(self) -> bool:
        """Whether the plan is stored (corrupt or not)."""
        try:
            with self._reading() as cur:
                self._plan_row(cur)
        except StatusMissing:
            return False
        except CorruptStatus:
            return True  # something is stored; reading it says what is wrong
        return True

    # ------------------------------------------------------------------ writing

    def _commit(self, cur: Cursor, seq: int, writes: _Writes) -> None:
        """Write the rows of one change, stamped with the plan's new ``seq``."""
        key = self._key()
        cur.execute(
            self._sql(
                f"UPDATE {self.PLANS} SET seq = ?, task_count = ?, run_count = ?, doc = ?, "
                "updated_at = ? WHERE plan_key = ?"
            ),
            (seq, writes.task_count, writes.run_count, writes.plan_text, _now_text(), key),
        )
        if writes.tasks:
            cur.executemany(
                self._sql(
                    f"INSERT INTO {self.TASKS} (plan_key, position, id, status, seq, doc) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (plan_key, position) DO UPDATE SET "
                    "id = excluded.id, status = excluded.status, seq = excluded.seq, "
                    "doc = excluded.doc"
                ),
                [(key, p, i, s, seq, doc) for p, i, s, doc in writes.tasks],
            )
        if writes.runs:
            cur.executemany(
                self._sql(
                    f"INSERT INTO {self.RUNS} (plan_key, position, run_id, seq, doc) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (plan_key, position) DO UPDATE SET "
                    "run_id = excluded.run_id, seq = excluded.seq, doc = excluded.doc"
                ),
                [(key, p, i, seq, doc) for p, i, doc in writes.runs],
            )
        for table, cut in ((self.TASKS, writes.task_cut), (self.RUNS, writes.run_cut)):
            if cut is not None:
                cur.execute(
                    self._sql(f"DELETE FROM {table} WHERE plan_key = ? AND position >= ?"),
                    (key, cut),
                )

    def update(self, change: Change) -> PlanStatus:
        """Apply ``change`` atomically and durably, writing only the rows it changed."""
        with self._writing() as cur:
            old = self._load(cur)
            new = change(old.status)
            if new is old.status:
                return new
            if old.status.schema_version > SCHEMA_VERSION:
                raise SchemaTooNew(old.status.schema_version, SCHEMA_VERSION)
            writes, task_texts, run_texts = _diff(old, new)
            if writes.empty and writes.plan_text == old.plan_text:
                return new
            self._commit(cur, old.seq + 1, writes)
            self._cache = _Snapshot(
                old.incarnation, old.seq + 1, new, writes.plan_text, task_texts, run_texts
            )
            return new

    def _insert(self, cur: Cursor, initial: PlanStatus) -> None:
        key = self._key()
        document = plan_text(initial)
        incarnation = os.urandom(8).hex()
        cur.execute(
            self._sql(
                f"INSERT INTO {self.PLANS} (plan_key, incarnation, seq, task_count, run_count, "
                "doc, updated_at) VALUES (?, ?, 1, ?, ?, ?, ?)"
            ),
            (key, incarnation, len(initial.tasks), len(initial.runs), document, _now_text()),
        )
        cur.executemany(
            self._sql(
                f"INSERT INTO {self.TASKS} (plan_key, position, id, status, seq, doc) "
                "VALUES (?, ?, ?, ?, 1, ?)"
            ),
            [(key, p, t.id, t.status.value, task_text(t)) for p, t in enumerate(initial.tasks)],
        )
        cur.executemany(
            self._sql(
                f"INSERT INTO {self.RUNS} (plan_key, position, run_id, seq, doc) "
                "VALUES (?, ?, ?, 1, ?)"
            ),
            [(key, p, r.run_id, run_text(r)) for p, r in enumerate(initial.runs)],
        )

    def create(self, initial: PlanStatus) -> None:
        """Store ``initial`` under the plan key (the database is created if needed).

        Raises:
            StatusExists: the plan key is taken.

        """
        plan_text(initial)  # SchemaTooNew before anything is created
        with self._writing(create=True) as cur:
            try:
                self._plan_row(cur)
            except StatusMissing:
                self._insert(cur, initial)
                return
            raise StatusExists(self.location)

    # ------------------------------------------------------------------ a few tasks

    def _view(
        self, cur: Cursor, task_ids: Sequence[str]
    ) -> tuple[TaskView, list[int], tuple[str, int, int, int, str]]:
        """The view of ``task_ids``, the plan positions of its tasks, and the plan row."""
        key = self._key()
        plan_row = self._plan_row(cur)
        doc = plan_row[4]
        wanted = list(dict.fromkeys(task_ids))
        marks = ", ".join("?" * len(wanted))
        cur.execute(
            self._sql(
                f"SELECT position, id, doc FROM {self.TASKS} WHERE plan_key = ? AND id IN ({marks})"
            ),
            (key, *wanted),
        )
        # Sorted here: "ORDER BY position" would make the planner walk the whole plan in
        # position order instead of looking the ids up in their index.
        rows: list[tuple[int, str]] = []
        seen: set[str] = set()
        for position, task_id, text in sorted(cur.fetchall()):
            if task_id not in seen:  # the first task of an id, as transitions find it
                seen.add(task_id)
                rows.append((int(position), text))
        status = self._decode(doc, rows)
        cur.execute(
            self._sql(
                f"SELECT status, COUNT(*) FROM {self.TASKS} WHERE plan_key = ? GROUP BY status"
            ),
            (key,),
        )
        summary = _counts(cur.fetchall())
        return TaskView(status, summary, self._suggest), [p for p, _ in rows], plan_row

    def _suggest(self, task_id: str) -> tuple[str, ...]:
        with self._reading() as cur:
            return self._suggest_in(cur, task_id)

    def _suggest_in(self, cur: Cursor, task_id: str) -> tuple[str, ...]:
        cur.execute(
            self._sql(f"SELECT id FROM {self.TASKS} WHERE plan_key = ? ORDER BY position"),
            (self._key(),),
        )
        return closest_ids(task_id, (row[0] for row in cur.fetchall()))

    def read_tasks(self, task_ids: Sequence[str]) -> TaskView:
        """A view of a few tasks and the plan's counts (see :class:`TaskScoped`)."""
        with self._reading() as cur:
            return self._view(cur, task_ids)[0]

    def update_tasks(self, task_ids: Sequence[str], change: Change) -> TaskView:
        """Apply ``change`` to a view of a few tasks; write what changed (see TaskScoped)."""
        with self._writing() as cur:
            view, positions, (_, seq, task_count, run_count, doc) = self._view(cur, task_ids)
            try:
                new = change(view.status)
            except TaskNotFound as exc:
                if exc.suggestions or view.status.has_task(exc.task_id):
                    raise
                raise TaskNotFound(exc.task_id, self._suggest_in(cur, exc.task_id)) from None
            if new is view.status:
                return view
            old = view.status
            if [t.id for t in new.tasks] != [t.id for t in old.tasks] or new.runs:
                raise ValueError(
                    "a change of a task view may change its tasks and the plan's fields, "
                    "not add, remove or reorder tasks, nor touch runs"
                )
            if old.schema_version > SCHEMA_VERSION:
                raise SchemaTooNew(old.schema_version, SCHEMA_VERSION)
            tasks = [
                (position, task.id, task.status.value, task_text(task))
                for position, task, before in zip(positions, new.tasks, old.tasks, strict=True)
                if task is not before
            ]
            document = plan_text(new)
            if tasks or document != doc:
                self._commit(cur, seq + 1, _Writes(tasks, [], task_count, run_count, document))
            return view.after(new)

    # ------------------------------------------------------------------ findings

    def write_findings(self, task_id: str, text: str) -> str:
        """Store a task's findings (one row, replaced atomically); return where."""
        location = self.findings_location(task_id)
        with self._writing(create=True) as cur:
            cur.execute(
                self._sql(
                    f"INSERT INTO {self.FINDINGS} (plan_key, task_id, text, written_at) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (plan_key, task_id) DO UPDATE SET "
                    "text = excluded.text, written_at = excluded.written_at"
                ),
                (self._key(), task_id, text, _now_text()),
            )
        return location

    def read_findings(self, task_id: str) -> str:
        """A task's findings text."""
        location = self.findings_location(task_id)
        try:
            with self._reading() as cur:
                cur.execute(
                    self._sql(
                        f"SELECT text FROM {self.FINDINGS} WHERE plan_key = ? AND task_id = ?"
                    ),
                    (self._key(), task_id),
                )
                row = cur.fetchone()
        except StatusMissing:
            row = None
        if row is None:
            raise FindingsNotFound(task_id, location)
        return str(row[0])

    # ------------------------------------------------------------------ the catalog

    def plans(self) -> Sequence[PlanEntry]:
        """Every plan in the database, by key, with its counts."""
        try:
            with self._reading() as cur:
                cur.execute(f"SELECT plan_key, doc FROM {self.PLANS} ORDER BY plan_key")
                plan_rows = cur.fetchall()
                cur.execute(
                    f"SELECT plan_key, status, COUNT(*) FROM {self.TASKS} GROUP BY plan_key, status"
                )
                count_rows = cur.fetchall()
        except StatusMissing:
            return []
        by_plan: dict[str, list[tuple[str, int]]] = {}
        for key, state, count in count_rows:
            by_plan.setdefault(key, []).append((state, count))
        entries = []
        for key, doc in plan_rows:
            try:
                status = self._decode(doc)
            except CorruptStatus:  # listed all the same; reading the plan reports the problem
                status = PlanStatus()
            entries.append(
                PlanEntry(
                    key=key,
                    plan_path=status.plan_path,
                    plan_name=status.plan_name,
                    summary=_counts(by_plan.get(key, [])),
                    last_updated_at=status.last_updated_at,
                )
            )
        return entries
