"""Who may call a route. The caller is resolved once per request by the route's `allow(...)`
middleware and kept in the resolver's context; public routes never pay for the lookup.

    @router.get("/api/sails", middlewares=[CREW])
    def list_sails() -> ...:
        who = caller(router)

A guest's token reaches only its own sail and guest record: any route whose path names a
`sail_id` or `guest_id` other than the token's is refused here, before the domain runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from api_dependencies import people_repository, signing_keys

from quarterdeck.auth import Caller, authenticate, guarded_role, write_refusal
from quarterdeck.config import get_settings
from quarterdeck.errors import AuthenticationError, ForbiddenError
from quarterdeck.store import Guard, guarded

if TYPE_CHECKING:  # the reads' own table (api_light) serves without Powertools' event handler
    from aws_lambda_powertools.event_handler import Response
    from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

SESSION_COOKIE = "qd_session"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

Middleware = Callable[..., Any]  # (app, next_middleware) -> answer: Powertools' and api_light's tables call it


VIEWER_HEADER = "x-quarterdeck-viewer"  # set by the distribution's viewer-request function


def viewer_address(event: Any) -> str:
    """The address of the person making the request: behind CloudFront API Gateway's source is
    the edge, so the distribution's function passes the viewer's own. Trusted only where the
    origin gate is on (api_gate: every request came through CloudFront, whose function
    overwrites whatever a viewer sent in that header); locally, the connection's address."""
    if get_settings().origin_secret_id:
        forwarded = str((event.headers or {}).get(VIEWER_HEADER) or "").strip()
        if forwarded:
            return forwarded[:64]
    return str(event.request_context.http.source_ip or "")


def _cookie(event: Any, name: str) -> str | None:
    for pair in event.cookies or []:
        key, _, value = pair.partition("=")
        if key.strip() == name:
            return value.strip()
    return None


def _bearer(event: Any) -> str | None:
    header = event.headers.get("authorization") or ""
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _refuse_cross_site(event: Any) -> None:
    """A cookie session only acts on same-origin JSON requests (CSRF)."""
    headers = event.headers
    if event.http_method.upper() in _SAFE_METHODS:
        return
    content_type = (headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise ForbiddenError("Requests that change something must send JSON.", field="content-type")
    fetch_site = (headers.get("sec-fetch-site") or "").lower()
    if fetch_site and fetch_site not in {"same-origin", "none"}:
        raise ForbiddenError("Cross-site requests are refused.")
    origin = headers.get("origin")
    if origin:
        origin_host = urlsplit(origin).netloc.lower()
        allowed = {urlsplit(get_settings().app_url).netloc.lower(), (headers.get("host") or "").lower()}
        if origin_host not in allowed:
            raise ForbiddenError("Cross-site requests are refused.")


def cross_site_refusal(event: Any) -> ForbiddenError | None:
    """The CSRF refusal of a cookie-session write, or None (bearer token, no cookie, a safe
    method, or same-origin JSON). The error handlers ask it too, so a cross-site write is a
    403 even when its body is refused by validation first (which runs before the access check)."""
    if _bearer(event) is not None or _cookie(event, SESSION_COOKIE) is None:
        return None
    try:
        _refuse_cross_site(event)
    except ForbiddenError as refused:
        return refused
    return None


def same_origin_json(app: Any, next_middleware: NextMiddleware) -> Response:
    """Public writes (made before there is a session) take only JSON from this origin, so a page
    elsewhere cannot post a form that signs a browser into someone else's account (login CSRF)."""
    _refuse_cross_site(app.current_event)
    return next_middleware(app)


def resolve_caller(app: Any, *, fresh: bool = False) -> Caller:
    """Read and verify the session (Bearer header first, then the cookie), once per request.

    The caller's person record comes from this container's recent reads, for writes too: a
    write carries the caller's standing as a condition (`write_guard`), so a removal, a
    demotion or a "sign out everywhere" made in another container holds from the next action on
    without a read of its own. Only a write the remembered record would refuse (or, `fresh`, one
    whose remembered role is not enough) reads the record afresh: it may have changed for the
    better meanwhile (re-added, made admin)."""
    cached = app.context.get("caller")
    if cached is not None and not fresh:
        return cached  # type: ignore[no-any-return]
    event = app.current_event
    token = _bearer(event)
    if token is None:
        token = _cookie(event, SESSION_COOKIE)
        if token is not None:
            _refuse_cross_site(event)
    if not token:
        raise AuthenticationError("Please sign in.")
    try:
        who = authenticate(people_repository(), token, signing_keys(), fresh=fresh)
    except AuthenticationError:
        if fresh or not _changes_something(event):
            raise
        who = authenticate(people_repository(), token, signing_keys(), fresh=True)
    app.append_context(caller=who)
    return who


def _changes_something(event: Any) -> bool:
    return str(event.http_method).upper() not in _SAFE_METHODS


def write_guard(who: Caller) -> Guard:
    """What every DynamoDB write of a request by `who` carries: the table refuses it unless their
    person record still lets them act as they were admitted (docs/decisions.md, "A write checks
    its caller inside the write"); the record as it was then says why, in a 401."""
    check = people_repository().caller_check(who.email, jti=who.jti, issued_ms=who.issued_ms, role=guarded_role(who))
    return Guard(check=check, refusal=lambda current: write_refusal(current, who))


def caller(router: Any) -> Caller:
    """The caller resolved by the route's access middleware."""
    who = router.context.get("caller")
    if who is None:  # a route without an access middleware asked for a caller
        raise AuthenticationError("Please sign in.")
    return who  # type: ignore[no-any-return]


def allow(*roles: str, afresh: bool = False) -> Middleware:
    """Middleware admitting only the given roles; guests only on their own sail and record.
    `afresh`: a route whose effect is not a DynamoDB write (a hand-off to another function)
    reads the caller's record afresh, as no guarded write would stop it."""
    allowed = frozenset(roles)

    def check(app: Any, next_middleware: NextMiddleware) -> Response:
        writes = _changes_something(app.current_event)
        who = resolve_caller(app, fresh=afresh and writes)
        if who.role not in allowed and writes:  # made admin meanwhile, elsewhere?
            who = resolve_caller(app, fresh=True)
        if who.role not in allowed:
            raise ForbiddenError("You are not allowed to do this.")
        if who.is_guest:
            params = app.context.get("_route_args") or {}
            if "sail_id" in params and params["sail_id"] != who.sail_id:
                raise ForbiddenError("This link is for another sail.")
            if "guest_id" in params and params["guest_id"] != who.guest_id:
                raise ForbiddenError("This link is for another guest.")
        if not writes:
            return next_middleware(app)
        with guarded(write_guard(who)):  # reset when the request ends, whatever happens
            return next_middleware(app)

    check.__name__ = f"allow_{'_'.join(sorted(allowed))}" + ("_afresh" if afresh else "")
    return check


ADMIN = allow("admin")
ADMIN_AFRESH = allow("admin", afresh=True)  # admin routes whose effect is no DynamoDB write: see allow()
CREW = allow("admin", "crew")  # "C": crew or admin
MEMBER = allow("admin", "crew", "guest")  # "C/G": signed in; guests limited to their own sail
GUEST = allow("admin", "guest")  # "G": the guest's own token or an admin
PUBLIC_WRITE = same_origin_json  # "-" routes that change something: JSON from this origin only
