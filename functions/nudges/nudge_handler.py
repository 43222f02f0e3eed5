"""NudgeFunction: the hourly schedule's event → one nudge run.

The event may carry `{"at": "<ISO time>"}` (the local stack's `make nudge AT=...`) to run as
of another time; the schedule's own events carry nothing and run as of now.
"""

from __future__ import annotations

from quarterdeck import coldstart  # first: the garbage collector pauses while the rest loads

# isort: split
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from quarterdeck.clock import system_clock
from quarterdeck.mail import default_mail_sender
from quarterdeck.nudges import run_nudges
from quarterdeck.observability import logger, metrics
from quarterdeck.repositories.guests import DynamoGuestRepository
from quarterdeck.repositories.nudges import DynamoNudgeRepository
from quarterdeck.repositories.sails import DynamoSailRepository
from quarterdeck.store import Store

if TYPE_CHECKING:
    from quarterdeck.auth import SigningKeys

coldstart.loaded()


def _unsubscribe_keys() -> SigningKeys:
    # Deferred like the links it signs: a run with nothing due never reads the key.
    from quarterdeck.unsubscribe import load_unsubscribe_keys

    return load_unsubscribe_keys()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    at = (event or {}).get("at")
    clock = (lambda: datetime.fromisoformat(at)) if at else system_clock
    with coldstart.first_request():
        store = Store()
        nudges = DynamoNudgeRepository(store)
        summary = run_nudges(
            store,
            default_mail_sender(),
            _unsubscribe_keys,
            nudges=nudges,
            sails=DynamoSailRepository(store),
            guests=DynamoGuestRepository(store),
            clock=clock,
        )
    for kind, count in summary.sent.items():
        metrics.add_metric(name=f"NudgesSent_{kind}", unit="Count", value=count)
    return summary.as_dict()
