"""The reports API (admins only): list kinds with last runs, preview, send now."""

from __future__ import annotations

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


def test_send_now_once_then_409_then_forced(stack: LocalStack, admin: ApiClient) -> None:
    period = "2031-W21"
    before = len(outbox(stack))
    # When the admin sends the accounting report now
    first = admin.post("/api/reports/accounting/send", {"period": period})
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "sent" and first.json()["message_id"]
    sent = outbox(stack)[before:]
    assert [m["subject"] for m in sent] == [f"Accounting report · {period}"]
    assert sent[0]["bcc"] == ["archive@queenofsandiego.example"]
    # Then sending it again is refused, saying it was sent and how to send it anyway
    again = admin.post("/api/reports/accounting/send", {"period": period})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "report_already_sent"
    assert "already sent" in again.json()["error"]["message"] and "force" in again.json()["error"]["message"]
    # And forcing it sends one more copy
    forced = admin.post("/api/reports/accounting/send", {"period": period, "force": True})
    assert forced.status_code == 200
    assert len(outbox(stack)[before:]) == 2
    # The list shows the last run with its MessageId
    listed = {r["kind"]: r for r in admin.get("/api/reports").json()["reports"]}
    assert listed["accounting"]["last_run"]["message_id"] == forced.json()["message_id"]
    assert listed["accounting"]["last_run"]["sends"] == 2


def test_send_refuses_unknown_fields(admin: ApiClient) -> None:
    answer = admin.post("/api/reports/cfo/send", {"forse": True})
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "forse"


def test_the_routes_are_in_the_openapi_document(anonymous: ApiClient) -> None:
    paths = anonymous.get("/api/openapi.json").json()["paths"]
    for path in ("/api/reports", "/api/reports/{kind}/preview", "/api/reports/{kind}/send"):
        assert path in paths, path


class DynamoCalls:
    """The DynamoDB operations this process makes (the local web server runs in it)."""

    def __init__(self) -> None:
        self.operations: list[str] = []

    def __call__(self, model: object, **_: object) -> None:
        self.operations.append(str(getattr(model, "name", "")))

    def __enter__(self) -> DynamoCalls:
        from quarterdeck.clients import client

        client("dynamodb").meta.events.register("before-call.dynamodb", self, unique_id="test-report-calls")
        return self

    def __exit__(self, *_: object) -> None:
        from quarterdeck.clients import client

        client("dynamodb").meta.events.unregister("before-call.dynamodb", unique_id="test-report-calls")


def test_the_page_is_one_query_and_a_send_records_run_summary_and_cards_in_one_write(admin: ApiClient) -> None:
    from quarterdeck.reports.actions import source_key
    from quarterdeck.tasks import task_id_for

    period = "2031-W22"
    # When the CMO report is sent now
    with DynamoCalls() as calls:
        sent = admin.post("/api/reports/cmo/send", {"period": period})
    assert sent.status_code == 200, sent.text
    # Then the route claimed it, then recorded run, summary and action cards in one transaction
    route = [op for op in calls.operations if op != "GetItem"]  # the caller's person record aside
    assert route == ["UpdateItem", "TransactWriteItems"], calls.operations
    # And its cards are on the board
    assert sent.json()["tasks"] > 0
    card = admin.get(f"/api/tasks/{task_id_for(source_key('cmo', period, 1))}")
    assert card.status_code == 200 and card.json()["source"]["period"] == period
    # When the reports page loads, every kind's last run comes from one Query
    with DynamoCalls() as calls:
        listed = {r["kind"]: r for r in admin.get("/api/reports").json()["reports"]}
    assert [op for op in calls.operations if op != "GetItem"] == ["Query"]
    assert listed["cmo"]["last_run"]["period"] == period
    assert listed["cmo"]["last_run"]["message_id"] == sent.json()["message_id"]
