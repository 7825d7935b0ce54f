"""JsonFileStore: update latency vs the raw durable write, throughput, lock hand-over."""

from __future__ import annotations

import multiprocessing
import os
import statistics
import tempfile
import time
from pathlib import Path

from statuskit import JsonFileStore, PlanStatus, Task, Tracker
from statuskit.codec import dumps
from statuskit.store._lock import WriterLock

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


def _writer(path: str, worker: int, count: int, start: float) -> None:
    tracker = Tracker(JsonFileStore(path, lock_timeout=120))
    while time.time() < start:
        time.sleep(0.001)
    for j in range(1, count + 1):
        tracker.complete(f"{worker}.{j}", notes=f"worker {worker} update {j}")


def throughput(quick: bool) -> str:
    """Writers complete their own tasks in a 160-task plan; every task is checked after."""
    rows = []
    ctx = multiprocessing.get_context("spawn")
    total = 32 if quick else 160
    for writers in (1, 4, 16):
        count = total // writers
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "status.json")
            plan = PlanStatus(
                tasks=tuple(
                    Task(id=f"{w}.{j}", phase=f"Phase {w}", description=f"task {w}.{j}")
                    for w in range(writers)
                    for j in range(1, count + 1)
                )
            )
            JsonFileStore(path).create(plan)
            data = dumps(plan).encode()
            floor_path = os.path.join(folder, "floor.json")
            floor_t = sample(lambda: raw_durable_write(floor_path, data), repeat=100)
            floor_rate = 1 / statistics.median(floor_t)
            start = time.time() + 2.0  # every process imported and waiting by then
            procs = [
                ctx.Process(target=_writer, args=(path, w, count, start)) for w in range(writers)
            ]
            for proc in procs:
                proc.start()
            for proc in procs:
                proc.join()
            elapsed = time.time() - start
            final = JsonFileStore(path).read()
            lost = sum(
                1
                for t in final.tasks
                if t.status.value != "completed"
                or t.notes != f"worker {t.id.split('.')[0]} update {t.id.split('.')[1]}"
            )
            updates = writers * count
            rate = updates / elapsed
            rows.append(
                [
                    str(writers),
                    str(updates),
                    f"{rate:.0f}",
                    f"{floor_rate:.0f}",
                    f"{rate / floor_rate:.2f}",
                    str(lost),
                ]
            )
    return table(
        [
            "writer processes",
            "updates",
            "updates/s",
            "serialized floor writes/s",
            "ratio to floor",
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
        "store-throughput": throughput(quick),
        "store-handover": handover(quick),
    }
