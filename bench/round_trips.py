"""2. DynamoDB round trips per request, for every route in /api/openapi.json.

Each route is invoked once in this process through ApiFunction's handler with an HTTP API
v2 event, on the seeded stack, with what it needs prepared beforehand (a fresh sail, a
code, a guest token...) outside the count. The count splits the caller lookup (`auth`)
from the route's own calls. A route without a recipe here is still invoked, as an admin
with its path parameters filled from the seeded data, and says so.

The bar is for a warm container that has seen the caller within PERSON_CACHE_SECONDS (a
person opens a page before acting on it): before each counted request the same token asks
GET /api/me, uncounted. What a container's first request for a caller costs on top (one
GetItem of the person, docs/decisions.md) is measured on the sail page and shown as its own row.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from bench.common import Section, info, judged
from bench.context import ADMIN, BENCH_DAYS_AHEAD, CREW, NullMailer, api, future_day
from bench.counting import DynamoCounter, auth_tagged, summary

SAIL_PAGE = ("GET", "/api/sails/{sail_id}")


@dataclass
class Request:
    method: str
    target: str
    who: str | None  # "admin" | "crew" | "guest" | None (public) | a raw token
    body: Any = None
    label: str = ""


class Fixtures:
    """Fresh things a request needs, created through the domain outside the count."""

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self.store = ctx.store()
        self.mailer = NullMailer()
        self.numbers = itertools.count(1)

    def n(self) -> int:
        return next(self.numbers)

    def email(self, prefix: str) -> str:
        return f"{prefix}-{self.n()}@example.com"

    def sail(self) -> str:
        from quarterdeck.repositories.sails import DynamoSailRepository
        from quarterdeck.sails import create_sail

        day = future_day(BENCH_DAYS_AHEAD + 10 + self.n() % 60).isoformat()
        return str(
            create_sail(DynamoSailRepository(self.store), ADMIN, date=day, title="Bench: round trips", crew_slots=2)[
                "id"
            ]
        )

    def booked(self, sail_id: str) -> tuple[str, str]:
        """(guest id, email) of a new, unsigned guest."""
        from quarterdeck import guests
        from quarterdeck.people import ensure_person
        from quarterdeck.repositories.guests import DynamoGuestRepository
        from quarterdeck.repositories.people import DynamoPeopleRepository

        email = self.email("rt-guest")
        answer = guests.add_guest(
            DynamoGuestRepository(self.store), self.mailer, ADMIN, sail_id, name="Bench Guest", email=email
        )
        ensure_person(DynamoPeopleRepository(self.store), email, "guest")
        return str(answer["guest"]["id"]), email

    def guest_on(self, sail_id: str) -> tuple[str, str]:
        """(guest id, guest token) of a new, unsigned guest."""
        guest_id, email = self.booked(sail_id)
        return guest_id, self.ctx.token(email, "guest", sail_id=sail_id, guest_id=guest_id)

    def claimed(self, sail_id: str, slot: str, email: str = CREW) -> None:
        from quarterdeck import crew
        from quarterdeck.auth import Caller
        from quarterdeck.repositories.people import DynamoPeopleRepository
        from quarterdeck.repositories.sails import DynamoSailRepository

        crew.claim_role(
            DynamoSailRepository(self.store),
            self.mailer,
            Caller(email=email, role="crew", jti="bench", expires=0),
            sail_id,
            slot,
            people=DynamoPeopleRepository(self.store),
        )

    def signed_guest_on(self, sail_id: str) -> tuple[str, str]:
        """(guest id, guest token) of a new guest who has signed the waiver."""
        from quarterdeck import waivers
        from quarterdeck.auth import Caller
        from quarterdeck.documents import default_document_store
        from quarterdeck.repositories.guests import DynamoGuestRepository

        guest_id, email = self.booked(sail_id)
        guest = Caller(email=email, role="guest", jti="bench", expires=0, sail_id=sail_id, guest_id=guest_id)
        waivers.sign_waiver(
            DynamoGuestRepository(self.store),
            self.mailer,
            default_document_store(),
            guest,
            sail_id,
            guest_id,
            full_name="Bench Guest",
            accept=True,
        )
        return guest_id, self.ctx.token(email, "guest", sail_id=sail_id, guest_id=guest_id)

    def member(self, prefix: str) -> str:
        """The email of a new crew member on the roster, theirs alone to change or remove."""
        from quarterdeck.people import ensure_person
        from quarterdeck.repositories.people import DynamoPeopleRepository

        email = self.email(prefix)
        ensure_person(DynamoPeopleRepository(self.store), email, "crew")
        return email

    def portfolio(self) -> tuple[int, dict[str, Any]]:
        """(current version, its document) of the business data, with a fresh edit saved, so the
        current version is past the imported file (version 1) and unlike every other."""
        from quarterdeck.reports.portfolio_versions import current_portfolio, save_portfolio
        from quarterdeck.repositories.portfolio import DynamoPortfolioRepository

        versions = DynamoPortfolioRepository(self.store)
        now = current_portfolio(versions)
        saved = save_portfolio(versions, ADMIN, version=now["version"], document=self.edited(now["document"]))
        return int(saved["version"]), dict(saved["document"])

    def edited(self, document: dict[str, Any]) -> dict[str, Any]:
        """The document with its note changed, as an owner's small edit."""
        meta = {**document.get("meta", {}), "note": f"Example data for Quarterdeck's reports (bench edit {self.n()})."}
        return {**document, "meta": meta}

    def task(self) -> str:
        from quarterdeck.repositories.tasks import DynamoTaskRepository
        from quarterdeck.tasks import create_task

        return str(create_task(DynamoTaskRepository(self.store), ADMIN, title=f"Bench task {self.n()}")["id"])


Recipe = Callable[[Fixtures], Request]


def _login_link(fx: Fixtures) -> Request:
    from quarterdeck.people import ensure_person
    from quarterdeck.repositories.people import DynamoPeopleRepository

    email = fx.email("rt-login")
    ensure_person(DynamoPeopleRepository(fx.store), email, "crew")
    return Request("POST", "/api/auth/login-link", None, {"email": email})


def _someone_leaving(fx: Fixtures, path: str) -> Request:
    """A crew member of their own, so ending their sessions ends none a later recipe uses."""
    from quarterdeck.people import ensure_person
    from quarterdeck.repositories.people import DynamoPeopleRepository

    email = fx.email("rt-leaving")
    ensure_person(DynamoPeopleRepository(fx.store), email, "crew")
    return Request("POST", path, fx.ctx.token(email, "crew"), {})


def _magic(fx: Fixtures) -> Request:
    from quarterdeck.magic_codes import Purpose
    from quarterdeck.repositories.sign_in import DynamoSignInRepository

    code = DynamoSignInRepository(fx.store).issue_code(CREW, Purpose.login(), timedelta(minutes=15))
    return Request("POST", "/api/auth/magic", None, {"code": code})


def _feed(fx: Fixtures) -> Request:
    from quarterdeck.calendar_feed import issue_calendar_token
    from quarterdeck.repositories.people import DynamoPeopleRepository

    url = str(issue_calendar_token(DynamoPeopleRepository(fx.store), CREW)["url"])
    return Request("GET", "/api/calendar/" + url.rsplit("/", 1)[1], None)


def _unsubscribe(fx: Fixtures) -> Request:
    from quarterdeck.unsubscribe import unsubscribe_token

    return Request(
        "POST", "/api/nudges/unsubscribe", None, {"token": unsubscribe_token(fx.ctx.unsubscribe_keys(), CREW)}
    )


def _release(fx: Fixtures) -> Request:
    sail = fx.sail()
    fx.claimed(sail, "crew-1")
    return Request("POST", f"/api/sails/{sail}/roles/crew-1/release", "crew")


def _sign(fx: Fixtures) -> Request:
    sail = fx.sail()
    guest_id, token = fx.guest_on(sail)
    body = {"full_name": "Bench Guest", "accept": True}
    return Request("POST", f"/api/sails/{sail}/guests/{guest_id}/waiver", token, body)


def _move_task(fx: Fixtures) -> Request:
    return Request("PATCH", f"/api/tasks/{fx.task()}", "admin", {"version": 1, "status": "in_review"})


def _send_report(fx: Fixtures) -> Request:
    """The CFO report for a period of its own, so it is a first send (not 'already sent').
    The route hands the send to ReportFunction; its calls are not the route's (HeldReportSends)."""
    body = {"period": f"{2050 + fx.n() // 50}-W{fx.n() % 50 + 1:02d}"}
    return Request("POST", "/api/reports/cfo/send", "admin", body, label="POST /api/reports/cfo/send")


def _month(fx: Fixtures) -> Request:
    day = future_day(BENCH_DAYS_AHEAD)
    first = day.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return Request("GET", f"/api/sails?from={first}&to={last}", "crew", label="GET /api/sails?from=&to= (one month)")


def _person_path(email: str) -> str:
    """A roster member's path, the address encoded as the people page sends it."""
    return "/api/people/" + quote(email, safe="")


def _remove_crew_member(fx: Fixtures) -> Request:
    """Someone who holds a slot on an upcoming sail: removing them opens it again."""
    email = fx.member("rt-removed")
    fx.claimed(fx.sail(), "crew-1", email)
    return Request(
        "DELETE", _person_path(email), "admin", label="DELETE /api/people/{email} (a slot on an upcoming sail)"
    )


def _save_portfolio(fx: Fixtures) -> Request:
    version, document = fx.portfolio()
    return Request("PUT", "/api/portfolio", "admin", {"version": version, "document": fx.edited(document)})


def _upload_portfolio(fx: Fixtures) -> Request:
    from quarterdeck.reports.portfolio_versions import to_toml

    version, document = fx.portfolio()
    return Request("PUT", "/api/portfolio/file", "admin", {"version": version, "text": to_toml(fx.edited(document))})


def _portfolio_version(fx: Fixtures) -> Request:
    """Version 1 (the imported file), compared with the current version."""
    fx.portfolio()
    return Request("GET", "/api/portfolio/versions/1", "admin", label="GET /api/portfolio/versions/{n} (an old one)")


def _restore_portfolio(fx: Fixtures) -> Request:
    """Version 1 (the imported file) restored over a later edit."""
    version, _ = fx.portfolio()
    return Request("POST", "/api/portfolio/versions/1/restore", "admin", {"version": version})


def _fresh_guest_link(fx: Fixtures) -> Request:
    """A booked guest asks for a fresh link (public: no session, answered alike for anyone)."""
    sail = fx.sail()
    _, email = fx.booked(sail)
    return Request("POST", f"/api/sails/{sail}/guest-link", None, {"email": email})


def _rename_guest(fx: Fixtures) -> Request:
    sail = fx.sail()
    guest_id, _ = fx.booked(sail)
    return Request("PATCH", f"/api/sails/{sail}/guests/{guest_id}", "admin", {"name": "Bench Guest Renamed"})


def _resend(fx: Fixtures) -> Request:
    """An unsigned guest of its own: the seeded one may have signed or been removed by then."""
    sail = fx.sail()
    guest_id, _ = fx.booked(sail)
    return Request("POST", f"/api/sails/{sail}/guests/{guest_id}/resend", "admin")


def _signed_copy(fx: Fixtures) -> Request:
    """The signed copy of a text shipped with the app (one published in the app costs one read more)."""
    sail = fx.sail()
    guest_id, token = fx.signed_guest_on(sail)
    return Request("GET", f"/api/sails/{sail}/guests/{guest_id}/waiver.txt", token)


def _publish_waiver(fx: Fixtures) -> Request:
    """The current text with a sentence added, based on the version the admin previewed."""
    from quarterdeck.repositories.guests import DynamoGuestRepository
    from quarterdeck.waiver_text import load_waiver

    current = load_waiver(texts=DynamoGuestRepository(fx.store))
    text = current.text.rstrip("\n") + f"\n\nBench amendment {fx.n()}: life jackets stay on below decks too.\n"
    return Request("POST", "/api/waiver", "admin", {"text": text, "based_on": current.version})


def recipes(fx: Fixtures) -> dict[tuple[str, str], list[Recipe]]:
    s = fx.ctx.seeded
    page = s.page_sail
    sails = "/api/sails/{sail_id}"
    return {
        ("GET", "/api/health"): [lambda fx: Request("GET", "/api/health", None)],
        ("POST", "/api/auth/login-link"): [_login_link],
        ("POST", "/api/auth/magic"): [_magic],
        ("POST", "/api/auth/logout"): [lambda fx: Request("POST", "/api/auth/logout", fx.ctx.token(CREW, "crew"))],
        ("POST", "/api/me/sign-out-everywhere"): [lambda fx: _someone_leaving(fx, "/api/me/sign-out-everywhere")],
        ("GET", "/api/me"): [lambda fx: Request("GET", "/api/me", "crew")],
        ("GET", "/api/sails"): [
            lambda fx: Request("GET", "/api/sails", "crew", label="GET /api/sails (default: 180 days)"),
            _month,
        ],
        ("POST", "/api/sails"): [
            lambda fx: Request(
                "POST", "/api/sails", "admin", {"date": str(future_day(BENCH_DAYS_AHEAD + 5)), "title": "Bench new"}
            )
        ],
        ("GET", "/api/sun"): [lambda fx: Request("GET", f"/api/sun?date={future_day(3)}", "crew")],
        ("GET", sails): [lambda fx: Request("GET", f"/api/sails/{page}", "crew")],
        ("PATCH", sails): [lambda fx: Request("PATCH", f"/api/sails/{fx.sail()}", "admin", {"title": "Renamed"})],
        ("POST", sails + "/cancel"): [
            lambda fx: Request("POST", f"/api/sails/{fx.sail()}/cancel", "admin", {"reason": "Weather"})
        ],
        ("POST", sails + "/checklists/{checklist}/items/{n}"): [
            lambda fx: Request("POST", f"/api/sails/{fx.sail()}/checklists/departure/items/2", "crew", {"done": True})
        ],
        ("PATCH", sails + "/checklists/{checklist}/items/{n}"): [
            lambda fx: Request("PATCH", f"/api/sails/{fx.sail()}/checklists/departure/items/3", "admin", {"label": "X"})
        ],
        ("DELETE", sails + "/checklists/{checklist}/items/{n}"): [
            lambda fx: Request("DELETE", f"/api/sails/{fx.sail()}/checklists/departure/items/3", "admin")
        ],
        ("POST", sails + "/checklists/{checklist}/items"): [
            lambda fx: Request("POST", f"/api/sails/{fx.sail()}/checklists/return/items", "admin", {"label": "Y"})
        ],
        ("POST", sails + "/roles/{slot}/invite"): [
            lambda fx: Request(
                "POST", f"/api/sails/{fx.sail()}/roles/crew-1/invite", "admin", {"email": fx.email("rt-invite")}
            )
        ],
        ("POST", sails + "/roles/{slot}/claim"): [
            lambda fx: Request("POST", f"/api/sails/{fx.sail()}/roles/crew-1/claim", "crew")
        ],
        ("POST", sails + "/roles/{slot}/release"): [_release],
        ("POST", sails + "/roles/{slot}/designate"): [
            lambda fx: Request("POST", f"/api/sails/{fx.sail()}/roles/crew-1/designate", "admin", {"email": CREW})
        ],
        ("GET", sails + "/guests"): [lambda fx: Request("GET", f"/api/sails/{page}/guests", "crew")],
        ("POST", sails + "/guests"): [
            lambda fx: Request(
                "POST", f"/api/sails/{fx.sail()}/guests", "admin", {"name": "Bench", "email": fx.email("rt-add")}
            )
        ],
        ("POST", sails + "/guests/{guest_id}/resend"): [_resend],
        ("PATCH", sails + "/guests/{guest_id}"): [_rename_guest],
        ("GET", sails + "/guests/{guest_id}/waiver.txt"): [_signed_copy],
        ("POST", sails + "/guest-link"): [_fresh_guest_link],
        ("GET", sails + "/guests/{guest_id}"): [
            lambda fx: Request("GET", f"/api/sails/{page}/guests/{s.guest_id}", "guest")
        ],
        ("POST", sails + "/guests/{guest_id}/waiver"): [_sign],
        ("GET", "/api/waiver"): [lambda fx: Request("GET", "/api/waiver", "guest")],
        ("POST", "/api/waiver"): [_publish_waiver],
        ("POST", "/api/people"): [
            lambda fx: Request(
                "POST", "/api/people", "admin", {"email": fx.email("rt-roster"), "role": "crew", "name": "Bench New"}
            )
        ],
        ("PATCH", "/api/people/{email}"): [
            lambda fx: Request("PATCH", _person_path(fx.member("rt-renamed")), "admin", {"name": "Bench Renamed"})
        ],
        ("DELETE", "/api/people/{email}"): [
            lambda fx: Request(
                "DELETE",
                _person_path(fx.member("rt-removed")),
                "admin",
                label="DELETE /api/people/{email} (no upcoming slot)",
            ),
            _remove_crew_member,
        ],
        ("PUT", "/api/portfolio"): [_save_portfolio],
        ("PUT", "/api/portfolio/file"): [_upload_portfolio],
        ("GET", "/api/portfolio/versions/{n}"): [_portfolio_version],
        ("POST", "/api/portfolio/versions/{n}/restore"): [_restore_portfolio],
        ("GET", "/api/calendar/token"): [lambda fx: Request("GET", "/api/calendar/token", "crew")],
        ("POST", "/api/calendar/token"): [lambda fx: Request("POST", "/api/calendar/token", "crew")],
        ("DELETE", "/api/calendar/token"): [lambda fx: Request("DELETE", "/api/calendar/token", "crew")],
        ("GET", "/api/calendar/{feed}"): [_feed],
        ("GET", "/api/tasks"): [
            lambda fx: Request("GET", "/api/tasks", "admin", label="GET /api/tasks (the board: three columns)"),
            lambda fx: Request("GET", "/api/tasks?status=pending", "admin", label="GET /api/tasks?status= (a column)"),
        ],
        ("POST", "/api/tasks"): [lambda fx: Request("POST", "/api/tasks", "admin", {"title": "Bench RT task"})],
        ("GET", "/api/tasks/{task_id}"): [lambda fx: Request("GET", f"/api/tasks/{s.task_ids[0]}", "admin")],
        ("PATCH", "/api/tasks/{task_id}"): [_move_task],
        ("POST", "/api/nudges/unsubscribe"): [_unsubscribe],
        ("GET", "/api/reports"): [lambda fx: Request("GET", "/api/reports", "admin")],
        ("POST", "/api/reports/{kind}/preview"): [
            lambda fx: Request("POST", "/api/reports/cfo/preview", "admin", {}, label="POST /api/reports/cfo/preview")
        ],
        ("POST", "/api/reports/{kind}/send"): [_send_report],
        ("GET", "/api/reports/archive"): [
            lambda fx: Request(
                "GET", "/api/reports/archive?kind=cfo", "admin", label="GET /api/reports/archive (a year)"
            )
        ],
        ("GET", "/api/reports/archive/{archive_id}"): [_archived_report],
    }


def _archived_report(fx: Fixtures) -> Request:
    """A report archived with two recipients: the report and every delivery, two round trips."""
    from quarterdeck.mail import OutgoingEmail
    from quarterdeck.reports.archive import archive_sent_report
    from quarterdeck.reports.periods import parse_period
    from quarterdeck.repositories.report_archive import DynamoReportArchiveRepository

    email = OutgoingEmail(to=("owner@example.com",), subject="Bench archive", text="t", html="<p>h</p>")
    archive_id = archive_sent_report(
        DynamoReportArchiveRepository(fx.store),
        kind="cfo",
        title="CFO report",
        period=parse_period("2030-W01"),
        email=email,
        sends=[("owner@example.com", f"bench-{fx.n()}"), ("cfo@example.com", f"bench-{fx.n()}")],
    )
    return Request(
        "GET",
        f"/api/reports/archive/{archive_id}",
        "admin",
        label="GET /api/reports/archive/{archive_id} (2 recipients)",
    )


class HeldReportSends:
    """Send-now's hand-off while requests are counted: in AWS the send runs in ReportFunction,
    another function; here it would run in this process on a thread and land in the next
    request's count. So it is held, and run after the count (`run_held`)."""

    def __init__(self) -> None:
        self.held: list[dict[str, Any]] = []

    def submit(self, request: Any) -> None:
        self.held.append(request.as_event())

    def run_held(self) -> str:
        """Run what was handed over through ReportFunction's handler; what it did, in words."""
        from report_handler import handler

        from local.report_queue import ReportFunctionContext

        done = []
        for event in self.held:
            try:
                counts = handler(event, ReportFunctionContext())["counts"]
                done.append(", ".join(f"{n} {status}" for status, n in counts.items() if n) or "nothing")
            except Exception as error:  # shown in the row's note
                done.append(f"{type(error).__name__}: {error}")
        self.held = []
        return "; ".join(done)


class HeldLoginLinks:
    """Login links while requests are counted: in AWS the API invokes itself asynchronously to
    mail one; here a thread of this process would, and its reads would land in the next request's
    count. So they are held, and mailed after the count (`run_held`) as the local stack does."""

    def __init__(self) -> None:
        self.held: list[str] = []

    def submit(self, email: str) -> None:
        self.held.append(email)

    def run_held(self) -> str:
        from local.login_link_mail import InProcessLoginLinkMail

        mail = InProcessLoginLinkMail()
        for email in self.held:
            mail.submit(email)
        done = mail.wait_idle()
        count, self.held = len(self.held), []
        return f"{count} link(s) mailed" if done else f"{count} link(s) still being mailed after 30 s"


def generic(fx: Fixtures, method: str, path: str) -> Request:
    """A route this file does not know yet: admin, path parameters from the seeded data, `{}` body."""
    s = fx.ctx.seeded
    values = {
        "sail_id": s.page_sail,
        "slot": "crew-2",
        "guest_id": s.guest_id,
        "task_id": s.task_ids[0] if s.task_ids else "x",
        "checklist": "departure",
        "list": "departure",
        "n": "1",
        "kind": "cfo",
    }
    target = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "x"), path)
    return Request(method, target, "admin", None if method in ("GET", "DELETE") else {}, label=f"{method} {path}")


def routes_of_openapi() -> list[tuple[str, str]]:
    status, document = api("GET", "/api/openapi.json")
    if status != 200 or not isinstance(document, dict):
        raise RuntimeError(f"GET /api/openapi.json answered {status}")
    found = []
    for path, operations in document.get("paths", {}).items():
        for method in operations:
            if method.upper() in ("GET", "POST", "PATCH", "PUT", "DELETE"):
                found.append((method.upper(), path))
    return sorted(found, key=lambda r: (r[1], r[0]))


def run(ctx: Any) -> Section:
    section = Section("2. DynamoDB round trips per request (auth + route)")
    fx = Fixtures(ctx)
    known = recipes(fx)
    # A warm container has read the suppression list within its cache time (quarterdeck.mail),
    # as it has seen the caller: the routes that mail are counted without that Query.
    from api_dependencies import mailer

    mailer().suppression_list().suppressions_of([])  # type: ignore[attr-defined]
    # and who the admins are (quarterdeck.people.recent_admins: the claim and release notices),
    # read again before each request below, as a roster change (a recipe) forgets them
    from api_dependencies import people_repository

    from quarterdeck.config import get_settings
    from quarterdeck.people import recent_admins

    counter = DynamoCounter().install()
    rows: list[dict[str, Any]] = []
    scans = 0
    from api_dependencies import install_login_link_mail, install_report_queue

    report_sends, login_links = HeldReportSends(), HeldLoginLinks()
    install_report_queue(report_sends)
    install_login_link_mail(login_links)
    try:
        for method, path in routes_of_openapi():
            fallback: Recipe = functools.partial(generic, method=method, path=path)
            for recipe in known.get((method, path)) or [fallback]:
                request = recipe(fx)
                label = request.label or f"{method} {path}"
                token = ctx.seeded.tokens.get(request.who or "", request.who) if request.who else None
                if token:
                    api("GET", "/api/me", token)  # the caller seen lately, as when a page was opened
                recent_admins.get(people_repository(), get_settings(), max_age=get_settings().person_cache_seconds)
                with auth_tagged(counter), counter.counting() as calls:
                    status, answer = api(request.method, request.target, token, request.body)
                counted = summary(calls)
                scans += counted["scans"]
                row = {**counted, "request": label, "status": status, "generic": (method, path) not in known}
                rows.append(row)
                bar_max = 1 if (method, path) == SAIL_PAGE and not request.label else 2
                auth_ops = [op.split(":", 1)[1] for op in counted["operations"] if op.startswith("auth:")]
                route_ops = [op.split(":", 1)[1] for op in counted["operations"] if not op.startswith("auth:")]
                measured = (
                    f"{counted['total']} = auth {counted['auth']} ({'+'.join(auth_ops) or '-'})"
                    f" + route {counted['route']} ({'+'.join(route_ops) or '-'})"
                )
                note = f"answered {status}"
                if report_sends.held:  # after the count: ReportFunction's calls are not the route's
                    note += f"; the send itself runs in ReportFunction (not counted here): {report_sends.run_held()}"
                if login_links.held:  # after the count: the mail is another invocation's work
                    mailed = login_links.run_held()
                    note += f"; the link is mailed by the API's asynchronous self-invocation (not counted): {mailed}"
                if row["generic"]:
                    note += "; no recipe in bench/round_trips.py yet: generic admin request"
                ok: bool | None = counted["total"] <= bar_max
                if status >= 400:
                    ok = None  # a refused request proves nothing about the route's round trips
                    error = answer.get("error", {}) if isinstance(answer, dict) else {}
                    note += f" ({error.get('code', '')}: {error.get('message', '')})"
                    measured = f"not measured: {measured}"
                section.add(judged(label, counted["total"], measured, f"≤ {bar_max}", ok, note))
        section.add(_first_request_of_a_caller(ctx, fx, counter))
    finally:
        counter.uninstall()
        install_report_queue(getattr(ctx.stack, "reports", None))
        from local.stack import install_login_link_hand_off

        install_login_link_hand_off()  # the stack's own hand-off again, for the stages after this one
    section.add(judged("Scans on any route", scans, str(scans), "0", scans == 0))
    section.data["routes"] = rows
    return section


def _first_request_of_a_caller(ctx: Any, fx: Fixtures, counter: DynamoCounter) -> Any:
    """The sail page in a container that has not seen its caller within the window."""
    from quarterdeck.people import recent_people

    target = f"/api/sails/{fx.sail()}"
    recent_people.forget(CREW)
    with auth_tagged(counter), counter.counting() as calls:
        status, _ = api("GET", target, ctx.seeded.tokens["crew"])
    counted = summary(calls)
    return info(
        "GET /api/sails/{sail_id}, the caller not seen in this container lately",
        f"{counted['total']} = auth {counted['auth']} + route {counted['route']}",
        f"answered {status}; a container reads a caller's person record once per PERSON_CACHE_SECONDS",
        counted["total"],
    )
