"""A simulated agent: a real subprocess that behaves like ``claude -p ... stream-json``.

It reads its prompt on stdin, finds the tasks and the statuskit command prefix in it, emits
real-format stream-json lines (init, text, tool calls, tool results, the turn result; the
``flaky`` scenario also uses the partial-message form) and runs the real ``statuskit`` command
to mark its tasks, exactly as the prompt tells a real agent to.

Scenarios (per task, by attempt = the task's ``retryCount`` when it starts):

* ``ok``: every task succeeds.
* ``flaky``: tasks ``*.3``, ``*.6``, ... fail on their first attempt and succeed on a retry.
* ``fail``: task ``*.3`` always fails; everything else succeeds.
* ``hang``: task 1.1 hangs silently on its first attempt (the orchestrator must kill it).
* ``crash``: the process dies abruptly during task 1.1's first attempt.

``STATUSKIT_SIM_DELAY`` (seconds, default 0.15) paces the output.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
import uuid
from typing import Any

__all__ = ["SCENARIOS", "main"]

SCENARIOS = ("ok", "flaky", "fail", "hang", "crash")


def _emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


class Agent:
    def __init__(self, scenario: str, cli: list[str], session: str, delay: float) -> None:
        self.scenario = scenario
        self.cli = cli
        self.session = session
        self.delay = delay
        self.turns = 0
        self.message = 0
        self.token: list[str] = []

    def pause(self, factor: float = 1.0) -> None:
        time.sleep(self.delay * factor)

    def _message_id(self) -> str:
        self.message += 1
        return f"msg_sim_{self.session[:8]}_{self.message}"

    def text(self, text: str, *, partial: bool) -> None:
        message_id = self._message_id()
        if partial:
            self._partial({"type": "message_start", "message": {"id": message_id}})
            self._partial(
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                }
            )
            for word in re.findall(r"\S+\s*", text):
                self._partial(
                    {
                        "type": "content_block_delta",
                        "index": 0,
                        "delta": {"type": "text_delta", "text": word},
                    }
                )
            self._partial({"type": "content_block_stop", "index": 0})
        self._assistant(message_id, [{"type": "text", "text": text}])
        if partial:
            self._partial({"type": "message_stop"})

    def _partial(self, event: dict[str, Any]) -> None:
        _emit(
            {
                "type": "stream_event",
                "event": event,
                "session_id": self.session,
                "parent_tool_use_id": None,
            }
        )

    def _assistant(self, message_id: str, content: list[dict[str, Any]]) -> None:
        _emit(
            {
                "type": "assistant",
                "message": {
                    "id": message_id,
                    "type": "message",
                    "role": "assistant",
                    "model": "statuskit-simulated",
                    "content": content,
                },
                "parent_tool_use_id": None,
                "session_id": self.session,
            }
        )

    def tool(self, name: str, tool_input: dict[str, Any], *, partial: bool) -> str:
        """Announce a tool call; return its id."""
        self.turns += 1
        tool_id = f"toolu_sim_{uuid.uuid4().hex[:16]}"
        message_id = self._message_id()
        block = {"type": "tool_use", "id": tool_id, "name": name, "input": tool_input}
        if partial:
            self._partial({"type": "message_start", "message": {"id": message_id}})
            self._partial(
                {"type": "content_block_start", "index": 0, "content_block": {**block, "input": {}}}
            )
            raw = json.dumps(tool_input)
            for start in range(0, len(raw), 16):
                self._partial(
                    {
                        "type": "content_block_delta",
                        "index": 0,
                        "delta": {
                            "type": "input_json_delta",
                            "partial_json": raw[start : start + 16],
                        },
                    }
                )
            self._partial({"type": "content_block_stop", "index": 0})
        self._assistant(message_id, [block])
        if partial:
            self._partial({"type": "message_stop"})
        return tool_id

    def result(self, tool_id: str, content: str, *, error: bool = False) -> None:
        _emit(
            {
                "type": "user",
                "message": {
                    "role": "user",
                    "content": [
                        {
                            "tool_use_id": tool_id,
                            "type": "tool_result",
                            "content": content,
                            "is_error": error,
                        }
                    ],
                },
                "parent_tool_use_id": None,
                "session_id": self.session,
            }
        )

    def statuskit(self, *args: str, partial: bool) -> dict[str, Any]:
        """Run the real statuskit command as a Bash tool call, and report it."""
        shown = " ".join(shlex.quote(a) for a in ["statuskit", *self.cli[1:], *args])
        tool_id = self.tool(
            "Bash", {"command": shown, "description": "Record progress"}, partial=partial
        )
        done = subprocess.run(
            [sys.executable, "-m", "statuskit", *self.cli[1:], *args, *self.token],
            capture_output=True,
            text=True,
            check=False,
        )
        try:
            document: dict[str, Any] = json.loads(done.stdout)
        except ValueError:
            document = {"ok": False, "error": {"message": done.stdout + done.stderr}}
        self.result(tool_id, done.stdout.strip() or done.stderr.strip(), error=done.returncode != 0)
        return document

    def work(self, task_id: str, description: str, *, partial: bool) -> None:
        started = self.statuskit("mark-started", task_id, partial=partial)
        attempt = int(started.get("task", {}).get("retryCount", 0)) if started.get("ok") else 0
        self.pause()
        self.text(f"Working on {task_id}: {description}", partial=partial)
        first = task_id == "1.1"
        if self.scenario == "hang" and first and attempt == 0:
            time.sleep(3600)  # silent: only a real timeout can end this
        if self.scenario == "crash" and first and attempt == 0:
            tool_id = self.tool("Edit", {"file_path": f"src/{task_id}.py"}, partial=partial)
            del tool_id
            os._exit(3)  # dies mid-tool, without a result line
        edit = self.tool(
            "Edit",
            {
                "file_path": f"src/task_{task_id.replace('.', '_')}.py",
                "old_string": "",
                "new_string": "# done\n",
            },
            partial=partial,
        )
        self.pause(2)
        last = task_id.rsplit(".", maxsplit=1)[-1]
        third = last.isdigit() and int(last) % 3 == 0
        fails = (self.scenario == "fail" and last == "3") or (
            self.scenario == "flaky" and third and attempt == 0
        )
        if fails:
            self.result(edit, "Error: the change does not compile", error=True)
            self.statuskit(
                "mark-failed", task_id, "--error", "simulated failure: tests fail", partial=partial
            )
            return
        self.result(edit, "The file has been updated.")
        self.pause()
        self.statuskit(
            "mark-complete", task_id, "--notes", f"simulated: {description}", partial=partial
        )

    def run(self, tasks: list[tuple[str, str, str | None]]) -> None:
        started = time.monotonic()
        _emit(
            {
                "type": "system",
                "subtype": "init",
                "session_id": self.session,
                "cwd": os.getcwd(),
                "model": "statuskit-simulated",
                "tools": ["Bash", "Edit"],
            }
        )
        partial = self.scenario == "flaky"
        for task_id, description, token in tasks:
            self.token = ["--token", token] if token else []
            self.work(task_id, description, partial=partial)
        self.text("All assigned tasks are reported.", partial=partial)
        _emit(
            {
                "type": "result",
                "subtype": "success",
                "is_error": False,
                "duration_ms": int((time.monotonic() - started) * 1000),
                "num_turns": self.turns,
                "result": "done",
                "session_id": self.session,
                "total_cost_usd": 0.0,
            }
        )


_TASK_LINE = re.compile(
    r"^- (\S+?)(?: \[token (\d+)\])?: (.*?)(?: \(retry \d+; last error: .*\))?$"
)
_CLI_LINE = re.compile(r"before starting a task: (.+) mark-started TASK_ID(?: --token TOKEN)?$")


def main(argv: list[str] | None = None) -> int:
    """``python -m statuskit.orchestrator.simulate SCENARIO`` with the prompt on stdin."""
    args = sys.argv[1:] if argv is None else argv
    scenario = args[0] if args else "ok"
    if scenario not in SCENARIOS:
        sys.stderr.write(f"unknown scenario {scenario!r}; choose from {', '.join(SCENARIOS)}\n")
        return 2
    prompt = sys.stdin.read()
    tasks: list[tuple[str, str, str | None]] = []
    cli: list[str] | None = None
    in_tasks = False
    for line in prompt.splitlines():
        if line == "Tasks:":
            in_tasks = True
            continue
        if in_tasks:
            match = _TASK_LINE.match(line)
            if match:
                tasks.append((match.group(1), match.group(3), match.group(2)))
                continue
            in_tasks = False
        found = _CLI_LINE.search(line)
        if found:
            cli = shlex.split(found.group(1))
    if cli is None or not tasks:
        sys.stderr.write("simulated agent: the prompt names no tasks or no statuskit command\n")
        return 2
    sys.stderr.write(f"simulated agent ({scenario}): {len(tasks)} task(s)\n")
    delay = float(os.environ.get("STATUSKIT_SIM_DELAY", "0.15"))
    Agent(scenario, cli, str(uuid.uuid4()), delay).run(tasks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
