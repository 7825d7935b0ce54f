"""`sync-check --apply`: a plan that changed while it ran, brought into its status."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from statuskit import JsonFileStore, TaskState
from statuskit.cli import EXIT_CODES

from .clihelp import run

PLAN = """\
# Plan: Changing

## Phase 1: Setup
- [ ] 1.1 Create the layout
- [ ] 1.2 Add the config
- [ ] 1.3 Drop the old loader

## Phase 2: Build
- [ ] 2.1 Compile
"""

CHANGED = """\
# Plan: Changing

## Phase 1: Setup
- [ ] 1.1 Create the project layout
- [ ] 1.2 Add the config
- [ ] 1.4 Write the new loader (depends: 1.2)

## Phase 2: Build
- [ ] 2.1 Compile
- [ ] 2.2 Package
"""
STATUS = Path("docs/plan-outputs/plan/status.json")


def sk(folder: Path, *argv: str) -> Any:
    result = run("--plan", "plan.md", *argv, cwd=folder)
    assert result.code == 0, result.stdout
    return result.json


def _project(tmp_path: Path) -> Path:
    (tmp_path / "plan.md").write_text(PLAN)
    sk(tmp_path, "init")
    sk(tmp_path, "mark-started", "1.1")
    sk(tmp_path, "mark-complete", "1.1", "--notes", "layout done")
    sk(tmp_path, "mark-started", "1.2")
    (tmp_path / "plan.md").write_text(CHANGED)
    return tmp_path


class TestApply:
    """New tasks come in as pending; nothing that happened is changed."""

    def test_report_then_apply(self, tmp_path: Path) -> None:
        """Without --apply: the differences and what apply would do, nothing written."""
        folder = _project(tmp_path)
        before = (folder / STATUS).read_bytes()
        doc = sk(folder, "sync-check")
        assert doc["inSync"] is False
        assert doc["onlyInPlan"] == ["1.4", "2.2"]
        assert doc["onlyInStatus"] == ["1.3"]
        assert doc["apply"]["added"] == ["1.4", "2.2"]
        assert [r["id"] for r in doc["apply"]["retitled"]] == ["1.1"]
        assert (folder / STATUS).read_bytes() == before
        dry = sk(folder, "sync-check", "--apply", "--dry-run")
        assert dry["dryRun"] is True
        assert dry["applied"]["added"] == ["1.4", "2.2"]
        assert (folder / STATUS).read_bytes() == before

        applied = sk(folder, "sync-check", "--apply")["applied"]
        assert applied["added"] == ["1.4", "2.2"]
        assert applied["onlyInStatus"] == ["1.3"]
        status = JsonFileStore(folder / STATUS).read()
        # A new task goes right after the task that precedes it in the plan.
        assert [t.id for t in status.tasks] == ["1.1", "1.2", "1.4", "1.3", "2.1", "2.2"]
        first = status.task("1.1")
        assert (first.status, first.notes) == (TaskState.COMPLETED, "layout done")
        assert first.description == "Create the project layout"
        assert status.task("1.2").status is TaskState.IN_PROGRESS
        assert status.task("1.4").status is TaskState.PENDING
        assert status.task("1.4").dependencies == ("1.2",)
        assert sk(folder, "sync-check", "--apply")["applied"]["changed"] is False

    def test_prune_drops_only_never_started(self, tmp_path: Path) -> None:
        """--prune drops 1.3 (never started) but would keep a task that had started."""
        folder = _project(tmp_path)
        doc = sk(folder, "sync-check", "--apply", "--prune")
        assert doc["applied"]["pruned"] == ["1.3"]
        ids = [t.id for t in JsonFileStore(folder / STATUS).read().tasks]
        assert "1.3" not in ids

    def test_bad_combinations(self, tmp_path: Path) -> None:
        """--prune needs --apply; --strict and --apply exclude each other."""
        folder = _project(tmp_path)
        for argv in (["--prune"], ["--strict", "--apply"]):
            result = run("--plan", "plan.md", "sync-check", *argv, cwd=folder)
            assert result.code == EXIT_CODES["usage"]
        strict = run("--plan", "plan.md", "sync-check", "--strict", cwd=folder)
        assert strict.code == EXIT_CODES["check_failed"]
