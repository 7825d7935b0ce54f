"""Wall time of `statuskit` commands against bare Python start-up, as real processes.

``stores`` runs ``mark-complete`` on 100, 1,000 and 10,000-task plans kept in the JSON file
and in SQLite, side by side: a one-task command should cost the same whatever the plan size.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from statuskit import JsonFileStore
from statuskit.store.sqlite import SqliteStore

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


def _complete(cli: list[str], where: list[str], task_id: str, cwd: str) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [*cli, *where, "mark-complete", task_id],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    assert done.returncode == 0, done.stdout
    return elapsed


def stores(quick: bool = False) -> str:
    """``mark-complete`` through the CLI, JSON file vs SQLite, on growing plans."""
    runs = 8 if quick else RUNS
    cli = _statuskit()
    sizes = (100, 1_000, 10_000)
    results: dict[tuple[str, int], list[float]] = {
        (kind, n): [] for kind in ("json", "sqlite") for n in sizes
    }
    with tempfile.TemporaryDirectory() as folder:
        places: dict[tuple[str, int], list[str]] = {}
        pending: dict[int, list[str]] = {}
        for n in sizes:
            plan = realistic_plan(n)
            pending[n] = [t.id for t in plan.tasks if t.status.value == "pending"]
            path = os.path.join(folder, f"s{n}", "status.json")
            JsonFileStore(path).create(plan)
            with SqliteStore(os.path.join(folder, "plans.db"), f"plan-{n}") as store:
                store.create(plan)
            places["json", n] = ["--status", path]
            places["sqlite", n] = ["--store", "sqlite:plans.db", "--plan-key", f"plan-{n}"]
        for where in places.values():  # warm the caches (and compile byte-code) first
            subprocess.run(
                [*cli, *where, "progress"], cwd=folder, env=_env(), capture_output=True, check=False
            )
        # Each store holds its own copy of each plan, so the same pending tasks are completed
        # in both. Round-robin over sizes and stores: a noisy moment hits them all alike.
        for index in range(runs):
            for n in sizes:
                for kind in ("json", "sqlite"):
                    task_id = pending[n][index]
                    results[kind, n].append(_complete(cli, places[kind, n], task_id, folder))
    rows = []
    for n in (100, 1_000, 10_000):
        row = [f"{n:,}"]
        for kind in ("json", "sqlite"):
            times = results[kind, n]
            own = statistics.median(times) / statistics.median(results[kind, 100])
            row += [ms(statistics.median(times)), ms(percentile(times, 90)), f"{own:.2f}"]
        rows.append(row)
    return table(
        [
            "tasks",
            "JSON file p50 ms",
            "p90",
            "vs its 100-task p50",
            "SQLite p50 ms",
            "p90",
            "vs its 100-task p50",
        ],
        rows,
    )
