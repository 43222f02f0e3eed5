"""Issue 21 (5, 7): the guest's page (its sail as one .ics event, its signed copy, a fresh link
answered alike for any address) and the manifest as CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest

from quarterdeck import guest_page, guests, manifest_export
from quarterdeck.auth import Caller
from quarterdeck.config import Settings
from quarterdeck.errors import ForbiddenError, GuestNotFoundError, InvalidInputError, RateLimitedError
from quarterdeck.keys import holder_tag
from quarterdeck.magic_codes import Purpose, hash_code
from tests.unit.fakes import FakeMailer
from tests.unit.memory.guests import MemoryGuestRepository
from tests.unit.memory.people import MemorySignInRepository

SETTINGS = Settings(app_url="https://crew.example", meeting_point="Marina office", login_links_per_hour=3)
NOW = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
ADMIN = Caller(email="admin@example.com", role="admin", jti="a", expires=0)
CAPTAIN = Caller(email="cap@example.com", role="crew", jti="c", expires=0)
CREW = Caller(email="crew@example.com", role="crew", jti="d", expires=0)


def _sail(repo: MemoryGuestRepository, **fields: Any) -> None:
    repo.put_sail(
        {
            "id": "s1", "title": "Sunset", "date": "2026-12-05", "status": "scheduled", "guest_count": 0,
            "departure": "2026-12-05T16:30:00-08:00", "return": "2026-12-05T19:00:00-08:00",
            "sunset": "2026-12-05T16:44:00-08:00", "meeting_point": "Dock C, slip 14",
            "holders": {holder_tag(CAPTAIN.email, "captain"), holder_tag(CREW.email, "crew-1")}, **fields,
        }
    )  # fmt: skip


def _add(repo: MemoryGuestRepository, name: str, email: str, size: int = 1, **extra: Any) -> str:
    answer = guests.add_guest(
        repo, FakeMailer(), ADMIN.email, "s1", name=name, email=email, party_size=size, settings=SETTINGS,
        clock=lambda: NOW, **extra,
    )  # fmt: skip
    return str(answer["guest"]["id"])


@pytest.fixture
def repo() -> MemoryGuestRepository:
    repo = MemoryGuestRepository()
    _sail(repo)
    return repo


# --- the .ics ---------------------------------------------------------------------------------
def test_the_guests_sail_is_one_event_at_the_meeting_point(repo: MemoryGuestRepository) -> None:
    guest_id = _add(repo, "Ada", "ada@example.com")
    name, text = guest_page.sail_calendar(repo, "s1", guest_id, settings=SETTINGS, clock=lambda: NOW)
    assert name == "sail-2026-12-05.ics"
    assert text.count("BEGIN:VEVENT") == 1 and "UID:sail-s1@quarterdeck" in text
    assert "LOCATION:Dock C\\, slip 14" in text and "DTSTART:20261206T003000Z" in text


def test_no_ics_for_a_guest_not_on_the_sail(repo: MemoryGuestRepository) -> None:
    with pytest.raises(GuestNotFoundError):
        guest_page.sail_calendar(repo, "s1", "nobody", settings=SETTINGS)


# --- the signed copy --------------------------------------------------------------------------
def test_no_signed_copy_before_signing(repo: MemoryGuestRepository) -> None:
    guest_id = _add(repo, "Ada", "ada@example.com")
    with pytest.raises(GuestNotFoundError):
        guest_page.signed_copy_text(repo, "s1", guest_id, settings=SETTINGS)


# --- a fresh link -----------------------------------------------------------------------------
def test_a_fresh_link_goes_to_a_booked_address_and_retires_the_old_one(repo: MemoryGuestRepository) -> None:
    guest_id = _add(repo, "Ada", "ada@example.com")
    sign_in, mailer = MemorySignInRepository(), FakeMailer()
    guest_page.send_fresh_link(repo, sign_in, mailer, "s1", "ADA@example.com", settings=SETTINGS, clock=lambda: NOW)
    [message] = mailer.sent
    assert message.kind == "guest_link" and message.to == ("ada@example.com",)
    assert "Where to meet: Dock C, slip 14" in message.text and "Dock C, slip 14" in message.html
    code = message.text.split("#/magic?code=")[1].split("&")[0]
    assert "&sail=s1" in message.text
    assert sign_in.codes[hash_code(code)]["purpose"] == str(Purpose.waiver("s1", guest_id))
    assert sign_in.pointers[guests.waiver_link("s1", guest_id)]["code_hash"] == hash_code(code)


@pytest.mark.parametrize(
    ("sail_id", "email"), [("s1", "stranger@example.com"), ("no-such-sail", "ada@example.com"), ("x" * 80, "a@b.co")]
)
def test_an_unknown_address_gets_nothing_and_the_same_answer(
    repo: MemoryGuestRepository, sail_id: str, email: str
) -> None:
    _add(repo, "Ada", "ada@example.com")
    sign_in, mailer = MemorySignInRepository(), FakeMailer()
    assert (
        guest_page.send_fresh_link(repo, sign_in, mailer, sail_id, email, settings=SETTINGS, clock=lambda: NOW) is None
    )
    assert mailer.sent == [] and sign_in.codes == {}
    # ... yet it is counted like a known one
    assert sum(sign_in.counts.values()) == 1


@pytest.mark.parametrize("email", ["ada@example.com", "stranger@example.com"])
def test_past_the_limit_both_are_429(repo: MemoryGuestRepository, email: str) -> None:
    _add(repo, "Ada", "ada@example.com")
    sign_in, mailer = MemorySignInRepository(), FakeMailer()
    for _ in range(3):
        guest_page.send_fresh_link(
            repo, sign_in, mailer, "s1", email, source="203.0.113.9", settings=SETTINGS, clock=lambda: NOW
        )
    with pytest.raises(RateLimitedError) as refused:
        guest_page.send_fresh_link(
            repo, sign_in, mailer, "s1", email, source="203.0.113.9", settings=SETTINGS, clock=lambda: NOW
        )
    assert refused.value.code == "too_many_links" and refused.value.field == "email"


def test_a_cancelled_sails_guest_gets_no_link(repo: MemoryGuestRepository) -> None:
    _add(repo, "Ada", "ada@example.com")
    repo.sails["s1"]["status"] = "cancelled"
    mailer = FakeMailer()
    guest_page.send_fresh_link(
        repo, MemorySignInRepository(), mailer, "s1", "ada@example.com", settings=SETTINGS, clock=lambda: NOW
    )
    assert mailer.sent == []


def test_a_fresh_link_needs_an_email_address(repo: MemoryGuestRepository) -> None:
    with pytest.raises(InvalidInputError) as refused:
        guest_page.send_fresh_link(
            repo, MemorySignInRepository(), FakeMailer(), "s1", "not an address", settings=SETTINGS
        )
    assert refused.value.field == "email"


# --- the manifest as CSV ----------------------------------------------------------------------
def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_csv_has_one_row_a_person_and_no_formulas(repo: MemoryGuestRepository) -> None:
    _add(repo, '=HYPERLINK("http://evil")', "eve@example.com", phone="+1 619 555 0100")
    _add(repo, "Ada Lovelace", "ada@example.com", 3)
    name, text = manifest_export.manifest_csv(repo, "s1", ADMIN, settings=SETTINGS)
    assert name == "manifest-2026-12-05-s1.csv"
    rows = _rows(text)
    assert len(rows) == 4  # Eve, and Ada's party of three
    assert rows[0]["Name"] == '\'=HYPERLINK("http://evil")' and rows[0]["Phone"] == "'+1 619 555 0100"
    assert [r["Booking"] for r in rows[1:]] == ["Ada Lovelace"] * 3
    assert {r["Meeting point"] for r in rows} == {"Dock C, slip 14"} and rows[1]["Status"] == "on hold"


def test_the_captain_downloads_without_contacts_other_crew_may_not(repo: MemoryGuestRepository) -> None:
    _add(repo, "Ada", "ada@example.com")
    _, text = manifest_export.manifest_csv(repo, "s1", CAPTAIN, settings=SETTINGS)
    assert "Email" not in text.splitlines()[0] and "ada@example.com" not in text
    with pytest.raises(ForbiddenError):
        manifest_export.manifest_csv(repo, "s1", CREW, settings=SETTINGS)


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_formula_starts_are_quoted(cell: str) -> None:
    assert manifest_export.safe_cell(cell) == "'" + cell
    assert manifest_export.safe_cell("Ada") == "Ada"
