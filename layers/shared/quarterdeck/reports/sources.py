"""What the reports read beside the portfolio file: each source optional, each failure named.

A source that cannot be read (not permitted, not configured, not supported where it runs,
down) becomes an `Unavailable` entry with the reason, shown in the report where its figures
would be; the report still goes out. Nothing here imports boto3 or botocore at module level.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

REASON_MAX = 240


@dataclass(frozen=True)
class Unavailable:
    """A source the report could not read, and why (said in the report, never guessed around)."""

    source: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: unavailable: {self.reason}"


def _clean(text: str) -> str:
    """One line, no markup (an emulator may answer a failure with an HTML page), bounded."""
    title = re.search(r"<title>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    if title:  # an HTML error page: its title says it
        text = title.group(1)
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= REASON_MAX else text[: REASON_MAX - 1] + "…"


def reason_of(error: BaseException) -> str:
    """A short, human reason for a failed AWS call: the error code, its message, the HTTP status."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):  # botocore's ClientError
        details = response.get("Error") or {}
        code = str(details.get("Code") or "")
        message = _clean(str(details.get("Message") or ""))
        status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
        if code.isdigit():  # no error code in the answer: only the HTTP status
            code, status = "", int(code)
        text = f"{code}: {message}" if code and message else code or message or "the service refused the request"
        if status and int(status) >= 500 and str(status) not in text:
            text += f" (HTTP {status})"
        endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
        if status and int(status) >= 500 and endpoint:
            text += f"; answered by the endpoint {endpoint} (AWS_ENDPOINT_URL), not by AWS"
        return _clean(text)
    return _clean(f"{type(error).__name__}: {error}") if str(error) else type(error).__name__
