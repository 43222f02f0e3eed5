"""The report sender: the shared `SesMailSender` (sender check, raw MIME, throttling retries
with backoff and jitter) with a pacer that holds every one-second window to MaxSendRate.

`SendPacer` measures each gap from the later of the previous release and the previous
answer, so neither a late wake-up nor a slow first request (a new connection) can bring two
arrivals at SES closer than 1/rate. `WindowPacer` adds a small margin (1 %) for the clocks
of two machines, at that cost in throughput.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from quarterdeck.mail import SendPacer, SesMailSender

MARGIN = 0.01


class WindowPacer(SendPacer):
    """Releases sends at least (1 + margin)/rate seconds after the previous release and answer."""

    def __init__(
        self,
        rate_per_second: float | Callable[[], float],
        *,
        margin: float = MARGIN,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(rate_per_second, margin=margin, monotonic=monotonic, sleep=sleep)


def report_sender(rate: float | None = None, *, sleep: Callable[[float], None] = time.sleep) -> SesMailSender:
    """A sender paced at `rate`, or at the account's MaxSendRate (SES GetSendQuota, read when a
    second message is sent: a run that sends one asks nothing) when None."""
    sender = SesMailSender(sleep=sleep)
    sender.pacer = WindowPacer(rate if rate is not None else sender.max_send_rate, sleep=sleep)
    return sender
