"""Every backend behaves exactly like MemoryStore, under any sequence of operations.

One state machine per backend of ``tests/backends.py`` (the memory store is the reference).
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from statuskit import (
    FindingsNotFound,
    MemoryStore,
    PlanStatus,
    StatusKitError,
    Task,
    TaskState,
    Tracker,
    encode,
)

from .backends import BACKENDS, Backend

UTC = timezone.utc
IDS = ["1.1", "1.2", "1.3", "2.1", "2.2", "9.9"]  # 9.9 does not exist


class Clock:
    """A deterministic clock shared by both trackers (ms precision, like the file)."""

    def __init__(self) -> None:
        self.now = datetime(2025, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class StoresAgree(RuleBasedStateMachine):
    """Apply each operation to both stores; results, errors and contents must agree."""

    backend: Backend

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="statuskit-stateful-"))
        self.clock = Clock()
        self.memory = Tracker(MemoryStore(), clock=self.clock)
        self.file = Tracker(self.backend.open(self.folder), clock=self.clock)

    def teardown(self) -> None:
        self.file.store.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    @initialize()
    def create(self) -> None:
        plan = PlanStatus(
            tasks=(
                Task(id="1.1", phase="P1"),
                Task(id="1.2", phase="P1", dependencies=("1.1",)),
                Task(id="1.3", phase="P1"),
                Task(id="2.1", phase="P2"),
                Task(id="2.2", phase="P2"),
            ),
            created_at=self.clock.now,
        )
        self.memory.store.create(plan)
        self.file.store.create(plan)

    def both(self, name: str, *args: Any, **kwargs: Any) -> None:
        results = []
        for tracker in (self.memory, self.file):
            try:
                value = getattr(tracker, name)(*args, **kwargs)
                results.append(("ok", value))
            except StatusKitError as exc:
                results.append(("error", (type(exc), str(exc))))
            except ValueError as exc:
                results.append(("error", (type(exc), str(exc))))
        (kind_m, value_m), (kind_f, value_f) = results
        assert kind_m == kind_f, (name, args, results)
        if kind_m == "error" and value_m[0] is FindingsNotFound:
            assert value_f[0] is FindingsNotFound  # the message names each backend's place
        elif kind_m == "error":
            assert value_m == value_f
        elif hasattr(value_m, "task"):
            assert value_m.task == value_f.task
            assert value_m.changed == value_f.changed
        elif name not in ("write_findings",):
            assert value_m == value_f

    @rule(seconds=st.integers(0, 4000))
    def tick(self, seconds: int) -> None:
        self.clock.now += timedelta(seconds=seconds, milliseconds=seconds % 7)

    @rule(task_id=st.sampled_from(IDS), force=st.booleans())
    def start(self, task_id: str, force: bool) -> None:
        self.both("start", task_id, force=force, owner="w")

    @rule(task_id=st.sampled_from(IDS), notes=st.none() | st.text(max_size=5), force=st.booleans())
    def complete(self, task_id: str, notes: str | None, force: bool) -> None:
        self.both("complete", task_id, notes=notes, force=force)

    @rule(task_id=st.sampled_from(IDS), error=st.text(max_size=5), force=st.booleans())
    def fail(self, task_id: str, error: str, force: bool) -> None:
        self.both("fail", task_id, error=error, force=force)

    @rule(task_id=st.sampled_from(IDS), reason=st.none() | st.text(max_size=5))
    def skip(self, task_id: str, reason: str | None) -> None:
        self.both("skip", task_id, reason=reason)

    @rule(task_id=st.sampled_from(IDS), force=st.booleans())
    def reset(self, task_id: str, force: bool) -> None:
        self.both("reset", task_id, force=force)

    @rule(n=st.integers(0, 3), retries=st.none() | st.integers(0, 2), cross=st.booleans())
    def claim(self, n: int, retries: int | None, cross: bool) -> None:
        self.both("claim", n, "owner", max_retries=retries, cross_phase=cross)

    @rule(run_id=st.none() | st.sampled_from(["r1", "r2"]))
    def start_run(self, run_id: str | None) -> None:
        self.both("start_run", run_id)

    @rule(run_id=st.none() | st.sampled_from(["r1", "r2"]), done=st.integers(0, 5))
    def complete_run(self, run_id: str | None, done: int) -> None:
        self.both("complete_run", run_id, completed=done, failed=0)

    @rule(minutes=st.integers(0, 120))
    def fail_stuck(self, minutes: int) -> None:
        self.both("fail_stuck", timedelta(minutes=minutes))

    @rule(task_id=st.sampled_from(IDS), text=st.text(max_size=10))
    def findings(self, task_id: str, text: str) -> None:
        self.both("write_findings", task_id, text)
        self.both("read_findings", task_id)

    @invariant()
    def same_content(self) -> None:
        assert encode(self.memory.status()) == encode(self.file.status())
        summary = self.file.summary()
        assert summary.total == 5
        assert sum(getattr(summary, s.value) for s in TaskState) == 5


def _machine(backend: Backend) -> type[StoresAgree]:
    class Machine(StoresAgree):
        pass

    Machine.backend = backend
    Machine.__name__ = Machine.__qualname__ = f"Agree_{backend.name}"
    Machine.TestCase.settings = settings(max_examples=40, stateful_step_count=30, deadline=None)
    return Machine


for _name in sorted(BACKENDS):
    if _name != "memory":
        globals()[f"TestStoresAgree_{_name}"] = _machine(BACKENDS[_name]).TestCase
