"""Email header injection: a value with CR/LF never becomes a header line.

Through the API, an address or a name/title that reaches a header (To, Subject) and carries a
line break is refused with 422 naming the field, and nothing is sent. Underneath, the mail
adapter itself refuses CR/LF in any header value, so a template or a future caller cannot
slip one through either.
"""

from __future__ import annotations

import email
from email import policy
from typing import Any

import pytest

from local.stack import LocalStack
from tests.conftest import outbox, sign_in
from tests.security.conftest import ADMIN_EMAIL, add_guest, guest_session, new_sail, unique, unique_email

EVIL = "evil@example.net"
BREAKS = ["\r\n", "\n", "\r"]


def _injections(brk: str) -> dict[str, str]:
    return {
        "address": f"{unique_email('victim')}{brk}Bcc: {EVIL}",
        "name": f"Ada{brk}Bcc: {EVIL}",
        "title": f"Sunset sail{brk}Bcc: {EVIL}",
    }


def _nothing_sent_since(stack: LocalStack, before: int) -> None:
    sent = outbox(stack)[before:]
    assert all(EVIL not in str(message) for message in sent), sent
    assert sent == [], [(m["to"], m["subject"]) for m in sent]


@pytest.fixture(scope="module")
def admin(stack: LocalStack) -> Any:
    return sign_in(stack, ADMIN_EMAIL)


@pytest.fixture(scope="module")
def sail(admin: Any) -> dict[str, Any]:
    return new_sail(admin, unique("Header sail"), crew_slots=3)


@pytest.mark.parametrize("brk", BREAKS, ids=["CRLF", "LF", "CR"])
@pytest.mark.parametrize(
    ("what", "method", "path", "body", "field"),
    [
        ("login link", "POST", "/api/auth/login-link", {"email": "address"}, "email"),
        ("role invite", "POST", "/api/sails/{sail}/roles/crew-1/invite", {"email": "address"}, "email"),
        ("role designation", "POST", "/api/sails/{sail}/roles/crew-2/designate", {"email": "address"}, "email"),
        ("guest address", "POST", "/api/sails/{sail}/guests", {"name": "Ada Guest", "email": "address"}, "email"),
        ("guest name", "POST", "/api/sails/{sail}/guests", {"name": "name", "email": "fresh"}, "name"),
        ("new sail title", "POST", "/api/sails", {"date": "2031-06-21", "title": "title"}, "title"),
        ("sail title edit", "PATCH", "/api/sails/{sail}", {"title": "title"}, "title"),
    ],
)
def test_a_line_break_in_a_header_value_is_refused_and_nothing_is_sent(
    stack: LocalStack,
    admin: Any,
    sail: dict[str, Any],
    brk: str,
    what: str,
    method: str,
    path: str,
    body: dict[str, str],
    field: str,
) -> None:
    injections = _injections(brk)
    values = {k: injections.get(v, unique_email("ok") if v == "fresh" else v) for k, v in body.items()}
    before = len(outbox(stack))
    # When the admin (or anyone, for a login link) sends a value with a line break
    answer = admin.request(method, path.format(sail=sail["id"]), json=values)
    # Then it is refused, naming the field, and no email goes out
    assert answer.status_code == 422, f"{what}: {answer.status_code} {answer.text}"
    assert answer.json()["error"]["field"] == field, answer.text
    _nothing_sent_since(stack, before)


@pytest.mark.parametrize("brk", BREAKS, ids=["CRLF", "LF", "CR"])
def test_a_line_break_in_the_signed_name_is_refused(
    stack: LocalStack, admin: Any, sail: dict[str, Any], brk: str
) -> None:
    # Given a guest with its own waiver session
    guest = add_guest(admin, sail["id"])
    session = guest_session(stack, guest["email"], sail["id"], guest["id"])
    before = len(outbox(stack))
    # When it signs with a name that carries a line break
    answer = session.post(
        f"/api/sails/{sail['id']}/guests/{guest['id']}/waiver",
        {"full_name": f"Ada Lovelace{brk}Bcc: {EVIL}", "accept": True},
    )
    # Then the signature is refused and no copy is mailed
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"] == "full_name"
    _nothing_sent_since(stack, before)


# --- the mail adapter itself -------------------------------------------------------------
@pytest.mark.parametrize("brk", [*BREAKS, "\r\n\t"], ids=["CRLF", "LF", "CR", "CRLF-fold"])
@pytest.mark.parametrize("where", ["subject", "to", "bcc"])
def test_the_mail_adapter_refuses_a_line_break_in_any_header(where: str, brk: str) -> None:
    from quarterdeck.errors import InvalidInputError
    from quarterdeck.mail import OutgoingEmail

    fields: dict[str, Any] = {"to": ("ok@example.com",), "subject": "Hello", "text": "t", "html": "<p>t</p>"}
    bad = f"ok@example.com{brk}Bcc: {EVIL}" if where != "subject" else f"Hello{brk}Bcc: {EVIL}"
    fields[where] = (bad,) if where in ("to", "bcc") else bad
    with pytest.raises(InvalidInputError):
        OutgoingEmail(**fields)


def test_a_rendered_subject_is_one_line_whatever_the_data() -> None:
    from quarterdeck.mail import render_email, to_mime

    # Given data that went around the API's checks (e.g. written to the table by hand)
    sail = {
        "title": f"Sunset sail\r\nBcc: {EVIL}\r\n",
        "date": "2031-06-21",
        "departure": "2031-06-21T19:29:32-07:00",
        "link": "http://127.0.0.1/#/sails/s1",
    }
    context = {"sail": sail, "reason": "Wind", "is_guest": False}
    message = render_email("sail_cancelled", ["crew@example.com"], context)
    # Then the subject is one line and the MIME message has exactly the intended recipients
    assert "\r" not in message.subject and "\n" not in message.subject
    parsed = email.message_from_bytes(to_mime(message, "no-reply@example.com"), policy=policy.default)
    assert parsed["To"] == "crew@example.com"
    assert parsed["Bcc"] is None and parsed["Cc"] is None
    assert EVIL not in parsed["To"]
