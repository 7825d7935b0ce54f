"""The CLI on a database store: --store, plan keys, plans, migrate (the corpus there and back)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from statuskit import JsonFileStore
from statuskit.codec import decode, dumps
from statuskit.store.sqlite import SqliteStore

from .clihelp import Result, run
from .helpers import corpus_dir

PLAN = """\
# Plan: Two of a name

## Phase 1: Setup
- [ ] 1.1 Create the layout
- [ ] 1.2 Add the config (depends: 1.1)

## Phase 2: Build
- [ ] 2.1 Compile
"""


def ok(result: Result) -> Any:
    assert result.code == 0, (result.stdout, result.stderr)
    document = result.json
    assert document["ok"] is True
    return document


def failed(result: Result, code: str, exit_code: int) -> Any:
    assert result.code == exit_code, (result.stdout, result.stderr)
    assert result.json["error"]["code"] == code
    return result.json["error"]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Two plan files with the same stem, in a/ and b/."""
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "plan.md").write_text(PLAN)
    return tmp_path


class TestPlanKeys:
    """A key taken by another plan file is refused, in every command."""

    def test_same_stem_refused(self, project: Path) -> None:
        """a/plan.md owns key 'plan'; b/plan.md is refused (exit 16) until given its own key."""
        store = ("--store", "sqlite:project.db")
        ok(run(*store, "--plan", "a/plan.md", "init", cwd=project))
        for argv in (
            ["init"],
            ["status"],
            ["mark-complete", "1.1"],
            ["write-findings", "1.1", "--stdin"],
            ["claim", "1", "--owner", "w"],
        ):
            result = run(*store, "--plan", "b/plan.md", *argv, cwd=project, stdin="x")
            error = failed(result, "plan_mismatch", 16)
            assert "a/plan.md" in error["message"], argv
        with SqliteStore(project / "project.db", "plan") as stored:
            assert stored.read().summary.completed == 0
        ok(run(*store, "--plan", "b/plan.md", "--plan-key", "b-plan", "init", cwd=project))
        ok(
            run(
                *store,
                "--plan",
                "b/plan.md",
                "--plan-key",
                "b-plan",
                "mark-complete",
                "1.1",
                cwd=project,
            )
        )
        listed = ok(run(*store, "plans", cwd=project))
        assert [(p["key"], p["planPath"], p["summary"]["completed"]) for p in listed["plans"]] == [
            ("b-plan", "b/plan.md", 1),
            ("plan", "a/plan.md", 0),
        ]

    def test_no_key_says_how_to_choose(self, project: Path) -> None:
        """A database store without a plan or key is a usage error naming the options."""
        result = run("--store", "sqlite:project.db", "status", cwd=project)
        assert "--plan" in failed(result, "usage", 2)["hint"]

    def test_plans_of_other_stores(self, project: Path) -> None:
        """plans lists the JSON layout's folders; a store that cannot list says so."""
        ok(run("--plan", "a/plan.md", "init", cwd=project))
        listed = ok(run("plans", cwd=project))
        assert [p["key"] for p in listed["plans"]] == ["plan"]
        assert listed["plans"][0]["statusPath"] == "docs/plan-outputs/plan/status.json"
        failed(run("--store", "memory:", "plans", cwd=project), "usage", 2)


class TestMigrate:
    """migrate copies status and findings, refuses to overwrite, and can be dry."""

    def test_json_to_sqlite_and_back(self, project: Path) -> None:
        """Status and findings survive both directions byte for byte."""
        plan = ("--plan", "a/plan.md")
        ok(run(*plan, "init", cwd=project))
        ok(run(*plan, "mark-complete", "1.1", "--notes", "done", cwd=project))
        ok(run(*plan, "write-findings", "1.1", "--stdin", cwd=project, stdin="# F\nx\n"))
        ok(run(*plan, "start-run", cwd=project))
        moved = ok(run(*plan, "migrate", "--to", "sqlite:project.db", cwd=project))
        assert (moved["tasks"], moved["runs"], moved["findings"]) == (3, 1, 1)
        db = ("--store", "sqlite:project.db", *plan)
        assert ok(run(*db, "read-findings", "1.1", cwd=project))["text"] == "# F\nx\n"
        ok(run(*db, "migrate", "--to", "back/", cwd=project))
        original = project / "docs/plan-outputs/plan/status.json"
        assert (project / "back/plan/status.json").read_bytes() == original.read_bytes()
        assert (project / "back/plan/findings/1-1.md").read_text() == "# F\nx\n"

    def test_refuse_force_dry_run(self, project: Path) -> None:
        """An existing target is refused (exit 9) unless --force; --dry-run writes nothing."""
        plan = ("--plan", "a/plan.md")
        ok(run(*plan, "init", cwd=project))
        to = ("migrate", "--to", "sqlite:project.db")
        dry = ok(run(*plan, *to, "--dry-run", cwd=project))
        assert dry["dryRun"] is True
        assert not (project / "project.db").exists()
        ok(run(*plan, *to, cwd=project))
        ok(run(*plan, "mark-complete", "1.1", cwd=project))
        failed(run(*plan, *to, cwd=project), "exists", 9)
        with SqliteStore(project / "project.db", "plan") as stored:
            assert stored.read().summary.completed == 0
            replaced = ok(run(*plan, *to, "--force", cwd=project))
            assert replaced["replaced"] is True
            assert stored.read().summary.completed == 1
        failed(
            run(*plan, "migrate", "--to", "docs/plan-outputs/plan/status.json", cwd=project),
            "usage",
            2,
        )


def test_corpus_there_and_back(tmp_path: Path) -> None:
    """All corpus statuses to one database and back: exactly what the JSON store writes."""
    corpus = corpus_dir("status")
    files = sorted(corpus.glob("*.json"))
    assert files
    for path in files:
        key = path.stem
        folder = tmp_path / "in" / key
        folder.mkdir(parents=True)
        shutil.copy(path, folder / "status.json")
        source = ("--status", str(folder / "status.json"), "--plan-key", key)
        ok(run(*source, "migrate", "--to", "sqlite:all.db", cwd=tmp_path))
    listed = ok(run("--store", "sqlite:all.db", "plans", cwd=tmp_path))
    assert [p["key"] for p in listed["plans"]] == sorted(p.stem for p in files)
    for path in files:
        key = path.stem
        ok(
            run(
                "--store",
                "sqlite:all.db",
                "--plan-key",
                key,
                "migrate",
                "--to",
                "out/",
                cwd=tmp_path,
            )
        )
        original = decode(json.loads(path.read_text()))
        written = tmp_path / "out" / key / "status.json"
        assert written.read_text() == dumps(original), key  # what JsonFileStore writes for it
        assert JsonFileStore(written).read().tasks == original.tasks
