"""loads + summarize + dumps against bare json.loads + json.dumps of the same document.

A second table prices strict output: escaping what ``str.splitlines`` splits on and lone
surrogates (:func:`statuskit._jsontext.escape`), on ASCII text and on non-ASCII text, and
``dumps_line`` against ``json.dumps`` for a CLI-sized document.
"""

from __future__ import annotations

import functools
import json
import statistics

import attrs

from statuskit import PlanStatus, encode, summarize
from statuskit._jsontext import escape
from statuskit.codec import dumps, dumps_line, encode_task, loads

from ._util import ms, realistic_plan, sample, stats_row, table

SIZES = (10, 100, 1_000, 10_000)


def run(quick: bool = False) -> str:
    return codec_table(quick) + "\n\n" + strict_output_table(quick)


def _non_ascii(status: PlanStatus) -> PlanStatus:
    """The same plan with accents and arrows in every description (text stored as UCS-2)."""
    tasks = tuple(
        attrs.evolve(task, description=task.description + " — étape → suivante")
        for task in status.tasks
    )
    return attrs.evolve(status, tasks=tasks)


def strict_output_table(quick: bool = False) -> str:
    """What the escaping costs: its share of dumps, ASCII and non-ASCII; dumps_line vs json."""
    rows = []
    for n in SIZES[1:]:
        repeat = 30 if n >= 10_000 else 200
        if quick:
            repeat = max(5, repeat // 10)
        plain = realistic_plan(n)
        for label, status in (("ASCII", plain), ("non-ASCII", _non_ascii(plain))):
            whole = sample(functools.partial(dumps, status), repeat=repeat)
            part = sample(functools.partial(escape, dumps(status)), repeat=repeat)
            share = statistics.median(part) / statistics.median(whole)
            rows.append([f"{n:,}", label, stats_row(whole)[0], stats_row(part)[0], f"{share:.1%}"])
    doc = {"ok": True, "task": encode_task(_non_ascii(realistic_plan(1)).tasks[0])}
    base = sample(lambda: json.dumps(doc, ensure_ascii=False), repeat=2000)
    line = sample(lambda: dumps_line(doc), repeat=2000)
    rows.append(
        [
            "CLI document",
            "non-ASCII",
            f"json.dumps {ms(statistics.median(base))}",
            f"dumps_line {ms(statistics.median(line))}",
            f"{statistics.median(line) / statistics.median(base):.2f}x",
        ]
    )
    return "Strict output (milliseconds, p50):\n\n" + table(
        ["tasks", "text", "dumps p50", "escape p50", "escape share"], rows
    )


def codec_table(quick: bool = False) -> str:
    """decode + summarize + dumps against the json.loads + json.dumps floor."""
    rows = []
    for n in SIZES:
        status = realistic_plan(n)
        text = dumps(status)
        repeat = 30 if n >= 10_000 else 200
        if quick:
            repeat = max(5, repeat // 10)

        def floor() -> None:
            json.dumps(json.loads(text))

        def full() -> None:  # what a store does: strict parse + decode, summary, dumps
            value = loads(text)
            summarize(value.tasks)
            dumps(value)

        def decode_only() -> None:
            loads(text)

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
