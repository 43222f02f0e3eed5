"""ReportFunction: a schedule's event → one report run.

    {"kind": "cfo"}                      one kind, for its current period (the schedules)
    {"kinds": ["ceo", "cto"]}            several kinds
    {}                                   every kind
    {"kind": "cfo", "period": "2026-W48", "force": true}   a deliberate re-send
    {"kind": "cfo", "period": "2026-W48", "force": false, "requested_by": "admin@..."}
                                         send-now from the reports page (the API's hand-off,
                                         quarterdeck.reports.send_queue; invoked asynchronously)

Each report is sent once per period, so the scheduler's retries and Lambda's own are safe.
When a report failed, the handler raises after the others ran: Lambda retries the event
(the sent ones are skipped) and, after its retries, the event goes to the dead-letter queue.
Heavy modules (jinja2, the strategies, the portfolio schema) load inside the handler, not at import.
"""

from __future__ import annotations

from quarterdeck import coldstart  # first: the garbage collector pauses while the rest loads

# isort: split
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from quarterdeck.observability import logger, metrics

coldstart.loaded()


class ReportRunFailedError(RuntimeError):
    """At least one report failed; the message lists which and why."""


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from quarterdeck.reports.dispatch import Collaborators, run_reports, summary_lines
    from quarterdeck.reports.wiring import TableLiveFigures
    from quarterdeck.repositories.reports import DynamoReportRunRepository
    from quarterdeck.repositories.tasks import DynamoTaskRepository
    from quarterdeck.store import Store

    event = event or {}
    kinds = event.get("kinds") or ([event["kind"]] if event.get("kind") else None)
    requested_by = str(event.get("requested_by") or "")
    if requested_by:  # send-now (the API's hand-off): who asked, in every log line of the run
        logger.append_keys(requested_by=requested_by)
    store = Store()
    using = Collaborators(
        runs=DynamoReportRunRepository(store), tasks=DynamoTaskRepository(store), live=TableLiveFigures(store)
    )
    with coldstart.first_request():
        summary = run_reports(
            kinds,
            period=event.get("period"),
            force=bool(event.get("force", False)),
            # Send-now: the API checked the period a moment ago; the claim alone refuses a resend.
            check_sent_first=not requested_by,
            using=using,
        )
    counts = summary.counts()
    for status in ("sent", "skipped", "failed"):
        metrics.add_metric(name=f"Reports_{status}", unit="Count", value=counts[status])
    if not summary.ok:
        raise ReportRunFailedError("; ".join(summary_lines(summary.failed)))
    return summary.as_dict()
