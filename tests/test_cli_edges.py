"""The rough edges a first hour hits (issue 18): each one said, refused, or made runnable.

* ``reset`` keeps the retry count and says so; ``reset --retries`` clears it;
* every hint that names a command prints it runnable: the test runs each one in a shell;
* ``mark-started`` before the dependencies are done warns (``--strict`` refuses, exit 4);
* a repeated ``mark-complete`` with other notes replaces them, says so, and is journaled;
* ``read-findings --raw`` prints the stored bytes; a missing findings file says why;
* ``write-findings`` refuses empty findings unless ``--allow-empty``;
* every argument of every command has a help text that shows its default;
* ``init`` says where it wrote, and which folder it made.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from statuskit import (
    InvalidTransition,
    MemoryStore,
    TaskState,
    Tracker,
    open_store,
    parse_plan,
)
from statuskit import status_from_plan as from_plan
from statuskit.cli import EXIT_CODES
from statuskit.cli._main import build_parser

from .clihelp import SRC, Result, run

PLAN = """\
# Plan: Edges

## Phase 1: Setup
- [ ] 1.1 Install
- [ ] 1.2 Configure (depends: 1.1)
- [ ] 1.3 Check (depends: 1.1, 1.2)
"""
STATUS = Path("docs/plan-outputs/plan/status.json")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder with plan.md and its status in the default layout."""
    (tmp_path / "plan.md").write_text(PLAN)
    ok(run("--plan", "plan.md", "init", cwd=tmp_path))
    return tmp_path


def sk(folder: Path, *argv: str, stdin: str = "") -> Result:
    return run("--plan", "plan.md", *argv, cwd=folder, stdin=stdin)


def ok(result: Result) -> Any:
    assert result.code == 0, (result.stdout, result.stderr)
    document = result.json
    assert document["ok"] is True
    return document


def error(result: Result, code: str) -> Any:
    assert result.code == EXIT_CODES[code], (result.code, result.stdout)
    document = result.json
    assert document["ok"] is False
    assert document["error"]["code"] == code, document
    return document["error"]


def fail_times(folder: Path, task: str, times: int) -> None:
    """Start and fail ``task`` ``times`` times (every start after the first is a retry)."""
    for _ in range(times):
        ok(sk(folder, "mark-started", task))
        ok(sk(folder, "mark-failed", task, "--error", "boom"))


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.name.endswith(".lock")
    }


# ---------------------------------------------------------------------- backends

BACKENDS = ["memory", "jsonfile", "sqlite"]


@pytest.fixture(params=BACKENDS)
def tracker(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Tracker]:
    """A tracker over PLAN's status in each backend (sqlite changes single tasks in place)."""
    store = (
        MemoryStore()
        if request.param == "memory"
        else open_store(
            str(tmp_path / "status.json")
            if request.param == "jsonfile"
            else f"sqlite:{tmp_path / 'plans.db'}",
            plan="plan",
        )
    )
    with store:
        store.create(from_plan(parse_plan(PLAN), now=Tracker(store).clock()))
        yield Tracker(store)


# ---------------------------------------------------------------------- reset


class TestResetRetries:
    """A plain reset keeps the retry count, and says so; --retries clears it."""

    def test_plain_reset_keeps_and_says(self, project: Path) -> None:
        """retryCount survives a reset; the message names the command that clears it."""
        fail_times(project, "1.1", 3)
        doc = ok(sk(project, "reset", "1.1"))
        assert doc["task"]["status"] == "pending"
        assert doc["task"]["retryCount"] == 2
        assert "retry count kept: 2" in doc["message"]
        assert "`statuskit --plan plan.md reset 1.1 --retries`" in doc["message"]

    def test_kept_count_uses_up_the_retries(self, project: Path) -> None:
        """After a plain reset one failure exhausts the limit; after --retries it does not."""
        fail_times(project, "1.1", 3)
        ok(sk(project, "reset", "1.1"))
        fail_times(project, "1.1", 1)
        assert ok(sk(project, "retryable", "--max", "2"))["tasks"] == []
        doc = ok(sk(project, "reset", "1.1", "--retries"))
        assert doc["changed"] is True
        assert doc["message"] == "retry count cleared (was 2)"
        assert doc["task"].get("retryCount", 0) == 0
        assert doc["task"]["lastError"] == "boom"  # history kept
        fail_times(project, "1.1", 1)
        assert [t["id"] for t in ok(sk(project, "retryable", "--max", "2"))["tasks"]] == ["1.1"]

    def test_clearing_a_pending_task_is_journaled(self, project: Path) -> None:
        """--retries on a task already reset still clears, as a change the journal records."""
        fail_times(project, "1.1", 2)
        ok(sk(project, "reset", "1.1"))
        doc = ok(sk(project, "reset", "1.1", "--retries"))
        assert (doc["changed"], doc["message"]) == (True, "retry count cleared (was 1)")
        last = ok(sk(project, "log", "1.1"))["events"][-1]
        assert last["event"] == "updated"
        assert last["fields"] == ["retryCount"]
        again = ok(sk(project, "reset", "1.1", "--retries"))
        assert again["changed"] is False
        assert again["message"].endswith("retry count was already 0")

    def test_dry_run_writes_nothing(self, project: Path) -> None:
        """reset --retries --dry-run reports the clearing and leaves the file alone."""
        fail_times(project, "1.1", 2)
        before = (project / STATUS).read_bytes()
        doc = ok(sk(project, "reset", "1.1", "--retries", "--dry-run"))
        assert doc["message"] == "retry count cleared (was 1)"
        assert (project / STATUS).read_bytes() == before

    def test_tracker(self, tracker: Tracker) -> None:
        """Tracker.reset(clear_retries=True) on every backend; the outcome shows the task before."""
        for _ in range(3):
            tracker.start("1.1")
            tracker.fail("1.1", error="e")
        kept = tracker.reset("1.1")
        assert (kept.task.retry_count, kept.before and kept.before.retry_count) == (2, 2)
        cleared = tracker.reset("1.1", clear_retries=True)
        assert cleared.changed
        assert cleared.task.retry_count == 0
        assert tracker.status().task("1.1").retry_count == 0


# ---------------------------------------------------------------------- dependencies


class TestStartBeforeDependencies:
    """mark-started warns about dependencies not done; --strict refuses."""

    def test_warns_on_stderr_and_lists(self, project: Path) -> None:
        """Exit 0, a warning naming each dependency and its state, and waitingFor in JSON."""
        ok(sk(project, "mark-started", "1.1"))
        result = sk(project, "mark-started", "1.3")
        doc = ok(result)
        assert doc["task"]["status"] == "in_progress"
        assert doc["waitingFor"] == [
            {"id": "1.1", "status": "in_progress"},
            {"id": "1.2", "status": "pending"},
        ]
        assert "1.1 (in_progress), 1.2 (pending)" in result.stderr
        assert "--strict" in result.stderr

    def test_silent_when_done(self, project: Path) -> None:
        """Dependencies done (completed or skipped): no warning, no waitingFor."""
        ok(sk(project, "mark-complete", "1.1"))
        result = sk(project, "mark-started", "1.2")
        assert "waitingFor" not in ok(result)
        assert result.stderr == ""
        ok(sk(project, "mark-skipped", "1.2", "--reason", "not needed"))
        result = sk(project, "mark-started", "1.3", "--strict")
        assert "waitingFor" not in ok(result)
        assert result.stderr == ""

    def test_repeat_does_not_warn_again(self, project: Path) -> None:
        """An idempotent repeat of the start is unchanged and silent."""
        ok(sk(project, "mark-started", "1.2"))
        result = sk(project, "mark-started", "1.2")
        assert ok(result)["changed"] is False
        assert result.stderr == ""

    def test_strict_refuses_and_writes_nothing(self, project: Path) -> None:
        """--strict: exit 4 invalid_transition naming the dependency; the folder is untouched."""
        before = folder_bytes(project)
        err = error(sk(project, "mark-started", "1.2", "--strict"), "invalid_transition")
        assert "1.1 (pending)" in err["message"]
        assert (err["details"]["fromState"], err["details"]["toState"]) == (
            "pending",
            "in_progress",
        )
        assert folder_bytes(project) == before

    def test_tracker(self, tracker: Tracker) -> None:
        """Every backend judges the dependencies' real states (a scoped store loads them)."""
        with pytest.raises(InvalidTransition, match=r"1\.1 \(pending\)"):
            tracker.start("1.2", strict=True)
        assert tracker.status().task("1.2").status is TaskState.PENDING
        started = tracker.start("1.3")
        assert started.waiting_for == (("1.1", "pending"), ("1.2", "pending"))
        tracker.complete("1.1")
        assert tracker.start("1.2", strict=True).waiting_for == ()


# ---------------------------------------------------------------------- notes


class TestCompleteNotes:
    """A repeated mark-complete with other notes replaces them and says so."""

    def test_new_notes_replace(self, project: Path) -> None:
        """changed, the new notes, the times kept, a message, and the journal holds both."""
        ok(sk(project, "mark-started", "1.1"))
        first = ok(sk(project, "mark-complete", "1.1", "--notes", "first"))
        second = ok(sk(project, "mark-complete", "1.1", "--notes", "second"))
        assert second["changed"] is True
        assert second["task"]["notes"] == "second"
        for key in ("startedAt", "completedAt", "duration"):
            assert second["task"][key] == first["task"][key]
        assert "notes were replaced" in second["message"]
        assert "`statuskit --plan plan.md log 1.1`" in second["message"]
        events = ok(sk(project, "log", "1.1"))["events"]
        assert [(e["event"], e.get("notes")) for e in events[-2:]] == [
            ("moved", "first"),
            ("updated", "second"),
        ]

    def test_same_or_no_notes_unchanged(self, project: Path) -> None:
        """The same notes, or none, are an idempotent repeat: nothing written."""
        ok(sk(project, "mark-complete", "1.1", "--notes", "first"))
        before = (project / STATUS).read_bytes()
        for extra in (["--notes", "first"], []):
            doc = ok(sk(project, "mark-complete", "1.1", *extra))
            assert doc["changed"] is False
            assert doc["task"]["notes"] == "first"
            assert doc["message"] == "unchanged: task 1.1 is already completed"
        assert (project / STATUS).read_bytes() == before

    def test_tracker(self, tracker: Tracker) -> None:
        """Every backend stores the new notes."""
        tracker.complete("1.1", notes="first")
        outcome = tracker.complete("1.1", notes="second")
        assert outcome.changed
        assert outcome.before is not None
        assert outcome.before.status is TaskState.COMPLETED
        assert tracker.status().task("1.1").notes == "second"


# ---------------------------------------------------------------------- findings


def raw_process(folder: Path, *argv: str) -> subprocess.CompletedProcess[bytes]:
    """statuskit as a real process, its output as bytes (no newline translation)."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    code = "import sys; from statuskit.cli import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, *argv],
        cwd=folder,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )


class TestFindings:
    """read-findings --raw, the missing-findings hint, and empty findings refused."""

    TEXT = '# Found\r\nline two \u00e9 \u2028 "quoted"\n\n  trailing  '

    def test_raw_prints_exactly(self, project: Path) -> None:
        """The stored bytes, nothing added: no JSON, no newline, CRLF and U+2028 kept."""
        (project / "f.md").write_bytes(self.TEXT.encode())
        ok(sk(project, "write-findings", "1.1", "--file", "f.md"))
        done = raw_process(project, "--plan", "plan.md", "read-findings", "1.1", "--raw")
        assert done.returncode == 0, done.stderr
        assert done.stdout == self.TEXT.encode()
        assert json.loads(sk(project, "read-findings", "1.1").stdout)["text"] == self.TEXT

    def test_raw_errors_stay_json(self, project: Path) -> None:
        """An error with --raw is still the JSON error document, with its exit code."""
        done = raw_process(project, "--plan", "plan.md", "read-findings", "1.1", "--raw")
        assert done.returncode == EXIT_CODES["not_found"]
        assert json.loads(done.stdout)["error"]["code"] == "not_found"

    def test_never_written(self, project: Path) -> None:
        """The hint says they were never written, and how to write them."""
        err = error(sk(project, "read-findings", "1.2"), "not_found")
        assert "never written for task 1.2" in err["hint"]
        assert "`statuskit --plan plan.md write-findings 1.2 --stdin`" in err["hint"]
        assert err["details"]["recorded"] is None

    def test_recorded_but_gone(self, project: Path) -> None:
        """Written, then deleted: the hint says so instead of "never written"."""
        ok(sk(project, "write-findings", "1.1", "--stdin", stdin="found"))
        (project / STATUS.parent / "findings" / "1-1.md").unlink()
        err = error(sk(project, "read-findings", "1.1"), "not_found")
        assert "records findings at findings/1-1.md, but they are gone" in err["hint"]
        assert err["details"]["recorded"] == "findings/1-1.md"

    @pytest.mark.parametrize("text", ["", " \n\t\n"])
    def test_empty_refused(self, project: Path, text: str) -> None:
        """Empty or whitespace-only findings: usage, nothing written (stdin and --file)."""
        before = folder_bytes(project)
        err = error(sk(project, "write-findings", "1.1", "--stdin", stdin=text), "usage")
        assert "nothing was written" in err["message"]
        assert "--allow-empty" in err["hint"]
        (project / "empty.md").write_text(text)
        before["empty.md"] = text.encode()
        err = error(sk(project, "write-findings", "1.1", "--file", "empty.md"), "usage")
        assert "findings file empty.md held" in err["message"]
        assert folder_bytes(project) == before

    def test_allow_empty(self, project: Path) -> None:
        """--allow-empty stores them, and they read back empty."""
        doc = ok(sk(project, "write-findings", "1.1", "--stdin", "--allow-empty"))
        assert doc["bytes"] == 0
        assert ok(sk(project, "read-findings", "1.1"))["text"] == ""


# ---------------------------------------------------------------------- init


class TestInitSaysWhere:
    """init names the status it wrote, and the folder it had to make."""

    def test_fresh_folder(self, tmp_path: Path) -> None:
        """No docs/ yet: stderr and newFolder say docs/ was made."""
        (tmp_path / "plan.md").write_text(PLAN)
        result = run("--plan", "plan.md", "init", cwd=tmp_path)
        doc = ok(result)
        assert (doc["statusPath"], doc["newFolder"]) == (str(STATUS), "docs")
        assert f"statuskit: created {STATUS} (3 tasks)" in result.stderr
        assert f"made the folder docs{os.sep} for it" in result.stderr
        assert (tmp_path / STATUS).is_file()

    def test_existing_output_folder(self, tmp_path: Path) -> None:
        """Only the plan's own folder is new; with --status in an existing folder, none."""
        (tmp_path / "plan.md").write_text(PLAN)
        (tmp_path / "docs" / "plan-outputs").mkdir(parents=True)
        doc = ok(run("--plan", "plan.md", "init", cwd=tmp_path))
        assert doc["newFolder"] == str(STATUS.parent)
        result = run("--plan", "plan.md", "--status", "mine.json", "init", cwd=tmp_path)
        assert ok(result)["newFolder"] is None
        assert "made the folder" not in result.stderr
        assert "created mine.json (3 tasks)" in result.stderr

    def test_dry_run(self, tmp_path: Path) -> None:
        """--dry-run says what it would do and makes nothing."""
        (tmp_path / "plan.md").write_text(PLAN)
        result = run("--plan", "plan.md", "init", "--dry-run", cwd=tmp_path)
        assert ok(result)["newFolder"] == "docs"
        assert "would create" in result.stderr
        assert "would make the folder" in result.stderr
        assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.md"]

    def test_database(self, tmp_path: Path) -> None:
        """A database store: no folder, the store's location said."""
        (tmp_path / "plan.md").write_text(PLAN)
        result = run("--store", "sqlite:plans.db", "--plan", "plan.md", "init", cwd=tmp_path)
        doc = ok(result)
        assert doc["newFolder"] is None
        assert f"created {doc['statusPath']} (3 tasks)" in result.stderr


# ---------------------------------------------------------------------- help texts


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("no subcommands")


def shown(value: object) -> str:
    """A default as a help text writes it: 30m, 1800, 10, flaky."""
    if isinstance(value, timedelta):
        whole = int(value.total_seconds())
        for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
            if whole % size == 0:
                return f"{whole // size}{unit}"
        return f"{whole}s"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class TestHelpTexts:
    """Every argument and option of every command says what it is, and its default."""

    def parsers(self) -> Iterator[tuple[str, argparse.ArgumentParser]]:
        parser = build_parser()
        yield "statuskit", parser
        yield from _subcommands(parser).items()

    def test_every_action_has_help(self) -> None:
        """No argument without a description (N, TASK_ID, --timeout ... included)."""
        missing = [
            (name, action.option_strings or action.dest)
            for name, parser in self.parsers()
            for action in parser._actions
            if not isinstance(action, argparse._SubParsersAction)
            and (not action.help or action.help == argparse.SUPPRESS)
        ]
        assert missing == []

    def test_defaults_are_shown(self) -> None:
        """An action with a default other than None/False shows it, in parentheses."""
        hidden = []
        for name, parser in self.parsers():
            for action in parser._actions:
                default = action.default
                if default in (None, False, argparse.SUPPRESS) or action.nargs == 0:
                    continue
                value = re.escape(shown(default))
                if not re.search(rf"\((?:[^()]*[;:,] )?{value}\)", action.help or ""):
                    hidden.append((name, action.option_strings or action.dest, shown(default)))
        assert hidden == []

    def test_named_in_the_issue(self) -> None:
        """The ones a first hour missed: N, TASK_ID, --timeout, --backoff, --stuck-after..."""
        commands = _subcommands(build_parser())
        texts = {name: parser.format_help() for name, parser in commands.items()}
        assert re.search(r"N\s+how many tasks at most \(1\)", texts["next"])
        assert re.search(r"TASK_ID\s+the task, as the plan numbers it", texts["reset"])
        assert "(default: never)" in texts["run"]  # --stuck-after has no default
        assert re.search(r"--backoff S\s+seconds before a first retry", texts["run"])
        assert re.search(r"--scenario NAME\s+what the simulated agent does", texts["demo"])
        assert "--retries" in texts["reset"]
        assert "--strict" in texts["mark-started"]
        assert "--raw" in texts["read-findings"]
        assert "--allow-empty" in texts["write-findings"]


# ---------------------------------------------------------------------- runnable hints

HINT_COMMAND = re.compile(r"`(statuskit [^`]*)`")


@pytest.fixture(scope="module")
def shell_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment whose PATH has a ``statuskit`` that runs this checkout's code."""
    folder = tmp_path_factory.mktemp("bin")
    script = folder / "statuskit"
    code = "import sys; from statuskit.cli import main; sys.exit(main())"
    script.write_text(f"#!/bin/sh\nexec '{sys.executable}' -c '{code}' \"$@\"\n")
    script.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("STATUSKIT_")}
    env["PATH"] = f"{folder}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(SRC)
    return env


def commands_in(text: str) -> list[str]:
    return HINT_COMMAND.findall(text)


def run_printed(command: str, folder: Path, env: dict[str, str], stdin: str = "") -> Result:
    """The command exactly as a person pastes it into a shell."""
    done = subprocess.run(
        ["sh", "-c", command],
        cwd=folder,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)


# The option sets a hint must carry: a layout folder with a space in its name, a status
# file named directly, and a database with its own plan key.
OPTIONS = {
    "layout": ["--plan", "plan.md", "--output-dir", "my outputs"],
    "status": ["--plan", "plan.md", "--status", "state/status.json"],
    "sqlite": ["--plan", "plan.md", "--store", "sqlite:plans.db", "--plan-key", "edges"],
}


class TestHintsRunnable:
    """Each hint that names a command prints it with the call's options; it runs as printed."""

    @pytest.fixture(params=sorted(OPTIONS))
    def setup(self, request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, list[str]]:
        (tmp_path / "plan.md").write_text(PLAN)
        (tmp_path / "state").mkdir()
        return tmp_path, OPTIONS[request.param]

    def hint_runs(
        self,
        folder: Path,
        options: list[str],
        document: Any,
        env: dict[str, str],
        *,
        expect: int = 0,
        stdin: str = "",
    ) -> list[Result]:
        """Every command in the document's hint (or message) runs; each carries the options."""
        body = document.get("error", document)
        text = body.get("hint") or body.get("message") or ""
        commands = commands_in(text)
        assert commands, text
        results = []
        for command in commands:
            assert command.startswith("statuskit " + " ".join(_quoted(options))), command
            result = run_printed(command, folder, env, stdin)
            assert result.code == expect, (command, result.stdout, result.stderr)
            results.append(result)
        return results

    def test_everyday_hints(self, setup: tuple[Path, list[str]], shell_env: dict[str, str]) -> None:
        """No status, unknown id, no open run, no findings, exists, plan changed, messages."""
        folder, options = setup

        def sk_(*argv: str, stdin: str = "") -> Result:
            return run(*options, *argv, cwd=folder, stdin=stdin)

        # No status yet: the hint's init creates it, in the place the options name.
        missing = sk_("status")
        error(missing, "not_found")
        self.hint_runs(folder, options, missing.json, shell_env)
        ok(sk_("status"))
        # Unknown id without a close one: status --tasks.
        unknown = sk_("mark-started", "zz")
        error(unknown, "not_found")
        (listed,) = self.hint_runs(folder, options, unknown.json, shell_env)
        assert [t["id"] for t in listed.json["tasks"]] == ["1.1", "1.2", "1.3"]
        # No open run: status --tasks, then start-run.
        no_run = sk_("complete-run")
        error(no_run, "not_found")
        self.hint_runs(folder, options, no_run.json, shell_env)
        ok(sk_("complete-run"))  # the hint opened one
        # No findings: write-findings --stdin, fed on stdin.
        absent = sk_("read-findings", "1.1")
        error(absent, "not_found")
        self.hint_runs(folder, options, absent.json, shell_env, stdin="found it\n")
        assert ok(sk_("read-findings", "1.1"))["text"] == "found it\n"
        # The status exists: sync-check, then sync-check --apply.
        exists = sk_("init")
        error(exists, "exists")
        self.hint_runs(folder, options, exists.json, shell_env)
        # The plan changed: sync-check --strict points at --apply, which brings it in line.
        (folder / "plan.md").write_text(PLAN + "- [ ] 1.4 New\n")
        differ = sk_("sync-check", "--strict")
        error(differ, "check_failed")
        self.hint_runs(folder, options, differ.json, shell_env)
        ok(sk_("sync-check", "--strict"))
        # Messages name commands too: reset --retries, log.
        for argv in (["mark-started", "1.1"], ["mark-failed", "1.1", "--error", "e"]) * 2:
            ok(sk_(*argv))
        self.hint_runs(folder, options, ok(sk_("reset", "1.1")), shell_env)
        assert ok(sk_("status", "--tasks"))["tasks"][0].get("retryCount", 0) == 0
        ok(sk_("mark-complete", "1.2", "--notes", "a"))
        self.hint_runs(folder, options, ok(sk_("mark-complete", "1.2", "--notes", "b")), shell_env)

    def test_file_hints(self, tmp_path: Path, shell_env: dict[str, str]) -> None:
        """The JSON file's own troubles: corrupt, lost, odd ids; each hint repairs as printed."""
        (tmp_path / "plan.md").write_text(PLAN)
        options = OPTIONS["layout"]
        status = tmp_path / "my outputs" / "plan" / "status.json"

        def sk_(*argv: str) -> Result:
            return run(*options, *argv, cwd=tmp_path)

        ok(sk_("init"))
        # Corrupt with no backup yet: validate --repair --rebuild.
        status.write_text("{not json")
        bad = sk_("status")
        error(bad, "corrupt")
        assert "--rebuild" in bad.json["error"]["hint"]
        self.hint_runs(tmp_path, options, bad.json, shell_env)
        ok(sk_("status"))
        # Corrupt with a backup: validate --repair restores it.
        ok(sk_("mark-started", "1.1"))
        ok(sk_("mark-complete", "1.1"))
        status.write_text("{not json")
        bad = sk_("status")
        error(bad, "corrupt")
        self.hint_runs(tmp_path, options, bad.json, shell_env)
        ok(sk_("status"))
        # Deleted, with backups left: validate --repair; init refuses with the same advice.
        status.unlink()
        gone = sk_("init")
        error(gone, "exists")
        assert len(commands_in(gone.json["error"]["hint"])) == 2
        lost = sk_("status")
        error(lost, "not_found")
        self.hint_runs(tmp_path, options, lost.json, shell_env)
        ok(sk_("status"))
        # An error validate finds: validate --repair (fixes what is safe; exit 0).
        doc = json.loads(status.read_text())
        doc["tasks"][0]["dependencies"] = ["1.1"]
        status.write_text(json.dumps(doc))
        invalid = sk_("validate")
        error(invalid, "check_failed")
        self.hint_runs(tmp_path, options, invalid.json, shell_env)
        # One id twice: the hint's validate lists it (exit 10, check_failed).
        doc["tasks"].append({**doc["tasks"][1], "description": "again"})
        status.write_text(json.dumps(doc))
        twice = sk_("mark-started", "1.3")
        error(twice, "corrupt")
        (listed,) = self.hint_runs(
            tmp_path, options, twice.json, shell_env, expect=EXIT_CODES["check_failed"]
        )
        problems = listed.json["error"]["details"]["problems"]
        assert "duplicate_id" in {p["code"] for p in problems}

    def test_plain_call_prints_plain_commands(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A plan chosen by $STATUSKIT_PLAN: the printed command needs no option to work."""
        (tmp_path / "plan.md").write_text(PLAN)
        monkeypatch.setenv("STATUSKIT_PLAN", "plan.md")
        err = error(run("status", cwd=tmp_path), "not_found")
        assert commands_in(err["hint"]) == ["statuskit init"]

    def test_unknown_plan_says_what_is_missing(self, tmp_path: Path) -> None:
        """--status alone and no plan anywhere: init's hint shows the --plan it needs."""
        err = error(run("--status", "s.json", "status", cwd=tmp_path), "not_found")
        assert commands_in(err["hint"]) == ["statuskit --status s.json --plan PLAN.md init"]


def _quoted(options: list[str]) -> list[str]:
    import shlex

    return [shlex.quote(word) for word in options]
