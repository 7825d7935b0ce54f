"""sync_apply: a status follows its edited plan and never loses progress."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import attrs
from hypothesis import given
from hypothesis import strategies as st

from statuskit import ExecutionConstraints, PlanStatus, Run, Task, TaskState, decode
from statuskit import transitions as tr
from statuskit.planfile import parse_plan, status_from_plan, sync_check
from statuskit.planlines import same_title
from statuskit.plansync import ApplyReport, expected_tasks, sync_apply

from .helpers import CORPUS, corpus_dir

UTC = timezone.utc
T0 = datetime(2025, 6, 1, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)

# Everything of a task that records progress: sync_apply must never touch any of it.
PROGRESS = (
    "status",
    "started_at",
    "completed_at",
    "duration_ms",
    "notes",
    "error",
    "skip_reason",
    "findings_path",
    "retry_count",
    "last_error",
    "last_error_at",
    "owner",
    "extra",
)

PLAN = """\
# Plan: Sample

## Phase 1: Setup
**Execution Note:** Tasks 1.2-1.3 are [SEQUENTIAL] - same file
- [ ] 1.1 Create
- [ ] 1.2 Load (depends: 1.1)
- [ ] 1.3 Check (depends: 1.2)

## Phase 2: Build
- [ ] 2.1 Compile (depends: Phase 1)
"""


def progress(task: Task) -> tuple[object, ...]:
    return tuple(getattr(task, name) for name in PROGRESS)


class TestApply:
    """The rules on small plans."""

    def test_nothing_new_is_the_same_object(self) -> None:
        """A status made from the plan needs nothing: the very same object comes back."""
        plan = parse_plan(PLAN)
        status = status_from_plan(plan, now=T0)
        new, report = sync_apply(plan, status, now=T1)
        assert new is status
        assert not report.changed
        assert report == ApplyReport()

    def test_new_tasks_go_where_the_plan_puts_them(self) -> None:
        """Before the first task, between two, in a new phase: each lands in plan order."""
        status = status_from_plan(parse_plan(PLAN), now=T0)
        edited = parse_plan(
            PLAN.replace("- [ ] 1.1 Create", "- [ ] 1.0 Prepare\n- [ ] 1.1 Create")
            .replace("- [ ] 1.3 Check", "- [ ] 1.5 Tidy\n- [ ] 1.3 Check")
            .replace("## Phase 2: Build", "## Phase 2: Build\n- [ ] 2.0 Plan (depends: 1.5)")
            + "\n## Phase 3: Ship\n- [ ] 3.1 Tag\n"
        )
        new, report = sync_apply(edited, status, now=T1)
        assert [t.id for t in new.tasks] == ["1.0", "1.1", "1.2", "1.5", "1.3", "2.0", "2.1", "3.1"]
        assert report.added == ("1.0", "1.5", "2.0", "3.1")
        added = {t.id: t for t in new.tasks if t.id in report.added}
        assert added["2.0"].dependencies == ("1.5",)
        assert added["2.0"].phase == "Phase 2: Build"
        assert all(t.status is TaskState.PENDING and t.started_at is None for t in added.values())
        assert new.last_updated_at == T1
        # "Phase 1" now also covers 1.0 and 1.5.
        assert ("2.1", ("1.0", "1.1", "1.2", "1.5", "1.3"), ("1.1", "1.2", "1.3")) in (
            report.dependencies_changed
        )

    def test_progress_never_changes(self) -> None:
        """Renamed, moved, re-wired and regrouped tasks keep every recorded fact."""
        plan = parse_plan(PLAN)
        status = status_from_plan(plan, now=T0)
        status = tr.start(status, "1.1", now=T0, owner="agent-1")
        status = tr.complete(status, "1.1", now=T1, notes="done well")
        status = tr.start(status, "1.2", now=T0)
        status = tr.fail(status, "1.2", now=T1, error="boom")
        status = tr.start(status, "1.2", now=T1)
        tasks = list(status.tasks)
        grouped = tasks[2].constraints
        assert grouped is not None
        tasks[2] = attrs.evolve(
            tasks[2], extra={"x_mine": [1, 2]}, constraints=attrs.evolve(grouped, extra={"x": 1})
        )
        status = attrs.evolve(status, tasks=tuple(tasks))
        edited = parse_plan(
            PLAN.replace("1.1 Create", "1.1 Create the layout")
            .replace("Tasks 1.2-1.3 are [SEQUENTIAL] - same file", "Tasks 1.3 is [SEQUENTIAL]")
            .replace("- [ ] 1.2 Load (depends: 1.1)\n", "")
            .replace("## Phase 2: Build\n", "## Phase 2: Build\n- [ ] 1.2 Load\n")
        )
        new, report = sync_apply(edited, status, now=T1)
        before, after = {t.id: t for t in status.tasks}, {t.id: t for t in new.tasks}
        for task_id, task in before.items():
            assert progress(after[task_id]) == progress(task), task_id
        assert after["1.1"].description == "Create the layout"
        assert after["1.2"].phase == "Phase 2: Build"
        assert after["1.2"].dependencies == ()
        assert after["1.2"].constraints is None
        assert after["1.3"].constraints == ExecutionConstraints(
            sequential=True, group="1.3", reason=None, extra={"x": 1}
        )
        assert report.retitled == (("1.1", "Create the layout", "Create"),)
        assert report.rephased == (("1.2", "Phase 2: Build", "Phase 1: Setup"),)
        assert [i for i, _, _ in report.groups_changed] == ["1.2", "1.3"]
        assert [t.id for t in new.tasks] == ["1.1", "1.2", "1.3", "2.1"]  # order kept

    def test_titles_compare_by_meaning(self) -> None:
        """A description carrying its id or its annotation is the same title: not rewritten."""
        plan = parse_plan(PLAN)
        status = status_from_plan(plan, now=T0)
        tasks = (attrs.evolve(status.tasks[0], description="1.1  Create (depends: 0.9)"),)
        status = attrs.evolve(status, tasks=tasks + status.tasks[1:])
        new, report = sync_apply(plan, status, now=T1)
        assert new is status
        assert report.retitled == ()

    def test_only_in_status(self) -> None:
        """Kept and reported; prune drops only never-started ones, and dependencies on them."""
        plan = parse_plan(PLAN)
        status = status_from_plan(plan, now=T0)
        extra = (
            Task(id="8.1", description="never started"),
            Task(id="8.2", description="reset after a failure", retry_count=1, last_error="x"),
            Task(id="8.3", description="running", status=TaskState.IN_PROGRESS, started_at=T0),
            Task(id="8.4", description="notes left", notes="half done"),
            Task(id="8.5", dependencies=("8.1", "8.3"), status=TaskState.FAILED, error="e"),
        )
        status = attrs.evolve(status, tasks=status.tasks[:2] + extra + status.tasks[2:])
        kept, report = sync_apply(plan, status, now=T1)
        assert kept is status
        assert report.only_in_status == ("8.1", "8.2", "8.3", "8.4", "8.5")
        assert report.pruned == ()
        pruned, report = sync_apply(plan, status, now=T1, prune=True)
        assert report.pruned == ("8.1",)
        assert [t.id for t in pruned.tasks] == [
            "1.1",
            "1.2",
            "8.2",
            "8.3",
            "8.4",
            "8.5",
            "1.3",
            "2.1",
        ]
        assert pruned.tasks[5].dependencies == ("8.3",)
        assert sync_apply(plan, pruned, now=T1, prune=True)[0] is pruned

    def test_plan_name_and_subtasks(self) -> None:
        """A missing planName is filled; subtasks are added when the status tracks them."""
        text = PLAN.replace("- [ ] 1.1 Create", "- [ ] 1.1 Create\n  - [ ] 1.1.1 Folder")
        steps = status_from_plan(parse_plan(text), now=T0)
        tracked = status_from_plan(parse_plan(text), now=T0, subtasks=True)
        edited = parse_plan(
            text.replace("# Plan: Sample", "# Plan: Renamed").replace(
                "  - [ ] 1.1.1 Folder", "  - [ ] 1.1.1 Folder\n  - [ ] 1.1.2 Files"
            )
        )
        new, report = sync_apply(edited, steps, now=T1)
        assert report.added == ()
        assert report.plan_name is None
        assert new is steps  # a name the status shows is kept
        new, report = sync_apply(edited, attrs.evolve(steps, plan_name=None), now=T1)
        assert report.plan_name == ("Plan: Renamed", None)
        assert new.plan_name == "Plan: Renamed"
        new, report = sync_apply(edited, tracked, now=T1)
        assert report.added == ("1.1.2",)
        assert [t.id for t in new.tasks][:3] == ["1.1", "1.1.1", "1.1.2"]
        assert new.tasks[0].dependencies == ("1.1.1", "1.1.2")

    def test_to_json(self) -> None:
        """The report serializes with camelCase keys, groups as {group, reason}."""
        report = ApplyReport(
            added=("1.4",),
            retitled=(("1.1", "New", "Old"),),
            rephased=(("1.2", "Phase 2: B", "Phase 1: A"),),
            dependencies_changed=(("1.3", ("1.1",), ()),),
            groups_changed=(
                ("1.3", ExecutionConstraints(sequential=True, group="1.3", reason="r"), None),
            ),
            plan_name=("Plan", None),
            only_in_status=("9.1", "9.2"),
            pruned=("9.2",),
        )
        assert report.to_json() == {
            "changed": True,
            "added": ["1.4"],
            "retitled": [{"id": "1.1", "plan": "New", "status": "Old"}],
            "rephased": [{"id": "1.2", "plan": "Phase 2: B", "status": "Phase 1: A"}],
            "dependenciesChanged": [{"id": "1.3", "plan": ["1.1"], "status": []}],
            "groupsChanged": [
                {"id": "1.3", "plan": {"group": "1.3", "reason": "r"}, "status": None}
            ],
            "planName": {"plan": "Plan", "status": None},
            "onlyInStatus": ["9.1", "9.2"],
            "pruned": ["9.2"],
        }
        assert ApplyReport().to_json()["changed"] is False


# ---------------------------------------------------------------------- generated edits

maybe_text = st.none() | st.text(max_size=6)
maybe_time = st.none() | st.sampled_from([T0, T1])
# A task with any progress recorded, and plan-side fields the plan will overwrite.
ANY_TASK = st.builds(
    Task,
    id=st.just("x"),
    description=st.text(max_size=10),
    phase=st.sampled_from(["Phase 1: Create", "1", ""]),
    status=st.sampled_from(list(TaskState)),
    started_at=maybe_time,
    completed_at=maybe_time,
    duration_ms=st.none() | st.integers(0, 10**6),
    notes=maybe_text,
    error=maybe_text,
    skip_reason=maybe_text,
    findings_path=maybe_text,
    dependencies=st.lists(st.sampled_from(["1.1", "1.2", "9.1", "7.7"]), max_size=2).map(tuple),
    constraints=st.none()
    | st.builds(
        ExecutionConstraints,
        sequential=st.booleans(),
        group=st.none() | st.sampled_from(["g", "1.1-1.3"]),
        reason=maybe_text,
        extra=st.sampled_from([{}, {"x_keep": [1, None]}]),
    ),
    retry_count=st.integers(0, 3),
    last_error=maybe_text,
    last_error_at=maybe_time,
    owner=maybe_text,
    extra=st.sampled_from([{}, {"x_mine": {"a": [1, 2]}}]),
)
words = st.sampled_from(["Create", "Load", "Check", "Build", "Ship", "Tidy", "Write docs"])


@st.composite
def plan_texts(draw: st.DrawFn, ids: list[str] | None = None) -> str:
    """A plan in markdown: phases, tasks (maybe subtasks), dependencies, sequential notes."""
    lines = ["# " + draw(st.sampled_from(["Plan A", "Plan B"]))]
    written: list[str] = []
    for phase in range(1, draw(st.integers(1, 3)) + 1):
        lines.append(f"## Phase {phase}: {draw(words)}")
        # Sorted: the tasks both plans share come in the same order (moves are tested above).
        numbers = sorted(draw(st.lists(st.integers(1, 6), min_size=1, max_size=4, unique=True)))
        if draw(st.booleans()):
            lines.append(f"**Execution Note:** Tasks {phase}.1-{phase}.3 are [SEQUENTIAL] - why")
        for number in numbers:
            task_id = f"{phase}.{number}"
            deps = draw(st.lists(st.sampled_from(written), max_size=2)) if written else []
            note = f" (depends: {', '.join(deps)})" if deps else ""
            lines.append(f"- [{draw(st.sampled_from(' x'))}] {task_id} {draw(words)}{note}")
            written.append(task_id)
            if draw(st.integers(0, 3)) == 0:
                lines.append(f"  - [ ] {task_id}.1 {draw(words)}")
    return "\n".join(lines) + "\n"


@st.composite
def cases(draw: st.DrawFn) -> tuple[PlanStatus, str, bool]:
    """A status with any progress (and tasks the plan never had), an edited plan, prune."""
    first = parse_plan(draw(plan_texts()))
    status = status_from_plan(first, now=T0, subtasks=draw(st.booleans()))
    tasks = [attrs.evolve(draw(ANY_TASK), id=task.id) for task in status.tasks]
    for number in draw(st.lists(st.integers(1, 5), unique=True, max_size=3)):
        position = draw(st.integers(0, len(tasks)))
        # Half of them carry nothing but a state: prune must still look at the state.
        bare = Task(id="x", status=draw(st.sampled_from(list(TaskState))))
        task = draw(st.sampled_from([bare, draw(ANY_TASK)]))
        tasks.insert(position, attrs.evolve(task, id=f"9.{number}"))
    runs = (Run(run_id="run-1", started_at=T0),)
    status = attrs.evolve(status, tasks=tuple(tasks), runs=runs, extra={"x_top": 1})
    return status, draw(plan_texts()), draw(st.booleans())


class TestGenerated:
    """Any status, any edited plan."""

    @given(cases())
    def test_apply(self, case: tuple[PlanStatus, str, bool]) -> None:
        """Progress kept, plan followed, order kept, idempotent, sync_check clean after."""
        status, text, prune = case
        plan = parse_plan(text)
        new, report = sync_apply(plan, status, now=T1, prune=prune)
        # Idempotent: a second apply finds nothing to do.
        again, second = sync_apply(plan, new, now=T1 + timedelta(hours=1), prune=prune)
        assert again is new
        assert not second.changed
        assert (new is status) == (not report.changed)
        # No recorded fact of any task that was there changes; nothing else of the file either.
        before = {t.id: t for t in status.tasks}
        for task in new.tasks:
            if task.id in before:
                assert progress(task) == progress(before[task.id]), task.id
                old_constraints = before[task.id].constraints
                if old_constraints is not None and task.constraints is not None:
                    assert task.constraints.extra == old_constraints.extra
        assert (new.runs, new.extra, new.created_at) == (status.runs, status.extra, T0)
        # Tasks only in the status: kept, unless never started and pruned.
        plan_ids = {t.id for t in plan.tasks}
        only = [t for t in status.tasks if t.id not in plan_ids]
        assert report.only_in_status == tuple(t.id for t in only)
        dropped = {
            t.id
            for t in only
            if prune
            and t.status is TaskState.PENDING
            and t.started_at is None
            and t.completed_at is None
            and t.retry_count == 0
            and not (t.notes or t.error or t.last_error or t.findings_path)
        }
        assert set(report.pruned) == dropped
        # Order: the old tasks keep their order, the plan's tasks are in plan order.
        ids = [t.id for t in new.tasks]
        assert [i for i in ids if i in before] == [
            t.id for t in status.tasks if t.id not in dropped
        ]
        wanted = [t.id for t in expected_tasks(plan, new)]
        assert [i for i in ids if i in plan_ids] == wanted
        assert report.added == tuple(i for i in wanted if i not in before)
        # The plan's side of every plan task is the plan's.
        fresh = {t.id: t for t in status_from_plan(plan, now=T1, subtasks=True).tasks}
        for task in new.tasks:
            if task.id in report.added:
                assert task.status is TaskState.PENDING
                assert task.started_at is None
            if task.id in plan_ids:
                assert same_title(task.id, task.description, fresh[task.id].description)
                assert task.phase == fresh[task.id].phase
                assert task.sequential_group == fresh[task.id].sequential_group
            elif prune:
                assert not set(task.dependencies) & dropped
        # sync_check then shows only tasks the plan dropped, and checkbox differences.
        check = sync_check(plan, new)
        assert check.only_in_plan == ()
        assert check.title_changed == ()
        assert check.only_in_status == tuple(t.id for t in only if t.id not in dropped)


class TestCorpus:
    """The archived plans applied to the real statuses the replaced tool wrote for them."""

    def test_archived_pairs(self) -> None:
        """Every recorded fact survives, a second apply is a no-op, sync_check is clean."""
        pairs = 0
        for path in sorted(corpus_dir("status").glob("*.json")):
            plan_path = CORPUS / "plans" / f"archive__{path.stem}.md"
            if not plan_path.exists():
                continue
            pairs += 1
            status = decode(json.loads(path.read_text()))
            plan = parse_plan(plan_path.read_text())
            new, report = sync_apply(plan, status, now=T1, prune=True)
            assert sync_apply(plan, new, now=T1, prune=True)[0] is new, path.stem
            before = {t.id: t for t in status.tasks}
            for task in new.tasks:
                if task.id in before:
                    assert progress(task) == progress(before[task.id]), (path.stem, task.id)
            assert not any(before[i].status.is_done for i in report.pruned), path.stem
            check = sync_check(plan, new)
            assert (check.only_in_plan, check.title_changed) == ((), ()), path.stem
        assert pairs == 67
