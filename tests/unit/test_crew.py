"""Crew roles, the domain alone: invite, claim, release, designate against in-memory fakes.

The sail repository in memory (tests/unit/memory/sails.py) is all or nothing and raises the
domain's errors like the DynamoDB one (tests/integration/test_repository_sails.py holds them to
the same scenarios); the mailer records what would have been sent.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from quarterdeck import crew, keys
from quarterdeck.auth import Caller
from quarterdeck.clock import epoch
from quarterdeck.config import Settings
from quarterdeck.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    RoleStateError,
    SailNotFoundError,
    ServiceUnavailableError,
)
from quarterdeck.magic_codes import Purpose, hash_code
from quarterdeck.mail import render_email
from quarterdeck.repositories import Item
from quarterdeck.repositories.sign_in import code_pointer_key
from quarterdeck.sails import create_sail, holders_of
from tests.unit.fakes import FakeMailer, busy
from tests.unit.memory.people import MemoryPeopleRepository
from tests.unit.memory.sails import MemorySailRepository

NOW = datetime(2026, 6, 1, 19, 0, tzinfo=UTC)
SETTINGS = Settings(admin_emails=("admin@example.com", "owner@example.com"), app_url="https://qd.example")
ADMIN = Caller(email="admin@example.com", role="admin", jti="a", expires=0)
ANN = Caller(email="ann@example.com", role="crew", jti="b", expires=0)
NOBODY_ELSE = MemoryPeopleRepository()  # the roster adds no admin to the deployment's two
BOB = Caller(email="bob@example.com", role="crew", jti="c", expires=0)


def clock() -> datetime:
    return NOW


@pytest.fixture
def repo() -> MemorySailRepository:
    return MemorySailRepository()


@pytest.fixture
def sail_id(repo: MemorySailRepository) -> str:
    """A sail on 2026-06-21 with captain, crew-1 and crew-2 open, made by the sails domain itself."""
    created = create_sail(
        repo,
        "admin@example.com",
        date="2026-06-21",
        title="Solstice sunset",
        crew_slots=2,
        clock=clock,
        new_id=lambda: "sail1",
        settings=SETTINGS,
    )
    return str(created["id"])


def role(repo: MemorySailRepository, sail_id: str, slot: str) -> Item:
    return repo.current_role(sail_id, slot)


def marker(repo: MemorySailRepository, sail_id: str, email: str) -> Item | None:
    """The HOLDER# marker saying `email` holds a slot on the sail."""
    return repo.markers.get(sail_id, {}).get(email)


def history(repo: MemorySailRepository, sail_id: str) -> list[tuple[str, str, Any]]:
    """(actor, action, detail) of the sail's history entries."""
    return [(h["actor"], h["action"], h.get("detail")) for h in repo.history[sail_id]]


def claim(repo: MemorySailRepository, mailer: FakeMailer, who: Caller, sail_id: str, slot: str) -> dict[str, Any]:
    return crew.claim_role(repo, mailer, who, sail_id, slot, people=NOBODY_ELSE, settings=SETTINGS, clock=clock)


def release(repo: MemorySailRepository, mailer: FakeMailer, who: Caller, sail_id: str, slot: str) -> dict[str, Any]:
    return crew.release_role(repo, mailer, who, sail_id, slot, people=NOBODY_ELSE, settings=SETTINGS, clock=clock)


def designate(repo: MemorySailRepository, mailer: FakeMailer, sail_id: str, slot: str, email: str) -> dict[str, Any]:
    return crew.designate_role(repo, mailer, ADMIN, sail_id, slot, email, settings=SETTINGS, clock=clock)


def invite(repo: MemorySailRepository, mailer: FakeMailer, sail_id: str, slot: str, email: str) -> dict[str, Any]:
    return crew.invite_to_role(repo, mailer, ADMIN, sail_id, slot, email, settings=SETTINGS, clock=clock)


def holders(repo: MemorySailRepository, sail_id: str) -> dict[str, str]:
    return holders_of(repo.metas[sail_id])


# --- claim ----------------------------------------------------------------------------
def test_the_sail_record_names_its_holders_through_claim_designate_and_release(
    repo: MemorySailRepository, mailer: FakeMailer, sail_id: str
) -> None:
    # Given a new sail: nobody holds a slot
    assert holders(repo, sail_id) == {}
    # When Ann claims crew-1, an admin confirms her, and Bob is designated captain
    claim(repo, mailer, ANN, sail_id, "crew-1")
    designate(repo, mailer, sail_id, "crew-1", "ann@example.com")
    designate(repo, mailer, sail_id, "captain", "bob@example.com")
    # Then the sail's own record (what the calendar feed reads from the index) names both
    assert holders(repo, sail_id) == {"ann@example.com": "crew-1", "bob@example.com": "captain"}
    # And when Ann releases crew-1 she is no longer named; the last release empties it
    release(repo, mailer, ANN, sail_id, "crew-1")
    assert holders(repo, sail_id) == {"bob@example.com": "captain"}
    release(repo, mailer, ADMIN, sail_id, "captain")
    assert holders(repo, sail_id) == {}


def test_claiming_an_open_slot_makes_the_caller_its_holder(
    repo: MemorySailRepository, mailer: FakeMailer, sail_id: str
) -> None:
    # When Ann claims crew-1
    answer = claim(repo, mailer, ANN, sail_id, "crew-1")
    # Then the slot is claimed by her, with the time, and she holds exactly that slot
    assert answer == {"slot": "crew-1", "state": "claimed", "holder": "ann@example.com", "claimed_at": NOW.isoformat()}
    assert role(repo, sail_id, "crew-1")["holder"] == "ann@example.com"
    held = marker(repo, sail_id, "ann@example.com")
    assert held is not None and held["slot"] == "crew-1"
    # And the sail's history says so
    assert ("ann@example.com", "role_claimed", {"slot": "crew-1"}) in history(repo, sail_id)


def test_a_claim_confirms_to_the_claimer_and_tells_the_admins(
    repo: MemorySailRepository, mailer: FakeMailer, sail_id: str
) -> None:
    claim(repo, mailer, ANN, sail_id, "crew-1")
    # Then Ann gets a confirmation with the sail's date and times
    (confirmation,) = mailer.to("ann@example.com")
    assert confirmation.kind == "role_claimed"
    assert "Crew 1" in confirmation.subject and "June 21" in confirmation.subject
    assert "Sunday, June 21, 2026" in confirmation.text and "PM" in confirmation.text
    assert "Crew 1" in confirmation.html and "<html" in confirmation.html
    # And both admins get one notice naming her
    (notice,) = [m for m in mailer.sent if m.kind == "role_claimed_admin"]
    assert set(notice.to) == {"admin@example.com", "owner@example.com"}
    assert "ann@example.com" in notice.subject and "ann@example.com" in notice.text


def test_a_held_slot_cannot_be_claimed_and_the_answer_names_its_state(
    repo: MemorySailRepository, mailer: FakeMailer, sail_id: str
) -> None:
    claim(repo, mailer, ANN, sail_id, "crew-1")
    with pytest.raises(RoleStateError) as refused:
        claim(repo, mailer, BOB, sail_id, "crew-1")
    assert "claimed" in refused.value.message and "ann@example.com" in refused.value.message
    assert marker(repo, sail_id, "bob@example.com") is None


def test_a_person_holds_at_most_one_slot_per_sail(repo: MemorySailRepository, mailer: FakeMailer, sail_id: str) -> None:
    claim(repo, mailer, ANN, sail_id, "crew-1")
    # When Ann tries to take a second slot on the same sail
    with pytest.raises(RoleStateError) as refused:
        claim(repo, mailer, ANN, sail_id, "crew-2")
    # Then she is told which one she holds, and crew-2 stays open
    assert "already holds crew-1" in refused.value.message
    assert role(repo, sail_id, "crew-2")["state"] == "open"
    assert "holder" not in role(repo, sail_id, "crew-2")


def test_a_claim_that_loses_the_race_is_told_who_won(
    repo: MemorySailRepository, mailer: FakeMailer, sail_id: str
) -> None:
    # Given Bob's claim lands between Ann's read and Ann's write
    repo.before_next["claim_slot"] = lambda: claim(repo, FakeMailer(), BOB, sail_id, "crew-1")
    # When Ann's write runs, its condition fails
    with pytest.raises(RoleStateError) as refused:
        claim(repo, mailer, ANN, sail_id, "crew-1")
    # Then she hears the slot's current state and holder, and nothing of hers was written
    assert "crew-1 is claimed, held by bob@example.com" in refused.value.message
    assert marker(repo, sail_id, "ann@example.com") is None
    assert mailer.sent == []


def test_a_claim_that_collides_with_another_transaction_is_tried_again(
    repo: MemorySailRepository, mailer: FakeMailer, sail_id: str
) -> None:
    # Given DynamoDB cancels Ann's transaction for a conflict, and the slot is still open
    repo.fail_next["claim_slot"] = busy()
    before = repo.calls.count("claim_slot")
    # Then her claim is tried again and succeeds, with one confirmation
    assert claim(repo, mailer, ANN, sail_id, "crew-1")["holder"] == "ann@example.com"
    assert repo.calls.count("claim_slot") - before == 2
    assert [m.kind for m in mailer.to("ann@example.com")] == ["role_claimed"]


def test_a_collision_with_the_winning_claim_answers_409_naming_the_winner(
    repo: MemorySailRepository, mailer: FakeMailer, sail_id: str
) -> None:
    # Given Bob's claim commits while Ann's collides with it
    def bob_wins() -> None:
        claim(repo, FakeMailer(), BOB, sail_id, "crew-1")
        repo.fail_next["claim_slot"] = busy()

    repo.before_next["claim_slot"] = bob_wins
    with pytest.raises(RoleStateError) as refused:
        claim(repo, mailer, ANN, sail_id, "crew-1")
    assert "crew-1 is claimed, held by bob@example.com" in refused.value.message


def test_a_claim_whose_answer_was_lost_but_landed_counts_once(
    repo: MemorySailRepository, mailer: FakeMailer, sail_id: str
) -> None:
    repo.lose_answer_next["claim_slot"] = busy()
    before = repo.calls.count("claim_slot")
    assert claim(repo, mailer, ANN, sail_id, "crew-1")["state"] == "claimed"
    assert repo.calls.count("claim_slot") - before == 1
    assert role(repo, sail_id, "crew-1")["holder"] == "ann@example.com"


def test_a_database_that_stays_unavailable_is_reported(
    repo: MemorySailRepository, mailer: FakeMailer, sail_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def always_busy(*args: Any, **kwargs: Any) -> None:
        raise busy()

    monkeypatch.setattr(repo, "claim_slot", always_busy)
    with pytest.raises(ServiceUnavailableError):
        claim(repo, mailer, ANN, sail_id, "crew-1")
    assert role(repo, sail_id, "crew-1")["state"] == "open"
    assert mailer.sent == []


def test_roles_of_a_cancelled_or_departed_sail_do_not_change(
    repo: MemorySailRepository, mailer: FakeMailer, sail_id: str
) -> None:
    repo.metas[sail_id]["status"] = "cancelled"
    with pytest.raises(ConflictError) as cancelled:
        claim(repo, mailer, ANN, sail_id, "crew-1")
    assert cancelled.value.code == "sail_cancelled"

    repo.metas[sail_id]["status"] = "scheduled"
    late = NOW + timedelta(days=30)
    with pytest.raises(ConflictError) as departed:
        crew.claim_role(repo, mailer, ANN, sail_id, "crew-1", people=NOBODY_ELSE, settings=SETTINGS, clock=lambda: late)
    assert departed.value.code == "sail_departed"
    assert role(repo, sail_id, "crew-1")["state"] == "open"


def test_a_sail_cancelled_between_read_and_write_is_refused(
    repo: MemorySailRepository, mailer: FakeMailer, sail_id: str
) -> None:
    repo.before_next["claim_slot"] = lambda: repo.metas[sail_id].update(status="cancelled")
    with pytest.raises(ConflictError) as refused:
        claim(repo, mailer, ANN, sail_id, "crew-1")
    assert refused.value.code == "sail_cancelled"
    assert role(repo, sail_id, "crew-1")["state"] == "open"


@pytest.mark.parametrize("slot", ["crew-9", "../META", "CAPTAIN", "crew-0", "x" * 300])
def test_an_unknown_slot_is_not_found(repo: MemorySailRepository, mailer: FakeMailer, sail_id: str, slot: str) -> None:
    with pytest.raises(NotFoundError) as missing:
        claim(repo, mailer, ANN, sail_id, slot)
    assert missing.value.code == "role_not_found"


def test_an_unknown_sail_is_not_found(repo: MemorySailRepository, mailer: FakeMailer) -> None:
    with pytest.raises(SailNotFoundError):
        claim(repo, mailer, ANN, "nosuchsail", "crew-1")


def test_a_mail_failure_does_not_undo_or_fail_a_claim(repo: MemorySailRepository, sail_id: str) -> None:
    answer = claim(repo, FakeMailer(failing=True), ANN, sail_id, "crew-1")
    assert answer["state"] == "claimed"
    assert role(repo, sail_id, "crew-1")["holder"] == "ann@example.com"


# --- release --------------------------------------------------------------------------
def test_the_holder_releases_a_slot_and_the_admins_hear_of_it(
    repo: MemorySailRepository, mailer: FakeMailer, sail_id: str
) -> None:
    claim(repo, mailer, ANN, sail_id, "crew-1")
    mailer.sent.clear()
    answer = release(repo, mailer, ANN, sail_id, "crew-1")
    # Then the slot is open, without holder, and Ann may claim another slot
    assert answer == {"slot": "crew-1", "state": "open"}
    assert marker(repo, sail_id, "ann@example.com") is None
    claim(repo, FakeMailer(), ANN, sail_id, "crew-2")
    # And the admins (not Ann) got a notice
    assert [(m.kind, set(m.to)) for m in mailer.sent] == [("role_released", {"admin@example.com", "owner@example.com"})]
    assert "ann@example.com released Crew 1" in mailer.sent[0].text
    assert ("ann@example.com", "role_released", {"slot": "crew-1", "holder": "ann@example.com"}) in history(
        repo, sail_id
    )


def test_an_admin_releases_anyone_and_the_person_is_told(
    repo: MemorySailRepository, mailer: FakeMailer, sail_id: str
) -> None:
    claim(repo, mailer, ANN, sail_id, "captain")
    mailer.sent.clear()
    release(repo, mailer, ADMIN, sail_id, "captain")
    assert role(repo, sail_id, "captain")["state"] == "open"
    (to_ann,) = mailer.to("ann@example.com")
    assert "released you from Captain" in to_ann.text and "admin@example.com" in to_ann.text
    (to_admins,) = [m for m in mailer.sent if m.to == ("owner@example.com",)]
    assert "admin@example.com released ann@example.com from Captain" in to_admins.text


def test_crew_cannot_release_a_slot_they_do_not_hold(
    repo: MemorySailRepository, mailer: FakeMailer, sail_id: str
) -> None:
    claim(repo, mailer, ANN, sail_id, "crew-1")
    with pytest.raises(ForbiddenError):
        release(repo, mailer, BOB, sail_id, "crew-1")
    assert role(repo, sail_id, "crew-1")["holder"] == "ann@example.com"


def test_releasing_an_open_slot_names_its_state(repo: MemorySailRepository, mailer: FakeMailer, sail_id: str) -> None:
    with pytest.raises(RoleStateError) as refused:
        release(repo, mailer, ADMIN, sail_id, "crew-2")
    assert "crew-2 is open" in refused.value.message


def test_a_release_racing_another_release_is_told_the_new_state(
    repo: MemorySailRepository, mailer: FakeMailer, sail_id: str
) -> None:
    claim(repo, mailer, ANN, sail_id, "crew-1")
    repo.before_next["release_slot"] = lambda: release(repo, FakeMailer(), ANN, sail_id, "crew-1")
    with pytest.raises(RoleStateError) as refused:
        release(repo, mailer, ADMIN, sail_id, "crew-1")
    assert "crew-1 is open" in refused.value.message


# --- designate ------------------------------------------------------------------------
def test_designating_the_claimed_holder_confirms_them(
    repo: MemorySailRepository, mailer: FakeMailer, sail_id: str
) -> None:
    claim(repo, mailer, ANN, sail_id, "crew-1")
    mailer.sent.clear()
    answer = designate(repo, mailer, sail_id, "crew-1", "ANN@example.com")
    assert answer["state"] == "designated" and answer["holder"] == "ann@example.com"
    assert answer["claimed_at"] == answer["designated_at"] == NOW.isoformat()
    (notice,) = mailer.to("ann@example.com")
    assert notice.kind == "role_designated" and "confirmed you as Crew 1" in notice.text


def test_designating_an_open_slot_assigns_anyone_directly(
    repo: MemorySailRepository, mailer: FakeMailer, sail_id: str
) -> None:
    answer = designate(repo, mailer, sail_id, "captain", "skipper@example.com")
    assert answer["state"] == "designated" and answer["holder"] == "skipper@example.com"
    assert "claimed_at" not in answer
    # The new holder gets the marker (one slot per sail), a person record, and an email
    assert marker(repo, sail_id, "skipper@example.com") == {
        "type": "holder",
        "slot": "captain",
        "email": "skipper@example.com",
        "since": NOW.isoformat(),
    }
    assert repo.people["skipper@example.com"]["role"] == "crew"
    (notice,) = mailer.to("skipper@example.com")
    assert "put you down as Captain" in notice.text
    # And they cannot be given a second slot on the same sail
    with pytest.raises(RoleStateError) as refused:
        designate(repo, mailer, sail_id, "crew-1", "skipper@example.com")
    assert "already holds captain" in refused.value.message
    assert role(repo, sail_id, "crew-1")["state"] == "open"


@pytest.mark.parametrize(
    ("who", "expected"),
    [("bob@example.com", "crew-1 is claimed, held by ann@example.com"), ("ann@example.com", "already designated")],
)
def test_designate_outside_the_state_machine_names_the_state(
    repo: MemorySailRepository, mailer: FakeMailer, sail_id: str, who: str, expected: str
) -> None:
    claim(repo, mailer, ANN, sail_id, "crew-1")
    if who == "ann@example.com":
        designate(repo, mailer, sail_id, "crew-1", who)
    with pytest.raises(RoleStateError) as refused:
        designate(repo, mailer, sail_id, "crew-1", who)
    assert expected in refused.value.message


def test_claiming_a_designated_slot_names_its_state(
    repo: MemorySailRepository, mailer: FakeMailer, sail_id: str
) -> None:
    designate(repo, mailer, sail_id, "captain", "skipper@example.com")
    with pytest.raises(RoleStateError) as refused:
        claim(repo, mailer, ANN, sail_id, "captain")
    assert "captain is designated, held by skipper@example.com" in refused.value.message


@pytest.mark.parametrize("bad", ["", "not an email", "a@b", "x@example.com\r\nBcc: evil@example.com"])
def test_designate_and_invite_refuse_a_bad_email_naming_the_field(
    repo: MemorySailRepository, mailer: FakeMailer, sail_id: str, bad: str
) -> None:
    for action in (designate, invite):
        with pytest.raises(InvalidInputError) as refused:
            action(repo, mailer, sail_id, "crew-1", bad)
        assert refused.value.field == "email"
    assert mailer.sent == []


# --- invite ---------------------------------------------------------------------------
def test_an_invite_mails_a_one_time_claim_link_for_the_slot(
    repo: MemorySailRepository, mailer: FakeMailer, sail_id: str
) -> None:
    answer = invite(repo, mailer, sail_id, "crew-1", "Crew@Example.com")
    # Then the slot records whom it was offered to, and so does the history
    assert answer["invited"] == {"crew@example.com": NOW.isoformat()}
    assert ("admin@example.com", "role_invited", {"slot": "crew-1", "email": "crew@example.com"}) in history(
        repo, sail_id
    )
    # And one email carries the sail's date, times and the magic link
    (message,) = mailer.sent
    assert message.kind == "role_invite" and message.to == ("crew@example.com",)
    assert "Crew 1" in message.subject and "June 21" in message.subject
    assert "Departure:" in message.text and "72 hours" in message.text
    link = re.search(r"https://qd\.example/#/magic\?code=([\w-]+)", message.text)
    assert link is not None and link.group(0) in message.html
    # And the code stored with the slot's change is for exactly that sail and slot, for 72 hours
    code = repo.codes[keys.magic_code(hash_code(link.group(1)))]
    assert code["email"] == "crew@example.com" and code["purpose"] == str(Purpose.claim(sail_id, "crew-1"))
    assert code["used"] is False and code["expires_at"] == epoch(NOW + timedelta(hours=72))


def test_a_resent_invite_revokes_the_first_link(repo: MemorySailRepository, mailer: FakeMailer, sail_id: str) -> None:
    # Given an invite to crew-1 was sent
    invite(repo, mailer, sail_id, "crew-1", "crew@example.com")
    # When it is sent again
    invite(repo, mailer, sail_id, "crew-1", "crew@example.com")
    # Then the first link's code is revoked, the second is live, and the link names the second
    first, second = (re.search(r"code=([\w-]+)", m.text).group(1) for m in mailer.sent)  # type: ignore[union-attr]
    assert repo.codes[keys.magic_code(hash_code(first))]["revoked"] is True
    assert repo.codes[keys.magic_code(hash_code(second))]["used"] is False
    pointer = repo.codes[code_pointer_key(f"invite:{sail_id}:crew-1:crew@example.com")]
    assert pointer["code_hash"] == hash_code(second)


def test_only_an_open_slot_can_be_offered(repo: MemorySailRepository, mailer: FakeMailer, sail_id: str) -> None:
    claim(repo, mailer, ANN, sail_id, "crew-1")
    mailer.sent.clear()
    with pytest.raises(RoleStateError) as refused:
        invite(repo, mailer, sail_id, "crew-1", "crew@example.com")
    assert "crew-1 is claimed" in refused.value.message
    assert mailer.sent == []


def test_a_failed_invite_email_is_reported(repo: MemorySailRepository, sail_id: str) -> None:
    # The invite is the whole point of the call: the admin must know it did not go out
    with pytest.raises(ServiceUnavailableError):
        crew.invite_to_role(
            repo,
            FakeMailer(failing=True),
            ADMIN,
            sail_id,
            "crew-1",
            "crew@example.com",
            settings=SETTINGS,
            clock=clock,
        )


# --- views and templates --------------------------------------------------------------
def test_only_admins_see_whom_a_slot_was_offered_to() -> None:
    item = {"slot": "crew-1", "state": "open", "invited": {"a@example.com": "2026-06-01T19:00:00+00:00"}}
    assert "invited" not in crew.role_view(item)
    assert crew.role_view(item, for_admin=True)["invited"] == {"a@example.com": "2026-06-01T19:00:00+00:00"}


@pytest.mark.parametrize(
    "kind", ["role_invite", "role_claimed", "role_claimed_admin", "role_released", "role_designated"]
)
def test_every_role_email_has_a_subject_text_and_escaped_html(kind: str) -> None:
    meta = {
        "id": "s1",
        "title": "<b>Sunset</b> & friends",
        "date": "2026-06-21",
        "departure": "2026-06-21T19:29:00-07:00",
        "return": "2026-06-21T22:59:00-07:00",
    }
    context = {
        **crew.sail_context(meta, "crew-2", SETTINGS),
        "link": "https://qd.example/#/magic?code=abc",
        "hours": 72,
        "holder": "ann@example.com",
        "actor": "admin@example.com",
        "by_holder": False,
        "to_holder": False,
        "confirmed": True,
    }
    assert context["departure_text"] == "7:29 PM" and context["date_text"] == "Sunday, June 21, 2026"
    message = render_email(kind, ["ann@example.com"], context)
    assert message.subject and "\n" not in message.subject and "{{" not in message.subject
    assert "Crew 2" in message.text and "<b>Sunset</b> & friends" in message.text
    assert "&lt;b&gt;Sunset&lt;/b&gt; &amp; friends" in message.html and "<b>Sunset</b>" not in message.html
