"""Nudge runs against the local stack with the clock set (time-machine): windows, quiet hours,
once-only sending, concurrent runs, reads that do not grow with past sails, unsubscribe."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import requests
import time_machine

from local.stack import LocalStack
from quarterdeck import keys
from quarterdeck.clients import client
from quarterdeck.mail import default_mail_sender
from quarterdeck.nudges import NudgeSummary, run_nudges
from quarterdeck.repositories.sails import DynamoSailRepository
from quarterdeck.sails import create_sail
from quarterdeck.store import Store
from quarterdeck.unsubscribe import load_unsubscribe_keys
from tests.conftest import outbox

LA = ZoneInfo("America/Los_Angeles")


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LA)


def run_at(moment: datetime) -> NudgeSummary:
    with time_machine.travel(moment, tick=False):
        return run_nudges(Store(), default_mail_sender(), load_unsubscribe_keys)


def new_sail(day: str, title: str) -> dict[str, Any]:
    created_on = datetime.fromisoformat(day).replace(tzinfo=LA) - timedelta(days=30)
    return create_sail(
        DynamoSailRepository(Store()),
        "admin@example.com",
        date=day,
        title=title,
        crew_slots=1,
        clock=lambda: created_on,
    )


def mail_about(stack: LocalStack, title: str) -> list[dict[str, Any]]:
    return [m for m in outbox(stack) if title in m["subject"] or title in m["text"]]


def mail_to(stack: LocalStack, title: str, address: str) -> list[dict[str, Any]]:
    """What `address` got about `title` (admins made in the app by other tests get their own copy)."""
    return [m for m in mail_about(stack, title) if m["to"] == [address]]


def test_unfilled_roles_nudge_goes_out_in_its_window_once_and_not_in_quiet_hours(stack: LocalStack) -> None:
    # Given a sail on 2030-04-17 with its roles open
    title = f"Nudge window {uuid.uuid4().hex[:6]}"
    new_sail("2030-04-17", title)
    # When the run happens eight days before: nothing is due
    run_at(local("2030-04-09T10:00:00"))
    assert mail_about(stack, title) == []
    # When it happens seven days before, but at 22:00 (quiet hours): it is held
    held = run_at(local("2030-04-10T22:00:00"))
    assert held.skipped["unfilled_roles:quiet_hours"] >= 1
    assert mail_about(stack, title) == []
    # When it happens at 10:00 seven days before: the admin gets it
    run_at(local("2030-04-10T10:00:00"))
    sent = mail_to(stack, title, "admin@example.com")
    assert len(sent) == 1
    # The open slots by their labels, not their ids ("Captain, Crew 1", not "captain, crew-1")
    assert "Still open: Captain, Crew 1." in sent[0]["text"] and "crew-1" not in sent[0]["text"]
    assert "Captain, Crew 1" in sent[0]["html"]
    # And running again in the same hour sends nothing more
    again = run_at(local("2030-04-10T10:30:00"))
    assert again.skipped["unfilled_roles:already_sent"] >= 1
    assert len(mail_to(stack, title, "admin@example.com")) == 1


def test_each_kind_goes_out_in_its_window(stack: LocalStack, admin: Any) -> None:
    # Given a sail on 2030-05-15 with a guest on hold, a captain, and an open departure checklist
    title = f"Every kind {uuid.uuid4().hex[:6]}"
    sail = new_sail("2030-05-15", title)
    store = Store()
    store.put_many(
        [
            {
                "pk": f"SAIL#{sail['id']}",
                "sk": "GUEST#g1",
                "type": "guest",
                "id": "g1",
                "name": "Gail Guest",
                "email": "gail@example.com",
                "party_size": 1,
                "status": "on_hold",
            }
        ]
    )
    store.update(
        *keys.role(sail["id"], "captain"),
        "SET #state = :claimed, holder = :captain",
        names={"#state": "state"},
        values={":claimed": "claimed", ":captain": "captain@example.com"},
    )
    departure = datetime.fromisoformat(sail["departure"])
    # When runs happen 3 days before, on the morning, and two hours before departure
    run_at(local("2030-05-12T09:00:00"))
    run_at(local("2030-05-15T08:05:00"))
    run_at(departure - timedelta(hours=1, minutes=55))
    # Then each kind went to its people, once
    sent = [(m["to"][0], m["subject"]) for m in mail_about(stack, title) + mail_about(stack, "waiver")]
    subjects_to = {(to, subject.split(":")[0]) for to, subject in sent}
    assert ("admin@example.com", "Crew needed") in subjects_to
    assert any(to == "gail@example.com" and "waiver" in subject for to, subject in sent)
    assert ("captain@example.com", "Today") in subjects_to
    assert ("captain@example.com", "Departure checklist not done") in subjects_to
    waiver_mail = [m for m in outbox(stack) if m["to"] == ["gail@example.com"] and "#/magic?code=" in m["text"]]
    assert waiver_mail, "the waiver nudge carries a fresh waiver link"
    # And the on-hold guest gets no day-of email (only confirmed people do)
    assert not any(to == "gail@example.com" and subject.startswith("Today") for to, subject in sent)


def test_admins_made_in_the_app_get_the_admins_nudges_and_removed_ones_do_not(stack: LocalStack, admin: Any) -> None:
    # Given an admin added on the People page, and another added and then removed
    kept, gone = (f"{who}-{uuid.uuid4().hex[:6]}@example.com" for who in ("firstmate", "formermate"))
    for address in (kept, gone):
        assert admin.post("/api/people", {"email": address, "role": "admin"}).status_code == 201
    assert admin.request("DELETE", f"/api/people/{quote(gone)}").status_code in (200, 204)
    # And a sail a week out with its roles open
    title = f"App admins {uuid.uuid4().hex[:6]}"
    new_sail("2030-06-19", title)
    # When the nudge run reaches its crew-needed window
    run_at(local("2030-06-12T10:00:00"))
    # Then the configured admin and the app-made one get it; the removed one does not
    assert len(mail_to(stack, title, "admin@example.com")) == 1
    assert len(mail_to(stack, title, kept)) == 1
    assert mail_to(stack, title, gone) == []


def test_two_runs_at_once_send_each_nudge_once(stack: LocalStack) -> None:
    # Given a sail three days out with open roles
    title = f"Overlap {uuid.uuid4().hex[:6]}"
    new_sail("2030-06-20", title)
    moment = local("2030-06-17T11:00:00")
    summaries: list[NudgeSummary] = []

    def one_run() -> None:
        summaries.append(run_nudges(Store(), default_mail_sender(), load_unsubscribe_keys, clock=lambda: moment))

    # When two runs start at the same time
    threads = [threading.Thread(target=one_run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then the admin got exactly one nudge for this sail, and one run says it skipped it
    assert len(mail_to(stack, title, "admin@example.com")) == 1
    assert sum(s.sent["unfilled_roles"] for s in summaries) >= 1
    assert any(s.skipped["unfilled_roles:already_sent"] for s in summaries)


@pytest.fixture
def items_read() -> Iterator[list[int]]:
    counted: list[int] = []

    def count(parsed: dict[str, Any], **_: Any) -> None:
        if "Count" in parsed:
            counted.append(int(parsed["Count"]))
        for found in (parsed.get("Responses") or {}).values():
            counted.append(len(found))

    events = client("dynamodb").meta.events
    events.register("after-call.dynamodb.Query", count)
    events.register("after-call.dynamodb.BatchGetItem", count)
    yield counted
    events.unregister("after-call.dynamodb.Query", count)
    events.unregister("after-call.dynamodb.BatchGetItem", count)


@pytest.fixture
def own_table(stack: LocalStack) -> Store:
    """A table of its own, built from template.yaml, so 10,000 items do not slow the shared one."""
    from local.provision import create_table, load_template

    name = f"nudge-scaling-{uuid.uuid4().hex[:8]}"
    create_table(load_template()["Resources"]["Table"]["Properties"], name)
    return Store(name)


@pytest.mark.slow
def test_reads_do_not_grow_with_past_sails(own_table: Store, items_read: list[int]) -> None:
    # Given 20 upcoming sails in the week after 2031-02-02
    created_on = local("2031-01-01T10:00:00")
    for n in range(20):
        create_sail(
            DynamoSailRepository(own_table),
            "admin@example.com",
            date=f"2031-02-{3 + n % 6:02d}",
            title=f"Up {n}",
            clock=lambda: created_on,
        )
    moment = local("2031-02-02T07:30:00")  # quiet hours: nothing is sent, everything is read
    run_nudges(own_table, default_mail_sender(), load_unsubscribe_keys, clock=lambda: moment)
    with_none_past = sum(items_read)
    items_read.clear()
    # When 10,000 past sails are added in the months before
    own_table.put_many(
        [
            {
                "pk": f"SAIL#past{n}",
                "sk": "META",
                "type": "sail",
                "id": f"past{n}",
                "date": f"2030-{1 + n % 12:02d}-10",
                "status": "scheduled",
                "departure": f"2030-{1 + n % 12:02d}-10T17:00:00-08:00",
                "gsi1pk": keys.sails_by_date(),
                "gsi1sk": f"2030-{1 + n % 12:02d}-10T17:00:00-08:00#past{n}",
            }
            for n in range(10_000)
        ]
    )
    run_nudges(own_table, default_mail_sender(), load_unsubscribe_keys, clock=lambda: moment)
    # Then the run reads exactly as many items as before
    assert with_none_past > 20
    assert sum(items_read) == with_none_past


def test_unsubscribe_link_stops_later_nudges(stack: LocalStack) -> None:
    # Given a sail with a captain who has not done the checklist, seven days out
    title = f"Unsubscribe {uuid.uuid4().hex[:6]}"
    sail = new_sail("2030-08-20", title)
    Store().update(
        *keys.role(sail["id"], "captain"),
        "SET #state = :designated, holder = :who",
        names={"#state": "state"},
        values={":designated": "designated", ":who": "deckhand@example.com"},
    )
    # When the day-of nudge reaches the captain
    run_at(local("2030-08-20T08:10:00"))
    mine = [m for m in mail_about(stack, title) if m["to"] == ["deckhand@example.com"]]
    assert len(mine) == 1
    link = re.search(r"#/unsubscribe\?token=(\S+)", mine[0]["text"])
    assert link, mine[0]["text"]
    # And they follow its unsubscribe link (the page POSTs the token)
    answer = requests.post(f"{stack.url}/api/nudges/unsubscribe", json={"token": link.group(1)}, timeout=10)
    assert answer.status_code == 200
    assert answer.json()["email"] == "deckhand@example.com"
    # Then the checklist nudge later that day skips them, while the admin still gets it
    summary = run_at(datetime.fromisoformat(sail["departure"]) - timedelta(minutes=90))
    assert summary.skipped["checklist_open:unsubscribed"] >= 1
    later = [m for m in mail_about(stack, title) if m["to"] == ["deckhand@example.com"]]
    assert len(later) == 1
    assert any(m["to"] == ["admin@example.com"] and "checklist" in m["subject"] for m in mail_about(stack, title))


def test_a_forged_unsubscribe_token_is_refused(stack: LocalStack) -> None:
    answer = requests.post(
        f"{stack.url}/api/nudges/unsubscribe", json={"token": "YWRtaW5AZXhhbXBsZS5jb20.forged"}, timeout=10
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "token"


def test_a_waiver_copy_whose_email_failed_is_delivered_once_by_the_nudge_run(stack: LocalStack, admin: Any) -> None:
    from local.commands import run_nudges as invoke_nudge_function
    from tests.integration.test_guests_api import add_guest, open_waiver_link, sign, stored_copy_metadata
    from tests.reliability.conftest import SES_FAULTS, injecting

    def copies_to(address: str) -> list[dict[str, Any]]:
        return [m for m in outbox(stack) if address in m["to"] and "signed waiver" in m["subject"].lower()]

    # Given a guest on a sail in the spring of 2030 (no nudge of this test's is due in its run)
    created = admin.post("/api/sails", {"date": "2030-04-10", "title": f"Owed copy {uuid.uuid4().hex[:6]}"})
    assert created.status_code == 201, created.text
    sail = created.json()
    guest = add_guest(admin, sail["id"])
    session = open_waiver_link(stack, guest["email"])
    # And SES fails the signed copy's email when the guest signs
    with injecting() as faults:
        faults.fail(
            "sesv2",
            "SendEmail",
            SES_FAULTS[1],
            where=lambda request: guest["email"] in ((request.get("Destination") or {}).get("ToAddresses") or []),
        )
        signed = sign(session, sail["id"], guest["id"])
    # Then the guest is confirmed and told the copy will follow; nothing reached them yet
    assert signed.status_code == 201, signed.text
    assert signed.json()["copy_emailed"] is False and "retry within the hour" in signed.json()["message"]
    waiver = Store().get(*keys.waiver(sail["id"], guest["id"]), consistent=True)
    assert waiver is not None and waiver["gsi1pk"] == keys.OWED_WAIVER_COPIES
    assert copies_to(guest["email"]) == [] and stored_copy_metadata(waiver["object_key"]) is None
    # When NudgeFunction runs (its handler, as the schedule invokes it), at 10 PM: quiet hours
    at = "2030-01-15T22:00:00-08:00"
    summary = invoke_nudge_function(at)
    # Then the guest's copy arrives once and is stored, naming that email
    assert summary["sent"].get("waiver_copy", 0) >= 1, summary
    assert not any(guest["id"] in line for line in summary["failed"]), summary["failed"]
    (copy,) = copies_to(guest["email"])
    assert "Ada Lovelace" in copy["text"]
    metadata = stored_copy_metadata(waiver["object_key"])
    assert metadata is not None and metadata["ses-message-id"]
    # And the signature is no longer listed as owed, so the next run sends nothing more
    assert "gsi1pk" not in (Store().get(*keys.waiver(sail["id"], guest["id"]), consistent=True) or {})
    invoke_nudge_function(at)
    assert len(copies_to(guest["email"])) == 1
