"""Leases and fencing tokens: claim, reclaim, heartbeat, and the token check on every write."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import ClassVar

import attrs
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from statuskit import (
    Holder,
    InvalidTransition,
    JsonFileStore,
    MemoryStore,
    Op,
    PlanStatus,
    StaleClaim,
    Task,
    TaskState,
    Tracker,
    apply_batch,
    claim,
    heartbeat,
)
from statuskit import transitions as tr
from statuskit.leases import DEFAULT_LEASE, leases, reclaimable
from statuskit.scheduling import fail_stuck, stuck
from statuskit.store._process import holder_state, host_name

UTC = timezone.utc
T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
P, I, C, F, S = (  # noqa: E741 - one letter per state reads like the table
    TaskState.PENDING,
    TaskState.IN_PROGRESS,
    TaskState.COMPLETED,
    TaskState.FAILED,
    TaskState.SKIPPED,
)


def plan(*ids: str, **task_fields: object) -> PlanStatus:
    return PlanStatus(
        tasks=tuple(Task(id=i, phase="Phase 1", **task_fields) for i in ids),  # type: ignore[arg-type]
        created_at=T0,
    )


def leased(n: int = 2, *, lease: timedelta = MINUTE) -> tuple[PlanStatus, tuple[Task, ...]]:
    """A plan of n tasks, all claimed by w1 at T0."""
    status = plan(*(f"1.{i}" for i in range(1, n + 1)))
    return claim(status, n, "w1", now=T0, lease=lease)


class TestClaim:
    """A claim is a lease with a fencing token from a counter that only grows."""

    def test_tokens_and_lease(self) -> None:
        """Each task gets the next token; the lease ends at now + lease (milliseconds)."""
        status, got = claim(
            plan("1.1", "1.2", "1.3"), 2, "w1", now=T0, lease=timedelta(seconds=1.5)
        )
        assert [(t.id, t.token, t.owner, t.status) for t in got] == [
            ("1.1", 1, "w1", I),
            ("1.2", 2, "w1", I),
        ]
        assert all(t.lease_expires_at == T0 + timedelta(seconds=1.5) for t in got)
        assert status.last_token == 2
        _, more = claim(status, 5, "w2", now=T0)
        assert [(t.id, t.token) for t in more] == [("1.3", 3)]
        assert more[0].lease_expires_at == T0 + DEFAULT_LEASE

    def test_lease_truncated_to_milliseconds(self) -> None:
        """A lease with microseconds ends on the millisecond the file can hold."""
        _, got = claim(plan("1.1"), 1, "w", now=T0, lease=timedelta(microseconds=1_500_999))
        assert got[0].lease_expires_at == T0 + timedelta(milliseconds=1500)

    def test_counter_never_reuses_a_token(self) -> None:
        """Reset frees the task, not its token; a lost counter restarts above every task's."""
        status, got = claim(plan("1.1"), 1, "w1", now=T0)
        status = tr.reset(status, "1.1", now=T0, token=got[0].token)
        assert status.task("1.1").token is None
        _, again = claim(status, 1, "w2", now=T0)
        assert again[0].token == 2
        hand_edited = attrs.evolve(status, last_token=0)
        hand_edited = attrs.evolve(
            hand_edited, tasks=(attrs.evolve(hand_edited.tasks[0], token=7, status=C),)
        )
        _, after = claim(
            attrs.evolve(hand_edited, tasks=(*hand_edited.tasks, Task(id="1.2", phase="Phase 1"))),
            1,
            "w3",
            now=T0,
        )
        assert after[0].token == 8

    def test_not_reclaimed_while_the_lease_lives(self) -> None:
        """Before expiry nothing is taken back; at the expiry instant it is."""
        status, _ = leased(1)
        assert claim(status, 1, "w2", now=T0 + MINUTE - timedelta(milliseconds=1))[1] == ()
        new, got = claim(status, 1, "w2", now=T0 + MINUTE)
        assert [(t.id, t.owner, t.token, t.reclaim_count) for t in got] == [("1.1", "w2", 2, 1)]
        assert got[0].started_at == T0 + MINUTE
        assert new.last_token == 2

    def test_reclaim_counted_and_previous_holder_fenced(self) -> None:
        """The old holder's late completion is refused; the new holder's is accepted."""
        status, first = leased(1)
        status, second = claim(status, 1, "w2", now=T0 + 2 * MINUTE)
        with pytest.raises(StaleClaim) as info:
            tr.complete(status, "1.1", now=T0 + 3 * MINUTE, token=first[0].token)
        assert (info.value.token, info.value.current, info.value.holder) == (1, 2, "w2")
        done = tr.complete(status, "1.1", now=T0 + 3 * MINUTE, token=second[0].token)
        assert done.task("1.1").status is C
        # Even after the new holder finished, the stale worker's write is refused.
        with pytest.raises(StaleClaim):
            tr.complete(done, "1.1", now=T0 + 4 * MINUTE, token=first[0].token)
        _, third = claim(done, 1, "w3", now=T0 + 9 * MINUTE)
        assert third == ()  # a completed task is never reclaimed

    def test_dead_holder_reclaimed_before_expiry(self) -> None:
        """A named holder known dead frees its tasks at once; the check sees only such tasks."""
        status = plan("1.1", "1.2")
        holder = Holder(host="h", pid=42)
        status, _ = claim(status, 1, "w1", now=T0, holder=holder)
        status, _ = claim(status, 1, "w2", now=T0)  # no holder named
        asked: list[str] = []

        def dead(task: Task) -> bool:
            asked.append(task.id)
            return True

        new, got = claim(status, 5, "w3", now=T0 + timedelta(seconds=1), is_dead=dead)
        assert [t.id for t in got] == ["1.1"]
        assert asked == ["1.1"]
        assert got[0].holder is None
        assert new.task("1.2").owner == "w2"

    def test_unleased_in_progress_never_reclaimed(self) -> None:
        """A person's mark-started has no lease: only detect-stuck deals with it."""
        status = tr.start(plan("1.1"), "1.1", now=T0, owner="alice")
        assert reclaimable(status, T0 + 1000 * MINUTE) == ()
        assert claim(status, 1, "w", now=T0 + 1000 * MINUTE)[1] == ()

    def test_sequential_group_stays_exclusive(self) -> None:
        """Reclaiming a group's task does not let a second task of the group start."""
        from statuskit import ExecutionConstraints

        group = ExecutionConstraints(sequential=True, group="g")
        status = plan("1.1", "1.2", constraints=group)
        status, got = claim(status, 5, "w1", now=T0)
        assert [t.id for t in got] == ["1.1"]
        _, again = claim(status, 5, "w2", now=T0 + 2 * DEFAULT_LEASE)
        assert [t.id for t in again] == ["1.1"]

    def test_failed_task_retried_with_a_new_token(self) -> None:
        """max_retries takes failed tasks back with a fresh claim and counts the retry."""
        status, got = leased(1)
        status = tr.fail(status, "1.1", now=T0, error="e", token=got[0].token)
        _, retried = claim(status, 1, "w2", now=T0, max_retries=1)
        assert [(t.token, t.retry_count, t.reclaim_count) for t in retried] == [(2, 1, 0)]

    @pytest.mark.parametrize("lease", [timedelta(0), -MINUTE])
    def test_bad_arguments(self, lease: timedelta) -> None:
        """A lease must be positive; n must not be negative."""
        with pytest.raises(ValueError, match="lease"):
            claim(plan("1.1"), 1, "w", now=T0, lease=lease)
        with pytest.raises(ValueError, match="n must be"):
            claim(plan("1.1"), -1, "w", now=T0)
        with pytest.raises(ValueError, match="calendar"):
            claim(plan("1.1"), 1, "w", now=T0, lease=timedelta(days=3_000_000))


class TestTokenCheck:
    """Every write path refuses a leased task's write without its current token."""

    WRITES: ClassVar[dict[str, Callable[[PlanStatus, int | None], PlanStatus]]] = {
        "start": lambda s, token: tr.start(s, "1.1", now=T0, token=token),
        "complete": lambda s, token: tr.complete(s, "1.1", now=T0, token=token),
        "fail": lambda s, token: tr.fail(s, "1.1", now=T0, error="e", token=token),
        "skip": lambda s, token: tr.skip(s, "1.1", now=T0, token=token),
        "reset": lambda s, token: tr.reset(s, "1.1", now=T0, token=token),
        "batch": lambda s, token: apply_batch(
            s,
            [Op(task_id="1.2", target=C, token=2), Op(task_id="1.1", target=C, token=token)],
            now=T0,
        ),
        "heartbeat": lambda s, token: heartbeat(s, "1.1", token or 0, now=T0)[0],
    }

    @pytest.mark.parametrize(
        ("write", "token"),
        [
            (write, token)
            for write in sorted(WRITES)
            for token in (None, 2, 99)
            if not (write == "heartbeat" and token is None)  # a heartbeat always has one
        ],
    )
    def test_refused(self, write: str, token: int | None) -> None:
        """No token, another task's token, an unknown token: StaleClaim, nothing changes."""
        status, _ = leased(2)
        with pytest.raises(StaleClaim) as info:
            self.WRITES[write](status, token)
        assert info.value.task_id == "1.1"
        assert info.value.current == 1
        assert info.value.holder == "w1"
        assert info.value.lease_expires_at == "2025-06-01T12:01:00.000Z"

    @pytest.mark.parametrize("write", sorted(WRITES))
    def test_accepted_with_the_token(self, write: str) -> None:
        """The current token is accepted on every path (start is an idempotent repeat)."""
        status, _ = leased(2)
        new = self.WRITES[write](status, 1)
        if write == "start":
            assert new is status
        else:
            assert new is not status

    def test_check_runs_before_idempotence(self) -> None:
        """A stale worker hears it lost the task even when its write would change nothing."""
        status, got = leased(1)
        status, _ = claim(status, 1, "w2", now=T0 + 2 * MINUTE)
        with pytest.raises(StaleClaim):
            tr.start(status, "1.1", now=T0, token=got[0].token)

    def test_never_claimed_tasks_as_before(self) -> None:
        """No claim, no token: every move of the table works as it always did."""
        status = plan("1.1")
        status = tr.start(status, "1.1", now=T0, owner="alice")
        status = tr.fail(status, "1.1", now=T0, error="e")
        status = tr.complete(status, "1.1", now=T0)
        assert status.task("1.1").status is C
        with pytest.raises(StaleClaim):  # a token where there is no claim is a stale one
            tr.reset(status, "1.1", now=T0, token=3)

    def test_finished_leased_task_takes_tokenless_writes(self) -> None:
        """Once finished, a task is no longer leased: a person may fail or reset it."""
        status, got = leased(1)
        status = tr.fail(status, "1.1", now=T0, error="e", token=got[0].token)
        assert status.task("1.1").token == 1  # kept: the record of who worked on it
        restarted = tr.start(status, "1.1", now=T0, owner="alice")
        task = restarted.task("1.1")
        assert (task.token, task.owner, task.lease_expires_at, task.status) == (
            None,
            "alice",
            None,
            I,
        )
        with pytest.raises(StaleClaim):
            tr.complete(restarted, "1.1", now=T0, token=got[0].token)

    def test_holder_restarts_its_failed_task(self) -> None:
        """The holder may start its own failed task again: the claim continues."""
        status, got = leased(1)
        status = tr.fail(status, "1.1", now=T0, error="e", token=1)
        again = tr.start(status, "1.1", now=T0, token=1)
        assert (again.task("1.1").token, again.task("1.1").retry_count) == (1, 1)
        assert tr.complete(again, "1.1", now=T0, token=got[0].token).task("1.1").status is C

    def test_reset_releases_the_claim(self) -> None:
        """A reset with the token frees the task; the old token is refused afterwards."""
        status, _ = leased(1)
        status = tr.reset(status, "1.1", now=T0, token=1)
        task = status.task("1.1")
        assert (task.status, task.owner, task.token, task.lease_expires_at) == (P, None, None, None)
        with pytest.raises(StaleClaim):
            tr.complete(status, "1.1", now=T0, token=1)

    def test_force_overrides_and_is_recorded(self) -> None:
        """force lets a write past the token check and attaches a `forced` intent."""
        status, _ = leased(1)
        new = tr.complete(status, "1.1", now=T0, force=True)
        assert new.task("1.1").status is C
        assert [(i.kind, i.task, dict(i.details)) for i in new.intents if i.kind != "by"] == [
            ("forced", "1.1", {"override": "token", "token": None, "current": 1})
        ]
        forced_start = tr.start(status, "1.1", now=T0, force=True, token=5, owner="ops")
        assert forced_start is status or forced_start.task("1.1").token is None

    def test_batch_is_all_or_nothing(self) -> None:
        """One stale op refuses the whole batch."""
        status, _ = leased(2)
        with pytest.raises(StaleClaim):
            apply_batch(
                status,
                [Op(task_id="1.1", target=C, token=1), Op(task_id="1.2", target=C, token=1)],
                now=T0,
            )

    def test_error_pickles(self) -> None:
        """StaleClaim survives a process boundary with its fields."""
        error = StaleClaim("1.1", 1, 2, "w2", "2025-06-01T12:01:00.000Z")
        again = pickle.loads(pickle.dumps(error))
        assert (again.task_id, again.token, again.current, again.holder) == ("1.1", 1, 2, "w2")
        assert "held by w2 until 2025-06-01T12:01:00.000Z" in str(again)


class TestHeartbeat:
    """heartbeat extends a live claim's lease; nothing else may."""

    def test_extends_by_the_lease_it_had(self) -> None:
        """Without a length, the lease keeps the length it was taken or extended with."""
        status, _ = leased(1, lease=timedelta(seconds=10))
        status, task = heartbeat(status, "1.1", 1, now=T0 + timedelta(seconds=4))
        assert task.lease_expires_at == T0 + timedelta(seconds=14)
        assert task.heartbeat_at == T0 + timedelta(seconds=4)
        status, task = heartbeat(status, "1.1", 1, now=T0 + timedelta(seconds=5), lease=MINUTE)
        assert task.lease_expires_at == T0 + timedelta(seconds=65)
        _, task = heartbeat(status, "1.1", 1, now=T0 + timedelta(seconds=6))
        assert task.lease_expires_at == T0 + timedelta(seconds=66)

    def test_late_heartbeat_before_reclaim_renews(self) -> None:
        """Expiry alone takes nothing away: the holder may still renew until reclaimed."""
        status, _ = leased(1)
        status, task = heartbeat(status, "1.1", 1, now=T0 + 5 * MINUTE)
        assert task.lease_expires_at == T0 + 6 * MINUTE
        assert claim(status, 1, "w2", now=T0 + 5 * MINUTE)[1] == ()

    def test_refused_after_reclaim_and_after_finish(self) -> None:
        """A reclaimed task refuses the old token; a finished one has nothing to extend."""
        status, _ = leased(1)
        reclaimed, _ = claim(status, 1, "w2", now=T0 + 2 * MINUTE)
        with pytest.raises(StaleClaim):
            heartbeat(reclaimed, "1.1", 1, now=T0 + 2 * MINUTE)
        done = tr.complete(status, "1.1", now=T0, token=1)
        with pytest.raises(InvalidTransition, match="no longer in progress"):
            heartbeat(done, "1.1", 1, now=T0)


class TestStuck:
    """A leased task is stuck when its lease expired; others after `after`."""

    def test_leased_and_unleased(self) -> None:
        """Heartbeats keep a long task alive; an unleased task is judged by its age."""
        status, _ = leased(1)
        status = tr.start(
            attrs.evolve(status, tasks=(*status.tasks, Task(id="1.2", phase="Phase 1"))),
            "1.2",
            now=T0,
        )
        later = T0 + 10 * MINUTE
        status, _ = heartbeat(status, "1.1", 1, now=later - timedelta(seconds=1))
        assert stuck(status, later, 5 * MINUTE) == (status.task("1.2"),)
        assert [t.id for t in stuck(status, later + MINUTE, 30 * MINUTE)] == ["1.1"]
        failed = fail_stuck(status, later + MINUTE, 5 * MINUTE)
        assert {t.id: t.status for t in failed.tasks} == {"1.1": F, "1.2": F}
        assert "lease of w1 (token 1) expired" in (failed.task("1.1").error or "")
        assert [i.task for i in failed.intents if i.kind == "forced"] == ["1.1"]

    def test_leases_report(self) -> None:
        """leases() lists every leased task, expired or not, before anyone reclaims it."""
        status, _ = leased(2)
        status = tr.complete(status, "1.2", now=T0, token=2)
        report = leases(status.tasks, T0 + MINUTE)
        assert [(lease.task_id, lease.owner, lease.token, lease.expired) for lease in report] == [
            ("1.1", "w1", 1, True)
        ]


class TestTracker:
    """The tracker: token on every operation, heartbeat, holder processes, the store clock."""

    def test_operations_carry_tokens(self, tmp_path: Path) -> None:
        """complete/fail/skip/reset/start/write_findings/heartbeat with and without tokens."""
        store = JsonFileStore(tmp_path / "status.json")
        store.create(plan("1.1", "1.2"))
        tracker = Tracker(store, clock=lambda: T0)
        got = tracker.claim(2, "w1", lease=MINUTE)
        assert [(t.id, t.token, t.lease_expires_at) for t in got] == [
            ("1.1", 1, T0 + MINUTE),
            ("1.2", 2, T0 + MINUTE),
        ]
        before = Path(store.path).read_bytes()
        for call in (
            lambda: tracker.complete("1.1"),
            lambda: tracker.fail("1.1", error="e", token=2),
            lambda: tracker.skip("1.1", token=2),
            lambda: tracker.reset("1.1"),
            lambda: tracker.start("1.1", token=9),
            lambda: tracker.write_findings("1.1", "text"),
            lambda: tracker.heartbeat("1.1", 2),
        ):
            with pytest.raises(StaleClaim):
                call()
        assert Path(store.path).read_bytes() == before
        assert not Path(store.findings_location("1.1")).exists()
        tracker.write_findings("1.1", "text", token=1)
        assert tracker.heartbeat("1.1", 1, lease=2 * MINUTE).lease_expires_at == T0 + 2 * MINUTE
        assert tracker.complete("1.1", token=1, notes="n").changed
        assert tracker.reset("1.2", token=2).task.token is None
        assert tracker.status().task("1.1").findings_path == "findings/1-1.md"

    def test_dry_run_claim_and_heartbeat_write_nothing(self) -> None:
        """--dry-run shows the claim and the extended lease, and stores nothing."""
        store = MemoryStore(plan("1.1"))
        tracker = Tracker(store, clock=lambda: T0)
        assert [t.token for t in tracker.claim(1, "w", dry_run=True)] == [1]
        assert store.writes == 0
        tracker.claim(1, "w", lease=MINUTE)
        assert tracker.heartbeat("1.1", 1, lease=5 * MINUTE, dry_run=True).lease_expires_at == (
            T0 + 5 * MINUTE
        )
        assert store.read().task("1.1").lease_expires_at == T0 + MINUTE

    def test_dead_holder_process_is_reclaimed(self, tmp_path: Path) -> None:
        """A claim naming a process that then dies is taken back before its lease ends."""
        store = MemoryStore(plan("1.1"))
        tracker = Tracker(store)
        child = subprocess.Popen([sys.executable, "-c", "pass"])
        child.wait(timeout=60)  # reaped: the pid no longer exists (or is reused, later)
        got = tracker.claim(1, "w1", lease=timedelta(hours=1), pid=child.pid)
        assert got[0].holder == Holder(host=host_name(), pid=child.pid)
        assert [lease.holder_dead for lease in tracker.leases()] == [True]
        again = tracker.claim(1, "w2")
        assert [(t.id, t.owner, t.token, t.reclaim_count) for t in again] == [("1.1", "w2", 2, 1)]

    def test_live_holder_keeps_its_tasks(self) -> None:
        """A holder that lives (this process) keeps its tasks for the whole lease."""
        tracker = Tracker(MemoryStore(plan("1.1")))
        tracker.claim(1, "w1", lease=timedelta(hours=1), pid=os.getpid())
        assert tracker.claim(1, "w2") == ()
        assert [lease.holder_dead for lease in tracker.leases()] == [False]


class TestHolderState:
    """Liveness of a named holder: only on this host, and a reused pid is not the holder."""

    def test_states(self) -> None:
        """Alive, dead, reused pid, other host."""
        now = datetime.now(UTC)
        assert holder_state(host_name(), os.getpid(), now) == "alive"
        assert holder_state("elsewhere", os.getpid(), now) == "unknown"
        assert holder_state(host_name(), 0, now) == "unknown"
        # This process started long after a claim made in 2001: its pid was reused.
        assert holder_state(host_name(), os.getpid(), datetime(2001, 1, 1, tzinfo=UTC)) == "dead"
        child = subprocess.Popen([sys.executable, "-c", "pass"])
        child.wait(timeout=60)
        assert holder_state(host_name(), child.pid, now) == "dead"


class TestStoreClock:
    """A store with a clock of its own gives the tracker its time."""

    def test_store_clock_used_by_default(self) -> None:
        """Leases expire by the store's clock when it has one and no clock is given."""

        class ClockedStore(MemoryStore):
            def now(self) -> datetime:
                return T0 + timedelta(days=1)

        tracker = Tracker(ClockedStore(plan("1.1")))
        assert tracker.claim(1, "w", lease=MINUTE)[0].lease_expires_at == T0 + timedelta(
            days=1, minutes=1
        )
        assert Tracker(ClockedStore(plan("1.1")), clock=lambda: T0).clock() == T0


WORKERS = ("w1", "w2", "w3")
TASKS = ("1.1", "1.2", "1.3", "1.4")
HOLDERS = {worker: Holder(host="model", pid=index + 1) for index, worker in enumerate(WORKERS)}


class LeaseModel(RuleBasedStateMachine):
    """Claim / heartbeat / complete / clock / a holder dying, against a model of who holds what.

    The model knows only what the calls returned. It checks: a completion (or heartbeat) is
    accepted exactly when it comes from the current token holder; tokens strictly increase;
    a task is taken from a holder only once that holder's lease is over (expired, or the
    holder dead) — no task is ever held by two live leases.
    """

    def __init__(self) -> None:
        super().__init__()
        self.status = plan(*TASKS)
        self.now = T0
        self.holder: dict[str, tuple[str, int]] = {}  # task -> (worker, token) of its claim
        self.expiry: dict[str, datetime] = {}
        self.done: set[str] = set()
        self.dead: set[str] = set()
        self.tokens: list[int] = []
        self.mine: dict[str, dict[str, int]] = {worker: {} for worker in WORKERS}
        self.refused = 0

    def _is_dead(self, task: Task) -> bool:
        return any(HOLDERS[w] == task.holder for w in self.dead)

    @rule(
        worker=st.sampled_from(WORKERS),
        n=st.integers(1, 2),
        seconds=st.integers(1, 6) | st.integers(1, 60),
        name_holder=st.booleans(),
    )
    def claim(self, worker: str, n: int, seconds: int, name_holder: bool) -> None:
        if worker in self.dead:
            return
        new, got = claim(
            self.status,
            n,
            worker,
            now=self.now,
            lease=timedelta(seconds=seconds),
            holder=HOLDERS[worker] if name_holder else None,
            is_dead=self._is_dead,
        )
        for task in got:
            assert task.token is not None
            assert task.token > max(self.tokens, default=0), "tokens strictly increase"
            self.tokens.append(task.token)
            assert task.id not in self.done
            previous = self.holder.get(task.id)
            if previous is not None:
                # Taken from a holder: only when that lease is over.
                assert self.now >= self.expiry[task.id] or previous[0] in self.dead
            self.holder[task.id] = (worker, task.token)
            self.expiry[task.id] = task.lease_expires_at  # type: ignore[assignment]
            self.mine[worker][task.id] = task.token
        self.status = new

    def _token(self, worker: str, task_id: str, stale: bool) -> int | None:
        token = self.mine[worker].get(task_id)
        if stale and token is not None:
            return token - 1 if token > 1 else None
        return token

    @rule(
        worker=st.sampled_from(WORKERS),
        task_id=st.sampled_from(TASKS),
        stale=st.booleans(),
        seconds=st.none() | st.integers(1, 60),
    )
    def heartbeat(self, worker: str, task_id: str, stale: bool, seconds: int | None) -> None:
        token = self._token(worker, task_id, stale)
        if token is None:
            return
        current = self.holder.get(task_id)
        expected = current == (worker, token) and task_id not in self.done
        lease = timedelta(seconds=seconds) if seconds is not None else None
        try:
            self.status, task = heartbeat(self.status, task_id, token, now=self.now, lease=lease)
        except StaleClaim:
            assert current is None or current[1] != token
            self.refused += 1
            return
        except InvalidTransition:
            assert task_id in self.done
            return
        assert expected
        self.expiry[task_id] = task.lease_expires_at  # type: ignore[assignment]

    @rule(worker=st.sampled_from(WORKERS), task_id=st.sampled_from(TASKS), stale=st.booleans())
    def complete(self, worker: str, task_id: str, stale: bool) -> None:
        token = self._token(worker, task_id, stale)
        current = self.holder.get(task_id)
        if token is None:
            # Tokenless: only a task that is not leased takes it.
            expected = current is None or task_id in self.done
        else:
            expected = current is not None and current[1] == token
        try:
            new = tr.complete(self.status, task_id, now=self.now, token=token)
        except StaleClaim:
            assert not expected
            self.refused += 1
            return
        assert expected, (worker, task_id, token, current)
        if task_id in self.done:
            assert new is self.status  # an idempotent repeat by the holder
        self.status = new
        self.done.add(task_id)

    @rule(seconds=st.integers(0, 3) | st.integers(0, 90))
    def tick(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)

    @rule(worker=st.sampled_from(WORKERS))
    def die(self, worker: str) -> None:
        self.dead.add(worker)

    @invariant()
    def tasks_agree_with_the_model(self) -> None:
        assert self.status.last_token == max(self.tokens, default=0)
        for task in self.status.tasks:
            held = self.holder.get(task.id)
            assert task.token == (held[1] if held else None)
            assert (task.status is C) == (task.id in self.done)
            assert task.status in (P, I, C)
            if task.status is I:
                assert held is not None
                assert task.owner == held[0]


TestLeaseModel = LeaseModel.TestCase
TestLeaseModel.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
