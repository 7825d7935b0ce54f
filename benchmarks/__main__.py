"""Run the benchmarks and write their tables into docs/benchmarks.md.

    python -m benchmarks            # everything, figures rewritten in docs/benchmarks.md
    python -m benchmarks --quick    # fewer repetitions, nothing written
    python -m benchmarks codec      # one group

Each table sits between ``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->`` markers.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

from ._util import environment

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def groups() -> dict[str, Callable[[bool], dict[str, str]]]:
    from . import (
        bench_cli,
        bench_codec,
        bench_leases,
        bench_live,
        bench_planfile,
        bench_sqlite_live,
        bench_startup,
        bench_store,
        bench_stream,
    )

    return {
        "codec": lambda quick: {"codec": bench_codec.run(quick)},
        "store": bench_store.run,
        "cli": lambda quick: {"cli": bench_cli.run(quick), "cli-stores": bench_cli.stores(quick)},
        "planfile": lambda quick: {"planfile": bench_planfile.run(quick)},
        "stream": bench_stream.run,
        "live": lambda quick: {"live": bench_live.run(quick)},
        "leases": bench_leases.run,
        "startup": bench_startup.run,
        "sqlite-live": lambda quick: {"sqlite-live": bench_sqlite_live.run(quick)},
    }


def write(sections: dict[str, str]) -> None:
    text = DOC.read_text()
    for name, body in sections.items():
        pattern = re.compile(rf"(<!-- bench:{name} -->\n).*?(\n<!-- /bench:{name} -->)", re.S)
        if not pattern.search(text):
            print(f"warning: no <!-- bench:{name} --> section in {DOC}", file=sys.stderr)
            continue
        text = pattern.sub(lambda m: m.group(1) + body + m.group(2), text)
    DOC.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("names", nargs="*", help="groups to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, no doc update")
    args = parser.parse_args()
    available = groups()
    chosen = args.names or list(available)
    sections: dict[str, str] = {}
    env = environment()
    print(env)
    for name in chosen:
        print(f"\n## {name}", flush=True)
        for key, body in available[name](args.quick).items():
            print(f"\n### {key}\n{body}", flush=True)
            sections[key] = f"_{env}_\n\n{body}"
    if not args.quick:
        write(sections)


if __name__ == "__main__":
    main()
