"""What a parsed plan is: :class:`Plan`, its phases, tasks, criteria and warnings.

Frozen values, built by :func:`statuskit.planfile.parse_plan`; the plan's counterpart of
:mod:`statuskit.model`.
"""

from __future__ import annotations

from typing import Any

import attrs

from statuskit.errors import TaskNotFound
from statuskit.ids import closest_ids

__all__ = ["Criterion", "Phase", "Plan", "PlanTask", "PlanWarning"]


@attrs.frozen
class PlanWarning:
    """Something in the plan that could not be placed as written."""

    line: int
    """1-based line number in the markdown."""
    code: str
    """Stable identifier: ``duplicate_id``, ``phase_mismatch``, ``outside_phase``,
    ``fenced_task``, ``bad_dependency``, ``unknown_dependency``, ``dependency_cycle``,
    ``bullet_task``, ``bad_execution_note``, ``untracked_checkbox``, ``checked_task``,
    ``long_id`` (see ``docs/plans.md``)."""
    message: str
    """What happened, in words."""

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        """``{"line", "code", "message"}``: the warning as the CLI prints it."""
        return {"line": self.line, "code": self.code, "message": self.message}


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
    """Acceptance criteria of the phase (id-less checkboxes, VERIFY items among them)."""


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
            TaskNotFound: with the closest existing ids.

        """
        for task in self.tasks:
            if task.id == task_id:
                return task
        raise TaskNotFound(task_id, closest_ids(task_id, (t.id for t in self.tasks)))
