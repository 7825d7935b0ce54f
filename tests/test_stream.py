"""The agent stream parser: right about when tools start and finish, and never raises."""

from __future__ import annotations

import gc
import io
import json
import math
import re
import tracemalloc
import unicodedata
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from statuskit.stream import (
    Callbacks,
    Event,
    Malformed,
    StreamParser,
    Text,
    TextEnd,
    ToolAbandoned,
    ToolFinished,
    ToolInputReady,
    ToolProgress,
    ToolStarted,
    TurnResult,
    Waiting,
    parse,
    printable,
)
from statuskit.stream.cli import describe, print_stream

from .helpers import corpus_dir


def ticking() -> Iterator[float]:
    value = 0.0
    while True:
        yield value
        value += 1.0


def events_of(data: bytes | str | list[bytes], **kwargs: Any) -> list[Event]:
    clock = ticking()
    return parse(data, clock=lambda: next(clock), **kwargs)


def tools(events: list[Event]) -> list[tuple[Any, ...]]:
    """The tool lifecycle: (kind, id, name, parent, is_error) for starts, finishes, abandons."""
    out: list[tuple[Any, ...]] = []
    for event in events:
        if isinstance(event, ToolStarted):
            out.append(("start", event.tool_id, event.name, event.parent_tool_id))
        elif isinstance(event, ToolFinished):
            out.append(("finish", event.tool_id, event.name, event.parent_tool_id, event.is_error))
        elif isinstance(event, ToolAbandoned):
            out.append(("abandon", event.tool_id, event.name))
    return out


def line(obj: dict[str, Any]) -> str:
    return json.dumps(obj) + "\n"


def assistant(*blocks: dict[str, Any], msg: str = "m1", parent: str | None = None) -> str:
    return line(
        {
            "type": "assistant",
            "message": {"id": msg, "content": list(blocks)},
            "parent_tool_use_id": parent,
        }
    )


def tool_use(tool_id: str, name: str, **tool_input: Any) -> dict[str, Any]:
    return {"type": "tool_use", "id": tool_id, "name": name, "input": tool_input}


def result(
    tool_id: str, content: Any = "ok", *, error: bool = False, parent: str | None = None
) -> str:
    block = {"type": "tool_result", "tool_use_id": tool_id, "content": content, "is_error": error}
    return line({"type": "user", "message": {"content": [block]}, "parent_tool_use_id": parent})


def partial(event: dict[str, Any], parent: str | None = None) -> str:
    return line({"type": "stream_event", "event": event, "parent_tool_use_id": parent})


# --------------------------------------------------------------------------- corpus

CORPUS_TOOLS: dict[str, list[tuple[Any, ...]]] = {
    "charlieyou-gleam_cli2.1.3_bash-ls-roundtrip.jsonl": [
        ("start", "toolu_01BeipFBP3sUY3EAwVg3qQnE", "Bash", None),
        ("finish", "toolu_01BeipFBP3sUY3EAwVg3qQnE", "Bash", None, False),
    ],
    "charlieyou-gleam_cli2.1.7_basic-query.ndjson": [],
    "hive-mind_cli2.1.284_background-disabled.jsonl": [
        ("start", "toolu_01R3V73DFfTi25FhdGuHcnsR", "Agent", None),
        ("start", "toolu_01KHJAprDEpuEwszTQZQ96B1", "Bash", None),
        ("start", "toolu_0162qQiwMQf5heSbeFKjnaUk", "Bash", "toolu_01R3V73DFfTi25FhdGuHcnsR"),
        ("finish", "toolu_01KHJAprDEpuEwszTQZQ96B1", "Bash", None, False),
        (
            "finish",
            "toolu_0162qQiwMQf5heSbeFKjnaUk",
            "Bash",
            "toolu_01R3V73DFfTi25FhdGuHcnsR",
            False,
        ),
        ("finish", "toolu_01R3V73DFfTi25FhdGuHcnsR", "Agent", None, False),
    ],
    "vercel-ai_tool-input-stream.jsonl": [
        ("start", "toolu_01844wW4nkwSTXm5fD6si35A", "Write", None),
        ("abandon", "toolu_01844wW4nkwSTXm5fD6si35A", "Write"),
    ],
    "vercel-ai_tool-use-result-stream.jsonl": [
        ("start", "toolu_01CzerpW7U9o3KGCY6R51Ytd", "Read", None),
        ("start", "toolu_0117Edzdd3w14bFgA69WKiNL", "TaskCreate", None),
        ("finish", "toolu_01CzerpW7U9o3KGCY6R51Ytd", "Read", None, False),
        ("finish", "toolu_0117Edzdd3w14bFgA69WKiNL", "TaskCreate", None, False),
        ("start", "toolu_01PN3kPDaUbWD3xBH22YnrLM", "Bash", None),
        ("start", "toolu_01AmgDXpXZyKM2EzUdnfbsYf", "Bash", None),
        ("finish", "toolu_01AmgDXpXZyKM2EzUdnfbsYf", "Bash", None, True),
        ("finish", "toolu_01PN3kPDaUbWD3xBH22YnrLM", "Bash", None, False),
    ],
    "vercel-ai_issue-21686-live-events.jsonl": [],
    "anthropic-sdk-python_api-sse_tool-use-response.txt": [
        ("start", "toolu_01NRLabsLyVHZPKxbKvkfSMn", "get_weather", None),
        ("abandon", "toolu_01NRLabsLyVHZPKxbKvkfSMn", "get_weather"),
    ],
}


class TestCorpus:
    """Every captured stream gives exactly the tool lifecycle read from it by hand."""

    def test_every_capture_is_covered(self) -> None:
        """No capture is left out of the table."""
        names = {p.name for p in corpus_dir("streams").iterdir()}
        assert names == set(CORPUS_TOOLS)

    @pytest.mark.parametrize("name", sorted(CORPUS_TOOLS))
    def test_tool_sequence(self, name: str) -> None:
        """Starts, finishes (with error flags and parents) and abandons, in order."""
        data = (corpus_dir("streams") / name).read_bytes()
        events = events_of(data)
        assert tools(events) == CORPUS_TOOLS[name]
        assert not [e for e in events if isinstance(e, Malformed)]

    def test_details(self) -> None:
        """Sessions, inputs, results, progress, SSE text and tool_result previews."""
        folder = corpus_dir("streams")
        events = events_of(
            (folder / "charlieyou-gleam_cli2.1.3_bash-ls-roundtrip.jsonl").read_bytes()
        )
        assert events[0].to_json()["session_id"] == "40e7b02d-c0f9-4876-9010-f514d4eb0603"
        ready = [e for e in events if isinstance(e, ToolInputReady)]
        assert ready[0].input == {
            "command": "ls -la",
            "description": "List files in current directory",
        }
        turn = events[-1]
        assert isinstance(turn, TurnResult)
        assert (turn.subtype, turn.is_error, turn.num_turns) == ("success", False, 2)
        assert turn.cost_usd == pytest.approx(0.24722425)
        finished = next(e for e in events if isinstance(e, ToolFinished))
        assert finished.preview.startswith("total 1976")
        assert finished.duration_s == 1.0  # ticking clock: started at 0, finished at 1
        sse = events_of(
            (folder / "anthropic-sdk-python_api-sse_tool-use-response.txt").read_bytes()
        )
        assert "".join(e.text for e in sse if isinstance(e, Text)) == (
            "I'll check the current weather in Paris for you."
        )
        assert [e.input for e in sse if isinstance(e, ToolInputReady)] == [{"location": "Paris"}]
        write = events_of((folder / "vercel-ai_tool-input-stream.jsonl").read_bytes())
        inputs = [e for e in write if isinstance(e, ToolInputReady)]
        assert inputs[0].input["file_path"] == "/work/.tmp-issue-19695/sample.txt"
        assert inputs[0].line == 14  # at content_block_stop, not at the start
        progress = events_of((folder / "vercel-ai_issue-21686-live-events.jsonl").read_bytes())
        assert [e.to_json() for e in progress] == [
            {
                "event": "tool_progress",
                "line": 1,
                "tool_id": "toolu_01EvoHjgongHipd4eFYTHM29-heartbeat-0",
                "elapsed_s": 30,
            }
        ]


# --------------------------------------------------------------------------- fixtures


class TestSemantics:
    """Our own fixtures for each rule."""

    def test_parallel_out_of_order(self) -> None:
        """Three parallel tools whose results come back 3, 1, 2."""
        data = (
            assistant(tool_use("a", "Read"))
            + assistant(tool_use("b", "Grep"))
            + assistant(tool_use("c", "Bash"))
            + result("c", "third", error=True)
            + result("a", "first")
            + result("b", [{"type": "text", "text": "second"}])
        )
        events = events_of(data)
        assert tools(events) == [
            ("start", "a", "Read", None),
            ("start", "b", "Grep", None),
            ("start", "c", "Bash", None),
            ("finish", "c", "Bash", None, True),
            ("finish", "a", "Read", None, False),
            ("finish", "b", "Grep", None, False),
        ]
        finished = {e.tool_id: e for e in events if isinstance(e, ToolFinished)}
        assert finished["b"].preview == "second"
        # a started at tick 0 and finished at the 5th tick: durations follow receive times.
        assert [finished[t].duration_s for t in "abc"] == [4.0, 4.0, 1.0]

    def test_subagent_interleaved(self) -> None:
        """Subagent tools carry their parent's id; main-thread tools carry none."""
        data = (
            assistant(tool_use("agent", "Agent", prompt="go"))
            + assistant(tool_use("main1", "Bash"))
            + assistant(tool_use("sub1", "Read"), msg="m2", parent="agent")
            + result("main1")
            + assistant({"type": "text", "text": "sub text"}, msg="m2", parent="agent")
            + result("sub1", parent="agent")
            + result("agent", "report")
        )
        events = events_of(data)
        assert tools(events) == [
            ("start", "agent", "Agent", None),
            ("start", "main1", "Bash", None),
            ("start", "sub1", "Read", "agent"),
            ("finish", "main1", "Bash", None, False),
            ("finish", "sub1", "Read", "agent", False),
            ("finish", "agent", "Agent", None, False),
        ]
        assert [e.parent_tool_id for e in events if isinstance(e, Text)] == ["agent"]

    def test_partial_plus_snapshot_starts_once(self) -> None:
        """content_block_start then the assistant snapshot: one start, one input-ready."""
        data = (
            partial({"type": "message_start", "message": {"id": "m9"}})
            + partial(
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                }
            )
            + partial(
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": "Hel"},
                }
            )
            + partial(
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": "lo"},
                }
            )
            + partial({"type": "content_block_stop", "index": 0})
            + assistant({"type": "text", "text": "Hello"}, msg="m9")
            + partial(
                {
                    "type": "content_block_start",
                    "index": 1,
                    "content_block": {"type": "tool_use", "id": "t1", "name": "Edit", "input": {}},
                }
            )
            + partial(
                {
                    "type": "content_block_delta",
                    "index": 1,
                    "delta": {"type": "input_json_delta", "partial_json": '{"path": "a'},
                }
            )
            + partial(
                {
                    "type": "content_block_delta",
                    "index": 1,
                    "delta": {"type": "input_json_delta", "partial_json": '.py"}'},
                }
            )
            + partial({"type": "content_block_stop", "index": 1})
            + assistant(tool_use("t1", "Edit", path="a.py"), msg="m9")
            + partial({"type": "message_stop"})
            + result("t1")
        )
        events = events_of(data)
        kinds = [e.kind for e in events]
        assert kinds == [
            "text",
            "text",
            "text_end",
            "tool_started",
            "tool_input_ready",
            "tool_finished",
        ]
        assert [e.text for e in events if isinstance(e, Text)] == ["Hel", "lo"]  # not "Hello" again
        start = next(e for e in events if isinstance(e, ToolStarted))
        assert start.input == {}
        ready = next(e for e in events if isinstance(e, ToolInputReady))
        assert (ready.input, ready.line) == ({"path": "a.py"}, 10)
        finish = next(e for e in events if isinstance(e, ToolFinished))
        assert finish.line == 13  # the tool_result line, not content_block_stop (line 10)

    def test_partial_json_never_crosses_messages(self) -> None:
        """Block index 0 of a new message does not continue the old message's block 0."""
        data = (
            partial({"type": "message_start", "message": {"id": "m1"}})
            + partial(
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "tool_use", "id": "t1", "name": "A"},
                }
            )
            + partial(
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "input_json_delta", "partial_json": '{"x": '},
                }
            )
            + partial({"type": "message_stop"})
            + partial({"type": "message_start", "message": {"id": "m2"}})
            + partial(
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "tool_use", "id": "t2", "name": "B"},
                }
            )
            + partial(
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "input_json_delta", "partial_json": '{"y": 2}'},
                }
            )
            + partial({"type": "content_block_stop", "index": 0})
        )
        ready = [e for e in events_of(data) if isinstance(e, ToolInputReady)]
        assert [(e.tool_id, e.input) for e in ready] == [("t2", {"y": 2})]

    def test_background_tool_finishes_on_notification(self) -> None:
        """A backgrounded tool's immediate result is not its end; the notification is."""
        data = (
            assistant(tool_use("bg", "Bash", command="sleep 60", run_in_background=True))
            + line(
                {
                    "type": "system",
                    "subtype": "task_started",
                    "tool_use_id": "bg",
                    "task_id": "k1",
                    "is_backgrounded": True,
                }
            )
            + result("bg", "Command running in background with ID: k1")
            + assistant(tool_use("fg", "Read"))
            + result("fg")
            + line(
                {
                    "type": "system",
                    "subtype": "task_notification",
                    "tool_use_id": "bg",
                    "task_id": "k1",
                    "status": "failed",
                    "summary": "exit 1",
                }
            )
        )
        events = events_of(data)
        assert tools(events) == [
            ("start", "bg", "Bash", None),
            ("start", "fg", "Read", None),
            ("finish", "fg", "Read", None, False),
            ("finish", "bg", "Bash", None, True),
        ]
        assert (
            next(e for e in events if isinstance(e, ToolFinished) and e.tool_id == "bg").line == 6
        )

    def test_cut_mid_input(self) -> None:
        """A stream that stops inside a tool input (max_tokens): raw input kept, abandoned."""
        data = (
            partial({"type": "message_start", "message": {"id": "m1"}})
            + partial(
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "tool_use", "id": "t1", "name": "Write"},
                }
            )
            + partial(
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "input_json_delta", "partial_json": '{"content": "abc'},
                }
            )
            + partial({"type": "content_block_stop", "index": 0})
            + partial({"type": "message_delta", "delta": {"stop_reason": "max_tokens"}})
            + line({"type": "result", "subtype": "error_max_turns", "is_error": False})
        )
        events = events_of(data)
        ready = next(e for e in events if isinstance(e, ToolInputReady))
        assert ready.input == '{"content": "abc'
        turn = next(e for e in events if isinstance(e, TurnResult))
        assert turn.is_error  # subtype checked, not only is_error
        assert tools(events)[-1] == ("abandon", "t1", "Write")

    def test_result_and_api_errors(self) -> None:
        """error events become api_error; an announced retry is a wait, not an error."""
        data = (
            "event: error\n"
            + "data: "
            + json.dumps(
                {"type": "error", "error": {"type": "overloaded", "message": "Overloaded"}}
            )
            + "\n"
            + line(
                {"type": "system", "subtype": "api_retry", "error": "rate limited", "attempt": 1}
            )
        )
        records = [e.to_json() for e in events_of(data)]
        assert records == [
            {"event": "api_error", "line": 2, "message": "Overloaded", "retrying": False},
            {
                "event": "waiting",
                "line": 3,
                "reason": "api_retry",
                "message": "rate limited",
                "retry_in_s": None,
                "resets_at": None,
                "attempt": 1,
                "max_retries": None,
            },
        ]


class TestRobustness:
    """Bad input becomes malformed events with line numbers; nothing raises."""

    def test_garbage_crlf_and_u2028(self) -> None:
        """Debug lines, CRLF endings, and U+2028 inside a JSON string (one line, not two)."""
        text = "\u2028 in text"
        data = (
            "DEBUG starting up\r\n"
            + assistant({"type": "text", "text": text}).replace("\n", "\r\n")
            + "[1, 2]\n"
            + "{not json}\n"
            + assistant(tool_use("t1", "Bash")).replace("\n", "\r\n")
        )
        raw = data.replace("\\u2028", "\u2028").encode()  # a real U+2028 in the bytes
        events = events_of(raw)
        malformed = [(e.line, e.reason.split(":")[0]) for e in events if isinstance(e, Malformed)]
        assert malformed == [
            (1, "not JSON"),
            (3, "JSON value is not an object"),
            (4, "invalid JSON"),
        ]
        assert [e.text for e in events if isinstance(e, Text)] == [text]
        assert tools(events)[0] == ("start", "t1", "Bash", None)
        assert next(e for e in events if isinstance(e, ToolStarted)).line == 5

    def test_line_longer_than_limit(self) -> None:
        """A huge line is skipped as it arrives and reported once; the next line is fine."""
        parser = StreamParser(max_line=1000)
        events: list[Event] = []
        events += parser.feed('{"type": "assistant", "pad": "' + "x" * 600)
        events += parser.feed("y" * 600)  # crosses the limit here
        events += parser.feed("z" * 5000 + '"}\n' + assistant(tool_use("t", "Bash")))
        events += parser.close()
        assert [(e.kind, e.line) for e in events] == [
            ("malformed", 1),
            ("tool_started", 2),
            ("tool_input_ready", 2),
            ("tool_abandoned", 0),
        ]
        assert parser._buffered == 0

    def test_truncated_last_line(self) -> None:
        """A last line without newline is used if whole, reported if cut."""
        whole = assistant(tool_use("t", "Bash")).rstrip("\n")
        assert tools(events_of(whole))[0] == ("start", "t", "Bash", None)
        last = events_of(result("x") + whole[:40])[-1]
        assert isinstance(last, Malformed)
        assert (last.line, last.reason) == (2, "truncated last line")

    def test_unknown_things_skipped(self) -> None:
        """Unknown types, subtypes, blocks and fields are skipped forward-compatibly."""
        data = (
            line({"type": "future_thing", "x": 1})
            + line({"type": "system", "subtype": "new_subtype"})
            + assistant({"type": "hologram", "id": "h"}, tool_use("t", "Bash", extra_field=1))
            + line({"type": "user", "message": {"content": "plain string"}})
            + line(
                {"type": "assistant", "message": {"content": [{"type": "tool_use", "id": ["x"]}]}}
            )
            + line({"type": ["a"], "message": 3})
        )
        events = events_of(data)
        assert [e.kind for e in events] == ["tool_started", "tool_input_ready", "tool_abandoned"]


# --------------------------------------------------------------------------- properties


def sample_stream() -> bytes:
    parts = [
        line({"type": "system", "subtype": "init", "session_id": "s", "model": "m", "cwd": "/"}),
        partial({"type": "message_start", "message": {"id": "m1"}}),
        partial(
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            }
        ),
        partial(
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": "héllo \u2028 wörld ✓"},
            }
        ),
        partial({"type": "content_block_stop", "index": 0}),
        assistant(tool_use("t1", "Bash", command="ls")),
        "garbage line\r\n",
        result("t1", "done ✓"),
        assistant(tool_use("t2", "Read")),
        line({"type": "result", "subtype": "success", "is_error": False, "num_turns": 1}),
        '{"type": "assistant", "message": {"content": [',
    ]
    return "".join(parts).encode()


STREAM = sample_stream()


@st.composite
def chunkings(draw: st.DrawFn) -> list[bytes]:
    cuts = sorted(draw(st.lists(st.integers(0, len(STREAM)), max_size=40)))
    pieces, last = [], 0
    for cut in cuts:
        pieces.append(STREAM[last:cut])
        last = cut
    pieces.append(STREAM[last:])
    return pieces


class TestProperties:
    """Chunking never changes the events; no bytes make the parser raise."""

    @given(chunkings())
    def test_any_chunking_equals_whole(self, pieces: list[bytes]) -> None:
        """Feeding in arbitrary pieces gives exactly the events of feeding it whole."""
        assert events_of(pieces) == events_of(STREAM)

    def test_one_byte_at_a_time(self) -> None:
        """The extreme chunking: one byte per feed."""
        assert events_of([STREAM[i : i + 1] for i in range(len(STREAM))]) == events_of(STREAM)

    @given(st.binary(max_size=2000), st.integers(1, 200))
    def test_arbitrary_bytes_never_raise(self, data: bytes, limit: int) -> None:
        """Random bytes, any line limit: events only, and every line number is sane."""
        events = events_of(data, max_line=limit)
        assert all(0 <= e.line <= data.count(b"\n") + 1 for e in events)

    @given(
        st.lists(
            st.sampled_from(
                [
                    line(
                        {
                            "type": "assistant",
                            "message": {"content": [{"type": "tool_use", "id": 1}]},
                        }
                    ),
                    line({"type": "user", "message": {"content": [{"type": "tool_result"}]}}),
                    line(
                        {
                            "type": "stream_event",
                            "event": {"type": "content_block_delta", "index": [1]},
                        }
                    ),
                    line(
                        {
                            "type": "stream_event",
                            "event": {
                                "type": "content_block_start",
                                "index": 0,
                                "content_block": {"type": "tool_use"},
                            },
                        }
                    ),
                    line({"type": "result", "subtype": None, "usage": 5, "duration_ms": "x"}),
                    line({"type": "system", "subtype": "task_notification", "tool_use_id": 7}),
                    line(
                        {"type": "assistant", "message": {"content": [{"type": "text", "text": 5}]}}
                    ),
                    "\xff\xfe\n",
                    "{}\n",
                    "null\n",
                    "data: [DONE]\n",
                    "event: ping\n",
                ]
            ),
            max_size=20,
        )
    )
    def test_odd_shapes_never_raise(self, lines: list[str]) -> None:
        """Known types with unexpected shapes are skipped or reported, never raised."""
        events_of("".join(lines))


# --------------------------------------------------------------------------- background tools


def init(version: str | None = None, session: str = "s1") -> str:
    obj: dict[str, Any] = {"type": "system", "subtype": "init", "session_id": session}
    if version is not None:
        obj["claude_code_version"] = version
    return line(obj)


def system(subtype: str, **fields: Any) -> str:
    return line({"type": "system", "subtype": subtype, **fields})


BACKGROUND_CALL = assistant(tool_use("bg", "Bash", command="npm run dev", run_in_background=True))
BACKGROUND_ACK = result("bg", "Command running in background with ID: bash_1")


class TestBackgroundTools:
    """Background calls end on their notification, except where none ever comes."""

    @pytest.mark.parametrize("version", ["2.0.76", "2.0.0-mock", "1.0.128"])
    def test_before_2_1_the_immediate_result_ends_it(self, version: str) -> None:
        """Claude Code before 2.1 sends no task notification: the launch result ends the call."""
        events = events_of(init(version) + BACKGROUND_CALL + BACKGROUND_ACK)
        assert tools(events) == [
            ("start", "bg", "Bash", None),
            ("finish", "bg", "Bash", None, False),
        ]

    @pytest.mark.parametrize("version", ["2.1.3", "2.1.284", "3.0.0", None])
    def test_from_2_1_it_waits_for_the_notification(self, version: str | None) -> None:
        """From 2.1 (and when the version is not said) the launch result is not the end."""
        events = events_of(init(version) + BACKGROUND_CALL + BACKGROUND_ACK)
        assert tools(events) == [("start", "bg", "Bash", None), ("abandon", "bg", "Bash")]

    def test_the_rule_follows_each_session(self) -> None:
        """A later session of another version applies its own rule."""
        data = (
            init("2.0.76", "old")
            + BACKGROUND_CALL
            + BACKGROUND_ACK
            + init("2.1.7", "new")
            + assistant(tool_use("bg2", "Bash", command="sleep 9", run_in_background=True))
            + result("bg2", "Command running in background with ID: b2")
        )
        assert tools(events_of(data))[-1] == ("abandon", "bg2", "Bash")

    def test_announced_task_is_background_in_any_version(self) -> None:
        """A task_started saying is_backgrounded is proof that a notification will come."""
        data = (
            init("2.0.76")
            + system("task_started", tool_use_id="ag", task_id="k1", is_backgrounded=True)
            + assistant(tool_use("ag", "Agent", prompt="go"))
            + result("ag", "Async agent launched")
            + system("task_notification", tool_use_id="ag", task_id="k1", status="completed")
        )
        events = events_of(data)
        assert tools(events) == [
            ("start", "ag", "Agent", None),
            ("finish", "ag", "Agent", None, False),
        ]
        assert next(e for e in events if isinstance(e, ToolFinished)).line == 5

    def test_task_updated_to_a_final_status_ends_it(self) -> None:
        """A task stopped with no notification ends on its task_updated."""
        data = (
            init("2.1.300")
            + BACKGROUND_CALL
            + system("task_started", tool_use_id="bg", task_id="k9", is_backgrounded=True)
            + BACKGROUND_ACK
            + system("task_updated", task_id="k9", patch={"status": "running"})
            + system("task_updated", task_id="k9", patch={"status": "killed"})
            + system("task_notification", tool_use_id="bg", task_id="k9", status="stopped")
        )
        events = events_of(data)
        assert tools(events) == [
            ("start", "bg", "Bash", None),
            ("finish", "bg", "Bash", None, True),
        ]
        finished = next(e for e in events if isinstance(e, ToolFinished))
        assert (finished.line, finished.preview) == (6, "killed")

    def test_notification_before_the_launch_result(self) -> None:
        """A notification that overtakes the launch result ends the call once, not twice."""
        data = (
            BACKGROUND_CALL
            + system("task_notification", tool_use_id="bg", status="completed", summary="done")
            + BACKGROUND_ACK
        )
        assert tools(events_of(data)) == [
            ("start", "bg", "Bash", None),
            ("finish", "bg", "Bash", None, False),
        ]


# --------------------------------------------------------------------------- waiting


class TestWaiting:
    """Retries and rate limits are a wait the orchestrator can show, not an error."""

    def test_api_retry(self) -> None:
        """Claude Code's api_retry line with its delay, attempt and HTTP status."""
        data = system(
            "api_retry",
            attempt=2,
            max_retries=10,
            retry_delay_ms=4250,
            error_status=529,
            error="overloaded",
        )
        assert [e.to_json() for e in events_of(data)] == [
            {
                "event": "waiting",
                "line": 1,
                "reason": "api_retry",
                "message": "overloaded (HTTP 529)",
                "retry_in_s": 4.25,
                "resets_at": None,
                "attempt": 2,
                "max_retries": 10,
            }
        ]

    def test_rate_limit_rejected(self) -> None:
        """A rejected rate limit is a wait until it resets."""
        info = {"status": "rejected", "resetsAt": 1790678400, "rateLimitType": "five_hour"}
        data = line({"type": "rate_limit_event", "rate_limit_info": info})
        assert [e.to_json() for e in events_of(data)] == [
            {
                "event": "waiting",
                "line": 1,
                "reason": "rate_limit",
                "message": "five_hour limit: rejected",
                "retry_in_s": None,
                "resets_at": 1790678400,
                "attempt": None,
                "max_retries": None,
            }
        ]

    @pytest.mark.parametrize("status", ["allowed", "allowed_warning"])
    def test_rate_limit_allowed_is_not_a_wait(self, status: str) -> None:
        """The status sent with requests that go through says nothing about waiting."""
        data = line({"type": "rate_limit_event", "rate_limit_info": {"status": status}})
        assert events_of(data) == []

    def test_corpus_rate_limit_event(self) -> None:
        """The captured rate_limit_event (status allowed) gives no wait and no malformed."""
        data = (
            corpus_dir("streams") / "hive-mind_cli2.1.284_background-disabled.jsonl"
        ).read_bytes()
        assert b"rate_limit_event" in data
        assert not [e for e in events_of(data) if e.kind in ("waiting", "malformed")]

    def test_odd_values(self) -> None:
        """Missing, negative and non-numeric fields become None, never a crash."""
        data = system("api_retry", retry_delay_ms=-5, attempt="x", error=None) + line(
            {"type": "rate_limit_event", "rate_limit_info": {"resetsAt": "soon"}}
        )
        records = [e.to_json() for e in events_of(data)]
        assert [(r["message"], r["retry_in_s"], r["attempt"]) for r in records] == [
            ("API error", None, None),
            ("rate limit: limited", None, None),
        ]


# --------------------------------------------------------------------------- cost and memory


class CountingId(str):
    """A tool or message id that counts the equality comparisons made on it."""

    comparisons = 0

    def __eq__(self, other: object) -> bool:
        CountingId.comparisons += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


def _counting(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: CountingId(item)
            if key in ("id", "tool_use_id", "parent_tool_use_id") and isinstance(item, str)
            else _counting(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_counting(item) for item in value]
    return value


class CountingParser(StreamParser):
    """The parser, fed ids that count how often it compares them."""

    def _dispatch(self, obj: dict[str, Any], line: str, events: list[Event]) -> None:
        super()._dispatch(_counting(obj), line, events)


def reversed_tools(count: int, *, partial_messages: bool) -> str:
    """``count`` tools started one by one, their results coming back in reverse order."""
    parts = []
    for index in range(count):
        tool_id = f"toolu_{index:06d}"
        if partial_messages:
            block = {"type": "tool_use", "id": tool_id, "name": "Bash"}
            parts += [
                partial({"type": "message_start", "message": {"id": f"m{index}"}}),
                partial({"type": "content_block_start", "index": 0, "content_block": block}),
                partial({"type": "content_block_stop", "index": 0}),
                partial({"type": "message_stop"}),
            ]
        else:
            parts.append(assistant(tool_use(tool_id, "Bash"), msg=f"m{index}"))
    parts += [result(f"toolu_{index:06d}") for index in reversed(range(count))]
    return "".join(parts)


class TestCost:
    """Each event costs O(1): the work is counted, not timed (benchmarks time it)."""

    @pytest.mark.parametrize("partial_messages", [False, True])
    def test_tools_finished_in_reverse_order(self, partial_messages: bool) -> None:
        """3,000 open tools finished newest first: a few id comparisons per tool, not n²/2."""
        count = 3000
        CountingId.comparisons = 0
        parser = CountingParser(clock=lambda: 0.0)
        events = list(
            parser.iter_events([reversed_tools(count, partial_messages=partial_messages)])
        )
        assert sum(isinstance(e, ToolFinished) for e in events) == count
        # Linear work makes ~2 comparisons per tool; a list scan per finish would make 4.5 M.
        assert CountingId.comparisons <= 10 * count


def retained_bytes(lines: Iterator[str], warmup: int) -> int:
    """Memory the parser keeps (traced allocations still alive) after the warm-up lines."""
    parser = StreamParser(clock=lambda: 0.0)
    tracemalloc.start()
    try:
        for index, text in enumerate(lines):
            parser.feed(text)
            if index == warmup:
                gc.collect()
                before = tracemalloc.get_traced_memory()[0]
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert parser.feed("") == []  # the parser is still alive: its state was measured
    return after - before


def text_messages(count: int, kind: str) -> Iterator[str]:
    """Messages of streamed text: raw API events, partial messages with or without snapshots."""
    for index in range(count):
        message_id = f"msg_{index:06d}"
        words = f"message {index} " + "lorem ipsum " * 80
        events: list[dict[str, Any]] = [
            {"type": "message_start", "message": {"id": message_id}},
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text"}},
            *(
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": part},
                }
                for part in (words[:500], words[500:])
            ),
            {"type": "content_block_stop", "index": 0},
            {"type": "message_stop"},
        ]
        if kind == "raw":
            yield "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)
        else:
            yield "".join(partial(e) for e in events[:-1])
            if kind == "partial+snapshot":
                yield assistant({"type": "text", "text": words}, msg=message_id)
            yield partial(events[-1])


RICH_STREAM = (
    init("2.1.300")
    + "".join(text_messages(2, "partial+snapshot"))
    + reversed_tools(3, partial_messages=True)
    + BACKGROUND_CALL
    + system("task_started", tool_use_id="bg", task_id="k", is_backgrounded=True)
    + BACKGROUND_ACK
    + system("api_retry", attempt=1, max_retries=3, retry_delay_ms=500, error="overloaded")
    + system("task_notification", tool_use_id="bg", status="completed", summary="ok ✓")
).encode()


class TestMemory:
    """Memory does not grow with the streamed text."""

    @pytest.mark.parametrize("kind", ["raw", "partial", "partial+snapshot"])
    def test_text_is_not_kept(self, kind: str) -> None:
        """3 MB of streamed text after a warm-up leaves the parser's memory where it was."""
        count = 3000  # ~1 KB of text each
        grown = retained_bytes(text_messages(count, kind), warmup=200)
        assert grown < 64 * 1024, grown  # keeping the text would be ~3 MB

    @given(st.data())
    def test_any_chunking_of_a_rich_stream(self, data: st.DataObject) -> None:
        """Snapshots, background calls, waits and reversed results: chunking changes nothing."""
        whole = RICH_STREAM
        cuts = sorted(data.draw(st.lists(st.integers(0, len(whole)), max_size=30)))
        bounds = zip([0, *cuts], [*cuts, len(whole)], strict=True)
        pieces = [whole[start:end] for start, end in bounds]
        assert events_of(pieces) == events_of(whole)

    def test_snapshot_still_deduplicated(self) -> None:
        """Without the text kept, the snapshot of streamed text is still recognised."""
        events = events_of("".join(text_messages(3, "partial+snapshot")))
        texts = [e for e in events if isinstance(e, Text)]
        assert len(texts) == 6  # two deltas per message, no snapshot repeated
        assert [e.kind for e in events].count("text_end") == 3


# --------------------------------------------------------------------------- print_stream


class Chunks(io.RawIOBase):
    """A pipe-like source: ``read1`` hands out one chunk per call and notes what was printed."""

    def __init__(self, chunks: list[bytes], out: io.StringIO) -> None:
        super().__init__()
        self.chunks = list(chunks)
        self.out = out
        self.seen: list[str] = []

    def read1(self, size: int = -1) -> bytes:
        self.seen.append(self.out.getvalue())
        return self.chunks.pop(0) if self.chunks else b""

    def read(self, size: int = -1) -> bytes:  # pragma: no cover - read1 must be used
        raise AssertionError("read1 is the call that returns what is available")


def printed(data: bytes | str, *, as_json: bool = False, max_line: int | None = None) -> str:
    out = io.StringIO()
    raw = data.encode() if isinstance(data, str) else data
    print_stream(io.BytesIO(raw), out, as_json=as_json, max_line=max_line)
    return out.getvalue()


def strict_records(text: str) -> list[dict[str, Any]]:
    """Each output line as a JSON object, checking that it is one strict JSON line."""

    def refuse(constant: str) -> Any:
        raise AssertionError(f"{constant} is not JSON")

    records = []
    for record_line in text.split("\n")[:-1]:
        assert record_line.splitlines() == [record_line], repr(record_line)
        records.append(json.loads(record_line, parse_constant=refuse))
    assert text.endswith("\n") or not text
    return records


class TestPrintStream:
    """print_stream reads as data arrives, prints, flushes, and raises only OSError."""

    def test_prints_each_chunk_before_reading_the_next(self) -> None:
        """Events of a chunk are on the output when the next read starts."""
        out = io.StringIO()
        first = assistant(tool_use("t1", "Bash", command="ls")).encode()
        source = Chunks([first, result("t1").encode()], out)
        print_stream(source, out, as_json=False)  # type: ignore[arg-type]
        assert "> Bash [t1] started" in source.seen[1]
        assert "< Bash [t1] ok" not in source.seen[1]
        assert "< Bash [t1] ok" in out.getvalue()

    def test_json_records(self) -> None:
        """One record per event, with exactly the documented fields."""
        records = strict_records(printed(STREAM, as_json=True))
        fields = {
            "session_started": {"session_id", "model", "cwd"},
            "text": {"text", "parent_tool_id"},
            "text_end": {"parent_tool_id"},
            "tool_started": {"tool_id", "name", "parent_tool_id", "input"},
            "tool_input_ready": {"tool_id", "name", "input"},
            "tool_finished": {
                "tool_id",
                "name",
                "parent_tool_id",
                "is_error",
                "duration_s",
                "preview",
            },
            "tool_abandoned": {"tool_id", "name"},
            "turn_result": {"subtype", "is_error", "duration_ms", "cost_usd", "num_turns"},
            "malformed": {"reason", "excerpt"},
        }
        for record in records:
            assert set(record) == {"event", "line"} | fields[record["event"]], record
        assert [r["event"] for r in records] == [
            "session_started",
            "text",
            "text_end",
            "tool_started",
            "tool_input_ready",
            "malformed",
            "tool_finished",
            "tool_started",
            "tool_input_ready",
            "turn_result",
            "malformed",
            "tool_abandoned",
        ]

    def test_every_record_is_one_strict_line(self) -> None:
        """No NaN/Infinity, and no character any line splitter breaks on, in any record."""
        breakers = "\u2028\u2029\x85\x1c\x1d\x1e\x0b\x0c\r"
        nasty = f"a{breakers}b"
        tool_input = {"a": math.nan, "b": math.inf, "c": -math.inf, "d": "BIG", "e": nasty}
        call = {"type": "tool_use", "id": "t" + nasty, "name": "N" + nasty, "input": tool_input}
        message = {"type": "assistant", "message": {"id": "m", "content": [call]}}
        # Raw U+2028/U+0085 inside the input's strings, NaN/Infinity/1e999 as bare tokens.
        first = json.dumps(message, ensure_ascii=False).replace('"BIG"', "1e999")
        assert "NaN" in first
        assert "\u2028" in first
        data = (
            first
            + "\n"
            + assistant({"type": "text", "text": nasty}, msg="m2")
            + result("t" + nasty, nasty)
            + line({"type": "result", "subtype": "success", "total_cost_usd": math.inf})
            + '{"type":"tool_progress","tool_use_id":"x","elapsed_time_seconds":NaN}\n'
            + "raw "
            + nasty
            + "\n"
        )
        records = strict_records(printed(data, as_json=True))
        started = next(r for r in records if r["event"] == "tool_started")
        assert started["tool_id"] == "t" + nasty  # the data is kept, escaped
        assert started["input"] == {"a": None, "b": None, "c": None, "d": None, "e": nasty}
        assert next(r for r in records if r["event"] == "text")["text"] == nasty
        assert next(r for r in records if r["event"] == "turn_result")["cost_usd"] is None
        assert next(r for r in records if r["event"] == "tool_progress")["elapsed_s"] is None
        assert next(r for r in records if r["event"] == "malformed")["excerpt"].startswith("raw a")

    def test_lone_surrogates_and_c1_are_escaped(self) -> None:
        """A record never holds a raw lone surrogate (unwritable) or a C1 control (\\x9b)."""
        data = assistant({"type": "text", "text": "\ud800 and \x9b31m"}).replace("\\u009b", "\x9b")
        text = printed(data, as_json=True)
        assert "\\ud800" in text
        assert "\\u009b" in text
        assert strict_records(text)[0]["text"] == "\ud800 and \x9b31m"

    def test_ascii_output(self) -> None:
        """An output that cannot encode the text gets ASCII records and replaced human text."""
        data = assistant({"type": "text", "text": "héllo ✓ \ud800"})
        for as_json in (True, False):
            buffer = io.BytesIO()
            out = io.TextIOWrapper(buffer, encoding="ascii")
            print_stream(io.BytesIO(data.encode()), out, as_json=as_json)
            text = buffer.getvalue().decode("ascii")
            if as_json:
                assert strict_records(text)[0]["text"] == "héllo ✓ \ud800"
            else:
                assert "h?llo ? ?" in text

    @pytest.mark.parametrize("error", [BrokenPipeError(32, "Broken pipe"), OSError(28, "full")])
    def test_output_errors_propagate(self, error: OSError) -> None:
        """A closed or full output is the caller's to report: the OSError comes out as is."""

        class Failing(io.StringIO):
            def write(self, text: str) -> int:
                raise error

        with pytest.raises(OSError, match=error.strerror) as caught:
            print_stream(io.BytesIO(STREAM), Failing(), as_json=True)
        assert caught.value is error

    def test_max_line(self) -> None:
        """The line limit is the caller's; a longer line is one malformed record."""
        first = result("x")
        assert len(first) < 200
        records = strict_records(printed(first + "x" * 500 + "\n", as_json=True, max_line=200))
        assert [(r["event"], r["line"]) for r in records] == [
            ("tool_finished", 1),
            ("malformed", 2),
        ]

    @given(st.binary(max_size=1500), st.booleans())
    def test_arbitrary_bytes(self, data: bytes, as_json: bool) -> None:
        """Any bytes: no exception, and in JSON mode every line a strict JSON object."""
        text = printed(data, as_json=as_json)
        if as_json:
            strict_records(text)
        else:
            assert not [ch for ch in text if unicodedata.category(ch) == "Cc" and ch != "\n"]

    def test_deep_nesting(self) -> None:
        """Input nested deeper than JSON can decode is one malformed record per line."""
        data = "[" * 100_000 + "\n" + '{"a":' * 100_000 + "\n"
        records = strict_records(printed(data, as_json=True))
        assert [(r["line"], r["reason"]) for r in records] == [
            (1, "not JSON"),
            (2, "JSON nested too deeply"),
        ]


# --------------------------------------------------------------------------- human lines


def human(data: str) -> list[str]:
    """The human lines, durations replaced by <s>."""
    return re.sub(r" \d+\.\d\ds:", " <s>:", printed(data)).splitlines()


def text_delta(text: str, index: int = 0) -> dict[str, Any]:
    return {
        "type": "content_block_delta",
        "index": index,
        "delta": {"type": "text_delta", "text": text},
    }


TEXT_BLOCK = {"type": "text", "text": ""}


class TestHumanLines:
    """What a person reads in a terminal."""

    @pytest.mark.parametrize("framing", ["partial", "raw"])
    def test_streamed_text_in_whole_lines(self, framing: str) -> None:
        """Deltas are joined into lines; each block ends its line (no gluing of blocks)."""
        api_events: list[dict[str, Any]] = [
            {"type": "message_start", "message": {"id": "m1"}},
            {"type": "content_block_start", "index": 0, "content_block": TEXT_BLOCK},
            text_delta("Wri"),
            text_delta("te the lo"),
            text_delta("ader\nthen "),
            text_delta("test it"),
            {"type": "content_block_stop", "index": 0},
            {"type": "content_block_start", "index": 1, "content_block": TEXT_BLOCK},
            text_delta("All assigned ", 1),
            text_delta("tasks done", 1),
            {"type": "content_block_stop", "index": 1},
            {"type": "message_stop"},
            {"type": "message_start", "message": {"id": "m2"}},
            {"type": "content_block_start", "index": 0, "content_block": TEXT_BLOCK},
            text_delta("cut off before its end"),
        ]
        if framing == "partial":
            data = "".join(partial(e) for e in api_events)
        else:
            data = "".join(f"data: {json.dumps(e)}\n\n" for e in api_events)
        assert human(data) == [
            "  Write the loader",
            "  then test it",
            "  All assigned tasks done",
            "  cut off before its end",
        ]

    def test_finish_lines_name_the_tool(self) -> None:
        """Start and finish lines carry the tool's name and a short id."""
        data = (
            assistant(tool_use("toolu_01AAAAAAAAaaaaaa", "Bash", command="ls"))
            + assistant(tool_use("toolu_01BBBBBBBBbbbbbb", "Read", file_path="a"))
            + result("toolu_01BBBBBBBBbbbbbb", "second")
            + result("toolu_01AAAAAAAAaaaaaa", "first", error=True)
        )
        assert human(data) == [
            "> Bash [aaaaaa] started",
            '  Bash [aaaaaa] input: {"command": "ls"}',
            "> Read [bbbbbb] started",
            '  Read [bbbbbb] input: {"file_path": "a"}',
            "< Read [bbbbbb] ok <s>: second",
            "< Bash [aaaaaa] error <s>: first",
        ]

    def test_progress_names_the_tool_at_most_every_ten_seconds(self) -> None:
        """No '0s' lines, no line per heartbeat: one per ten seconds, with the name."""
        beats = [0, 3, 9.9, 10, 12, 19.9, 20.5, 35, None]
        data = assistant(tool_use("t1", "Bash")) + "".join(
            line({"type": "tool_progress", "tool_use_id": "t1", "elapsed_time_seconds": beat})
            for beat in beats
        )
        progress = [text for text in human(data) if "still running" in text]
        assert progress == [
            "  ... Bash [t1] still running 10s",
            "  ... Bash [t1] still running 20s",
            "  ... Bash [t1] still running 35s",
        ]

    def test_session_header_once(self) -> None:
        """The init line that Claude Code repeats each turn is shown once per session."""
        data = init("2.1.3", "a") + init("2.1.3", "a") + init("2.1.3", "b") + init("2.1.3", "a")
        assert human(data) == ["session a (None) in None", "session b (None) in None"]

    def test_subagents_indented_by_depth(self) -> None:
        """Each level of subagent nesting indents one more step."""
        data = (
            assistant(tool_use("a", "Agent"))
            + assistant(tool_use("b", "Agent"), parent="a")
            + assistant(tool_use("c", "Bash"), parent="b")
            + assistant({"type": "text", "text": "deep"}, msg="m2", parent="c")
            + result("c", parent="b")
            + result("b", parent="a")
            + result("a")
        )
        starts_and_ends = [text for text in human(data) if "input:" not in text]
        assert starts_and_ends == [
            "> Agent [a] started",
            "    > Agent [b] started",
            "        > Bash [c] started",
            "              deep",
            "        < Bash [c] ok <s>: ok",
            "    < Agent [b] ok <s>: ok",
            "< Agent [a] ok <s>: ok",
        ]

    def test_escapes_never_reach_the_terminal(self) -> None:
        """ANSI/OSC sequences and control characters are stripped; JSON mode keeps the data."""
        evil = "\x1b]52;c;ZXZpbA==\x07\x1b[2J\x9b31m\x1b(Bbad\rwork\u202e\x00\x1b"
        data = (
            assistant(tool_use("t1", "Ba\x1b[5msh", command=evil))
            + assistant({"type": "text", "text": "say " + evil}, msg="m2")
            + result("t1", evil, error=True)
            + "plain "
            + evil
            + "\n"
        ).replace("\\u009b", "\x9b")
        text = re.sub(r" \d+\.\d\ds:", " <s>:", printed(data))
        assert not [ch for ch in text if unicodedata.category(ch) == "Cc" and ch != "\n"]
        assert "\u202e" not in text
        # The input is shown as JSON, so its escapes are visible text (\\u001b), harmless;
        # everywhere else the sequences are gone, parameters included.
        shown = [text_line for text_line in text.splitlines() if "input:" not in text_line]
        assert shown == [
            "> Bash [t1] started",
            "  say bad work",
            "< Bash [t1] error <s>: bad work",
            "malformed line 4: not JSON: plain bad work",
        ]
        records = strict_records(printed(data, as_json=True))
        assert next(r for r in records if r["event"] == "tool_started")["input"]["command"] == evil

    def test_describe_alone(self) -> None:
        """describe() gives the line of one event without state."""
        assert describe(ToolProgress(3, "toolu_123456789", 12.4)) == (
            "  ... [456789] still running 12s"
        )
        assert describe(TextEnd(1, None)) == ""
        waiting = Waiting(1, "api_retry", "overloaded (HTTP 529)", 4.0, None, 2, 10)
        assert describe(waiting) == "waiting (api retry 2/10, next in 4.0s): overloaded (HTTP 529)"
        limit = Waiting(1, "rate_limit", "five_hour limit: rejected", None, 0.0, None, None)
        assert describe(limit) == (
            "waiting (rate limit, resets 1970-01-01 00:00 UTC): five_hour limit: rejected"
        )

    def test_printable(self) -> None:
        """The terminal-safe line: sequences removed, breaks made spaces, tabs kept."""
        assert printable("\x1b[1;31mred\x1b[0m\tok\u2028next\x85end\ud800") == (
            "red\tok next end\ufffd"
        )
        assert printable("plain") == "plain"


class TestCallbacks:
    """The callback adapter."""

    def test_callbacks(self) -> None:
        """Each callback sees its kind of event."""
        seen: list[str] = []
        callbacks = Callbacks(
            on_tool_start=lambda e: seen.append(f"start {e.name}"),
            on_tool_end=lambda e: seen.append(f"end {e.name}"),
            on_text=lambda e: seen.append(f"text {e.text}"),
            on_result=lambda e: seen.append(f"result {e.subtype}"),
        )
        callbacks.dispatch(events_of(STREAM))
        assert seen == [
            "text héllo \u2028 wörld ✓",
            "start Bash",
            "end Bash",
            "start Read",
            "result success",
            "end Read",
        ]
