"""Send-now hand-off: the API asks ReportFunction to send one report and answers at once.

The API checks the request and answers 202; ReportFunction claims the run, sends and records
it (claim before send, record after: never sent twice, nothing lost), paced as SES wants,
without holding an HTTP request open. `ReportSendQueue` is our own interface:

- in AWS, `LambdaReportQueue` invokes ReportFunction asynchronously (InvocationType "Event"):
  Lambda keeps the event, retries a failed run and sends what still fails to the function's
  dead-letter queue; the kind's next scheduled run retries a report that never went out;
- the local stack runs the same handler in a background thread (local/report_queue.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from quarterdeck.config import get_settings
from quarterdeck.errors import ConfigurationError, ServiceUnavailableError
from quarterdeck.observability import logger

NOT_QUEUED = "The report could not be queued for sending (nothing was sent); please try again."


@dataclass(frozen=True)
class SendRequest:
    """One report to send now, as an admin asked for it."""

    kind: str
    period: str
    force: bool = False
    requested_by: str = ""

    def as_event(self) -> dict[str, Any]:
        """ReportFunction's event (report_handler.handler)."""
        return {"kind": self.kind, "period": self.period, "force": self.force, "requested_by": self.requested_by}


class ReportSendQueue(Protocol):
    def submit(self, request: SendRequest) -> None:
        """Hand the send over; ServiceUnavailableError when it could not be handed over."""
        ...


class LambdaReportQueue:
    """ReportFunction, invoked asynchronously (the only code that touches Lambda's API)."""

    def __init__(self, function_name: str | None = None) -> None:
        self.function_name = (
            function_name if function_name is not None else get_settings().report_function_name
        ).strip()

    def submit(self, request: SendRequest) -> None:
        if not self.function_name:
            raise ConfigurationError("No report function (REPORT_FUNCTION_NAME) is configured to send reports.")
        from botocore.exceptions import BotoCoreError, ClientError

        from quarterdeck.clients import client

        try:
            answer = client("lambda").invoke(
                FunctionName=self.function_name,
                InvocationType="Event",
                Payload=json.dumps(request.as_event()).encode(),
            )
        except (BotoCoreError, ClientError) as error:
            logger.exception("report send not queued", extra={"kind": request.kind, "period": request.period})
            raise ServiceUnavailableError(NOT_QUEUED) from error
        if int(answer.get("StatusCode", 0)) != 202:  # an Event invocation is accepted with 202
            logger.error("report send not queued", extra={"kind": request.kind, "status": answer.get("StatusCode")})
            raise ServiceUnavailableError(NOT_QUEUED)
        logger.info("report send queued", extra=request.as_event())
