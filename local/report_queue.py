"""Send-now in the local stack: ReportFunction's handler runs the API's hand-off in a thread.

In AWS the API invokes ReportFunction asynchronously (quarterdeck.reports.send_queue); moto
cannot run Lambda functions without Docker, so the local stack installs this hand-off in the
API's wiring (`api_dependencies.install_report_queue`): the API answers 202 at once, as in
AWS, and the same handler runs the same event in this process, like the local API Gateway
bridge in local/server.py. Our own interface, not an imitation of Lambda's API.

ReportFunction is an execution environment of its own: its events run one at a time, in
order, on one worker thread, never under the API's one-event lock (server.py), so an API
request never waits for a report and a report never waits for the API.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from local.environment import LambdaContext
from quarterdeck.observability import logger
from quarterdeck.reports.send_queue import SendRequest


class ReportFunctionContext(LambdaContext):
    function_name = "ReportFunction"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:ReportFunction"

    def get_remaining_time_in_millis(self) -> int:
        return 120_000  # ReportFunction's timeout (template.yaml)


class InProcessReportQueue:
    """Runs each submitted send through report_handler.handler, one after another."""

    def __init__(self, handler: Callable[[dict[str, Any], Any], dict[str, Any]] | None = None) -> None:
        self._handler = handler  # default: report_handler.handler (ReportFunction's)
        self._events: queue.Queue[dict[str, Any]] = queue.Queue()
        self._busy = threading.Condition()
        self._pending = 0
        self._worker: threading.Thread | None = None
        self.results: deque[dict[str, Any]] = deque(maxlen=50)  # what the last runs answered (or raised)

    def submit(self, request: SendRequest) -> None:
        with self._busy:
            self._pending += 1
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="quarterdeck-reports", daemon=True)
                self._worker.start()
        self._events.put(request.as_event())

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Until every submitted send has run (tests, the benchmark); False on timeout."""
        with self._busy:
            return self._busy.wait_for(lambda: self._pending == 0, timeout)

    def _work(self) -> None:
        if self._handler is None:
            from report_handler import handler

            self._handler = handler
        while True:
            event = self._events.get()
            try:
                self.results.append({"event": event, "result": self._handler(event, ReportFunctionContext())})
            except Exception as error:  # in AWS: Lambda retries the event, then its dead-letter queue
                logger.exception("local report run failed", extra={"report_event": event})
                self.results.append({"event": event, "error": f"{type(error).__name__}: {error}"})
            finally:
                with self._busy:
                    self._pending -= 1
                    self._busy.notify_all()
