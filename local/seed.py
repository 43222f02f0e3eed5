"""Demo data for the local stack: people to sign in as, and (as the features land) sails and tasks."""

from __future__ import annotations

from local.seed_tasks import seed_tasks
from quarterdeck.config import get_settings
from quarterdeck.people import ensure_person
from quarterdeck.store import Store

DEMO_CREW = ("captain@example.com", "crew@example.com", "deckhand@example.com")


def seed_demo_data(store: Store | None = None) -> None:
    store = store or Store()
    for admin in get_settings().admin_emails:
        ensure_person(store, admin, "admin")
    for email in DEMO_CREW:
        ensure_person(store, email, "crew")
    seed_tasks(store)
