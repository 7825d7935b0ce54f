"""Stream parsing: events/s against bare json.loads, and memory on a 1 GiB stream."""

from __future__ import annotations

import json
import resource
import statistics
import time
from collections.abc import Iterator
from typing import Any

from statuskit.stream import StreamParser

from ._util import ms, table


def realistic_lines(turns: int) -> list[bytes]:
    """A Claude Code session: init, text, tool calls with partial input, results, result."""
    lines: list[dict[str, Any]] = [
        {"type": "system", "subtype": "init", "session_id": "s", "model": "m", "cwd": "/w"}
    ]
    for turn in range(turns):
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
        for start in range(0, len(data), 65536):
            events += len(parser.feed(data[start : start + 65536]))
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


def _chunks(total: int, block: bytes) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield block
        sent += len(block)


def memory(quick: bool) -> list[str]:
    total = (64 if quick else 1024) * 2**20
    block = b"".join(realistic_lines(500))
    parser = StreamParser()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    events = 0
    peaks = []
    for index, chunk in enumerate(_chunks(total, block)):
        for start in range(0, len(chunk), 65536):
            events += len(parser.feed(chunk[start : start + 65536]))
        if index % 200 == 0:
            peaks.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    events += len(parser.close())
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return [
        f"{total / 2**30:.2f} GiB",
        f"{events:,}",
        f"{total / 2**20 / elapsed:,.0f}",
        f"{before / 1024:.0f}",
        f"{after / 1024:.0f}",
        f"{(after - before) / 1024:.1f}",
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
        "stream-memory": table(
            [
                "stream",
                "events",
                "MiB/s",
                "max RSS before (MiB)",
                "max RSS after (MiB)",
                "growth (MiB)",
            ],
            [memory(quick)],
        ),
    }
