"""Unsubscribe links: their own key, and an expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from quarterdeck.auth import SigningKeys
from quarterdeck.config import Settings
from quarterdeck.errors import InvalidInputError
from quarterdeck.unsubscribe import email_of_unsubscribe_token, unsubscribe_token

LINK_KEYS = SigningKeys(current_kid="u1", keys={"u1": "u" * 64})
SESSION_KEYS = SigningKeys(current_kid="k1", keys={"k1": "k" * 64})
SETTINGS = Settings(unsubscribe_link_days=30)
SENT = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)


def test_a_link_names_the_person_it_was_made_for() -> None:
    # Given a link mailed today
    token = unsubscribe_token(LINK_KEYS, "Ann@Example.com", settings=SETTINGS, clock=lambda: SENT)
    # When it is opened a week later
    email = email_of_unsubscribe_token(LINK_KEYS, token, clock=lambda: SENT + timedelta(days=7))
    # Then it turns off that person's nudges
    assert email == "ann@example.com"


def test_a_link_expires() -> None:
    # Given a link mailed today, valid 30 days
    token = unsubscribe_token(LINK_KEYS, "ann@example.com", settings=SETTINGS, clock=lambda: SENT)
    # When it is opened after 31 days
    with pytest.raises(InvalidInputError) as refused:
        email_of_unsubscribe_token(LINK_KEYS, token, clock=lambda: SENT + timedelta(days=31))
    # Then it is refused, saying it expired
    assert "expired" in refused.value.message
    assert refused.value.field == "token"


def test_a_link_made_with_another_key_is_refused() -> None:
    # Given a link made with the session-signing key (what NudgeFunction used to hold)
    token = unsubscribe_token(SESSION_KEYS, "ann@example.com", settings=SETTINGS, clock=lambda: SENT)
    # Then the unsubscribe key does not accept it
    with pytest.raises(InvalidInputError):
        email_of_unsubscribe_token(LINK_KEYS, token, clock=lambda: SENT)


def test_a_link_whose_expiry_was_moved_is_refused() -> None:
    # Given a valid link whose expiry someone pushed into the future
    encoded, expires, mac = unsubscribe_token(
        LINK_KEYS, "ann@example.com", settings=SETTINGS, clock=lambda: SENT
    ).split(".")
    forged = f"{encoded}.{int(expires) + 10**8}.{mac}"
    # Then the signature no longer matches
    with pytest.raises(InvalidInputError):
        email_of_unsubscribe_token(LINK_KEYS, forged, clock=lambda: SENT)


@pytest.mark.parametrize("token", ["", "abc", "a.b", "a.b.c", "\ud800.1.x", "YQ.notanumber.x"])
def test_garbage_is_refused_naming_the_token(token: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        email_of_unsubscribe_token(LINK_KEYS, token, clock=lambda: SENT)
    assert refused.value.field == "token"
