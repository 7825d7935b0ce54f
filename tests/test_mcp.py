"""`statuskit mcp`: the tools over stdio, tested with the MCP SDK's own client.

The end-to-end tests start a real `statuskit mcp` process and drive it with the SDK's client,
while the same steps run through the CLI in a twin folder: every tool result must equal the
CLI's document for the same state, and every error must carry the CLI's code.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from statuskit import JsonFileStore, TaskState
from statuskit.cli._main import build_parser
from statuskit.mcp import TOOLS, call, tool_list

from .clihelp import SRC, run
from .procs import cmdline, descendants
from .test_docs import EXAMPLE_PLAN, normalize

mcp = pytest.importorskip("mcp", reason="the MCP SDK is in the test extra")
anyio = pytest.importorskip("anyio")

from mcp import Client, StdioServerParameters  # noqa: E402
from mcp.client.stdio import stdio_client  # noqa: E402

STATUS = Path("out/plan/status.json")
GLOBAL = ("--plan", "plan.md", "--output-dir", "out")


def _project(folder: Path) -> Path:
    folder.mkdir()
    (folder / "plan.md").write_text(EXAMPLE_PLAN)
    assert run(*GLOBAL, "init", cwd=folder).code == 0
    return folder


@asynccontextmanager
async def serving(cwd: Path, *argv: str) -> AsyncIterator[Client]:
    """The SDK's client connected to a real `statuskit ARGV mcp` process in ``cwd``."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "statuskit", *argv, "mcp"],
        cwd=cwd,
        env={"PYTHONPATH": str(SRC)},
    )
    with (cwd / "server.err").open("w") as errlog:
        async with Client(stdio_client(params, errlog=errlog), mode="legacy") as client:
            yield client


def _result(result: Any) -> tuple[dict[str, Any], bool]:
    """The document of a tool result (structured and as text: both the same) and is_error."""
    document = result.structured_content
    assert json.loads(result.content[0].text) == document
    return document, result.is_error


# (tool, arguments, the same step as CLI arguments after the global options)
STEPS: list[tuple[str, dict[str, Any], list[str]]] = [
    ("status", {}, ["status"]),
    ("next", {"count": 3}, ["next", "3"]),
    ("next", {}, ["next"]),
    ("claim", {"owner": "agent-1", "count": 2}, ["claim", "2", "--owner", "agent-1"]),
    ("start", {"task": "1.2"}, ["mark-started", "1.2"]),
    ("start", {"task": "9.9"}, ["mark-started", "9.9"]),
    ("complete", {"task": "1.1"}, ["mark-complete", "1.1"]),  # claimed: no token, refused
    (
        "complete",
        {"task": "1.1", "notes": "-n --help", "token": 1},
        ["mark-complete", "1.1", "--notes=-n --help", "--token", "1"],
    ),
    ("complete", {"task": "1.1"}, ["mark-complete", "1.1"]),
    ("fail", {"task": "1.1", "error": "late"}, ["mark-failed", "1.1", "--error", "late"]),
    (
        "heartbeat",
        {"task": "1.3", "token": 2, "lease": "1h"},
        ["heartbeat", "1.3", "--token", "2", "--lease", "1h"],
    ),
    (
        "fail",
        {"task": "1.3", "error": "tests fail", "token": 2},
        ["mark-failed", "1.3", "--error", "tests fail", "--token", "2"],
    ),
    (
        "skip",
        {"task": "2.2", "reason": "not needed"},
        ["mark-skipped", "2.2", "--reason", "not needed"],
    ),
    ("read_findings", {"task": "1.1"}, ["read-findings", "1.1"]),
    (
        "write_findings",
        {"task": "1.1", "text": "# Layout\nsrc/\n"},
        ["write-findings", "1.1", "--stdin"],
    ),
    ("read_findings", {"task": "1.1"}, ["read-findings", "1.1"]),
    ("complete", {"task": "1.2", "notes": "config"}, ["mark-complete", "1.2", "--notes", "config"]),
    ("status", {}, ["status"]),
    ("next", {"count": 2}, ["next", "2"]),
    ("log", {"task": "1.1", "limit": 2}, ["log", "1.1", "--limit", "2"]),
]
STDIN = {"write_findings": "# Layout\nsrc/\n"}


class TestEndToEnd:
    """A real server process, the SDK's client, and the CLI on a twin folder."""

    def test_every_tool_equals_the_cli(self, tmp_path: Path) -> None:
        """Each call's document equals the CLI's; errors are tool errors with the CLI's code."""
        served, typed = _project(tmp_path / "served"), _project(tmp_path / "typed")
        results: list[tuple[dict[str, Any], bool]] = []

        async def session() -> None:
            async with serving(served, *GLOBAL) as client:
                for tool, arguments, _ in STEPS:
                    results.append(_result(await client.call_tool(tool, arguments)))

        anyio.run(session)
        assert {step[0] for step in STEPS} == {tool.name for tool in TOOLS}
        for (tool, _, argv), (document, is_error) in zip(STEPS, results, strict=True):
            cli = run(*GLOBAL, *argv, cwd=typed, stdin=STDIN.get(tool, ""))
            expected = normalize(json.dumps(json.loads(cli.stdout), sort_keys=True), typed)
            got = normalize(json.dumps(document, sort_keys=True), served)
            assert got == expected, (tool, argv)
            assert is_error is (cli.code != 0), tool
        codes = [doc["error"]["code"] for doc, failed in results if failed]
        assert codes == ["not_found", "stale_claim", "invalid_transition", "not_found"]
        states = {t.id: t.status for t in JsonFileStore(served / STATUS).read().tasks}
        assert states == {
            "1.1": TaskState.COMPLETED,
            "1.2": TaskState.COMPLETED,
            "1.3": TaskState.FAILED,
            "2.1": TaskState.PENDING,
            "2.2": TaskState.SKIPPED,
        }
        assert (served / STATUS.parent / "findings" / "1-1.md").read_text() == "# Layout\nsrc/\n"

    def test_tool_list_and_bad_calls(self, tmp_path: Path) -> None:
        """The listing is the table's, small; bad arguments are usage errors; nothing is left."""
        project = _project(tmp_path / "p")
        found: dict[str, Any] = {}

        async def session() -> None:
            async with serving(project, *GLOBAL) as client:
                listing = await client.list_tools()
                found["tools"] = [
                    tool.model_dump(by_alias=True, exclude_none=True, mode="json")
                    for tool in listing.tools
                ]
                found["missing"] = _result(await client.call_tool("fail", {"task": "1.1"}))
                found["typed"] = _result(await client.call_tool("next", {"count": "3"}))
                found["unknown"] = _result(await client.call_tool("nope", {}))
                found["range"] = _result(await client.call_tool("next", {"count": 10**7}))

        anyio.run(session)
        tools = found["tools"]
        assert [t["name"] for t in tools] == [tool.name for tool in TOOLS]
        wire = json.dumps(tools)
        assert len(wire) < 6000, len(wire)
        for tool, listed in zip(tool_list(), tools, strict=True):
            assert {key: listed[key] for key in tool} == tool
        for key in ("missing", "typed", "unknown", "range"):
            document, is_error = found[key]
            assert is_error, key
            assert document["error"]["code"] == "usage", key
        assert "'error' is required" in found["missing"][0]["error"]["message"]
        assert JsonFileStore(project / STATUS).read().task("1.1").status is TaskState.PENDING
        assert not [p for p in descendants() if b"mcp" in cmdline(p)]


class TestCall:
    """The tool table and `call`, in-process (no SDK needed)."""

    def test_arguments_are_values_never_options(self, tmp_path: Path, chdir: Path) -> None:
        """A note or an id that looks like an option stays a value (no help, no exit)."""
        _ = chdir
        doc, failed = call("complete", {"task": "1.1", "notes": "--help"}, list(GLOBAL))
        assert failed is False
        assert doc["task"]["notes"] == "--help"
        doc, failed = call("start", {"task": "--help"}, list(GLOBAL))
        assert failed is True
        assert doc["error"]["code"] == "not_found"
        assert doc["error"]["details"] == {"task": "--help"}

    @pytest.mark.parametrize(
        ("tool", "arguments", "message"),
        [
            ("next", {"count": True}, "'count' must be a whole number"),
            ("next", {"count": 1.5}, "'count' must be a whole number"),
            ("next", {"count": -1}, "not a whole number"),
            ("complete", {"task": 1}, "'task' must be a string"),
            ("status", {"verbose": True}, "unknown argument 'verbose'"),
            ("claim", {"count": 1}, "'owner' is required"),
        ],
    )
    def test_bad_arguments(
        self, tool: str, arguments: dict[str, Any], message: str, chdir: Path
    ) -> None:
        """Every argument the schema does not allow is a usage error that names it."""
        _ = chdir
        doc, failed = call(tool, arguments, list(GLOBAL))
        assert failed is True
        assert doc["error"]["code"] == "usage"
        assert message in doc["error"]["message"]

    def test_list_tools_without_the_sdk(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """`mcp --list-tools` prints the table; serving without the SDK says what to install."""
        listed = run("mcp", "--list-tools", cwd=tmp_path)
        assert listed.code == 0
        assert listed.json["tools"] == tool_list()
        monkeypatch.setitem(sys.modules, "mcp", None)
        missing = run("--plan", "plan.md", "mcp", cwd=tmp_path)
        assert missing.code == 2
        assert "statuskit[mcp]" in missing.json["error"]["hint"]


@pytest.fixture
def chdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with an initialized status, made the current folder."""
    project = _project(tmp_path / "here")
    monkeypatch.chdir(project)
    return project


class TestHowto:
    """docs/howto/mcp.md: its configuration starts this server, and its table is the table."""

    PAGE = Path(__file__).resolve().parents[1] / "docs" / "howto" / "mcp.md"

    def test_claude_code_configuration(self) -> None:
        """`claude mcp add` and `.mcp.json` name the same command, which parses as `mcp`."""
        text = self.PAGE.read_text()
        config = json.loads(re.findall(r"```json\n(.*?)```", text, re.S)[0])
        server = config["mcpServers"]["statuskit"]
        added = next(line for line in text.splitlines() if line.startswith("claude mcp add"))
        words = shlex.split(added)
        assert words[words.index("--") + 1 :] == [server["command"], *server["args"]]
        assert server["command"].endswith("statuskit")
        args = build_parser("mcp").parse_args(server["args"])
        assert args.command == "mcp"
        assert args.plan == "plan.md"

    def test_tool_table(self) -> None:
        """Every tool is in the page's table, with the command it runs."""
        text = self.PAGE.read_text()
        for tool in TOOLS:
            row = next(line for line in text.splitlines() if line.startswith(f"| `{tool.name}`"))
            assert f"`{tool.command}" in row, tool.name
            for param in tool.params:
                assert f"`{param.name}`" in row, (tool.name, param.name)


class TestOrchestratorHandsItOver:
    """`run --mcp` gives a Claude Code agent a working configuration for this server."""

    def test_dry_run_argv_and_config(self, tmp_path: Path) -> None:
        """The argv gains --mcp-config and the tools are allowed; the config starts a server
        that answers for the same plan (driven here by the SDK's client, as the agent's would).
        """
        folder = _project(tmp_path / "p")
        agent = "claude -p --output-format stream-json --verbose --allowedTools Bash(statuskit:*)"
        result = run(*GLOBAL, "run", "--dry-run", "--mcp", "--agent-cmd", agent, cwd=folder)
        assert result.code == 0, result.stdout
        argv = result.json["argv"]
        assert argv[argv.index("--allowedTools") + 1] == "Bash(statuskit:*),mcp__statuskit"
        config = Path(argv[argv.index("--mcp-config") + 1])
        server = json.loads(config.read_text())["mcpServers"]["statuskit"]
        assert server["args"] == ["-m", "statuskit", "mcp", *GLOBAL]

        async def status_through_config() -> dict[str, Any]:
            params = StdioServerParameters(
                command=server["command"],
                args=server["args"],
                cwd=folder,
                env={"PYTHONPATH": str(SRC)},
            )
            with (folder / "server.err").open("w") as errlog:
                async with Client(stdio_client(params, errlog=errlog), mode="legacy") as client:
                    document, is_error = _result(await client.call_tool("status", {}))
                    assert not is_error
                    return document

        document = anyio.run(status_through_config)
        assert document["summary"]["totalTasks"] == 5

    def test_not_with_the_simulated_agent(self, tmp_path: Path) -> None:
        """--mcp with --simulate is a usage error (the simulated agent has no MCP client)."""
        folder = _project(tmp_path / "p")
        result = run(*GLOBAL, "run", "--mcp", "--simulate", "ok", cwd=folder)
        assert result.code == 2
        assert result.json["error"]["code"] == "usage"
