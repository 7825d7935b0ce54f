"""Stores: update latency (JSON vs its floor, JSON vs SQLite), throughput, lock hand-over.

SQLite's own choices are measured here too: ``synchronous`` (what durability costs) and the
lock file in front of ``BEGIN IMMEDIATE`` (fairness and throughput under contention).
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import attrs

from statuskit import JsonFileStore, PlanStatus, StatusStore, Task, Tracker
from statuskit.codec import dumps
from statuskit.store._lock import WriterLock
from statuskit.store.sqlite import SqliteStore

from ._util import ms, percentile, realistic_plan, sample, stats_row, table

SIZES = (10, 100, 1_000, 10_000)


def raw_durable_write(path: str, data: bytes) -> None:
    """The floor: the same bytes, written the way any durable writer must."""
    tmp = path + ".floor.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dfd = os.open(os.path.dirname(path), os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def latency(quick: bool) -> str:
    rows = []
    for n in SIZES:
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "status.json")
            store = JsonFileStore(path)
            status = realistic_plan(n)
            store.create(status)
            tracker = Tracker(store)
            data = dumps(status).encode()
            floor_path = os.path.join(folder, "floor.json")
            repeat = 20 if n >= 10_000 else 100
            if quick:
                repeat = max(5, repeat // 5)
            ids = [t.id for t in status.tasks]
            counter = iter(range(10**9))

            def update() -> None:
                # Every call changes the file (complete, then reset, then complete...), so
                # every call pays for a real write.
                step = next(counter)
                task_id = ids[(step // 2) % len(ids)]
                if step % 2:
                    tracker.reset(task_id, force=True)
                else:
                    tracker.complete(task_id, force=True)

            floor_t = sample(lambda: raw_durable_write(floor_path, data), repeat=repeat)
            update_t = sample(update, repeat=repeat)
            ratio = statistics.median(update_t) / statistics.median(floor_t)
            rows.append([f"{n:,}", *stats_row(floor_t), *stats_row(update_t), f"{ratio:.1f}x"])
    return table(
        ["tasks", "floor p50 ms", "p90", "p99", "update p50 ms", "p90", "p99", "ratio (p50)"],
        rows,
    )


def _open(kind: str, folder: str, **options: Any) -> StatusStore:
    if kind == "json":
        return JsonFileStore(os.path.join(folder, "status.json"), lock_timeout=120)
    return SqliteStore(os.path.join(folder, "statuskit.db"), "plan", lock_timeout=120, **options)


def _toggle(tracker: Tracker, ids: list[str], step: int) -> None:
    """Step k really changes the status: complete a task, then reset it, then the next..."""
    task_id = ids[(step // 2) % len(ids)]
    if step % 2:
        tracker.reset(task_id, force=True)
    else:
        tracker.complete(task_id, force=True)


def _toggler(store: StatusStore, ids: list[str]) -> Callable[[], None]:
    tracker = Tracker(store)
    steps = itertools.count()
    return lambda: _toggle(tracker, ids, next(steps))


def _one_shot(folder: str, ids: list[str]) -> Callable[[], None]:
    """What each CLI call does: open the database, one update, close."""
    steps = itertools.count()

    def call() -> None:
        with _open("sqlite", folder) as store:
            _toggle(Tracker(store), ids, next(steps))

    return call


def _whole(store: StatusStore) -> Callable[[], None]:
    """An update through the whole snapshot (claims need it), in a long-lived process."""

    def call() -> None:
        store.update(lambda s: attrs.evolve(s, plan_name=f"{s.plan_name}."))

    return call


def _alternate(calls: dict[str, Callable[[], None]], repeat: int) -> dict[str, list[float]]:
    """Time each call ``repeat`` times, taking turns, so a noisy moment hits them all alike."""
    for call in calls.values():  # warm-up
        call()
        call()
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeat):
        for name, call in calls.items():
            started = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - started)
    return times


def backends(quick: bool) -> str:
    """One-task update, JSON file vs SQLite, same plans, same run, taking turns."""
    rows = []
    for n in (100, 1_000, 10_000):
        repeat = 15 if n >= 10_000 else 60
        if quick:
            repeat = max(5, repeat // 4)
        plan = realistic_plan(n)
        ids = [t.id for t in plan.tasks]
        with (
            tempfile.TemporaryDirectory() as folder,
            _open("json", folder) as json_store,
            _open("sqlite", folder) as sqlite_store,
        ):
            json_store.create(plan)
            sqlite_store.create(plan)
            times = _alternate(
                {
                    "json": _toggler(json_store, ids),
                    "sqlite": _toggler(sqlite_store, ids),
                    "cold": _one_shot(folder, ids),
                    "whole": _whole(sqlite_store),
                },
                repeat,
            )
        rows.append(
            [
                f"{n:,}",
                *stats_row(times["json"])[:2],
                *stats_row(times["sqlite"])[:2],
                f"{statistics.median(times['json']) / statistics.median(times['sqlite']):.0f}x",
                ms(statistics.median(times["cold"])),
                ms(statistics.median(times["whole"])),
            ]
        )
    return table(
        [
            "tasks",
            "JSON p50 ms",
            "p90",
            "SQLite p50 ms",
            "p90",
            "speed-up (p50)",
            "SQLite open+update+close p50",
            "SQLite whole-snapshot update p50",
        ],
        rows,
    )


def _writer(
    kind: str,
    folder: str,
    worker: int,
    count: int,
    ready: multiprocessing.Queue[float],
    go: Event,
) -> None:
    store = _open(kind, folder)
    tracker = Tracker(store)
    store.read()  # connected and imported before the clock starts
    ready.put(0.0)
    go.wait()
    for j in range(1, count + 1):
        tracker.complete(f"{worker}.{j}", notes=f"worker {worker} update {j}")
    ready.put(time.monotonic())
    store.close()


def _lost(status: PlanStatus) -> int:
    return sum(
        1
        for t in status.tasks
        if t.status.value != "completed"
        or t.notes != f"worker {t.id.split('.')[0]} update {t.id.split('.')[1]}"
    )


def _contend(kind: str, writers: int, total: int) -> tuple[float, int]:
    """N spawned writers completing their own tasks; (updates per second, lost updates).

    The clock starts once every writer has imported statuskit and opened the store, and
    stops when the last one is done: process start-up is not part of the figure.
    """
    ctx = multiprocessing.get_context("spawn")
    count = total // writers
    with tempfile.TemporaryDirectory() as folder:
        plan = PlanStatus(
            tasks=tuple(
                Task(id=f"{w}.{j}", phase=f"Phase {w}", description=f"task {w}.{j}")
                for w in range(writers)
                for j in range(1, count + 1)
            )
        )
        with _open(kind, folder) as store:
            store.create(plan)
        ready: multiprocessing.Queue[float] = ctx.Queue()
        go = ctx.Event()
        procs = [
            ctx.Process(target=_writer, args=(kind, folder, w, count, ready, go))
            for w in range(writers)
        ]
        for proc in procs:
            proc.start()
        for _ in procs:
            ready.get(timeout=300)
        start = time.monotonic()
        go.set()
        finished = [ready.get(timeout=600) for _ in procs]
        for proc in procs:
            proc.join()
        with _open(kind, folder) as store:
            lost = _lost(store.read())
    return writers * count / (max(finished) - start), lost


def throughput(quick: bool) -> str:
    """Writers complete their own tasks in a 160-task plan; every task is checked after."""
    rows = []
    total = 32 if quick else 160
    with tempfile.TemporaryDirectory() as folder:
        plan = realistic_plan(160)
        data = dumps(plan).encode()
        floor_path = os.path.join(folder, "floor.json")
        floor_t = sample(lambda: raw_durable_write(floor_path, data), repeat=100)
        floor_rate = 1 / statistics.median(floor_t)
    for writers in (1, 4, 16):
        for kind, name in (("json", "JSON file"), ("sqlite", "SQLite")):
            rate, lost = _contend(kind, writers, total)
            rows.append(
                [
                    name,
                    str(writers),
                    str(total),
                    f"{rate:.0f}",
                    f"{rate / floor_rate:.2f}",
                    str(lost),
                ]
            )
    return table(
        [
            "store",
            "writer processes",
            "updates",
            "updates/s",
            "ratio to the JSON floor's writes/s",
            "lost updates",
        ],
        rows,
    )


def sqlite_sync(quick: bool) -> str:
    """What each ``synchronous`` level costs on a one-task update (1,000-task plan)."""
    repeat = 40 if quick else 200
    plan = realistic_plan(1_000)
    ids = [t.id for t in plan.tasks]
    rows = []
    results = {}
    for level in ("off", "normal", "full", "extra"):
        with (
            tempfile.TemporaryDirectory() as folder,
            _open("sqlite", folder, synchronous=level) as store,
        ):
            store.create(plan)
            results[level] = sample(_toggler(store, ids), repeat=repeat)
    base = statistics.median(results["normal"])
    survives = {
        "off": "SIGKILL only (OS crash: may lose or corrupt)",
        "normal": "SIGKILL; power loss may drop the last commits",
        "full": "SIGKILL and power loss",
        "extra": "SIGKILL and power loss (also syncs the directory on journal delete)",
    }
    for level, times in results.items():
        rows.append(
            [level, *stats_row(times), f"{statistics.median(times) / base:.2f}", survives[level]]
        )
    return table(
        ["synchronous", "p50 ms", "p90", "p99", "vs normal", "an update that returned survives"],
        rows,
    )


def _lock_writer(
    folder: str,
    lock_file: bool,
    worker: int,
    count: int,
    ready: multiprocessing.Queue[tuple[float, float]],
    go: Event,
) -> None:
    store = _open("sqlite", folder, lock_file=lock_file)
    tracker = Tracker(store)
    store.read()
    ready.put((0.0, 0.0))
    go.wait()
    slowest = 0.0
    for j in range(1, count + 1):
        began = time.perf_counter()
        tracker.complete(f"{worker}.{j}", notes=f"worker {worker} update {j}")
        slowest = max(slowest, time.perf_counter() - began)
    ready.put((slowest, time.monotonic()))
    store.close()


def _queue_once(lock_file: bool, writers: int, count: int) -> tuple[float, list[float], int]:
    """(updates/s, each writer's slowest update, lost updates) for one contended run."""
    ctx = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as folder:
        plan = PlanStatus(
            tasks=tuple(
                Task(id=f"{w}.{j}", phase=f"P{w}")
                for w in range(writers)
                for j in range(1, count + 1)
            )
        )
        with _open("sqlite", folder) as store:
            store.create(plan)
        ready: multiprocessing.Queue[tuple[float, float]] = ctx.Queue()
        go = ctx.Event()
        procs = [
            ctx.Process(target=_lock_writer, args=(folder, lock_file, w, count, ready, go))
            for w in range(writers)
        ]
        for proc in procs:
            proc.start()
        for _ in procs:
            ready.get(timeout=300)
        start = time.monotonic()
        go.set()
        reports = [ready.get(timeout=600) for _ in procs]
        for proc in procs:
            proc.join()
        elapsed = max(finish for _, finish in reports) - start
        with _open("sqlite", folder) as store:
            lost = _lost(store.read())
    return writers * count / elapsed, [worst for worst, _ in reports], lost


def sqlite_locking(quick: bool) -> str:
    """16 writers: the lock file in front of BEGIN IMMEDIATE vs SQLite's busy handler alone.

    Three alternating runs of each (one with ``quick``), so that a noisy moment does not
    decide; the table gives the median rate and the slowest updates over all runs.
    """
    writers, count, rounds = 16, 5 if quick else 20, 1 if quick else 3
    results: dict[bool, list[tuple[float, list[float], int]]] = {True: [], False: []}
    for _ in range(rounds):
        for lock_file in (True, False):
            results[lock_file].append(_queue_once(lock_file, writers, count))
    rows = []
    for lock_file, runs in results.items():
        slowest = [worst for _, worsts, _ in runs for worst in worsts]
        rows.append(
            [
                "lock file + BEGIN IMMEDIATE" if lock_file else "BEGIN IMMEDIATE + busy handler",
                " / ".join(f"{rate:.0f}" for rate, _, _ in runs),
                ms(statistics.median(slowest)),
                ms(percentile(slowest, 90)),
                ms(max(slowest)),
                str(sum(lost for _, _, lost in runs)),
            ]
        )
    return table(
        [
            "writers queue on",
            "updates/s (each run)",
            "a writer's slowest update: p50 ms",
            "p90",
            "max",
            "lost updates",
        ],
        rows,
    )


def _holder(lock_path: str, rounds: int, queue: multiprocessing.Queue[float]) -> None:
    for _ in range(rounds):
        lock = WriterLock(lock_path, timeout=30)
        lock.acquire()
        time.sleep(0.005)
        released = time.monotonic()
        lock.release()
        queue.put(released)
        time.sleep(0.01)  # let the waiter take it


def _waiter(lock_path: str, rounds: int, queue: multiprocessing.Queue[float]) -> None:
    for _ in range(rounds):
        lock = WriterLock(lock_path, timeout=30)
        time.sleep(0.001)
        lock.acquire()
        got = time.monotonic()
        lock.release()
        queue.put(got)
        time.sleep(0.009)


def handover(quick: bool) -> str:
    """Release-to-acquire latency across processes (CLOCK_MONOTONIC is system-wide)."""
    rounds = 40 if quick else 200
    ctx = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as folder:
        lock_path = str(Path(folder) / "status.json.lock")
        released: multiprocessing.Queue[float] = ctx.Queue()
        acquired: multiprocessing.Queue[float] = ctx.Queue()
        holder = ctx.Process(target=_holder, args=(lock_path, rounds, released))
        waiter = ctx.Process(target=_waiter, args=(lock_path, rounds, acquired))
        holder.start()
        waiter.start()
        rel = [released.get(timeout=60) for _ in range(rounds)]
        acq = [acquired.get(timeout=60) for _ in range(rounds)]
        holder.join()
        waiter.join()
    # Pair each acquisition with the latest release before it; keep contended ones only.
    gaps = []
    for got in acq:
        before = [r for r in rel if r <= got]
        if before and got - before[-1] < 0.004:
            gaps.append(got - before[-1])
    return table(
        ["contended hand-overs", "p50 ms", "p90 ms", "p99 ms", "max ms"],
        [
            [
                str(len(gaps)),
                ms(statistics.median(gaps)),
                ms(percentile(gaps, 90)),
                ms(percentile(gaps, 99)),
                ms(max(gaps)),
            ]
        ],
    )


def run(quick: bool = False) -> dict[str, str]:
    return {
        "store-latency": latency(quick),
        "store-backends": backends(quick),
        "store-throughput": throughput(quick),
        "store-handover": handover(quick),
        "sqlite-sync": sqlite_sync(quick),
        "sqlite-locking": sqlite_locking(quick),
    }
