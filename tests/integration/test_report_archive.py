"""Issue 22 over the local stack: a sent report reads back from the archive as it was sent; a
bounce simulated from the outbox page (through MailEventFunction's handler) shows on the
archive, suppresses the address with its reason, and stops the next mail to it.

Each test sends to its own address and period, so a suppression never touches another test."""

from __future__ import annotations

import copy
import secrets
from typing import Any
from urllib.parse import quote

import pytest
import requests

from local.stack import LocalStack
from quarterdeck.clock import new_id
from quarterdeck.config import get_settings
from quarterdeck.reports.dispatch import Collaborators, run_reports
from quarterdeck.reports.periods import parse_period
from quarterdeck.reports.portfolio import Portfolio, load_portfolio
from quarterdeck.reports.sending import report_sender
from tests.conftest import ApiClient, outbox


def _period() -> str:
    return f"{2040 + secrets.randbelow(50)}-W{1 + secrets.randbelow(52):02d}"


def _portfolio_to(address: str) -> Portfolio:
    data = copy.copy(load_portfolio(settings=get_settings()))  # frozen: its copy gets other recipients
    object.__setattr__(data, "recipients", {**data.recipients, "cfo": [address]})
    return data


def _send(period: str, data: Portfolio, *, force: bool = False) -> Any:
    using = Collaborators(mailer=report_sender(rate=50))
    summary = run_reports(["cfo"], period=period, portfolio=data, force=force, using=using)
    assert summary.ok, summary.table()
    return summary.outcomes[0]


def _archived(admin: ApiClient, period: str) -> list[dict[str, Any]]:
    start = parse_period(period).start.isoformat()
    listed = admin.get("/api/reports/archive", params={"kind": "cfo", "from": start, "to": start})
    assert listed.status_code == 200, listed.text
    return [r for r in listed.json()["reports"] if r["period"] == period]


def _simulate(stack: LocalStack, message_id: str, event: str) -> dict[str, Any]:
    answer = requests.post(
        f"{stack.url}/_local/mail-event?id={quote(message_id, safe='')}&event={event}",
        headers={"Accept": "application/json"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def test_a_sent_report_reads_back_from_the_archive_as_it_was_sent(stack: LocalStack, admin: ApiClient) -> None:
    # Given the CFO report sent for a period to one address
    period, address = _period(), f"reader-{new_id()}@example.com".lower()
    before = len(outbox(stack))
    outcome = _send(period, _portfolio_to(address))
    (message,) = [m for m in outbox(stack)[before:] if address in m["to"]]
    assert message["id"] == outcome.message_id
    # When an admin lists the archive for that period and opens the report
    (entry,) = _archived(admin, period)
    opened = admin.get(f"/api/reports/archive/{entry['id']}")
    # Then it is the message SES was given: subject, recipients, MessageId, HTML byte for byte
    assert opened.status_code == 200, opened.text
    report = opened.json()
    assert (report["kind"], report["period"], report["subject"]) == ("cfo", period, message["subject"])
    assert report["recipients"] == [address] and report["bcc"] == message["bcc"]
    assert report["sends"] == [{"recipient": address, "message_id": message["id"]}]
    assert report["html"].encode() == message["html"].encode()
    assert report["text"].encode() == message["text"].encode()
    assert report["deliveries"][0]["status"] == "sent"


def test_a_simulated_bounce_shows_on_the_archive_and_the_roster_and_stops_the_next_mail(
    stack: LocalStack, admin: ApiClient
) -> None:
    # Given a crew member on the roster, and the CFO report sent to their address
    period, address = _period(), f"bouncer-{new_id()}@example.com".lower()
    assert admin.post("/api/people", json={"email": address, "role": "crew"}).status_code == 201
    data = _portfolio_to(address)
    outcome = _send(period, data)
    # When the outbox page simulates a hard bounce of that message
    simulated = _simulate(stack, outcome.message_id, "bounce")
    assert simulated["recorded"] == [address] and simulated["suppressed"] == [address]
    # Then the archive shows the bounce and the suppression, with its reason
    (entry,) = _archived(admin, period)
    (delivery,) = admin.get(f"/api/reports/archive/{entry['id']}").json()["deliveries"]
    assert delivery["status"] == "bounce" and "550 5.1.1" in delivery["detail"]
    assert delivery["suppressed"]["reason"].startswith("Hard bounce")
    # And the roster marks the person whose mail bounces, with the reason
    (person,) = [p for p in admin.get("/api/people").json()["people"] if p["email"] == address]
    assert person["bounced"] is True and person["mail_stopped"].startswith("Hard bounce")
    # When the report is sent again (forced), nothing goes to that address
    before = len(outbox(stack))
    again = _send(period, data, force=True)
    assert [m for m in outbox(stack)[before:] if address in m["to"]] == []
    assert again.message_id.startswith("suppressed:")
    # And the archive's new copy says why
    copies = [admin.get(f"/api/reports/archive/{r['id']}").json() for r in _archived(admin, period)]
    (newest,) = [c for c in copies if c["sends"][0]["message_id"] == again.message_id]
    (delivery,) = newest["deliveries"]
    assert delivery["status"] == "suppressed" and delivery["suppressed"]["reason"].startswith("Hard bounce")


@pytest.mark.parametrize("path", ["/api/reports/archive/doesnotexist00", "/api/reports/archive/..%2Fx"])
def test_an_unknown_archived_report_is_404(admin: ApiClient, path: str) -> None:
    assert admin.get(path).status_code == 404


def test_a_wrong_listing_is_refused_naming_the_field(admin: ApiClient) -> None:
    answer = admin.get("/api/reports/archive", params={"from": "2026-02-30"})
    assert answer.status_code == 422 and answer.json()["error"]["field"] == "from"


@pytest.mark.slow  # a subprocess: `python -m local.commands report`, as `make report` runs it
def test_make_report_at_runs_the_dispatch_as_of_that_time(stack: LocalStack) -> None:
    from tests.integration.test_reports_dispatch import cli

    # When `make report KIND=cfo AT=...` runs as of a Monday morning of a far year
    year = 2100 - secrets.randbelow(40)
    monday = parse_period(f"{year}-W10").start
    done = cli(stack, "--only", "cfo", "--at", f"{monday.isoformat()}T07:00:00-08:00")
    # Then the CFO report of that week is sent, and archived under that period
    assert done.returncode == 0, done.stderr
    assert f"{year}-W10  sent" in done.stderr
    again = cli(stack, "--only", "cfo", "--at", f"{monday.isoformat()}T09:00:00-08:00")
    assert again.returncode == 0 and f"{year}-W10  skipped" in again.stderr
