"""Send-now's hand-off: the local stack's in-process queue, and the Lambda one's configuration."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from local.report_queue import InProcessReportQueue
from local.server import _ONE_EVENT_AT_A_TIME
from quarterdeck.config import get_settings
from quarterdeck.errors import ConfigurationError
from quarterdeck.reports.send_queue import LambdaReportQueue, SendRequest


def test_the_local_queue_runs_each_send_in_order_without_the_api_lock() -> None:
    ran: list[dict[str, Any]] = []
    on_worker: list[str] = []

    def report_function(event: dict[str, Any], context: Any) -> dict[str, Any]:
        on_worker.append(threading.current_thread().name)
        assert context.function_name == "ReportFunction"
        ran.append(event)
        return {"ok": True}

    queue = InProcessReportQueue(handler=report_function)
    # Given an API request in progress (it holds the local server's one-event lock)
    with _ONE_EVENT_AT_A_TIME:
        # When it hands over two sends
        queue.submit(SendRequest("cfo", "2031-W40", requested_by="admin@example.com"))
        queue.submit(SendRequest("cto", "2031-W40", force=True, requested_by="admin@example.com"))
        # Then both run, in order, while the API still holds its lock (no deadlock)
        assert queue.wait_idle(10)
    assert ran == [
        {"kind": "cfo", "period": "2031-W40", "force": False, "requested_by": "admin@example.com"},
        {"kind": "cto", "period": "2031-W40", "force": True, "requested_by": "admin@example.com"},
    ]
    assert on_worker == ["quarterdeck-reports"] * 2
    assert [r["result"] for r in queue.results] == [{"ok": True}, {"ok": True}]


def test_a_failed_local_run_is_kept_and_the_next_one_still_runs() -> None:
    def report_function(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if event["kind"] == "cfo":
            raise RuntimeError("SES is down")
        return {"ok": True}

    queue = InProcessReportQueue(handler=report_function)
    queue.submit(SendRequest("cfo", "2031-W41"))
    queue.submit(SendRequest("cto", "2031-W41"))
    assert queue.wait_idle(10)
    assert [r.get("error") or r["result"] for r in queue.results] == ["RuntimeError: SES is down", {"ok": True}]


def test_the_lambda_queue_without_a_function_name_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given no REPORT_FUNCTION_NAME in the environment
    monkeypatch.delenv("REPORT_FUNCTION_NAME", raising=False)
    get_settings.cache_clear()
    # Then a send cannot be handed over, and the error names the setting
    with pytest.raises(ConfigurationError, match="REPORT_FUNCTION_NAME"):
        LambdaReportQueue().submit(SendRequest("cfo", "2031-W40"))
    # And given the name, the queue uses it
    monkeypatch.setenv("REPORT_FUNCTION_NAME", " quarterdeck-dev-reports ")
    get_settings.cache_clear()
    assert LambdaReportQueue().function_name == "quarterdeck-dev-reports"
    get_settings.cache_clear()
