"""decode + summarize + encode against bare json.loads + json.dumps of the same document."""

from __future__ import annotations

import json

from statuskit import decode, encode, summarize
from statuskit.codec import dumps

from ._util import realistic_plan, sample, stats_row, table

SIZES = (10, 100, 1_000, 10_000)


def run(quick: bool = False) -> str:
    rows = []
    for n in SIZES:
        status = realistic_plan(n)
        text = dumps(status)
        repeat = 30 if n >= 10_000 else 200
        if quick:
            repeat = max(5, repeat // 10)

        def floor() -> None:
            json.dumps(json.loads(text))

        def full() -> None:
            value = decode(json.loads(text))
            summarize(value.tasks)
            dumps(value)

        def decode_only() -> None:
            decode(json.loads(text))

        def encode_only() -> None:
            json.dumps(encode(status))

        floor_t = sample(floor, repeat=repeat)
        full_t = sample(full, repeat=repeat)
        dec_t = sample(decode_only, repeat=repeat)
        enc_t = sample(encode_only, repeat=repeat)
        ratio = sorted(full_t)[len(full_t) // 2] / sorted(floor_t)[len(floor_t) // 2]
        rows.append(
            [
                f"{n:,}",
                *stats_row(floor_t),
                *stats_row(full_t),
                f"{ratio:.1f}x",
                stats_row(dec_t)[0],
                stats_row(enc_t)[0],
            ]
        )
    return table(
        [
            "tasks",
            "floor p50",
            "p90",
            "p99",
            "statuskit p50",
            "p90",
            "p99",
            "ratio (p50)",
            "decode p50",
            "encode p50",
        ],
        rows,
    )
