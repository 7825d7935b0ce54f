"""docs/tutorial.md, done the way a reader does it: typed into one shell, in order.

The steps are read out of the page (so the page and the test cannot drift): each line of a
```sh block is a command; a ```markdown block the text asks to save is written to that file;
a ```python block is saved and run with `python`; an inline `statuskit stream ...` is run
where the text gives it, with `<run>` replaced by the run id the last command printed. They
go, one by one, to a single bash process, so that `cd` and `source .venv/bin/activate` carry
over as in a terminal. The clone is a copy of this checkout, and step 1 installs it for real
into a fresh virtual environment with the README's command.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import threading
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "tutorial.md"

# Commands the test does not type: they start a real coding agent (Claude Code).
NOT_RUN = {"statuskit --plan plan.md run"}


class Step(NamedTuple):
    """One thing the reader does."""

    kind: str
    """``sh`` (a command line), ``file`` (save a text) or ``python`` (save and run code)."""
    text: str
    """The command, or the file's content."""
    name: str = ""
    """The file's name, for ``file``."""


_BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.S)
_SAVE_AS = re.compile(r"[Ss]ave this as `([^`]+)`")
_INLINE_STREAM = re.compile(r"`(statuskit stream [^`]+)`")


def steps(text: str) -> list[Step]:
    """The reader's steps, in the order the page gives them."""
    found: list[Step] = []
    position = 0
    for block in _BLOCK.finditer(text):
        prose = text[position : block.start()]
        found += [Step("sh", command) for command in _INLINE_STREAM.findall(prose)]
        language, body = block.group(1), block.group(2)
        if language == "sh":
            found += [Step("sh", line.strip()) for line in body.splitlines() if line.strip()]
        elif language == "markdown":
            saved = _SAVE_AS.findall(prose)
            assert saved, f"a markdown block the page does not ask to save: {body[:40]!r}"
            found.append(Step("file", body, saved[-1]))
        elif language == "python":
            found.append(Step("python", body))
        position = block.end()
    found += [Step("sh", command) for command in _INLINE_STREAM.findall(text[position:])]
    return found


def _command_of(step: Step) -> str:
    return step.text.split("#", 1)[0].strip()


class Shell:
    """One interactive bash: commands typed one at a time, each one's output kept apart."""

    def __init__(self, cwd: Path, env: dict[str, str], scratch: Path) -> None:
        self.scratch = scratch
        self.count = 0
        self.proc = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def type(self, command: str, timeout: float = 600) -> tuple[int, str, str]:
        """Run ``command`` in the shell: exit code, stdout, stderr."""
        self.count += 1
        out, err = self.scratch / f"{self.count}.out", self.scratch / f"{self.count}.err"
        marker = f"@@done {self.count} "
        assert self.proc.stdin is not None
        self.proc.stdin.write(f'{{ {command}\n}} >"{out}" 2>"{err}" </dev/null\n')
        self.proc.stdin.write(f'echo "{marker}$?"\n')
        self.proc.stdin.flush()
        while True:
            line = self.lines.get(timeout=timeout)  # a generous ceiling against hangs
            if line.startswith(marker):
                return int(line[len(marker) :]), out.read_text(), err.read_text()

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:  # pragma: no cover - only if bash hangs
            self.proc.kill()
            self.proc.wait()
        self.reader.join(timeout=60)
        assert self.proc.stdout is not None
        self.proc.stdout.close()


def _reader_env(tmp: Path) -> dict[str, str]:
    """This machine's environment without any statuskit: no venv, no statuskit options."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
        and not key.startswith("STATUSKIT")
    }
    # A folder that already offers `statuskit` (an activated dev venv) would hide a tutorial
    # that forgets to put it on the PATH.
    env["PATH"] = os.pathsep.join(
        folder
        for folder in env.get("PATH", "").split(os.pathsep)
        if folder and not (Path(folder) / "statuskit").exists()
    )
    env["TMPDIR"] = str(tmp)  # the demo's folder is made in here, and goes with the test
    env["STATUSKIT_SIM_DELAY"] = "0.005"  # the simulated agent, quick
    return env


class TestThePage:
    """What can be checked without running anything."""

    def test_steps_are_found(self) -> None:
        """The page yields its install, plan, commands, replay and Python, in that order."""
        found = steps(PAGE.read_text())
        kinds = [step.kind for step in found]
        assert kinds.count("file") == 1
        assert kinds.count("python") == 1
        assert found[0].text.startswith("python3 -m venv .venv")
        assert any(step.text.startswith("statuskit stream ") for step in found)
        assert {_command_of(step) for step in found} >= NOT_RUN

    def test_install_is_the_readmes(self) -> None:
        """Step 1 installs with the README's own command."""
        readme = (ROOT / "README.md").read_text()
        install = steps(PAGE.read_text())[0].text
        assert install in readme

    def test_statuskit_by_name_only_once_on_the_path(self) -> None:
        """No bare `statuskit` before the page activates the environment that holds it."""
        found = [step.text for step in steps(PAGE.read_text()) if step.kind == "sh"]
        first_use = next(i for i, text in enumerate(found) if text.startswith("statuskit "))
        assert any("activate" in text for text in found[:first_use])


@pytest.mark.slow
def test_the_tutorial_as_a_reader_does_it(tmp_path: Path) -> None:
    """A copy of the clone, the README's install, then every step in one shell, in order."""
    clone = tmp_path / "statuskit"
    shutil.copytree(
        ROOT / "src", clone / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, clone / name)
    scratch = tmp_path / "outputs"
    scratch.mkdir()
    (tmp_path / "tmp").mkdir()
    shell = Shell(clone, _reader_env(tmp_path / "tmp"), scratch)
    page = PAGE.read_text()
    run_id = ""
    outputs: dict[str, str] = {}
    skipped: set[str] = set()
    try:
        for step in steps(page):
            if step.kind == "file":
                command = f"cat > {step.name} <<'TUTORIAL_EOF'\n{step.text}TUTORIAL_EOF"
            elif step.kind == "python":
                command = f"cat > example.py <<'TUTORIAL_EOF'\n{step.text}TUTORIAL_EOF\n"
                command += "python example.py"
            elif _command_of(step) in NOT_RUN:
                skipped.add(_command_of(step))
                continue
            else:
                command = step.text.replace("<run>", run_id)
            code, out, err = shell.type(command)
            assert code == 0, (step.text, out[-2000:], err[-2000:])
            outputs[step.text] = out
            found = re.search(r'"runId": "([^"]+)"', out)
            run_id = found.group(1) if found else run_id
    finally:
        shell.close()
    assert skipped == NOT_RUN
    project = tmp_path / "config-loader"
    # Step 3 names the status file it writes; it is the only status the tutorial makes.
    named = re.search(r"This writes `([^`]+)`", page)
    assert named is not None
    init = next(out for text, out in outputs.items() if text.endswith(" init"))
    assert json.loads(init)["statusPath"] == named.group(1)
    assert sorted(project.rglob("status.json")) == [project / named.group(1)]
    replay = next(out for text, out in outputs.items() if text.startswith("statuskit stream "))
    assert replay.strip()
    # The Python step prints what its comments say.
    python = next(step.text for step in steps(page) if step.kind == "python")
    promised = re.findall(r"print\(.*\)\s+# (.*)", python)
    printed = outputs[python].splitlines()
    assert printed == promised
