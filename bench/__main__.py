"""`python -m bench` (`make bench`): run every stage, print the table, write bench/results.json.

Exits 1 when any bar is missed (including a thing to measure that does not exist yet) or a
stage fails, 0 when every bar is met.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import FAIL, MISSING, PASS, Section, table

# Run order: the stages that grow moto's main table most (and moto's Query reads every item
# of a table) run last. The table prints in the issues' order (1-8).
STAGES = ("size", "page_speed", "latency", "cold_start", "round_trips", "pacing", "scaling", "cost")
RESULTS = Path(__file__).with_name("results.json")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", help=f"comma-separated stages of {', '.join(STAGES)}")
    parser.add_argument("--cold-runs", type=int, default=15, help="fresh processes per kind (at least 15)")
    parser.add_argument("--iterations", type=int, default=40, help="warm invocations per route and handler")
    parser.add_argument("--past-sails", default="0,1000,10000", help="past sails for the nudge scaling runs")
    parser.add_argument("--no-build", action="store_true", help="size .aws-sam/build as it is (no sam build)")
    parser.add_argument("--output", type=Path, help="where to write the JSON (default bench/results.json)")
    return parser.parse_args(argv)


def _order(section: Section) -> int:
    number = section.title.split(".", 1)[0]
    return int(number) if number.isdigit() else 99


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    stages = [s.strip() for s in args.only.split(",")] if args.only else list(STAGES)
    unknown = set(stages) - set(STAGES)
    if unknown:
        print(f"unknown stage(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    output = args.output or (RESULTS if not args.only else RESULTS.with_name("results.partial.tmp"))
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    began = time.perf_counter()
    root = Path(__file__).resolve().parent.parent
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))

    print("bench: starting the local stack (moto) and seeding it ...", file=sys.stderr, flush=True)
    from bench.context import start

    ctx = start(args)
    sections: list[Section] = []
    try:
        if ctx.seeded.problems:
            print("bench: " + "; ".join(ctx.seeded.problems), file=sys.stderr)
        for name in stages:
            print(f"bench: {name} ...", file=sys.stderr, flush=True)
            started = time.perf_counter()
            try:
                module = importlib.import_module(f"bench.{name}")
                section: Section = module.run(ctx)
            except Exception as error:
                section = Section(name, error=f"{type(error).__name__}: {error}")
                traceback.print_exc()
            section.seconds = time.perf_counter() - started
            sections.append(section)
            print(f"bench: {name} done in {section.seconds:.0f} s", file=sys.stderr, flush=True)
    finally:
        ctx.stack.stop()

    elapsed = time.perf_counter() - began
    sections.sort(key=_order)
    checks = [c for s in sections for c in s.checks]
    missed = [c for c in checks if c.missed]
    broken = [s for s in sections if s.error]
    print(table(sections))
    print()
    counts = {status: sum(c.status == status for c in checks) for status in (PASS, FAIL, MISSING)}
    print(
        f"{counts[PASS]} bars met, {counts[FAIL]} missed, {counts[MISSING]} not measurable yet"
        f"{f', {len(broken)} stage(s) failed' if broken else ''}; {elapsed:.0f} s in all."
    )
    document: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python -m bench" + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip(),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "note": "shared, noisy machine: bars are ratios measured in the same run",
        },
        "seconds": round(elapsed, 1),
        "summary": {**counts, "stages_failed": [s.title for s in broken], "ok": not missed and not broken},
        "seeding_problems": ctx.seeded.problems,
        "sections": [s.as_dict() for s in sections],
    }
    output.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"wrote {output.relative_to(root) if output.is_relative_to(root) else output}")
    return 1 if missed or broken else 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip the interpreter's teardown of moto's in-memory tables (a minute on a busy machine):
    # everything is written and the stack is stopped.
    os._exit(code)
