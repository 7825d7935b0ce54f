"""The statuskit command: the old tool's scenarios made strict, concurrency, bad input."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statuskit import JsonFileStore, TaskState
from statuskit.cli import EXIT_CODES, parse_duration
from statuskit.codec import format_timestamp

from .clihelp import SRC, Result, run, run_process, spawn

PLAN = """\
# Plan: CLI scenarios

## Phase 1: Setup
- [ ] 1.1 Create the layout
- [ ] 1.2 Add the config
- [ ] 1.3 Write the loader

## Phase 2: Build
- [ ] 2.1 Compile
- [ ] 2.2 Package
"""
STATUS = Path("docs/plan-outputs/plan/status.json")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder with plan.md and an initialized status."""
    (tmp_path / "plan.md").write_text(PLAN)
    result = run("--plan", "plan.md", "init", cwd=tmp_path)
    assert result.code == 0, result.stdout
    return tmp_path


def sk(project: Path, *argv: str) -> Result:
    return run("--plan", "plan.md", *argv, cwd=project)


def ok(result: Result) -> Any:
    assert result.code == 0, (result.stdout, result.stderr)
    document = result.json
    assert document["ok"] is True
    return document


def error(result: Result, code: str) -> Any:
    assert result.code == EXIT_CODES[code], (result.code, result.stdout)
    document = result.json
    assert document["ok"] is False
    assert document["error"]["code"] == code
    assert document["error"]["message"]
    assert "hint" in document["error"]
    return document["error"]


def file_state(project: Path) -> dict[str, bytes]:
    folder = project / STATUS.parent
    return {p.name: p.read_bytes() for p in folder.iterdir() if not p.name.endswith(".lock")}


class TestOldScenarios:
    """The replaced tool's own CLI scenarios, each asserting the JSON and the exit code."""

    def test_init_and_status(self, project: Path) -> None:
        """init wrote the status; status reports every field."""
        doc = ok(sk(project, "status", "--tasks"))
        assert doc["planPath"] == "plan.md"
        assert doc["planName"] == "Plan: CLI scenarios"
        assert doc["summary"]["totalTasks"] == 5
        assert [t["id"] for t in doc["tasks"]] == ["1.1", "1.2", "1.3", "2.1", "2.2"]
        assert {t["status"] for t in doc["tasks"]} == {"pending"}
        error(sk(project, "init"), "exists")

    def test_full_walk(self, project: Path) -> None:
        """The scenario list of the old tool's tests, made strict."""
        doc = ok(sk(project, "mark-started", "1.1"))
        assert doc["changed"] is True
        assert doc["task"]["status"] == "in_progress"
        err = error(sk(project, "mark-started", "99.99"), "not_found")
        assert "99.99" in err["message"]
        ok(sk(project, "mark-started", "1.2"))
        doc = ok(sk(project, "mark-complete", "1.2", "--notes", "Config added"))
        assert doc["task"]["notes"] == "Config added"
        assert doc["summary"]["completed"] == 1
        error(sk(project, "mark-complete"), "usage")
        error(sk(project, "mark-complete", "1.3", "--notes"), "usage")  # --notes needs a value
        ok(sk(project, "mark-started", "1.3"))
        doc = ok(sk(project, "mark-failed", "1.3", "--error", "loader crashed"))
        assert doc["task"]["error"] == "loader crashed"
        assert doc["summary"]["blocked"] is True
        doc = ok(sk(project, "mark-skipped", "2.1", "--reason", "not needed"))
        assert doc["task"]["skipReason"] == "not needed"
        doc = ok(sk(project, "next", "3", "--why"))
        assert doc["ready"] == []  # 1.3 failed: phase 1 unfinished
        assert {w["id"] for w in doc["waiting"]} == {"2.2"}
        text = sk(project, "progress", "--text")
        assert text.code == 0
        assert text.stdout.startswith("[")
        assert "40.0%" in text.stdout
        assert "2/5 done" in text.stdout
        assert "1 failed" in text.stdout
        doc = ok(sk(project, "progress"))
        assert doc["summary"]["percent"] == 40.0
        doc = ok(sk(project, "validate"))
        assert doc["valid"] is True
        doc = ok(sk(project, "sync-check"))
        assert doc["onlyInPlan"] == []
        assert doc["onlyInStatus"] == []
        doc = ok(sk(project, "retryable"))
        assert [t["id"] for t in doc["tasks"]] == ["1.3"]

    def test_idempotent_repeat(self, project: Path) -> None:
        """Agents retry: a repeat succeeds, says unchanged, and writes nothing."""
        ok(sk(project, "mark-complete", "1.1"))
        before = file_state(project)
        doc = ok(sk(project, "mark-complete", "1.1"))
        assert doc["changed"] is False
        assert "unchanged" in doc["message"]
        assert file_state(project) == before

    def test_invalid_transition(self, project: Path) -> None:
        """Completed tasks change only with --force."""
        ok(sk(project, "mark-complete", "1.1"))
        err = error(sk(project, "mark-failed", "1.1", "--error", "x"), "invalid_transition")
        assert "force" in err["hint"]
        ok(sk(project, "reset", "1.1", "--force"))

    def test_detect_stuck(self, project: Path) -> None:
        """A task started 35 minutes ago is stuck after 30m; marking failed is explicit."""
        store = JsonFileStore(project / STATUS)
        ok(sk(project, "mark-started", "1.1"))
        raw = json.loads((project / STATUS).read_text())
        then = datetime.now(timezone.utc) - timedelta(minutes=35)
        raw["tasks"][0]["startedAt"] = format_timestamp(then)
        (project / STATUS).write_text(json.dumps(raw))
        doc = ok(sk(project, "detect-stuck", "--after", "30m"))
        assert [t["id"] for t in doc["stuck"]] == ["1.1"]
        assert store.read().task("1.1").status is TaskState.IN_PROGRESS  # report only
        assert ok(sk(project, "detect-stuck", "--after", "1h"))["stuck"] == []
        doc = ok(sk(project, "detect-stuck", "--after", "30m", "--mark-failed"))
        assert doc["markedFailed"] is True
        assert store.read().task("1.1").status is TaskState.FAILED
        error(sk(project, "detect-stuck", "--after", "soon"), "usage")

    def test_runs(self, project: Path) -> None:
        """start-run then complete-run --completed 2 --failed 1."""
        run_id = ok(sk(project, "start-run"))["run"]["runId"]
        doc = ok(sk(project, "complete-run", "--completed", "2", "--failed", "1"))
        assert doc["run"]["runId"] == run_id
        assert (doc["run"]["tasksCompleted"], doc["run"]["tasksFailed"]) == (2, 1)
        error(sk(project, "complete-run"), "not_found")  # no open run left

    def test_findings(self, project: Path) -> None:
        """write-findings (--file and --stdin) then read-findings; unknown ids fail."""
        (project / "f.md").write_text("# Findings\nfile text\n")
        doc = ok(sk(project, "write-findings", "1.1", "--file", "f.md"))
        assert doc["path"].endswith(os.path.join("findings", "1-1.md"))
        assert ok(sk(project, "read-findings", "1.1"))["text"] == "# Findings\nfile text\n"
        ok(
            run(
                "--plan",
                "plan.md",
                "write-findings",
                "1.2",
                "--stdin",
                cwd=project,
                stdin="from stdin",
            )
        )
        assert ok(sk(project, "read-findings", "1.2"))["text"] == "from stdin"
        error(sk(project, "read-findings", "99.99"), "not_found")
        error(sk(project, "read-findings", "1.3"), "not_found")  # none written yet
        error(sk(project, "write-findings", "1.1"), "usage")  # neither --file nor --stdin
        error(sk(project, "write-findings", "../x", "--stdin"), "usage")

    def test_unknown_command(self, project: Path) -> None:
        """An unknown command is a usage error, in JSON."""
        err = error(sk(project, "frobnicate"), "usage")
        assert "frobnicate" in err["message"]

    def test_dry_run(self, project: Path) -> None:
        """--dry-run on a mutating command reports and writes nothing."""
        before = file_state(project)
        doc = ok(sk(project, "mark-started", "1.1", "--dry-run"))
        assert doc["dryRun"] is True
        assert doc["task"]["status"] == "in_progress"
        ok(sk(project, "claim", "2", "--owner", "w", "--dry-run"))
        assert file_state(project) == before

    def test_options_after_command_and_env(self, project: Path) -> None:
        """--plan works after the command; STATUSKIT_PLAN and the pointer file too."""
        ok(run("status", "--plan", "plan.md", cwd=project))
        os.environ["STATUSKIT_PLAN"] = "plan.md"
        try:
            ok(run("status", cwd=project))
        finally:
            del os.environ["STATUSKIT_PLAN"]
        (project / ".claude").mkdir()
        (project / ".claude" / "current-plan.txt").write_text("plan.md\n")
        ok(run("status", cwd=project))

    def test_no_plan_says_how_to_choose(self, tmp_path: Path) -> None:
        """Without any plan selection the error explains the options."""
        err = error(run("status", cwd=tmp_path), "usage")
        assert "--plan" in err["hint"]
        assert "STATUSKIT_PLAN" in err["hint"]

    def test_version_and_warnings_to_stderr(self, tmp_path: Path) -> None:
        """--version is JSON; plan warnings go to stderr, never stdout."""
        assert ok(run("--version", cwd=tmp_path))["version"]
        (tmp_path / "p.md").write_text("## Phase 1: A\n- [ ] 1.1 A\n- [ ] 1.1 Again\n")
        result = run("--plan", "p.md", "init", cwd=tmp_path)
        doc = ok(result)
        assert "duplicate" in result.stderr
        assert doc["warnings"][0]["code"] == "duplicate_id"
        error(run("--plan", "missing.md", "init", cwd=tmp_path), "not_found")
        (tmp_path / "notes.md").write_text("just notes\n")
        error(run("--plan", "notes.md", "init", cwd=tmp_path), "plan_error")


class TestCorrupt:
    """A corrupt status.json: every command says corrupt, nothing is rewritten."""

    COMMANDS: ClassVar[list[list[str]]] = [
        ["status"],
        ["mark-started", "1.1"],
        ["mark-complete", "1.1"],
        ["mark-failed", "1.1", "--error", "e"],
        ["mark-skipped", "1.1", "--reason", "r"],
        ["reset", "1.1"],
        ["next"],
        ["claim", "--owner", "w"],
        ["progress"],
        ["progress", "--text"],
        ["validate"],
        ["sync-check"],
        ["retryable"],
        ["detect-stuck"],
        ["start-run"],
        ["complete-run"],
        ["write-findings", "1.1", "--stdin", "--allow-empty"],
        ["read-findings", "1.1"],
    ]

    def test_every_command_reports_corrupt(self, project: Path) -> None:
        """Exit 7 and the corrupt code for every command; bytes untouched; repair restores."""
        ok(sk(project, "mark-started", "1.1"))
        (project / STATUS).write_text('{"tasks": [ {"id": "1.1", "status": "pend')
        before = file_state(project)
        for argv in self.COMMANDS:
            result = sk(project, *argv)
            err = error(result, "corrupt")
            assert "repair" in err["hint"], argv
            assert file_state(project) == before, argv
        doc = ok(sk(project, "validate", "--repair"))
        assert doc["action"] == "restored"
        assert "may be lost" in doc["warning"]
        assert ok(sk(project, "status"))["summary"]["in_progress"] == 0  # the .bak predates 1.1
        assert (project / str(doc["quarantined"])).read_text().startswith('{"tasks"')


class TestConcurrentProcesses:
    """Real statuskit processes at once: nothing lost, nothing taken twice."""

    def test_thirty_processes(self, tmp_path: Path) -> None:
        """10 groups x 3 commands: exactly 10 in progress, 20 completed, every note."""
        lines = ["# Parallel", ""]
        for k in range(1, 11):
            lines += [f"## Phase {k}: Group {k}"] + [
                f"- [ ] {k}.{j} Task {k}.{j}" for j in (1, 2, 3)
            ]
        (tmp_path / "plan.md").write_text("\n".join(lines) + "\n")
        ok(run("--plan", "plan.md", "init", cwd=tmp_path))
        procs = []
        for k in range(1, 11):
            base = ("--plan", "plan.md", "--lock-timeout", "60")
            procs.append(spawn(*base, "mark-started", f"{k}.1", cwd=tmp_path))
            for j in (2, 3):
                procs.append(
                    spawn(
                        *base, "mark-complete", f"{k}.{j}", "--notes", f"note {k}.{j}", cwd=tmp_path
                    )
                )
        for proc in procs:
            out, err = proc.communicate(timeout=180)
            assert proc.returncode == 0, (out, err)
            assert json.loads(out)["ok"] is True
        status = JsonFileStore(tmp_path / STATUS).read()
        counts = Counter(t.status for t in status.tasks)
        assert counts == {TaskState.IN_PROGRESS: 10, TaskState.COMPLETED: 20}
        for task in status.tasks:
            group, number = task.id.split(".")
            if number == "1":
                assert task.status is TaskState.IN_PROGRESS
            else:
                assert task.status is TaskState.COMPLETED
                assert task.notes == f"note {group}.{number}"

    def test_claim_from_eight_processes(self, tmp_path: Path) -> None:
        """8 claimers x 3 tasks over 24 ready tasks: each claimed exactly once."""
        lines = ["## Phase 1: All"] + [f"- [ ] 1.{i} Task {i}" for i in range(1, 25)]
        (tmp_path / "plan.md").write_text("\n".join(lines) + "\n")
        ok(run("--plan", "plan.md", "init", cwd=tmp_path))
        procs = [
            spawn(
                "--plan",
                "plan.md",
                "--lock-timeout",
                "60",
                "claim",
                "3",
                "--owner",
                f"w{n}",
                cwd=tmp_path,
            )
            for n in range(8)
        ]
        claimed: list[tuple[str, str]] = []
        for proc in procs:
            out, err = proc.communicate(timeout=180)
            assert proc.returncode == 0, (out, err)
            doc = json.loads(out)
            claimed += [(t["id"], doc["owner"]) for t in doc["claimed"]]
        ids = [task_id for task_id, _ in claimed]
        assert sorted(ids) == sorted(f"1.{i}" for i in range(1, 25))
        assert len(ids) == len(set(ids))
        status = JsonFileStore(tmp_path / STATUS).read()
        for task_id, owner in claimed:
            task = status.task(task_id)
            assert (task.status, task.owner) == (TaskState.IN_PROGRESS, owner)


class TestSubprocess:
    """A few end-to-end runs as real processes."""

    def test_exit_codes_through_a_real_process(self, project: Path) -> None:
        """The process exit code is the documented one; no traceback on stderr."""
        result = run_process("--plan", "plan.md", "mark-started", "99.99", cwd=project)
        assert result.code == EXIT_CODES["not_found"]
        assert json.loads(result.stdout)["error"]["code"] == "not_found"
        assert "Traceback" not in result.stderr
        result = run_process("--plan", "plan.md", "mark-complete", "1.1", cwd=project)
        assert result.code == 0
        assert json.loads(result.stdout)["task"]["status"] == "completed"


class TestDurations:
    """--after accepts human durations."""

    @pytest.mark.parametrize(
        ("text", "seconds"),
        [
            ("90", 90),
            ("90s", 90),
            ("30m", 1800),
            ("2h", 7200),
            ("1h30m", 5400),
            ("1d", 86400),
            ("250ms", 0.25),
        ],
    )
    def test_parse(self, text: str, seconds: float) -> None:
        """Units s, m, h, d, ms and combinations."""
        assert parse_duration(text).total_seconds() == seconds

    @pytest.mark.parametrize("text", ["", "m", "5 minutes", "1x", "-5m"])
    def test_reject(self, text: str) -> None:
        """Anything else is refused."""
        with pytest.raises(ValueError, match="duration"):
            parse_duration(text)


# ---------------------------------------------------------------------- bad input

COMMAND_WORDS = [
    "init",
    "status",
    "mark-started",
    "mark-complete",
    "mark-failed",
    "mark-skipped",
    "reset",
    "write-findings",
    "read-findings",
    "start-run",
    "complete-run",
    "next",
    "claim",
    "progress",
    "validate",
    "sync-check",
    "retryable",
    "detect-stuck",
    "bogus",
]
OPTION_WORDS = [
    "--notes",
    "--error",
    "--reason",
    "--force",
    "--owner",
    "--file",
    "--dry-run",
    "--max",
    "--after",
    "--completed",
    "--failed",
    "--run-id",
    "--lock-timeout",
    "--plan",
    "--status",
    "--repair",
    "--mark-failed",
    "--cross-phase",
    "--text",
    "--json",
    "--strict",
    "--",
]
VALUES = [
    "1.1",
    "99.99",
    "2.1",
    "x",
    "",
    "-1",
    "3",
    "nan",
    "../1",
    "1.1\x00",
    "plan.md",
    "missing.md",
    "30m",
    "é",
    "1e9",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(COMMAND_WORDS + OPTION_WORDS + VALUES), min_size=0, max_size=6))
def test_bad_input_never_crashes(tmp_path_factory: pytest.TempPathFactory, argv: list[str]) -> None:
    """Any argv: no traceback, exactly one JSON document, and a failed command changes nothing."""
    folder = tmp_path_factory.mktemp("argv")
    (folder / "plan.md").write_text(PLAN)
    assert run("--plan", "plan.md", "init", cwd=folder).code == 0
    before = file_state(folder)
    result = run("--plan", "plan.md", *argv, cwd=folder)
    assert "Traceback" not in result.stderr
    if "--text" in argv and result.code == 0:
        assert result.stdout.startswith("[")
        return
    document = json.loads(result.stdout)  # exactly one JSON document
    assert document["ok"] is (result.code == 0)
    if result.code != 0:
        assert document["error"]["code"] != "internal", document
        assert result.code == EXIT_CODES[document["error"]["code"]]
        assert file_state(folder) == before


# ---------------------------------------------------------------------- hostile input (issue 11)


class TestRanges:
    """Item 12: values out of range are usage errors at parse time, never OverflowError."""

    @pytest.mark.parametrize(
        "argv",
        [
            ["--lock-timeout", "1e18", "status"],
            ["--lock-timeout", "nan", "status"],
            ["--lock-timeout", "inf", "status"],
            ["--lock-timeout", "-1", "status"],
            ["detect-stuck", "--after", "99999999999d"],
            ["detect-stuck", "--after", "999999999999999999999999s"],
            ["next", "99999999999999999999"],
            ["write-findings", "1.1", "--stdin", "--max-bytes", "99999999999G"],
        ],
    )
    def test_out_of_range(self, project: Path, argv: list[str]) -> None:
        """Each is a usage error naming the option; nothing changes."""
        before = file_state(project)
        err = error(sk(project, *argv), "usage")
        assert "Overflow" not in err["message"]
        assert file_state(project) == before


class TestEmptyOptions:
    """Item 17: an empty path or key is a usage error, never "the default"."""

    @pytest.mark.parametrize(
        "option", ["--status", "--plan", "--store", "--plan-key", "--output-dir"]
    )
    def test_empty(self, project: Path, option: str) -> None:
        """Before or after the command, `--x ""` is refused; nothing is written."""
        before = file_state(project)
        for argv in ([option, "", "mark-complete", "1.1"], ["mark-complete", "1.1", option, ""]):
            err = error(run("--plan", "plan.md", *argv, cwd=project), "usage")
            assert option in err["message"]
        assert file_state(project) == before


MUTATIONS: list[list[str]] = [
    ["mark-started", "1.1"],
    ["mark-complete", "1.2"],
    ["mark-failed", "1.3", "--error", "e"],
    ["mark-skipped", "2.1", "--reason", "r"],
    ["reset", "1.1"],
    ["claim", "--owner", "w"],
    ["heartbeat", "1.1", "--token", "1"],
    ["write-findings", "1.1", "--stdin", "--allow-empty", "--token", "1"],
    ["start-run"],
    ["complete-run"],
    ["validate", "--repair"],
    ["sync-check", "--apply"],
    ["detect-stuck", "--mark-failed"],
    ["run", "--dry-run"],
    ["migrate", "--to", "sqlite:copy.db"],
]


class TestMutationsNameTheirStore:
    """Item 17: every mutating command's answer says which status it changed."""

    def test_every_mutating_command(self, project: Path) -> None:
        """The `store` key is the status file, for each one (and init)."""
        (project / "other.md").write_text(PLAN)
        doc = ok(run("--plan", "other.md", "init", cwd=project))
        assert doc["store"] == os.path.join("docs", "plan-outputs", "other", "status.json")
        for argv in MUTATIONS:
            doc = ok(sk(project, *argv))
            assert doc["store"] == str(STATUS), argv
        from statuskit.cli._table import COMMANDS

        mutating = {c.name for c in COMMANDS if c.mutating} - {"init"}
        assert mutating == {argv[0] for argv in MUTATIONS}


class TestStrictOutput:
    """Item 20: output is strict JSON on one line for every line splitter."""

    def test_dumps_line(self) -> None:
        """NaN and infinities become null; separators are escaped; nothing else changes."""
        from statuskit.cli._output import dumps_line

        text = dumps_line({"a": float("nan"), "b": [float("inf"), -float("inf")], "c": 1.5})
        assert json.loads(text, parse_constant=pytest.fail) == {
            "a": None,
            "b": [None, None],
            "c": 1.5,
        }
        raw = "x\u2028y\u2029z\x85w\x1c\x1d\x1e\x0b\x0cé"
        line = dumps_line({"s": raw})
        assert len(line.splitlines()) == 1
        assert json.loads(line)["s"] == raw

    def test_notes_with_separators(self, project: Path) -> None:
        """A note holding U+2028 and U+0085 is one line of output, and round-trips."""
        notes = "first\u2028second\x85third"
        result = sk(project, "mark-complete", "1.1", "--notes", notes)
        assert len(result.stdout.splitlines()) == 1
        assert ok(result)["task"]["notes"] == notes
        status = sk(project, "status", "--tasks")
        assert len(status.stdout.splitlines()) == 1
        assert ok(status)["tasks"][0]["notes"] == notes


def shell_process(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``statuskit`` in a shell, so that redirections such as ``>&-`` are real."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    sk_command = shlex.join(
        [sys.executable, "-c", "import sys; from statuskit.cli import main; sys.exit(main())"]
    )
    return subprocess.run(
        ["sh", "-c", command.replace("statuskit", sk_command)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


STREAM_LINE = '{"type":"system","subtype":"init","session_id":"s1","model":"m","cwd":"/"}'


class TestClosedStdout:
    """Item 13: a closed or full stdout gives a stderr line and exit 11, never a traceback."""

    @pytest.mark.parametrize("redirect", [">&-", ">/dev/full"])
    @pytest.mark.parametrize(
        ("command", "changes"),
        [
            ("statuskit --plan plan.md status", False),
            ("statuskit --plan plan.md mark-complete 1.1", True),
            ("statuskit --plan plan.md mark-complete 99.9", False),  # an error document
            (f"echo '{STREAM_LINE}' | statuskit stream", False),
            (f"echo '{STREAM_LINE}' | statuskit stream --json", False),
            ("statuskit --help", False),
        ],
    )
    def test_no_traceback(self, project: Path, redirect: str, command: str, changes: bool) -> None:
        """The exit code says so; stderr says what happened to the change."""
        if redirect == ">/dev/full" and not os.path.exists("/dev/full"):
            pytest.skip("no /dev/full here")
        done = shell_process(f"{command} {redirect}", project)
        assert "Traceback" not in done.stderr
        assert "Exception ignored" not in done.stderr
        if "99.9" in command:
            assert done.returncode == EXIT_CODES["not_found"]
            assert "not_found" in done.stderr
            return
        assert done.returncode == EXIT_CODES["io_error"], done.stderr
        assert "could not write the result to stdout" in done.stderr
        if changes:
            assert "any change it made is stored" in done.stderr
            status = JsonFileStore(project / STATUS).read()
            assert status.task("1.1").status is TaskState.COMPLETED


class TestStrictOutputFromFile:
    """Item 20: a NaN read from a file never reaches stdout as bare NaN."""

    def test_nan_in_an_unknown_key(self, project: Path) -> None:
        """Whether the status is shown or refused as corrupt, stdout is strict one-line JSON."""
        path = project / STATUS
        doc = json.loads(path.read_text())
        doc["tasks"][0]["cost"] = 1.5
        path.write_text(json.dumps(doc).replace("1.5", "NaN"))
        for argv in (["status", "--tasks"], ["mark-complete", "1.1"]):
            result = sk(project, *argv)
            assert len(result.stdout.splitlines()) == 1
            json.loads(result.stdout, parse_constant=pytest.fail)
