"""The roster (issue 20), the domain alone over the in-memory repositories: who is an admin,
adding (welcome mail), changing, removing (sessions, upcoming slots, the last admin), and my
settings (name, nudge kinds, sign out everywhere)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from quarterdeck import crew, roster
from quarterdeck.auth import Caller, SigningKeys, authenticate, issue_token
from quarterdeck.config import Settings
from quarterdeck.errors import AuthenticationError, ConflictError, InvalidInputError, PersonNotFoundError
from quarterdeck.people import (
    NUDGE_KINDS,
    RecentPeople,
    effective_role,
    end_all_sessions,
    may_sign_in,
    my_settings,
    update_my_settings,
)
from quarterdeck.repositories.nudges import opt_outs, opted_out_key
from quarterdeck.sails import create_sail
from quarterdeck.sessions import redeem_code, send_login_link
from tests.unit.fakes import FakeMailer
from tests.unit.memory.deliveries import MemoryDeliveryRepository
from tests.unit.memory.people import MemoryPeopleRepository, MemorySignInRepository
from tests.unit.memory.sails import MemorySailRepository

NOW = datetime.now(UTC).replace(microsecond=0)  # tokens are checked against the real time
DAY = (NOW + timedelta(days=20)).date().isoformat()
SETTINGS = Settings(admin_emails=("first@example.com",), app_url="https://qd.example", person_cache_seconds=60)
KEYS = SigningKeys(current_kid="k1", keys={"k1": "x" * 40})
FIRST = "first@example.com"


def clock() -> datetime:
    return NOW


class World:
    def __init__(self) -> None:
        self.deliveries = MemoryDeliveryRepository()
        self.sails = MemorySailRepository()
        self.people = MemoryPeopleRepository(sails=self.sails, deliveries=self.deliveries)
        self.sign_in = MemorySignInRepository(self.people)
        self.mailer = FakeMailer()
        self.roster = roster.Roster(self.people, self.sails, self.sign_in, self.mailer)
        self.people.upsert(FIRST, "admin", created_at="2026-05-01T00:00:00+00:00", signed_in=True)

    def add(self, email: str, role: str = "crew", name: str | None = None) -> dict[str, object]:
        return roster.add_person(self.roster, FIRST, email, role, name, settings=SETTINGS, clock=clock)

    def sail(self, day: str, sail_id: str) -> str:
        created = create_sail(
            self.sails,
            FIRST,
            date=day,
            title="Sunset",
            crew_slots=2,
            clock=clock,
            new_id=lambda: sail_id,
            settings=SETTINGS,
        )
        return str(created["id"])

    def welcome_code(self, email: str) -> str:
        match = re.search(r"code=([\w-]+)", self.mailer.to(email)[-1].text)
        assert match
        return match.group(1)


@pytest.fixture
def world() -> World:
    return World()


def session(world: World, email: str, recent: RecentPeople | None = None, *, fresh: bool = False) -> Caller:
    token, _ = issue_token(KEYS, email, "crew", settings=SETTINGS, clock=clock)
    return authenticate(world.people, token, KEYS, settings=SETTINGS, recent=recent or RecentPeople(), fresh=fresh)


def test_an_added_person_gets_a_welcome_link_that_signs_them_in_with_their_role(world: World) -> None:
    # Given an admin adds a crew member and an admin
    crew_view = world.add("ann@example.com", "crew", "Ann")
    admin_view = world.add("bo@example.com", "admin")
    # Then both are on the roster, not signed in yet, and each got a welcome with a sign-in link
    assert (crew_view["role"], crew_view["status"], crew_view["name"]) == ("crew", "invited", "Ann")
    assert (admin_view["role"], admin_view["status"]) == ("admin", "invited")
    welcome = world.mailer.to("bo@example.com")[-1]
    assert welcome.subject == "Welcome to Quarterdeck" and "https://qd.example/#/magic?code=" in welcome.text
    # When the new admin opens the link
    signed = redeem_code(world.sign_in, KEYS, world.welcome_code("bo@example.com"), settings=SETTINGS, clock=clock)
    # Then their session is an admin's (the record decides, not the deploy's list)
    caller = authenticate(world.people, signed.token, KEYS, settings=SETTINGS, recent=RecentPeople())
    assert caller.role == "admin" and caller.is_admin
    listed = {p["email"]: p for p in roster.list_people(world.people, world.sails, settings=SETTINGS)["people"]}
    assert listed["bo@example.com"]["status"] == "active" and listed["bo@example.com"]["last_sign_in"]


def test_someone_already_on_the_roster_is_a_conflict_but_a_guest_can_be_enrolled(world: World) -> None:
    world.add("ann@example.com")
    with pytest.raises(ConflictError):
        world.add("ann@example.com", "admin")
    world.people.add_person("gus@example.com", "guest", created_at="2026-05-01T00:00:00+00:00")
    assert world.add("gus@example.com")["role"] == "crew"
    with pytest.raises(InvalidInputError):
        world.add("cy@example.com", "captain")


def test_the_roster_lists_crew_and_admins_with_their_upcoming_slots_not_guests(world: World) -> None:
    # Given crew holding a slot on an upcoming sail, a guest on record, and a configured admin
    world.add("ann@example.com")
    world.people.add_person("gus@example.com", "guest", created_at="2026-05-01T00:00:00+00:00")
    sail_id = world.sail(DAY, "s1")
    crew.claim_role(
        world.sails,
        world.mailer,
        Caller("ann@example.com", "crew", "j", 0),
        sail_id,
        "crew-1",
        people=world.people,
        settings=SETTINGS,
        clock=clock,
    )
    # When the admin lists the people
    listed = {p["email"]: p for p in roster.list_people(world.people, world.sails, settings=SETTINGS)["people"]}
    # Then crew and the admin are there, the guest is not, and Ann's slot shows
    assert set(listed) == {FIRST, "ann@example.com"}
    assert listed[FIRST]["configured_admin"] is True
    assert [(c["sail_id"], c["slot"]) for c in listed["ann@example.com"]["upcoming"]] == [("s1", "crew-1")]


def test_the_roster_shows_whose_mail_bounces_with_the_reason(world: World) -> None:
    # Given Ann and Bo on the roster, and a configured admin who never signed in (no record)
    settings = replace(SETTINGS, admin_emails=(FIRST, "cfg@example.com"))
    world.add("ann@example.com")
    world.add("bo@example.com")
    # When mail to Ann bounced hard and the configured admin complained
    world.deliveries.suppress("Ann@Example.com", "Hard bounce: 550", "bounce", "m-1", "2026-12-04T15:00:00Z")
    world.deliveries.suppress("cfg@example.com", "Complaint", "complaint", "m-2", "2026-12-04T16:00:00Z")
    # Then the roster marks both bounced with the reason, and Bo's mail as flowing
    listed = {p["email"]: p for p in roster.list_people(world.people, world.sails, settings=settings)["people"]}
    assert (listed["ann@example.com"]["bounced"], listed["ann@example.com"]["mail_stopped"]) == (
        True,
        "Hard bounce: 550",
    )
    assert (listed["cfg@example.com"]["bounced"], listed["cfg@example.com"]["mail_stopped"]) == (True, "Complaint")
    assert (listed["bo@example.com"]["bounced"], listed["bo@example.com"]["mail_stopped"]) == (False, None)


def test_admins_made_in_the_app_hear_of_claims_and_a_removed_one_no_longer(world: World) -> None:
    # Given an admin added in the app, and a sail
    world.add("bo@example.com", "admin")
    sail_id = world.sail(DAY, "s1")
    ann = Caller("ann@example.com", "crew", "j", 0)
    # When crew claims a slot
    crew.claim_role(
        world.sails, world.mailer, ann, sail_id, "crew-1", people=world.people, settings=SETTINGS, clock=clock
    )
    # Then the configured admin and the app-made one both hear of it
    for admin in (FIRST, "bo@example.com"):
        assert [m.subject for m in world.mailer.to(admin)][-1].startswith("ann@example.com claimed Crew 1")
    # When Bo is removed and Ann lets the slot go
    roster.remove_person(world.roster, FIRST, "bo@example.com", settings=SETTINGS, clock=clock)
    before = {admin: len(world.mailer.to(admin)) for admin in (FIRST, "bo@example.com")}
    crew.release_role(
        world.sails, world.mailer, ann, sail_id, "crew-1", people=world.people, settings=SETTINGS, clock=clock
    )
    # Then the configured admin hears of the release, and Bo no longer does
    assert len(world.mailer.to(FIRST)) == before[FIRST] + 1
    assert len(world.mailer.to("bo@example.com")) == before["bo@example.com"]


def test_removal_ends_sessions_releases_upcoming_slots_and_keeps_history(world: World) -> None:
    # Given Ann, signed in (her record remembered by a warm container), holding a slot
    world.add("ann@example.com")
    sail_id = world.sail(DAY, "s1")
    ann = Caller("ann@example.com", "crew", "j", 0)
    crew.claim_role(
        world.sails, world.mailer, ann, sail_id, "crew-1", people=world.people, settings=SETTINGS, clock=clock
    )
    warm = RecentPeople()
    session(world, "ann@example.com", warm)
    # When the admin removes her
    removed = roster.remove_person(world.roster, FIRST, "ann@example.com", settings=SETTINGS, clock=clock)
    # Then her next request is refused, fresh or from the warm cache of the container that removed her
    assert removed["status"] == "removed" and [c["slot"] for c in removed["released"]] == ["crew-1"]
    with pytest.raises(AuthenticationError):
        session(world, "ann@example.com", fresh=True)
    # and a warm container elsewhere refuses her as soon as she changes anything (a fresh read)
    with pytest.raises(AuthenticationError):
        session(world, "ann@example.com", warm, fresh=True)
    # Her slot is open again, history keeps her name, and she gets no sign-in link
    assert world.sails.current_role(sail_id, "crew-1")["state"] == "open"
    entries = [(h["action"], (h.get("detail") or {}).get("holder")) for h in world.sails.history[sail_id]]
    assert entries[-1] == ("role_released", "ann@example.com")
    sent = len(world.mailer.sent)
    link_sent = send_login_link(
        world.people, world.sign_in, world.mailer, "ann@example.com", settings=SETTINGS, clock=clock
    )
    assert link_sent is False and len(world.mailer.sent) == sent
    assert not may_sign_in(world.people.person("ann@example.com"), "ann@example.com", SETTINGS)
    # The roster still names her, as removed; removing again is a 404
    listed = {p["email"]: p for p in roster.list_people(world.people, world.sails, settings=SETTINGS)["people"]}
    assert listed["ann@example.com"]["status"] == "removed"
    with pytest.raises(PersonNotFoundError) as again:
        roster.remove_person(world.roster, FIRST, "ann@example.com", settings=SETTINGS, clock=clock)
    assert (again.value.message, again.value.field) == ("ann@example.com is not on the roster.", "email")
    # Added again, she is crew once more
    assert world.add("ann@example.com")["status"] == "invited"


def test_removal_opens_every_upcoming_slot_at_once_or_each_as_it_now_is(world: World) -> None:
    # (each repository call is one DynamoDB round trip: tests/integration/test_repository_sails.py)
    # Given Ann holding crew-1 on two upcoming sails, and Bo crew-2 on both
    world.add("ann@example.com")
    world.add("bo@example.com")
    later = (NOW + timedelta(days=30)).date().isoformat()
    first, second = world.sail(DAY, "s1"), world.sail(later, "s2")
    ann = Caller("ann@example.com", "crew", "j", 0)
    for sail_id in (first, second):
        crew.claim_role(
            world.sails, world.mailer, ann, sail_id, "crew-1", people=world.people, settings=SETTINGS, clock=clock
        )
    bo = Caller("bo@example.com", "crew", "j", 0)
    for sail_id in (first, second):
        crew.claim_role(
            world.sails, world.mailer, bo, sail_id, "crew-2", people=world.people, settings=SETTINGS, clock=clock
        )
    # When the admin removes Ann
    world.sails.calls.clear()
    removed = roster.remove_person(world.roster, FIRST, "ann@example.com", settings=SETTINGS, clock=clock)
    # Then both her slots are open again, from the sails' one Query and one release of both
    assert world.sails.calls == ["sails_between", "release_slots"]
    assert [(c["sail_id"], c["slot"]) for c in removed["released"]] == [(first, "crew-1"), (second, "crew-1")]
    assert {world.sails.current_role(s, "crew-1")["state"] for s in (first, second)} == {"open"}
    # When Bo is removed while he releases one slot himself, between the Query and the release
    world.sails.before_next["release_slots"] = lambda: crew.release_role(
        world.sails, world.mailer, bo, first, "crew-2", people=world.people, settings=SETTINGS, clock=clock
    )
    removed = roster.remove_person(world.roster, FIRST, "bo@example.com", settings=SETTINGS, clock=clock)
    # Then the other is opened on its own, read as it now is, and the removal stands
    assert removed["status"] == "removed" and [(c["sail_id"], c["slot"]) for c in removed["released"]] == [
        (second, "crew-2")
    ]
    assert {world.sails.current_role(s, "crew-2")["state"] for s in (first, second)} == {"open"}
    released = [h for h in world.sails.history[first] if h["action"] == "role_released"]
    assert [h["detail"].get("reason") for h in released if h["detail"]["slot"] == "crew-2"] == [None]
    # And an admin granted in the app, with another admin left, is removed too
    world.add("dee@example.com", "admin")
    assert roster.remove_person(world.roster, FIRST, "dee@example.com", settings=SETTINGS, clock=clock)["status"] == (
        "removed"
    )
    assert effective_role(world.people.person("dee@example.com"), "dee@example.com", SETTINGS) == "guest"


def test_the_last_admin_and_configured_admins_cannot_be_removed_or_demoted(world: World) -> None:
    # Given a deploy with no configured admin and one admin made in the app
    settings = replace(SETTINGS, admin_emails=())
    world.add("bo@example.com", "admin")
    world.people.records.pop(FIRST)
    # Then demoting or removing the last admin is a 409 naming why
    with pytest.raises(ConflictError, match="last admin"):
        roster.change_person(world.people, "bo@example.com", role="crew", settings=settings)
    with pytest.raises(ConflictError, match="last admin"):
        roster.remove_person(world.roster, "bo@example.com", "bo@example.com", settings=settings, clock=clock)
    # With a second admin, the first can be demoted
    world.add("cy@example.com", "admin")
    assert roster.change_person(world.people, "bo@example.com", role="crew", settings=settings)["role"] == "crew"
    # A configured admin is an admin whatever the record says, and cannot be demoted or removed here
    world.add(FIRST)
    assert effective_role(world.people.person(FIRST), FIRST, SETTINGS) == "admin"
    with pytest.raises(ConflictError, match="ADMIN_EMAILS"):
        roster.change_person(world.people, FIRST, role="crew", settings=SETTINGS)
    with pytest.raises(ConflictError, match="ADMIN_EMAILS"):
        roster.remove_person(world.roster, "cy@example.com", FIRST, settings=SETTINGS, clock=clock)


def test_a_demoted_admins_next_action_is_a_crews(world: World) -> None:
    world.add("bo@example.com", "admin")
    warm = RecentPeople()
    assert session(world, "bo@example.com", warm).role == "admin"
    roster.change_person(world.people, "bo@example.com", role="crew", name="Bo", settings=SETTINGS)
    assert session(world, "bo@example.com", warm, fresh=True).role == "crew"
    assert effective_role(world.people.person("bo@example.com"), "bo@example.com", SETTINGS) == "crew"


def test_my_settings_turn_nudge_kinds_off_and_on_like_the_unsubscribe_link(world: World) -> None:
    world.add("ann@example.com")
    # When Ann turns one kind off and renames herself
    view = update_my_settings(
        world.people, "ann@example.com", name="  Ann   Lee ", nudges={"day_of": False}, settings=SETTINGS
    )
    # Then that kind is off, the others on, and the nudge run skips only that kind
    assert view["name"] == "Ann Lee" and view["nudges"] == {k: k != "day_of" for k in NUDGE_KINDS}
    assert opt_outs(world.people.records["ann@example.com"]) == {opted_out_key("ann@example.com", "day_of")}
    # When the unsubscribe link turns everything off (the old single switch)
    world.people.set_nudges("ann@example.com", False, created_at="x")
    assert my_settings(world.people.person("ann@example.com"), "ann@example.com", SETTINGS)["nudges"] == dict.fromkeys(
        NUDGE_KINDS, False
    )
    assert opt_outs(world.people.records["ann@example.com"]) == {"ann@example.com"}
    # Then turning one kind back on turns on that kind only
    view = update_my_settings(world.people, "ann@example.com", nudges={"unfilled_roles": True}, settings=SETTINGS)
    assert view["nudges"] == {k: k == "unfilled_roles" for k in NUDGE_KINDS}
    with pytest.raises(InvalidInputError):
        update_my_settings(world.people, "ann@example.com", nudges={"spam": True}, settings=SETTINGS)
    with pytest.raises(InvalidInputError):
        update_my_settings(world.people, "ann@example.com", name="x" * 81, settings=SETTINGS)


def test_sign_out_everywhere_ends_every_earlier_session(world: World) -> None:
    world.add("ann@example.com")
    early, _ = issue_token(KEYS, "ann@example.com", "crew", settings=SETTINGS, clock=lambda: NOW - timedelta(hours=1))
    here, caller = issue_token(KEYS, "ann@example.com", "crew", settings=SETTINGS, clock=clock)
    end_all_sessions(world.people, "ann@example.com", jti=caller.jti, expires=caller.expires, clock=clock)
    for token in (early, here):
        with pytest.raises(AuthenticationError):
            authenticate(world.people, token, KEYS, settings=SETTINGS, recent=RecentPeople())
    later, _ = issue_token(KEYS, "ann@example.com", "crew", settings=SETTINGS, clock=lambda: NOW + timedelta(seconds=1))
    assert authenticate(world.people, later, KEYS, settings=SETTINGS, recent=RecentPeople()).email == "ann@example.com"


def test_an_invite_to_a_new_address_puts_them_on_the_roster_marked_with_the_sail(world: World) -> None:
    world.people.invited("new@example.com", "s9", created_at="2026-05-01T00:00:00+00:00")
    listed = {p["email"]: p for p in roster.list_people(world.people, world.sails, settings=SETTINGS)["people"]}
    assert (listed["new@example.com"]["role"], listed["new@example.com"]["invited_sail"]) == ("crew", "s9")
    assert listed["new@example.com"]["status"] == "invited"


def test_a_kind_turned_off_is_skipped_by_the_nudge_run_and_the_others_go_out() -> None:
    from quarterdeck.mail import OutgoingEmail
    from quarterdeck.nudge_summary import NudgeSummary
    from quarterdeck.nudges import DAY_OF, UNFILLED_ROLES, Nudge, send_once
    from tests.unit.memory.nudges import MemoryNudgeRepository

    # Given ann@ turned off the day-of nudge on her settings page
    repo, mailer = MemoryNudgeRepository(), FakeMailer()
    repo.people["ann@example.com"] = {"email": "ann@example.com", "nudges": True, "nudges_off": [DAY_OF]}
    opted_out = repo.opted_out(["ann@example.com"])
    at = datetime(2026, 6, 14, 10, 0, tzinfo=UTC)
    summary = NudgeSummary(at=at.isoformat())
    # When a day-of and an unfilled-roles nudge are due to her
    for kind in (DAY_OF, UNFILLED_ROLES):
        nudge = Nudge(kind, "day", "ann@example.com", "s1")
        message = OutgoingEmail(to=("ann@example.com",), subject=kind, text="t", html="<p>t</p>")
        send_once(repo, mailer, nudge, lambda m=message: m, summary, opted_out=opted_out, now=at, local_now=at)
    # Then only the unfilled-roles one goes out
    assert [m.subject for m in mailer.sent] == [UNFILLED_ROLES]
    assert summary.skipped[f"{DAY_OF}:unsubscribed"] == 1
