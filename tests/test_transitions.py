"""Pure transitions: the table, idempotence, timestamps, batches, runs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from statuskit import (
    InvalidTransition,
    Op,
    PlanStatus,
    RunNotFound,
    Task,
    TaskNotFound,
    TaskState,
    apply_batch,
    progress_percent,
    summarize,
)
from statuskit import transitions as tr

from .strategies import plans, with_states

UTC = timezone.utc
T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
P, I, C, F, S = (  # noqa: E741 - the table reads better with one letter
    TaskState.PENDING,
    TaskState.IN_PROGRESS,
    TaskState.COMPLETED,
    TaskState.FAILED,
    TaskState.SKIPPED,
)


def one(state: TaskState = P, **fields: object) -> PlanStatus:
    return PlanStatus(tasks=(Task(id="1.1", phase="Phase 1", status=state, **fields),))  # type: ignore[arg-type]


def move(status: PlanStatus, target: TaskState, *, force: bool = False) -> PlanStatus:
    return tr.transition(status, "1.1", target, now=T0, error="boom", reason="r", force=force)


# The design's table: (from, to) -> allowed without force.
ALLOWED = {
    (P, I),
    (P, C),
    (P, F),
    (P, S),
    (I, C),
    (I, F),
    (I, S),
    (I, P),
    (F, I),
    (F, C),
    (F, S),
    (F, P),
    (S, I),
    (S, C),
    (S, P),
}


class TestTable:
    """Every cell of the transition table behaves as designed."""

    @pytest.mark.parametrize("source", list(TaskState))
    @pytest.mark.parametrize("target", list(TaskState))
    def test_cell(self, source: TaskState, target: TaskState) -> None:
        """Allowed moves change the state, repeats are unchanged, the rest raise."""
        status = one(source, started_at=T0 - timedelta(minutes=1))
        if source is target:
            assert move(status, target) is status
        elif (source, target) in ALLOWED:
            assert move(status, target).tasks[0].status is target
        else:
            with pytest.raises(InvalidTransition) as info:
                move(status, target)
            assert (info.value.from_state, info.value.to_state) == (source.value, target.value)
            if source is C:
                assert move(status, target, force=True).tasks[0].status is target

    def test_unknown_id_suggests(self) -> None:
        """An unknown id raises TaskNotFound with close ids."""
        status = PlanStatus(tasks=(Task(id="2.1"), Task(id="2.10"), Task(id="3.1")))
        with pytest.raises(TaskNotFound) as info:
            tr.start(status, "2.11", now=T0)
        assert "2.1" in info.value.suggestions
        assert "did you mean" in str(info.value)

    def test_failure_needs_error(self) -> None:
        """Failing without an error message is refused."""
        with pytest.raises(InvalidTransition, match="error message"):
            tr.transition(one(I), "1.1", F, now=T0)


class TestFields:
    """Timestamps, durations, errors and retries are recorded as designed."""

    def test_start_then_complete_records_duration(self) -> None:
        """duration = completedAt - startedAt in ms."""
        started = tr.start(one(), "1.1", now=T0)
        done = tr.complete(
            started, "1.1", now=T0 + timedelta(seconds=90, milliseconds=5), notes="ok"
        )
        task = done.tasks[0]
        assert (task.started_at, task.duration_ms, task.notes) == (T0, 90005, "ok")
        assert done.last_updated_at == T0 + timedelta(seconds=90, milliseconds=5)
        assert started.current_phase == "Phase 1"

    def test_complete_from_pending_has_no_duration(self) -> None:
        """Completing a task that never started records no invented duration."""
        task = tr.complete(one(), "1.1", now=T0).tasks[0]
        assert (task.started_at, task.completed_at, task.duration_ms) == (None, T0, None)

    def test_fail_retry_keeps_last_error(self) -> None:
        """A retry counts, clears error, keeps lastError."""
        failed = tr.fail(tr.start(one(), "1.1", now=T0), "1.1", now=T0, error="boom")
        task = failed.tasks[0]
        assert (task.error, task.last_error, task.last_error_at) == ("boom", "boom", T0)
        later = T0 + timedelta(minutes=1)
        retried = tr.start(failed, "1.1", now=later).tasks[0]
        assert (retried.status, retried.retry_count, retried.error) == (I, 1, None)
        assert (retried.last_error, retried.started_at, retried.completed_at) == (
            "boom",
            later,
            None,
        )

    def test_reset_clears_attempt_keeps_history(self) -> None:
        """Reset clears times, owner and error; keeps retries and lastError."""
        status = tr.fail(tr.start(one(), "1.1", now=T0, owner="w1"), "1.1", now=T0, error="e")
        status = tr.start(status, "1.1", now=T0)
        task = tr.reset(status, "1.1", now=T0).tasks[0]
        assert (task.status, task.started_at, task.owner, task.error) == (P, None, None, None)
        assert (task.retry_count, task.last_error) == (1, "e")

    def test_skip_records_reason(self) -> None:
        """skipReason is stored."""
        assert tr.skip(one(), "1.1", now=T0, reason="n/a").tasks[0].skip_reason == "n/a"

    def test_repeat_with_same_or_no_notes_is_unchanged(self) -> None:
        """Completing a completed task again with its notes, or none, changes nothing."""
        done = tr.complete(one(), "1.1", now=T0, notes="first")
        assert tr.complete(done, "1.1", now=T0 + timedelta(1), notes="first") is done
        assert tr.complete(done, "1.1", now=T0 + timedelta(1)) is done

    def test_repeat_with_new_notes_replaces_them(self) -> None:
        """Other notes on a completed task replace the recorded ones; its times stay."""
        status = tr.start(one(), "1.1", now=T0)
        done = tr.complete(status, "1.1", now=T0 + timedelta(seconds=5), notes="first")
        later = T0 + timedelta(hours=1)
        again = tr.complete(done, "1.1", now=later, notes="second")
        before, after = done.tasks[0], again.tasks[0]
        assert after.notes == "second"
        assert (after.status, after.started_at, after.completed_at, after.duration_ms) == (
            C,
            before.started_at,
            before.completed_at,
            5000,
        )
        assert again.last_updated_at == later
        assert again.intents == ()  # no "forced" override: notes are not a state change

    def test_repeat_of_fail_or_skip_keeps_its_text(self) -> None:
        """Only completion notes are replaced: a repeated fail or skip changes nothing."""
        failed = tr.fail(one(), "1.1", now=T0, error="first")
        assert tr.fail(failed, "1.1", now=T0, error="second") is failed
        skipped = tr.skip(one(), "1.1", now=T0, reason="first")
        assert tr.skip(skipped, "1.1", now=T0, reason="second") is skipped


class TestReset:
    """A reset keeps the retry count unless asked to clear it."""

    def failed_twice(self) -> PlanStatus:
        status = one()
        for _ in range(3):
            status = tr.start(status, "1.1", now=T0)
            status = tr.fail(status, "1.1", now=T0, error="e")
        assert status.tasks[0].retry_count == 2
        return status

    def test_plain_reset_keeps_retry_count_and_last_error(self) -> None:
        """retryCount and lastError are history: a plain reset keeps them."""
        task = tr.reset(self.failed_twice(), "1.1", now=T0).tasks[0]
        assert (task.status, task.retry_count, task.last_error) == (P, 2, "e")

    def test_clear_retries(self) -> None:
        """clear_retries sets retryCount to 0 and keeps lastError."""
        task = tr.reset(self.failed_twice(), "1.1", now=T0, clear_retries=True).tasks[0]
        assert (task.status, task.retry_count, task.last_error) == (P, 0, "e")

    def test_clear_retries_on_a_pending_task(self) -> None:
        """A task already reset can still have its retries cleared: a change."""
        reset = tr.reset(self.failed_twice(), "1.1", now=T0)
        again = tr.reset(reset, "1.1", now=T0 + timedelta(1), clear_retries=True)
        assert again is not reset
        assert again.tasks[0].retry_count == 0
        assert tr.reset(again, "1.1", now=T0, clear_retries=True) is again  # nothing left

    def test_batch_op(self) -> None:
        """Op(clear_retries=True) does the same inside a batch."""
        op = Op(task_id="1.1", target=P, clear_retries=True)
        assert apply_batch(self.failed_twice(), [op], now=T0).tasks[0].retry_count == 0


class TestStrictStart:
    """A start while dependencies are not done: allowed, unless strict."""

    def plan(self, first: TaskState) -> PlanStatus:
        return PlanStatus(
            tasks=(
                Task(id="1.1", status=first),
                Task(id="1.2", dependencies=("1.1", "9.9")),
                Task(id="1.3", dependencies=("1.1",)),
            )
        )

    def test_unmet_dependencies(self) -> None:
        """Dependencies not done, with their state; one the plan lacks is missing."""
        assert tr.unmet_dependencies(self.plan(P), "1.2") == (
            ("1.1", "pending"),
            ("9.9", "missing"),
        )
        assert tr.unmet_dependencies(self.plan(C), "1.3") == ()
        assert tr.unmet_dependencies(self.plan(S), "1.3") == ()
        assert tr.unmet_dependencies(self.plan(F), "1.3") == (("1.1", "failed"),)
        with pytest.raises(TaskNotFound):
            tr.unmet_dependencies(self.plan(P), "7.7")

    def test_plain_start_goes_ahead(self) -> None:
        """Without strict the start happens."""
        assert tr.start(self.plan(P), "1.3", now=T0).tasks[2].status is I

    def test_strict_start_refused(self) -> None:
        """strict refuses, naming the dependency, even with force."""
        with pytest.raises(InvalidTransition, match=r"1\.1 \(in_progress\)") as caught:
            tr.start(self.plan(I), "1.3", now=T0, strict=True, force=True)
        assert (caught.value.from_state, caught.value.to_state) == ("pending", "in_progress")

    def test_strict_start_allowed_when_done(self) -> None:
        """strict allows a start whose dependencies are done."""
        assert tr.start(self.plan(C), "1.3", now=T0, strict=True).tasks[2].status is I

    def test_strict_repeat_is_idempotent(self) -> None:
        """A task already in progress is not started again: a strict repeat is unchanged."""
        started = tr.start(self.plan(P), "1.3", now=T0)
        assert tr.start(started, "1.3", now=T0, strict=True) is started


class TestBatch:
    """Batches are all-or-nothing."""

    def test_applies_in_order(self) -> None:
        """Each operation sees the previous ones."""
        status = PlanStatus(tasks=(Task(id="1.1"), Task(id="1.2")))
        new = apply_batch(
            status,
            [Op(task_id="1.1", target=I), Op(task_id="1.1", target=C), Op(task_id="1.2", target=S)],
            now=T0,
        )
        assert [t.status for t in new.tasks] == [C, S]

    @given(plans(), st.lists(st.tuples(st.integers(0, 30), st.sampled_from(list(TaskState)))))
    def test_all_or_nothing(self, plan: PlanStatus, raw_ops: list[tuple[int, TaskState]]) -> None:
        """Either every op applies (same as one by one) or the input is untouched."""
        ids = [task.id for task in plan.tasks] + ["99.99"]
        ops = [Op(task_id=ids[i % len(ids)], target=t, error="e") for i, t in raw_ops]

        def one_by_one() -> PlanStatus:
            current = plan
            for op in ops:
                current = tr.transition(current, op.task_id, op.target, now=T0, error="e")
            return current

        before = plan
        try:
            result = apply_batch(plan, ops, now=T0)
        except (InvalidTransition, TaskNotFound):
            assert plan == before
            with pytest.raises((InvalidTransition, TaskNotFound)):
                one_by_one()
            return
        current = one_by_one()
        assert result == current


class TestSummaryProperty:
    """After any sequence of transitions the summary equals a recount."""

    @given(
        plans(),
        st.lists(st.tuples(st.integers(0, 40), st.sampled_from(list(TaskState)), st.booleans())),
    )
    def test_recount(self, plan: PlanStatus, moves: list[tuple[int, TaskState, bool]]) -> None:
        """Summary, percent and counts stay consistent whatever the order of moves."""
        status = plan
        for index, target, force in moves:
            task_id = status.tasks[index % len(status.tasks)].id
            try:
                status = tr.transition(status, task_id, target, now=T0, error="x", force=force)
            except InvalidTransition:
                continue
            summary = summarize(status.tasks)
            assert summary.total == len(status.tasks)
            for state in TaskState:
                assert getattr(summary, state.value) == sum(
                    1 for t in status.tasks if t.status is state
                )
            assert 0.0 <= progress_percent(summary) <= 100.0
            assert (progress_percent(summary) == 100.0) == (summary.done == summary.total)


class TestRuns:
    """Run history."""

    def test_start_and_complete(self) -> None:
        """A run opens with an epoch id and closes with counts."""
        status = tr.start_run(one(), now=T0)
        run = status.runs[-1]
        assert run.run_id == f"run-{int(T0.timestamp() * 1000)}"
        closed = tr.complete_run(status, now=T0 + timedelta(seconds=5), completed=2, failed=1)
        assert (closed.runs[-1].tasks_completed, closed.runs[-1].tasks_failed) == (2, 1)
        assert closed.runs[-1].completed_at == T0 + timedelta(seconds=5)
        again = tr.complete_run(closed, now=T0, run_id=run.run_id, completed=2, failed=1)
        assert again is closed

    def test_ids_unique_and_errors(self) -> None:
        """Same-millisecond runs get distinct ids; closing needs an open run."""
        status = tr.start_run(tr.start_run(one(), now=T0), now=T0)
        assert len({run.run_id for run in status.runs}) == 2
        with pytest.raises(ValueError, match="already exists"):
            tr.start_run(status, now=T0, run_id=status.runs[0].run_id)
        with pytest.raises(RunNotFound):
            tr.complete_run(one(), now=T0)
        with pytest.raises(RunNotFound):
            tr.complete_run(status, now=T0, run_id="nope")


class TestPercent:
    """Progress percentage edge cases."""

    def test_empty_plan(self) -> None:
        """0 tasks: 100 percent, no division error."""
        assert progress_percent(summarize(())) == 100.0

    def test_never_rounds_up_to_100(self) -> None:
        """1999 of 2000 done is 99.9, not 100.0."""
        plan = PlanStatus(tasks=tuple(Task(id=f"1.{i}") for i in range(2000)))
        status = with_states(plan, [C] * 1999 + [P])
        assert progress_percent(status.summary) == 99.9
