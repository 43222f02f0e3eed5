"""NudgeRepository in memory: people's nudge switches and the markers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from quarterdeck.clock import epoch, iso
from quarterdeck.repositories import Item
from quarterdeck.repositories.nudges import NudgeMarker, opt_outs


class MemoryNudgeRepository:
    def __init__(self) -> None:
        self.people: dict[str, Item] = {}  # email -> person
        self.markers: dict[NudgeMarker, Item] = {}
        self.fail_next: dict[str, Exception] = {}  # method name -> raised once, instead of running it

    # --- the protocol ---------------------------------------------------------------
    def opted_out(self, emails: Iterable[str]) -> set[str]:
        wanted = {e.lower() for e in emails}
        return {key for e, person in self.people.items() if e in wanted for key in opt_outs({"email": e, **person})}

    def opt_out(self, email: str) -> None:
        """Given: this person turned their nudges off (the people repository writes that)."""
        self.people.setdefault(email.lower(), {"email": email.lower()})["nudges"] = False

    def claim(self, marker: NudgeMarker, *, at: datetime, stale_before: datetime, expires: datetime) -> bool:
        self._fault("claim")
        held = self.markers.get(marker)
        if held is not None and not (held["status"] == "claimed" and held["claimed_at"] < iso(stale_before)):
            return False
        self.markers[marker] = {"status": "claimed", "claimed_at": iso(at), "expires_at": epoch(expires)}
        return True

    def mark_sent(self, marker: NudgeMarker, message_id: str) -> None:
        self._fault("mark_sent")
        self.markers.setdefault(marker, {}).update(status="sent", message_id=message_id)

    def release(self, marker: NudgeMarker) -> None:
        self._fault("release")
        self.markers.pop(marker, None)

    def _fault(self, method: str) -> None:
        error = self.fail_next.pop(method, None)
        if error is not None:
            raise error
