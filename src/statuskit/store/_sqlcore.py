"""The row level of the SQL backends: tables, reading a plan's rows, writing a change's rows.

:class:`SqlCore` knows the tables (see :mod:`statuskit.store._sql` for what they hold and
why), turns rows into a snapshot and back, and records a write's journal events in the
write's transaction. :class:`~statuskit.store._sql.SqlStore` builds the store's operations
on it; a backend subclasses that and supplies connections and transactions.
"""

from __future__ import annotations

import abc
import os
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import attrs

from statuskit.errors import (
    CorruptStatus,
    StatusMissing,
    StoreNotSupported,
)
from statuskit.ids import check_task_id, findings_file_name
from statuskit.journal import JournalEvent, encode_line, writes
from statuskit.model import PlanStatus, Run, Task
from statuskit.store._journal import journaled
from statuskit.store._sqlrows import (
    PlanRow,
    Snapshot,
    Writes,
    decode_rows,
    duplicate_ids,
    now_text,
    patch,
    plan_text,
    run_text,
    task_text,
)
from statuskit.store.base import ClosingMixin

if TYPE_CHECKING:
    pass

__all__ = ["Cursor", "SqlCore"]


class Cursor(Protocol):
    """The part of a DB-API cursor the shared code uses (sqlite3 and psycopg both have it)."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Any: ...
    def executemany(self, sql: str, seq: Iterable[Sequence[Any]], /) -> Any: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


# --------------------------------------------------------------------------- the store


class SqlCore(ClosingMixin, abc.ABC):
    """Rows in and out: what :class:`~statuskit.store._sql.SqlStore` builds its operations on.

    Subclasses (through ``SqlStore``) supply connections and transactions.

    Args:
        plan: the plan key; ``None`` opens the database for :meth:`plans` only.

    """

    #: Table names (a backend may put them in a schema of their own).
    PLANS: ClassVar[str] = "statuskit_plans"
    TASKS: ClassVar[str] = "statuskit_tasks"
    RUNS: ClassVar[str] = "statuskit_runs"
    FINDINGS: ClassVar[str] = "statuskit_findings"
    JOURNAL: ClassVar[str] = "statuskit_journal"

    def __init__(self, plan: str | None) -> None:
        if plan is not None:
            check_task_id(plan)
        self.plan = plan
        self._cache: Snapshot | None = None

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

    def _decode(
        self,
        plan_doc: object,
        tasks: Sequence[tuple[int, object]] = (),
        runs: Sequence[tuple[int, object]] = (),
    ) -> PlanStatus:
        """Rows -> a status; a problem is a CorruptStatus naming the plan and the position."""
        return decode_rows(plan_doc, tasks, runs, self._corrupt)

    # ------------------------------------------------------------------ reading

    def _plan_row(self, cur: Cursor) -> PlanRow:
        cur.execute(
            self._sql(
                "SELECT incarnation, seq, task_count, run_count, duplicates, doc "
                f"FROM {self.PLANS} WHERE plan_key = ?"
            ),
            (self._key(),),
        )
        row = cur.fetchone()
        if row is None:
            raise StatusMissing(self.location)
        incarnation, seq, task_count, run_count, duplicates, doc = row
        return PlanRow(str(incarnation), int(seq), int(task_count), int(run_count), duplicates, doc)

    def _rows(self, cur: Cursor, table: str, since: int | None) -> list[tuple[int, str]]:
        query = f"SELECT position, doc FROM {table} WHERE plan_key = ?"
        params: tuple[Any, ...] = (self._key(),)
        if since is not None:
            query += " AND seq > ?"
            params += (since,)
        cur.execute(self._sql(query + " ORDER BY position"), params)
        return [(int(position), doc) for position, doc in cur.fetchall()]

    def _load(self, cur: Cursor) -> Snapshot:
        """The plan's snapshot, fetching only the rows changed since the cached one."""
        incarnation, seq, task_count, run_count, _, doc = self._plan_row(cur)
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
            tasks, task_texts = patch(
                cached.status.tasks, cached.task_texts, task_count, task_rows, fresh.tasks
            )
            runs, run_texts = patch(
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
        snapshot = Snapshot(incarnation, seq, status, doc, tuple(task_texts), tuple(run_texts))
        self._cache = snapshot
        return snapshot

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

    def _commit(self, cur: Cursor, seq: int, writes: Writes) -> None:
        """Write the rows of one change, stamped with the plan's new ``seq``."""
        key = self._key()
        cur.execute(
            self._sql(
                f"UPDATE {self.PLANS} SET seq = ?, task_count = ?, run_count = ?, "
                "duplicates = ?, doc = ?, updated_at = ? WHERE plan_key = ?"
            ),
            (
                seq,
                writes.task_count,
                writes.run_count,
                writes.duplicates,
                writes.plan_text,
                now_text(),
                key,
            ),
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

    def _journal(self, cur: Cursor, events: Sequence[JournalEvent]) -> None:
        """Record one write's events, in the write's transaction (one row per revision)."""
        cur.execute(
            self._sql(
                f"INSERT INTO {self.JOURNAL} (plan_key, rev, line) VALUES (?, ?, ?) "
                "ON CONFLICT (plan_key, rev) DO UPDATE SET line = excluded.line"
            ),
            (self._key(), events[0].rev, encode_line(events)),
        )

    def _insert(
        self, cur: Cursor, initial: PlanStatus, history: Sequence[JournalEvent] | None = None
    ) -> None:
        """Insert a new plan: journaled as a creation, or as copied with its ``history``."""
        key = self._key()
        if history is None:
            initial, events = journaled(None, initial)
            self._journal(cur, events)
        else:
            for line in writes(history):
                self._journal(cur, line)
        document = plan_text(initial)
        incarnation = os.urandom(8).hex()
        cur.execute(
            self._sql(
                f"INSERT INTO {self.PLANS} (plan_key, incarnation, seq, task_count, run_count, "
                "duplicates, doc, updated_at) VALUES (?, ?, 1, ?, ?, ?, ?, ?)"
            ),
            (
                key,
                incarnation,
                len(initial.tasks),
                len(initial.runs),
                duplicate_ids(initial.tasks),
                document,
                now_text(),
            ),
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
