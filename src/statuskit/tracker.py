"""``Tracker``: the everyday operations over any :class:`~statuskit.StatusStore`.

Each operation is a pure function of :mod:`statuskit.transitions`, :mod:`statuskit.scheduling`
or :mod:`statuskit.validation`, applied through the store's ``update`` so that it is atomic
with respect to every other writer. The tracker adds the clock, checks that the status
belongs to the plan the caller works on, and reports what happened. The CLI, the MCP server
and the orchestrator all go through it: this is the one place the operations live.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, TypeVar

import attrs

from statuskit._tracker_base import (
    Outcome,
    TrackerBase,
    _acting,
    utc_now,
)
from statuskit.errors import (
    CorruptStatus,
    StatusMissing,
)
from statuskit.ids import findings_file_name
from statuskit.model import DEFAULT_LEASE, Holder, Intent, PlanStatus, Run, Summary, Task
from statuskit.store.base import (
    Restorable,
    TaskScoped,
)
from statuskit.transitions import Op, apply_batch, check_token, find_run, unmet_dependencies
from statuskit.transitions import complete as complete_task
from statuskit.transitions import complete_run as close_run
from statuskit.transitions import fail as fail_task
from statuskit.transitions import reset as reset_task
from statuskit.transitions import skip as skip_task
from statuskit.transitions import start as start_task
from statuskit.transitions import start_run as open_run

if TYPE_CHECKING:
    from statuskit.journal import JournalEvent
    from statuskit.leases import Lease
    from statuskit.planmodel import Plan
    from statuskit.plansync import ApplyReport
    from statuskit.scheduling import NextReport
    from statuskit.store.repair import RepairReport

__all__ = ["Outcome", "Tracker", "utc_now"]

R = TypeVar("R")


class Tracker(TrackerBase):
    """Task operations over a store, with an injectable clock.

    Args:
        store: any :class:`~statuskit.StatusStore`.
        clock: returns the current aware datetime; by default the store's own clock where it
            has one (:class:`~statuskit.store.base.StoreClock`), else :func:`utc_now`. Leases
            expire by this clock, so writers on several hosts need clocks that agree (see
            docs/concepts.md).
        plan_path: the plan file the caller works from; a status that records another,
            existing plan file is refused with :class:`~statuskit.PlanMismatch` (two plans
            whose files share a name map to the same status location or plan key).

    Example:
        >>> from statuskit import MemoryStore, PlanStatus, Task, Tracker
        >>> tracker = Tracker(MemoryStore(PlanStatus(tasks=(Task(id="1.1"), Task(id="1.2")))))
        >>> tracker.start("1.1").changed
        True
        >>> tracker.complete("1.1", notes="done").task.status.value
        'completed'
        >>> tracker.summary().percent
        50.0

    """

    # ------------------------------------------------------------------ reading

    def status(self) -> PlanStatus:
        """The current status."""
        return self._check(self.store.read())

    def summary(self) -> Summary:
        """Counts per state, recomputed from the tasks."""
        return self.status().summary

    def next(self, n: int = 1, *, cross_phase: bool = False) -> NextReport:
        """Up to ``n`` ready tasks with reasons, and why the others wait (read-only)."""
        from statuskit.scheduling import next_tasks

        return next_tasks(self.status(), n, cross_phase=cross_phase)

    def retryable(self, max_retries: int) -> tuple[Task, ...]:
        """Failed tasks retried fewer than ``max_retries`` times."""
        from statuskit.scheduling import retryable

        return retryable(self.status(), max_retries)

    def stuck(self, after: timedelta) -> tuple[Task, ...]:
        """Tasks in progress for longer than ``after``."""
        from statuskit.scheduling import stuck

        return stuck(self.status(), self.clock(), after)

    # ------------------------------------------------------------------ task operations

    # Every write to a task takes ``token``, required on a leased task (StaleClaim when it
    # is not the current one); ``force`` overrides, and the journal records it.

    def start(
        self,
        task_id: str,
        *,
        force: bool = False,
        owner: str | None = None,
        token: int | None = None,
        strict: bool = False,
        dry_run: bool = False,
    ) -> Outcome:
        """Mark a task in progress (a retry, counted, when it had failed).

        A task whose dependencies are not all done starts anyway, and the outcome's
        ``waiting_for`` names them (judged when first asked; on a task-scoped store the
        dependencies are read then, just after the start); with ``strict`` such a start
        raises :class:`~statuskit.InvalidTransition` instead, checked in the same update, so
        a dependency finished meanwhile counts. An idempotent repeat reports none.
        """
        now = self.clock()
        started: list[PlanStatus] = []

        def change(current: PlanStatus) -> PlanStatus:
            new = start_task(
                current, task_id, now=now, force=force, owner=owner, token=token, strict=strict
            )
            started[:] = [current] if new is not current else []
            return new

        store = self.store
        scoped = isinstance(store, TaskScoped)
        # A scoped store loads only the tasks named: a strict start needs the dependencies in
        # the same update, so they are named too (one more read, for strict starts only).
        also = self._view(task_id).dependencies if scoped and strict else ()
        outcome = self._task_op(
            task_id, change, dry_run=dry_run, token=token, owner=owner, also=also
        )
        if not started:  # an idempotent repeat
            return outcome
        snapshot = started[0]

        def waiting_for() -> tuple[tuple[str, str], ...]:
            # Judged when first asked: on the snapshot the start was made on, or, for a
            # scoped store that did not load the dependencies, on a read of them just after.
            task = snapshot.task(task_id)
            if not scoped or strict or not task.dependencies:
                return unmet_dependencies(snapshot, task_id)
            assert isinstance(store, TaskScoped)
            others = store.read_tasks(task.dependencies).status.tasks
            return unmet_dependencies(attrs.evolve(snapshot, tasks=(task, *others)), task_id)

        return attrs.evolve(outcome, waiting_for=waiting_for)

    def complete(
        self,
        task_id: str,
        *,
        notes: str | None = None,
        force: bool = False,
        token: int | None = None,
        dry_run: bool = False,
    ) -> Outcome:
        """Mark a task completed, with optional notes.

        On a task already completed, other ``notes`` replace the recorded ones (a change,
        journaled; the times are kept); the same notes, or none, change nothing.
        """
        now = self.clock()
        return self._task_op(
            task_id,
            lambda s: complete_task(s, task_id, now=now, notes=notes, force=force, token=token),
            dry_run=dry_run,
            token=token,
        )

    def fail(
        self,
        task_id: str,
        *,
        error: str,
        force: bool = False,
        token: int | None = None,
        dry_run: bool = False,
    ) -> Outcome:
        """Mark a task failed with an error message."""
        now = self.clock()
        return self._task_op(
            task_id,
            lambda s: fail_task(s, task_id, now=now, error=error, force=force, token=token),
            dry_run=dry_run,
            token=token,
        )

    def skip(
        self,
        task_id: str,
        *,
        reason: str | None = None,
        force: bool = False,
        token: int | None = None,
        dry_run: bool = False,
    ) -> Outcome:
        """Mark a task skipped, with an optional reason."""
        now = self.clock()
        return self._task_op(
            task_id,
            lambda s: skip_task(s, task_id, now=now, reason=reason, force=force, token=token),
            dry_run=dry_run,
            token=token,
        )

    def reset(
        self,
        task_id: str,
        *,
        force: bool = False,
        token: int | None = None,
        clear_retries: bool = False,
        dry_run: bool = False,
    ) -> Outcome:
        """Put a task back to pending, releasing its claim.

        ``retry_count`` and ``last_error`` are kept, so a retry limit still counts the
        attempts made before the reset; ``clear_retries`` sets ``retry_count`` to 0 (also on
        a task already pending).
        """
        now = self.clock()
        return self._task_op(
            task_id,
            lambda s: reset_task(
                s, task_id, now=now, force=force, token=token, clear_retries=clear_retries
            ),
            dry_run=dry_run,
            token=token,
        )

    def batch(self, ops: Iterable[Op], *, dry_run: bool = False) -> PlanStatus:
        """Apply several transitions as one update: all of them or none."""
        now = self.clock()
        ops = tuple(ops)
        status, _ = self._change(
            lambda current: apply_batch(current, ops, now=now), dry_run=dry_run
        )
        return status

    def claim(
        self,
        n: int,
        owner: str,
        *,
        lease: timedelta = DEFAULT_LEASE,
        pid: int | None = None,
        cross_phase: bool = False,
        max_retries: int | None = None,
        dry_run: bool = False,
    ) -> tuple[Task, ...]:
        """Atomically lease up to ``n`` tasks to ``owner`` (see :func:`statuskit.leases.claim`).

        Ready tasks are taken, and tasks whose lease expired or whose named holder process is
        dead on this host are taken back. Each claimed task carries its fencing ``token`` and
        ``lease_expires_at``: pass the token to every later write of the task
        (``complete(..., token=task.token)``) and extend the lease with :meth:`heartbeat`.
        ``lease`` lasts 30 minutes by default; ``pid`` names the process on this host that
        will work on the tasks (its death frees them at once). Returns the claimed tasks.
        """
        from statuskit.leases import claim
        from statuskit.store._process import holder_is_dead, host_name

        now = self.clock()
        holder = Holder(host=host_name(), pid=pid) if pid is not None else None
        _, claimed, _ = self._run(
            lambda current: claim(
                current,
                n,
                owner,
                now=now,
                lease=lease,
                holder=holder,
                is_dead=holder_is_dead,
                cross_phase=cross_phase,
                max_retries=max_retries,
            ),
            dry_run=dry_run,
        )
        return claimed

    def heartbeat(
        self,
        task_id: str,
        token: int,
        *,
        lease: timedelta | None = None,
        dry_run: bool = False,
    ) -> Task:
        """Extend the lease of a task held with ``token`` (by default by the length it had).

        Returns the task after it. Raises :class:`~statuskit.StaleClaim` when ``token`` is not
        the task's current one (stop working on it), ``InvalidTransition`` when it is done.
        """
        from statuskit.leases import heartbeat

        now = self.clock()
        status, _, _ = self._run(
            lambda current: (heartbeat(current, task_id, token, now=now, lease=lease)[0], None),
            dry_run=dry_run,
        )
        return status.task(task_id)

    def leases(self) -> tuple[Lease, ...]:
        """Every task in progress under a claim, with its holder and whether it expired."""
        from statuskit.leases import leases
        from statuskit.store._process import holder_is_dead

        return leases(self.status().tasks, self.clock(), holder_is_dead)

    def fail_stuck(self, after: timedelta, *, dry_run: bool = False) -> tuple[Task, ...]:
        """Mark tasks in progress for longer than ``after`` failed; return them."""
        from statuskit.scheduling import fail_stuck, stuck

        now = self.clock()

        def step(current: PlanStatus) -> tuple[PlanStatus, tuple[str, ...]]:
            ids = tuple(task.id for task in stuck(current, now, after))
            return fail_stuck(current, now, after), ids

        status, ids, _ = self._run(step, dry_run=dry_run)
        return tuple(task for task in status.tasks if task.id in ids)

    # ------------------------------------------------------------------ runs

    def start_run(self, run_id: str | None = None, *, dry_run: bool = False) -> Run:
        """Open a new run and return it."""
        now = self.clock()
        status, _ = self._change(
            lambda current: open_run(current, now=now, run_id=run_id),
            dry_run=dry_run,
        )
        return status.runs[-1]

    def complete_run(
        self,
        run_id: str | None = None,
        *,
        completed: int | None = None,
        failed: int | None = None,
        dry_run: bool = False,
    ) -> Run:
        """Close a run (the latest open one by default) with its counts; return it."""
        now = self.clock()

        def step(current: PlanStatus) -> tuple[PlanStatus, str]:
            chosen = find_run(current, run_id).run_id
            new = close_run(current, now=now, run_id=chosen, completed=completed, failed=failed)
            return new, chosen

        status, chosen, _ = self._run(step, dry_run=dry_run)
        return find_run(status, chosen)

    # ------------------------------------------------------------------ findings

    def write_findings(
        self,
        task_id: str,
        text: str,
        *,
        token: int | None = None,
        force: bool = False,
        dry_run: bool = False,
    ) -> str:
        """Store a task's findings and record where in the task; return the location.

        With ``dry_run`` nothing is written and the location it would go to is returned. The
        claim token of a leased task is checked before the text is written and again, with
        the record, under the store's lock.
        """
        # TaskNotFound, another plan, duplicate ids, StaleClaim: before anything is written.
        check_token(self._view(task_id), token, force=force)
        if dry_run:
            return self.store.findings_location(task_id)
        location = self.store.write_findings(task_id, text)
        # Recorded relative to the status, the same for every backend (and after a migrate).
        recorded = f"findings/{findings_file_name(task_id)}"
        now = self.clock()

        def change(current: PlanStatus) -> PlanStatus:
            task = current.task(task_id)
            forced = check_token(task, token, force=force)
            if task.findings_path == recorded:
                return current
            tasks = tuple(
                attrs.evolve(t, findings_path=recorded) if t.id == task_id else t
                for t in current.tasks
            )
            intents = current.intents if forced is None else (*current.intents, forced)
            new = attrs.evolve(current, tasks=tasks, last_updated_at=now, intents=intents)
            return _acting(new, task.owner if token is not None else None)

        if isinstance(self.store, TaskScoped):
            self._scoped(self.store, (task_id,), change, dry_run=False)
        else:
            self._change(change, dry_run=False)
        return location

    def read_findings(self, task_id: str) -> str:
        """A task's findings text."""
        self._view(task_id, writing=False)
        return self.store.read_findings(task_id)

    # ------------------------------------------------------------------ journal

    def history(self, since: int = 0, task: str | None = None) -> Sequence[JournalEvent]:
        """The journal's events after revision ``since`` (about ``task`` when given)."""
        self.status()  # PlanMismatch before another plan's history is shown
        return self.store.history(since=since, task=task)

    # ------------------------------------------------------------------ plans

    def sync(self, plan: Plan, *, prune: bool = False, dry_run: bool = False) -> ApplyReport:
        """Bring the status up to date with its changed plan (see :func:`sync_apply`).

        New tasks are added as pending; titles, phases, dependencies and groups follow the
        plan; no task's state, notes or timings change. Tasks only in the status are kept and
        reported, or with ``prune`` dropped when they were never started.
        """
        from statuskit.plansync import sync_apply

        now = self.clock()

        def step(current: PlanStatus) -> tuple[PlanStatus, ApplyReport]:
            new, report = sync_apply(plan, current, now=now, prune=prune)
            counts = {"added": len(report.added), "pruned": len(report.pruned)}
            synced = Intent(kind="synced", details=counts)
            return (new if new is current else new.annotated(synced)), report

        _, report, _ = self._run(step, dry_run=dry_run)
        return report

    # ------------------------------------------------------------------ repair

    def repair(self, *, rebuild: PlanStatus | None = None, dry_run: bool = False) -> RepairReport:
        """Fix what is safe to fix; restore a backup over a corrupt status where one is kept.

        * A readable status gets the safe fixes of :func:`statuskit.validation.repair`,
          through ``update`` (so on every backend); task states are never changed.
        * A corrupt (or lost) status of a :class:`~statuskit.store.base.Restorable` store is
          replaced by its newest valid backup, or by ``rebuild`` when none is valid.

        Raises:
            CorruptStatus: the status is corrupt and the store keeps no backups.
            RepairRefused: no valid backup and no ``rebuild``.

        """
        from statuskit.store.repair import RepairReport
        from statuskit.validation import Problem, repair, validate

        now = self.clock()
        if isinstance(self.store, Restorable):
            try:
                self.store.read()
            except (CorruptStatus, StatusMissing):
                return self.store.restore(now=now, rebuild=rebuild, dry_run=dry_run)

        def step(current: PlanStatus) -> tuple[PlanStatus, tuple[Problem, ...]]:
            new, fixed = repair(current, now=now)
            repaired = Intent(kind="repaired", details={"fixed": [p.code for p in fixed]})
            return (new if new is current else new.annotated(repaired)), fixed

        status, fixed, changed = self._run(step, dry_run=dry_run, repairing=True)
        remaining = tuple(problem for problem in validate(status) if not problem.fixable)
        if not changed:
            return RepairReport(action="none", remaining=remaining)
        return RepairReport(action="fixed", fixed=fixed, remaining=remaining)
