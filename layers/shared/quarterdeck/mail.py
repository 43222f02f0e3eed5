"""Email: jinja2 templates rendered to text + HTML, sent through SES v2 as raw MIME.

Raw MIME keeps both parts (moto keeps only the HTML part of a `Simple` message, and SES
recommends Raw for full control). The sender paces itself under the account's
MaxSendRate and retries throttling with exponential backoff and full jitter.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from quarterdeck.clients import client
from quarterdeck.config import Settings, get_settings
from quarterdeck.errors import ConfigurationError, InvalidInputError, ServiceUnavailableError
from quarterdeck.formatting import clock_time, long_date
from quarterdeck.observability import logger
from quarterdeck.validation import without_controls

TEMPLATE_DIR = Path(__file__).parent / "templates" / "email"
SUPPRESSED_PREFIX = "suppressed:"
"""The start of the "MessageId" `send` answers for a message it did not send because every To
recipient is suppressed: callers record it as done (a nudge, a report run) and never retry it."""
_THROTTLED = {"Throttling", "ThrottlingException", "TooManyRequestsException", "LimitExceededException"}


def _no_line_breaks(value: str, what: str) -> str:
    if "\r" in value or "\n" in value:
        raise InvalidInputError(f"The {what} cannot contain line breaks.", field=what)
    return value


@dataclass(frozen=True)
class OutgoingEmail:
    to: tuple[str, ...]
    subject: str
    text: str
    html: str
    bcc: tuple[str, ...] = ()
    kind: str = "message"
    reply_to: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _no_line_breaks(self.subject, "subject")
        for address in (*self.to, *self.bcc, *self.reply_to):
            _no_line_breaks(address, "email")
        if not self.to:
            raise InvalidInputError("An email needs at least one recipient.", field="email")


@dataclass(frozen=True)
class SentEmail:
    message_id: str
    email: OutgoingEmail
    sent_at: float


class SuppressionList(Protocol):
    """The addresses no mail goes to (quarterdeck.repositories.deliveries implements it)."""

    def suppressions_of(self, emails: Sequence[str]) -> Mapping[str, Mapping[str, Any]]: ...


def without_suppressed(email: OutgoingEmail, suppressions: SuppressionList | None) -> OutgoingEmail | None:
    """`email` without its suppressed recipients (a hard bounce, a complaint: each skip logged
    and counted), or None when no To recipient is left. A suppression list that cannot be read
    stops nothing (logged): SES's own suppression for the configuration set still applies."""
    if suppressions is None:
        return email
    try:
        found = suppressions.suppressions_of([*email.to, *email.bcc])
    except Exception:
        logger.exception("could not read the suppression list; sending anyway")
        return email
    if not found:
        return email
    from dataclasses import replace

    from quarterdeck.observability import metrics

    for address, entry in found.items():
        logger.warning(
            "email to a suppressed address skipped",
            extra={"kind": email.kind, "recipient": address, "reason": entry.get("reason")},
        )
    metrics.add_metric(name="EmailsSuppressed", unit="Count", value=len(found))
    to = tuple(a for a in email.to if a.strip().lower() not in found)
    if not to:
        return None
    return replace(email, to=to, bcc=tuple(a for a in email.bcc if a.strip().lower() not in found))


def _suppression_list() -> SuppressionList:
    from quarterdeck.repositories.deliveries import CachedSuppressions, DynamoDeliveryRepository
    from quarterdeck.store import Store

    return CachedSuppressions(DynamoDeliveryRepository(Store()))


class MailSender(Protocol):
    def send(self, email: OutgoingEmail) -> str:
        """Send one message; return its message id."""
        ...


def local_time(value: str) -> str:
    """'2026-06-21T19:29:32-07:00' -> '7:29 PM', in the club's time zone (a jinja2 filter)."""
    return clock_time(value, get_settings().timezone)


def template_environment(folder: Path, **options: Any) -> Any:
    """The one way we configure jinja2: autoescape for .html, undefined names are errors; each
    template's generated Python is kept next to it (quarterdeck.template_cache), so a cold start
    loads templates instead of compiling them."""
    import jinja2  # deferred: only code that renders pays for jinja2

    from quarterdeck.template_cache import loader_class

    return jinja2.Environment(
        loader=loader_class()(str(folder)),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        **options,
    )


@lru_cache(maxsize=1)
def _environment() -> Any:
    env = template_environment(TEMPLATE_DIR)
    env.filters["local_time"] = local_time
    env.filters["long_date"] = long_date
    return env


def render_email(kind: str, to: Sequence[str], context: Mapping[str, Any], *, bcc: Sequence[str] = ()) -> OutgoingEmail:
    """Render `<kind>.txt` and `<kind>.html`; the text template sets `subject`."""
    env = _environment()
    text_module = env.get_template(f"{kind}.txt").make_module(dict(context))
    html = env.get_template(f"{kind}.html").render(dict(context))
    subject = without_controls(str(getattr(text_module, "subject", kind)), 900)
    return OutgoingEmail(to=tuple(to), bcc=tuple(bcc), subject=subject, text=str(text_module), html=html, kind=kind)


def to_mime(email: OutgoingEmail, sender: str) -> bytes:
    # deferred: the email package costs a cold start that sends nothing (most nudge runs) ~6 ms
    from email.message import EmailMessage
    from email.utils import formataddr, formatdate, make_msgid

    message = EmailMessage()
    message["From"] = formataddr(("Quarterdeck", sender))
    message["To"] = ", ".join(email.to)
    if email.reply_to:
        message["Reply-To"] = ", ".join(email.reply_to)
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "quarterdeck.local")
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    return message.as_bytes()


class SendPacer:
    """Holds every one-second window to the account's MaxSendRate, across threads of one process.

    Each send is released at least `interval` = (1 + margin)/rate after the later of the
    previous release and the previous answer (`answered()`). Gaps are measured from what
    happened, not from a schedule: a send that wakes late cannot squeeze the next one closer,
    and a send whose request was slow to leave (the first of a process opens a connection)
    cannot arrive close to the next one, since SES received it before it answered. The rate
    may be a callable, read when a second send needs it: a run that sends one message never
    asks SES for its quota.
    """

    def __init__(
        self,
        rate_per_second: float | Callable[[], float],
        *,
        margin: float = 0.0,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._rate = rate_per_second
        self.margin = margin
        self._interval: float | None = None
        self._monotonic = monotonic
        self._sleep = sleep
        self._last: float | None = None  # when the previous send was released
        self._answered: float | None = None  # when the latest answer came back
        self._lock = threading.Lock()  # one send waits at a time: releases stay in order and apart
        self._answer_lock = threading.Lock()

    @property
    def rate(self) -> float:
        return self._rate() if callable(self._rate) else self._rate

    @property
    def interval(self) -> float:
        if self._interval is None:
            rate = self.rate
            self._interval = (1.0 + self.margin) / rate if rate > 0 else 0.0
        return self._interval

    def wait_turn(self) -> None:
        with self._lock:
            while True:
                now = self._monotonic()
                if self._last is None:
                    break
                turn = max(self._last, self._answered or self._last) + self.interval
                if now >= turn - 1e-9:  # (a clock's rounding error must not make it spin)
                    break
                self._sleep(turn - now)  # an answer that comes in meanwhile moves the turn on
            self._last = now

    def answered(self) -> None:
        """The send released last has its answer (or its error): the next gap counts from now."""
        now = self._monotonic()
        with self._answer_lock:
            self._answered = now if self._answered is None else max(self._answered, now)


@dataclass
class SesMailSender:
    """The real sender. One instance per process keeps the pace across messages."""

    settings: Settings = field(default_factory=get_settings)
    max_attempts: int = 5
    base_delay: float = 0.2
    sleep: Callable[[float], None] = time.sleep
    _pacer: SendPacer | None = None
    _verified: bool = False
    # Addresses that bounced hard or complained get no mail (None: the table's list, read whole
    # at most every few minutes per process: quarterdeck.repositories.deliveries.CachedSuppressions).
    suppressions: SuppressionList | None = None
    suppressed: int = 0  # messages skipped because every To recipient is suppressed

    def max_send_rate(self) -> float:
        """The account's MaxSendRate (SES v1 GetSendQuota: moto lacks v2 GetAccount)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            quota = client("ses").get_send_quota()
            rate = float(quota.get("MaxSendRate") or 0)
        except (ClientError, BotoCoreError):
            logger.warning("could not read the SES send quota; using the default rate")
            rate = 0
        return rate if rate > 0 else self.settings.default_max_send_rate

    def check_sender(self) -> None:
        """Refuse to send from an unverified identity (SES v1: moto's v2 identity never reports verified)."""
        from botocore.exceptions import BotoCoreError, ClientError

        if self._verified:
            return
        sender = self.settings.sender_email
        identities = [sender, sender.rpartition("@")[2]]
        try:
            found = client("ses").get_identity_verification_attributes(Identities=identities)
        except (ClientError, BotoCoreError) as error:
            raise ServiceUnavailableError("Email could not be sent; please try again.") from error
        attributes = found.get("VerificationAttributes", {})
        if not any(attributes.get(i, {}).get("VerificationStatus") == "Success" for i in identities):
            raise ConfigurationError(f"The sender {sender} is not verified in SES; verify it before sending.")
        self._verified = True

    def suppression_list(self) -> SuppressionList:
        if self.suppressions is None:
            self.suppressions = _suppression_list()
        return self.suppressions

    @property
    def pacer(self) -> SendPacer:
        if self._pacer is None:
            self._pacer = SendPacer(self.max_send_rate, sleep=self.sleep)
        return self._pacer

    @pacer.setter
    def pacer(self, pacer: SendPacer) -> None:
        self._pacer = pacer

    def send(self, email: OutgoingEmail) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        self.check_sender()
        allowed = without_suppressed(email, self.suppression_list())
        if allowed is None:  # recorded by the caller as done, never retried (quarterdeck.deliveries)
            import uuid

            self.suppressed += 1
            return f"{SUPPRESSED_PREFIX}{uuid.uuid4().hex}"
        email = allowed
        request: dict[str, Any] = {
            "FromEmailAddress": self.settings.sender_email,
            "Destination": {"ToAddresses": list(email.to), "BccAddresses": list(email.bcc)},
            "Content": {"Raw": {"Data": to_mime(email, self.settings.sender_email)}},
        }
        if self.settings.ses_configuration_set:
            request["ConfigurationSetName"] = self.settings.ses_configuration_set
        sesv2 = client("sesv2")  # created before the pacer releases us, so the send leaves on its slot
        for attempt in range(1, self.max_attempts + 1):
            self.pacer.wait_turn()
            try:
                try:
                    message_id = str(sesv2.send_email(**request)["MessageId"])
                finally:
                    self.pacer.answered()
                logger.info("email sent", extra={"kind": email.kind, "message_id": message_id})
                return message_id
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                if code == "MessageRejected":
                    raise ConfigurationError(f"SES rejected the message: {error}") from error
                retryable = (
                    code in _THROTTLED or error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500
                )
                if not retryable or attempt == self.max_attempts:
                    raise ServiceUnavailableError("Email could not be sent; please try again.") from error
            except BotoCoreError as error:
                if attempt == self.max_attempts:
                    raise ServiceUnavailableError("Email could not be sent; please try again.") from error
            delay = random.uniform(0, self.base_delay * 2 ** (attempt - 1))  # nosec B311 - full jitter, not a secret
            logger.info("email throttled; retrying", extra={"attempt": attempt, "delay": round(delay, 3)})
            self.sleep(delay)
        raise ServiceUnavailableError("Email could not be sent; please try again.")


@lru_cache(maxsize=1)
def default_mail_sender() -> SesMailSender:
    return SesMailSender()
