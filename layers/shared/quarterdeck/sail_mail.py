"""Telling the people on a sail about a change to it (a new date, a cancellation): one email each."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from quarterdeck.config import Settings, get_settings
from quarterdeck.observability import logger
from quarterdeck.repositories import Item

if TYPE_CHECKING:
    from quarterdeck.mail import MailSender


def people_on(items: Iterable[Item]) -> list[tuple[str, str]]:
    """(email, kind) of everyone on a sail: role holders ("crew") then guests ("guest")."""
    seen: dict[str, str] = {}
    for item in items:
        if item.get("type") == "role" and item.get("holder"):
            seen.setdefault(str(item["holder"]).lower(), "crew")
    for item in items:
        if item.get("type") == "guest" and item.get("email"):
            seen.setdefault(str(item["email"]).lower(), "guest")
    return list(seen.items())


def mail_sail(meta: Mapping[str, Any], settings: Settings | None = None) -> dict[str, Any]:
    from quarterdeck.formatting import sail_for_email  # only a change that mails needs it: not the sail page

    settings = settings or get_settings()
    return sail_for_email(meta, tz=settings.timezone, app_url=settings.app_url, meeting_point=settings.meeting_point)


def guest_link(code: str, sail_id: str, settings: Settings | None = None) -> str:
    """A guest's waiver link: the magic link, naming its sail, so a page opened from a spent link
    can offer to send a fresh one for that sail (the code alone says nothing once it is used)."""
    from quarterdeck.sessions import magic_link  # deferred: only a change that mails needs it

    return f"{magic_link(code, settings)}&sail={sail_id}"


def tell_people(
    mailer: MailSender | None,
    kind: str,
    items: Iterable[Item],
    context: dict[str, Any],
    settings: Settings,
) -> list[str]:
    """One message per person (nobody sees the others' addresses). A failed send is logged
    and does not undo the change that was already made."""
    from quarterdeck.errors import QuarterdeckError
    from quarterdeck.mail import default_mail_sender, render_email

    sender = mailer or default_mail_sender()
    told = []
    for email, who in people_on(items):
        try:
            sender.send(render_email(kind, [email], {**context, "is_guest": who == "guest"}))
            told.append(email)
        except QuarterdeckError:
            logger.exception("could not tell a person about a sail change", extra={"kind": kind})
    return told
