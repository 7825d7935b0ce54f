"""Wall time of `statuskit` commands against bare Python start-up, as real processes."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from statuskit import JsonFileStore

from ._util import ms, percentile, realistic_plan, table

RUNS = 25


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # Byte-code caching on, as for an installed package (pip compiles on install).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _time(argv: list[str], cwd: str, runs: int) -> list[float]:
    env = _env()
    subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)  # warm caches
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)
        times.append(time.perf_counter() - started)
    return times


def _statuskit() -> list[str]:
    script = shutil.which("statuskit", path=os.path.dirname(sys.executable))
    return [script] if script else [sys.executable, "-m", "statuskit"]


def run(quick: bool = False) -> str:
    runs = 8 if quick else RUNS
    rows = []
    floors = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python: import typing, re, json, datetime": [
            sys.executable,
            "-c",
            "import typing, re, json, datetime",
        ],
    }
    with tempfile.TemporaryDirectory() as folder:
        floor_times = {name: _time(argv, folder, runs) for name, argv in floors.items()}
        for name, times in floor_times.items():
            rows.append(
                [name, "-", ms(statistics.median(times)), ms(percentile(times, 90)), "1.00"]
            )
        base = statistics.median(floor_times["python: import typing, re, json, datetime"])
        for n in (100, 1_000):
            path = os.path.join(folder, f"s{n}", "status.json")
            plan = realistic_plan(n)
            JsonFileStore(path).create(plan)
            pending = [t.id for t in plan.tasks if t.status.value == "pending"]
            cli = _statuskit()
            status_times = _time([*cli, "--status", path, "status"], folder, runs)
            env = _env()
            complete_times = []
            subprocess.run(
                [*cli, "--status", path, "progress"], env=env, capture_output=True, check=False
            )
            for task_id in pending[:runs]:
                started = time.perf_counter()
                done = subprocess.run(
                    [*cli, "--status", path, "mark-complete", task_id],
                    env=env,
                    capture_output=True,
                    check=False,
                )
                complete_times.append(time.perf_counter() - started)
                assert done.returncode == 0, done.stdout
            for name, times in (
                ("statuskit status", status_times),
                ("statuskit mark-complete", complete_times),
            ):
                rows.append(
                    [
                        name,
                        f"{n:,}",
                        ms(statistics.median(times)),
                        ms(percentile(times, 90)),
                        f"{statistics.median(times) / base:.2f}",
                    ]
                )
    return table(
        ["command", "tasks", "median ms", "p90 ms", "ratio to the stdlib-import floor"], rows
    )
