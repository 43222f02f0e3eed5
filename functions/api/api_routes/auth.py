"""Sign-in with magic links and sign-out. (Who am I is in api_reads.)"""

from __future__ import annotations

from typing import Annotated, Any

from api_access import MEMBER, PUBLIC_WRITE, SESSION_COOKIE, caller, viewer_address
from api_dependencies import login_link_mail, people_repository, sign_in_repository, signing_keys
from api_responses import json_response
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.shared.cookies import Cookie, SameSite
from pydantic import BaseModel, Field, SecretStr

from quarterdeck.config import get_settings
from quarterdeck.sessions import end_session, redeem_code, request_login_link

router = APIGatewayHttpRouter()


class LoginLinkRequest(BaseModel):
    email: str = Field(max_length=254)


class MagicCodeRequest(BaseModel):
    # SecretStr: the code never shows in a repr, so no debug log (Powertools logs route arguments) holds it
    # Loose on purpose: an empty, long or garbled code is a wrong guess, counted by the domain
    # (sessions.redeem_code) toward the source's limit, not a validation error that counts nothing.
    code: SecretStr = Field(max_length=4096)


def _session_cookie(token: str, max_age: int) -> Cookie:
    return Cookie(
        name=SESSION_COOKIE,
        value=token,
        path="/api",
        secure=get_settings().cookie_secure,
        http_only=True,
        same_site=SameSite.STRICT_MODE,
        max_age=max_age,
    )


@router.post(
    "/api/auth/login-link",
    summary="Email a login link to a known person (the same answer, in the same time, for any address)",
    tags=["auth"],
    middlewares=[PUBLIC_WRITE],
    status_code=202,
)
def login_link(body: Annotated[LoginLinkRequest, Body()]) -> Response[Any]:
    # Counted per address and per source (the viewer's address), then handed over: the link
    # is mailed after this answer, so the answer never depends on whether the address is known.
    source = viewer_address(router.current_event) or None
    request_login_link(sign_in_repository(), login_link_mail(), body.email, source=source)
    return json_response(
        202, {"status": "sent if known", "message": "If that email is registered, a link is on its way."}
    )


@router.post(
    "/api/auth/magic",
    summary="Consume a magic-link code and open a session",
    tags=["auth"],
    middlewares=[PUBLIC_WRITE],
)
def magic(body: Annotated[MagicCodeRequest, Body()]) -> Response[Any]:
    source = viewer_address(router.current_event) or None
    signed_in = redeem_code(sign_in_repository(), signing_keys(), body.code.get_secret_value(), source=source)
    who, purpose = signed_in.caller, signed_in.grant.purpose
    # The session is the HttpOnly cookie alone: no script on the page can read it. A client
    # that is not a browser reads the same token from the Set-Cookie header and sends it as
    # `Authorization: Bearer` (the test suites and the smoke test do).
    answer: dict[str, Any] = {
        "email": who.email,
        "role": who.role,
        "purpose": purpose.kind,
    }
    for name in ("sail_id", "slot", "guest_id"):
        if getattr(purpose, name):
            answer[name] = getattr(purpose, name)
    max_age = get_settings().session_hours * 3600
    return json_response(200, answer, cookies=[_session_cookie(signed_in.token, max_age)])


@router.post("/api/auth/logout", summary="End this session", tags=["auth"], middlewares=[MEMBER])
def logout() -> Response[Any]:
    end_session(people_repository(), caller(router))
    return json_response(200, {"status": "signed out"}, cookies=[_session_cookie("", 0)])
