"""What the SQL backends share: the tables, the store's logic over them, the snapshot cache.

A backend subclasses :class:`SqlStore` and supplies connections and transactions
(``_reading``, ``_writing``), its DDL and its error mapping; everything about *what* is
stored and how it is read and written lives here and in :mod:`statuskit.store._sqlrows`
(the row documents and the diff, pure), once, so SQLite and PostgreSQL store the same rows.

The tables (``statuskit_`` prefix, so they can share a database with an application)::

    statuskit_schema   (version, applied_at)              one row per applied migration
    statuskit_plans    (plan_key, incarnation, seq, task_count, run_count, duplicates, doc,
                        updated_at)
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

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from statuskit.codec import format_timestamp
from statuskit.errors import (
    CorruptStatus,
    DuplicateTaskIds,
    FindingsNotFound,
    RepairRefused,
    SchemaTooNew,
    StatusExists,
    StatusMissing,
    TaskNotFound,
)
from statuskit.ids import closest_ids
from statuskit.journal import JournalEvent, read_lines, select
from statuskit.model import SCHEMA_VERSION, PlanStatus
from statuskit.store._journal import journaled
from statuskit.store._sqlcore import Cursor, SqlCore
from statuskit.store._sqlrows import (
    PlanRow,
    Snapshot,
    Writes,
    counts,
    diff,
    now_text,
    plan_text,
    task_text,
)
from statuskit.store.base import Change, PlanEntry, TaskView

if TYPE_CHECKING:
    from statuskit.store.repair import RepairReport

__all__ = ["Cursor", "SqlStore"]


# --------------------------------------------------------------------------- the store


class SqlStore(SqlCore):
    """The logic of a SQL backend; subclasses supply connections and transactions.

    Args:
        plan: the plan key; ``None`` opens the database for :meth:`plans` only.

    """

    def update(self, change: Change) -> PlanStatus:
        """Apply ``change`` atomically and durably, writing only the rows it changed."""
        with self._writing() as cur:
            old = self._load(cur)
            changed = change(old.status)
            if changed is old.status or changed == old.status:
                return old.status  # nothing to write: no rows, no revision, no event
            if old.status.schema_version > SCHEMA_VERSION:
                raise SchemaTooNew(old.status.schema_version, SCHEMA_VERSION)
            new, events = journaled(old.status, changed)
            writes, task_texts, run_texts = diff(old, new)
            self._commit(cur, old.seq + 1, writes)
            self._journal(cur, events)
        # Cached only once committed: a failed commit must not leave a snapshot that a later
        # writer's seq could make look current.
        self._cache = Snapshot(
            old.incarnation, old.seq + 1, new, writes.plan_text, task_texts, run_texts
        )
        return new

    def create(self, initial: PlanStatus, *, force: bool = False) -> None:
        """Store ``initial`` under the plan key (the database is created if needed).

        A database keeps no backups, so ``force`` changes nothing here (see the protocol).

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

    def import_status(self, status: PlanStatus, history: Sequence[JournalEvent]) -> None:
        """Store a status copied from another store as it is, with its journal (one transaction).

        Raises:
            StatusExists: the plan key is taken.

        """
        plan_text(status)  # SchemaTooNew before anything is created
        with self._writing(create=True) as cur:
            try:
                self._plan_row(cur)
            except StatusMissing:
                self._insert(cur, status, history)
                return
            raise StatusExists(self.location)

    def history(self, since: int = 0, task: str | None = None) -> Sequence[JournalEvent]:
        """The journal of the plan, read in one transaction with the revision it explains."""
        with self._reading() as cur:
            revision = self._decode(self._plan_row(cur).doc, []).revision
            cur.execute(
                self._sql(
                    f"SELECT line FROM {self.JOURNAL} WHERE plan_key = ? AND rev > ? ORDER BY rev"
                ),
                (self._key(), since),
            )
            lines = [row[0] for row in cur.fetchall()]
        return select(read_lines(lines, revision), since=since, task=task)

    # ------------------------------------------------------------------ a few tasks

    def _view(self, cur: Cursor, task_ids: Sequence[str]) -> tuple[TaskView, list[int], PlanRow]:
        """The view of ``task_ids``, the plan positions of its tasks, and the plan row."""
        key = self._key()
        plan_row = self._plan_row(cur)
        doc = plan_row.doc
        wanted = list(dict.fromkeys(task_ids))
        found: list[tuple[int, str, str]] = []
        if wanted:
            marks = ", ".join("?" * len(wanted))
            cur.execute(
                self._sql(
                    f"SELECT position, id, doc FROM {self.TASKS} WHERE plan_key = ? "
                    f"AND id IN ({marks})"
                ),
                (key, *wanted),
            )
            found = cur.fetchall()
        # Sorted here: "ORDER BY position" would make the planner walk the whole plan in
        # position order instead of looking the ids up in their index.
        rows: list[tuple[int, str]] = []
        seen: set[str] = set()
        for position, task_id, text in sorted(found):
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
        summary = counts(cur.fetchall())
        # A whole-plan fact a view cannot show: an id naming two tasks makes an operation by
        # id ambiguous. Kept in the plan row, so it costs no scan of the plan.
        try:
            duplicates = tuple(str(i) for i in json.loads(plan_row.duplicates))
        except (ValueError, TypeError):
            raise self._corrupt("the plan row's list of duplicate ids is not JSON") from None
        view = TaskView(status, summary, self._suggest, duplicates)
        return view, [p for p, _ in rows], plan_row

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
            view, positions, row = self._view(cur, task_ids)
            if view.duplicates:  # as the whole-plan path refuses them (Tracker._writable)
                raise DuplicateTaskIds(view.duplicates, self.location)
            try:
                changed = change(view.status)
            except TaskNotFound as exc:
                if exc.suggestions or view.status.has_task(exc.task_id):
                    raise
                raise TaskNotFound(exc.task_id, self._suggest_in(cur, exc.task_id)) from None
            if changed is view.status or changed == view.status:
                return view
            old = view.status
            if [t.id for t in changed.tasks] != [t.id for t in old.tasks] or changed.runs:
                raise ValueError(
                    "a change of a task view may change its tasks and the plan's fields, "
                    "not add, remove or reorder tasks, nor touch runs"
                )
            if old.schema_version > SCHEMA_VERSION:
                raise SchemaTooNew(old.schema_version, SCHEMA_VERSION)
            new, events = journaled(old, changed)
            tasks = [
                (position, task.id, task.status.value, task_text(task))
                for position, task, before in zip(positions, new.tasks, old.tasks, strict=True)
                if task is not before
            ]
            document = plan_text(new)  # the revision moved: the plan row always changes
            writes = Writes(tasks, [], row.task_count, row.run_count, row.duplicates, document)
            self._commit(cur, row.seq + 1, writes)
            self._journal(cur, events)
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
                (self._key(), task_id, text, now_text()),
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
                cur.execute(self._sql(f"SELECT plan_key, doc FROM {self.PLANS} ORDER BY plan_key"))
                plan_rows = cur.fetchall()
                cur.execute(
                    self._sql(
                        f"SELECT plan_key, status, COUNT(*) FROM {self.TASKS} "
                        "GROUP BY plan_key, status"
                    )
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
                    summary=counts(by_plan.get(key, [])),
                    last_updated_at=status.last_updated_at,
                )
            )
        return entries

    # ------------------------------------------------------------------ repair

    def restore(
        self,
        *,
        now: datetime,
        rebuild: PlanStatus | None = None,
        dry_run: bool = False,
    ) -> RepairReport:
        """Rebuild a plan whose rows cannot be decoded, keeping the bad rows aside.

        A database keeps no backups, so without ``rebuild`` this refuses; with it, the
        undecodable plan is moved to the key ``<key>.corrupt-<timestamp>`` (nothing is
        deleted; findings stay) and ``rebuild`` is stored, marked ``rebuiltAt``. A damaged
        *file* is never changed: the refusal says how to recover it.

        Raises:
            RepairRefused: no ``rebuild``, or the file itself is damaged.
            StatusMissing: the plan is not stored.

        """
        from statuskit.store.repair import RepairReport

        try:
            self.read()
        except CorruptStatus as exc:
            error = exc
        else:
            return RepairReport(action="none")
        if error.json_path is None:
            raise RepairRefused(str(error))
        if rebuild is None:
            raise RepairRefused(
                f"{self.location} cannot be decoded ({error.reason}) and a database keeps no "
                "backups; rebuild it from the plan explicitly (statuskit validate --repair "
                "--rebuild), or restore the database file from a copy"
            )
        stamp = format_timestamp(now).replace(":", "").replace("-", "")
        aside = f"{self._key()}.corrupt-{stamp}"
        extra = dict(rebuild.extra)
        extra["rebuiltAt"] = format_timestamp(now)
        extra["rebuiltFrom"] = "plan (its rows could not be decoded: task states were reset)"
        if not dry_run:
            with self._writing() as cur:
                for table in (self.PLANS, self.TASKS, self.RUNS, self.JOURNAL):
                    cur.execute(
                        self._sql(f"UPDATE {table} SET plan_key = ? WHERE plan_key = ?"),
                        (aside, self._key()),
                    )
                self._insert(cur, attrs.evolve(rebuild, extra=extra))
            self._cache = None
        return RepairReport(
            action="rebuilt", quarantined=f"{self.url}#{aside}", corrupt_reason=error.reason
        )
