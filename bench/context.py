"""The bench's own local stack (moto + resources from template.yaml) and the data it seeds.

Everything is created through the domain functions, as the app would create it; emails sent
while seeding go to a null mailer so SES pacing does not slow the seeding down.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from local.environment import ROOT

ADMIN = "admin@example.com"
CREW = "crew@example.com"
CAPTAIN = "captain@example.com"
BENCH_DAYS_AHEAD = 30  # seeded sails are beyond the nudges' 7-day look-ahead


class NullMailer:
    """A MailSender that sends nothing (seeding, and the parts of a stage not being measured)."""

    def __init__(self) -> None:
        self.sent: list[Any] = []
        self._ids = itertools.count(1)

    def send(self, email: Any) -> str:
        self.sent.append(email)
        return f"null-{next(self._ids)}"


@dataclass
class Seeded:
    """Ids of what was seeded, for building requests."""

    page_sail: str = ""
    claim_sail: str = ""
    spare_sails: list[str] = field(default_factory=list)
    guest_id: str = ""
    guest_email: str = ""
    task_ids: list[str] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


@dataclass
class Context:
    stack: Any
    moto_url: str
    app_url: str
    seeded: Seeded
    args: Any
    root = ROOT

    def store(self) -> Any:
        from quarterdeck.store import Store

        return Store()

    def unsubscribe_keys(self) -> Any:
        from quarterdeck.unsubscribe import load_unsubscribe_keys

        return load_unsubscribe_keys()

    def signing_keys(self) -> Any:
        from quarterdeck.auth import load_signing_keys

        return load_signing_keys()

    def token(self, email: str, role: str, *, sail_id: str | None = None, guest_id: str | None = None) -> str:
        from quarterdeck.auth import issue_token

        token, _ = issue_token(self.signing_keys(), email, role, sail_id=sail_id, guest_id=guest_id)
        return str(token)


_SEND_RATE = [1.0]


def set_send_rate(rate: float) -> None:
    """Make moto's SES answer GetSendQuota with this MaxSendRate (moto runs in this process and
    always answers 1), and forget the cached sender, whose pacer read the old rate."""
    from moto.ses.models import SESBackend

    from quarterdeck.mail import default_mail_sender

    if not getattr(SESBackend.get_send_quota, "_bench", False):
        original = SESBackend.get_send_quota

        def get_send_quota(self: Any) -> Any:
            quota = original(self)
            setattr(quota, "max_send_rate", _SEND_RATE[0])  # noqa: B010 - moto types it int
            return quota

        get_send_quota._bench = True  # type: ignore[attr-defined]
        SESBackend.get_send_quota = get_send_quota  # type: ignore[method-assign]
    _SEND_RATE[0] = rate
    default_mail_sender.cache_clear()


def future_day(days: int) -> date:
    return (datetime.now(UTC) + timedelta(days=days)).date()


def start(args: Any) -> Context:
    """Start moto and the resources, seed people, sails, guests and tasks; return the context."""
    import warnings

    from local.stack import start_stack

    warnings.filterwarnings("ignore", message="No application metrics to publish")
    stack = start_stack(seed=True)
    ctx = Context(stack=stack, moto_url=stack.moto_url, app_url=stack.url, seeded=Seeded(), args=args)
    set_send_rate(10_000)  # seeding and round trips are not about pacing (bench.pacing is)
    seed(ctx)
    return ctx


def seed(ctx: Context) -> None:
    from quarterdeck import crew, sails, tasks
    from quarterdeck.auth import Caller
    from quarterdeck.people import ensure_person
    from quarterdeck.repositories.people import DynamoPeopleRepository
    from quarterdeck.repositories.sails import DynamoSailRepository

    store = ctx.store()
    people = DynamoPeopleRepository(store)
    mailer = NullMailer()
    seeded = ctx.seeded
    for email, role in ((ADMIN, "admin"), (CREW, "crew"), (CAPTAIN, "crew")):
        ensure_person(people, email, role)

    def new_sail(days: int, title: str, crew_slots: int = 2) -> str:
        created = sails.create_sail(
            DynamoSailRepository(store), ADMIN, date=future_day(days).isoformat(), title=title, crew_slots=crew_slots
        )
        return str(created["id"])

    seeded.page_sail = new_sail(BENCH_DAYS_AHEAD, "Bench: the sail page", crew_slots=3)
    seeded.claim_sail = new_sail(BENCH_DAYS_AHEAD + 1, "Bench: claims", crew_slots=3)
    seeded.spare_sails = [new_sail(BENCH_DAYS_AHEAD + 2 + n, f"Bench: spare {n}") for n in range(3)]

    # The sail page shows a realistic sail: a captain, a claimed crew slot, guests, a ticked item.
    captain = Caller(email=CAPTAIN, role="crew", jti="seed", expires=0)
    crew_member = Caller(email=CREW, role="crew", jti="seed", expires=0)
    crew.claim_role(DynamoSailRepository(store), mailer, captain, seeded.page_sail, "captain", people=people)
    crew.claim_role(DynamoSailRepository(store), mailer, crew_member, seeded.page_sail, "crew-1", people=people)
    try:
        from quarterdeck import guests
        from quarterdeck.repositories.guests import DynamoGuestRepository

        for n in range(4):
            answer = guests.add_guest(
                DynamoGuestRepository(store),
                mailer,
                ADMIN,
                seeded.page_sail,
                name=f"Bench Guest {n}",
                email=f"guest{n}@example.com",
            )
            if n == 0:
                seeded.guest_id = str(answer["guest"]["id"])
                seeded.guest_email = str(answer["guest"]["email"])
        ensure_person(people, seeded.guest_email, "guest")
    except Exception as error:  # the guests area is still landing: say so, measure the rest
        seeded.problems.append(f"guests not seeded: {type(error).__name__}: {error}")
    from quarterdeck import checklists
    from quarterdeck.repositories.checklists import DynamoChecklistRepository

    checklists.set_item_done(DynamoChecklistRepository(store), CAPTAIN, seeded.page_sail, "departure", "1", True)

    from quarterdeck.repositories.tasks import DynamoTaskRepository

    board = DynamoTaskRepository(store)
    for n in range(12):
        task = tasks.create_task(board, ADMIN, title=f"Bench task {n}", entity="Queen of San Diego", owner="CTO")
        seeded.task_ids.append(str(task["id"]))
    for task_id in seeded.task_ids[:4]:
        tasks.update_task(board, ADMIN, task_id, version=1, changes={"status": "in_review"})
    for task_id in seeded.task_ids[4:6]:
        tasks.update_task(board, ADMIN, task_id, version=1, changes={"status": "completed"})

    seeded.tokens = {"admin": ctx.token(ADMIN, "admin"), "crew": ctx.token(CREW, "crew")}
    if seeded.guest_id:
        seeded.tokens["guest"] = ctx.token(
            seeded.guest_email, "guest", sail_id=seeded.page_sail, guest_id=seeded.guest_id
        )


def api(method: str, target: str, token: str | None = None, body: Any = None) -> tuple[int, Any]:
    """Invoke ApiFunction's handler in this process with an HTTP API v2 event, as `make dev` does."""
    import json

    from api_handler import handler

    from local.server import LambdaContext, http_api_event

    headers = {"host": "127.0.0.1:3000", "accept": "application/json", "user-agent": "bench"}
    raw = b""
    if body is not None:
        headers["content-type"] = "application/json"
        raw = json.dumps(body).encode()
    if token:
        headers["authorization"] = f"Bearer {token}"
    result = handler(http_api_event(method, target, headers, raw, "127.0.0.1"), LambdaContext())
    text = result.get("body") or ""
    try:
        answer = json.loads(text) if text else None
    except ValueError:
        answer = text
    return int(result.get("statusCode", 200)), answer
