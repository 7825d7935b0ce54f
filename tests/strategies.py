"""Hypothesis strategies for statuskit values."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import attrs
from hypothesis import strategies as st

from statuskit import ExecutionConstraints, Holder, PlanStatus, Run, Task, TaskState

UTC = timezone.utc

# Times as the file stores them: UTC, millisecond precision.
times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda moment: moment.replace(microsecond=moment.microsecond // 1000 * 1000))

offsets = st.integers(-12 * 60, 14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))

text = st.text(st.characters(exclude_categories=["Cs"]), max_size=20)
json_scalars = st.none() | st.booleans() | st.integers(-(10**6), 10**6) | text
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=6,
)

task_ids = st.lists(st.integers(0, 12), min_size=1, max_size=3).map(
    lambda parts: ".".join(str(p) for p in parts)
)


def extras(reserved: frozenset[str]) -> st.SearchStrategy[dict[str, object]]:
    """Unknown keys (prefixed so they never collide with known ones)."""
    return st.dictionaries(
        st.text("abcxyz_", min_size=1, max_size=6)
        .map(lambda k: "x_" + k)
        .filter(lambda k: k not in reserved),
        json_values,
        max_size=2,
    )


@st.composite
def tasks(draw: st.DrawFn, task_id: str | None = None) -> Task:
    """A task in any state, with any optional field."""
    maybe = st.none() | text
    return Task(
        id=task_id if task_id is not None else draw(task_ids),
        description=draw(text),
        phase=draw(st.sampled_from(["Phase 1: Setup", "Phase 2: Build", "3", ""])),
        status=draw(st.sampled_from(list(TaskState))),
        started_at=draw(st.none() | times),
        completed_at=draw(st.none() | times),
        duration_ms=draw(st.none() | st.integers(0, 10**9)),
        notes=draw(maybe),
        error=draw(maybe),
        skip_reason=draw(maybe),
        findings_path=draw(maybe),
        dependencies=tuple(draw(st.lists(task_ids, max_size=3))),
        constraints=draw(
            st.none()
            | st.builds(
                ExecutionConstraints,
                sequential=st.booleans(),
                group=st.none() | text,
                reason=st.none() | text,
                extra=extras(frozenset()),
            )
        ),
        retry_count=draw(st.integers(0, 5)),
        last_error=draw(maybe),
        last_error_at=draw(st.none() | times),
        owner=draw(maybe),
        token=draw(st.none() | st.integers(0, 2**53 - 1)),
        lease_expires_at=draw(st.none() | times),
        heartbeat_at=draw(st.none() | times),
        holder=draw(
            st.none()
            | st.builds(
                Holder,
                host=text.filter(bool),
                pid=st.integers(0, 2**22),
                extra=extras(frozenset({"host", "pid"})),
            )
        ),
        reclaim_count=draw(st.integers(0, 5)),
        extra=draw(extras(frozenset())),
    )


@st.composite
def statuses(draw: st.DrawFn, max_tasks: int = 12) -> PlanStatus:
    """A status with unique task ids."""
    ids = draw(st.lists(task_ids, unique=True, max_size=max_tasks))
    runs = draw(
        st.lists(
            st.builds(
                Run,
                run_id=st.text("abc-0123", min_size=1, max_size=10),
                started_at=st.none() | times,
                completed_at=st.none() | times,
                tasks_completed=st.integers(0, 100),
                tasks_failed=st.integers(0, 100),
                extra=extras(frozenset()),
            ),
            max_size=3,
        )
    )
    return PlanStatus(
        tasks=tuple(draw(tasks(task_id)) for task_id in ids),
        runs=tuple(runs),
        plan_path=draw(st.none() | text),
        plan_name=draw(st.none() | text),
        created_at=draw(st.none() | times),
        last_updated_at=draw(st.none() | times),
        current_phase=draw(st.none() | text),
        revision=draw(st.integers(0, 10**6)),
        last_token=draw(st.integers(0, 10**6)),
        extra=draw(extras(frozenset())),
    )


@st.composite
def plans(draw: st.DrawFn, max_tasks: int = 15) -> PlanStatus:
    """A fresh plan (all pending) with phases, dependencies and sequential groups."""
    n_phases = draw(st.integers(1, 4))
    tasks_out: list[Task] = []
    for phase in range(1, n_phases + 1):
        count = draw(st.integers(1, max(1, max_tasks // n_phases)))
        for number in range(1, count + 1):
            task_id = f"{phase}.{number}"
            earlier = [task.id for task in tasks_out]
            deps = (
                draw(st.lists(st.sampled_from(earlier), max_size=2, unique=True)) if earlier else []
            )
            group = draw(st.none() | st.sampled_from(["g1", "g2"]))
            tasks_out.append(
                Task(
                    id=task_id,
                    description=f"task {task_id}",
                    phase=f"Phase {phase}",
                    dependencies=tuple(deps),
                    constraints=None
                    if group is None
                    else ExecutionConstraints(sequential=True, group=group),
                )
            )
    return PlanStatus(tasks=tuple(tasks_out), created_at=datetime(2025, 1, 1, tzinfo=UTC))


def with_states(status: PlanStatus, states: list[TaskState]) -> PlanStatus:
    """The same plan with the given states assigned in order (cycled)."""
    tasks_out = tuple(
        attrs.evolve(task, status=states[index % len(states)])
        for index, task in enumerate(status.tasks)
    )
    return attrs.evolve(status, tasks=tasks_out)


# --------------------------------------------------------------------------- hostile input

#: Characters that break things when written raw: what str.splitlines() splits on (the ASCII
#: ones JSON always escapes; U+0085, U+2028, U+2029 it does not), lone surrogates, controls.
TROUBLE_CHARS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\ud800\udbff\udc80\udfff\x00\x7f"

_any_char = st.characters(exclude_categories=()) | st.sampled_from(TROUBLE_CHARS)


def _no_surrogate_pair(value: str) -> bool:
    """A high surrogate right before a low one reads back as one character (JSON's rule)."""
    return re.search("[\ud800-\udbff][\udc00-\udfff]", value) is None


#: Any text, lone surrogates and every line break included (never a surrogate pair).
hostile_text = st.text(_any_char, max_size=12).filter(_no_surrogate_pair)

#: JSON values with hostile text and any finite float.
hostile_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | hostile_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(hostile_text, inner, max_size=3),
    max_leaves=8,
)


def nested(depth: int, leaf: object = 0, *, as_object: bool = False) -> object:
    """``leaf`` inside ``depth`` arrays (or objects with the key ``"k"``)."""
    value = leaf
    for _ in range(depth):
        value = {"k": value} if as_object else [value]
    return value


#: Strings that may or may not be task ids: dots, dashes, separators, controls, anything.
maybe_task_ids = st.text(
    st.sampled_from(".-_ /\\\x00\x85\u2028aA1é") | _any_char, min_size=0, max_size=10
)
