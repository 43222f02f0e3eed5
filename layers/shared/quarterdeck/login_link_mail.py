"""Sending a login link after the answer (issue 20: the answer for a known and an unknown
address is the same in status, body and time).

`POST /api/auth/login-link` counts the request against its limits and hands the address over
here, for known and unknown addresses alike; it never reads the person nor talks to SES while
the caller waits. Whoever takes the hand-off (`sessions.send_login_link`) decides whether the
address is someone's and mails the link.

- In AWS, `LambdaLoginLinkMail` invokes this same function (its own name and version, as Lambda
  gives them in the environment) asynchronously, with a `LOGIN_LINK_EVENT`; api_handler hands
  such an event to `sessions.send_login_link`. A thread would not do: Lambda freezes the
  environment once the answer is returned, so work after it runs only at the next request, if
  ever. The invoke is one call, the same for every address, and Lambda retries a failed event.
- The local stack runs the same function in a background thread (local/login_link_mail.py).
"""

from __future__ import annotations

import json
import os
from typing import Any, Protocol

from quarterdeck.errors import ServiceUnavailableError
from quarterdeck.observability import logger

LOGIN_LINK_EVENT = "login_link"  # the `quarterdeck` key of the self-invoke's event
NOT_HANDED_OVER = "The sign-in link could not be sent just now. Please try again in a minute."


class LoginLinkMail(Protocol):
    def submit(self, email: str) -> None:
        """Hand the address over to be mailed a link if it is someone's; ServiceUnavailableError
        if it could not be handed over (the same for every address)."""
        ...


def login_link_event(email: str) -> dict[str, Any]:
    return {"quarterdeck": LOGIN_LINK_EVENT, "email": email}


def is_login_link_event(event: dict[str, Any]) -> bool:
    """An API Gateway event never has a top-level `quarterdeck` key: only our own invoke does."""
    return event.get("quarterdeck") == LOGIN_LINK_EVENT and isinstance(event.get("email"), str)


class LambdaLoginLinkMail:
    """This function, invoked asynchronously (the only code that touches Lambda's API here)."""

    def __init__(self, function_name: str | None = None) -> None:
        if function_name is None:
            name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
            version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "")
            # The same version that answered (an alias's canary must not send with older code).
            function_name = f"{name}:{version}" if name and version and version != "$LATEST" else name
        self.function_name = function_name

    def submit(self, email: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        from quarterdeck.clients import client

        if not self.function_name:
            logger.error("login link not handed over: no function name")
            raise ServiceUnavailableError(NOT_HANDED_OVER)
        try:
            answer = client("lambda").invoke(
                FunctionName=self.function_name,
                InvocationType="Event",
                Payload=json.dumps(login_link_event(email)).encode(),
            )
        except (BotoCoreError, ClientError) as error:
            logger.exception("login link not handed over")
            raise ServiceUnavailableError(NOT_HANDED_OVER) from error
        if int(answer.get("StatusCode", 0)) != 202:  # an Event invocation is accepted with 202
            logger.error("login link not handed over", extra={"status": answer.get("StatusCode")})
            raise ServiceUnavailableError(NOT_HANDED_OVER)
