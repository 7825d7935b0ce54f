"""Plan markdown: every real plan parses (or is clearly not a plan), and the rules hold."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from statuskit import PlanError, TaskNotFound, TaskState, validate
from statuskit import transitions as tr
from statuskit.planfile import PlanWarning, parse_plan, status_from_plan, sync_check

from .helpers import CORPUS, corpus_dir, corpus_files

UTC = timezone.utc
T0 = datetime(2025, 6, 1, tzinfo=UTC)

PLAN_FILES = corpus_files("plans", "*.md") + corpus_files("plan-templates", "*.md")
NOT_PLANS = {"README.md", "EXECUTION-ORDER.md"}
# plan-templates/TEMPLATE.md documents the format: its only phases and tasks sit inside a code
# fence, and fenced tasks are examples, never tasks. It is rejected like the two above.
FENCED_ONLY = {"TEMPLATE.md"}

# An independent count: checkbox lines whose text starts with a task id, at any indentation,
# in bulleted or ordered lists.
CHECKBOX_ID = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\[[ xX]\]\s+(?:\*\*)?\d+(?:\.\d+)+")
# Warnings that account for a difference between that count and the parsed tasks.
EXPLAINS = {"duplicate_id": -1, "fenced_task": -1, "bullet_task": +1}


class TestCorpus:
    """Every corpus file parses or is rejected as not a plan, with counts accounted for."""

    def test_corpus_present(self) -> None:
        """83 plans and 45 templates."""
        assert len(list(corpus_dir("plans").glob("*.md"))) == 83
        assert len(list(corpus_dir("plan-templates").glob("*.md"))) == 45

    @pytest.mark.parametrize("path", PLAN_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
    def test_parses_with_counts_explained(self, path: Path) -> None:
        """Task count = independent checkbox count, adjusted only by explaining warnings."""
        text = path.read_text()
        if path.name in NOT_PLANS | FENCED_ONLY:
            with pytest.raises(PlanError, match="not a plan"):
                parse_plan(text, source=path.name)
            return
        plan = parse_plan(text, source=path.name)
        assert plan.phases, "every real plan has phases"
        independent = sum(1 for line in text.split("\n") if CHECKBOX_ID.match(line))
        adjustment = sum(EXPLAINS.get(w.code, 0) for w in plan.warnings)
        assert len(plan.tasks) == independent + adjustment
        ids = [t.id for t in plan.tasks]
        assert len(ids) == len(set(ids))
        for task in plan.tasks:
            assert task.title, task.id
            assert 0 < task.line <= text.count("\n") + 1
            for dep in task.dependencies:
                assert dep != task.id

    def test_statuses_can_be_scheduled(self) -> None:
        """A status made from any real plan, steps or subtasks tracked, has no dependency on
        a task it lacks and no cycle."""
        for path in PLAN_FILES:
            if path.name in NOT_PLANS | FENCED_ONLY:
                continue
            plan = parse_plan(path.read_text())
            for subtasks in (False, True):
                status = status_from_plan(plan, now=T0, subtasks=subtasks)
                assert validate(status) == (), (path.name, subtasks)

    def test_fenced_only_template_explains_itself(self) -> None:
        """The format document has task-like lines only inside a fence."""
        text = (corpus_dir("plan-templates") / "TEMPLATE.md").read_text()
        assert "## Phase 1" in text
        with pytest.raises(PlanError) as info:
            parse_plan(text)
        assert "code fence" in str(info.value)

    def test_eighteen_archived_plans_match_their_status(self) -> None:
        """Where the old status has exactly the column-0 ids, we produce the same ids in order."""
        simple = re.compile(r"^- \[[ xX]\] (\d+(?:\.\d+)+[A-Za-z]?)\b")
        matched = 0
        for status_path in sorted(corpus_dir("status").glob("*.json")):
            plan_path = CORPUS / "plans" / f"archive__{status_path.stem}.md"
            if not plan_path.exists():
                continue
            text = plan_path.read_text()
            column0 = [m.group(1) for line in text.split("\n") if (m := simple.match(line))]
            old = [t["id"] for t in json.loads(status_path.read_text())["tasks"]]
            if column0 != old:
                continue
            matched += 1
            fresh = status_from_plan(parse_plan(text), now=T0)
            assert [t.id for t in fresh.tasks] == old, status_path.stem
        assert matched == 18

    def test_sequential_groups_match_old_status(self) -> None:
        """Execution notes give the same groups the old tool recorded."""
        corpus_dir("plans")
        corpus_dir("status")
        for name in ("git-workflow-phase1-core-branching", "fix-plan-compliance"):
            text = (CORPUS / "plans" / f"archive__{name}.md").read_text()
            fresh = {t.id: t for t in status_from_plan(parse_plan(text), now=T0).tasks}
            old = json.loads((CORPUS / "status" / f"{name}.json").read_text())
            for task in old["tasks"]:
                if "executionConstraints" in task:
                    group = fresh[task["id"]].sequential_group
                    assert group == task["executionConstraints"]["sequentialGroup"]

    def test_new_warnings_point_at_what_they_say(self) -> None:
        """Every untracked_checkbox / checked_task warning names lines that are what it says."""
        idless = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\[[ xX]\]\s+(?!(?:\*\*)?\d+(?:\.\d+)+)")
        ticked = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\[[xX]\]\s+(?:\*\*)?\d+(?:\.\d+)+")
        seen = set()
        for path in PLAN_FILES:
            if path.name in NOT_PLANS | FENCED_ONLY:
                continue
            lines = path.read_text().split("\n")
            for warning in parse_plan("\n".join(lines)).warnings:
                seen.add(warning.code)
                assert warning.code != "long_id", path.name
                if warning.code == "untracked_checkbox":
                    named = re.search(r"\(lines? ([\d, ]+)", warning.message)
                    assert named is not None
                    for number in named.group(1).split(", "):
                        assert idless.match(lines[int(number) - 1]), (path.name, number)
                if warning.code == "checked_task":
                    assert ticked.match(lines[warning.line - 1]), (path.name, warning.line)
        assert {"untracked_checkbox", "checked_task"} <= seen


SAMPLE = """\
# Plan: Sample

Intro text. - [ ] 9.9 not a task (not a list item)

- [ ] 0.1 Before any phase

## Phase 1: Setup

**Execution Note:** Tasks 1.2-1.4 are [SEQUENTIAL] - all touch config.py

- [ ] 1.1 Create the config (depends: 0.1)
  - detail one
  - detail two
- [x] 1.2 Load it (depends on 1.1)
  - [ ] 1.2.1 A subtask
  - [ ] 1.2.2 Another (depends: 1.2.1, X.Y, 1.1)
- [ ] 1.3 Validate it (depends: 1.1 and 1.2)
- [ ] **1.4** Bold id
- [ ] 2.9 Misplaced id
- [ ] **VERIFY 1**: config loads
- [ ] 1.1 Duplicate of 1.1

```markdown
- [ ] 1.5 In a fence
```

**VERIFY Phase 1:**
- [ ] Config documented
- [ ] 1.6 A verify task with an id

## Phase 2: Build

**Execution Note:** Tasks 2.1, 2.3 and 2.4 are [SEQUENTIAL] - one build dir

### 2.1 Grouping heading
- [ ] 2.1.1 Compile (depends: 1.2.1-1.2.2)
- [ ] 2.1.2 Link (depends on Phase 1)
- [ ] 2.3 Package
- [ ] 2.4 Ship

## Success Criteria
- [ ] Everything works
"""


class TestRules:
    """The rules on a plan that has every form."""

    def test_structure(self) -> None:
        """Title, phases, tasks in order, details, subtasks, criteria."""
        plan = parse_plan(SAMPLE)
        assert plan.title == "Plan: Sample"
        assert [(p.number, p.title) for p in plan.phases] == [("1", "Setup"), ("2", "Build")]
        assert [t.id for t in plan.tasks] == [
            "0.1",
            "1.1",
            "1.2",
            "1.2.1",
            "1.2.2",
            "1.3",
            "1.4",
            "2.9",
            "1.6",
            "2.1.1",
            "2.1.2",
            "2.3",
            "2.4",
        ]
        task = plan.task("1.1")
        assert task.details == ("detail one", "detail two")
        assert task.title == "Create the config"
        assert plan.task("1.2").checked
        assert plan.task("1.2.1").parent == "1.2"
        assert plan.task("1.4").title == "Bold id"

    def test_verify_rule(self) -> None:
        """Id-less VERIFY items are phase criteria; an id under VERIFY is a verify task."""
        plan = parse_plan(SAMPLE)
        criteria = plan.phases[0].criteria
        assert [(c.text, c.verify) for c in criteria] == [
            ("**VERIFY 1**: config loads", True),
            ("Config documented", True),
        ]
        assert plan.task("1.6").verify
        assert not plan.task("1.1").verify
        assert [c.text for c in plan.criteria] == ["Everything works"]

    def test_dependencies(self) -> None:
        """Colon, 'on', 'and', lists, ranges, phase references; bad tokens keep good ones."""
        plan = parse_plan(SAMPLE)
        assert plan.task("1.1").dependencies == ("0.1",)
        assert plan.task("1.2").dependencies == ("1.1",)
        assert plan.task("1.3").dependencies == ("1.1", "1.2")
        assert plan.task("1.2.2").dependencies == ("1.2.1", "1.1")
        assert plan.task("2.1.1").dependencies == ("1.2.1", "1.2.2")
        # "Phase 1" means every task written in that section (2.9 included, misplaced or not).
        phase_one = ("1.1", "1.2", "1.2.1", "1.2.2", "1.3", "1.4", "2.9", "1.6")
        assert plan.task("2.1.2").dependencies == phase_one

    def test_sequential_groups(self) -> None:
        """Ranges and lists with 'and'."""
        plan = parse_plan(SAMPLE)
        groups = {t.id: t.sequential_group for t in plan.tasks if t.sequential_group}
        assert groups == {
            "1.2": "1.2-1.4",
            "1.3": "1.2-1.4",
            "1.4": "1.2-1.4",
            "2.3": "2.1, 2.3 and 2.4",
            "2.4": "2.1, 2.3 and 2.4",
        }
        assert plan.task("1.3").sequential_reason == "all touch config.py"

    def test_warnings_with_lines(self) -> None:
        """Everything that could not be placed is reported with its line."""
        plan = parse_plan(SAMPLE)
        found = {(w.code, w.line) for w in plan.warnings}
        lines = SAMPLE.split("\n")

        def line_of(fragment: str) -> int:
            return next(i for i, text in enumerate(lines, start=1) if fragment in text)

        assert ("outside_phase", line_of("0.1 Before")) in found
        assert ("duplicate_id", line_of("Duplicate of 1.1")) in found
        assert ("fenced_task", line_of("1.5 In a fence")) in found
        assert ("phase_mismatch", line_of("2.9 Misplaced")) in found
        assert ("bad_dependency", line_of("1.2.2 Another")) in found
        assert ("bad_execution_note", line_of("2.1, 2.3 and 2.4")) not in found
        assert ("unknown_dependency", line_of("2.1, 2.3 and 2.4")) in found  # 2.1 is a heading

    def test_not_a_plan(self) -> None:
        """No phases and no tasks is an error, not an empty plan."""
        with pytest.raises(PlanError, match="not a plan"):
            parse_plan("# Notes\n\nJust text.\n- a bullet\n", source="notes.md")

    def test_cycles_reported(self) -> None:
        """A dependency cycle is a warning naming the loop."""
        plan = parse_plan("## Phase 1: X\n- [ ] 1.1 A (depends: 1.2)\n- [ ] 1.2 B (depends: 1.1)\n")
        assert [w.message for w in plan.warnings if w.code == "dependency_cycle"] == [
            "dependency cycle: 1.1 -> 1.2 -> 1.1"
        ]

    def test_crlf_and_code_span(self) -> None:
        """CRLF line ends work; (depends: ...) inside `code` is an example."""
        plan = parse_plan("## Phase 1: X\r\n- [ ] 1.1 Use `(depends: 9.9)` syntax\r\n")
        assert plan.task("1.1").dependencies == ()
        assert plan.task("1.1").title == "Use `(depends: 9.9)` syntax"


class TestStatusAndSync:
    """status_from_plan and sync_check."""

    def test_status_from_plan(self) -> None:
        """All pending, dependencies and groups carried over, plan name and times set."""
        status = status_from_plan(parse_plan(SAMPLE), now=T0, plan_path="plan.md")
        assert {t.status for t in status.tasks} == {TaskState.PENDING}
        task = {t.id: t for t in status.tasks}["1.3"]
        assert task.dependencies == ("1.1", "1.2")
        assert task.sequential_group == "1.2-1.4"
        assert task.phase == "Phase 1: Setup"
        assert (status.plan_name, status.plan_path, status.created_at) == (
            "Plan: Sample",
            "plan.md",
            T0,
        )

    def test_dependencies_on_steps(self) -> None:
        """A dependency on a step is one on the task that covers it; no subtask waits for its
        own parent (which waits for it)."""
        plan = parse_plan(
            "## Phase 1: A\n- [ ] 1.1 A\n  - [ ] 1.1.1 Step (depends: Phase 1)\n"
            "## Phase 2: B\n- [ ] 2.1 B (depends: 1.1.1)\n- [ ] 2.2 C (depends: Phase 1)\n"
        )
        steps = {t.id: t.dependencies for t in status_from_plan(plan, now=T0).tasks}
        assert steps == {"1.1": (), "2.1": ("1.1",), "2.2": ("1.1",)}
        tracked = status_from_plan(plan, now=T0, subtasks=True)
        assert {t.id: t.dependencies for t in tracked.tasks} == {
            "1.1": ("1.1.1",),
            "1.1.1": (),
            "2.1": ("1.1.1",),
            "2.2": ("1.1", "1.1.1"),
        }
        assert validate(tracked) == ()

    def test_sync_check(self) -> None:
        """Missing on either side, changed titles, checkbox disagreements."""
        plan = parse_plan(SAMPLE)
        status = status_from_plan(plan, now=T0)
        clean = sync_check(plan, status)
        assert clean.checked_not_done == (("1.2", "pending"),)
        status = tr.complete(status, "1.1", now=T0)
        edited = parse_plan(
            SAMPLE.replace("1.3 Validate it", "1.3 Validate it twice").replace(
                "- [ ] 2.4 Ship\n", "- [ ] 2.5 Publish\n"
            )
        )
        report = sync_check(edited, status)
        assert report.only_in_plan == ("2.5",)
        assert report.only_in_status == ("2.4",)
        assert report.title_changed == (("1.3", "Validate it twice", "Validate it"),)
        assert report.done_not_checked == ("1.1",)
        assert not report.in_sync


# ---------------------------------------------------------------------- generated plans

titles = (
    st.text(
        st.characters(whitelist_categories=["L", "N"], whitelist_characters=" -_"),
        min_size=1,
        max_size=20,
    )
    .map(lambda s: " ".join(s.split()) or "x")
    .filter(lambda s: not s[0].isdigit())
)


@st.composite
def generated(
    draw: st.DrawFn,
) -> tuple[list[tuple[str, str, list[tuple[str, str, list[str]]]]], int, bool]:
    phases = []
    all_ids: list[str] = []
    for number in range(1, draw(st.integers(1, 4)) + 1):
        tasks = []
        for index in range(1, draw(st.integers(1, 5)) + 1):
            task_id = f"{number}.{index}"
            deps = (
                draw(st.lists(st.sampled_from(all_ids), max_size=2, unique=True)) if all_ids else []
            )
            tasks.append((task_id, draw(titles), deps))
            all_ids.append(task_id)
        phases.append((str(number), draw(titles), tasks))
    return phases, draw(st.sampled_from([0, 2, 4])), draw(st.booleans())


def render(
    phases: list[tuple[str, str, list[tuple[str, str, list[str]]]]], indent: int, fences: bool
) -> str:
    out = ["# Generated plan", ""]
    for number, title, tasks in phases:
        out += [f"## Phase {number}: {title}", ""]
        if fences:
            out += ["```", f"- [ ] {number}.99 fenced example", "```"]
        for task_id, task_title, deps in tasks:
            suffix = f" (depends: {', '.join(deps)})" if deps else ""
            out.append(f"{' ' * indent}- [ ] {task_id} {task_title}{suffix}")
            out.append(f"{' ' * (indent + 2)}- a detail")
        out.append("")
    return "\n".join(out)


class TestGenerated:
    """Rendered plans parse back to the same phases, tasks, ids and dependencies."""

    @given(generated())
    def test_round_trip(
        self,
        case: tuple[list[tuple[str, str, list[tuple[str, str, list[str]]]]], int, bool],
    ) -> None:
        """Fences and indentation do not change the result."""
        phases, indent, fences = case
        plan = parse_plan(render(phases, indent, fences))
        assert [(p.number, p.title) for p in plan.phases] == [(n, t) for n, t, _ in phases]
        expected = [
            (tid, title, tuple(deps)) for _, _, tasks in phases for tid, title, deps in tasks
        ]
        assert [(t.id, t.title, t.dependencies) for t in plan.tasks] == expected
        assert [w for w in plan.warnings if w.code != "fenced_task"] == []
        baseline = parse_plan(render(phases, 0, False))
        assert [(t.id, t.title, t.dependencies, t.phase) for t in plan.tasks] == [
            (t.id, t.title, t.dependencies, t.phase) for t in baseline.tasks
        ]


# ---------------------------------------------------------------------- rough edges (issue 18)


def codes(plan_text: str) -> list[tuple[str, int]]:
    return [(w.code, w.line) for w in parse_plan(plan_text).warnings]


class TestRoughEdges:
    """What a first hour with a plan meets: each is read and, where it is odd, said."""

    def test_byte_order_mark(self) -> None:
        """A plan saved with a UTF-8 byte order mark keeps its title."""
        saved = "# Plan: BOM\n\n## Phase 1: X\n- [ ] 1.1 A\n".encode("utf-8-sig")
        plan = parse_plan(saved.decode("utf-8"))
        assert plan.title == "Plan: BOM"
        assert plan.warnings == ()

    def test_ordered_list_tasks(self) -> None:
        """`1. [ ] 2.1 Title` is a task like `- [ ] 2.1 Title`, with no warning."""
        plan = parse_plan("## Phase 2: X\n1. [ ] 2.1 First\n2) [x] 2.2 Second (depends: 2.1)\n")
        assert [(t.id, t.title, t.checked) for t in plan.tasks] == [
            ("2.1", "First", False),
            ("2.2", "Second", True),
        ]
        assert plan.task("2.2").dependencies == ("2.1",)
        assert [w.code for w in plan.warnings] == ["checked_task"]

    def test_checkbox_without_id(self) -> None:
        """Among a phase's tasks it is a criterion, said once per phase with its lines."""
        text = (
            "## Phase 1: X\n"  # 1
            "- [ ] 1.1 Task\n"  # 2
            "  - [ ] a step of 1.1\n"  # 3: a step, no warning
            "- [ ] Install deps\n"  # 4
            "1. [ ] Configure\n"  # 5
            "**VERIFY Phase 1:**\n"  # 6
            "- [ ] it works\n"  # 7: a check, no warning
            "## Phase 2: Y\n"  # 8
            "- [ ] Lint\n"  # 9
            "## Success Criteria\n"  # 10
            "- [ ] Shipped\n"  # 11: outside phases, no warning
        )
        plan = parse_plan(text)
        warnings = [w for w in plan.warnings if w.code == "untracked_checkbox"]
        assert [w.line for w in warnings] == [4, 9]
        assert "2 checkbox(es)" in warnings[0].message
        assert "(lines 4, 5)" in warnings[0].message
        assert "'- [ ] 1.N ...'" in warnings[0].message
        assert "(line 9)" in warnings[1].message
        assert [c.text for c in plan.phases[0].criteria] == [
            "a step of 1.1",
            "Install deps",
            "Configure",
            "it works",
        ]
        assert [t.id for t in plan.tasks] == ["1.1"]

    def test_checked_tasks(self) -> None:
        """Checked in the plan: pending in a new status, warned; completed when asked."""
        text = "## Phase 1: X\n- [ ] 1.1 A\n- [x] 1.2 B\n- [X] 1.3 C\n"
        plan = parse_plan(text)
        (warning,) = plan.warnings
        assert (warning.code, warning.line) == ("checked_task", 3)
        assert "1.2, 1.3" in warning.message
        assert "--from-checkboxes" in warning.message
        fresh = status_from_plan(plan, now=T0)
        assert [t.status for t in fresh.tasks] == [TaskState.PENDING] * 3
        ticked = status_from_plan(plan, now=T0, from_checkboxes=True)
        assert [t.status for t in ticked.tasks] == [
            TaskState.PENDING,
            TaskState.COMPLETED,
            TaskState.COMPLETED,
        ]
        assert [t.completed_at for t in ticked.tasks] == [None, T0, T0]
        assert all(t.started_at is None and t.duration_ms is None for t in ticked.tasks)
        assert validate(ticked) == ()
        assert sync_check(plan, ticked).in_sync

    def test_long_ids_are_refused(self) -> None:
        """A task id longer than 64 characters cannot name a task (or a findings file)."""
        long_id = "1." + "1" * 70
        plan = parse_plan(f"## Phase 1: X\n- [ ] 1.1 A (depends: {long_id})\n- [ ] {long_id} B\n")
        assert [t.id for t in plan.tasks] == ["1.1"]
        assert plan.task("1.1").dependencies == ()
        assert ("long_id", 3) in [(w.code, w.line) for w in plan.warnings]
        assert ("bad_dependency", 2) in [(w.code, w.line) for w in plan.warnings]

    def test_ranges_name_tasks(self) -> None:
        """A range names the plan's tasks in it; its gaps are said once, not depended on."""
        plan = parse_plan(
            "## Phase 1: X\n- [ ] 1.1 A\n- [ ] 1.2 B\n- [ ] 1.4 D\n"
            "- [ ] 1.5 E (depends: 1.1-1.4)\n- [ ] 1.6 F (depends: 1.1-1.99999999999999)\n"
        )
        assert plan.task("1.5").dependencies == ("1.1", "1.2", "1.4")
        assert plan.task("1.6").dependencies == ("1.1", "1.2", "1.4", "1.5")
        gaps = [w for w in plan.warnings if w.code == "unknown_dependency"]
        assert [w.line for w in gaps] == [5, 6]
        assert "range 1.1-1.4 names 1.3, not tasks" in gaps[0].message
        assert "and 99,999,999,999,984 more" in gaps[1].message

    def test_plan_task_not_found(self) -> None:
        """Plan.task raises TaskNotFound with the closest ids, like PlanStatus.task."""
        plan = parse_plan(SAMPLE)
        with pytest.raises(TaskNotFound) as info:
            plan.task("1.33")
        assert info.value.task_id == "1.33"
        assert "1.3" in info.value.suggestions
        assert isinstance(info.value, LookupError)

    def test_to_json(self) -> None:
        """Warnings and sync reports serialize with the keys the CLI prints."""
        assert PlanWarning(3, "bullet_task", "text").to_json() == {
            "line": 3,
            "code": "bullet_task",
            "message": "text",
        }
        plan = parse_plan(SAMPLE)
        status = tr.complete(status_from_plan(plan, now=T0), "1.1", now=T0)
        edited = parse_plan(SAMPLE.replace("1.3 Validate it", "1.3 Check it"))
        assert sync_check(edited, status).to_json() == {
            "inSync": False,
            "onlyInPlan": [],
            "onlyInStatus": [],
            "titleChanged": [{"id": "1.3", "plan": "Check it", "status": "Validate it"}],
            "checkedNotDone": [{"id": "1.2", "status": "pending"}],
            "doneNotChecked": ["1.1"],
        }


def chain(count: int, *, ring: bool) -> str:
    lines = ["# Chain", "## Phase 1: Long"]
    for index in range(1, count + 1):
        dep = index - 1 if index > 1 else (count if ring else None)
        lines.append(f"- [ ] 1.{index} Step {index}" + (f" (depends: 1.{dep})" if dep else ""))
    return "\n".join(lines) + "\n"


class TestLongChains:
    """Dependency chains far deeper than Python's recursion limit."""

    def test_chain(self) -> None:
        """A 5,000-task chain parses with no warning and every link kept."""
        plan = parse_plan(chain(5000, ring=False))
        assert plan.warnings == ()
        assert plan.task("1.5000").dependencies == ("1.4999",)
        assert validate(status_from_plan(plan, now=T0)) == ()

    def test_ring(self) -> None:
        """A 5,000-task ring is one cycle, reported once, its message kept short."""
        plan = parse_plan(chain(5000, ring=True))
        (warning,) = plan.warnings
        assert warning.code == "dependency_cycle"
        assert warning.line == 3  # the first task of the ring
        assert warning.message.startswith("dependency cycle: 1.1 -> 1.5000 -> 1.4999")
        assert "(4,981 more)" in warning.message
        assert len(warning.message) < 300
