"""The documentation's examples are executed, so they cannot rot.

* every ```python block in README.md and docs/ runs (in a scratch folder), but the
  tutorial's, which tests/test_tutorial.py runs after the steps before it;
* every `$ statuskit ...` example in docs/cli.md runs in order, and its JSON output and exit
  code must match the page (timestamps, durations, run ids and paths normalized);
* every CLI command appears in docs/cli.md, every public name in docs/api.md.

``python -m tests.test_docs --write`` regenerates the example outputs of docs/cli.md.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest

import statuskit
from statuskit.cli import COMMANDS

from .clihelp import run

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

EXAMPLE_PLAN = """\
# Plan: Example

## Phase 1: Setup
- [ ] 1.1 Create the layout
- [ ] 1.2 Add the config (depends: 1.1)
- [ ] 1.3 Write the loader

## Phase 2: Build
- [ ] 2.1 Compile
- [ ] 2.2 Package
"""

STREAM_SAMPLE = (
    '{"type":"system","subtype":"init","session_id":"s1","model":"claude-x","cwd":"/w"}\n'
    '{"type":"assistant","message":{"id":"m1","content":[{"type":"tool_use","id":"t1",'
    '"name":"Bash","input":{"command":"ls"}}]}}\n'
    '{"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"t1",'
    '"content":"README.md","is_error":false}]}}\n'
    '{"type":"result","subtype":"success","is_error":false,"duration_ms":900,'
    '"num_turns":1,"total_cost_usd":0.01}\n'
)

# (title, explanation, argv, stdin) in the order they run.
EXAMPLES: list[tuple[str, str, list[str], str]] = [
    (
        "init",
        "Create the status from the plan (all tasks pending).",
        ["--plan", "plan.md", "init"],
        "",
    ),
    (
        "status",
        "The summary, the current phase, the tasks in progress and failed, the last run: under "
        "2 KB at any plan size (see [Output budgets](#output-budgets)); `--tasks` adds every "
        "task and run.",
        ["--plan", "plan.md", "status"],
        "",
    ),
    (
        "next",
        "Up to N ready tasks, each with a reason, and how many others wait, by reason. Read-only.",
        ["--plan", "plan.md", "next", "3"],
        "",
    ),
    (
        "mark-started",
        "Start a task (`--owner` records who).",
        ["--plan", "plan.md", "mark-started", "1.1"],
        "",
    ),
    (
        "mark-started (unknown id)",
        "Unknown ids fail with suggestions and exit code 3.",
        ["--plan", "plan.md", "mark-started", "1.9"],
        "",
    ),
    (
        "mark-started --strict (dependencies not done)",
        "A task whose dependencies are not done starts anyway, with a warning on stderr that "
        "names them (and `waitingFor` in the answer); `--strict` refuses such a start (exit 4).",
        ["--plan", "plan.md", "mark-started", "1.2", "--strict"],
        "",
    ),
    (
        "mark-complete",
        "Complete it with notes.",
        ["--plan", "plan.md", "mark-complete", "1.1", "--notes", "Layout in src/"],
        "",
    ),
    (
        "mark-complete (repeat)",
        "Agents retry: a repeat succeeds and changes nothing.",
        ["--plan", "plan.md", "mark-complete", "1.1"],
        "",
    ),
    (
        "mark-complete (new notes)",
        "A repeat with other notes replaces the notes (the times stay; the journal keeps the "
        "earlier notes) and says so.",
        ["--plan", "plan.md", "mark-complete", "1.1", "--notes", "Layout in src/ and tests/"],
        "",
    ),
    (
        "claim",
        "Atomically lease ready tasks to a worker (parallel workers never collide). Each "
        "claimed task has a fencing `token` that every later write must carry, and a lease "
        "(`--lease`, default 30m) after which another claim may take it back.",
        ["--plan", "plan.md", "claim", "2", "--owner", "worker-1", "--lease", "30m"],
        "",
    ),
    (
        "mark-complete (claimed, no token)",
        "A claimed task is leased: a write without its token is refused (exit 15), naming the "
        "holder and when its lease ends; `--force` overrides, and the journal records it.",
        ["--plan", "plan.md", "mark-complete", "1.2"],
        "",
    ),
    (
        "heartbeat",
        "The holder extends its lease (`--lease` sets the new length; default: the length it had).",
        ["--plan", "plan.md", "heartbeat", "1.2", "--token", "1", "--lease", "1h"],
        "",
    ),
    (
        "next --why",
        "Every waiting task with all its reasons.",
        ["--plan", "plan.md", "next", "--why"],
        "",
    ),
    (
        "mark-failed",
        "Record a failure; `--error` is required, and `--token` because 1.3 is claimed.",
        [
            "--plan",
            "plan.md",
            "mark-failed",
            "1.3",
            "--error",
            "loader tests fail",
            "--token",
            "2",
        ],
        "",
    ),
    (
        "status (later)",
        "Tasks in progress with their owner, failed ones with their error (shortened).",
        ["--plan", "plan.md", "status"],
        "",
    ),
    (
        "mark-failed (completed task)",
        "Completed tasks change only with `--force` (exit 4).",
        ["--plan", "plan.md", "mark-failed", "1.1", "--error", "oops"],
        "",
    ),
    (
        "retryable",
        "Failed tasks below the retry limit.",
        ["--plan", "plan.md", "retryable", "--max", "2"],
        "",
    ),
    (
        "mark-skipped",
        "Skip with a reason.",
        ["--plan", "plan.md", "mark-skipped", "2.2", "--reason", "not needed"],
        "",
    ),
    (
        "mark-started (a retry)",
        "Starting a failed task again is a retry: `retryCount` + 1.",
        ["--plan", "plan.md", "mark-started", "1.3"],
        "",
    ),
    (
        "mark-failed (again)",
        "It fails again.",
        ["--plan", "plan.md", "mark-failed", "1.3", "--error", "loader tests still fail"],
        "",
    ),
    (
        "reset",
        "Back to pending. The retry count and the last error are kept, so a retry limit "
        "(`retryable --max`, `claim --max-retries`, `run --retries`) still counts the attempts "
        "made before; the message says so.",
        ["--plan", "plan.md", "reset", "1.3"],
        "",
    ),
    (
        "reset --retries",
        "`--retries` also clears the retry count: the task gets all its retries again.",
        ["--plan", "plan.md", "reset", "1.3", "--retries"],
        "",
    ),
    ("progress", "Progress as JSON, per phase.", ["--plan", "plan.md", "progress"], ""),
    ("progress --text", "Or as one line of text.", ["--plan", "plan.md", "progress", "--text"], ""),
    (
        "write-findings",
        "Store findings (`--file F` or `--stdin`); written atomically.",
        ["--plan", "plan.md", "write-findings", "1.1", "--stdin"],
        "# Layout\nsrc/ holds it.\n",
    ),
    ("read-findings", "Read them back.", ["--plan", "plan.md", "read-findings", "1.1"], ""),
    (
        "read-findings --raw",
        "The text exactly as stored, not JSON (errors stay JSON).",
        ["--plan", "plan.md", "read-findings", "1.1", "--raw"],
        "",
    ),
    (
        "read-findings (none written)",
        "The hint says how to write them, as a command to run.",
        ["--plan", "plan.md", "read-findings", "2.1"],
        "",
    ),
    (
        "write-findings (empty)",
        "Empty or whitespace-only findings are refused (exit 2; an empty pipe is a mistake "
        "far more often than a finding); `--allow-empty` stores them on purpose.",
        ["--plan", "plan.md", "write-findings", "2.1", "--stdin"],
        "\n",
    ),
    ("start-run", "Open a run in the history.", ["--plan", "plan.md", "start-run"], ""),
    (
        "complete-run",
        "Close the latest open run with its counts.",
        ["--plan", "plan.md", "complete-run", "--completed", "2", "--failed", "1"],
        "",
    ),
    (
        "detect-stuck",
        "Report tasks in progress for too long (`--mark-failed` to fail them).",
        ["--plan", "plan.md", "detect-stuck", "--after", "30m"],
        "",
    ),
    (
        "log",
        "The journal: every change as events — who did what to which task, when "
        "(`TASK` to filter, `--since REV`, `--limit N`, `--text` for a timeline).",
        ["--plan", "plan.md", "log", "1.3"],
        "",
    ),
    (
        "log --text",
        "The same as a readable timeline.",
        ["--plan", "plan.md", "log", "--text", "--limit", "4"],
        "",
    ),
    (
        "validate",
        "Check the file; `--repair` fixes what is safe or restores a backup.",
        ["--plan", "plan.md", "validate"],
        "",
    ),
    (
        "sync-check",
        "Compare the plan with the status (`--strict`: exit 10 on differences).",
        ["--plan", "plan.md", "sync-check"],
        "",
    ),
    (
        "dry run",
        "Any mutating command with `--dry-run` reports and writes nothing.",
        ["--plan", "plan.md", "mark-complete", "1.2", "--token", "1", "--dry-run"],
        "",
    ),
    (
        "usage error",
        "Missing arguments are usage errors (exit 2), in JSON.",
        ["--plan", "plan.md", "mark-complete"],
        "",
    ),
    (
        "mcp --list-tools",
        "`statuskit mcp` serves the plan's operations as tools to MCP clients over stdio "
        "(extra `statuskit[mcp]`; see [howto/mcp.md](howto/mcp.md)); `--list-tools` prints them.",
        ["mcp", "--list-tools"],
        "",
    ),
    (
        "stream",
        "Print the events of an agent's stream-json output (a file, or `-` for stdin), "
        "one JSON record per event with `--json`; see [stream.md](stream.md).",
        ["stream", "-", "--json"],
        STREAM_SAMPLE,
    ),
    (
        "stream (text)",
        "Without `--json`: one human line per event.",
        ["stream", "-"],
        STREAM_SAMPLE,
    ),
    (
        "run --dry-run",
        "`run` drives an agent through the plan (see the tutorial); with "
        "`--dry-run` it shows what it would claim and the prompt it would send.",
        ["--plan", "plan.md", "run", "--dry-run", "--batch", "2"],
        "",
    ),
    (
        "demo",
        "The whole loop on a sample plan with the simulated agent, in a folder of its own "
        "(`--scenario ok|flaky|fail|hang|crash`, default flaky; the live view goes to stderr).",
        ["demo", "--no-tui", "--scenario", "ok", "--dir", "demo"],
        "",
    ),
    (
        "migrate",
        "Copy the plan's status and findings to another store: here into a SQLite database, "
        "under the plan's key (`--to-key` to choose one). A target that already holds the "
        "plan is refused (exit 9) unless `--force`. Back again, into another folder: "
        "`statuskit --store sqlite:plans.db --plan plan.md migrate --to other-outputs/`.",
        ["--plan", "plan.md", "migrate", "--to", "sqlite:plans.db"],
        "",
    ),
    (
        "plans",
        "The plans a store holds, with their progress (without `--store`: the plan folders "
        "of the JSON layout).",
        ["--store", "sqlite:plans.db", "plans"],
        "",
    ),
]

#: Where the examples seem to run: the scratch folder's path is shown as this one.
DOC_FOLDER = "/home/me/project"

VOLATILE = [
    (re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d\.\d{3}Z"), "<time>"),
    (re.compile(r"run-\d{13}"), "run-<ms>"),
    (re.compile(r'"duration": \d+'), '"duration": <ms>'),
    (re.compile(r"\d+s \(started"), "<s> (started"),
    (re.compile(r'"duration_s": [\d.e-]+'), '"duration_s": <s>'),
    (re.compile(r"ok \d+\.\d\ds:"), "ok <s>:"),
    (re.compile(r'"sessions": \d+'), '"sessions": <n>'),
    (re.compile(r'"pid": \d+'), '"pid": <pid>'),
    (re.compile(r'"host": "[^"]*"'), '"host": "<host>"'),
    (re.compile(r"\[pid \d+@[^\]]*\]"), "[pid <pid>@<host>]"),
]


def normalize(text: str, folder: Path | None = None) -> str:
    if folder is not None:
        text = text.replace(f"sqlite://{folder}", f"sqlite://{DOC_FOLDER}")
        text = text.replace(str(folder) + os.sep, "").replace(str(folder), ".")
    for pattern, placeholder in VOLATILE:
        text = pattern.sub(placeholder, text)
    return text


def render_examples(folder: Path) -> str:
    os.environ.setdefault("STATUSKIT_SIM_DELAY", "0.005")  # the demo's simulated agent
    (folder / "plan.md").write_text(EXAMPLE_PLAN)
    out = []
    for title, text, argv, stdin in EXAMPLES:
        result = run(*argv, cwd=folder, stdin=stdin)
        shown = " ".join(a if " " not in a else f'"{a}"' for a in argv)
        prefix = ""
        if stdin == STREAM_SAMPLE:
            prefix = "cat session.jsonl | "
        elif stdin:
            prefix = f'printf "{stdin!s}" | '.replace("\n", "\\n")
        body = result.stdout.rstrip("\n").replace(f"sqlite://{folder}", f"sqlite://{DOC_FOLDER}")
        if body.startswith("{") and "\n" not in body:
            body = json.dumps(json.loads(body), indent=2, ensure_ascii=False)
        exit_line = f"\n[exit {result.code}]" if result.code else ""
        command = f"$ {prefix}statuskit {shown}"
        out.append(f"### {title}\n\n{text}\n\n```console\n{command}\n{body}{exit_line}\n```\n")
    return "\n".join(out)


def parse_examples(text: str) -> list[tuple[str, int]]:
    """(output, exit code) of each console block, in order."""
    blocks = re.findall(r"```console\n\$ .*?\n(.*?)\n```", text, re.S)
    parsed = []
    for block in blocks:
        code = 0
        output = block
        match = re.search(r"\n\[exit (\d+)\]$", block)
        if match:
            code = int(match.group(1))
            output = block[: match.start()]
        parsed.append((output, code))
    return parsed


def as_values(text: str) -> Any:
    """One JSON document, a JSON record per line, or plain text: whatever the output is."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return [json.loads(line) for line in text.splitlines()]
    except ValueError:
        return text


def _section(text: str) -> str:
    return text.split("<!-- cli-examples -->")[1].split("<!-- /cli-examples -->", maxsplit=1)[0]


class TestCliDoc:
    """docs/cli.md shows real output for every command."""

    def test_examples_match(self, tmp_path: Path) -> None:
        """Running the examples again gives the documented JSON and exit codes."""
        documented = parse_examples(_section((DOCS / "cli.md").read_text()))
        assert len(documented) == len(EXAMPLES)
        fresh = parse_examples(render_examples(tmp_path))
        for (doc_out, doc_code), (new_out, new_code), example in zip(
            documented, fresh, EXAMPLES, strict=True
        ):
            assert doc_code == new_code, example[0]
            assert as_values(normalize(doc_out)) == as_values(normalize(new_out, tmp_path)), (
                example[0]
            )

    def test_every_command_documented(self) -> None:
        """Each command has an executed example (with its real output) in docs/cli.md."""
        text = _section((DOCS / "cli.md").read_text())
        examples = [line.split() for line in text.splitlines() if line.startswith("$ ")]
        for command in COMMANDS:
            assert any(command in words for words in examples), command


def python_blocks() -> list[tuple[str, int, str]]:
    found = []
    for path in [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]:
        if path.name == "tutorial.md":
            continue  # its steps build on each other: tests/test_tutorial.py runs them in order
        text = path.read_text()
        for match in re.finditer(r"```python\n(.*?)```", text, re.S):
            line = text[: match.start()].count("\n") + 1
            found.append((str(path.relative_to(ROOT)), line, match.group(1)))
    return found


@pytest.mark.parametrize(("path", "line", "code"), python_blocks(), ids=lambda v: str(v)[:40])
def test_python_examples_run(
    path: str, line: int, code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every python example in the docs runs as written."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plan.md").write_text(EXAMPLE_PLAN)
    namespace: dict[str, Any] = {"__name__": "__doc_example__"}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code, f"{path}:{line}", "exec"), namespace)


def test_api_reference_names_everything() -> None:
    """docs/api.md mentions every public name."""
    text = (DOCS / "api.md").read_text()
    missing = [name for name in statuskit.__all__ if f"`{name}`" not in text]
    assert missing == []


def _write() -> None:  # pragma: no cover - a maintenance entry point
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        body = render_examples(Path(folder))
    path = DOCS / "cli.md"
    text = path.read_text()
    head, rest = text.split("<!-- cli-examples -->")
    _, tail = rest.split("<!-- /cli-examples -->")
    path.write_text(f"{head}<!-- cli-examples -->\n{body}<!-- /cli-examples -->{tail}")


if __name__ == "__main__" and "--write" in sys.argv:  # pragma: no cover
    _write()
