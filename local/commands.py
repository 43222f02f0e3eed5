"""`make nudge` and `make report`: run the scheduled functions against the running local stack.

The stack that `make dev` started keeps moto's server on MOTO_PORT (5055) and the web
server on PORT (3000); these commands point this process at them and invoke the same
handlers the schedules invoke in AWS.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from typing import Any

from local.environment import LambdaContext, add_code_paths, apply_environment


def run_nudges(at: str | None = None) -> dict[str, Any]:
    """Invoke NudgeFunction's handler, as of `at` (ISO time) or now."""
    from nudge_handler import handler

    result: dict[str, Any] = handler({"at": at} if at else {}, LambdaContext())
    return result


def _connect() -> None:
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    add_code_paths()
    moto_url = f"http://127.0.0.1:{os.environ.get('MOTO_PORT', '5055')}"
    apply_environment(moto_url, f"http://127.0.0.1:{os.environ.get('PORT', '3000')}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.commands", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    nudge = commands.add_parser("nudge", help="run the nudges once")
    nudge.add_argument("--at", help="run as of this ISO time, e.g. 2026-06-21T08:05:00-07:00")
    report = commands.add_parser("report", help="dispatch reports (options as `python -m quarterdeck.reports`)")
    report.add_argument("rest", nargs=argparse.REMAINDER)
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["report"] and "--at" in argv:  # `make report KIND=... AT=...`: as of that time
        _connect()
        return report_at(argv[1:])
    if argv[:1] == ["report"]:  # its options (--only, --period, ...) belong to quarterdeck.reports
        _connect()
        from quarterdeck.reports.__main__ import main as reports_main

        return int(reports_main(argv[1:]))
    args = parser.parse_args(argv)
    _connect()
    if args.command == "nudge":
        print(json.dumps(run_nudges(args.at), indent=2))
        return 0
    from quarterdeck.reports.__main__ import main as reports_main

    return int(reports_main(args.rest))


def report_at(argv: list[str]) -> int:
    """Dispatch the reports as the schedule would at `--at` (ISO time): each kind for the
    period of that day, sent once per period, like `make nudge AT=...` for the nudges."""
    from datetime import datetime

    from quarterdeck.reports.dispatch import Collaborators, run_reports

    cli = argparse.ArgumentParser(prog="python -m local.commands report --at")
    cli.add_argument("--at", required=True, type=datetime.fromisoformat)
    cli.add_argument("--only", action="append")
    cli.add_argument("--force", action="store_true")
    args = cli.parse_args(argv)
    at: datetime = args.at
    summary = run_reports(args.only, force=args.force, using=Collaborators(clock=lambda: at))
    print(summary.table(), file=sys.stderr)
    print(json.dumps(summary.as_dict(), indent=2))
    return 0 if summary.ok else 1


def run_reports_locally(**options: str) -> dict[str, Any]:
    """The outbox page's "Send reports now" button: every report (or `only`), in the stack's process."""
    from quarterdeck.reports.dispatch import run_reports

    only = options.get("only")
    summary = run_reports(
        [only] if only else None,
        period=options.get("period") or None,
        force=options.get("force", "").lower() in ("1", "true", "yes"),
    )
    return summary.as_dict()


if __name__ == "__main__":
    sys.exit(main())
