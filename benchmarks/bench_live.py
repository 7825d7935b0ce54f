"""The live view and the agent session.

* watcher latency: from an external write starting to the view being told;
* session costs: the keeper's start-up against a bare ``Popen`` of the same agent (the floor),
  and ending a session whose agent left a child holding its output;
* drawing one frame of the screen at 80x24 and 140x45 with full sections (10 per second are
  drawn, so a frame must cost far less than 100 ms).
"""

from __future__ import annotations

import io
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from statuskit import JsonFileStore, Tracker
from statuskit.orchestrator.watch import StatusWatcher

from ._util import ms, percentile, realistic_plan, stats_row, table


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


_INIT = '{"type": "system", "subtype": "init", "session_id": "s"}'
_FIRST_LINE = f"print({_INIT!r}, flush=True); import time; time.sleep(30)"
_LEFT_CHILD = (
    "import subprocess, sys; "
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']); "
    "print('{}', flush=True)"
)


def _bare_first_line() -> float:
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", _FIRST_LINE], stdout=subprocess.PIPE)
    assert process.stdout is not None
    process.stdout.readline()
    took = time.perf_counter() - started
    process.kill()
    process.wait()
    process.stdout.close()
    return took


def _session(folder: str, code: str) -> object:
    from statuskit.orchestrator.agent import AgentSession

    return AgentSession(
        [sys.executable, "-c", code],
        prompt=None,
        cwd=folder,
        env=dict(os.environ),
        timeout=60,
        stream_log=os.path.join(folder, "s.jsonl"),
        stderr_log=os.path.join(folder, "e.log"),
        grace=1.0,
        linger=0.0,
    )


def session_costs(repeat: int) -> str:
    from statuskit.orchestrator.agent import AgentSession

    bare, kept, ended = [], [], []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(repeat):
            bare.append(_bare_first_line())
            started = time.perf_counter()
            agent = _session(folder, _FIRST_LINE)
            assert isinstance(agent, AgentSession)
            deadline = time.monotonic() + 60
            while not agent.pump(0.01) and time.monotonic() < deadline:
                pass
            kept.append(time.perf_counter() - started)
            agent.close(hurry=True)
            agent = _session(folder, _LEFT_CHILD)
            assert isinstance(agent, AgentSession)
            deadline = time.monotonic() + 60
            while agent.exit_code is None and time.monotonic() < deadline:
                agent.pump(0.01)
            started = time.perf_counter()
            while not agent.finished and time.monotonic() < deadline:
                agent.pump(0.01)  # linger 0: ended at once, the child killed by the keeper
            agent.close()
            ended.append(time.perf_counter() - started)
    floor = statistics.median(bare)
    rows = [
        ["agent started bare (`Popen`, floor): first line", *stats_row(bare), "1.00x"],
        [
            "agent started under its keeper: first event",
            *stats_row(kept),
            f"{statistics.median(kept) / floor:.2f}x",
        ],
        ["agent exited, its child holds stdout: all ended", *stats_row(ended), ""],
    ]
    return table(["session", "p50 ms", "p90 ms", "p99 ms", "vs floor"], rows)


def render_costs(repeat: int) -> str:
    from rich.console import Console

    from statuskit import MemoryStore
    from statuskit.orchestrator import ViewState
    from statuskit.orchestrator.screen import RichView
    from statuskit.stream import Text, ToolFinished, ToolStarted

    plan = realistic_plan(100)
    state = ViewState(plan_name="A realistic plan", run_id="run-1", max_iterations=50)
    tracker = Tracker(MemoryStore(plan))
    state.update_status(tracker.status())
    for session in range(1, 8):
        state.begin_session(session, (f"{session}.1",))
        for tool in range(10):
            tool_id = f"t{session}-{tool}"
            command = f"statuskit --plan docs/plans/x.md mark-started {session}.{tool}"
            state.add_event(ToolStarted(1, tool_id, "Bash", None, {"command": command}))
            state.add_event(ToolFinished(2, tool_id, "Bash", None, False, 0.1, "ok"))
            state.add_event(Text(3, "Working on the task " * 5, None))
        state.note(f"session {session} done")
    rows = []
    for width, height in ((80, 24), (140, 45)):
        console = Console(file=io.StringIO(), width=width, height=height, color_system="truecolor")
        view = RichView(state, console)

        def draw(view: RichView = view, console: Console = console) -> None:
            console.print(view.render())

        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            draw()
            times.append(time.perf_counter() - started)
        rows.append([f"{width}x{height}", *stats_row(times)])
    return table(["frame", "p50 ms", "p90 ms", "p99 ms"], rows)


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
    watcher = table(["watcher", "changes seen", "p50 ms", "p90 ms", "p99 ms", "max ms"], rows)
    sessions = session_costs(5 if quick else 20)
    frames = render_costs(20 if quick else 100)
    return f"{watcher}\n\n{sessions}\n\n{frames}"
