"""parse_plan on the largest real plan and on a generated 10,000-task plan."""

from __future__ import annotations

import statistics
from functools import partial
from pathlib import Path

from statuskit.planfile import parse_plan

from ._util import ms, percentile, sample, table

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


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
    for name, text in cases:
        plan = parse_plan(text)
        repeat = 5 if quick else (20 if len(plan.tasks) > 1000 else 200)
        times = sample(partial(parse_plan, text), repeat=repeat)
        rate = len(plan.tasks) / statistics.median(times)
        rows.append(
            [
                name,
                f"{len(text.splitlines()):,}",
                f"{len(plan.tasks):,}",
                ms(statistics.median(times)),
                ms(percentile(times, 90)),
                f"{rate:,.0f}",
            ]
        )
    return table(["plan", "lines", "tasks", "p50 ms", "p90 ms", "tasks/s"], rows)
