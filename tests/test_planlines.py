"""Plan lines: read the same as the patterns they replaced, and in linear time whatever they hold.

Time is checked honestly under load: each document goes to a worker subprocess that parses it,
and the test waits for the answer up to a budget hundreds of times the linear cost (a line of
~100,000 characters parses in milliseconds; the patterns this replaced took minutes to hours).
"""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from statuskit.planlines import heading, phase_heading, sequential_note, split_spec, strip_depends

# ---------------------------------------------------------------------- linear time

#: Seconds one document may take in the worker; a linear parse takes milliseconds.
BUDGET = 15.0
RUN = 100_000

WORKER = r"""
import json, sys
from statuskit.errors import PlanError
from statuskit.planfile import parse_plan

source, sink = sys.stdin.buffer, sys.stdout
while True:
    header = source.readline()
    if not header:
        break
    text = source.read(int(header)).decode("utf-8")
    try:
        plan = parse_plan(text)
    except PlanError as exc:
        sink.write(json.dumps({"error": str(exc)[:200]}) + "\n")
    else:
        sink.write(json.dumps({
            "title": plan.title,
            "phases": [[p.number, p.title] for p in plan.phases],
            "tasks": [[t.id, t.title, list(t.dependencies)] for t in plan.tasks],
            "groups": {t.id: t.sequential_group for t in plan.tasks if t.sequential_group},
            "codes": sorted({w.code for w in plan.warnings}),
        }) + "\n")
    sink.flush()
"""


class Worker:
    """A subprocess that parses the documents it is sent, one at a time."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
        )
        # The first answer includes the import: a deadline for start-up, not for parsing.
        self.parse("## Phase 1: warm-up\n- [ ] 1.1 up\n", budget=120.0)

    def stop(self) -> None:
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        assert proc.stdin is not None
        assert proc.stdout is not None
        proc.stdin.close()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()

    def parse(self, text: str, budget: float = BUDGET) -> dict[str, object]:
        """The worker's summary of the parse; fails the test past ``budget`` seconds."""
        if self.proc is None:
            self.start()
        assert self.proc is not None
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        data = text.encode("utf-8")
        started = time.monotonic()
        self.proc.stdin.write(b"%d\n" % len(data) + data)
        self.proc.stdin.flush()
        fd = self.proc.stdout.fileno()
        reply = b""
        while not reply.endswith(b"\n"):
            left = budget - (time.monotonic() - started)
            ready, _, _ = select.select([fd], [], [], max(0.0, left))
            if not ready:
                self.proc.kill()
                self.stop()
                pytest.fail(f"parse_plan took over {budget:.0f} s on a {len(text):,}-char plan")
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                pytest.fail("the parse worker died")
            reply += chunk
        result: dict[str, object] = json.loads(reply)
        return result


@pytest.fixture(scope="module")
def worker() -> Iterator[Worker]:
    """One worker for the module, stopped at the end (and restarted after a timeout)."""
    pool = Worker()
    try:
        yield pool
    finally:
        pool.stop()


# Runs of these, alone or mixed, are what made the old patterns backtrack: white space between
# lazy and greedy groups, the characters of ids and ranges, markers that open without closing.
UNITS = [
    " ",
    "\t",
    "\u00a0",
    "-",
    ".",
    "1",
    "1.",
    "1.1 ",
    "1.1-1.2 ",
    "[",
    "]",
    "[ ]",
    "#",
    " #",
    "*",
    "**",
    "(",
    ")",
    "(depends: ",
    "(depends on ",
    "`",
    "[SEQUENTIAL]",
    "are [SEQUENTIAL] ",
    " is ",
    " and ",
    ",",
    "Phase 1 ",
    "\u2013",
    "- [ ] ",
    "VERIFY ",
    "x ",
]
# Every kind of line, with the run ({F}) where it hurts most.
KINDS = [
    "# a{F}b",
    "#{F}",
    "## Phase 1: a{F}b",
    "### Phase 2{F}",
    "## a{F}b ##",
    "- [ ] 1.1 a{F}b",
    "- [ ] 1.1{F}",
    "- [ ]{F}x",
    "- [ ] a{F}b",
    "1. [ ] 1.5 a{F}b",
    "- [ ] **1.1{F}",
    "- [ ] 1.1 a (depends: 1.2{F})",
    "- [ ] 1.1 a (depends: {F}",
    "- [ ] 1.1 a (depends on {F}1.2)",
    "- [ ] 1.1 `{F}` (depends: 1.2)",
    "**Execution Note:** Tasks 1.1{F} are [SEQUENTIAL] - {F}",
    "**Execution Note:** Tasks {F}",
    "**Execution Note:** {F}[SEQUENTIAL]",
    "**VERIFY {F}**",
    "**VERIFY {F}",
    "- 1.1 a{F}b",
    "  - a{F}b",
    "```{F}\n- [ ] 1.9 fenced {F}\n```",
    "a{F}b",
]
# The document around the line: a phase with tasks before and after it.
AROUND = "## Phase 1: Setup\n\n- [ ] 1.2 Before\n{LINE}\n- [ ] 1.3 After (depends: 1.2)\n"


def _run(units: list[str], length: int) -> str:
    unit = "".join(units)
    return (unit * (length // len(unit) + 1))[:length]


class TestLinearTime:
    """Long runs inside every kind of line parse within a budget, and parse right."""

    @pytest.mark.parametrize(
        "line",
        [
            "# a" + " " * RUN + "b",  # the reported case: 2,000 spaces took 18 s
            "## Phase 1: a" + " " * RUN + "b",
            "- [ ] 1.1 a (depends: 1.2" + " " * RUN + "x)",
            "**Execution Note:** Tasks 1.1" + " " * RUN + "x are [SEQUENTIAL]",
            "**Execution Note:** Tasks 1.1 are [SEQUENTIAL]" + " " * RUN + "x",
            "- [ ] 1.1 a " + "(depends: " * (RUN // 10),
            "- [ ] 1.1 a " + "`x` " * (RUN // 4),
            "- [ ] 1.1 a (depends: 1.2-1.99999999999)",
            "- [ ] 1." + "1" * RUN + " a task id of 100,000 digits",
        ],
        ids=["title", "phase", "depends", "note-spec", "note-tail", "open", "code", "range", "id"],
    )
    def test_reported_cases(self, worker: Worker, line: str) -> None:
        """The cases that hung (or would allocate for ever) finish in milliseconds."""
        result = worker.parse(AROUND.replace("{LINE}", line))
        assert "error" not in result
        tasks = result["tasks"]
        assert isinstance(tasks, list)
        assert [t[0] for t in tasks][-1] == "1.3"

    @settings(max_examples=40, deadline=None)
    @given(
        kind=st.sampled_from(KINDS),
        units=st.lists(st.sampled_from(UNITS), min_size=1, max_size=3),
        length=st.integers(20_000, RUN),
    )
    @example(kind="# a{F}b", units=[" "], length=RUN)
    @example(
        kind="**Execution Note:** Tasks 1.1{F} are [SEQUENTIAL] - {F}", units=[" "], length=RUN
    )
    def test_long_runs(self, worker: Worker, kind: str, units: list[str], length: int) -> None:
        """Any run in any line: within budget, and the lines around it are still read."""
        run = _run(units, length)
        line = kind.replace("{F}", run)
        result = worker.parse(AROUND.replace("{LINE}", line))
        assert "error" not in result
        ids = [t[0] for t in result["tasks"]]  # type: ignore[attr-defined]
        assert ids[0] == "1.2"
        assert ids[-1] == "1.3"
        assert len(ids) == len(set(ids))
        plain = not any(c in run for c in "#()`*[]\u2013") and "depends" not in run
        if kind == "# a{F}b":
            assert result["title"] == f"a{run}b"
        if kind == "## Phase 1: a{F}b" and plain:
            assert result["phases"] == [["1", "Setup"], ["1", f"a{run}b"]]
        if kind == "- [ ] 1.1 a{F}b" and plain:
            assert ["1.1", f"a{run}b", []] in result["tasks"]  # type: ignore[operator]


# ---------------------------------------------------------------------- same reading as before

# The patterns these functions replaced, kept as the reference on inputs short enough for them.
OLD_DEPENDS = re.compile(r"\s*\((?:depends\s+on|depends:)\s*([^)]*)\)", re.IGNORECASE)
OLD_SEQUENTIAL = re.compile(
    r"^Tasks?\s+(.+?)\s+(?:are|is)\s+\[SEQUENTIAL\]\s*(?:[-\u2013\u2014:]\s*(.*))?$", re.IGNORECASE
)
OLD_SPLIT = re.compile(r"\s*(?:,|;|\band\b|&)\s*", re.IGNORECASE)
OLD_PHASE = re.compile(r"^Phase\s+(\d+[A-Za-z]?)\b\s*[:.\-\u2013\u2014]?\s*(.*)$", re.IGNORECASE)

pieces = st.sampled_from(
    [
        *(" ", "  ", "\t", "a", "x", "1.1", "1.2", "(", ")", "(depends: ", "(Depends on "),
        *(":", "-", "\u2013", "Tasks ", "Task ", " are ", " is ", "ARE", "[SEQUENTIAL]"),
        *("[sequential]", " and ", "&", ",", ";", "Phase ", "2A", "3", "b", "."),
    ]
)
short = st.lists(pieces, max_size=12).map("".join)


class TestSameReading:
    """On short inputs the linear functions read exactly what the old patterns read."""

    @given(short)
    def test_strip_depends(self, text: str) -> None:
        """Same text kept, same annotation contents (no code spans: see the next test)."""
        found = [m.group(1).strip() for m in OLD_DEPENDS.finditer(text)]
        assert strip_depends(text) == (OLD_DEPENDS.sub("", text).strip(), found)

    def test_code_spans(self) -> None:
        """Annotations inside inline code are examples; code inside an annotation is read."""
        assert strip_depends("Use `(depends: 9.9)` syntax (depends: 1.1)") == (
            "Use `(depends: 9.9)` syntax",
            ["1.1"],
        )
        assert strip_depends("a (depends: `1.2`, 1.3) b") == ("a b", ["`1.2`, 1.3"])
        assert strip_depends("`a` (depends: 1.1) `b`") == ("`a` `b`", ["1.1"])
        assert strip_depends("x (depends: `)` 1.4)") == ("x", ["`)` 1.4"])

    @given(st.tuples(st.sampled_from(["Tasks ", "Task ", "tasks  ", ""]), short).map("".join))
    @example("Tasks 1.1 are [SEQUENTIAL] [SEQUENTIAL] - why")
    @example("Tasks 1.1 are [SEQUENTIAL] x are [SEQUENTIAL] - why")
    def test_sequential_note(self, text: str) -> None:
        """Same spec and reason; a spec of only white space is no longer a note."""
        old = OLD_SEQUENTIAL.match(text.strip())
        expected = None
        if old is not None and old.group(1).strip():
            expected = (old.group(1).strip(), (old.group(2) or "").strip() or None)
        assert sequential_note(text) == expected

    @given(short)
    def test_split_spec(self, text: str) -> None:
        """Same tokens, repeats dropped."""
        tokens = [t.strip().strip("`*") for t in OLD_SPLIT.split(text.strip().strip("."))]
        assert split_spec(text) == list(dict.fromkeys(t for t in tokens if t))

    @given(short)
    def test_phase_heading(self, text: str) -> None:
        """Same number and title."""
        old = OLD_PHASE.match(text)
        assert phase_heading(text) == ((old.group(1), old.group(2).strip()) if old else None)


class TestHeadings:
    """ATX headings: level, text, and the closing run of #."""

    @pytest.mark.parametrize(
        ("line", "expected"),
        [
            ("# Title", (1, "Title")),
            ("#   Title  ", (1, "Title")),
            ("## Phase 1: Setup ##", (2, "Phase 1: Setup")),
            ("## Phase 1: Setup\t#  ", (2, "Phase 1: Setup")),
            ("### Port to C#", (3, "Port to C#")),
            ("###### Six", (6, "Six")),
            ("####### Seven", None),
            ("#Title", None),
            (" # Indented", None),
            ("# ###", (1, "")),
            ("# a" + " " * 50 + "b", (1, "a" + " " * 50 + "b")),
        ],
    )
    def test_heading(self, line: str, expected: tuple[int, str] | None) -> None:
        """What is a heading, and its text."""
        assert heading(line) == expected
