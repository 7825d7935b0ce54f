"""Markdown plans: parse them into a :class:`~statuskit.planmodel.Plan`.

Pure: text in, values out. The markdown is never written. The plan's types
(:mod:`statuskit.planmodel`) and the status side - creating a status from a plan, comparing
the two, applying an edited plan (:mod:`statuskit.plansync`) - are re-exported here.

What is read (see ``docs/plans.md`` for the full rules):

* the title: the first ``# `` heading;
* phases: ``## Phase N: Title`` (also ``###``; N may carry a letter, ``2A``);
* tasks: list items with a task id - ``- [ ] 1.1 Title``, ``- [x] 3.4.1 Title``, ``3.1.A``,
  ``1. [ ] 2.1 Title`` in an ordered list,
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

Anything that cannot be placed becomes a :class:`PlanWarning` with its line number: also an
id-less checkbox among a phase's tasks (kept as a criterion, not tracked) and ticked checkboxes
(a checkmark is not progress: a new status starts every task pending unless asked otherwise).

A leading byte order mark is ignored. Parsing is linear in the text's length, whatever a line
holds (see :mod:`statuskit.planlines`).
"""

from __future__ import annotations

import bisect
import re
from typing import Any

import attrs

from statuskit.errors import PlanError
from statuskit.graph import describe_cycle, find_cycles
from statuskit.ids import MAX_ID_LENGTH, natural_key
from statuskit.planlines import (
    heading,
    phase_heading,
    sequential_note,
    split_spec,
    strip_depends,
)
from statuskit.planmodel import Criterion, Phase, Plan, PlanTask, PlanWarning
from statuskit.plansync import SyncReport, status_from_plan, sync_check, tracked_tasks

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
# Every pattern below is anchored at the start of a line (or token); where two adjacent
# quantifiers could take the same characters the second is a final `(.*)$`, which succeeds on
# its first try. So none backtracks more than linearly. The parts that must find an end are
# string scans in statuskit.planlines (see its docstring).
_FENCE = re.compile(r"^\s*(```|~~~)")
_CHECKBOX = re.compile(r"^(\s*)(?:[-*+]|\d{1,9}[.)])\s+\[([ xX])\]\s+(.*)$")
_BULLET = re.compile(r"^(\s*)(?:[-*+]|\d+[.)])\s+(.*)$")
_LEAD_ID = re.compile(rf"^(?:\*\*)?({_ID})(?:\*\*)?[:.)]?(?:\*\*)?\s+(.*)$")
_PLAIN_BULLET_TASK = re.compile(rf"^[-*+]\s+({_ID})\s+(\S.*)$")
_VERIFY_ITEM = re.compile(r"^\*\*VERIFY\b[^*]*\*\*|^VERIFY\s+\d", re.IGNORECASE)
_VERIFY_PARAGRAPH = re.compile(r"^\s*\*\*VERIFY\b[^*]*\*\*:?\s*(.*)$", re.IGNORECASE)
_EXEC_NOTE = re.compile(r"^\s*\*\*Execution Note:?\*\*:?\s*(.*)$", re.IGNORECASE)
_ID_TOKEN = re.compile(_ID)
_RANGE = re.compile(rf"({_ID})\s*(?:-|\u2013|\u2014|to|through)\s*({_ID})", re.IGNORECASE)
_PHASE_REF = re.compile(
    r"(?:all\s+(?:of\s+)?(?:tasks\s+(?:in|of)\s+)?)?phase\s+(\d+[A-Za-z]?)", re.IGNORECASE
)
#: At most this many ids are listed in one warning.
_LISTED = 10


def _listed(ids: list[str]) -> str:
    shown = ", ".join(ids[:_LISTED])
    return shown + (f" and {len(ids) - _LISTED:,} more" if len(ids) > _LISTED else "")


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


def _id_prefix(task_id: str) -> str:
    return task_id.split(".", 1)[0]


class _Parser:
    def __init__(self, text: str) -> None:
        # An editor's byte order mark would otherwise hide the title line's "#".
        self.lines = text.removeprefix("\ufeff").split("\n")
        self.title = ""
        self.phases: list[_RawPhase] = []
        self.tasks: list[_RawTask] = []
        self.loose_criteria: list[Criterion] = []
        self.warnings: list[PlanWarning] = []
        self.notes: list[tuple[str, str | None, int]] = []  # (task spec, reason, line)
        self.fenced_phases = 0
        self.members: dict[str, list[str]] = {}  # phase number -> task ids, once resolved
        # Indexes for ranges, built once the tasks are known: every id by natural order, and
        # the ids ending in a number by their prefix ("1.12" -> "1": [(12, "1.12")]).
        self.by_key: list[tuple[Any, int, str]] = []
        self.numbered: dict[str, list[tuple[int, str]]] = {}
        self.untracked: dict[int, tuple[_RawPhase, list[int]]] = {}  # id-less checkbox lines

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
                    fenced = heading(line) if line.startswith("#") else None
                    if fenced and fenced[0] >= 2 and phase_heading(fenced[1]):
                        self.fenced_phases += 1
                continue
            if fence_match:
                fence = fence_match.group(1)
                continue
            stripped = line.strip()
            if not stripped:
                continue
            found = heading(line) if line.startswith("#") else None
            if found and found[0] == 1 and found[1] and not self.title:
                self.title = found[1]
                continue
            if found and found[0] >= 2:
                verify_block = False
                last_task, stack = None, []
                text = found[1]
                is_phase = phase_heading(text)
                if is_phase:
                    phase = _RawPhase(is_phase[0], is_phase[1], text, number)
                    self.phases.append(phase)
                    in_phase_section = True
                elif found[0] == 2:
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
                    self.criterion(
                        body, mark != " ", number, current, verify_block, indent, last_task
                    )
                    continue
                if self.too_long(lead.group(1), number):
                    continue
                last_task = self.add_task(
                    lead.group(1),
                    lead.group(2),
                    mark != " ",
                    current,
                    verify_block,
                    number,
                    indent,
                    stack,
                )
                continue
            plain = _PLAIN_BULLET_TASK.match(line)
            if plain and current is not None and _id_prefix(plain.group(1)) == current.number:
                if self.too_long(plain.group(1), number):
                    continue
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

    def criterion(
        self,
        body: str,
        checked: bool,
        number: int,
        phase: _RawPhase | None,
        verify_block: bool,
        indent: int,
        last_task: _RawTask | None,
    ) -> None:
        verify = verify_block or bool(_VERIFY_ITEM.match(body))
        item = Criterion(text=body.strip(), checked=checked, line=number, verify=verify)
        (phase.criteria if phase else self.loose_criteria).append(item)
        # Among a phase's tasks an id-less checkbox looks like a task but is not tracked: say
        # so (once per phase). Not under a VERIFY heading, nor as a step indented under a
        # task: those are checks by intent.
        if phase is not None and not verify and not (last_task and indent > last_task.indent):
            self.untracked.setdefault(id(phase), (phase, []))[1].append(number)

    def too_long(self, task_id: str, number: int) -> bool:
        if len(task_id) <= MAX_ID_LENGTH:
            return False
        self.warn(
            number,
            "long_id",
            f"task id of {len(task_id):,} characters (at most {MAX_ID_LENGTH}); line ignored",
        )
        return True

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
        title, deps = strip_depends(body)
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
        found = sequential_note(text)
        if found is None:
            if "[SEQUENTIAL]" in text.upper():
                self.warn(number, "bad_execution_note", f"cannot read execution note: {text!r}")
            return
        self.notes.append((found[0], found[1], number))

    # ------------------------------------------------------------------ resolution

    def expand(
        self, spec: str, number: int, who: str, exclude: str | None = None
    ) -> tuple[list[str], list[str]]:
        """Ids named by a dependency or execution-note spec, and the tokens not understood.

        ``exclude`` is left out of phase references ("depends on Phase 3" said by a task of
        phase 3 means the *other* tasks of that phase).
        """
        ids: list[str] = []
        bad: list[str] = []
        for token in split_spec(spec):
            if len(token) <= MAX_ID_LENGTH and _ID_TOKEN.fullmatch(token):
                ids.append(token)
                continue
            span = _RANGE.fullmatch(token)
            if span and max(len(span.group(1)), len(span.group(2))) <= MAX_ID_LENGTH:
                ids.extend(self.expand_range(span.group(1), span.group(2), number, who))
                continue
            ref = _PHASE_REF.fullmatch(token)
            if ref:
                members = [i for i in self.members.get(ref.group(1), ()) if i != exclude]
                if members:
                    ids.extend(members)
                    continue
            bad.append(token)
        return list(dict.fromkeys(ids)), bad

    def expand_range(self, low: str, high: str, number: int, who: str) -> list[str]:
        """The plan's tasks in a range, looked up (never enumerated: ``1.1-1.99999999``)."""
        low_parts, high_parts = low.split("."), high.split(".")
        if not (
            len(low_parts) == len(high_parts)
            and low_parts[:-1] == high_parts[:-1]
            and low_parts[-1].isdigit()
            and high_parts[-1].isdigit()
        ):
            if not self.by_key:  # built on first use: most plans have no such range
                ids = [task.id for task in self.tasks]
                self.by_key = sorted((natural_key(k), i, k) for i, k in enumerate(ids))
            lo, hi = natural_key(low), natural_key(high)
            start = bisect.bisect_left(self.by_key, (lo,))
            inside = []
            for key, position, task_id in self.by_key[start:]:
                if key > hi:
                    break
                if len(key) == len(low_parts):
                    inside.append((position, task_id))
            return [task_id for _, task_id in sorted(inside)]
        # 1.3-1.7: the tasks numbered 3 to 7 under "1"; the numbers with no task are reported
        # once (a dependency on an id that is not a task would block its task for ever).
        first, last = int(low_parts[-1]), int(high_parts[-1])
        numbered = self.numbered.get(".".join(low_parts[:-1]), [])
        found = []
        for value, task_id in numbered[bisect.bisect_left(numbered, (first,)) :]:
            if value > last:
                break
            found.append((value, task_id))
        numbers = {value for value, _ in found}
        missing = max(0, last - first + 1 - len(numbers))
        if missing:
            shown: list[str] = []
            value = first
            while len(shown) < _LISTED and value <= last:
                if value not in numbers:
                    shown.append(f"{'.'.join(low_parts[:-1])}.{value}")
                value += 1
            rest = f" and {missing - len(shown):,} more" if missing > len(shown) else ""
            self.warn(
                number,
                "unknown_dependency",
                f"{who}: range {low}-{high} names {', '.join(shown)}{rest}, not tasks; left out",
            )
        return [task_id for _, task_id in found]

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
        self.place(unique)
        for task in unique:
            self.members.setdefault(task.phase_number or "", []).append(task.id)
            prefix, _, last = task.id.rpartition(".")
            if last.isdigit():
                self.numbered.setdefault(prefix, []).append((int(last), task.id))
        for entries in self.numbered.values():
            entries.sort()
        for phase, lines in self.untracked.values():
            self.warn(
                lines[0],
                "untracked_checkbox",
                f"{len(lines)} checkbox(es) without a task id in {phase.label!r} (line"
                f"{'s' if len(lines) > 1 else ''} {_listed([str(n) for n in lines])}):"
                f" criteria of the phase, not tracked (write '- [ ] {phase.number}.N ...' to"
                " track one)",
            )
        checked = [task.id for task in unique if task.checked]
        if checked:
            self.warn(
                seen[checked[0]].line,
                "checked_task",
                f"{len(checked)} task(s) checked in the plan ({_listed(checked)}): a checkmark"
                " is not progress, a new status starts every task pending"
                " (`init --from-checkboxes` starts checked tasks completed)",
            )
        groups: dict[str, tuple[str, str | None]] = {}
        for spec, reason, number in self.notes:
            ids, bad = self.expand(spec, number, "execution note")
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
        resolved = [self.resolved(task, seen, groups.get(task.id)) for task in unique]
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

    def place(self, tasks: list[_RawTask]) -> None:
        """Put tasks written outside every phase into the phase their id names, if any."""
        phase_numbers = {phase.number: phase for phase in self.phases}
        for task in tasks:
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

    def resolved(
        self,
        task: _RawTask,
        seen: dict[str, _RawTask],
        group: tuple[str, str | None] | None,
    ) -> PlanTask:
        deps: list[str] = []
        for text, number in task.dep_text:
            ids, bad = self.expand(text, number, f"task {task.id}", exclude=task.id)
            for token in bad:
                self.warn(
                    number,
                    "bad_dependency",
                    f"task {task.id}: cannot read dependency {token!r}; ignored",
                )
            for dep in ids:
                if dep == task.id:
                    self.warn(number, "dependency_cycle", f"task {task.id} depends on itself")
                    continue
                if dep not in seen:
                    self.warn(
                        number,
                        "unknown_dependency",
                        f"task {task.id} depends on {dep}, which is not a task",
                    )
                deps.append(dep)
        return PlanTask(
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

    def report_cycles(self, tasks: list[PlanTask]) -> None:
        graph = {task.id: task.dependencies for task in tasks}
        lines = {task.id: task.line for task in tasks}
        for cycle in find_cycles(graph):
            self.warn(
                lines[cycle[0]], "dependency_cycle", "dependency cycle: " + describe_cycle(cycle)
            )


def parse_plan(text: str, *, source: str | None = None) -> Plan:
    """Parse a markdown plan.

    Args:
        text: the markdown (a leading byte order mark is ignored).
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
