"""parse_plan on real, large and hostile plans, against a floor measured in the same run.

The floor is the least any line-based reader does: split the text into lines and strip each.
The hostile plans put a 100,000-character run inside each kind of line (the title pattern
this replaced took 18 s on a run of 2,000 spaces, and grew with its cube); the ratio to the
floor shows they cost what their length costs.
"""

from __future__ import annotations

import os
import statistics
from functools import partial
from pathlib import Path

from statuskit.planfile import parse_plan

from ._util import ms, percentile, sample, table

CORPUS = Path(
    os.environ.get("STATUSKIT_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus")
)
RUN = 100_000


def generated(tasks: int) -> str:
    lines = ["# Generated plan", ""]
    per_phase = 50
    for phase in range(1, tasks // per_phase + 1):
        lines += [f"## Phase {phase}: Phase {phase}", ""]
        if phase % 3 == 0:
            lines.append(
                f"**Execution Note:** Tasks {phase}.1-{phase}.5 are [SEQUENTIAL] - same file"
            )
        for index in range(1, per_phase + 1):
            dep = f" (depends: {phase}.{index - 1})" if index > 1 and index % 4 == 0 else ""
            lines.append(f"- [ ] {phase}.{index} Implement part {index} of phase {phase}{dep}")
            if index % 5 == 0:
                lines.append("  - a detail bullet")
        lines += ["", f"**VERIFY Phase {phase}:**", "- [ ] everything in the phase works", ""]
    return "\n".join(lines)


def hostile(run: str) -> str:
    """One long run inside a title, a phase heading, a task, a dependency and a note."""
    return "\n".join(
        [
            f"# a{run}b",
            f"## Phase 1: a{run}b",
            f"**Execution Note:** Tasks 1.1{run}x are [SEQUENTIAL] - {run}",
            f"- [ ] 1.1 a{run}b",
            f"- [ ] 1.2 b (depends: 1.1{run}x)",
            f"- [ ] 1.3 c (depends: {run}",
            f"- [ ] {run}",
            f"  - {run}",
            "",
        ]
    )


def _floor(text: str) -> None:
    for line in text.split("\n"):
        line.strip()


def run(quick: bool = False) -> str:
    rows = []
    cases: list[tuple[str, str]] = []
    plans = sorted((CORPUS / "plans").glob("*.md")) + sorted(
        (CORPUS / "plan-templates").glob("*.md")
    )
    if plans:
        largest = max(plans, key=lambda p: p.stat().st_size)
        cases.append((f"largest corpus plan ({largest.name})", largest.read_text()))
    cases.append(("generated, 10,000 tasks", generated(10_000)))
    for name, unit in [
        ("spaces", " "),
        ("dashes", "-"),
        ("dots and digits", "1."),
        ("brackets", "[ ]"),
    ]:
        filler = (unit * (RUN // len(unit) + 1))[:RUN]
        cases.append((f"hostile: 100,000-char runs of {name} in 8 lines", hostile(filler)))
    for name, text in cases:
        plan = parse_plan(text)
        big = len(text) > 100_000 or len(plan.tasks) > 1000
        repeat = 5 if quick else (20 if big else 200)
        times = sample(partial(parse_plan, text), repeat=repeat)
        floors = sample(partial(_floor, text), repeat=repeat)
        median, floor = statistics.median(times), statistics.median(floors)
        rows.append(
            [
                name,
                f"{len(text.splitlines()):,}",
                f"{len(text):,}",
                f"{len(plan.tasks):,}",
                ms(median),
                ms(percentile(times, 90)),
                ms(floor),
                f"{median / floor:,.0f}",
                f"{len(text) / median / 1e6:,.1f}",
            ]
        )
    return table(
        [
            "plan",
            "lines",
            "chars",
            "tasks",
            "p50 ms",
            "p90 ms",
            "floor p50 ms (split + strip)",
            "ratio to floor",
            "M chars/s",
        ],
        rows,
    )
