"""Sails domain without a database: validation, how a sail is shown to each caller, checklists."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from quarterdeck import keys
from quarterdeck.auth import Caller
from quarterdeck.checklists import SailCancelledError, checklists_view, new_checklist_items, templates
from quarterdeck.config import Settings
from quarterdeck.errors import InvalidInputError, RoleStateError, StaleVersionError
from quarterdeck.repositories.sails import Change
from quarterdeck.sail_fields import date_range
from quarterdeck.sail_mail import people_on
from quarterdeck.sails import (
    cancel_sail,
    create_sail,
    crew_slot_count,
    get_sail,
    holders_of,
    list_sails,
    sail_date,
    sail_title,
    sail_view,
    slot_names,
    update_sail,
)
from tests.unit.fakes import FakeMailer
from tests.unit.memory.sails import MemorySailRepository

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = Settings()
# 2026-11-23 at 06:30 UTC is still 22 November in San Diego (22:30 PST).
NOW = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)

ADMIN = Caller(email="admin@example.com", role="admin", jti="a", expires=0)
CREW = Caller(email="crew@example.com", role="crew", jti="c", expires=0)
GUEST = Caller(email="gina@example.com", role="guest", jti="g", expires=0, sail_id="s1", guest_id="g1")


def _field_of(call: Any) -> str | None:
    with pytest.raises(InvalidInputError) as refused:
        call()
    return refused.value.field


@pytest.mark.parametrize("value", ["", None, "2026-02-30", "21/06/2026", "tomorrow", "2026-13-01"])
def test_a_sail_date_must_be_a_real_date(value: object) -> None:
    assert _field_of(lambda: sail_date(value, now=NOW, settings=SETTINGS)) == "date"


def test_a_sail_date_is_not_in_the_past_in_san_diego() -> None:
    # Given it is late on 22 November in San Diego (already the 23rd in UTC)
    # Then the 22nd is still allowed (today) and the 21st is in the past
    assert sail_date("2026-11-22", now=NOW, settings=SETTINGS) == date(2026, 11, 22)
    assert _field_of(lambda: sail_date("2026-11-21", now=NOW, settings=SETTINGS)) == "date"


@pytest.mark.parametrize("value", ["", "   ", None, "x" * 121, 42])
def test_a_title_has_1_to_120_characters(value: object) -> None:
    assert _field_of(lambda: sail_title(value)) == "title"


def test_a_title_of_120_characters_is_fine() -> None:
    assert sail_title("  Sunset   sail ") == "Sunset sail"
    assert len(sail_title("x" * 120)) == 120


@pytest.mark.parametrize("value", [-1, 9, "nine", 2.5, True, None])
def test_crew_slots_are_0_to_8(value: object) -> None:
    assert _field_of(lambda: crew_slot_count(value)) == "crew_slots"


def test_slots_are_captain_then_numbered_crew() -> None:
    assert crew_slot_count("3") == 3
    assert slot_names(0) == ["captain"]
    assert slot_names(3) == ["captain", "crew-1", "crew-2", "crew-3"]


def _indexed(sail_id: str, departure: str) -> dict[str, Any]:
    return {
        "type": "sail",
        "id": sail_id,
        "title": sail_id,
        "date": departure[:10],
        "departure": departure,
    }


def test_any_range_of_sails_is_one_read_of_the_index() -> None:
    # Given sails over a year and a half, on both sides of a new year and of a DST change
    sails = MemorySailRepository()
    for item in (
        _indexed("before", "2026-11-19T16:15:00-08:00"),
        _indexed("first", "2026-11-20T16:15:00-08:00"),
        _indexed("dst", "2027-03-14T18:50:00-07:00"),
        _indexed("last", "2027-12-21T16:16:00-08:00"),
        _indexed("after", "2027-12-22T16:17:00-08:00"),
    ):
        sails.metas[item["id"]] = item
    # When a crew member lists 20 Nov 2026 to 21 Dec 2027 (both days included)
    found = list_sails(sails, date(2026, 11, 20), date(2027, 12, 21), settings=SETTINGS)
    # Then they get the sails of those days, by departure, from ONE read of the index
    # (tests/integration/test_repository_sails.py: one GSI1 Query)
    assert [s["id"] for s in found] == ["first", "dst", "last"]
    assert sails.calls == ["sails_between"]


def test_a_range_defaults_to_today_in_san_diego_and_is_checked() -> None:
    span = date_range("2026-12-01", None, clock=lambda: NOW, settings=SETTINGS)
    assert span.start == date(2026, 12, 1) and span.end > span.start
    assert date_range(None, None, clock=lambda: NOW, settings=SETTINGS).start == date(2026, 11, 22)
    assert _field_of(lambda: date_range("2026-12-01", "2026-11-01", clock=lambda: NOW)) == "to"
    assert _field_of(lambda: date_range("someday", None, clock=lambda: NOW)) == "from"
    assert _field_of(lambda: date_range("2026-01-01", "2028-01-01", clock=lambda: NOW)) == "to"


def _sail_items() -> list[dict[str, Any]]:
    pk, sk = keys.sail("s1")
    items: list[dict[str, Any]] = [
        {
            "pk": pk,
            "sk": sk,
            "type": "sail",
            "id": "s1",
            "date": "2026-12-21",
            "title": "Solstice",
            "status": "scheduled",
            "sunset": "2026-12-21T16:46:33-08:00",
            "departure": "2026-12-21T16:16:33-08:00",
            "return": "2026-12-21T18:46:33-08:00",
            "civil_dusk": "2026-12-21T17:14:22-08:00",
            "golden_hour_start": "2026-12-21T16:09:57-08:00",
            "crew_slots": 2,
            "guest_count": 2,
            "version": 3,
            "gsi1pk": "SAILS#ALL",
            "holders": {"crew@example.com crew-1", "cap@example.com captain"},
            "some_other_areas_field": "x",
        },
        {"pk": pk, "sk": "ROLE#crew-2", "type": "role", "slot": "crew-2", "state": "open"},
        {
            "pk": pk,
            "sk": "ROLE#crew-1",
            "type": "role",
            "slot": "crew-1",
            "state": "claimed",
            "holder": "crew@example.com",
            "claimed_at": "2026-11-01T10:00:00+00:00",
            "invited": {"x@example.com": "t"},
        },
        {
            "pk": pk,
            "sk": "ROLE#captain",
            "type": "role",
            "slot": "captain",
            "state": "designated",
            "holder": "cap@example.com",
            "designated_at": "2026-11-01T11:00:00+00:00",
        },
        {"pk": pk, "sk": "HOLDER#crew@example.com", "type": "holder", "slot": "crew-1"},
        {
            "pk": pk,
            "sk": "GUEST#g1",
            "type": "guest",
            "id": "g1",
            "name": "Gina",
            "email": "gina@example.com",
            "party_size": 2,
            "status": "on_hold",
            "added_at": "2026-11-02T00:00:00+00:00",
            "phone": "555",
        },
        {
            "pk": pk,
            "sk": "GUEST#g2",
            "type": "guest",
            "id": "g2",
            "name": "Gus",
            "email": "gus@example.com",
            "party_size": 1,
            "status": "confirmed",
            "added_at": "2026-11-03T00:00:00+00:00",
            "signed_at": "2026-11-04T00:00:00+00:00",
        },
        {"pk": pk, "sk": "WAIVER#g2", "type": "waiver", "guest_id": "g2", "ip": "10.0.0.1"},
        {
            "pk": pk,
            "sk": "HIST#2026-11-01T00:00:00+00:00#a",
            "type": "history",
            "at": "2026-11-01T00:00:00+00:00",
            "actor": "admin@example.com",
            "action": "sail_created",
        },
        *new_checklist_items("s1"),
    ]
    items[-1]["done"] = True
    items[-1]["done_by"] = "crew@example.com"
    items[-1]["done_at"] = "2026-12-21T19:00:00-08:00"
    return items


def test_an_admin_sees_everything_in_order_with_history() -> None:
    view = sail_view(_sail_items(), ADMIN, SETTINGS)
    assert view["id"] == "s1" and view["status"] == "scheduled" and view["guest_capacity"] == 6
    assert "pk" not in view and "gsi1pk" not in view and "some_other_areas_field" not in view
    assert "holders" not in view
    assert [r["slot"] for r in view["roles"]] == ["captain", "crew-1", "crew-2"]
    assert view["roles"][1] == {
        "slot": "crew-1",
        "state": "claimed",
        "holder": "crew@example.com",
        "claimed_at": "2026-11-01T10:00:00+00:00",
        "invited": {"x@example.com": "t"},
    }
    assert [g["id"] for g in view["guests"]] == ["g1", "g2"]
    assert "phone" not in view["guests"][0]
    assert [h["action"] for h in view["history"]] == ["sail_created"]
    departure, back = view["checklists"]["departure"], view["checklists"]["return"]
    assert departure["total"] == len(templates()["departure"]["items"]) and departure["done"] == 0
    assert back["done"] == 1 and back["items"][-1]["done_by"] == "crew@example.com"
    assert [i["n"] for i in departure["items"]] == list(range(1, departure["total"] + 1))


def test_crew_sees_roles_and_guests_but_no_history() -> None:
    view = sail_view(_sail_items(), CREW, SETTINGS)
    assert "history" not in view
    assert view["roles"][0]["holder"] == "cap@example.com"
    assert "invited" not in view["roles"][1]
    assert len(view["guests"]) == 2
    # Need to know: crew see names and waiver status, never a guest's contact details
    assert all("email" not in g and "phone" not in g and g.get("name") and g.get("status") for g in view["guests"])


def test_the_sails_captain_and_an_admin_see_guests_contact_details() -> None:
    captain = Caller(email="cap@example.com", role="crew", jti="k", expires=0)
    for who in (captain, ADMIN):
        view = sail_view(_sail_items(), who, SETTINGS)
        assert {g["email"] for g in view["guests"]} == {"gina@example.com", "gus@example.com"}, who


def _stored(items: list[dict[str, Any]]) -> MemorySailRepository:
    """A repository holding the sail of `items` (what the partition holds, by kind)."""
    sails = MemorySailRepository()
    for item in items:
        kind = item.get("type")
        if kind == "sail":
            sails.metas["s1"] = item
        elif kind == "role":
            sails.roles.setdefault("s1", {})[item["slot"]] = item
        elif kind == "history":
            sails.history.setdefault("s1", []).append(item)
        elif kind != "holder":
            sails.add_item("s1", item)
    return sails


def test_only_an_admins_page_reads_the_waivers_and_the_history() -> None:
    # Given a stored sail with a signed waiver and two history entries
    sails = _stored(_sail_items())
    sails.history["s1"].append(
        {"type": "history", "at": "2026-11-05T00:00:00+00:00", "actor": "crew@example.com", "action": "role_claimed"}
    )

    # When a crew member opens the page
    crew_view = get_sail(sails, "s1", CREW, SETTINGS)

    # Then the partition's head was read without waivers and history (which keys that is: the
    # contract test), and the page is whole without them
    assert "history" not in crew_view and len(crew_view["guests"]) == 2 and len(crew_view["roles"]) == 3

    # When an admin opens it, Then both entries are there, in the order they happened
    admin_view = get_sail(sails, "s1", ADMIN, SETTINGS)
    assert [h["action"] for h in admin_view["history"]] == ["sail_created", "role_claimed"]


def test_a_guest_sees_only_itself_and_no_one_elses_email() -> None:
    view = sail_view(_sail_items(), GUEST, SETTINGS)
    assert [g["id"] for g in view["guests"]] == ["g1"]
    assert "history" not in view
    assert all("holder" not in role for role in view["roles"])
    assert "crew@example.com" not in repr(view) and "gus@example.com" not in repr(view)


def test_the_holders_on_meta_say_who_holds_which_slot() -> None:
    meta = _sail_items()[0]
    assert holders_of(meta) == {"crew@example.com": "crew-1", "cap@example.com": "captain"}
    assert holders_of({"type": "sail"}) == {}


def test_everyone_on_a_sail_is_told_once() -> None:
    items = _sail_items()
    items.append({"sk": "GUEST#g3", "type": "guest", "id": "g3", "email": "CREW@example.com"})
    assert people_on(items) == [
        ("crew@example.com", "crew"),
        ("cap@example.com", "crew"),
        ("gina@example.com", "guest"),
        ("gus@example.com", "guest"),
    ]


def test_checklist_templates_are_data_in_the_layer() -> None:
    found = templates()
    assert set(found) == {"departure", "return"}
    departure = " ".join(found["departure"]["items"]).lower()
    for words in ("life jackets", "fuel", "water", "small-craft", "vhf", "float plan", "briefing"):
        assert words in departure
    back = " ".join(found["return"]["items"]).lower()
    for words in ("lines", "fenders", "shore power", "trash", "log", "damage"):
        assert words in back
    items = new_checklist_items("s9")
    assert {i["sk"] for i in items} >= {"CHECK#departure#01", "CHECK#return#05"}
    assert all(i["done"] is False and i["pk"] == "SAIL#s9" for i in items)
    shaped = checklists_view(items)
    assert shaped["departure"]["title"] == "Before departure"


def test_no_code_path_scans_the_table() -> None:
    # No request path may issue a DynamoDB Scan: the word does not appear as a call anywhere we ship.
    pattern = re.compile(r"""\.scan\(|["']scan["']|\bScan\b\s*\(""")
    sources = [
        source for folder in ("layers/shared/quarterdeck", "functions") for source in (ROOT / folder).rglob("*.py")
    ]
    # (the walk finds the code: a moved folder must not turn this into a check of nothing)
    assert len(sources) > 50 and ROOT / "layers/shared/quarterdeck/store.py" in sources
    assert [source for source in sources if pattern.search(source.read_text())] == []


# --- create, edit, cancel against the repository in memory ---------------------------
CLOCK = lambda: NOW  # noqa: E731 - the sails' clock stands still


def _new_sail(sails: MemorySailRepository, slots: int = 2) -> str:
    created = create_sail(
        sails,
        ADMIN.email,
        date="2026-12-21",
        title="Solstice",
        crew_slots=slots,
        clock=CLOCK,
        new_id=lambda: "s1",
        settings=SETTINGS,
    )
    return str(created["id"])


def test_a_new_sail_has_its_times_slots_checklists_and_first_history_entry() -> None:
    # When an admin creates a sail with two crew slots
    sails = MemorySailRepository()
    sail_id = _new_sail(sails)
    # Then it is scheduled at version 1 with its times, and the page shows its slots and checklists
    page = get_sail(sails, sail_id, ADMIN, SETTINGS)
    assert (page["status"], page["version"], page["date"]) == ("scheduled", 1, "2026-12-21")
    assert page["departure"] < page["sunset"] < page["return"]
    assert [r["slot"] for r in page["roles"]] == ["captain", "crew-1", "crew-2"]
    assert page["checklists"]["departure"]["total"] > 0
    assert [(h["action"], h["detail"]["crew_slots"]) for h in page["history"]] == [("sail_created", 2)]


def test_a_new_date_moves_the_sail_and_tells_the_people_on_it() -> None:
    # Given a sail with Ann on crew-1
    sails, mailer = MemorySailRepository(), FakeMailer()
    sail_id = _new_sail(sails)
    sails.claim_slot(sail_id, "crew-1", "ann@example.com", Change("ann@example.com", "role_claimed", NOW))
    # When an admin moves it a day later and removes the open crew-2
    answer = update_sail(
        sails,
        ADMIN.email,
        sail_id,
        {"date": "2026-12-22", "crew_slots": 1},
        version=1,
        mailer=mailer,
        clock=CLOCK,
        settings=SETTINGS,
    )
    # Then it is at version 2 on the new date, with one crew slot, and Ann was told
    assert (answer["date"], answer["version"], answer["crew_slots"]) == ("2026-12-22", 2, 1)
    assert [r["slot"] for r in get_sail(sails, sail_id, ADMIN, SETTINGS)["roles"]] == ["captain", "crew-1"]
    assert [m.kind for m in mailer.to("ann@example.com")] == ["sail_rescheduled"]
    # And an edit from the version before is stale, and crew-1 cannot be removed while Ann holds it
    with pytest.raises(StaleVersionError):
        update_sail(sails, ADMIN.email, sail_id, {"title": "Late"}, version=1, clock=CLOCK, settings=SETTINGS)
    with pytest.raises(RoleStateError):
        update_sail(sails, ADMIN.email, sail_id, {"crew_slots": 0}, clock=CLOCK, settings=SETTINGS)


def test_a_cancellation_that_lost_to_an_edit_reads_again_and_cancels() -> None:
    # Given an edit lands between the cancellation's read and its write
    sails, mailer = MemorySailRepository(), FakeMailer()
    sail_id = _new_sail(sails)
    sails.before_next["cancel_sail"] = lambda: update_sail(
        sails, ADMIN.email, sail_id, {"title": "Renamed"}, clock=CLOCK, settings=SETTINGS
    )
    # When the cancellation goes on
    answer = cancel_sail(sails, ADMIN.email, sail_id, reason="Fog", mailer=mailer, clock=CLOCK, settings=SETTINGS)
    # Then it read the sail again and cancelled the renamed sail, at version 3
    assert (answer["status"], answer["title"], answer["version"], answer["notified"]) == ("cancelled", "Renamed", 3, 0)
    assert sails.calls.count("cancel_sail") == 2
    # And a second cancellation, or an edit, says it is cancelled
    with pytest.raises(SailCancelledError):
        cancel_sail(sails, ADMIN.email, sail_id, mailer=mailer, clock=CLOCK, settings=SETTINGS)
    with pytest.raises(SailCancelledError):
        update_sail(sails, ADMIN.email, sail_id, {"title": "Late"}, clock=CLOCK, settings=SETTINGS)


def test_a_sail_that_keeps_changing_is_not_cancelled_blindly(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given every cancellation write finds the sail changed since it was read
    sails = MemorySailRepository()
    sail_id = _new_sail(sails)

    def always_stale(*args: Any, **kwargs: Any) -> None:
        raise StaleVersionError("This sail kept changing; reload it and try again.")

    monkeypatch.setattr(sails, "cancel_sail", always_stale)
    # When an admin cancels, Then after a few reads they are told to reload, and nothing was cancelled
    with pytest.raises(StaleVersionError, match="kept changing"):
        cancel_sail(sails, ADMIN.email, sail_id, mailer=FakeMailer(), clock=CLOCK, settings=SETTINGS)
    assert sails.calls.count("sail_items") == 3
    monkeypatch.undo()
    assert get_sail(sails, sail_id, ADMIN, SETTINGS)["status"] == "scheduled"
