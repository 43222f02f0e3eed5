"""One settings object, read from the environment once per process."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo


def _pairs(value: str) -> tuple[tuple[str, str], ...]:
    """'cfo=cfo@x.com, *=owner@x.com' -> (('cfo', 'cfo@x.com'), ('*', 'owner@x.com'))."""
    pairs = [part.split("=", 1) for part in value.split(",") if "=" in part]
    return tuple((kind.strip().lower(), address.strip()) for kind, address in pairs if kind.strip() and address.strip())


def _csv(value: str) -> tuple[str, ...]:
    return tuple(sorted({part.strip().lower() for part in value.split(",") if part.strip()}))


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    stage: str = "local"
    table_name: str = "quarterdeck"
    signing_secret_id: str = "quarterdeck/jwt-signing-key"  # noqa: S105 - a secret's name, not a secret
    unsubscribe_secret_id: str = "quarterdeck/unsubscribe-key"  # noqa: S105 - a secret's name, not a secret
    unsubscribe_link_days: int = 400  # a link in an old nudge still works for a season and a bit
    origin_secret_id: str = ""  # set on ApiFunction in AWS: only requests through CloudFront are served
    data_bucket: str = ""
    portfolio_key: str = "portfolio.toml"
    sender_email: str = "no-reply@example.com"
    archive_email: str = ""
    owner_email: str = "owner@example.com"
    # Reply-To of each report kind's mail, as (kind, address); "*" for every other kind; the
    # owner when neither is given: every report mail has one.
    report_reply_to: tuple[tuple[str, str], ...] = ()
    admin_emails: tuple[str, ...] = ("admin@example.com",)
    app_url: str = "http://127.0.0.1:3000"
    cookie_secure: bool = True
    ses_configuration_set: str = ""
    # Auth
    jwt_issuer: str = "quarterdeck"
    jwt_audience: str = "quarterdeck-app"
    session_hours: int = 12
    # How long a container trusts the caller's person record it read (existence, signed-out
    # sessions) before reading it again; see docs/decisions.md. 0 reads it on every request.
    person_cache_seconds: float = 60.0
    login_link_minutes: int = 15
    claim_link_hours: int = 72
    # Login links per hour (issue 20): per address from one source, per source, per address.
    login_links_per_hour: int = 5
    login_links_per_source_per_hour: int = 30
    login_links_per_address_per_hour: int = 20
    # Wrong magic codes per source address per window, then 429 for the rest of the window.
    magic_code_failures_per_window: int = 20
    magic_code_window_minutes: int = 15
    # Sails: where and when (offsets are settings, not literals in the code)
    timezone_name: str = "America/Los_Angeles"
    latitude: float = 32.7157
    longitude: float = -117.1611
    departure_before_sunset_minutes: int = 30
    return_after_sunset_minutes: int = 120
    guest_capacity: int = 6  # a new sail's guest seats unless its creator says otherwise (1-49)
    # Where guests meet the boat unless a sail says otherwise (shown with the times everywhere).
    meeting_point: str = "Marina office, guest dock (San Diego Bay)"
    # Email pacing fallback when the account's quota cannot be read.
    default_max_send_rate: float = 1.0
    # Report sources (quarterdeck.reports.aws_figures, .handoff_notes): the Lambda functions
    # whose CloudWatch figures the CTO report shows, as (label, function name); the CloudFront
    # distribution; where the handoff notes live and when one is stale.
    monitored_functions: tuple[tuple[str, str], ...] = ()
    distribution_id: str = ""
    # ReportFunction's name, for the API's send-now hand-off (quarterdeck.reports.send_queue).
    report_function_name: str = ""
    notes_prefix: str = "notes/"
    note_stale_days: int = 14
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone_name)

    def reply_to_for(self, kind: str) -> str:
        """The Reply-To of a report kind's mail: its own address, else "*"'s, else the owner."""
        given = dict(self.report_reply_to)
        return given.get(kind) or given.get("*") or self.owner_email

    def is_admin(self, email: str) -> bool:
        return email.strip().lower() in self.admin_emails


def _functions(value: str, env: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """`api=name,nudges=name,reports=$AWS_LAMBDA_FUNCTION_NAME` -> ((label, name), ...).

    `$AWS_LAMBDA_FUNCTION_NAME` is this function's own name (a function cannot !Ref itself);
    an entry whose name is empty is left out."""
    found: list[tuple[str, str]] = []
    for part in value.split(","):
        label, _, name = part.strip().partition("=")
        name = name.strip()
        if name == "$AWS_LAMBDA_FUNCTION_NAME":
            name = env.get("AWS_LAMBDA_FUNCTION_NAME", "").strip()
        if label.strip() and name:
            found.append((label.strip(), name))
    return tuple(found)


def settings_from_env(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    defaults = Settings()

    def text(name: str, default: str) -> str:
        return env.get(name, "").strip() or default

    def number(name: str, default: float) -> float:
        raw = env.get(name, "").strip()
        return float(raw) if raw else default

    return Settings(
        stage=text("STAGE", defaults.stage),
        table_name=text("TABLE_NAME", defaults.table_name),
        signing_secret_id=text("SIGNING_SECRET_ID", defaults.signing_secret_id),
        unsubscribe_secret_id=text("UNSUBSCRIBE_SECRET_ID", defaults.unsubscribe_secret_id),
        origin_secret_id=text("ORIGIN_SECRET_ID", defaults.origin_secret_id),
        data_bucket=text("DATA_BUCKET", defaults.data_bucket),
        portfolio_key=text("PORTFOLIO_KEY", defaults.portfolio_key),
        sender_email=text("SENDER_EMAIL", defaults.sender_email),
        archive_email=text("ARCHIVE_EMAIL", defaults.archive_email),
        owner_email=text("OWNER_EMAIL", defaults.owner_email),
        report_reply_to=_pairs(env.get("REPORT_REPLY_TO", "")),
        admin_emails=_csv(env["ADMIN_EMAILS"]) if env.get("ADMIN_EMAILS", "").strip() else defaults.admin_emails,
        app_url=text("APP_URL", defaults.app_url).rstrip("/"),
        cookie_secure=_bool(env["COOKIE_SECURE"]) if "COOKIE_SECURE" in env else defaults.cookie_secure,
        ses_configuration_set=text("SES_CONFIGURATION_SET", defaults.ses_configuration_set),
        login_links_per_hour=int(number("LOGIN_LINKS_PER_HOUR", defaults.login_links_per_hour)),
        login_links_per_source_per_hour=int(
            number("LOGIN_LINKS_PER_SOURCE_PER_HOUR", defaults.login_links_per_source_per_hour)
        ),
        login_links_per_address_per_hour=int(
            number("LOGIN_LINKS_PER_ADDRESS_PER_HOUR", defaults.login_links_per_address_per_hour)
        ),
        magic_code_failures_per_window=int(
            number("MAGIC_CODE_FAILURES_PER_WINDOW", defaults.magic_code_failures_per_window)
        ),
        magic_code_window_minutes=int(number("MAGIC_CODE_WINDOW_MINUTES", defaults.magic_code_window_minutes)),
        session_hours=int(number("SESSION_HOURS", defaults.session_hours)),
        person_cache_seconds=number("PERSON_CACHE_SECONDS", defaults.person_cache_seconds),
        guest_capacity=int(number("GUEST_CAPACITY", defaults.guest_capacity)),
        meeting_point=text("MEETING_POINT", defaults.meeting_point),
        departure_before_sunset_minutes=int(
            number("DEPARTURE_BEFORE_SUNSET_MINUTES", defaults.departure_before_sunset_minutes)
        ),
        return_after_sunset_minutes=int(number("RETURN_AFTER_SUNSET_MINUTES", defaults.return_after_sunset_minutes)),
        default_max_send_rate=number("DEFAULT_MAX_SEND_RATE", defaults.default_max_send_rate),
        monitored_functions=_functions(env.get("FUNCTION_NAMES", ""), env),
        distribution_id=text("DISTRIBUTION_ID", defaults.distribution_id),
        report_function_name=text("REPORT_FUNCTION_NAME", defaults.report_function_name),
        notes_prefix=text("NOTES_PREFIX", defaults.notes_prefix),
        note_stale_days=int(number("NOTE_STALE_DAYS", defaults.note_stale_days)),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings; tests call `get_settings.cache_clear()` after changing the environment."""
    return settings_from_env()
