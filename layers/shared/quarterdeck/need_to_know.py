"""Who sees a guest's contact details (issue 20, "need to know").

Crew see guests' names, party sizes and waiver status: what check-in at the dock needs. A
guest's email address and phone are for the admins and for the sail's captain (whoever holds
its `captain` slot), who may have to reach them; and for the guest itself. Every read that shows
guests asks this one function, so a route, an email or the offline copy cannot drift from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from quarterdeck.auth import Caller
from quarterdeck.repositories.sails import holders_of

CAPTAIN_SLOT = "captain"
CONTACT_FIELDS = ("email", "phone")


def sees_guest_contact(caller: Caller | None, meta: Mapping[str, Any]) -> bool:
    """Whether `caller` may see the contact details of the guests of the sail `meta` describes
    (the sail's META item, whose `holders` names who holds which slot)."""
    if caller is None or caller.is_guest:
        return False  # a guest sees only its own record (with its own contact), never the others'
    if caller.is_admin:
        return True
    return holders_of(meta).get(caller.email.strip().lower()) == CAPTAIN_SLOT


def without_contact(guest: Mapping[str, Any]) -> dict[str, Any]:
    """A guest's view with its contact details left out."""
    return {name: value for name, value in guest.items() if name not in CONTACT_FIELDS}
