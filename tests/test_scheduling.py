"""Picking work: ready, next with reasons, atomic claim selection, retryable, stuck."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import attrs
from hypothesis import given
from hypothesis import strategies as st

from statuskit import (
    ExecutionConstraints,
    PlanStatus,
    Task,
    TaskState,
    claim,
    next_tasks,
    ready,
    retryable,
    stuck,
)
from statuskit import transitions as tr
from statuskit.scheduling import fail_stuck

from .strategies import plans

UTC = timezone.utc
T0 = datetime(2025, 6, 1, tzinfo=UTC)
P, I, C, F, S = (  # noqa: E741 - the table reads better with one letter
    TaskState.PENDING,
    TaskState.IN_PROGRESS,
    TaskState.COMPLETED,
    TaskState.FAILED,
    TaskState.SKIPPED,
)


def plan(*specs: tuple[str, str], **deps: tuple[str, ...]) -> PlanStatus:
    return PlanStatus(
        tasks=tuple(
            Task(id=tid, phase=phase, dependencies=deps.get(tid.replace(".", "_"), ()))
            for tid, phase in specs
        )
    )


def set_state(status: PlanStatus, task_id: str, state: TaskState) -> PlanStatus:
    tasks = tuple(attrs.evolve(t, status=state) if t.id == task_id else t for t in status.tasks)
    return attrs.evolve(status, tasks=tasks)


def grouped(status: PlanStatus, group: str, *ids: str) -> PlanStatus:
    tasks = tuple(
        attrs.evolve(t, constraints=ExecutionConstraints(sequential=True, group=group))
        if t.id in ids
        else t
        for t in status.tasks
    )
    return attrs.evolve(status, tasks=tasks)


def violations(status: PlanStatus, chosen: tuple[Task, ...], *, cross_phase: bool) -> list[str]:
    """Independent check of the scheduling rules for a set of chosen tasks."""
    by_id = {t.id: t for t in status.tasks}
    order: list[str] = []
    for task in status.tasks:
        if task.phase not in order:
            order.append(task.phase)
    problems = []
    groups_in_progress = {t.sequential_group for t in status.tasks if t.status is I}
    chosen_groups: list[str] = []
    for task in chosen:
        for dep in task.dependencies:
            if dep not in by_id or by_id[dep].status not in (C, S):
                problems.append(f"{task.id}: dependency {dep} not done")
        rank = order.index(task.phase)
        if not cross_phase and any(
            order.index(t.phase) < rank and t.status not in (C, S) for t in status.tasks
        ):
            problems.append(f"{task.id}: earlier phase unfinished")
        group = task.sequential_group
        if group is not None:
            if group in groups_in_progress or group in chosen_groups:
                problems.append(f"{task.id}: group {group} busy")
            chosen_groups.append(group)
    return problems


class TestReady:
    """ready() honours dependencies, phase order and groups, in natural order."""

    def test_natural_order(self) -> None:
        """2.9 comes before 2.10, 3.4 before 3.4.1."""
        status = plan(("2.10", "A"), ("2.9", "A"), ("3.4.1", "A"), ("3.4", "A"))
        assert [t.id for t in ready(status)] == ["2.9", "2.10", "3.4", "3.4.1"]

    def test_phase_order(self) -> None:
        """Phase 2 waits for phase 1 unless cross_phase."""
        status = plan(("1.1", "P1"), ("2.1", "P2"))
        assert [t.id for t in ready(status)] == ["1.1"]
        assert [t.id for t in ready(status, cross_phase=True)] == ["1.1", "2.1"]
        assert [t.id for t in ready(set_state(status, "1.1", S))] == ["2.1"]
        assert ready(set_state(status, "1.1", F)) == ()

    def test_dependencies(self) -> None:
        """A dependency must be completed or skipped."""
        status = plan(
            ("1.1", "P"), ("1.2", "P"), ("1.3", "P"), **{"1_3": ("1.1", "9.9")}, **{"1_2": ("1.1",)}
        )
        assert [t.id for t in ready(status)] == ["1.1"]
        report = next_tasks(status, 5)
        reasons = {w.task.id: w.reasons for w in report.waiting}
        assert reasons["1.2"] == ("waiting for 1.1 (pending)",)
        assert "depends on unknown task 9.9" in reasons["1.3"]
        done = set_state(status, "1.1", C)
        assert [p.task.id for p in next_tasks(done, 5).ready] == ["1.2"]
        assert next_tasks(done, 5).ready[0].reason == "dependencies done: 1.1"

    def test_group_busy(self) -> None:
        """At most one task of a sequential group in progress."""
        status = grouped(plan(("1.1", "P"), ("1.2", "P"), ("1.3", "P")), "g", "1.1", "1.2")
        report = next_tasks(status, 3)
        assert [p.task.id for p in report.ready] == ["1.1", "1.3"]
        assert report.waiting[0].reasons == ("sequential group: 1.1 goes first",)
        busy = set_state(status, "1.1", I)
        assert [t.id for t in ready(busy)] == ["1.3"]
        assert "sequential group g busy: 1.1 in progress" in next_tasks(busy, 3).waiting[0].reasons

    def test_kinds_name_each_reason(self) -> None:
        """Each reason has its kind; the counts per kind count every task once per kind."""
        status = plan(
            ("1.1", "P1"),
            ("1.2", "P1"),
            ("1.3", "P1"),
            ("2.1", "P2"),
            **{"1_2": ("1.1",)},
            **{"1_3": ("1.1", "1.2", "9.9")},
            **{"2_1": ("1.1",)},
        )
        report = next_tasks(status, 1)
        kinds = {w.task.id: w.kinds for w in report.waiting}
        assert kinds == {
            "1.2": ("dependency",),
            "1.3": ("dependency", "dependency", "unknown_dependency"),
            "2.1": ("dependency", "earlier_phase"),
        }
        assert report.waiting_by_kind == {
            "dependency": 3,
            "unknown_dependency": 1,
            "earlier_phase": 1,
        }
        grouped_ = grouped(plan(("1.1", "P"), ("1.2", "P")), "g", "1.1", "1.2")
        assert next_tasks(grouped_, 2).waiting_by_kind == {"sequential_group": 1}


class TestProperties:
    """next and claim never break a rule, on generated plans and states."""

    @given(
        plans(),
        st.lists(st.sampled_from([P, P, I, C, F, S]), min_size=1),
        st.integers(0, 6),
        st.booleans(),
    )
    def test_next_and_claim(
        self, plan_: PlanStatus, states: list[TaskState], n: int, cross: bool
    ) -> None:
        """Picks are ready, respect deps, phases and groups; claim marks exactly them."""
        status = plan_
        for index, task in enumerate(plan_.tasks):
            status = set_state(status, task.id, states[index % len(states)])
        report = next_tasks(status, n, cross_phase=cross)
        picks = tuple(p.task for p in report.ready)
        assert len(picks) <= n
        assert all(t.status is P for t in picks)
        assert violations(status, picks, cross_phase=cross) == []
        prefixes = {
            "dependency": "waiting for ",
            "unknown_dependency": "depends on unknown task ",
            "sequential_group": "sequential group",
            "earlier_phase": "earlier phase ",
        }
        for wait in report.waiting:
            assert wait.reasons
            assert len(wait.kinds) == len(wait.reasons)
            for kind, reason in zip(wait.kinds, wait.reasons, strict=True):
                assert reason.startswith(prefixes[kind])
        new, claimed = claim(status, n, "w", now=T0, cross_phase=cross)
        assert [t.id for t in claimed] == [t.id for t in picks]
        assert all(t.status is I and t.owner == "w" for t in claimed)
        unchanged = [t for t in new.tasks if t.id not in {c.id for c in claimed}]
        assert unchanged == [t for t in status.tasks if t.id not in {c.id for c in claimed}]
        # Claiming again never returns a task already taken.
        _, again = claim(new, n, "w2", now=T0, cross_phase=cross)
        assert not {t.id for t in again} & {t.id for t in claimed}
        assert violations(new, again, cross_phase=cross) == []


class TestRetryAndStuck:
    """retryable(max) and stuck(now, after)."""

    def test_retryable(self) -> None:
        """Failed tasks under the retry limit; claim can retry them with a count."""
        status = plan(("1.1", "P"), ("1.2", "P"))
        status = tr.fail(tr.start(status, "1.1", now=T0), "1.1", now=T0, error="e")
        assert [t.id for t in retryable(status, 1)] == ["1.1"]
        new, got = claim(status, 1, "w", now=T0, max_retries=1)
        assert [t.id for t in got] == ["1.1"]  # plan order: the retry first
        assert got[0].retry_count == 1
        failed_again = tr.fail(new, "1.1", now=T0, error="e2", token=got[0].token)
        assert retryable(failed_again, 1) == ()
        assert [t.id for t in claim(failed_again, 2, "w", now=T0, max_retries=1)[1]] == ["1.2"]

    def test_stuck_and_fail_stuck(self) -> None:
        """Tasks in progress longer than `after` are reported; failing them is explicit."""
        status = tr.start(plan(("1.1", "P"), ("1.2", "P")), "1.1", now=T0)
        status = tr.start(status, "1.2", now=T0 + timedelta(minutes=30))
        now = T0 + timedelta(minutes=35)
        assert [t.id for t in stuck(status, now, timedelta(minutes=30))] == ["1.1"]
        assert stuck(status, now, timedelta(hours=1)) == ()
        failed = fail_stuck(status, now, timedelta(minutes=30))
        assert [t.status for t in failed.tasks] == [F, I]
        assert "stuck" in (failed.tasks[0].error or "")
