"""The orchestrator tests' kit: fake ``claude`` executables, real processes, waiting on conditions.

``replay.py`` is the fake; :func:`fake_claude` puts a ``claude`` wrapper that runs it on a
``PATH`` of the test's own. Everything here starts real processes and checks, after each test,
that none of the processes the test started is left running (:func:`no_leftovers`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from statuskit import JsonFileStore, PlanStatus

from ..clihelp import SRC, Result
from ..helpers import corpus_dir
from ..procs import become_subreaper, descendants, leftovers

FAKE = Path(__file__).resolve().parent / "replay.py"
FAST = {"STATUSKIT_SIM_DELAY": "0.005"}

SMALL_PLAN = """\
# Small plan

## Phase 1: Work

- [ ] 1.1 First thing
- [ ] 1.2 Second thing
- [ ] 1.3 Third thing
"""

ONE_TASK_PLAN = """\
# One task

## Phase 1: Work

- [ ] 1.1 The only thing
"""


def environment(**extra: str) -> dict[str, str]:
    """The environment of a statuskit subprocess: this source tree, a fast simulated agent."""
    env = {**os.environ, **FAST, "PYTHONPATH": str(SRC)}
    env.pop("STATUSKIT_AGENT_CMD", None)
    env.pop("STATUSKIT_PLAN", None)
    env.update(extra)
    return env


def statuskit(*argv: str, cwd: Path, env: dict[str, str] | None = None) -> Result:
    """``statuskit ARGV`` as a real process; a generous ceiling only guards against hangs."""
    done = subprocess.run(
        [sys.executable, "-m", "statuskit", *argv],
        cwd=cwd,
        env=env or environment(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def start(*argv: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``statuskit ARGV`` started in the background (stdout and stderr captured)."""
    return subprocess.Popen(
        [sys.executable, "-m", "statuskit", *argv],
        cwd=cwd,
        env=env or environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> Result:
    """Wait for a background statuskit and collect what it printed."""
    stdout, stderr = process.communicate(timeout=300)
    return Result(process.returncode, stdout, stderr)


def write_plan(folder: Path, text: str = SMALL_PLAN) -> Path:
    """``plan.md`` in ``folder``."""
    path = folder / "plan.md"
    path.write_text(text, encoding="utf-8")
    return path


def status_path(folder: Path) -> Path:
    """Where ``--plan plan.md`` keeps its status."""
    return folder / "docs" / "plan-outputs" / "plan" / "status.json"


def status_of(folder: Path) -> PlanStatus:
    """The status of ``folder/plan.md``."""
    return JsonFileStore(status_path(folder)).read()


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    """Wait until ``condition()`` holds; fail, saying ``what``, after a generous ceiling."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def fake_claude(
    folder: Path, mode: str, capture: str = "charlieyou-gleam_cli2.1.3_bash-ls-roundtrip.jsonl"
) -> dict[str, str]:
    """Environment variables that put a fake ``claude`` first on ``PATH``.

    The fake replays ``capture`` from the shared corpus (the test is skipped without it).
    What it was called with lands in ``folder/claude-argv.json``.
    """
    path = corpus_dir("streams") / capture
    if not path.is_file():
        pytest.skip(f"capture {capture} not in the corpus")
    bin_dir = folder / "fakebin"
    bin_dir.mkdir(exist_ok=True)
    wrapper = bin_dir / "claude"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE}" "$@"\n')
    wrapper.chmod(0o755)
    return {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "FAKE_CLAUDE_MODE": mode,
        "FAKE_CLAUDE_CAPTURE": str(path),
        "FAKE_CLAUDE_ARGV": str(folder / "claude-argv.json"),
    }


@pytest.fixture(scope="module")
def subreaper() -> None:
    """Orphaned agents come back to this process, so leftovers are found among our own."""
    if not become_subreaper():
        pytest.skip("needs Linux (a child subreaper) to find what a test left running")


@pytest.fixture
def no_leftovers(subreaper: None) -> Iterator[None]:
    """After the test, nothing it started runs on (checked among its own descendants)."""
    before = set(descendants())
    yield
    assert leftovers(before) == [], "processes started by this test are still running"
