"""Leases and the journal: the token check, a claim that reclaims, the journal's cost."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta

import attrs

from statuskit import JsonFileStore, PlanStatus, TaskState, Tracker, claim
from statuskit import transitions as tr
from statuskit.store.base import Change

from ._util import realistic_plan, stats_row, table

SIZES = (100, 1_000)
HOUR = timedelta(hours=1)


def _pending(n: int) -> PlanStatus:
    """The realistic plan with every task pending and free to start (no dependencies)."""
    status = realistic_plan(n)
    return attrs.evolve(
        status,
        tasks=tuple(
            attrs.evolve(
                t,
                status=TaskState.PENDING,
                started_at=None,
                completed_at=None,
                duration_ms=None,
                dependencies=(),
            )
            for t in status.tasks
        ),
    )


def _interleaved(
    a: Callable[[], object], b: Callable[[], object], *, repeat: int
) -> tuple[list[float], list[float]]:
    """Time a and b alternately, so that drift on a shared machine hits both alike."""
    for _ in range(2):
        a()
        b()
    times_a, times_b = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        a()
        times_a.append(time.perf_counter() - started)
        started = time.perf_counter()
        b()
        times_b.append(time.perf_counter() - started)
    return times_a, times_b


def token_check(quick: bool) -> str:
    """A completion of a leased task (token checked) against the same of an unleased one."""
    rows = []
    for n in SIZES:
        base = _pending(n)
        now = base.last_updated_at
        assert now is not None
        middle = base.tasks[n // 2].id
        unleased = tr.start(base, middle, now=now)
        leased = attrs.evolve(
            unleased,
            tasks=tuple(
                attrs.evolve(t, owner="w", token=7, lease_expires_at=now + HOUR)
                if t.id == middle
                else t
                for t in unleased.tasks
            ),
        )
        repeat = 300 if quick else 3000
        plain, fenced = _interleaved(
            lambda: tr.complete(unleased, middle, now=now),
            lambda: tr.complete(leased, middle, now=now, token=7),
            repeat=repeat,
        )
        task = leased.task(middle)
        loops = 100_000
        started = time.perf_counter()
        for _ in range(loops):
            tr.check_token(task, 7)
        alone = (time.perf_counter() - started) / loops
        rows.append([f"{n:,}", *stats_row(plain), *stats_row(fenced), f"{alone * 1e9:.0f}"])
    return table(
        [
            "tasks",
            "complete, unleased p50 ms",
            "p90",
            "p99",
            "complete with token p50 ms",
            "p90",
            "p99",
            "check_token alone ns",
        ],
        rows,
    )


def reclaim(quick: bool) -> str:
    """claim(n) of pending tasks against claim(n) that takes back expired leases (pure)."""
    rows = []
    for n in SIZES:
        base = _pending(n)
        now = base.last_updated_at
        assert now is not None
        take = 10
        # Every task leased, every lease expired: the claim must find and take 10 back.
        expired, _ = claim(base, n, "old", now=now - 2 * HOUR, lease=HOUR, cross_phase=True)
        repeat = 50 if quick else 400
        fresh, again = _interleaved(
            lambda: claim(base, take, "w", now=now, lease=HOUR, cross_phase=True),
            lambda: claim(expired, take, "w", now=now, lease=HOUR, cross_phase=True),
            repeat=repeat,
        )
        _, got = claim(expired, take, "w", now=now, lease=HOUR, cross_phase=True)
        assert len(got) == take
        assert all(t.reclaim_count == 1 for t in got)
        rows.append([f"{n:,}", str(take), *stats_row(fresh), *stats_row(again)])
    return table(
        [
            "tasks",
            "claimed",
            "claim pending p50 ms",
            "p90",
            "p99",
            "claim reclaiming p50 ms",
            "p90",
            "p99",
        ],
        rows,
    )


class _Unjournaled(JsonFileStore):
    """The same durable write without the journal: the floor the journal is priced against."""

    def update(self, change: Change) -> PlanStatus:
        with self._lock():
            current = self.read()
            new = change(current)
            if new is current:
                return current
            self._writable_target()
            self._clean()
            return self._write(new, keep_backup=True)


def journal_cost(quick: bool) -> str:
    """One JSON update (complete, then reset, ...) with and without the journal."""
    rows = []
    for n in (10, 100, 1_000):
        with tempfile.TemporaryDirectory() as folder:
            status = realistic_plan(n)
            with_journal = JsonFileStore(os.path.join(folder, "a", "status.json"))
            without = _Unjournaled(os.path.join(folder, "b", "status.json"))
            with_journal.create(status)
            without.create(status)
            ids = [t.id for t in status.tasks]

            def updater(store: JsonFileStore) -> Callable[[], object]:
                tracker = Tracker(store)
                counter = iter(range(10**9))

                def update() -> None:
                    step = next(counter)
                    task_id = ids[(step // 2) % len(ids)]
                    if step % 2:
                        tracker.reset(task_id, force=True)
                    else:
                        tracker.complete(task_id, force=True)

                return update

            repeat = 40 if quick else (100 if n >= 1_000 else 300)
            plain, journaled = _interleaved(updater(without), updater(with_journal), repeat=repeat)
            share = statistics.median(journaled) / statistics.median(plain) - 1
            size = os.path.getsize(with_journal.journal.path)
            lines = len(with_journal.history())
            rows.append(
                [
                    f"{n:,}",
                    *stats_row(plain),
                    *stats_row(journaled),
                    f"{100 * share:+.1f}%",
                    f"{size / lines:.0f}",
                ]
            )
    return table(
        [
            "tasks",
            "update without journal p50 ms",
            "p90",
            "p99",
            "with journal p50 ms",
            "p90",
            "p99",
            "journal's share (p50)",
            "bytes per event",
        ],
        rows,
    )


def run(quick: bool) -> dict[str, str]:
    """Every table of this module."""
    return {
        "leases-token": token_check(quick),
        "leases-reclaim": reclaim(quick),
        "leases-journal": journal_cost(quick),
    }
