"""The reports API (admins only): list kinds with last runs, preview, send now.

Send now is handed to ReportFunction (202, queued); the local stack runs its handler in a
background thread (local/report_queue.py), and the run shows in GET /api/reports when recorded.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from local.stack import LocalStack
from quarterdeck.reports import KINDS
from tests.conftest import ApiClient, outbox


def test_only_admins_reach_the_reports(admin: ApiClient, crew: ApiClient, anonymous: ApiClient) -> None:
    assert anonymous.get("/api/reports").status_code == 401
    assert crew.get("/api/reports").status_code == 403
    assert crew.post("/api/reports/cfo/preview", {}).status_code == 403
    assert crew.post("/api/reports/cfo/send", {}).status_code == 403
    answer = admin.get("/api/reports")
    assert answer.status_code == 200
    listed = answer.json()["reports"]
    assert [r["kind"] for r in listed] == list(KINDS)
    for report in listed:
        assert report["title"] and report["schedule"] and report["period"]
        assert "last_run" in report


def test_preview_renders_without_sending(stack: LocalStack, admin: ApiClient) -> None:
    before = len(outbox(stack))
    answer = admin.post("/api/reports/cfo/preview", {"period": "2031-W20"})
    assert answer.status_code == 200, answer.text
    preview = answer.json()
    assert preview["subject"] == "CFO report · 2031-W20"
    assert "BURN RATE" in preview["text"] and "Break-even" in preview["html"]
    assert preview["to"] == ["owner@queenofsandiego.example"]
    assert preview["bcc"] == ["archive@queenofsandiego.example"]
    assert preview["actions"] and all(a["owner"] and a["due"] for a in preview["actions"])
    assert len(outbox(stack)) == before  # nothing sent


def test_a_preview_takes_any_day_of_the_period_wanted(admin: ApiClient) -> None:
    # Given a Wednesday in the past
    day = "2026-11-25"
    # When an admin previews a weekly and a monthly report for that day
    weekly = admin.post("/api/reports/cfo/preview", {"period": day})
    monthly = admin.post("/api/reports/rental/preview", {"period": day})
    # Then each is its own period holding that day: the week of Monday 23 November, and November
    assert weekly.status_code == 200 and weekly.json()["period"] == "2026-W48", weekly.text
    assert monthly.status_code == 200 and monthly.json()["period"] == "2026-11", monthly.text
    # And a day that does not exist is refused naming the field
    wrong = admin.post("/api/reports/cfo/preview", {"period": "2026-02-30"})
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "period"


def test_a_preview_names_the_aws_figures_it_does_not_read(admin: ApiClient) -> None:
    # Given the CTO report, which shows CloudWatch and Cost Explorer figures when it is sent
    # When an admin previews it
    answer = admin.post("/api/reports/cto/preview", {})
    # Then it renders, and says those figures are read when the report is sent (the API is not
    # granted them, and each Cost Explorer call is billed)
    assert answer.status_code == 200, answer.text
    assert "read when the report is sent, not in a preview" in answer.json()["text"]


def test_preview_refuses_an_unknown_kind_and_a_bad_period(admin: ApiClient) -> None:
    unknown = admin.post("/api/reports/cfoo/preview", {})
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "report_kind_not_found"
    bad = admin.post("/api/reports/cfo/preview", {"period": "2031-13"})
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "period"
    wrong = admin.post("/api/reports/cfo/preview", {"period": "next week"})
    assert wrong.status_code == 422
    assert wrong.json()["error"]["field"] == "period"


def last_run_when_recorded(
    admin: ApiClient, kind: str, period: str, *, sends: int = 1, within: float = 60.0
) -> dict[str, Any]:
    """Read the list as the page does (every half second here) until the kind's last run for
    `period` is recorded with `sends` sends (or failed)."""
    deadline = time.monotonic() + within
    run: dict[str, Any] | None = None
    while time.monotonic() < deadline:
        listed = {r["kind"]: r for r in admin.get("/api/reports").json()["reports"]}
        run = listed[kind]["last_run"]
        if run and run["period"] == period and (run["status"] == "failed" or run["sends"] >= sends):
            return dict(run)
        time.sleep(0.5)
    raise AssertionError(f"the {kind} run for {period} was not recorded within {within} s: {run}")


def test_send_now_is_queued_then_sent_once_then_409_then_forced(stack: LocalStack, admin: ApiClient) -> None:
    period = "2031-W21"
    before = len(outbox(stack))
    # When the admin sends the accounting report now
    first = admin.post("/api/reports/accounting/send", {"period": period})
    # Then the API answers at once: queued for the report function
    assert first.status_code == 202, first.text
    assert first.json() == {
        "status": "queued",
        "kind": "accounting",
        "title": "Accounting report",
        "period": period,
        "force": False,
    }
    # And the run shows as sent in the list, with its MessageId, once
    run = last_run_when_recorded(admin, "accounting", period)
    assert run["status"] == "sent" and run["message_id"] and run["sends"] == 1
    sent = outbox(stack)[before:]
    assert [m["subject"] for m in sent] == [f"Accounting report · {period}"]
    assert sent[0]["bcc"] == ["archive@queenofsandiego.example"]
    # Then sending it again is refused at once, saying it was sent and how to send it anyway
    again = admin.post("/api/reports/accounting/send", {"period": period})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "report_already_sent"
    assert "already sent" in again.json()["error"]["message"] and "force" in again.json()["error"]["message"]
    # And forcing it sends one more copy
    forced = admin.post("/api/reports/accounting/send", {"period": period, "force": True})
    assert forced.status_code == 202, forced.text
    assert forced.json()["force"] is True
    resent = last_run_when_recorded(admin, "accounting", period, sends=2)
    assert resent["status"] == "sent" and resent["sends"] == 2
    assert resent["message_id"] != run["message_id"]
    assert stack.reports.wait_idle(30)
    assert len(outbox(stack)[before:]) == 2


def test_two_sends_before_the_first_is_recorded_send_it_once(stack: LocalStack, admin: ApiClient) -> None:
    period = "2031-W23"
    before = len(outbox(stack))
    # When the admin presses send twice at once, before either run is recorded
    answers: list[int] = []
    threads = [
        threading.Thread(
            target=lambda: answers.append(admin.post("/api/reports/rental/send", {"period": period}).status_code)
        )
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then each is queued or refused as already sent (never an error)
    assert sorted(answers) in ([202, 202], [202, 409]), answers
    assert stack.reports.wait_idle(60)
    # And the report function's claim lets only one of them send: one message, one send recorded
    (message,) = outbox(stack)[before:]
    assert message["subject"].startswith("Rental property report") and message["subject"].endswith(period)
    assert last_run_when_recorded(admin, "rental", period)["sends"] == 1


def test_send_now_that_cannot_be_handed_over_is_503_and_claims_nothing(stack: LocalStack, admin: ApiClient) -> None:
    from api_dependencies import install_report_queue

    from quarterdeck.reports.send_queue import LambdaReportQueue

    period = "2031-W24"
    before = len(outbox(stack))
    # Given the report function cannot be invoked (the emulator has no such function)
    install_report_queue(LambdaReportQueue("quarterdeck-test-no-such-function"))
    try:
        # When the admin sends the CEO report now
        answer = admin.post("/api/reports/ceo/send", {"period": period})
    finally:
        install_report_queue(stack.reports)
    # Then the API says to try again, and nothing was claimed or sent
    assert answer.status_code == 503, answer.text
    assert answer.json()["error"]["code"] == "service_unavailable"
    assert "try again" in answer.json()["error"]["message"]
    from quarterdeck.reports.runs import period_runs
    from quarterdeck.reports.wiring import report_runs

    assert period_runs(report_runs(), "ceo", period) == []
    assert len(outbox(stack)) == before
    # And trying again once the hand-off works sends it
    assert admin.post("/api/reports/ceo/send", {"period": period}).status_code == 202
    assert last_run_when_recorded(admin, "ceo", period)["status"] == "sent"


def test_send_now_that_cannot_build_the_report_shows_why_on_the_page(stack: LocalStack, admin: ApiClient) -> None:
    from quarterdeck.config import get_settings
    from quarterdeck.reports.runs import period_runs
    from quarterdeck.reports.wiring import report_runs

    period = "2031-W25"
    before = len(outbox(stack))
    # Given the data bucket has no portfolio file where the report function looks
    os.environ["PORTFOLIO_KEY"] = "missing/portfolio.toml"
    get_settings.cache_clear()
    try:
        # When the admin sends the CMO report now
        answer = admin.post("/api/reports/cmo/send", {"period": period})
        assert answer.status_code == 202, answer.text
        # Then the page's list shows the run failed, saying why (as the page polls it)
        run = last_run_when_recorded(admin, "cmo", period)
        assert stack.reports.wait_idle(30)
    finally:
        os.environ["PORTFOLIO_KEY"] = "portfolio.toml"
        get_settings.cache_clear()
    assert run["status"] == "failed" and "does not exist" in run["error"], run
    # And nothing was claimed or sent, so sending again once the file is back just works
    assert period_runs(report_runs(), "cmo", period) == []
    assert len(outbox(stack)) == before
    assert admin.post("/api/reports/cmo/send", {"period": period}).status_code == 202
    assert stack.reports.wait_idle(30)
    assert last_run_when_recorded(admin, "cmo", period)["status"] == "sent"


def test_send_refuses_an_unknown_kind_and_a_bad_period(admin: ApiClient) -> None:
    unknown = admin.post("/api/reports/cfoo/send", {})
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "report_kind_not_found"
    two = admin.post("/api/reports/cfo,cto/send", {})
    assert two.status_code == 404
    assert two.json()["error"]["field"] == "kind"
    bad = admin.post("/api/reports/cfo/send", {"period": "2031-13"})
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "period"
    # A period the report function could not build (its action items would fall due in 0547)
    # is refused here, before anything is handed over
    ancient = admin.post("/api/reports/rental/send", {"period": "0547-W40"})
    assert ancient.status_code == 422, ancient.text
    assert ancient.json()["error"]["field"] == "period"
    assert "2000" in ancient.json()["error"]["message"]


def test_send_refuses_unknown_fields(admin: ApiClient) -> None:
    answer = admin.post("/api/reports/cfo/send", {"forse": True})
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "forse"


def test_the_routes_are_in_the_openapi_document(anonymous: ApiClient) -> None:
    paths = anonymous.get("/api/openapi.json").json()["paths"]
    for path in ("/api/reports", "/api/reports/{kind}/preview", "/api/reports/{kind}/send"):
        assert path in paths, path


class DynamoCalls:
    """The DynamoDB operations this process makes on behalf of the API (the local web server
    runs in it); the report function's background thread stands for another Lambda function
    and is not counted."""

    REPORT_FUNCTION = "quarterdeck-reports"  # local/report_queue.py's worker thread

    def __init__(self, *, report_function: bool = False) -> None:
        self.operations: list[str] = []
        self.report_function = report_function  # count that thread's calls instead of the API's
        self.unique_id = f"test-report-calls-{id(self)}"

    def __call__(self, model: object, **_: object) -> None:
        if (threading.current_thread().name == self.REPORT_FUNCTION) == self.report_function:
            self.operations.append(str(getattr(model, "name", "")))

    def __enter__(self) -> DynamoCalls:
        from quarterdeck.clients import client

        client("dynamodb").meta.events.register("before-call.dynamodb", self, unique_id=self.unique_id)
        return self

    def __exit__(self, *_: object) -> None:
        from quarterdeck.clients import client

        client("dynamodb").meta.events.unregister("before-call.dynamodb", unique_id=self.unique_id)


def test_the_page_is_one_query_and_send_now_one_query_then_one_write_records_run_and_summary(
    stack: LocalStack, admin: ApiClient
) -> None:
    period = "2031-W22"
    # When the CMO report is sent now
    with DynamoCalls() as calls, DynamoCalls(report_function=True) as report_calls:
        queued = admin.post("/api/reports/cmo/send", {"period": period})
        assert queued.status_code == 202, queued.text
        assert stack.reports.wait_idle(60)
    # Then the route read the period's runs once (not sent yet) and handed the send over
    route = [op for op in calls.operations if op != "GetItem"]  # the caller's person record aside
    assert route == ["Query"], calls.operations
    # And the report function read the business data, claimed the run, recorded run and summary
    # in one transaction, kept the report as sent in the archive in another (issue 22), and filed
    # the cards: what the kind's last run found and the cards (two reads), one write per card
    # created or changed, and what this run found
    ops = report_calls.operations
    assert ops[:2] == ["GetItem", "UpdateItem"] and ops.count("TransactWriteItems") == 2, ops
    after = ops[ops.index("TransactWriteItems") + 1 :]
    assert set(after) <= {"GetItem", "BatchGetItem", "PutItem", "UpdateItem", "TransactWriteItems"}, ops
    result = stack.reports.results[-1]
    assert result["event"]["kind"] == "cmo" and result["result"]["counts"]["sent"] == 1, result
    (outcome,) = result["result"]["reports"]
    assert outcome["tasks"] > 0
    run = last_run_when_recorded(admin, "cmo", period)
    assert run["message_id"] == outcome["message_id"]
    # And its cards are on the board, once each
    board = admin.get("/api/tasks").json()["columns"]
    cmo = [t for column in board.values() for t in column if (t["source"] or {}).get("kind") == "cmo"]
    assert len(cmo) >= outcome["tasks"] and len({t["id"] for t in cmo}) == len(cmo)
    # When the reports page loads, every kind's last run comes from one Query
    with DynamoCalls() as calls:
        listed = {r["kind"]: r for r in admin.get("/api/reports").json()["reports"]}
    assert [op for op in calls.operations if op != "GetItem"] == ["Query"]
    assert listed["cmo"]["last_run"]["period"] == period
    assert listed["cmo"]["last_run"]["message_id"] == outcome["message_id"]
