"""A fake ``claude`` that replays a real Claude Code capture, with one known misbehaviour.

The tests put a ``claude`` wrapper on ``PATH`` that runs this file. It takes the options the
orchestrator passes (``-p`` and the rest, recorded into ``$FAKE_CLAUDE_ARGV`` as JSON with the
prompt it read on stdin) and replays the lines of ``$FAKE_CLAUDE_CAPTURE`` — a file of the
shared corpus, read at test time, never copied — behaving as ``$FAKE_CLAUDE_MODE`` says:

* ``report-then-hang``: marks its tasks started and complete with the statuskit command the
  prompt names, replays the capture up to its ``result`` line, then hangs: the known
  "hangs after printing its result" behaviour.
* ``replay``: replays the capture and exits 0 without reporting any task.
* ``mid-stream``: replays the first half of the capture and dies (exit 1), no result line.
* ``silent``: never prints anything and never exits.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time

_TASK = re.compile(r"^- (\S+?)(?: \[token (\d+)\])?: ")
_CLI = re.compile(r"before starting a task: (.+) mark-started TASK_ID(?: --token TOKEN)?$")


def _prompt(argv: list[str]) -> str:
    # `claude -p PROMPT ...` or `claude -p ...` with the prompt on stdin.
    index = argv.index("-p") if "-p" in argv else -1
    after = argv[index + 1] if 0 <= index < len(argv) - 1 else ""
    if after and not after.startswith("-"):
        return after
    return sys.stdin.read()


def _statuskit(cli: list[str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "statuskit", *cli[1:], *args], check=True,
                   capture_output=True)  # fmt: skip


def main() -> int:
    argv = sys.argv[1:]
    mode = os.environ.get("FAKE_CLAUDE_MODE", "replay")
    prompt = _prompt(argv)
    record = os.environ.get("FAKE_CLAUDE_ARGV")
    if record:
        with open(record, "w", encoding="utf-8") as handle:
            json.dump({"argv": argv, "stdin": prompt}, handle)
    if mode == "silent":
        time.sleep(3600)
        return 0
    with open(os.environ["FAKE_CLAUDE_CAPTURE"], "rb") as handle:
        lines = handle.read().splitlines(keepends=True)
    tasks = [(m.group(1), m.group(2)) for line in prompt.splitlines() if (m := _TASK.match(line))]
    found = next((m for line in prompt.splitlines() if (m := _CLI.search(line))), None)
    cli = shlex.split(found.group(1)) if found else ["statuskit"]
    if mode == "report-then-hang":
        for task, token in tasks:
            claim = ["--token", token] if token else []
            _statuskit(cli, "mark-started", task, *claim)
            _statuskit(cli, "mark-complete", task, *claim, "--notes", "replayed")
    if mode == "mid-stream":
        lines = lines[: max(1, len(lines) // 2)]
    for line in lines:
        sys.stdout.buffer.write(line)
        sys.stdout.flush()
        if mode == "report-then-hang" and b'"type":"result"' in line.replace(b" ", b""):
            break
    if mode == "report-then-hang":
        time.sleep(3600)
    if mode == "mid-stream":
        os._exit(1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
