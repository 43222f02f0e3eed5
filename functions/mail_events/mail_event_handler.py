"""MailEventFunction: an SES event (delivery, bounce, complaint) from the configuration set's
EventBridge destination → the delivery log and the suppression list (quarterdeck.deliveries).

    {"source": "aws.ses", "detail-type": "Email Bounced", "detail": {"eventType": "Bounce", ...}}

The local stack's outbox page simulates a bounce or a complaint through this same handler
(local/mail_events.py). Recording is idempotent: EventBridge may deliver an event twice.
"""

from __future__ import annotations

from quarterdeck import coldstart  # first: the garbage collector pauses while the rest loads

# isort: split
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from quarterdeck.deliveries import record_ses_event
from quarterdeck.observability import logger, metrics
from quarterdeck.repositories.deliveries import DynamoDeliveryRepository
from quarterdeck.store import Store

coldstart.loaded()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    detail = (event or {}).get("detail") or {}
    with coldstart.first_request():
        recorded = record_ses_event(detail, DynamoDeliveryRepository(Store()))
    if recorded.event:
        metrics.add_metric(name=f"MailEvents_{recorded.event}", unit="Count", value=len(recorded.recorded))
    if recorded.suppressed:
        metrics.add_metric(name="AddressesSuppressed", unit="Count", value=len(recorded.suppressed))
    return recorded.as_dict()
