"""Nudges: the sent-once markers and who opted out (a run reads its sails from the sails repository).

A marker `NUDGE#<sail>/<kind>#<recipient>#<window>` is claimed with a conditional Put before
the email goes out (taken over only when a run died and left it `claimed` too long), marked
`sent` with the email's MessageId afterwards, or deleted when the send failed so the next run
tries again. Markers expire (DynamoDB TTL on `expires_at`) once their sail is long past.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from quarterdeck import keys
from quarterdeck.clock import epoch, iso
from quarterdeck.repositories import Item
from quarterdeck.store import ConditionFailedError, Store


@dataclass(frozen=True)
class NudgeMarker:
    """What makes a nudge once-only: this kind, to this person, about this sail, in this window."""

    sail_id: str
    kind: str
    recipient: str
    window: str


def opted_out_key(email: str, kind: str) -> str:
    """The entry of `opted_out` for one kind of nudge turned off."""
    return f"{email.lower()}#{kind}"


def opt_outs(person: Item) -> set[str]:
    """What a person record says is not wanted (`opted_out`'s entries)."""
    email = str(person.get("email") or "")
    if person.get("nudges") is False:
        return {email}
    return {opted_out_key(email, str(kind)) for kind in person.get("nudges_off") or ()}


class NudgeRepository(Protocol):
    def opted_out(self, emails: Iterable[str]) -> set[str]:
        """Which of these people turned their nudges off: an address for all of them (an
        unsubscribe link, or every kind off), `<address>#<kind>` for one kind turned off on the
        settings page (`opted_out_key`)."""
        ...

    def claim(self, marker: NudgeMarker, *, at: datetime, stale_before: datetime, expires: datetime) -> bool:
        """Claim the right to send; False if it was sent, or is being sent by a claim made at or
        after `stale_before`."""
        ...

    def mark_sent(self, marker: NudgeMarker, message_id: str) -> None:
        """Record that the claimed nudge went out."""
        ...

    def release(self, marker: NudgeMarker) -> None:
        """Free a claim whose send failed, so the next run tries again (gone already: nothing to do)."""
        ...


class DynamoNudgeRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def opted_out(self, emails: Iterable[str]) -> set[str]:
        found = self._store.batch_get([keys.person(email) for email in set(emails)])
        return {key for person in found for key in opt_outs(person)}

    def claim(self, marker: NudgeMarker, *, at: datetime, stale_before: datetime, expires: datetime) -> bool:
        pk, sk = self._key(marker)
        try:
            self._store.put(
                {
                    "pk": pk,
                    "sk": sk,
                    "type": "nudge",
                    "status": "claimed",
                    "claimed_at": iso(at),
                    "expires_at": epoch(expires),
                },
                # A claim left by a run that died before sending is taken over after a while.
                condition="attribute_not_exists(pk) OR (#status = :claimed AND claimed_at < :stale)",
                names={"#status": "status"},
                values={":claimed": "claimed", ":stale": iso(stale_before)},
            )
            return True
        except ConditionFailedError:
            return False

    def mark_sent(self, marker: NudgeMarker, message_id: str) -> None:
        self._store.update(
            *self._key(marker),
            "SET #status = :sent, message_id = :id",
            names={"#status": "status"},
            values={":sent": "sent", ":id": message_id},
        )

    def release(self, marker: NudgeMarker) -> None:
        self._store.delete(*self._key(marker))  # a claim gone already (expired) is no error

    @staticmethod
    def _key(marker: NudgeMarker) -> keys.Key:
        return keys.nudge_sent(marker.sail_id, marker.kind, marker.recipient, marker.window)
