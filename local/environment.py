"""The environment the handlers see locally: the same variables template.yaml gives them in AWS."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "quarterdeck-local"
REGION = "us-east-1"

# Names the local stack gives the resources that CloudFormation would name in AWS.
TABLE_NAME = f"{PREFIX}-table"
SECRET_NAME = f"{PREFIX}/jwt-signing-key"
UNSUBSCRIBE_SECRET_NAME = f"{PREFIX}/unsubscribe-key"
DATA_BUCKET = f"{PREFIX}-data"
FRONTEND_BUCKET = f"{PREFIX}-frontend"
SENDER = "crew@queenofsandiego.example"
ARCHIVE = "archive@queenofsandiego.example"
OWNER = "owner@queenofsandiego.example"
# The Lambda functions and CloudFront distribution the reports read figures for; the local
# stack seeds demo metrics under these names into moto's CloudWatch (local/seed_report_sources.py).
FUNCTION_NAMES = {"api": f"{PREFIX}-api", "nudges": f"{PREFIX}-nudges", "reports": f"{PREFIX}-reports"}
DISTRIBUTION_ID = "ELOCALDEMO0001"


def local_environment(moto_url: str, app_url: str) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",  # nosec B105 - moto's dummy credentials, local stack only
        "AWS_SESSION_TOKEN": "testing",  # nosec B105 - moto's dummy credentials, local stack only
        "STAGE": "local",
        "TABLE_NAME": TABLE_NAME,
        "SIGNING_SECRET_ID": SECRET_NAME,
        "UNSUBSCRIBE_SECRET_ID": UNSUBSCRIBE_SECRET_NAME,
        "DATA_BUCKET": DATA_BUCKET,
        "PORTFOLIO_KEY": "portfolio.toml",
        "SENDER_EMAIL": SENDER,
        "ARCHIVE_EMAIL": ARCHIVE,
        "OWNER_EMAIL": OWNER,
        "FUNCTION_NAMES": ",".join(f"{label}={name}" for label, name in FUNCTION_NAMES.items()),
        "DISTRIBUTION_ID": DISTRIBUTION_ID,
        "ADMIN_EMAILS": os.environ.get("ADMIN_EMAILS", "admin@example.com"),
        "APP_URL": app_url,
        "COOKIE_SECURE": "false",  # the local stack is plain http on loopback
        "POWERTOOLS_SERVICE_NAME": "quarterdeck",
        "POWERTOOLS_METRICS_NAMESPACE": "Quarterdeck",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
        "PYDANTIC_DISABLE_PLUGINS": "__all__",  # as template.yaml: no plugins to look for
        # moto can take seconds under a full test run; a 10 s timeout would make botocore
        # retry writes that already happened.
        "QUARTERDECK_READ_TIMEOUT": "120",
    }


def apply_environment(moto_url: str, app_url: str) -> None:
    """Point this process at the local stack and forget anything cached for another one."""
    os.environ.update(local_environment(moto_url, app_url))
    from quarterdeck.clients import reset_clients
    from quarterdeck.config import get_settings

    get_settings.cache_clear()
    reset_clients()


class LambdaContext:
    """The context Lambda passes a handler, as the local stack's functions receive it."""

    function_name = "ApiFunction"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:ApiFunction"

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def add_code_paths() -> None:
    """Make the layer and the API function importable, as Lambda would."""
    import sys

    for path in (
        ROOT / "layers" / "shared",
        ROOT / "functions" / "api",
        ROOT / "functions" / "nudges",
        ROOT / "functions" / "reports",
        ROOT / "functions" / "mail_events",
    ):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
