"""The guest's own page for a sail: what it serves besides the guest's record (the waiver area's
`GET /api/sails/<id>/guests/<guest_id>`): the sail as one `.ics` event, the signed copy as text,
and a fresh link for a guest whose link is spent and whose browser holds no session.

A fresh link is answered alike whether or not the address is on the sail's guest list (nothing
tells them apart but the inbox), and both are counted against the same limits (per address and
sail, per source), so a 429 says nothing about the address either.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

from quarterdeck.clock import Clock, epoch, system_clock
from quarterdeck.config import Settings, get_settings
from quarterdeck.errors import GuestNotFoundError, LimitReachedError, RateLimitedError
from quarterdeck.guests import CONFIRMED, guest_id_for, read_sail, return_time, sail_context, waiver_link
from quarterdeck.magic_codes import Purpose
from quarterdeck.mail import MailSender, render_email
from quarterdeck.observability import logger
from quarterdeck.repositories import Item
from quarterdeck.repositories.guests import GuestRepository
from quarterdeck.repositories.sign_in import Limit, SignInRepository
from quarterdeck.sail_mail import guest_link
from quarterdeck.validation import email_address
from quarterdeck.waiver_text import WAIVER_DIR, load_waiver, signed_copy

FRESH_LINKS_PER_SOURCE_PER_HOUR = 20
FRESH_LINK_KIND = "guest_link"


# --- the sail as a calendar event ------------------------------------------------------------
def sail_calendar(
    guests: GuestRepository,
    sail_id: str,
    guest_id: str,
    *,
    settings: Settings | None = None,
    clock: Clock = system_clock,
) -> tuple[str, str]:
    """(file name, iCalendar text) of the guest's sail: one event, departure to return, at the
    meeting point. One read."""
    from quarterdeck.calendar_feed import build_calendar  # deferred: only this download needs it

    settings = settings or get_settings()
    found = read_sail(guests, sail_id, guest_id=guest_id)
    meta = found.sail or {}
    text = build_calendar([(meta, None)], name=str(meta.get("title") or "Sail"), clock=clock, settings=settings)
    return f"sail-{meta.get('date', sail_id)}.ics", text


# --- the signed copy ---------------------------------------------------------------------------
def signed_copy_text(
    guests: GuestRepository,
    sail_id: str,
    guest_id: str,
    *,
    settings: Settings | None = None,
    waiver_dir: Path = WAIVER_DIR,
) -> tuple[str, str]:
    """(file name, text) of the guest's signed waiver, byte for byte the copy that was emailed
    and stored (it is built from the stored signature alone). One read, and one more for a
    version published in the app; GuestNotFoundError (404) while unsigned."""
    settings = settings or get_settings()
    found = read_sail(guests, sail_id, guest_id=guest_id, signature=True)
    if not found.signature:
        raise GuestNotFoundError("This guest has not signed the waiver yet.")
    signature = found.signature
    waiver = load_waiver(str(signature["version"]), directory=waiver_dir, texts=guests)
    text = signed_copy(signature, waiver, found.guest or {}, found.sail or {}, settings)
    return f"waiver-{signature['version']}-{sail_id}.txt", text


# --- a fresh link ------------------------------------------------------------------------------
def _limits(sail_id: str, address: str, source: str | None, settings: Settings, clock: Clock) -> list[Limit]:
    now = clock()
    hour, expires = now.strftime("%Y%m%d%H"), epoch(now + timedelta(hours=2))
    # (The path's sail id, whatever it holds, keys the counter only through its hash.)
    sail_key = hashlib.sha256(sail_id.encode("utf-8", "replace")).hexdigest()[:16]
    limits = [Limit(f"guestlink#{sail_key}#{address}", hour, settings.login_links_per_hour, expires)]
    if source:
        limits.append(Limit(f"guestlink#{source}", hour, FRESH_LINKS_PER_SOURCE_PER_HOUR, expires))
    return limits


def _too_many() -> RateLimitedError:
    return RateLimitedError(
        "Too many links were asked for just now. Wait an hour, then ask again (or open the newest link you have).",
        field="email",
        code="too_many_links",
    )


def _mail_fresh_link(mailer: MailSender, meta: Item, guest: Item, code: str, settings: Settings) -> None:
    context = {
        "name": guest.get("name", ""),
        "sail": sail_context(meta, settings),
        "link": guest_link(code, str(meta["id"]), settings),
        "confirmed": guest.get("status") == CONFIRMED,
    }
    mailer.send(render_email(FRESH_LINK_KIND, [str(guest["email"])], context))


def send_fresh_link(
    guests: GuestRepository,
    sign_in: SignInRepository,
    mailer: MailSender,
    sail_id: str,
    email: object,
    *,
    source: str | None = None,
    settings: Settings | None = None,
    clock: Clock = system_clock,
) -> None:
    """Mail a fresh guest link for this sail to `email` if it is on the sail's guest list (and the
    sail neither cancelled nor returned); its previous link stops working. Otherwise nothing is
    sent, and the caller cannot tell. RateLimitedError (429) past the limits, alike for both.
    Two round trips either way: the sail, the guest and its link's pointer in one read, then
    one transaction (the counters, and for a guest the new code replacing the link's last)."""
    settings = settings or get_settings()
    address = email_address(email)
    limits = _limits(sail_id, address, source, settings, clock)
    found = None
    if sail_id and len(sail_id) <= 64:
        guest_id = guest_id_for(sail_id, address)
        found = guests.read(sail_id, guest_id=guest_id, code_link=waiver_link(sail_id, guest_id))
    meta, guest = (found.sail, found.guest) if found else (None, None)
    now = clock()
    try:
        if (
            not found
            or not meta
            or not guest
            or meta.get("status") == "cancelled"
            or return_time(meta, settings, now) <= now
        ):
            # What an unknown address costs: the same counters, the same 429 at their ceiling.
            logger.info("fresh guest link asked for an address not on the sail")
            sign_in.count_within(limits)
            return
        code = sign_in.issue_code(
            address,
            Purpose.waiver(sail_id, str(guest["id"])),
            return_time(meta, settings, now) - now,
            replaces=waiver_link(sail_id, str(guest["id"])),
            limits=limits,
            clock=clock,
            pointer=found.code_pointer,
        )
    except LimitReachedError:
        raise _too_many() from None
    _mail_fresh_link(mailer, meta, guest, code, settings)
