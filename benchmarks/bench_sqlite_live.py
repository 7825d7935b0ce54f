"""The live view on SQLite: how soon a watcher learns of a commit, and what watching costs.

Another process completes a task every 80 ms; the latency is from the moment it *starts*
the update to the moment the watcher, woken by its feed, has read the new status. Compared
in one run: ``PRAGMA data_version`` polling at several intervals, waking on inotify events
of the ``-wal`` file and confirming with ``data_version`` (statuskit's default), and the JSON
file's inotify feed on the same plan as the reference. The idle cost is the watcher thread's
CPU time while nothing changes.
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable

from statuskit import ChangeFeed, JsonFileStore, StatusStore, Tracker
from statuskit.store._sqlite_watch import SqliteChangeFeed
from statuskit.store.sqlite import SqliteStore

from ._util import ms, percentile, realistic_plan, table


def _writer(kind: str, folder: str, ids: list[str], starts: multiprocessing.Queue[float]) -> None:
    store = _open(kind, folder)
    tracker = Tracker(store)
    time.sleep(0.5)
    for task_id in ids:
        starts.put(time.monotonic())
        tracker.complete(task_id, force=True)
        time.sleep(0.08)
    store.close()


def _open(kind: str, folder: str) -> StatusStore:
    if kind == "json":
        return JsonFileStore(os.path.join(folder, "status.json"))
    return SqliteStore(os.path.join(folder, "x.db"), "plan")


def measure(
    kind: str, feed_of: Callable[[StatusStore], ChangeFeed], samples: int
) -> tuple[list[float], float]:
    """Latencies of ``samples`` changes, and the watcher's idle CPU share (percent)."""
    ctx = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as folder:
        plan = realistic_plan(100)
        store = _open(kind, folder)
        store.create(plan)
        ids = [t.id for t in plan.tasks if t.status.value != "completed"][:samples]
        seen: list[tuple[float, int]] = []
        stop = threading.Event()
        idle_cpu: list[float] = []

        def watch() -> None:
            feed = feed_of(store)
            began, cpu = time.monotonic(), time.thread_time()
            while time.monotonic() - began < 1.0:  # idle: nothing changes yet
                feed.wait(0.2)
            idle_cpu.append((time.thread_time() - cpu) / (time.monotonic() - began) * 100)
            ready.set()
            while not stop.is_set():
                if feed.wait(0.2):
                    seen.append((time.monotonic(), store.read().summary.completed))
            feed.close()

        ready = threading.Event()
        thread = threading.Thread(target=watch)
        thread.start()
        ready.wait(30)
        starts: multiprocessing.Queue[float] = ctx.Queue()
        writer = ctx.Process(target=_writer, args=(kind, folder, ids, starts))
        writer.start()
        started = [starts.get(timeout=60) for _ in ids]
        writer.join()
        time.sleep(0.5)
        stop.set()
        thread.join(5)
        store.close()
    base = plan.summary.completed
    latencies = []
    for index, start in enumerate(started):
        hits = [when for when, done in seen if done >= base + index + 1 and when >= start]
        if hits:
            latencies.append(min(hits) - start)
    return latencies, idle_cpu[0]


def run(quick: bool = False) -> str:
    samples = 15 if quick else 60

    def polling(interval: float) -> Callable[[StatusStore], ChangeFeed]:
        def feed(store: StatusStore) -> ChangeFeed:
            assert isinstance(store, SqliteStore)
            return SqliteChangeFeed(store, interval=interval, force_polling=True)

        return feed

    def default(store: StatusStore) -> ChangeFeed:
        assert isinstance(store, (SqliteStore, JsonFileStore))
        return store.watch()

    modes: list[tuple[str, str, Callable[[StatusStore], ChangeFeed]]] = [
        ("SQLite: data_version every 1 ms", "sqlite", polling(0.001)),
        ("SQLite: data_version every 5 ms", "sqlite", polling(0.005)),
        ("SQLite: data_version every 20 ms", "sqlite", polling(0.02)),
        ("SQLite: inotify on -wal + data_version (default)", "sqlite", default),
        ("JSON file: inotify on the folder (reference)", "json", default),
    ]
    rows = []
    for name, kind, feed in modes:
        values, cpu = measure(kind, feed, samples)
        rows.append(
            [
                name,
                f"{len(values)}/{samples}",
                ms(statistics.median(values)),
                ms(percentile(values, 90)),
                ms(percentile(values, 99)),
                ms(max(values)),
                f"{cpu:.2f}",
            ]
        )
    return table(
        ["watcher", "changes seen", "p50 ms", "p90 ms", "p99 ms", "max ms", "idle CPU %"], rows
    )
