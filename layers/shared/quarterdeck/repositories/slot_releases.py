"""Opening held role slots again (the sail repository's `release_slot` and `release_slots`):
the writes of one release, so one slot or several of one holder (a removed person's, on as
many sails, in the transaction that removes them: `PeopleRepository.remove`) open at once.
Each release is four actions; a transaction holds 100.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from quarterdeck import keys
from quarterdeck.repositories.history import history_write
from quarterdeck.store import TRANSACTION_ROOM, Write


class Change(Protocol):
    """The history entry of a change (`repositories.sails.Change`; not imported: sails imports this)."""

    @property
    def actor(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def at(self) -> datetime: ...
    @property
    def detail(self) -> dict[str, Any] | None: ...


Release = tuple[str, str, str, Change]  # (sail_id, slot, state, change) of one slot to open again
RELEASES_AT_ONCE = TRANSACTION_ROOM // 4  # four writes each: a removal's record and the request's guard still fit


def release_writes(holder: str, release: Release) -> list[Write]:
    """The slot, held (`state`) by `holder`, back to open: its marker and META's `holders` (and
    `confirmed`) entry gone, the change in the sail's history. The slot's action is named `slot`."""
    sail_id, slot, state, change = release
    role_pk, role_sk = keys.role(sail_id, slot)
    sail_pk, sail_sk = keys.sail(sail_id)
    marker_pk, marker_sk = keys.role_holder(sail_id, holder)
    return [
        Write(
            "Update",
            key={"pk": role_pk, "sk": role_sk},
            name="slot",
            update="SET #state = :open REMOVE holder, claimed_at, designated_at",
            condition="attribute_exists(pk) AND #state = :was AND holder = :holder",
            names={"#state": "state"},
            values={":open": "open", ":was": state, ":holder": holder},
        ),
        Write("Delete", key={"pk": marker_pk, "sk": marker_sk}),
        history_write(sail_id, change.actor, change.action, change.detail, clock=lambda: change.at),
        Write(
            "Update",
            key={"pk": sail_pk, "sk": sail_sk},
            name="sail",
            update="DELETE holders :holder, confirmed :holder",
            condition="attribute_exists(pk)",
            values={":holder": {keys.holder_tag(holder, slot)}},
        ),
    ]
