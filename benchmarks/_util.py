"""Shared helpers: timing, percentiles, the environment line, markdown tables."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone

from statuskit import PlanStatus, Task, TaskState

UTC = timezone.utc


def environment() -> str:
    """One line describing where the figures were measured."""
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    return (
        f"Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.system()} {platform.release()}, {os.cpu_count()} cores{load}, "
        f"measured {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}"
    )


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by nearest rank."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def sample(func: Callable[[], object], *, repeat: int, warmup: int = 2) -> list[float]:
    """Seconds per call, ``repeat`` times, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        func()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return times


def ms(value: float) -> str:
    """Seconds as milliseconds with sensible precision."""
    value *= 1000
    return f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 100 else f"{value:.0f}"


def stats_row(times: Sequence[float]) -> list[str]:
    """Median, p90, p99 in milliseconds."""
    return [ms(statistics.median(times)), ms(percentile(times, 90)), ms(percentile(times, 99))]


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def realistic_plan(n: int) -> PlanStatus:
    """A plan of n tasks shaped like the real files: phases of ~10, mixed states, notes."""
    start = datetime(2025, 12, 25, 2, 58, 33, 338000, tzinfo=UTC)
    tasks = []
    for index in range(n):
        phase = index // 10 + 1
        state = (TaskState.COMPLETED, TaskState.PENDING, TaskState.IN_PROGRESS)[index % 3]
        began = start + timedelta(minutes=index)
        done = state is TaskState.COMPLETED
        tasks.append(
            Task(
                id=f"{phase}.{index % 10 + 1}",
                phase=f"Phase {phase}: Work package {phase}",
                description=f"Implement part {index} of the feature and document it in the guide",
                status=state,
                started_at=began if state is not TaskState.PENDING else None,
                completed_at=began + timedelta(seconds=95) if done else None,
                duration_ms=95000 if done else None,
                notes="Implemented and verified with the test suite; see findings."
                if done
                else None,
                dependencies=(f"{phase}.{index % 10}",) if index % 10 else (),
            )
        )
    return PlanStatus(
        tasks=tuple(tasks),
        plan_path="docs/plans/benchmark.md",
        plan_name="Benchmark plan",
        created_at=start,
        last_updated_at=start,
        current_phase=tasks[0].phase if tasks else None,
    )
