"""Live view latency: from an external write starting to the view being told."""

from __future__ import annotations

import multiprocessing
import os
import statistics
import tempfile
import threading
import time

from statuskit import JsonFileStore, Tracker
from statuskit.orchestrator.watch import StatusWatcher

from ._util import ms, percentile, realistic_plan, table


def _writer(path: str, ids: list[str], starts: multiprocessing.Queue[float]) -> None:
    tracker = Tracker(JsonFileStore(path))
    time.sleep(0.5)
    for task_id in ids:
        starts.put(time.monotonic())
        tracker.complete(task_id, force=True)
        time.sleep(0.08)


def measure(polling: bool, samples: int) -> list[float]:
    ctx = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "status.json")
        plan = realistic_plan(100)
        JsonFileStore(path).create(plan)
        store = JsonFileStore(path)
        ids = [t.id for t in plan.tasks if t.status.value != "completed"][:samples]
        seen: list[tuple[float, int]] = []
        lock = threading.Lock()

        def changed() -> None:
            done = store.read().summary.completed  # what the view does: read the new status
            with lock:
                seen.append((time.monotonic(), done))

        watcher = StatusWatcher(store, changed, force_polling=polling).start()
        starts: multiprocessing.Queue[float] = ctx.Queue()
        writer = ctx.Process(target=_writer, args=(path, ids, starts))
        writer.start()
        started = [starts.get(timeout=60) for _ in ids]
        writer.join()
        time.sleep(0.5)
        watcher.stop()
    base = plan.summary.completed
    latencies = []
    for index, start in enumerate(started):
        target = base + index + 1
        hits = [when for when, done in seen if done >= target and when >= start]
        if hits:
            latencies.append(min(hits) - start)
    return latencies


def run(quick: bool = False) -> str:
    samples = 15 if quick else 60
    rows = []
    for mode, polling in (("inotify", False), ("polling reads (fallback, 0.1 s)", True)):
        values = measure(polling, samples)
        rows.append(
            [
                mode,
                f"{len(values)}/{samples}",
                ms(statistics.median(values)),
                ms(percentile(values, 90)),
                ms(percentile(values, 99)),
                ms(max(values)),
            ]
        )
    return table(["watcher", "changes seen", "p50 ms", "p90 ms", "p99 ms", "max ms"], rows)
