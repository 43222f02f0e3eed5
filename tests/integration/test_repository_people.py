"""The people and sign-in repositories: the DynamoDB ones (moto's server, the table built from
template.yaml) and the in-memory ones the unit tests use run the same scenarios, so the fakes
cannot drift from the real thing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local.index_people import index_people, index_suppressions
from local.index_people import main as index_one_off
from quarterdeck import keys
from quarterdeck.errors import (
    CodeRejectedError,
    LimitReachedError,
    PersonExistsError,
    PersonNotFoundError,
    SlotChangedError,
)
from quarterdeck.magic_codes import Purpose
from quarterdeck.repositories.deliveries import DeliveryRepository, DynamoDeliveryRepository
from quarterdeck.repositories.people import DynamoPeopleRepository, PeopleRepository
from quarterdeck.repositories.person_records import person_invited
from quarterdeck.repositories.sails import DynamoSailRepository, SailRepository, holders_of
from quarterdeck.repositories.sign_in import (
    CODE_POINTER,
    DynamoSignInRepository,
    Limit,
    SignInRepository,
    code_pointer_key,
    new_code,
)
from quarterdeck.store import Store, TransactionCanceledError
from tests.integration.test_repository_sails import change, given_sail, role
from tests.unit.memory.deliveries import MemoryDeliveryRepository
from tests.unit.memory.people import MemoryPeopleRepository, MemorySignInRepository
from tests.unit.memory.sails import MemorySailRepository

CREATED = "2026-12-04T10:00:00+00:00"


@dataclass
class Repositories:
    people: PeopleRepository
    sign_in: SignInRepository
    deliveries: DeliveryRepository


@pytest.fixture(params=["dynamo", "memory"])
def repos(request: pytest.FixtureRequest) -> Iterator[Repositories]:
    if request.param == "dynamo":
        request.getfixturevalue("stack")  # points Store() at the local stack's table
        store = Store()
        yield Repositories(
            DynamoPeopleRepository(store), DynamoSignInRepository(store), DynamoDeliveryRepository(store)
        )
    else:
        deliveries = MemoryDeliveryRepository()
        people = MemoryPeopleRepository(deliveries=deliveries)
        yield Repositories(people, MemorySignInRepository(people), deliveries)


def someone(name: str = "person") -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}@Example.com"


def a_limit(ceiling: int = 2) -> Limit:
    return Limit(f"test#{uuid.uuid4().hex[:8]}", "w1", ceiling, 2_000_000_000)


# --- people ---------------------------------------------------------------------------
def test_a_person_added_is_found_by_any_case_of_the_address(repos: Repositories) -> None:
    # Given a person added as crew
    email = someone()
    added = repos.people.add_person(email, "crew", created_at=CREATED)
    # When they are read with the address in another case
    found = repos.people.person(email.upper())
    # Then the record is theirs, nudges on, without table keys
    assert found == added
    assert found is not None and found["email"] == email.lower() and found["role"] == "crew"
    assert found["nudges"] is True and "pk" not in found
    assert repos.people.person(someone("nobody")) is None


def test_adding_someone_on_record_is_refused_with_their_record(repos: Repositories) -> None:
    # Given a guest on record
    email = someone("guest")
    repos.people.add_person(email, "guest", created_at=CREATED)
    # When they are added again as crew
    with pytest.raises(PersonExistsError) as exists:
        repos.people.add_person(email, "crew", created_at=CREATED)
    # Then the refusal carries the record as it is (still a guest)
    assert exists.value.current["role"] == "guest"


def test_people_are_read_together_by_address(repos: Repositories) -> None:
    # Given two people on record
    first, second = someone("first"), someone("second")
    for email in (first, second):
        repos.people.add_person(email, "crew", created_at=CREATED)
    # When they and someone unknown are read together
    found = repos.people.people([first, second.upper(), someone("unknown")])
    # Then those on record come back, by lower-case address
    assert set(found) == {first.lower(), second.lower()}
    assert repos.people.people([]) == {}


def test_a_role_changes_only_for_someone_on_record(repos: Repositories) -> None:
    # Given a guest on record
    email = someone("promoted")
    repos.people.add_person(email, "guest", created_at=CREATED)
    # When they are made crew
    assert repos.people.set_role(email, "crew")["role"] == "crew"
    # Then the record says so; and someone unknown cannot be given a role
    assert (repos.people.person(email) or {})["role"] == "crew"
    with pytest.raises(PersonNotFoundError):
        repos.people.set_role(someone("unknown"), "crew")


def test_signed_out_sessions_are_remembered_and_forgotten(repos: Repositories) -> None:
    # Given a person who never signed out
    email = someone("signer")
    repos.people.add_person(email, "crew", created_at=CREATED)
    # When two sessions are signed out
    repos.people.revoke_session(email, "jti-1", 100)
    after = repos.people.revoke_session(email, "jti-2", 200)
    # Then both are remembered, with their expiry
    assert after is not None and after["revoked"] == {"jti-1": 100, "jti-2": 200}
    # And a third sign-out that prunes the first (expired) forgets only it
    repos.people.revoke_session(email, "jti-3", 300, prune=["jti-1"])
    assert (repos.people.person(email) or {})["revoked"] == {"jti-2": 200, "jti-3": 300}
    # And signing out someone unknown changes nothing
    assert repos.people.revoke_session(someone("unknown"), "jti", 100) is None


def test_turning_nudges_off_makes_a_guest_record_of_someone_only_mailed(repos: Repositories) -> None:
    # Given crew on record and an address we only mailed
    crew, mailed = someone("crew"), someone("mailed")
    repos.people.add_person(crew, "crew", created_at=CREATED)
    # When both turn their nudges off
    for email in (crew, mailed):
        repos.people.set_nudges(email, False, created_at=CREATED)
    # Then both records say so, the crew member keeps the role, the other is a guest
    crew_record = repos.people.person(crew) or {}
    assert (crew_record["nudges"], crew_record["role"]) == (False, "crew")
    assert (repos.people.person(mailed) or {}) == {
        "type": "person",
        "email": mailed.lower(),
        "role": "guest",
        "created_at": CREATED,
        "nudges": False,
    }
    # And turning them on again is kept
    repos.people.set_nudges(crew, True, created_at=CREATED)
    assert (repos.people.person(crew) or {})["nudges"] is True


def test_a_calendar_token_is_kept_and_cleared_on_a_person(repos: Repositories) -> None:
    # Given a person on record
    email = someone("feed")
    repos.people.add_person(email, "guest", created_at=CREATED)
    # When a calendar token is kept for their sail
    repos.people.set_calendar_token(email, "hash-1", at=CREATED, sail_id="s1")
    # Then the record has it
    record = repos.people.person(email) or {}
    assert (record["calendar_token"], record["calendar_token_at"], record["calendar_sail_id"]) == (
        "hash-1",
        CREATED,
        "s1",
    )
    # And clearing it removes all three
    repos.people.clear_calendar_token(email)
    assert not {"calendar_token", "calendar_token_at", "calendar_sail_id"} & set(repos.people.person(email) or {})


def test_calendar_tokens_need_a_person(repos: Repositories) -> None:
    # Given an address nobody holds, when a token is kept or cleared for it, then neither is done
    with pytest.raises(PersonNotFoundError):
        repos.people.set_calendar_token(someone("unknown"), "hash", at=CREATED)
    with pytest.raises(PersonNotFoundError):
        repos.people.clear_calendar_token(someone("unknown"))


def test_a_deleted_person_is_gone(repos: Repositories) -> None:
    # Given a person on record, when they are deleted, then they are not found
    email = someone("leaver")
    repos.people.add_person(email, "crew", created_at=CREATED)
    repos.people.delete_person(email)
    assert repos.people.person(email) is None


# --- sign-in ----------------------------------------------------------------------------
def test_an_issued_code_is_stored_by_its_hash(repos: Repositories) -> None:
    # Given a login code issued
    email = someone("login")
    code = repos.sign_in.issue_code(email, Purpose.login(), timedelta(minutes=15))
    # When it is looked up
    found = repos.sign_in.look_up(code).code
    # Then it is unused, for its owner and purpose
    assert found is not None
    assert (found["email"], found["purpose"], found["used"]) == (email.lower(), "login", False)
    # And an unknown code, or nothing at all, finds nothing
    assert repos.sign_in.look_up("nothing-like-it").code is None
    assert repos.sign_in.look_up(None).code is None


def test_a_new_code_for_a_link_revokes_the_previous_one(repos: Repositories) -> None:
    # Given a waiver link's code
    link, purpose = f"waiver:{uuid.uuid4().hex[:6]}:g1", Purpose.waiver("s1", "g1")
    old = repos.sign_in.issue_code(someone("guest"), purpose, timedelta(hours=1), replaces=link)
    # When the link gets a new code
    new = repos.sign_in.issue_code(someone("guest"), purpose, timedelta(hours=1), replaces=link)
    # Then the old one is revoked and the new one is live
    assert (repos.sign_in.look_up(old).code or {}).get("revoked") is True
    assert (repos.sign_in.look_up(new).code or {}).get("used") is False


def test_a_pointer_read_by_the_caller_still_revokes_the_previous_code(repos: Repositories) -> None:
    # Given a link's code, and its pointer as a caller read it (stale after one more code)
    link, purpose = f"waiver:{uuid.uuid4().hex[:6]}:g1", Purpose.waiver("s1", "g1")
    old = repos.sign_in.issue_code(someone("guest"), purpose, timedelta(hours=1), replaces=link)
    # When new codes are issued with the pointer given as read (none: never issued; then a stale one)
    newer = repos.sign_in.issue_code(someone("guest"), purpose, timedelta(hours=1), replaces=link, pointer=None)
    newest = repos.sign_in.issue_code(someone("guest"), purpose, timedelta(hours=1), replaces=link, pointer=None)
    # Then each earlier code is revoked, and the newest is the live one
    assert (repos.sign_in.look_up(old).code or {}).get("revoked") is True
    assert (repos.sign_in.look_up(newer).code or {}).get("revoked") is True
    assert (repos.sign_in.look_up(newest).code or {}).get("used") is False


def test_counting_within_limits_is_all_or_nothing(repos: Repositories) -> None:
    # Given two limits, one of them at its ceiling after a count
    tight, loose = a_limit(1), a_limit(5)
    repos.sign_in.count_within([tight, loose])
    assert repos.sign_in.look_up(None, [tight, loose]).counts == {tight.counter: 1, loose.counter: 1}
    # When both are counted again, Then it is refused naming the full one, and neither counted
    with pytest.raises(LimitReachedError) as reached:
        repos.sign_in.count_within([tight, loose])
    assert reached.value.counters == {tight.counter}
    assert repos.sign_in.look_up(None, [tight, loose]).counts == {tight.counter: 1, loose.counter: 1}


def test_codes_are_counted_against_a_limit_and_refused_at_it(repos: Repositories) -> None:
    # Given a limit of two codes
    limit, email = a_limit(2), someone("eager")
    for _ in range(2):
        repos.sign_in.issue_code(email, Purpose.login(), timedelta(minutes=15), limits=[limit])
    assert repos.sign_in.look_up(None, [limit]).counts == {limit.counter: 2}
    # When a third is asked for
    with pytest.raises(LimitReachedError) as reached:
        repos.sign_in.issue_code(email, Purpose.login(), timedelta(minutes=15), limits=[limit])
    # Then it is refused, naming the counter, and not counted
    assert reached.value.counters == {limit.counter}
    assert repos.sign_in.look_up(None, [limit]).counts == {limit.counter: 2}


def test_counting_within_limits_counts_all_or_none(repos: Repositories) -> None:
    # Given two limits, the second of one count only
    roomy, tight = a_limit(5), a_limit(1)
    repos.sign_in.count_within([roomy, tight])
    assert repos.sign_in.look_up(None, [roomy, tight]).counts == {roomy.counter: 1, tight.counter: 1}
    # When a request goes through both again
    with pytest.raises(LimitReachedError) as reached:
        repos.sign_in.count_within([roomy, tight])
    # Then it is refused naming the full counter, and neither is counted
    assert reached.value.counters == {tight.counter}
    assert repos.sign_in.look_up(None, [roomy, tight]).counts == {roomy.counter: 1, tight.counter: 1}
    # And nothing to count is nothing to refuse
    repos.sign_in.count_within([])


def test_counting_adds_one_in_the_window(repos: Repositories) -> None:
    # Given a counter never used, when it is counted twice, then it holds two
    limit = a_limit()
    assert repos.sign_in.look_up(None, [limit]).counts == {limit.counter: 0}
    repos.sign_in.count(limit)
    repos.sign_in.count(limit)
    assert repos.sign_in.look_up(None, [limit]).counts == {limit.counter: 2}


def test_redeeming_uses_the_code_once_and_makes_the_person(repos: Repositories) -> None:
    # Given a login code of someone not on record
    email = someone("new")
    code = repos.sign_in.issue_code(email, Purpose.login(), timedelta(minutes=15))
    # When it is redeemed
    repos.sign_in.redeem(code, email=email, role="crew")
    # Then the code is used and the person is crew, nudges on
    assert (repos.sign_in.look_up(code).code or {})["used"] is True
    person = repos.people.person(email) or {}
    assert (person["role"], person["nudges"], person["type"]) == ("crew", True, "person")
    # And a second redemption is refused, saying why
    with pytest.raises(CodeRejectedError, match="already been used"):
        repos.sign_in.redeem(code, email=email, role="crew")


def test_a_guest_code_never_lowers_a_role(repos: Repositories) -> None:
    # Given crew on record with a waiver code
    email = someone("crew")
    repos.people.add_person(email, "crew", created_at=CREATED)
    code = repos.sign_in.issue_code(email, Purpose.waiver("s1", "g1"), timedelta(hours=1))
    # When it is redeemed as a guest
    repos.sign_in.redeem(code, email=email, role="guest")
    # Then the record is still crew's
    assert (repos.people.person(email) or {})["role"] == "crew"


def test_redeeming_at_a_limit_is_refused_and_spends_nothing(repos: Repositories) -> None:
    # Given a good code and a counter at its ceiling
    email, limit = someone("limited"), a_limit(1)
    code = repos.sign_in.issue_code(email, Purpose.login(), timedelta(minutes=15))
    repos.sign_in.count(limit)
    # When the code is redeemed under that limit
    with pytest.raises(LimitReachedError) as reached:
        repos.sign_in.redeem(code, email=email, role="crew", limits=[limit])
    # Then it is refused, naming the counter, and the code is still unused
    assert reached.value.counters == {limit.counter}
    assert (repos.sign_in.look_up(code).code or {})["used"] is False
    assert repos.people.person(email) is None


def test_an_expired_code_is_refused(repos: Repositories) -> None:
    # Given a code issued two hours ago, valid for fifteen minutes
    issued = datetime.now(UTC) - timedelta(hours=2)
    email = someone("late")
    code = repos.sign_in.issue_code(email, Purpose.login(), timedelta(minutes=15), clock=lambda: issued)
    # When it is redeemed now, then it is refused as expired
    with pytest.raises(CodeRejectedError, match="expired"):
        repos.sign_in.redeem(code, email=email, role="crew")


def test_an_unknown_code_is_refused(repos: Repositories) -> None:
    with pytest.raises(CodeRejectedError, match="not valid"):
        repos.sign_in.redeem("no-such-code", email=someone(), role="crew")


# --- the write builders other aggregates put in their transactions (DynamoDB only) ---------
def test_of_two_codes_issued_for_a_link_at_once_one_loses_by_name(stack: object) -> None:
    # Given a link's pointer as two issuers read it (absent)
    store, link = Store(), f"invite:{uuid.uuid4().hex[:6]}:crew-1"
    pointer = store.get(*code_pointer_key(link), consistent=True)
    first = new_code(someone(), Purpose.claim("s1", "crew-1"), timedelta(hours=1), replaces=link, pointer=pointer)
    second = new_code(someone(), Purpose.claim("s1", "crew-1"), timedelta(hours=1), replaces=link, pointer=pointer)
    # When both write
    store.transact(first.writes)
    with pytest.raises(TransactionCanceledError) as lost:
        store.transact(second.writes)
    # Then the second is cancelled by the pointer's condition, named
    assert lost.value.failed == {CODE_POINTER}
    assert DynamoSignInRepository(store).look_up(second.code).code is None


# --- the roster (issue 20) ------------------------------------------------------------------
def _listed(repos: Repositories, *emails: str) -> dict[str, dict[str, object]]:
    wanted = {email.lower() for email in emails}
    return {str(p["email"]): p for p in repos.people.roster() if p["email"] in wanted}


def test_the_roster_lists_every_record_written_by_any_path(repos: Repositories) -> None:
    # Given a person added, one made by a sign-in, one by an unsubscribe link, one enrolled
    added, signed, mailed, enrolled = someone("added"), someone("signed"), someone("mailed"), someone("enrolled")
    repos.people.add_person(added, "crew", created_at=CREATED)
    code = repos.sign_in.issue_code(signed, Purpose.login(), timedelta(minutes=5))
    repos.sign_in.redeem(code, email=signed, role="crew")
    repos.people.set_nudges(mailed, False, created_at=CREATED)
    repos.people.enrol(enrolled, admin=False, name=None, added_by="a@example.com", at=CREATED)
    # When the roster is read
    listed = _listed(repos, added, signed, mailed, enrolled)
    # Then all four are there, without table keys, the signed-in one with the time of it
    assert set(listed) == {added.lower(), signed.lower(), mailed.lower(), enrolled.lower()}
    assert all("gsi1pk" not in p and "pk" not in p for p in listed.values())
    assert listed[signed.lower()].get("last_sign_in") and not listed[added.lower()].get("last_sign_in")


def test_the_roster_listing_holds_whose_mail_bounces_with_the_reason(repos: Repositories) -> None:
    # Given a person on the roster and an address with no record, both suppressed, and a person who is not
    bounced, complained, fine = someone("bounced"), someone("complained"), someone("fine")
    for email in (bounced, fine):
        repos.people.add_person(email, "crew", created_at=CREATED)
    repos.deliveries.suppress(bounced.upper(), "Hard bounce: 550", "bounce", "m-1", "2026-12-04T15:00:00Z")
    repos.deliveries.suppress(complained, "Complaint", "complaint", "m-2", "2026-12-04T16:00:00Z")
    # When the roster is read with its suppressions
    listing = repos.people.roster_listing()
    # Then each suppression is there by address, as the delivery log gives it, and only persons are people
    assert listing.suppressed[bounced.lower()] == repos.deliveries.suppressions_of([bounced])[bounced.lower()]
    assert listing.suppressed[bounced.lower()]["reason"] == "Hard bounce: 550"
    assert listing.suppressed[complained.lower()]["event"] == "complaint" and fine.lower() not in listing.suppressed
    listed = {str(p["email"]) for p in listing.people}
    assert {bounced.lower(), fine.lower()} <= listed and complained.lower() not in listed
    assert all(p.get("type") == "person" for p in listing.people)
    assert [p["email"] for p in repos.people.roster()] == [p["email"] for p in listing.people]


class CountingStore(Store):
    """The table, counting round trips (each call of the low-level client)."""

    calls = 0

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        return super()._call(operation, **kwargs)


def test_the_roster_listing_is_one_query_and_older_suppressions_join_it_once_indexed(stack: object) -> None:
    store = CountingStore()
    people, deliveries = DynamoPeopleRepository(store), DynamoDeliveryRepository(store)
    # Given a suppression written before it carried the people index's keys
    old = someone("old-bounce").lower()
    deliveries.suppress(old, "Hard bounce", "bounce", "m-0", "2026-11-01T00:00:00Z")
    store.update(*keys.suppression(old), "REMOVE gsi1pk, gsi1sk")
    # When the roster is read with its suppressions
    before = store.calls
    listing = people.roster_listing()
    # Then that is one round trip, and the old suppression is not in it
    assert store.calls - before == 1
    assert old not in listing.suppressed
    # When the one-off indexing runs (twice: it is safe to run again)
    assert index_suppressions(store) >= 1
    assert index_suppressions(store) == 0
    # Then the roster shows it, with its reason, and senders still find it
    assert people.roster_listing().suppressed[old]["reason"] == "Hard bounce"
    assert deliveries.suppressions_of([old]) == {old: people.roster_listing().suppressed[old]}


def test_enrolling_makes_crew_or_admin_and_refuses_someone_already_on_the_roster(repos: Repositories) -> None:
    # Given a guest on record
    guest, new = someone("guest"), someone("new")
    repos.people.add_person(guest, "guest", created_at=CREATED)
    # When the guest is enrolled as admin and a new address as crew with a name
    made_admin = repos.people.enrol(guest, admin=True, name=None, added_by="A@example.com", at=CREATED)
    made_crew = repos.people.enrol(new, admin=False, name="Ann Lee", added_by="a@example.com", at=CREATED)
    # Then the records say so, and each answer is the record as stored (no read back)
    assert (made_admin["role"], made_admin["admin"], made_admin["added_by"]) == ("admin", True, "a@example.com")
    assert made_admin == repos.people.person(guest, consistent=True)
    assert made_crew == repos.people.person(new, consistent=True)
    assert (made_crew["role"], made_crew.get("admin"), made_crew["name"], made_crew["nudges"]) == (
        "crew",
        None,
        "Ann Lee",
        True,
    )
    # And enrolling either again is refused with their record
    with pytest.raises(PersonExistsError) as exists:
        repos.people.enrol(new, admin=True, name=None, added_by="a@example.com", at=CREATED)
    assert exists.value.current["role"] == "crew"


def test_a_person_is_renamed_made_admin_and_demoted(repos: Repositories) -> None:
    email = someone()
    repos.people.enrol(email, admin=False, name=None, added_by="a@example.com", at=CREATED)
    assert repos.people.update_person(email, admin=True, name="Bo")["admin"] is True
    demoted = repos.people.update_person(email, admin=False)
    assert (demoted["role"], demoted.get("admin"), demoted["name"]) == ("crew", None, "Bo")
    assert repos.people.update_person(email)["name"] == "Bo"
    with pytest.raises(PersonNotFoundError):
        repos.people.update_person(someone("nobody"), name="X")


def test_a_change_from_the_record_as_read_answers_what_is_stored(repos: Repositories) -> None:
    # Given a crew member as read
    email = someone()
    repos.people.enrol(email, admin=False, name="Al", added_by="a@example.com", at=CREATED)
    read = repos.people.person(email, consistent=True)
    assert read is not None
    # When they are made admin and renamed from that record, then demoted from the answer
    promoted = repos.people.update_person(email, admin=True, name="Alma", current=read)
    demoted = repos.people.update_person(email, admin=False, current=promoted)
    # Then each answer is the record as stored afterwards
    assert promoted["admin"] is True and promoted["name"] == "Alma"
    assert demoted == repos.people.person(email, consistent=True)


def test_a_removed_person_keeps_their_record_and_can_be_enrolled_again(repos: Repositories) -> None:
    # Given an admin with a calendar feed
    email = someone()
    repos.people.enrol(email, admin=True, name="Cy", added_by="a@example.com", at=CREATED)
    repos.people.set_calendar_token(email, "h" * 64, at=CREATED)
    # When they are removed
    assert repos.people.remove(email, by="A@example.com", at=CREATED) is True
    # Then the record stays with its name, marked removed, without admin or calendar feed
    removed = repos.people.person(email, consistent=True)
    assert removed is not None
    assert (removed["status"], removed["removed_by"], removed["name"]) == ("removed", "a@example.com", "Cy")
    assert removed.get("admin") is None and removed.get("calendar_token") is None
    # And a removed person can be neither changed nor removed again
    with pytest.raises(PersonNotFoundError):
        repos.people.update_person(email, name="X")
    with pytest.raises(PersonNotFoundError):
        repos.people.remove(email, by="a@example.com", at=CREATED)
    with pytest.raises(PersonNotFoundError):
        repos.people.remove(someone("nobody"), by="a@example.com", at=CREATED)
    # But enrolled again they are crew and active
    again = repos.people.enrol(email, admin=False, name=None, added_by="a@example.com", at=CREATED)
    assert again.get("status") is None and again["role"] == "crew" and again["name"] == "Cy"
    assert again == repos.people.person(email, consistent=True)


def test_removing_crew_only_leaves_an_admin_as_they_are(repos: Repositories) -> None:
    # Given an admin and a crew member
    admin, crew = someone("admin"), someone("crew")
    repos.people.enrol(admin, admin=True, name="Ad", added_by="a@example.com", at=CREATED)
    repos.people.enrol(crew, admin=False, name="Cru", added_by="a@example.com", at=CREATED)
    # When both are removed as crew only
    kept = repos.people.remove(admin, by="a@example.com", at=CREATED, crew_only=True)
    removed = repos.people.remove(crew, by="a@example.com", at=CREATED, crew_only=True)
    # Then the admin is left as they were, and the crew member is removed, their record kept
    assert (kept, removed) == (False, True)
    still = repos.people.person(admin, consistent=True)
    assert still is not None and still.get("admin") is True and still.get("status") != "removed"
    gone = repos.people.person(crew, consistent=True)
    assert gone is not None and (gone["status"], gone["name"]) == ("removed", "Cru")
    # And someone removed already, or never there, is not found
    for gone in (crew, someone("nobody")):
        with pytest.raises(PersonNotFoundError):
            repos.people.remove(gone, by="a@example.com", at=CREATED, crew_only=True)


@pytest.fixture(params=["dynamo", "memory"])
def people_and_sails(request: pytest.FixtureRequest) -> Iterator[tuple[PeopleRepository, SailRepository]]:
    if request.param == "dynamo":
        request.getfixturevalue("stack")
        store = Store()
        yield DynamoPeopleRepository(store), DynamoSailRepository(store)
    else:
        sails = MemorySailRepository()
        yield MemoryPeopleRepository(sails=sails), sails


def test_a_removal_opens_the_slots_it_names_in_the_same_write_or_changes_nothing(
    people_and_sails: tuple[PeopleRepository, SailRepository],
) -> None:
    people, sails = people_and_sails
    # Given Ann, crew, holding crew-1 on one sail and, confirmed, crew-2 on another
    ann = someone("ann").lower()
    people.enrol(ann, admin=False, name="Ann", added_by="a@example.com", at=CREATED)
    first, second = given_sail(sails), given_sail(sails)
    sails.claim_slot(first, "crew-1", ann, change("role_claimed"))
    sails.designate_slot(second, "crew-2", ann, was="open", person_role="crew", change=change("role_designated"))
    released = change("role_released", reason="removed")
    both = [(first, "crew-1", "claimed", released), (second, "crew-2", "designated", released)]
    # When she is removed with releases naming one slot in a state it is not in
    with pytest.raises(SlotChangedError):
        people.remove(
            ann,
            by="a@example.com",
            at=CREATED,
            crew_only=True,
            releasing=[both[0], (*both[1][:2], "claimed", released)],
        )
    # Then nothing changed: she is on the roster and holds both
    assert (people.person(ann, consistent=True) or {}).get("status") is None
    assert [role(sails, s, slot)["state"] for s, slot, *_ in both] == ["claimed", "designated"]
    # When she is removed with the slots as they are
    assert people.remove(ann, by="a@example.com", at=CREATED, crew_only=True, releasing=both) is True
    # Then she is removed and both slots are open, each sail's history saying so
    assert (people.person(ann, consistent=True) or {})["status"] == "removed"
    for sail_id, slot, *_ in both:
        assert role(sails, sail_id, slot)["state"] == "open"
        assert holders_of(sails.sail_meta(sail_id, consistent=True) or {}) == {}
        actions = [i["action"] for i in sails.sail_items(sail_id, with_history=True) if i["type"] == "history"]
        assert actions.count("role_released") == 1
    # And an admin removed as crew only is left as they are, with the slot they hold
    admin = someone("admin").lower()
    people.enrol(admin, admin=True, name="Ad", added_by="a@example.com", at=CREATED)
    sails.claim_slot(first, "crew-2", admin, change("role_claimed"))
    kept = people.remove(
        admin, by="a@example.com", at=CREATED, crew_only=True, releasing=[(first, "crew-2", "claimed", released)]
    )
    assert kept is False and role(sails, first, "crew-2")["state"] == "claimed"
    assert (people.person(admin, consistent=True) or {}).get("admin") is True


def test_nudge_kinds_and_the_end_of_sessions_are_written_on_a_person(repos: Repositories) -> None:
    email = someone()
    repos.people.add_person(email, "crew", created_at=CREATED)
    written = repos.people.set_nudge_kinds(email, enabled=True, kinds_off=["day_of", "day_of", "checklist_open"])
    assert (written["nudges"], written["nudges_off"]) == (True, ["checklist_open", "day_of"])
    repos.people.end_sessions(email, before=1_900_000_000)
    assert (repos.people.person(email, consistent=True) or {})["sessions_after"] == 1_900_000_000
    with pytest.raises(PersonNotFoundError):
        repos.people.set_nudge_kinds(someone("nobody"), enabled=False, kinds_off=[])
    with pytest.raises(PersonNotFoundError):
        repos.people.end_sessions(someone("nobody"), before=1)


def test_an_invite_adds_a_new_address_as_crew_marked_with_its_sail(repos: Repositories) -> None:
    # Given a guest on record and a new address
    guest, new = someone("guest"), someone("new")
    repos.people.add_person(guest, "guest", created_at=CREATED)
    # When an invite's transaction carries `person_invited` for each
    for email in (guest, new):
        if isinstance(repos.people, DynamoPeopleRepository):
            Store().transact([person_invited(email, "sail-1")])
        else:
            assert isinstance(repos.people, MemoryPeopleRepository)
            repos.people.invited(email, "sail-1", created_at=CREATED)
    # Then the new address is crew from that sail, on the roster; the guest keeps their role
    listed = _listed(repos, guest, new)
    assert (listed[new.lower()]["role"], listed[new.lower()]["invited_sail"]) == ("crew", "sail-1")
    assert listed[guest.lower()]["role"] == "guest"


def test_person_records_written_before_the_roster_join_it_once_indexed(stack: object) -> None:
    store = Store()
    people = DynamoPeopleRepository(store)
    # Given crew whose record was written before records carried the people index's keys
    old = someone("old-crew").lower()
    people.add_person(old, "crew", created_at=CREATED)
    store.update(*keys.person(old), "REMOVE gsi1pk, gsi1sk")
    assert old not in {p["email"] for p in people.roster()}
    # When the one-off indexing runs (twice: it is safe to run again)
    assert index_people(store) >= 1
    assert index_people(store) == 0
    # Then the roster lists them, their record otherwise as it was
    listed = {p["email"]: p for p in people.roster()}
    assert listed[old] == people.person(old, consistent=True)
    assert listed[old]["role"] == "crew"


def test_the_one_off_says_what_it_did_or_which_table_it_could_not_read(
    stack: object, capsys: pytest.CaptureFixture[str]
) -> None:
    # When the one-off runs against the stack's table, then against a table that does not exist
    done = index_one_off(["--table", Store().table_name])
    said = capsys.readouterr().out
    refused = index_one_off(["--table", "no-such-table"])
    error = capsys.readouterr().err
    # Then the first says what it indexed, the second fails naming the table and what to check
    assert done == 0 and "person records" in said and "suppressions" in said
    assert refused == 1 and "'no-such-table'" in error and "TableName" in error
