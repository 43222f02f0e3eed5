"""`python -m quarterdeck.reports`: build and send the executive reports from the command line.

    python -m quarterdeck.reports                      # every kind, each for its current period
    python -m quarterdeck.reports --only cfo --force   # send the CFO report again
    python -m quarterdeck.reports --dry-run --out out/ # render to files, send nothing
    python -m quarterdeck.reports --dry-run --only ceo --portfolio data/portfolio.example.toml

Prints a progress line per report and a summary table; exits 1 when any report failed,
2 when the command line itself is wrong.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from quarterdeck.reports import KINDS


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog="python -m quarterdeck.reports",
        description="Build the executive reports and send each once per period (To the owner, BCC the archive).",
    )
    cli.add_argument(
        "--only",
        metavar="KIND",
        action="append",
        help=f"send only this kind (repeat or comma-separate): {', '.join(KINDS)}",
    )
    cli.add_argument("--force", action="store_true", help="send again even if already sent for the period")
    cli.add_argument(
        "--period", metavar="PERIOD", help="a week (2026-W48) or a month (2026-11); default: the current one"
    )
    cli.add_argument("--dry-run", action="store_true", help="render only, send nothing (to the terminal, or --out)")
    cli.add_argument("--out", metavar="DIR", help="with --dry-run: write <kind>-<period>.txt and .html here")
    cli.add_argument("--portfolio", metavar="FILE", help="read the portfolio from this file instead of the data bucket")
    cli.add_argument("--verbose", action="store_true", help="log every step (JSON lines)")
    return cli


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.out and not args.dry_run:
        parser().error("--out goes with --dry-run")

    from quarterdeck.errors import QuarterdeckError
    from quarterdeck.observability import logger
    from quarterdeck.reports.dispatch import Collaborators, Outcome, run_reports
    from quarterdeck.reports.model import Report

    if not args.verbose:
        logger.setLevel("WARNING")  # the progress lines and the table say what happened

    def progress(outcome: Outcome, n: int, total: int) -> None:
        detail = outcome.detail
        line = f"[{n}/{total}] {outcome.kind:<16} {outcome.period:<8}  {outcome.status:<8} "
        line += f"{outcome.seconds:5.1f}s  {detail}"
        print(line.rstrip(), file=sys.stderr, flush=True)

    def show(report: Report, text: str, html: str) -> None:
        print(f"Subject: {report.subject}\n\n{text}\n{'=' * 72}", flush=True)

    try:
        summary = run_reports(
            args.only,
            period=args.period,
            force=args.force,
            dry_run=args.dry_run,
            out_dir=args.out,
            portfolio_path=args.portfolio,
            using=Collaborators(progress=progress, render_out=show if args.dry_run and not args.out else None),
        )
    except QuarterdeckError as error:  # a wrong --only or --period: nothing was attempted
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    print(summary.table(), file=sys.stderr)
    return 0 if summary.ok else 1


if __name__ == "__main__":
    sys.exit(main())
