"""Nudges: reminder emails to people who still owe something, each sent at most once.

The hourly run finds the upcoming sails (its reads grow with the sails of the next week,
never with the table), works out which nudges are due now, and for each one first claims its
sent-once marker (sail, kind, recipient, window: `repositories/nudges.py`), then sends. A
re-run, a retry or an overlapping run finds the claim and sends nothing twice.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from quarterdeck.clock import Clock, iso, system_clock
from quarterdeck.config import Settings, get_settings
from quarterdeck.errors import QuarterdeckError, ServiceUnavailableError
from quarterdeck.mail import MailSender, OutgoingEmail, render_email
from quarterdeck.nudge_summary import NudgeSummary
from quarterdeck.observability import logger
from quarterdeck.people import admin_addresses
from quarterdeck.repositories import Item
from quarterdeck.repositories.guests import DynamoGuestRepository, GuestRepository
from quarterdeck.repositories.nudges import DynamoNudgeRepository, NudgeMarker, NudgeRepository, opted_out_key
from quarterdeck.repositories.people import DynamoPeopleRepository, PeopleRepository
from quarterdeck.repositories.sails import DynamoSailRepository, SailRepository
from quarterdeck.waiver_copies import finish_owed_copies

if TYPE_CHECKING:
    from quarterdeck.auth import SigningKeys
    from quarterdeck.documents import DocumentStore
    from quarterdeck.store import Store  # for magic codes and owed waiver copies, until their repositories

UNFILLED_ROLES = "unfilled_roles"
WAIVER_PENDING = "waiver_pending"
CHECKLIST_OPEN = "checklist_open"
DAY_OF = "day_of"
KINDS = (UNFILLED_ROLES, WAIVER_PENDING, CHECKLIST_OPEN, DAY_OF)
# Urgent nudges go out whatever the hour; the others wait for the end of quiet hours.
URGENT = frozenset({CHECKLIST_OPEN, DAY_OF})

UNFILLED_DAYS = (7, 3, 1)
WAIVER_DAYS = (3, 1)
CHECKLIST_LEAD = timedelta(hours=2)
DAY_OF_HOUR = 8
EVENING_BEFORE_HOUR = 18  # a morning sail's day-of nudge goes the evening before
QUIET_FROM_HOUR, QUIET_UNTIL_HOUR = 21, 8
LOOKAHEAD_DAYS = 7
STALE_CLAIM = timedelta(minutes=15)
MARK_ATTEMPTS = 3  # recording a send: a sent nudge left "claimed" would be sent again once stale
CLAIM_LIFETIME = timedelta(days=30)


@dataclass(frozen=True)
class Nudge:
    """One email due to one person: `window` makes it once-only (d7, d3, d1, t-2h, day)."""

    kind: str
    window: str
    recipient: str
    sail_id: str
    details: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def marker(self) -> NudgeMarker:
        return NudgeMarker(self.sail_id, self.kind, self.recipient, self.window)


@dataclass(frozen=True)
class SailSnapshot:
    """A sail and everything on it, from one Query of its partition."""

    meta: Item
    roles: list[Item]
    guests: list[Item]
    checks: list[Item]

    @classmethod
    def from_items(cls, items: Iterable[Item]) -> SailSnapshot:
        by_type: dict[str, list[Item]] = {}
        meta: Item = {}
        for item in items:
            if item.get("type") == "sail":
                meta = item
            else:
                by_type.setdefault(str(item.get("type")), []).append(item)
        return cls(
            meta=meta,
            roles=sorted(by_type.get("role", []), key=lambda r: str(r.get("slot"))),
            guests=by_type.get("guest", []),
            checks=by_type.get("check", []),
        )

    @property
    def sail_id(self) -> str:
        return str(self.meta["id"])

    def departure(self) -> datetime:
        return datetime.fromisoformat(str(self.meta["departure"]))


def is_quiet(local_now: datetime) -> bool:
    return local_now.hour >= QUIET_FROM_HOUR or local_now.hour < QUIET_UNTIL_HOUR


def day_of_opens(departure: datetime) -> datetime:
    """When the day-of nudge may go: 08:00 on the day; for a sail departing before 10:00 (a
    fixed-time morning sail), 18:00 the evening before, outside quiet hours and before it leaves."""
    morning = departure.replace(hour=DAY_OF_HOUR, minute=0, second=0, microsecond=0)
    if departure - morning >= timedelta(hours=2):
        return morning
    return (morning - timedelta(days=1)).replace(hour=EVENING_BEFORE_HOUR)


def may_owe_nudges(meta: Item, local_now: datetime) -> bool:
    """Whether any nudge window of this sail is open now, from its index item alone: when none
    is, `due_nudges` owes nothing whatever its partition holds, so the run does not read it
    (most hourly runs read no partition at all)."""
    if meta.get("status", "scheduled") != "scheduled":
        return False
    departure = datetime.fromisoformat(str(meta["departure"]))
    if local_now >= departure:
        return False
    days_until = (date.fromisoformat(str(meta["date"])) - local_now.date()).days
    return (
        days_until in UNFILLED_DAYS
        or days_until in WAIVER_DAYS
        or departure - CHECKLIST_LEAD <= local_now
        or day_of_opens(departure) <= local_now
    )


def due_nudges(sail: SailSnapshot, local_now: datetime, admins: Iterable[str]) -> list[Nudge]:
    """Which nudges this sail owes right now (before quiet hours and once-only are applied)."""
    if not may_owe_nudges(sail.meta, local_now):
        return []
    days_until = (date.fromisoformat(str(sail.meta["date"])) - local_now.date()).days
    departure = sail.departure()
    sail_id = sail.sail_id
    admins = sorted(admins)
    due: list[Nudge] = []

    open_slots = [str(r["slot"]) for r in sail.roles if r.get("state") == "open"]
    if open_slots and days_until in UNFILLED_DAYS:
        holders = {str(r.get("holder", "")).lower() for r in sail.roles if r.get("holder")}
        invited = sorted(
            {email.lower() for r in sail.roles for email in (r.get("invited") or {})} - holders - set(admins)
        )
        for person in [*admins, *invited]:
            due.append(
                Nudge(
                    UNFILLED_ROLES,
                    f"d{days_until}",
                    person,
                    sail_id,
                    {"open_slots": open_slots, "invited": person in invited, "days": days_until},
                )
            )

    if days_until in WAIVER_DAYS:
        for guest in sail.guests:
            if guest.get("status") == "on_hold" and guest.get("email"):
                due.append(
                    Nudge(
                        WAIVER_PENDING,
                        f"d{days_until}",
                        str(guest["email"]).lower(),
                        sail_id,
                        {"guest_id": guest["id"], "name": guest.get("name", ""), "days": days_until},
                    )
                )

    departure_checks = [c for c in sail.checks if c.get("list") == "departure"]
    open_checks = [str(c.get("label", "")) for c in departure_checks if not c.get("done")]
    if open_checks and departure - CHECKLIST_LEAD <= local_now:
        captain = next(
            (str(r["holder"]).lower() for r in sail.roles if r.get("slot") == "captain" and r.get("holder")), None
        )
        for person in sorted({*admins, *([captain] if captain else [])}):
            due.append(Nudge(CHECKLIST_OPEN, "t-2h", person, sail_id, {"open_items": open_checks}))

    if day_of_opens(departure) <= local_now:
        crew = {
            str(r["holder"]).lower()
            for r in sail.roles
            if r.get("holder") and r.get("state") in ("claimed", "designated")
        }
        guests = {str(g["email"]).lower() for g in sail.guests if g.get("status") == "confirmed" and g.get("email")}
        for person in sorted(crew | guests):
            due.append(Nudge(DAY_OF, "day", person, sail_id, {"guest": person in guests}))
    return due


def upcoming_sails(sails: SailRepository, today: date, days: int = LOOKAHEAD_DAYS) -> list[Item]:
    """Sails departing from `today` to `today + days` (local dates): one index Query."""
    return sails.sails_between(today, today + timedelta(days=days))


def _mark_sent(nudges: NudgeRepository, nudge: Nudge, message_id: str) -> None:
    """Record a send, trying harder than anything else in the run (on top of botocore's own
    retries): a nudge sent but left "claimed" would be taken over as stale and sent again."""
    for attempt in range(1, MARK_ATTEMPTS + 1):
        try:
            nudges.mark_sent(nudge.marker, message_id)
            return
        except ServiceUnavailableError:
            if attempt == MARK_ATTEMPTS:
                raise
            time.sleep(random.uniform(0, 0.1 * 2**attempt))  # nosec B311 - full jitter for a retry, not a secret


def _render(
    nudge: Nudge,
    sail: SailSnapshot,
    store: Store,
    signing_keys: Callable[[], SigningKeys],
    settings: Settings,
    now: datetime,
) -> OutgoingEmail:
    # Deferred: links and codes are only made when a nudge goes out; an hourly run that finds
    # nothing due (most of them) never loads them (a shorter cold start).
    from quarterdeck.magic_codes import Purpose
    from quarterdeck.repositories.sign_in import issue_code
    from quarterdeck.sail_mail import guest_link
    from quarterdeck.sessions import magic_link
    from quarterdeck.unsubscribe import unsubscribe_token

    meta = sail.meta
    token = unsubscribe_token(signing_keys(), nudge.recipient)
    context: dict[str, Any] = {
        "sail": {
            **{k: meta.get(k) for k in ("id", "title", "date", "departure", "return", "sunset", "start")},
            "meeting_point": meta.get("meeting_point") or settings.meeting_point,
        },
        "sail_url": f"{settings.app_url}/#/sails/{sail.sail_id}",
        "unsubscribe_url": f"{settings.app_url}/#/unsubscribe?token={token}",
        **nudge.details,
    }
    if nudge.kind == UNFILLED_ROLES and nudge.details.get("invited"):
        context["claim_links"] = {
            slot: magic_link(
                issue_code(
                    store,
                    nudge.recipient,
                    Purpose.claim(sail.sail_id, slot),
                    timedelta(hours=settings.claim_link_hours),
                    clock=lambda: now,
                ),
                settings,
            )
            for slot in nudge.details["open_slots"]
        }
    if nudge.kind == WAIVER_PENDING:
        guest_id = str(nudge.details["guest_id"])
        until = datetime.fromisoformat(str(meta["return"]))
        code = issue_code(
            store,
            nudge.recipient,
            Purpose.waiver(sail.sail_id, guest_id),
            max(until - now, timedelta(hours=1)),
            replaces=f"waiver:{sail.sail_id}:{guest_id}",
            clock=lambda: now,
        )
        context["waiver_link"] = guest_link(code, sail.sail_id, settings)
    return render_email(f"nudge_{nudge.kind}", [nudge.recipient], context)


def run_nudges(
    store: Store,
    mailer: MailSender,
    signing_keys: Callable[[], SigningKeys],
    *,
    nudges: NudgeRepository | None = None,
    sails: SailRepository | None = None,
    settings: Settings | None = None,
    clock: Clock = system_clock,
    documents: DocumentStore | None = None,
    guests: GuestRepository | None = None,
    people: PeopleRepository | None = None,
) -> NudgeSummary:
    """One run: send every nudge that is due now and not sent before, and finish the signed
    waiver copies a failure left owed (`quarterdeck.waiver_copies`). Returns the summary.
    `nudges` (default: over `store`) holds the markers and reads who opted out, `sails` (the
    same) the sails, `people` (the same) who the admins are; `store` itself is still what link
    codes (`repositories.sign_in.issue_code`) and owed copies are kept in."""
    nudges = nudges or DynamoNudgeRepository(store)
    sails = sails or DynamoSailRepository(store)
    people = people or DynamoPeopleRepository(store)
    settings = settings or get_settings()
    now = clock()
    local_now = now.astimezone(settings.timezone)
    summary = NudgeSummary(at=iso(local_now))
    admins: frozenset[str] | None = None  # the deployment's and the roster's, read once a sail needs them
    # One sail's or one nudge's failure (DynamoDB, SES) is reported and the run goes on; what
    # failed is not claimed (or its claim is freed), so the next run sends it.
    for meta in upcoming_sails(sails, local_now.date()):
        summary.sails += 1
        if not may_owe_nudges(meta, local_now):
            continue
        try:
            from quarterdeck.sails import load_sail  # deferred: a run with no sail that may owe nudges never loads it

            sail = SailSnapshot.from_items(load_sail(sails, str(meta["id"])))
            if admins is None:
                admins = admin_addresses(people, settings)
            due = due_nudges(sail, local_now, admins)
            if not due:
                continue
            opted_out = nudges.opted_out({n.recipient for n in due})
        except QuarterdeckError as error:
            summary.failed.append(f"sail {meta.get('id')}: {error.message}")
            logger.exception("nudges of a sail failed", extra={"sail_id": meta.get("id")})
            continue
        for nudge in due:
            message = partial(_render, nudge, sail, store, signing_keys, settings, now)
            send_once(nudges, mailer, nudge, message, summary, opted_out=opted_out, now=now, local_now=local_now)
    finish_owed_copies(
        guests or DynamoGuestRepository(store), mailer, summary, settings=settings, clock=clock, documents=documents
    )
    logger.info("nudge run finished", extra=summary.as_dict())
    return summary


def send_once(
    nudges: NudgeRepository,
    mailer: MailSender,
    nudge: Nudge,
    message: Callable[[], OutgoingEmail],
    summary: NudgeSummary,
    *,
    opted_out: Collection[str] = (),
    now: datetime,
    local_now: datetime,
) -> None:
    """Send one due nudge unless its recipient opted out, quiet hours hold it back or its
    marker says it went out: claim, render and send, mark sent (or free the claim when the
    send failed), each outcome in `summary`."""
    what = f"{nudge.kind} {nudge.sail_id} {nudge.recipient}"
    if nudge.recipient in opted_out or opted_out_key(nudge.recipient, nudge.kind) in opted_out:
        summary.skipped[f"{nudge.kind}:unsubscribed"] += 1
        return
    if nudge.kind not in URGENT and is_quiet(local_now):
        summary.skipped[f"{nudge.kind}:quiet_hours"] += 1
        return
    try:
        claimed = nudges.claim(nudge.marker, at=now, stale_before=now - STALE_CLAIM, expires=now + CLAIM_LIFETIME)
    except QuarterdeckError as error:  # not claimed (or claimed unseen: taken over once stale)
        summary.failed.append(f"{what}: {error.message}")
        logger.exception("nudge not claimed", extra={"kind": nudge.kind, "sail_id": nudge.sail_id})
        return
    if not claimed:
        summary.skipped[f"{nudge.kind}:already_sent"] += 1
        return
    try:
        message_id = mailer.send(message())
    except QuarterdeckError as error:
        summary.failed.append(f"{what}: {error.message}")
        logger.exception("nudge failed", extra={"kind": nudge.kind, "sail_id": nudge.sail_id})
        try:
            nudges.release(nudge.marker)
        except QuarterdeckError:  # the claim then goes stale and the run after that takes it over
            logger.exception("nudge claim not freed", extra={"kind": nudge.kind, "sail_id": nudge.sail_id})
        return
    summary.sent[nudge.kind] += 1
    try:
        _mark_sent(nudges, nudge, message_id)
    except QuarterdeckError as error:
        summary.failed.append(f"{what}: sent (MessageId {message_id}) but not recorded: {error.message}")
        logger.exception("nudge sent but not recorded", extra={"kind": nudge.kind, "message_id": message_id})
