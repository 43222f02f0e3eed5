"""The report sender: the shared `SesMailSender` (sender check, raw MIME, throttling retries
with backoff and jitter) with a pacer that holds every one-second window to MaxSendRate.

`SendPacer` spaces the *scheduled* slots 1/rate apart; when one send wakes a little late and
the next one on time, two sends can land closer than 1/rate, and SES (which counts what
arrives) sees a window above the rate. `WindowPacer` spaces the *actual* release times and
adds a small margin for the network's jitter, so no window exceeds the rate, at a cost of
`margin` (3%) of throughput.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from quarterdeck.mail import SendPacer, SesMailSender

MARGIN = 0.03


class WindowPacer(SendPacer):
    """Releases sends at least (1 + margin)/rate seconds apart, measured when each is released."""

    def __init__(
        self,
        rate_per_second: float,
        *,
        margin: float = MARGIN,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(rate_per_second, monotonic=monotonic, sleep=sleep)
        self.rate = rate_per_second
        self.interval = (1.0 + margin) / rate_per_second if rate_per_second > 0 else 0.0
        self._last: float | None = None

    def wait_turn(self) -> None:
        with self._lock:  # one send waits at a time: releases stay in order and apart
            while True:
                now = self._monotonic()
                if self._last is None or now - self._last >= self.interval:
                    self._last = now
                    return
                self._sleep(self.interval - (now - self._last))


def report_sender(rate: float | None = None, *, sleep: Callable[[float], None] = time.sleep) -> SesMailSender:
    """A sender paced at `rate`, or at the account's MaxSendRate (SES GetSendQuota) when None."""
    sender = SesMailSender(sleep=sleep)
    sender._pacer = WindowPacer(rate if rate is not None else sender.max_send_rate(), sleep=sleep)
    return sender
