"""The mail delivery log and the suppression list (issue 22).

SES reports what became of each message (delivered, bounced, complained) through the
configuration set's event destination; each event is kept per MessageId and recipient
(`MAIL#<message id>` / `EVENT#<recipient>#<event>`), written once (SES may repeat an event).
An address that bounced hard or complained is suppressed (`SUPPRESSIONS` / `<email>`), with
the reason, and no mail goes to it any more (quarterdeck.mail asks before each send). A
suppression also sits in the people's GSI1 partition (`keys.suppression_index`), where the
roster reads it with the people (`PeopleRepository.roster_listing`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Protocol

from quarterdeck import keys
from quarterdeck.repositories import Item
from quarterdeck.store import ConditionFailedError, Store

EVENTS = ("delivery", "bounce", "complaint")  # the SES events kept (quarterdeck.deliveries)
EVENT_FIELDS = ("message_id", "recipient", "event", "at", "detail")
SUPPRESSION_FIELDS = ("email", "reason", "event", "message_id", "at")


class DeliveryRepository(Protocol):
    def record_event(self, message_id: str, recipient: str, event: str, at: str, detail: str = "") -> bool:
        """Keep one SES event (`delivery`, `bounce`, `complaint`) of a message for a recipient;
        False when it was kept already (a repeated event changes nothing)."""
        ...

    def events_of(self, message_id: str) -> list[Item]:
        """Every event kept for a message (EVENT_FIELDS), by recipient then event."""
        ...

    def log_of(self, sends: Sequence[tuple[str, str]]) -> tuple[list[Item], dict[str, Item]]:
        """For each (MessageId, recipient): its events (EVENT_FIELDS, by MessageId, recipient,
        event), and the suppressions of those recipients (as `suppressions_of`); one
        BatchGetItem for a report's page, whatever its number of recipients up to 25."""
        ...

    def suppress(self, email: str, reason: str, event: str, message_id: str, at: str) -> bool:
        """Put an address on the suppression list with its reason; False when it was on it
        already (the first reason stays)."""
        ...

    def suppressions_of(self, emails: Sequence[str]) -> dict[str, Item]:
        """The suppressed ones among `emails` (lower-cased address → SUPPRESSION_FIELDS)."""
        ...

    def suppressed_addresses(self) -> list[Item]:
        """The whole suppression list, by address."""
        ...


def _fields(item: Item, names: Sequence[str]) -> Item:
    return {name: item[name] for name in names if name in item}


def suppression_view(item: Item) -> Item:
    """A stored suppression as the repositories return it (SUPPRESSION_FIELDS)."""
    return _fields(item, SUPPRESSION_FIELDS)


class DynamoDeliveryRepository:
    def __init__(self, store: Store) -> None:
        self.store = store

    def record_event(self, message_id: str, recipient: str, event: str, at: str, detail: str = "") -> bool:
        pk, sk = keys.mail_event(message_id, recipient, event)
        item: Item = {
            "pk": pk,
            "sk": sk,
            "type": "mail_event",
            "message_id": message_id,
            "recipient": recipient.strip().lower(),
            "event": event,
            "at": at,
            "detail": detail or None,
        }
        try:
            self.store.put(item, condition="attribute_not_exists(pk)")
        except ConditionFailedError:
            return False
        return True

    def events_of(self, message_id: str) -> list[Item]:
        return [_fields(item, EVENT_FIELDS) for item in self.store.query(keys.mail_events(message_id))]

    def log_of(self, sends: Sequence[tuple[str, str]]) -> tuple[list[Item], dict[str, Item]]:
        wanted = [keys.mail_event(m, r, event) for m, r in sends if m and r.strip() for event in EVENTS]
        wanted += [keys.suppression(r) for _, r in sends if r.strip()]
        if not wanted:
            return [], {}
        found = self.store.batch_get(list(dict.fromkeys(wanted)))
        events = [_fields(i, EVENT_FIELDS) for i in found if i.get("type") == "mail_event"]
        events.sort(key=lambda e: (e["message_id"], e["recipient"], e["event"]))
        suppressions = {i["email"]: suppression_view(i) for i in found if i.get("type") == "suppression"}
        return events, suppressions

    def suppress(self, email: str, reason: str, event: str, message_id: str, at: str) -> bool:
        pk, sk = keys.suppression(email)
        gsi1pk, gsi1sk = keys.suppression_index(email)
        item: Item = {
            "pk": pk,
            "sk": sk,
            "type": "suppression",
            "email": sk,
            "reason": reason,
            "event": event,
            "message_id": message_id,
            "at": at,
            "gsi1pk": gsi1pk,
            "gsi1sk": gsi1sk,
        }
        try:
            self.store.put(item, condition="attribute_not_exists(pk)")
        except ConditionFailedError:
            return False
        return True

    def suppressions_of(self, emails: Sequence[str]) -> dict[str, Item]:
        wanted = list(dict.fromkeys(keys.suppression(email) for email in emails if email.strip()))
        if not wanted:
            return {}
        return {item["email"]: suppression_view(item) for item in self.store.batch_get(wanted)}

    def suppressed_addresses(self) -> list[Item]:
        return [suppression_view(item) for item in self.store.query(keys.SUPPRESSIONS)]


class CachedSuppressions:
    """The suppression list as a sender asks it (`quarterdeck.mail.SuppressionList`): read whole
    (one Query of a small partition) and kept for `seconds`, so a send costs no round trip
    while the copy is fresh (as a container keeps the people it has seen, docs/decisions.md).
    An address suppressed meanwhile may still get mail for that long from a warm container;
    SES's own suppression for the configuration set (BOUNCE, COMPLAINT) covers that window."""

    def __init__(
        self, deliveries: DeliveryRepository, seconds: float = 300.0, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.deliveries = deliveries
        self.seconds = seconds
        self._monotonic = monotonic
        self._read_at: float | None = None
        self._listed: dict[str, Item] = {}

    def suppressions_of(self, emails: Sequence[str]) -> dict[str, Item]:
        now = self._monotonic()
        if self._read_at is None or now - self._read_at >= self.seconds:
            self._listed = {str(i["email"]): i for i in self.deliveries.suppressed_addresses()}
            self._read_at = now
        wanted = {e.strip().lower() for e in emails}
        return {address: entry for address, entry in self._listed.items() if address in wanted}
