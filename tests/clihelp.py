"""Run the CLI in-process or as a real subprocess and capture exactly what it prints."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs

from statuskit.cli import main

SRC = Path(__file__).resolve().parents[1] / "src"


@attrs.frozen
class Result:
    """What one command did."""

    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        """The single JSON document on stdout (fails the test if there is not exactly one)."""
        return json.loads(self.stdout)


def run(*argv: str, cwd: Path, stdin: str = "") -> Result:
    """``statuskit ARGV`` in-process, in folder ``cwd``."""
    out, err = io.StringIO(), io.StringIO()
    old = Path.cwd()
    old_stdin = sys.stdin
    os.chdir(cwd)
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(argv))
    finally:
        os.chdir(old)
        sys.stdin = old_stdin
    return Result(code, out.getvalue(), err.getvalue())


def spawn(*argv: str, cwd: Path, stdin: str = "") -> subprocess.Popen[str]:
    """Start ``statuskit ARGV`` as a real process (the installed console script's code)."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from statuskit.cli import main; sys.exit(main())",
            *argv,
        ],
        cwd=cwd,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_process(*argv: str, cwd: Path, stdin: str = "", timeout: float = 120) -> Result:
    """``statuskit ARGV`` as a real process."""
    proc = spawn(*argv, cwd=cwd)
    out, err = proc.communicate(stdin, timeout=timeout)
    return Result(proc.returncode, out, err)
