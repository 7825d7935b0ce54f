"""CLI start-up against the replaced JavaScript CLI, measured the same way in the same run.

The replaced tool's `scripts/status-cli.js` is not part of statuskit. To include it, put a
checkout of it (with its `npm install` done) somewhere and point ``STATUSKIT_OLD_CLI`` at
`status-cli.js`; without it the table has statuskit and the two interpreter floors only.
Both tools run on copies of one 100-task plan in the same folder layout
(`.claude/current-plan.txt`, `docs/plan-outputs/<plan>/status.json`), which they share.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from statuskit import JsonFileStore

from ._util import ms, percentile, realistic_plan, table

RUNS = 30


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # byte-code cached, as for an installed package
    return env


def _project(folder: Path, n: int) -> list[str]:
    """A folder with a plan pointer and a status both tools accept; pending task ids."""
    (folder / ".claude").mkdir(parents=True)
    (folder / "docs" / "plans").mkdir(parents=True)
    (folder / "docs" / "plans" / "bench.md").write_text("# Bench\n")
    (folder / ".claude" / "current-plan.txt").write_text("docs/plans/bench.md\n")
    plan = realistic_plan(n)
    JsonFileStore(folder / "docs" / "plan-outputs" / "bench" / "status.json").create(plan)
    return [t.id for t in plan.tasks if t.status.value == "pending"]


def _time(argv: list[str], cwd: Path, runs: int) -> list[float]:
    env = _env()
    subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)
        times.append(time.perf_counter() - started)
    return times


def _completions(prefix: list[str], ids: list[str], cwd: Path) -> list[float]:
    env = _env()
    times = []
    for task_id in ids:
        started = time.perf_counter()
        done = subprocess.run(
            [*prefix, "mark-complete", task_id, "--notes", "bench"],
            cwd=cwd,
            env=env,
            capture_output=True,
            check=False,
        )
        times.append(time.perf_counter() - started)
        assert done.returncode == 0, done.stdout[-300:]
    return times


def _statuskit() -> list[str]:
    script = shutil.which("statuskit", path=os.path.dirname(sys.executable))
    return [script] if script else [sys.executable, "-m", "statuskit"]


def imports() -> str:
    """The largest imports of `statuskit mark-complete` (`-X importtime`, min of 10 runs)."""
    best: dict[str, tuple[int, int]] = {}
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        ids = _project(folder, 100)
        for task_id in ids[:10]:
            done = subprocess.run(
                [sys.executable, "-X", "importtime", *_statuskit(), "mark-complete", task_id],
                cwd=folder,
                env=_env(),
                capture_output=True,
                text=True,
                check=False,
            )
            for line in done.stderr.splitlines():
                match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|\s*(\S+)", line)
                if match:
                    own, total, module = int(match[1]), int(match[2]), match[3]
                    old = best.get(module)
                    best[module] = (min(own, old[0]), min(total, old[1])) if old else (own, total)
    roots = ["attrs", "typing", "re", "enum", "argparse", "json", "datetime", "statuskit"]
    rows = [[name, f"{best[name][1] / 1000:.1f}"] for name in roots if name in best]
    own = sum(v[0] for k, v in best.items() if k.startswith("statuskit"))
    rows.append(["statuskit's own modules (self time)", f"{own / 1000:.1f}"])
    rows.append(["every import (self time)", f"{sum(v[0] for v in best.values()) / 1000:.1f}"])
    return table(["import (cumulative, -X importtime)", "ms"], rows)


def run(quick: bool = False) -> dict[str, str]:
    runs = 8 if quick else RUNS
    old_cli = os.environ.get("STATUSKIT_OLD_CLI")
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory() as name:
        root = Path(name)
        ours, theirs = root / "statuskit", root / "old"
        ours_ids, theirs_ids = _project(ours, 100), _project(theirs, 100)
        results: dict[str, list[float]] = {
            "python -c pass": _time([sys.executable, "-c", "pass"], root, runs),
        }
        if shutil.which("node"):
            results["node -e 0"] = _time(["node", "-e", "0"], root, runs)
        if old_cli:
            old = ["node", old_cli]
            results["old CLI status"] = _time([*old, "status"], theirs, runs)
            results["old CLI mark-complete"] = _completions(old, theirs_ids[:runs], theirs)
        results["statuskit status"] = _time([*_statuskit(), "status"], ours, runs)
        results["statuskit mark-complete"] = _completions(_statuskit(), ours_ids[:runs], ours)
    for label, times in results.items():
        against = ""
        kind = label.rsplit(" ", 1)[-1]
        if label.startswith("statuskit") and f"old CLI {kind}" in results:
            ratio = statistics.median(times) / statistics.median(results[f"old CLI {kind}"])
            against = f"{ratio:.2f}"
        rows.append(
            [
                label,
                ms(statistics.median(times)),
                ms(percentile(times, 90)),
                ms(max(times)),
                against,
            ]
        )
    note = "" if old_cli else "\n\n(STATUSKIT_OLD_CLI not set: the replaced CLI was not measured.)"
    return {
        "startup": table(
            ["command (100-task plan)", "median ms", "p90 ms", "max ms", "ratio to the old CLI"],
            rows,
        )
        + note,
        "startup-imports": imports(),
    }
