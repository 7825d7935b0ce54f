"""Stream parsing: events/s against bare json.loads, cost per open tool, and flat memory.

* throughput: a realistic Claude Code session fed in 64 KiB chunks, against ``json.loads`` of
  the same lines in the same run;
* open tools: n tools started, their results coming back newest first (the order that made a
  list-based parser quadratic); time per tool must not grow with n;
* memory: each stream kind fed through one parser in a fresh process, the process's resident
  set read at 10 %, 50 % and 100 % of the input; it must stay flat.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from statuskit.stream import StreamParser

from ._util import ms, table

ROOT = Path(__file__).resolve().parents[1]
CHUNK = 65536


def realistic_lines(turns: int, start: int = 0) -> list[bytes]:
    """A Claude Code session: init, text, tool calls with partial input, results, result."""
    lines: list[dict[str, Any]] = [
        {"type": "system", "subtype": "init", "session_id": "s", "model": "m", "cwd": "/w"}
    ]
    for turn in range(start, start + turns):
        message = f"msg_{turn}"
        tool = f"toolu_{turn:06d}"
        lines += [
            {
                "type": "stream_event",
                "event": {"type": "message_start", "message": {"id": message}},
            },
            {
                "type": "stream_event",
                "event": {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "tool_use", "id": tool, "name": "Bash", "input": {}},
                },
            },
            *(
                {
                    "type": "stream_event",
                    "event": {
                        "type": "content_block_delta",
                        "index": 0,
                        "delta": {"type": "input_json_delta", "partial_json": part},
                    },
                }
                for part in ('{"command": "pytest -q ', f'tests/test_{turn}.py"', "}")
            ),
            {"type": "stream_event", "event": {"type": "content_block_stop", "index": 0}},
            {
                "type": "assistant",
                "message": {
                    "id": message,
                    "content": [
                        {
                            "type": "tool_use",
                            "id": tool,
                            "name": "Bash",
                            "input": {"command": f"pytest -q tests/test_{turn}.py"},
                        }
                    ],
                },
            },
            {"type": "stream_event", "event": {"type": "message_stop"}},
            {
                "type": "user",
                "message": {
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_use_id": tool,
                            "content": "." * 40 + f"\n{turn} passed in 0.12s",
                            "is_error": False,
                        }
                    ]
                },
            },
            {
                "type": "assistant",
                "message": {
                    "id": message + "t",
                    "content": [
                        {"type": "text", "text": f"Test {turn} passes; moving on to the next file."}
                    ],
                },
            },
        ]
    lines.append({"type": "result", "subtype": "success", "is_error": False, "num_turns": turns})
    return [json.dumps(line).encode() + b"\n" for line in lines]


def _text_events(messages: int, start: int) -> Iterator[dict[str, Any]]:
    """Messages of streamed text, ~1 KiB each, as Messages API events."""
    for index in range(start, start + messages):
        words = f"Message {index}: " + "the parser keeps no streamed text. " * 30
        yield {"type": "message_start", "message": {"id": f"msg_{index:09d}"}}
        yield {"type": "content_block_start", "index": 0, "content_block": {"type": "text"}}
        for offset in range(0, len(words), 64):
            piece = words[offset : offset + 64]
            delta = {"type": "text_delta", "text": piece}
            yield {"type": "content_block_delta", "index": 0, "delta": delta}
        yield {"type": "content_block_stop", "index": 0}
        yield {"type": "message_delta", "delta": {"stop_reason": "end_turn"}}
        yield {"type": "message_stop"}


def raw_sse(messages: int, start: int) -> bytes:
    """Raw Messages API server-sent events (``event:``/``data:`` framing)."""
    return "".join(
        f"event: {event['type']}\ndata: {json.dumps(event)}\n\n"
        for event in _text_events(messages, start)
    ).encode()


def partial_messages(messages: int, start: int) -> bytes:
    """Claude Code ``--include-partial-messages`` lines, without the snapshots."""
    return "".join(
        json.dumps({"type": "stream_event", "event": event, "parent_tool_use_id": None}) + "\n"
        for event in _text_events(messages, start)
    ).encode()


def session(messages: int, start: int) -> bytes:
    return b"".join(realistic_lines(messages // 4, start))


KINDS: dict[str, tuple[str, Callable[[int, int], bytes]]] = {
    "session": ("Claude Code session (partial messages + snapshots, tools)", session),
    "raw-sse": ("raw Messages API SSE, text", raw_sse),
    "partial": ("partial messages (stream_event), text, no snapshots", partial_messages),
}


def throughput(quick: bool) -> list[str]:
    lines = realistic_lines(2_000 if quick else 20_000)
    data = b"".join(lines)
    texts = [line.decode() for line in lines]
    floors, ours, counts = [], [], []
    for _ in range(3 if quick else 7):
        started = time.perf_counter()
        for text in texts:
            json.loads(text)
        floors.append(time.perf_counter() - started)
        parser = StreamParser()
        started = time.perf_counter()
        events = 0
        for start in range(0, len(data), CHUNK):
            events += len(parser.feed(data[start : start + CHUNK]))
        events += len(parser.close())
        ours.append(time.perf_counter() - started)
        counts.append(events)
    floor, mine = statistics.median(floors), statistics.median(ours)
    return [
        f"{len(lines):,} lines, {len(data) / 2**20:.1f} MiB",
        f"{counts[0]:,}",
        f"{len(lines) / floor:,.0f}",
        f"{len(lines) / mine:,.0f}",
        f"{counts[0] / mine:,.0f}",
        f"{mine / floor:.2f}",
        ms(mine),
    ]


def reversed_tools(count: int) -> list[bytes]:
    """``count`` tool calls, then their results newest first."""
    starts = [
        json.dumps(
            {
                "type": "assistant",
                "message": {
                    "id": f"msg_{index}",
                    "content": [
                        {
                            "type": "tool_use",
                            "id": f"toolu_{index:08d}",
                            "name": "Bash",
                            "input": {},
                        }
                    ],
                },
            }
        )
        for index in range(count)
    ]
    results = [
        json.dumps(
            {
                "type": "user",
                "message": {
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_use_id": f"toolu_{index:08d}",
                            "content": "ok",
                        }
                    ]
                },
            }
        )
        for index in reversed(range(count))
    ]
    return [(text + "\n").encode() for text in starts + results]


def open_tools(count: int, quick: bool) -> list[str]:
    lines = reversed_tools(count)
    data = b"".join(lines)
    floors, ours = [], []
    for _ in range(1 if quick else 3):
        started = time.perf_counter()
        for text in lines:
            json.loads(text)
        floors.append(time.perf_counter() - started)
        parser = StreamParser()
        started = time.perf_counter()
        finished = 0
        for start in range(0, len(data), CHUNK):
            events = parser.feed(data[start : start + CHUNK])
            finished += sum(event.kind == "tool_finished" for event in events)
        parser.close()
        ours.append(time.perf_counter() - started)
        assert finished == count, finished
    floor, mine = statistics.median(floors), statistics.median(ours)
    return [
        f"{count:,}",
        f"{len(lines):,}",
        ms(floor),
        ms(mine),
        f"{mine / count * 1e6:.1f}",
        f"{mine / floor:.2f}",
    ]


def _resident_mib() -> float:
    """The current resident set (Linux ``/proc``), else the peak (``ru_maxrss``)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:  # pragma: no cover - not Linux
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def memory_child(kind: str, total: int) -> None:
    """In a fresh process: feed ``total`` bytes of ``kind`` to one parser; print RSS as JSON."""
    make = KINDS[kind][1]
    parser = StreamParser()
    fed = events = elapsed = 0.0
    marks: dict[str, float] = {}
    batch = 400  # messages per generated block (~0.5 MiB)
    start = 0
    while fed < total:
        block = make(batch, start)  # distinct message and tool ids all the way
        start += batch
        began = time.perf_counter()
        for offset in range(0, len(block), CHUNK):
            events += len(parser.feed(block[offset : offset + CHUNK]))
        elapsed += time.perf_counter() - began
        fed += len(block)
        for share in (0.1, 0.5):
            if f"{share}" not in marks and fed >= total * share:
                marks[f"{share}"] = _resident_mib()
    events += len(parser.close())
    marks["1.0"] = _resident_mib()
    print(json.dumps({"fed": fed, "events": events, "elapsed": elapsed, "rss": marks}))


def memory(kind: str, quick: bool) -> list[str]:
    total = (64 if quick else 1024) * 2**20
    code = f"from benchmarks.bench_stream import memory_child; memory_child({kind!r}, {total})"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    found = json.loads(done.stdout)
    rss = found["rss"]
    return [
        KINDS[kind][0],
        f"{found['fed'] / 2**30:.2f} GiB",
        f"{found['events']:,.0f}",
        f"{found['fed'] / 2**20 / found['elapsed']:,.0f}",
        f"{rss['0.1']:.0f}",
        f"{rss['0.5']:.0f}",
        f"{rss['1.0']:.0f}",
        f"{rss['1.0'] - rss['0.1']:+.1f}",
    ]


def run(quick: bool = False) -> dict[str, str]:
    return {
        "stream-throughput": table(
            [
                "input",
                "events",
                "json.loads lines/s (floor)",
                "statuskit lines/s",
                "events/s",
                "ratio (time)",
                "statuskit p50 ms",
            ],
            [throughput(quick)],
        ),
        "stream-tools": table(
            [
                "open tools (finished newest first)",
                "lines",
                "json.loads ms (floor)",
                "statuskit ms",
                "µs per tool",
                "ratio (time)",
            ],
            [open_tools(count, quick) for count in (10_000, 40_000, 100_000)],
        ),
        "stream-memory": table(
            [
                "stream",
                "input",
                "events",
                "MiB/s",
                "RSS at 10% (MiB)",
                "at 50%",
                "at 100%",
                "growth 10%→100% (MiB)",
            ],
            [memory(kind, quick) for kind in KINDS],
        ),
    }
