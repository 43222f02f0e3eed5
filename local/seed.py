"""Demo data for the local stack: people to sign in as, and (as the features land) sails and tasks."""

from __future__ import annotations

from datetime import timedelta

from local.seed_report_sources import seed_report_sources
from local.seed_reports import seed_portfolio
from local.seed_tasks import seed_tasks
from quarterdeck import keys
from quarterdeck.clock import iso, system_clock
from quarterdeck.config import get_settings
from quarterdeck.mail import OutgoingEmail
from quarterdeck.people import ensure_person
from quarterdeck.repositories.people import DynamoPeopleRepository
from quarterdeck.repositories.tasks import DynamoTaskRepository
from quarterdeck.store import Store, Write

DEMO_CREW = ("captain@example.com", "crew@example.com", "deckhand@example.com")


def seed_demo_data(store: Store | None = None) -> None:
    store = store or Store()
    people = DynamoPeopleRepository(store)
    for admin in get_settings().admin_emails:
        ensure_person(people, admin, "admin")
    for email in DEMO_CREW:
        ensure_person(people, email, "crew")
    seed_tasks(DynamoTaskRepository(store))
    seed_sails(store)
    seed_portfolio()
    seed_report_sources()


# --- sails: a few upcoming evenings, some roles taken, a tick or two, one cancelled ---------
DEMO_SAILS: tuple[tuple[int, str, int, dict[str, str], int, bool], ...] = (
    # (days from today, title, crew slots, {slot: holder}, departure items ticked, cancelled)
    (2, "Sunset sail", 2, {"captain": "captain@example.com", "crew-1": "deckhand@example.com"}, 2, False),
    (6, "Harbor lights cruise", 3, {"captain": "captain@example.com"}, 0, False),
    (9, "Anniversary charter", 1, {}, 0, True),
    (13, "Full-moon sail", 2, {"crew-2": "deckhand@example.com"}, 0, False),
)


class _Quiet:
    """Seeding tells nobody: no mail for the demo cancellation."""

    def send(self, email: OutgoingEmail) -> str:
        return "seed"


def seed_sails(store: Store) -> None:
    """Demo sails relative to today (skipped if they are already there)."""
    from quarterdeck.repositories.sails import DynamoSailRepository
    from quarterdeck.sails import cancel_sail, create_sail, list_sails
    from quarterdeck.sun import local_today

    settings = get_settings()
    admin = settings.admin_emails[0]
    sails = DynamoSailRepository(store)
    today = local_today(system_clock(), settings)
    existing = {s["title"] for s in list_sails(sails, today, today + timedelta(days=30), settings=settings)}
    for days, title, slots, holders, ticked, cancelled in DEMO_SAILS:
        if title in existing:
            continue
        sail = create_sail(sails, admin, date=(today + timedelta(days=days)).isoformat(), title=title, crew_slots=slots)
        now = iso(system_clock())
        writes: list[Write] = []
        for slot, email in holders.items():
            pk, sk = keys.role(sail["id"], slot)
            writes.append(
                Write(
                    "Update",
                    key={"pk": pk, "sk": sk},
                    update="SET #state = :state, holder = :holder, claimed_at = :now",
                    names={"#state": "state"},
                    values={":state": "claimed", ":holder": email, ":now": now},
                )
            )
            marker_pk, marker_sk = keys.role_holder(sail["id"], email)
            writes.append(
                Write(
                    "Put",
                    item={
                        "pk": marker_pk,
                        "sk": marker_sk,
                        "type": "holder",
                        "slot": slot,
                        "email": email,
                        "since": now,
                    },
                )
            )
        for n in range(1, ticked + 1):
            pk, sk = keys.checklist_item(sail["id"], "departure", n)
            writes.append(
                Write(
                    "Update",
                    key={"pk": pk, "sk": sk},
                    update="SET done = :true, done_by = :who, done_at = :now",
                    values={":true": True, ":who": "captain@example.com", ":now": now},
                )
            )
        if holders:  # the sail's record names its holders, as a claim does (the calendar feed)
            meta_pk, meta_sk = keys.sail(sail["id"])
            tags = {keys.holder_tag(email, slot) for slot, email in holders.items()}
            writes.append(
                Write("Update", key={"pk": meta_pk, "sk": meta_sk}, update="ADD holders :h", values={":h": tags})
            )
        if writes:
            store.transact(writes)
        if cancelled:
            cancel_sail(sails, admin, sail["id"], reason="Small-craft advisory for the bay.", mailer=_Quiet())
