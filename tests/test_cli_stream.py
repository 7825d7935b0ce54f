"""`statuskit stream`: the command around the parser — files, stdin, errors, closed stdout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from statuskit.cli import EXIT_CODES

from .clihelp import SRC, run

SAMPLE = (
    '{"type":"system","subtype":"init","session_id":"s1","model":"m","cwd":"/w"}\n'
    '{"type":"assistant","message":{"id":"m1","content":[{"type":"tool_use","id":"t1",'
    '"name":"Bash","input":{"command":"ls"}}]}}\n'
    "not json at all\n"
    '{"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"t1",'
    '"content":"README.md","is_error":false}]}}\n'
    '{"type":"result","subtype":"success","is_error":false,"duration_ms":900,'
    '"num_turns":1,"total_cost_usd":0.01}\n'
)


class TestCommand:
    """The command reads a file or stdin and prints records or lines."""

    def test_json_records_from_a_file(self, tmp_path: Path) -> None:
        """--json: one strict JSON record per line, in stream order, line numbers kept."""
        (tmp_path / "s.jsonl").write_text(SAMPLE)
        out = run("stream", "s.jsonl", "--json", cwd=tmp_path)
        assert out.code == 0, out.stdout
        records = [json.loads(text) for text in out.stdout.splitlines()]
        assert [r["event"] for r in records] == [
            "session_started",
            "tool_started",
            "tool_input_ready",
            "malformed",
            "tool_finished",
            "turn_result",
        ]
        assert records[3]["line"] == 3
        assert records[4]["name"] == "Bash"
        assert records[4]["is_error"] is False

    def test_text_from_stdin(self, tmp_path: Path) -> None:
        """Without --json: human lines, read from stdin with `-`."""
        out = run("stream", "-", cwd=tmp_path, stdin=SAMPLE)
        assert out.code == 0
        assert "Bash" in out.stdout
        assert "malformed line 3" in out.stdout
        assert not out.stdout.lstrip().startswith("{")

    def test_missing_file_and_folder(self, tmp_path: Path) -> None:
        """A missing capture is not_found; a folder is a usage error; both as JSON."""
        missing = run("stream", "nope.jsonl", cwd=tmp_path)
        assert missing.code == EXIT_CODES["not_found"]
        assert json.loads(missing.stdout)["error"]["code"] == "not_found"
        folder = run("stream", ".", cwd=tmp_path)
        assert folder.code == EXIT_CODES["usage"]
        assert json.loads(folder.stdout)["error"]["code"] == "usage"

    def test_closed_and_full_stdout(self, tmp_path: Path) -> None:
        """stdout closed or full: no traceback, a line on stderr, the io_error exit code."""
        (tmp_path / "s.jsonl").write_text(SAMPLE * 50)
        for redirect in (">&-", ">/dev/full"):
            proc = subprocess.run(
                [
                    "/bin/sh",
                    "-c",
                    f'exec "$0" -m statuskit stream s.jsonl {redirect}',
                    sys.executable,
                ],
                cwd=tmp_path,
                env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
                stderr=subprocess.PIPE,
                text=True,
                timeout=60,
                check=False,
            )
            assert "Traceback" not in proc.stderr, redirect
            assert proc.returncode == EXIT_CODES["io_error"], (redirect, proc.stderr)
            assert "stdout" in proc.stderr, redirect
