"""The adapters the routes use, created on first use and cached for the life of the container."""

from __future__ import annotations

from functools import lru_cache

from quarterdeck.auth import SigningKeys, load_signing_keys
from quarterdeck.mail import MailSender, default_mail_sender
from quarterdeck.store import Store


@lru_cache(maxsize=1)
def store() -> Store:
    return Store()


def mailer() -> MailSender:
    return default_mail_sender()


def signing_keys() -> SigningKeys:
    return load_signing_keys()  # kept for five minutes per container


def reset() -> None:
    """Forget cached adapters (tests that change settings)."""
    store.cache_clear()
    default_mail_sender.cache_clear()
