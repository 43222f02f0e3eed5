"""In memory: the delivery log and the suppression list (quarterdeck.repositories.deliveries)."""

from __future__ import annotations

from collections.abc import Sequence

from quarterdeck.repositories import Item


class MemoryDeliveryRepository:
    def __init__(self) -> None:
        self.events: dict[tuple[str, str, str], Item] = {}  # (message id, recipient, event) -> event
        self.suppressions: dict[str, Item] = {}  # lower-cased address -> suppression

    def record_event(self, message_id: str, recipient: str, event: str, at: str, detail: str = "") -> bool:
        address = recipient.strip().lower()
        key = (message_id, address, event)
        if key in self.events:
            return False
        entry: Item = {"message_id": message_id, "recipient": address, "event": event, "at": at}
        if detail:
            entry["detail"] = detail
        self.events[key] = entry
        return True

    def events_of(self, message_id: str) -> list[Item]:
        found = [dict(e) for (m, _, _), e in self.events.items() if m == message_id]
        return sorted(found, key=lambda e: (e["recipient"], e["event"]))

    def log_of(self, sends: Sequence[tuple[str, str]]) -> tuple[list[Item], dict[str, Item]]:
        pairs = {(m, r.strip().lower()) for m, r in sends if m and r.strip()}
        events = [dict(e) for (m, r, _), e in self.events.items() if (m, r) in pairs]
        events.sort(key=lambda e: (e["message_id"], e["recipient"], e["event"]))
        return events, self.suppressions_of([r for _, r in sends])

    def suppress(self, email: str, reason: str, event: str, message_id: str, at: str) -> bool:
        address = email.strip().lower()
        if address in self.suppressions:
            return False
        self.suppressions[address] = {
            "email": address,
            "reason": reason,
            "event": event,
            "message_id": message_id,
            "at": at,
        }
        return True

    def suppressions_of(self, emails: Sequence[str]) -> dict[str, Item]:
        wanted = {e.strip().lower() for e in emails if e.strip()}
        return {a: dict(s) for a, s in self.suppressions.items() if a in wanted}

    def suppressed_addresses(self) -> list[Item]:
        return [dict(self.suppressions[a]) for a in sorted(self.suppressions)]
