"""Markdown plans: parse them, create a status from one, and compare a plan with a status.

Pure: text in, values out. The markdown is never written.

What is read (see ``docs/plans.md`` for the full rules):

* the title: the first ``# `` heading;
* phases: ``## Phase N: Title`` (also ``###``; N may carry a letter, ``2A``);
* tasks: list items with a task id - ``- [ ] 1.1 Title``, ``- [x] 3.4.1 Title``, ``3.1.A``,
  indented subtasks (kept, with their ``parent``; a status tracks them as steps of the parent
  unless asked to track them as tasks: :func:`tracked_tasks`), ``**1.2**`` in bold - and
  ``- 1.2.2 Title`` bullets without a checkbox when the id belongs to the current phase
  (reported with a warning);
* detail bullets indented under a task stay with it;
* dependencies: ``(depends: 1.1, 2.1)``, ``(depends on 0.2 and 0.3)``, ranges ``1.3-1.7``,
  ``N.N.N`` ranges and ``Phase 3`` (every task of phase 3);
* sequential groups: ``**Execution Note:** Tasks 1.3-1.7 are [SEQUENTIAL] - reason`` (ranges,
  lists, "and");
* VERIFY items. **The rule: an item is a task if and only if it carries a task id.** A
  ``- [ ] **VERIFY 2**: ...`` checkbox, and every id-less item under a ``**VERIFY ...:**``
  paragraph, is an acceptance criterion of its phase (``Phase.criteria``, ``verify=True``),
  not a task. An item *with* an id under a VERIFY paragraph is a task flagged ``verify=True``;
* code fences are skipped entirely.

Anything that cannot be placed becomes a :class:`PlanWarning` with its line number.
"""

from __future__ import annotations

import re
from datetime import datetime

import attrs

from statuskit.errors import PlanError
from statuskit.ids import natural_key
from statuskit.model import ExecutionConstraints, PlanStatus, Task, TaskState

__all__ = [
    "Criterion",
    "Phase",
    "Plan",
    "PlanTask",
    "PlanWarning",
    "SyncReport",
    "parse_plan",
    "status_from_plan",
    "sync_check",
    "tracked_tasks",
]

_ID = r"\d+(?:\.\d+)+(?:\.?[A-Za-z])?"
_FENCE = re.compile(r"^\s*(```|~~~)")
_TITLE = re.compile(r"^#\s+(.+?)\s*#*\s*$")
_HEADING = re.compile(r"^(#{2,6})\s+(.+?)\s*#*\s*$")
_PHASE = re.compile(r"^Phase\s+(\d+[A-Za-z]?)\b\s*[:.\-\u2013\u2014]?\s*(.*)$", re.IGNORECASE)
_CHECKBOX = re.compile(r"^(\s*)[-*+]\s+\[([ xX])\]\s+(.*)$")
_BULLET = re.compile(r"^(\s*)(?:[-*+]|\d+[.)])\s+(.*)$")
_LEAD_ID = re.compile(rf"^(?:\*\*)?({_ID})(?:\*\*)?[:.)]?(?:\*\*)?\s+(.*)$")
_PLAIN_BULLET_TASK = re.compile(rf"^[-*+]\s+({_ID})\s+(\S.*)$")
_VERIFY_ITEM = re.compile(r"^\*\*VERIFY\b[^*]*\*\*|^VERIFY\s+\d", re.IGNORECASE)
_VERIFY_PARAGRAPH = re.compile(r"^\s*\*\*VERIFY\b[^*]*:?\*\*:?\s*(.*)$", re.IGNORECASE)
_DEPENDS = re.compile(r"\s*\((?:depends\s+on|depends:)\s*([^)]*)\)", re.IGNORECASE)
_EXEC_NOTE = re.compile(r"^\s*\*\*Execution Note:?\*\*:?\s*(.*)$", re.IGNORECASE)
_SEQUENTIAL = re.compile(
    r"^Tasks?\s+(.+?)\s+(?:are|is)\s+\[SEQUENTIAL\]\s*(?:[-\u2013\u2014:]\s*(.*))?$", re.IGNORECASE
)
_TOKEN_SPLIT = re.compile(r"\s*(?:,|;|\band\b|&)\s*", re.IGNORECASE)
_RANGE = re.compile(rf"^({_ID})\s*(?:-|\u2013|\u2014|to|through)\s*({_ID})$", re.IGNORECASE)
_PHASE_REF = re.compile(
    r"^(?:all\s+(?:of\s+)?(?:tasks\s+(?:in|of)\s+)?)?phase\s+(\d+[A-Za-z]?)$", re.I
)


@attrs.frozen
class PlanWarning:
    """Something in the plan that could not be placed as written."""

    line: int
    """1-based line number in the markdown."""
    code: str
    """Stable identifier: ``duplicate_id``, ``phase_mismatch``, ``outside_phase``,
    ``fenced_task``, ``bad_dependency``, ``unknown_dependency``, ``dependency_cycle``,
    ``bullet_task``, ``bad_execution_note``."""
    message: str
    """What happened, in words."""

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@attrs.frozen
class Criterion:
    """An id-less checkbox: an acceptance criterion (VERIFY items, success criteria)."""

    text: str
    """The item's text."""
    checked: bool
    """Whether the box is ticked in the markdown."""
    line: int
    """1-based line number."""
    verify: bool
    """Whether it is a VERIFY item (else e.g. a success criterion)."""


@attrs.frozen
class Phase:
    """A ``## Phase N: Title`` section."""

    number: str
    """The phase number as written (``"1"``, ``"2A"``)."""
    title: str
    """The title after the number (may be empty)."""
    label: str
    """The heading text, used as the task's ``phase`` in the status (``"Phase 1: Setup"``)."""
    line: int
    """1-based line number of the heading."""
    criteria: tuple[Criterion, ...] = ()
    """Acceptance criteria of the phase (id-less VERIFY items)."""


@attrs.frozen
class PlanTask:
    """A task found in the plan."""

    id: str
    """The task id."""
    title: str
    """The text after the id, dependency annotation removed."""
    phase: str
    """The phase label (``Phase.label``), or ``""`` for a task outside every phase."""
    checked: bool
    """Whether the box is ticked in the markdown."""
    dependencies: tuple[str, ...]
    """Ids this task depends on (ranges and phase references expanded)."""
    sequential_group: str | None
    """The ``[SEQUENTIAL]`` group the task belongs to, named as the note wrote it."""
    sequential_reason: str | None
    """The reason the note gave."""
    verify: bool
    """Whether the task stands under a VERIFY heading (a check the agent must run)."""
    line: int
    """1-based line number."""
    details: tuple[str, ...] = ()
    """Indented detail bullets written under the task."""
    parent: str | None = None
    """The enclosing task's id for an indented subtask."""


@attrs.frozen
class Plan:
    """A parsed plan."""

    title: str
    """The first ``#`` heading, or ``""``."""
    phases: tuple[Phase, ...]
    """Phases in order."""
    tasks: tuple[PlanTask, ...]
    """Tasks in document order."""
    warnings: tuple[PlanWarning, ...]
    """What could not be placed, by line."""
    criteria: tuple[Criterion, ...] = ()
    """Id-less checkboxes outside every phase (e.g. ``## Success Criteria``)."""

    def task(self, task_id: str) -> PlanTask:
        """The task with this id.

        Raises:
            KeyError: no such task.

        """
        for task in self.tasks:
            if task.id == task_id:
                return task
        raise KeyError(task_id)


@attrs.define
class _RawTask:
    id: str
    title: str
    phase: str
    phase_number: str | None
    checked: bool
    dep_text: list[tuple[str, int]]
    verify: bool
    line: int
    indent: int
    details: list[str] = attrs.field(factory=list)
    parent: str | None = None


@attrs.define
class _RawPhase:
    number: str
    title: str
    label: str
    line: int
    criteria: list[Criterion] = attrs.field(factory=list)


_CODE_SPAN = re.compile(r"`[^`]*`")


def _strip_depends(text: str) -> tuple[str, list[str]]:
    """The text without its dependency annotations, and the annotations' contents.

    Annotations inside inline code (`` `(depends: 1.1)` ``) are examples, not dependencies.
    """
    if "`" in text:
        spans = _CODE_SPAN.findall(text)
        bare = _CODE_SPAN.sub("\x00", text)
        found = [match.group(1) for match in _DEPENDS.finditer(bare)]
        bare = _DEPENDS.sub("", bare)
        for span in spans:
            bare = bare.replace("\x00", span, 1)
        return bare.strip(), found
    found = [match.group(1) for match in _DEPENDS.finditer(text)]
    return _DEPENDS.sub("", text).strip(), found


def _id_prefix(task_id: str) -> str:
    return task_id.split(".", 1)[0]


class _Parser:
    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        self.title = ""
        self.phases: list[_RawPhase] = []
        self.tasks: list[_RawTask] = []
        self.loose_criteria: list[Criterion] = []
        self.warnings: list[PlanWarning] = []
        self.notes: list[tuple[str, str | None, int]] = []  # (task spec, reason, line)
        self.fenced_phases = 0

    def warn(self, line: int, code: str, message: str) -> None:
        self.warnings.append(PlanWarning(line, code, message))

    def run(self) -> None:
        fence: str | None = None
        phase: _RawPhase | None = None
        in_phase_section = False
        verify_block = False
        last_task: _RawTask | None = None
        stack: list[_RawTask] = []  # enclosing tasks by indentation, for subtasks
        for number, raw in enumerate(self.lines, start=1):
            line = raw.rstrip("\r")
            fence_match = _FENCE.match(line)
            if fence is not None:
                if fence_match and fence_match.group(1) == fence:
                    fence = None
                else:
                    inner = _CHECKBOX.match(line)
                    if inner and _LEAD_ID.match(inner.group(3)):
                        self.warn(number, "fenced_task", "task-like line in a code fence ignored")
                    fenced_heading = _HEADING.match(line)
                    if fenced_heading and _PHASE.match(fenced_heading.group(2)):
                        self.fenced_phases += 1
                continue
            if fence_match:
                fence = fence_match.group(1)
                continue
            stripped = line.strip()
            if not stripped:
                continue
            title = _TITLE.match(line)
            if title and not self.title:
                self.title = title.group(1)
                continue
            heading = _HEADING.match(line)
            if heading:
                verify_block = False
                last_task, stack = None, []
                text = heading.group(2).strip()
                is_phase = _PHASE.match(text)
                if is_phase:
                    phase = _RawPhase(is_phase.group(1), is_phase.group(2).strip(), text, number)
                    self.phases.append(phase)
                    in_phase_section = True
                elif len(heading.group(1)) == 2:
                    # A new top-level section (Success Criteria, Risks...) ends the phase.
                    in_phase_section = False
                continue
            note = _EXEC_NOTE.match(line)
            if note:
                self.execution_note(note.group(1), number)
                continue
            verify = _VERIFY_PARAGRAPH.match(line)
            if verify and not _CHECKBOX.match(line) and not _BULLET.match(line):
                verify_block = True
                continue
            current = phase if in_phase_section else None
            box = _CHECKBOX.match(line)
            if box:
                indent, mark, body = len(box.group(1).expandtabs(4)), box.group(2), box.group(3)
                lead = _LEAD_ID.match(body)
                if lead is None:
                    criterion = Criterion(
                        text=body.strip(),
                        checked=mark != " ",
                        line=number,
                        verify=verify_block or bool(_VERIFY_ITEM.match(body)),
                    )
                    (current.criteria if current else self.loose_criteria).append(criterion)
                    continue
                task = self.add_task(
                    lead.group(1),
                    lead.group(2),
                    mark != " ",
                    current,
                    verify_block,
                    number,
                    indent,
                    stack,
                )
                last_task = task
                continue
            plain = _PLAIN_BULLET_TASK.match(line)
            if plain and current is not None and _id_prefix(plain.group(1)) == current.number:
                self.warn(
                    number,
                    "bullet_task",
                    f"task {plain.group(1)} is a plain bullet (no checkbox); read as a task",
                )
                last_task = self.add_task(
                    plain.group(1), plain.group(2), False, current, verify_block, number, 0, stack
                )
                continue
            bullet = _BULLET.match(line)
            if bullet and last_task is not None and len(bullet.group(1)) > last_task.indent:
                last_task.details.append(bullet.group(2).strip())
                continue
            if not bullet:
                verify_block = verify_block and stripped.startswith("- ")
                if not line.startswith((" ", "\t")):
                    last_task, stack = None, []

    def add_task(
        self,
        task_id: str,
        body: str,
        checked: bool,
        phase: _RawPhase | None,
        verify: bool,
        number: int,
        indent: int,
        stack: list[_RawTask],
    ) -> _RawTask:
        title, deps = _strip_depends(body)
        while stack and stack[-1].indent >= indent:
            stack.pop()
        parent = stack[-1].id if stack else None
        task = _RawTask(
            id=task_id,
            title=title,
            phase=phase.label if phase else "",
            phase_number=phase.number if phase else None,
            checked=checked,
            dep_text=[(dep, number) for dep in deps],
            verify=verify,
            line=number,
            indent=indent,
            parent=parent,
        )
        self.tasks.append(task)
        stack.append(task)
        return task

    def execution_note(self, text: str, number: int) -> None:
        match = _SEQUENTIAL.match(text.strip())
        if match is None:
            if "[SEQUENTIAL]" in text.upper():
                self.warn(number, "bad_execution_note", f"cannot read execution note: {text!r}")
            return
        reason = (match.group(2) or "").strip() or None
        self.notes.append((match.group(1).strip(), reason, number))

    # ------------------------------------------------------------------ resolution

    def expand(
        self, spec: str, number: int, known: list[str], exclude: str | None = None
    ) -> tuple[list[str], list[str]]:
        """Ids named by a dependency or execution-note spec, and the tokens not understood.

        ``exclude`` is left out of phase references ("depends on Phase 3" said by a task of
        phase 3 means the *other* tasks of that phase).
        """
        ids: list[str] = []
        bad: list[str] = []
        for raw in _TOKEN_SPLIT.split(spec.strip().strip(".")):
            token = raw.strip().strip("`*")
            if not token:
                continue
            if re.fullmatch(_ID, token):
                ids.append(token)
                continue
            span = _RANGE.match(token)
            if span:
                ids.extend(self.expand_range(span.group(1), span.group(2), known))
                continue
            ref = _PHASE_REF.match(token)
            if ref:
                members = [
                    t.id for t in self.tasks if t.phase_number == ref.group(1) and t.id != exclude
                ]
                if members:
                    ids.extend(members)
                    continue
            bad.append(token)
        return list(dict.fromkeys(ids)), bad

    @staticmethod
    def expand_range(low: str, high: str, known: list[str]) -> list[str]:
        low_parts, high_parts = low.split("."), high.split(".")
        if (
            len(low_parts) == len(high_parts)
            and low_parts[:-1] == high_parts[:-1]
            and low_parts[-1].isdigit()
            and high_parts[-1].isdigit()
        ):
            prefix = ".".join(low_parts[:-1])
            return [f"{prefix}.{i}" for i in range(int(low_parts[-1]), int(high_parts[-1]) + 1)]
        lo, hi = natural_key(low), natural_key(high)
        depth = len(low_parts)
        return [k for k in known if lo <= natural_key(k) <= hi and len(k.split(".")) == depth]

    def resolve(self) -> Plan:
        # Duplicates: the first occurrence wins, the others are reported (not silently lost).
        seen: dict[str, _RawTask] = {}
        unique: list[_RawTask] = []
        for task in self.tasks:
            if task.id in seen:
                self.warn(
                    task.line,
                    "duplicate_id",
                    f"task {task.id} already defined at line {seen[task.id].line}; ignored",
                )
                continue
            seen[task.id] = task
            unique.append(task)
        self.tasks = unique
        known = [task.id for task in unique]
        phase_numbers = {phase.number: phase for phase in self.phases}
        for task in unique:
            prefix = _id_prefix(task.id)
            if task.phase_number is None:
                home = phase_numbers.get(prefix)
                where = (
                    "before the first phase"
                    if not self.phases or task.line < self.phases[0].line
                    else "outside any phase section"
                )
                if home is not None:
                    task.phase, task.phase_number = home.label, home.number
                    self.warn(
                        task.line,
                        "outside_phase",
                        f"task {task.id} is {where}; placed in {home.label!r} by its id",
                    )
                else:
                    self.warn(task.line, "outside_phase", f"task {task.id} is {where}")
            elif prefix != task.phase_number and prefix.isdigit():
                self.warn(
                    task.line,
                    "phase_mismatch",
                    f"task {task.id} is written under {task.phase!r}; kept there",
                )
        groups: dict[str, tuple[str, str | None]] = {}
        for spec, reason, number in self.notes:
            ids, bad = self.expand(spec, number, known)
            for token in bad:
                self.warn(number, "bad_execution_note", f"cannot read task reference {token!r}")
            for task_id in ids:
                if task_id not in seen:
                    self.warn(
                        number,
                        "unknown_dependency",
                        f"execution note names {task_id}, which is not a task",
                    )
                else:
                    groups.setdefault(task_id, (spec, reason))
        resolved: list[PlanTask] = []
        for task in unique:
            deps: list[str] = []
            for text, number in task.dep_text:
                ids, bad = self.expand(text, number, known, exclude=task.id)
                for token in bad:
                    self.warn(
                        number,
                        "bad_dependency",
                        f"task {task.id}: cannot read dependency {token!r}; ignored",
                    )
                for dep in ids:
                    if dep == task.id:
                        self.warn(number, "dependency_cycle", f"task {task.id} depends on itself")
                    elif dep not in seen:
                        self.warn(
                            number,
                            "unknown_dependency",
                            f"task {task.id} depends on {dep}, which is not a task",
                        )
                    if dep != task.id:
                        deps.append(dep)
            group = groups.get(task.id)
            resolved.append(
                PlanTask(
                    id=task.id,
                    title=task.title,
                    phase=task.phase,
                    checked=task.checked,
                    dependencies=tuple(dict.fromkeys(deps)),
                    sequential_group=group[0] if group else None,
                    sequential_reason=group[1] if group else None,
                    verify=task.verify,
                    line=task.line,
                    details=tuple(task.details),
                    parent=task.parent,
                )
            )
        self.report_cycles(resolved)
        return Plan(
            title=self.title,
            phases=tuple(
                Phase(p.number, p.title, p.label, p.line, tuple(p.criteria)) for p in self.phases
            ),
            tasks=tuple(resolved),
            warnings=tuple(sorted(self.warnings, key=lambda w: w.line)),
            criteria=tuple(self.loose_criteria),
        )

    def report_cycles(self, tasks: list[PlanTask]) -> None:
        graph = {task.id: task.dependencies for task in tasks}
        lines = {task.id: task.line for task in tasks}
        state: dict[str, int] = {}
        reported: set[frozenset[str]] = set()

        def visit(node: str, path: list[str]) -> None:
            state[node] = 1
            path.append(node)
            for dep in graph.get(node, ()):
                if dep not in graph:
                    continue
                if state.get(dep) == 1:
                    cycle = path[path.index(dep) :]
                    key = frozenset(cycle)
                    if key not in reported:
                        reported.add(key)
                        self.warn(
                            lines[dep],
                            "dependency_cycle",
                            "dependency cycle: " + " -> ".join([*cycle, dep]),
                        )
                elif dep not in state:
                    visit(dep, path)
            path.pop()
            state[node] = 2

        for task_id in graph:
            if task_id not in state:
                visit(task_id, [])


def parse_plan(text: str, *, source: str | None = None) -> Plan:
    """Parse a markdown plan.

    Args:
        text: the markdown.
        source: a file name for error messages.

    Raises:
        PlanError: the text has neither phases nor tasks - it is not a plan.

    """
    parser = _Parser(text)
    parser.run()
    if not parser.phases and not parser.tasks:
        reason = "not a plan: no '## Phase N: ...' headings and no '- [ ] 1.1 ...' tasks"
        fenced = sum(1 for w in parser.warnings if w.code == "fenced_task")
        if fenced or parser.fenced_phases:
            reason += (
                f" outside code fences ({parser.fenced_phases} phase heading(s) and {fenced}"
                " task(s) inside fences are examples, not plan content)"
            )
        raise PlanError(reason, source)
    return parser.resolve()


def tracked_tasks(plan: Plan, *, subtasks: bool = False) -> tuple[PlanTask, ...]:
    """The plan tasks a status tracks.

    A subtask indented under a task (``parent`` set) is a *step* of that task by default: the
    status tracks the parent, whose completion covers its steps. With ``subtasks=True`` every
    subtask is tracked as a task of its own.
    """
    if subtasks:
        return plan.tasks
    return tuple(task for task in plan.tasks if task.parent is None)


def status_from_plan(
    plan: Plan, *, now: datetime, plan_path: str | None = None, subtasks: bool = False
) -> PlanStatus:
    """A fresh status for a plan: every task pending, dependencies and groups carried over.

    Args:
        plan: the parsed plan.
        now: the creation time.
        plan_path: recorded as ``planPath``.
        subtasks: track indented subtasks as tasks of their own (see :func:`tracked_tasks`);
            a parent then also depends on its subtasks.

    """
    chosen = tracked_tasks(plan, subtasks=subtasks)
    children: dict[str, list[str]] = {}
    if subtasks:
        for task in chosen:
            if task.parent is not None:
                children.setdefault(task.parent, []).append(task.id)
    tasks = tuple(
        Task(
            id=task.id,
            description=task.title,
            phase=task.phase,
            status=TaskState.PENDING,
            dependencies=tuple(dict.fromkeys((*task.dependencies, *children.get(task.id, ())))),
            constraints=ExecutionConstraints(
                sequential=True, group=task.sequential_group, reason=task.sequential_reason
            )
            if task.sequential_group
            else None,
        )
        for task in chosen
    )
    return PlanStatus(
        tasks=tasks,
        plan_path=plan_path,
        plan_name=plan.title or None,
        created_at=now,
        last_updated_at=now,
        current_phase=tasks[0].phase if tasks else None,
    )


@attrs.frozen
class SyncReport:
    """Differences between a plan and a status (read-only; nothing is changed)."""

    only_in_plan: tuple[str, ...]
    """Task ids in the plan but not in the status."""
    only_in_status: tuple[str, ...]
    """Task ids in the status but not in the plan."""
    title_changed: tuple[tuple[str, str, str], ...]
    """``(id, plan title, status description)`` where they differ."""
    checked_not_done: tuple[tuple[str, str], ...]
    """``(id, status)``: ticked in the markdown but not completed/skipped in the status."""
    done_not_checked: tuple[str, ...]
    """Done in the status but unticked in the markdown (normal: the markdown is reference)."""

    @property
    def in_sync(self) -> bool:
        """No task is missing on either side and no title or checkbox disagrees."""
        return not (
            self.only_in_plan or self.only_in_status or self.title_changed or self.checked_not_done
        )


def _comparable(task_id: str, text: str) -> str:
    text = text.strip()
    if text.startswith(task_id + " "):
        text = text[len(task_id) + 1 :]
    text, _ = _strip_depends(text)
    return " ".join(text.split())


def sync_check(plan: Plan, status: PlanStatus) -> SyncReport:
    """Compare a plan with a status and report every difference."""
    status_by_id = {task.id: task for task in status.tasks}
    # Steps (indented subtasks) are only expected in the status when it tracks them.
    plan_ids = [
        task.id
        for task in plan.tasks
        if task.parent is None or task.id in status_by_id or task.parent not in status_by_id
    ]
    plan_set = {task.id for task in plan.tasks}
    titles = []
    checked = []
    done = []
    for task in plan.tasks:
        other = status_by_id.get(task.id)
        if other is None:
            continue
        if _comparable(task.id, task.title) != _comparable(task.id, other.description):
            titles.append((task.id, task.title, other.description))
        if task.checked and not other.status.is_done:
            checked.append((task.id, other.status.value))
        if other.status.is_done and not task.checked:
            done.append(task.id)
    return SyncReport(
        only_in_plan=tuple(i for i in plan_ids if i not in status_by_id),
        only_in_status=tuple(t.id for t in status.tasks if t.id not in plan_set),
        title_changed=tuple(titles),
        checked_not_done=tuple(checked),
        done_not_checked=tuple(done),
    )
